"""Whole-number written arithmetic, column by column, every digit fact asked of a cell.

A number is a ``Digits``: its digits least significant first, and beside each digit the
confidence of the weakest cell answer that fed it (a chain is as sure as its weakest
link; typed digits are sure). What is procedure here, never arithmetic: which column
comes next, shifting by whole places, dropping leading zeros, reading which of two numbers
is longer. Every digit, carry, borrow and quotient digit is a cell's answer.

With ``Columns(tables, record=True)`` (the Inside tab's step maps, never the answer path)
every cell call is kept as a ``CellCall`` with the source of each value it read, and each
written digit keeps its source in ``Digits.by``. A source is ``("d", digits, pos)`` (a digit
of a number), ``("c", call, head)`` (a cell's answer: head 0 the digit, 1 the carry or
borrow) or None (a constant the procedure wrote: a padded zero, the first carry, a shift).
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_DIGITS = 200  # longest number the procedure writes; past it is past the model's reach


class CellCall:
    """One cell asked once: its name, the values it read, where each came from (a source
    per field, see the module docstring) and its answer (the table entry: value and
    probability per head)."""

    __slots__ = ("cell", "fields", "reads", "answer")

    def __init__(self, cell: str, fields: tuple, reads: tuple, answer: tuple):
        self.cell, self.fields, self.reads, self.answer = cell, fields, reads, answer


class PastReach(Exception):
    """A number on the way would be longer than ``MAX_DIGITS``."""


@dataclass
class Digits:
    d: list[int]  # least significant first; [0] is zero
    c: list[float]  # one confidence per digit
    by: list | None = None  # recorded: each digit's source (module docstring), else None

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
        by = None if self.by is None else [None] * places + self.by
        return Digits([0] * places + self.d, [1.0] * places + self.c, by)


def _check(n: int) -> None:
    if n > MAX_DIGITS:
        raise PastReach(f"a number on the way has more than {MAX_DIGITS} digits, past the model's reach")


def trimmed(d: list[int], c: list[float], by: list | None = None) -> Digits:
    """Leading zeros dropped (reading, not arithmetic)."""
    n = len(d)
    while n > 1 and d[n - 1] == 0:
        n -= 1
    return Digits(d[:n], c[:n], None if by is None else by[:n])


def _src(x: Digits, i: int):
    """The source of digit ``i`` of ``x`` as a cell reads it: None past its length (a zero
    the procedure put in front)."""
    return ("d", x, i) if i < len(x.d) else None


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

    def __init__(self, tables, record: bool = False):
        self.t = tables
        self.record = record  # keep every cell call (``CellCall``) and each digit's source

    def _columns(self, cell: str, table, x: Digits, y: Digits, k: int):
        """x and y column by column through a two-digit cell with a carry (or borrow) of
        ``k`` values. The shorter number is read with zeros in front (procedure)."""
        n = max(len(x.d), len(y.d))
        xd, xc = x.d + [0] * (n - len(x.d)), x.c + [1.0] * (n - len(x.c))
        yd, yc = y.d + [0] * (n - len(y.d)), y.c + [1.0] * (n - len(y.c))
        return self._cells(cell, table, k, xd, yd, xc, yc,
                           lambda i: _src(x, i), lambda i: _src(y, i))

    def _cells(self, cell: str, table, k: int, ad, bd, ac_, bc_, a_src, b_src):
        """One cell run right to left over digit pairs, its carry fed to the next column;
        returns the digits, their confidences, the last carry and its confidence, and
        (recording) the digits' and the last carry's sources (``a_src(i)``, ``b_src(i)``:
        where column i's digits came from)."""
        carry, cconf = 0, 1.0
        out, conf = [], []
        by, csrc = ([], None) if self.record else (None, None)
        for i, (a, b, ac, bc) in enumerate(zip(ad, bd, ac_, bc_)):
            got = table[(a * 10 + b) * k + carry]
            if by is not None:
                call = CellCall(cell, (a, b, carry), (a_src(i), b_src(i), csrc), got)
                by.append(("c", call, 0))
                csrc = ("c", call, 1)
            dig, pd, carry, pc = got
            feed = ac if ac < bc else bc
            if cconf < feed:
                feed = cconf
            out.append(dig)
            conf.append(pd if pd < feed else feed)
            cconf = pc if pc < feed else feed
        return out, conf, carry, cconf, by, csrc

    @staticmethod
    def _carried(out, conf, carry, cconf, by, csrc) -> Digits:
        """The digits with a last carry written in front of them."""
        if carry:
            out.append(carry)
            conf.append(cconf)
            if by is not None:
                by.append(csrc)
        return trimmed(out, conf, by)

    def add(self, x: Digits, y: Digits) -> Digits:
        """x + y, right to left, the add cell writing each digit and carry."""
        _check(max(len(x.d), len(y.d)) + 1)
        return self._carried(*self._columns("add", self.t.add, x, y, 2))

    def subtract(self, x: Digits, y: Digits) -> tuple[Digits, int, float]:
        """x - y right to left with the sub cell; also the final borrow (1: y was larger)
        and its confidence. With a final borrow the digits are x - y + 10**n."""
        out, conf, borrow, bconf, by, _ = self._columns("sub", self.t.sub, x, y, 2)
        return trimmed(out, conf, by), borrow, bconf

    def times_digit(self, x: Digits, k: int, kconf: float = 1.0, ksrc=None) -> Digits:
        """x times one digit, the mul cell writing each digit and carry (``ksrc``: where
        the digit ``k`` came from, when recording)."""
        n = len(x.d)
        return self._carried(*self._cells("mul", self.t.mul, 9, x.d, [k] * n, x.c, [kconf] * n,
                                          lambda i: ("d", x, i), lambda i: ksrc))

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
            part = self.times_digit(x, k, kc, ("d", y, place)).shifted(place)
            total = part if total is None else self.add(total, part)
            rows.append((k, place, part, total))
        return (total if total is not None else Digits([0], [1.0])), rows

    def quotient_digit(self, rem: Digits, div: Digits, multiples: dict | None = None):
        """The next digit of long division (``rem`` < 10 × ``div``), the new remainder, and
        (recording) the digit's source.

        The quo cell estimates from the leading three digits of the remainder and the
        leading two of the divisor (a one-digit divisor reads as ``d0``, the remainder one
        place up, the same ratio); the estimate is never too small and at most two too
        big. Each try multiplies and subtracts with cells; a final borrow means the try
        did not fit, and the sub cell takes one off the digit. ``multiples``: the divisor's
        multiples worked so far in this division (a person's table of them), by digit.
        Returns (digit, confidence, remainder left, source)."""
        multiples = {} if multiples is None else multiples
        m = len(div.d)
        lo = 0 if m == 1 else m - 2  # the lowest place the cell reads
        if m == 1:
            dd = [0] + div.d
            rr = [0] + rem.d
        else:
            dd, rr = div.d[m - 2:], rem.d[m - 2:]
        r = [rr[i] if i < len(rr) else 0 for i in range(3)]
        got = self.t.quo[((r[2] * 10 + r[1]) * 10 + r[0]) * 100 + dd[1] * 10 + dd[0]] \
            if len(rr) <= 3 else None
        qsrc = None
        if self.record and got is not None:
            shift = 1 if m == 1 else 0  # a one-digit divisor's fields sit one place up
            read = [_src(rem, lo + i - shift) if i >= shift else None for i in (2, 1, 0)]
            read += [_src(div, lo + i - shift) if i >= shift else None for i in (1, 0)]
            call = CellCall("quo", (r[2], r[1], r[0], dd[1], dd[0]), tuple(read), got)
            qsrc = ("c", call, 0)
        if got is None:  # outside the cell's domain: only a broken cell leads here
            q, qconf = 9, 0.0
        else:
            q, qconf = got[0], got[1]
        qconf = min([qconf] + rem.c[-3:] + div.c[-2:])
        for _ in range(10):
            # (recording: each row multiplies afresh, so its digits trace to its own digit)
            part = None if self.record else multiples.get(q)
            if part is None:
                part = multiples[q] = self.times_digit(div, q, 1.0, qsrc)
            left, borrow, bconf = self.subtract(rem, part)
            if not borrow or q == 0:
                return q, min(qconf, bconf), left, qsrc
            got = self.t.sub[(q * 10 + 1) * 2]
            if self.record:
                qsrc = ("c", CellCall("sub", (q, 1, 0), (qsrc, None, None), got), 0)
            q, qconf = got[0], min(qconf, got[1], bconf)
        return q, 0.0, left, qsrc

    def long_divide(self, n: Digits, m: Digits, min_places: int, sig: int):
        """Long division of whole numbers, digit by digit into the decimals.

        Stops when the remainder is zero (the quotient is exact) or when at least
        ``min_places`` decimals and ``sig`` significant digits are written. Returns the
        quotient's digits (most significant first, ``places`` of them after the point),
        their confidences, ``places``, whether it ended exactly, and the working rows
        (remainder brought down, digit, remainder left, the digit's source)."""
        digits, confs, rows = [], [], []
        rem = Digits([0], [1.0], [None] if self.record else None)
        multiples: dict = {}
        src = list(zip(reversed(n.d), reversed(n.c)))
        places, seen = 0, 0
        i = 0
        while True:
            if i < len(src):
                dig, dc = src[i]
                dsrc = ("d", n, len(src) - 1 - i)
            else:
                if rem.is_zero():
                    return digits, confs, places, True, rows
                if places >= min_places and seen >= sig:
                    return digits, confs, places, False, rows
                dig, dc, dsrc, places = 0, 1.0, None, places + 1
            i += 1
            # bring down the next digit
            rem = trimmed([dig] + rem.d, [dc] + rem.c,
                          None if rem.by is None else [dsrc] + rem.by)
            _check(len(digits) + 1)
            if len(rem.d) < len(m.d):  # shorter than the divisor: a 0, as a person writes it
                q, qc, left, qsrc = 0, min(rem.c), rem, None
            else:
                q, qc, left, qsrc = self.quotient_digit(rem, m, multiples)
            rows.append((rem, q, left, qsrc))
            digits.append(q)
            confs.append(qc)
            seen += 1 if (seen or q) else 0
            rem = left
