"""The exact reference evaluator: Python ints and Fractions, never floats, never Python's eval.

This is the ground truth the app sets beside every network answer, so it must be exact at
any size. Non-integers are shown with 12 significant digits and a visible mark (``…``) where
digits were cut, or as an exact fraction on request.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Callable

from calcapp.expr.errors import DivisionByZero
from calcapp.expr.nodes import Binary, Group, Node, Num, Unary
from calcapp.expr.parser import normalise, parse, render

SIGNIFICANT_DIGITS = 12
# Non-integers below 10**-4 are written in scientific notation (as Python and most
# calculators do); above 10**SIGNIFICANT_DIGITS the digits would not fit either.
SCIENTIFIC_BELOW = -4
ROUNDED_MARK = "\u2026"  # …


Divide = Callable[[Fraction, Fraction], Fraction]


def exact_divide(left: Fraction, right: Fraction) -> Fraction:
    return Fraction(left) / right  # whole numbers are ints: int / int would be a float


def evaluate_node(node: Node, divide: Divide = exact_divide) -> Fraction:
    """Exact value of a tree; ``DivisionByZero`` carries the position of the ``/``.

    ``divide`` sets the division semantics (task specs pass a truncating one); it is only
    called with a non-zero divisor.
    """
    # Iterative post-order walk: deeply nested input must not hit Python's recursion limit.
    stack: list[tuple[Node, bool]] = [(node, False)]
    values: list[Fraction] = []
    while stack:
        cur, done = stack.pop()
        if isinstance(cur, Num):
            values.append(cur.value)
        elif isinstance(cur, Group):
            stack.append((cur.inner, False))
        elif isinstance(cur, Unary):
            if done:
                if cur.op == "-":
                    values[-1] = -values[-1]
            else:
                stack.append((cur, True))
                stack.append((cur.operand, False))
        elif isinstance(cur, Binary):
            if done:
                right = values.pop()
                left = values.pop()
                values.append(_apply(cur, left, right, divide))
            else:
                stack.append((cur, True))
                stack.append((cur.right, False))
                stack.append((cur.left, False))
    return values[0]


def _apply(node: Binary, left: Fraction, right: Fraction, divide: Divide) -> Fraction:
    if node.op == "+":
        return left + right
    if node.op == "-":
        return left - right
    if node.op == "*":
        return left * right
    if right == 0:
        raise DivisionByZero("division by zero", node.pos)
    return divide(left, right)


def format_value(value: Fraction, fraction: bool = False, digits: int = SIGNIFICANT_DIGITS) -> str:
    """Integers exactly; otherwise ``digits`` significant digits, cut (not rounded) with
    ``…`` where digits were dropped, so a shown value never claims more than it is.

    Very small or very large non-integers are written in scientific notation
    (``5.33327922208…e-5``), as a person reading a calculator expects. ``fraction=True``
    gives ``n/d`` for non-integers instead.
    """
    if isinstance(value, int):
        return str(value)
    if value.denominator == 1:
        return str(value.numerator)
    if fraction:
        return f"{value.numerator}/{value.denominator}"
    sign = "-" if value < 0 else ""
    value = abs(value)
    exp = _exponent(value)
    scaled = value * Fraction(10) ** (digits - 1 - exp)
    kept = scaled.numerator // scaled.denominator  # exactly ``digits`` digits
    mark = ROUNDED_MARK if kept != scaled else ""
    text = str(kept)
    if exp < SCIENTIFIC_BELOW or exp >= digits:
        rest = text[1:] if mark else text[1:].rstrip("0")  # a cut value keeps its zeros
        return f"{sign}{text[0]}{'.' + rest if rest else ''}{mark}e{exp}"
    if exp >= 0:
        whole, frac = text[:exp + 1], text[exp + 1:]
    else:
        whole, frac = "0", "0" * (-exp - 1) + text
    frac = frac if mark else frac.rstrip("0")
    return f"{sign}{whole}{'.' + frac if frac else ''}{mark}"


def _exponent(value: Fraction) -> int:
    """floor(log10(value)) of a positive Fraction, exactly (no float rounding)."""
    exp = len(str(value.numerator)) - len(str(value.denominator))
    while Fraction(10) ** exp > value:
        exp -= 1
    while Fraction(10) ** (exp + 1) <= value:
        exp += 1
    return exp


@dataclass(frozen=True)
class Result:
    """What the evaluator says about one input."""

    expression: str  # normalised, ASCII operators
    value: Fraction

    def text(self, fraction: bool = False) -> str:
        return format_value(self.value, fraction=fraction)


def evaluate(text: str) -> Result:
    """Parse and evaluate calculator input exactly. Raises ``CalcError`` subclasses."""
    node = parse(text)
    return Result(render(node), evaluate_node(node))


__all__ = ["evaluate", "evaluate_node", "format_value", "Result", "normalise"]
