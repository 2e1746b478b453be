"""Whole-number written arithmetic, column by column, every digit fact asked of a cell.

A number is a ``Digits``: its digits least significant first, and beside each digit the
confidence of the weakest cell answer that fed it (a chain is as sure as its weakest
link; typed digits are sure). What is procedure here, never arithmetic: which column
comes next, shifting by whole places, dropping leading zeros, reading which of two numbers
is longer. Every digit, carry, borrow and quotient digit is a cell's answer.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_DIGITS = 200  # longest number the procedure writes; past it is past the model's reach


class PastReach(Exception):
    """A number on the way would be longer than ``MAX_DIGITS``."""


@dataclass
class Digits:
    d: list[int]  # least significant first; [0] is zero
    c: list[float]  # one confidence per digit

    @classmethod
    def of(cls, text: str) -> "Digits":
        digits = [int(ch) for ch in reversed(text.lstrip("0") or "0")]
        return cls(digits, [1.0] * len(digits))

    def text(self) -> str:
        return "".join(map(str, reversed(self.d)))

    def is_zero(self) -> bool:
        return len(self.d) == 1 and self.d[0] == 0

    def shifted(self, places: int) -> "Digits":
        """Times ten to ``places``: zeros written on the right (procedure, no arithmetic)."""
        if places <= 0 or self.is_zero():
            return self
        _check(len(self.d) + places)
        return Digits([0] * places + self.d, [1.0] * places + self.c)


def _check(n: int) -> None:
    if n > MAX_DIGITS:
        raise PastReach(f"a number on the way has more than {MAX_DIGITS} digits, past the model's reach")


def trimmed(d: list[int], c: list[float]) -> Digits:
    """Leading zeros dropped (reading, not arithmetic)."""
    n = len(d)
    while n > 1 and d[n - 1] == 0:
        n -= 1
    return Digits(d[:n], c[:n])


def compare(x: Digits, y: Digits) -> int:
    """-1, 0 or 1 by reading: the longer number is larger, else the first differing digit."""
    if len(x.d) != len(y.d):
        return -1 if len(x.d) < len(y.d) else 1
    for a, b in zip(reversed(x.d), reversed(y.d)):
        if a != b:
            return -1 if a < b else 1
    return 0


class Columns:
    """Written arithmetic over a set of cell tables (``cells.CellTables``)."""

    def __init__(self, tables):
        self.t = tables

    def _columns(self, table, x: Digits, y: Digits, k: int):
        """x and y column by column through a two-digit cell with a carry (or borrow) of
        ``k`` values; returns the digits, their confidences, the last carry and its
        confidence. The shorter number is read with zeros in front (procedure)."""
        n = max(len(x.d), len(y.d))
        xd, xc = x.d + [0] * (n - len(x.d)), x.c + [1.0] * (n - len(x.c))
        yd, yc = y.d + [0] * (n - len(y.d)), y.c + [1.0] * (n - len(y.c))
        carry, cconf = 0, 1.0
        out, conf = [], []
        for a, b, ac, bc in zip(xd, yd, xc, yc):
            dig, pd, carry, pc = table[(a * 10 + b) * k + carry]
            feed = ac if ac < bc else bc
            if cconf < feed:
                feed = cconf
            out.append(dig)
            conf.append(pd if pd < feed else feed)
            cconf = pc if pc < feed else feed
        return out, conf, carry, cconf

    def add(self, x: Digits, y: Digits) -> Digits:
        """x + y, right to left, the add cell writing each digit and carry."""
        _check(max(len(x.d), len(y.d)) + 1)
        out, conf, carry, cconf = self._columns(self.t.add, x, y, 2)
        if carry:
            out.append(carry)
            conf.append(cconf)
        return trimmed(out, conf)

    def subtract(self, x: Digits, y: Digits) -> tuple[Digits, int, float]:
        """x - y right to left with the sub cell; also the final borrow (1: y was larger)
        and its confidence. With a final borrow the digits are x - y + 10**n."""
        out, conf, borrow, bconf = self._columns(self.t.sub, x, y, 2)
        return trimmed(out, conf), borrow, bconf

    def times_digit(self, x: Digits, k: int, kconf: float = 1.0) -> Digits:
        """x times one digit, the mul cell writing each digit and carry."""
        table = self.t.mul
        carry, cconf = 0, 1.0
        out, conf = [], []
        for a, ac in zip(x.d, x.c):
            dig, pd, carry, pc = table[(a * 10 + k) * 9 + carry]
            feed = ac if ac < kconf else kconf
            if cconf < feed:
                feed = cconf
            out.append(dig)
            conf.append(pd if pd < feed else feed)
            cconf = pc if pc < feed else feed
        if carry:
            out.append(carry)
            conf.append(cconf)
        return trimmed(out, conf)

    def multiply(self, x: Digits, y: Digits) -> tuple[Digits, list[tuple[int, int, Digits, Digits]]]:
        """Long multiplication: one partial product per nonzero digit of the shorter
        number, shifted to its place, summed as they come. Returns the product and the
        rows (multiplier digit, place, partial product, running total)."""
        if len(y.d) > len(x.d):
            x, y = y, x
        _check(len(x.d) + len(y.d))
        total = None
        rows = []
        for place, (k, kc) in enumerate(zip(y.d, y.c)):
            if k == 0:
                continue  # a zero row adds nothing: a person skips it
            part = self.times_digit(x, k, kc).shifted(place)
            total = part if total is None else self.add(total, part)
            rows.append((k, place, part, total))
        return (total if total is not None else Digits([0], [1.0])), rows

    def quotient_digit(self, rem: Digits, div: Digits, multiples: dict | None = None
                       ) -> tuple[int, float, Digits]:
        """The next digit of long division (``rem`` < 10 × ``div``) and the new remainder.

        The quo cell estimates from the leading three digits of the remainder and the
        leading two of the divisor (a one-digit divisor reads as ``d0``, the remainder one
        place up, the same ratio); the estimate is never too small and at most two too
        big. Each try multiplies and subtracts with cells; a final borrow means the try
        did not fit, and the sub cell takes one off the digit. ``multiples``: the divisor's
        multiples worked so far in this division (a person's table of them), by digit."""
        multiples = {} if multiples is None else multiples
        m = len(div.d)
        if m == 1:
            dd = [0] + div.d
            rr = [0] + rem.d
        else:
            dd, rr = div.d[m - 2:], rem.d[m - 2:]
        r = [rr[i] if i < len(rr) else 0 for i in range(3)]
        got = self.t.quo[((r[2] * 10 + r[1]) * 10 + r[0]) * 100 + dd[1] * 10 + dd[0]] \
            if len(rr) <= 3 else None
        if got is None:  # outside the cell's domain: only a broken cell leads here
            q, qconf = 9, 0.0
        else:
            q, qconf = got[0], got[1]
        qconf = min([qconf] + rem.c[-3:] + div.c[-2:])
        for _ in range(10):
            part = multiples.get(q)
            if part is None:
                part = multiples[q] = self.times_digit(div, q)
            left, borrow, bconf = self.subtract(rem, part)
            if not borrow or q == 0:
                return q, min(qconf, bconf), left
            dig, pd, _, _ = self.t.sub[(q * 10 + 1) * 2]
            q, qconf = dig, min(qconf, pd, bconf)
        return q, 0.0, left

    def long_divide(self, n: Digits, m: Digits, min_places: int, sig: int):
        """Long division of whole numbers, digit by digit into the decimals.

        Stops when the remainder is zero (the quotient is exact) or when at least
        ``min_places`` decimals and ``sig`` significant digits are written. Returns the
        quotient's digits (most significant first, ``places`` of them after the point),
        their confidences, ``places``, whether it ended exactly, and the working rows
        (remainder brought down, digit, remainder left)."""
        digits, confs, rows = [], [], []
        rem = Digits([0], [1.0])
        multiples: dict[int, Digits] = {}
        src = list(zip(reversed(n.d), reversed(n.c)))
        places, seen = 0, 0
        i = 0
        while True:
            if i < len(src):
                dig, dc = src[i]
            else:
                if rem.is_zero():
                    return digits, confs, places, True, rows
                if places >= min_places and seen >= sig:
                    return digits, confs, places, False, rows
                dig, dc, places = 0, 1.0, places + 1
            i += 1
            rem = trimmed([dig] + rem.d, [dc] + rem.c)  # bring down the next digit
            _check(len(digits) + 1)
            if len(rem.d) < len(m.d):  # shorter than the divisor: a 0, as a person writes it
                q, qc, left = 0, min(rem.c), rem
            else:
                q, qc, left = self.quotient_digit(rem, m, multiples)
            rows.append((rem, q, left))
            digits.append(q)
            confs.append(qc)
            seen += 1 if (seen or q) else 0
            rem = left
