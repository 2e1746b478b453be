"""The written procedure: an expression worked one operation at a time, the way a person
works on paper, every digit asked of the cells (``digits.Columns``).

What is prepared symbolically, and shown in the steps: the order of operations (the parse
tree, left to right), moving the decimal point (``2.5×4 = 25×4÷10``), lining up columns,
keeping a quotient that does not end as a fraction until the end (``7÷3 = 7/3``, so
``7/3×3`` comes out 7 and not 6.999…), signs. The arithmetic itself (every sum, product,
carry, borrow and quotient digit) comes from the cells.

Each value is ``±num / (den × 10**scale)``; ``den`` is ``None`` for a decimal.

With ``whole_quotients`` (a model whose task is the seed tasks' integer arithmetic, arith3
or expr) every division stops at its quotient's whole part, the remainder dropped: the
quotient of the magnitudes with the sign of the two signs, so cut toward zero, as
``tasks.truncating_divide`` defines it; each later operation reads that whole number.
"""

from __future__ import annotations

from dataclasses import dataclass

from calcapp.arithmetic.columns.digits import Columns, Digits, compare, trimmed
from calcapp.expr.nodes import Binary, Group, Node, Num, Unary
from calcapp.expr.parser import parse

SIGNIFICANT = 15  # digits written for a quotient that does not end...
PLACES = 13  # ...and at least this many after the point (a display of 12 decimals)
# A quotient is tried this far for an end (any ending quotient of a divisor of up to 9
# digits ends by then); one that goes on is kept as an exact fraction, never cut.
ENDS_WITHIN = 40
DIVISION_ROWS = 12  # long-division rows shown per division (the result line always is)
NAN = "NaN"


class DivideByZero(Exception):
    """A step divides by zero: the answer is NaN."""


@dataclass
class Val:
    neg: bool
    num: Digits
    den: Digits | None = None
    scale: int = 0
    approx: tuple[str, list[float]] | None = None  # a fraction's quotient digits, cut

    def decimal(self) -> str:
        s = self.num.text()
        if self.scale:
            s = s.rjust(self.scale + 1, "0")
            s = s[:-self.scale] + "." + s[-self.scale:]
        return ("-" if self.neg and not self.num.is_zero() else "") + s

    def text(self) -> str:
        """As written in an expression (a fraction in brackets)."""
        if self.den is None:
            return self.decimal()
        return f"({self.decimal()}/{self.den.text()})"


def _num(node: Num) -> Val:
    whole, _, frac = node.text.partition(".")
    v = Val(False, Digits.of(whole + frac), None, len(frac))
    return _tidy(v)


def _tidy(v: Val) -> Val:
    """Trailing zeros after the point dropped (reading, not arithmetic)."""
    d, c, s = v.num.d, v.num.c, v.scale
    i = 0
    while i < s and i < len(d) - 1 and d[i] == 0:
        i += 1
    if v.num.is_zero():
        return Val(False, v.num, None, 0)
    by = None if v.num.by is None else v.num.by[i:]
    return Val(v.neg, Digits(d[i:], c[i:], by), v.den, s - i, v.approx)


class Worker:
    """Works one expression, collecting the step lines. With a recording ``Columns``,
    ``notes`` keeps, for each line whose digits cells wrote, the line's input and output
    numbers (``note``): what ``reads.step_map`` needs to say which digits each cell read."""

    def __init__(self, cols: Columns, whole_quotients: bool = False):
        self.cols = cols
        self.whole_quotients = whole_quotients  # each quotient cut to its whole part
        self.lines: list[str] = []
        self.done: dict[int, Val] = {}
        self.final = False
        self.notes: dict[int, tuple[list, list]] = {}

    def note(self, parts) -> None:
        """The line just written: ``parts()`` gives its inputs and outputs as lists of
        parts, each a literal string or ``(text, digits)`` (a number as written) or
        ``(text, digits, pos)`` (one digit of a number). A function, so that the answer
        path (not recording) spends nothing on it."""
        if self.cols.record:
            self.notes[len(self.lines) - 1] = parts()

    # -- the walk -------------------------------------------------------------------------
    def run(self, text: str) -> tuple[str, list[float], list[str], bool]:
        """The answer text, its per-character confidence, the step lines, whether exact."""
        self.root = parse(text)
        self.last = self.root  # the operation whose result is the answer's value
        while isinstance(self.last, (Group, Unary)):
            self.last = self.last.inner if isinstance(self.last, Group) else self.last.operand
        self.lines.append(self.render(self.root))
        try:
            v = self.value(self.root)
        except DivideByZero:
            self.lines.append(NAN)
            return NAN, [1.0] * 3, self.lines, True
        if v.den is not None:
            if v.approx is None:  # (never: the last operation writes the digits)
                v = self.settle(v, show=True, final=True)
            digits, conf = v.approx  # (unsigned: a sign may have come after)
            if v.neg:
                digits, conf = "-" + digits, [1.0] + conf
            self.lines.append(digits + "\u2026")
            return digits, conf, self.lines, False
        text_out = v.decimal()
        conf = self._char_conf(v)
        if self.lines[-1] != text_out:
            self.lines.append(text_out)
        return text_out, conf, self.lines, True

    @staticmethod
    def _char_conf(v: Val) -> list[float]:
        """Digits' confidences laid over the written number; the sign and point are sure."""
        digits = list(reversed(v.num.c))
        pad = max(0, v.scale + 1 - len(digits))
        digits = [1.0] * pad + digits
        out = [1.0] if v.neg and not v.num.is_zero() else []
        for i, c in enumerate(digits):
            if v.scale and i == len(digits) - v.scale:
                out.append(1.0)
            out.append(c)
        return out

    def value(self, node: Node) -> Val:
        if isinstance(node, Num):
            return _num(node)
        if isinstance(node, Group):
            return self.value(node.inner)
        if isinstance(node, Unary):
            v = self.value(node.operand)
            if node.op == "-":
                v = Val(not v.neg, v.num, v.den, v.scale, v.approx)
                v = _tidy(v)
            return self.resolved(node, v, show=node.op == "-")
        left, right = self.value(node.left), self.value(node.right)
        op = {"+": self.add, "-": self.add, "*": self.mul, "/": self.div}[node.op]
        self.final = node is self.last
        return self.resolved(node, op(left, right, node.op))

    def resolved(self, node: Node, v: Val, show: bool = True) -> Val:
        self.done[id(node)] = v
        if show:
            line = self.render(self.root)
            if line != self.lines[-1]:
                self.lines.append(line)
        return v

    def render(self, node: Node) -> str:
        """The expression with every worked part written as its value."""
        v = self.done.get(id(node))
        if v is not None:
            return v.text()
        if isinstance(node, Num):
            return node.text
        if isinstance(node, Unary):
            return node.op + self.render(node.operand)
        if isinstance(node, Binary):
            return self.render(node.left) + node.op + self.render(node.right)
        inner = self.render(node.inner)
        v = self.done.get(id(node.inner))
        if v is not None and not v.neg and v.den is None:
            return inner  # a worked bracket: its value alone
        return inner if inner.startswith("(") and v is not None else f"({inner})"

    # -- the operations -------------------------------------------------------------------
    def _times(self, x: Digits, y: Digits | None) -> Digits:
        """x × y by long multiplication with its rows as lines (``y`` None: x itself)."""
        if y is None:
            return x
        prod, rows = self.cols.multiply(x, y)
        if len(rows) > 1:
            first, second = (x, y) if len(x.d) >= len(y.d) else (y, x)
            total = None
            for k, place, part, running in rows:
                self.lines.append(f"{first.text()}\u00d7{k}{'0' * place} = {part.text()}")
                self.note(lambda: ([(first.text(), first), "\u00d7", (str(k), second, place),
                                    "0" * place], [(part.text(), part)]))
                if total is not None:
                    self.lines.append(f"{total.text()}+{part.text()} = {running.text()}")
                    self.note(lambda: ([(total.text(), total), "+", (part.text(), part)],
                                       [(running.text(), running)]))
                total = running
        self.lines.append(f"{x.text()}\u00d7{y.text()} = {prod.text()}")
        self.note(lambda: ([(x.text(), x), "\u00d7", (y.text(), y)], [(prod.text(), prod)]))
        return prod

    @staticmethod
    def _den_times(a: Digits | None, b: Digits | None):
        return [d for d in (a, b) if d is not None]

    def add(self, a: Val, b: Val, op: str) -> Val:
        """a ± b: the points lined up (and fractions brought to one denominator), then
        the larger magnitude less the smaller, or the two added, column by column."""
        s = max(a.scale, b.scale)
        x, y = a.num.shifted(s - a.scale), b.num.shifted(s - b.scale)
        den = None
        if a.den is not None or b.den is not None:
            x, y = self._times(x, b.den), self._times(y, a.den)
            dens = self._den_times(a.den, b.den)
            den = dens[0] if len(dens) == 1 else self._times(dens[0], dens[1])
        if s or den is not None:
            self.lines.append(f"{a.text()}{op}{b.text()} = "
                              f"({_sign(a.neg)}{x.text()}{op}{_sign(b.neg)}{y.text()})"
                              f"/{_over(den, s)}")
        bneg = b.neg != (op == "-")
        if a.neg == bneg:
            mag, neg, sign, first, second = self.cols.add(x, y), a.neg, "+", x, y
        elif compare(x, y) >= 0:
            mag, neg, sign, first, second = self.cols.subtract(x, y)[0], a.neg, "\u2212", x, y
        else:
            mag, neg, sign, first, second = self.cols.subtract(y, x)[0], bneg, "\u2212", y, x
        self.lines.append(f"{first.text()}{sign}{second.text()} = {mag.text()}")
        self.note(lambda: ([(first.text(), first), sign, (second.text(), second)],
                           [(mag.text(), mag)]))
        return self.settle(Val(neg, mag, den, s))

    def mul(self, a: Val, b: Val, op: str = "*") -> Val:
        """a × b: the digits multiplied as whole numbers, the point placed after."""
        s = a.scale + b.scale
        if s:
            self.lines.append(f"{a.decimal()}\u00d7{b.decimal()} = "
                              f"{a.num.text()}\u00d7{b.num.text()}\u00f7{_over(None, s)}")
        prod = self._times(a.num, b.num)
        dens = self._den_times(a.den, b.den)
        den = None if not dens else dens[0] if len(dens) == 1 else self._times(dens[0], dens[1])
        return self.settle(Val(a.neg != b.neg, prod, den, s))

    def div(self, a: Val, b: Val, op: str = "/") -> Val:
        """a ÷ b: both made whole (the point moved in both), fractions turned over, then
        long division."""
        if b.num.is_zero():
            self.lines.append(f"{a.text()}\u00f7{b.text()} = {NAN}")
            raise DivideByZero()
        low = min(a.scale, b.scale)
        num = self._times(a.num, b.den).shifted(b.scale - low)
        den = self._times(b.num, a.den).shifted(a.scale - low)
        if a.scale or b.scale or a.den or b.den:
            self.lines.append(f"{a.text()}\u00f7{b.text()} = {num.text()}\u00f7{den.text()}")
        if self.whole_quotients:
            return self.whole_part(Val(a.neg != b.neg, num, den, 0))
        return self.settle(Val(a.neg != b.neg, num, den, 0), show=True)

    def whole_part(self, v: Val) -> Val:
        """A fraction's quotient cut toward zero: long division that stops where the
        dividend's digits run out (no decimals), its sign that of the fraction."""
        digits, confs, _, exact, rows = self.cols.long_divide(v.num, v.den, min_places=0, sig=0)
        self._division_rows(rows, v.den)
        qby = [r[3] for r in reversed(rows)] if self.cols.record else None
        out = _tidy(Val(v.neg, trimmed(list(reversed(digits)), list(reversed(confs)), qby)))
        lhs = f"{_sign(v.neg)}{v.num.text()}\u00f7{v.den.text()}"
        self.lines.append(f"{lhs} = {out.decimal()}" if exact else
                          f"{lhs} \u2192 {out.decimal()} (the whole part, cut toward zero)")
        self.note(lambda: ([_sign(v.neg), (v.num.text(), v.num), "\u00f7", (v.den.text(), v.den)],
                           [(out.decimal(), out.num)]))
        return out

    def _division_rows(self, rows, m: Digits) -> None:
        """Long division's rows as lines, from the first nonzero digit on."""
        shown = [r for i, r in enumerate(rows) if r[1] or any(p[1] for p in rows[:i])]
        for rem, q, left, qsrc in shown[:DIVISION_ROWS]:
            self.lines.append(f"{rem.text()} = {q}\u00d7{m.text()}+{left.text()}")
            self.note(lambda: ([(rem.text(), rem), "\u00f7", (m.text(), m)],
                               [(str(q), Digits([q], [1.0], [qsrc])), "+",
                                (left.text(), left)]))

    def settle(self, v: Val, show: bool = False, final: bool | None = None) -> Val:
        """A fraction long-divided: kept as a decimal when the division ends within the
        places an ending quotient of that divisor needs (``ENDS_WITHIN`` at most), else
        kept as an exact fraction (with its quotient's first digits, for the answer)."""
        if v.den is None:
            return _tidy(v)
        n, m = v.num, v.den
        final = self.final if final is None else final
        ends = min(4 * len(m.d) + 2, ENDS_WITHIN)
        digits, confs, places, exact, rows = self.cols.long_divide(
            n, m, min_places=max(ends, PLACES) if final else ends, sig=SIGNIFICANT if final else 0)
        if show or exact:
            self._division_rows(rows, m)
        qby = [r[3] for r in reversed(rows)] if self.cols.record else None
        q = trimmed(list(reversed(digits)), list(reversed(confs)), qby)
        quotient = Val(v.neg, q, None, v.scale + places)
        lhs = f"{_sign(v.neg)}{n.text()}\u00f7{m.text()}" if not v.scale else \
            f"{Val(v.neg, n, None, v.scale).decimal()}\u00f7{m.text()}"

        def lhs_parts() -> list:  # (only when recording)
            return [_sign(v.neg), (lhs[len(_sign(v.neg)):lhs.index("\u00f7")], n), "\u00f7",
                    (m.text(), m)]

        if exact:
            out = _tidy(quotient)
            self.lines.append(f"{lhs} = {out.decimal()}")
            self.note(lambda: (lhs_parts(), [(out.decimal(), out.num)]))
            return out
        kept = Val(v.neg, n, m, v.scale)
        approx = _tidy(quotient)
        shown = approx.decimal()
        approx.neg = False
        if final:  # the answer's digits (an earlier quotient's are not written out)
            kept.approx = (approx.decimal(), self._char_conf(approx))
        self.lines.append(f"{lhs} = {shown}\u2026 = {kept.text()}")
        self.note(lambda: (lhs_parts(), [(shown, approx.num), "\u2026"]))
        return kept


def _sign(neg: bool) -> str:
    return "-" if neg else ""


def _over(den: Digits | None, scale: int) -> str:
    """The common denominator as written: a fraction's and/or a power of ten."""
    ten = "1" + "0" * scale
    if den is None:
        return ten
    return den.text() if not scale else f"({den.text()}\u00d7{ten})"
