"""The exact evaluator as the checker of a worked answer's steps (never its source).

A step is a rewrite of the whole expression (its value must be the input's), or a chain
``a = b = c`` of working (every part must equal the first). A part ending in ``…`` is a
quotient cut after its last digit: it must be the exact value cut there. ``NaN`` stands for
a division by zero.
"""

from __future__ import annotations

from fractions import Fraction

from calcapp.expr.errors import CalcError, DivisionByZero
from calcapp.expr.evaluator import ROUNDED_MARK, evaluate_node
from calcapp.expr.parser import parse

NAN = "NaN"


def _value(text: str):
    """A part's exact value; ``NAN`` for a division by zero; None if it cannot be read."""
    try:
        return evaluate_node(parse(text))
    except DivisionByZero:
        return NAN
    except CalcError:
        return None


def _agrees(part: str, want) -> bool:
    part = part.strip()
    if part == NAN:
        return want == NAN
    if want == NAN:  # a rewrite of an expression that divides by zero does too
        return _value(part) == NAN
    if want is None:
        return False
    if part.endswith(ROUNDED_MARK):
        cut = part[:-1]
        places = len(cut.partition(".")[2])
        try:
            shown = Fraction(cut)
        except ValueError:
            return False
        scaled = abs(Fraction(want)) * 10 ** places
        return (shown < 0) == (want < 0) and abs(shown) * 10 ** places == scaled.numerator // scaled.denominator
    return _value(part) == want


def step_ok(step: str, whole) -> bool:
    """Whether one step holds (``whole``: the input's exact value or ``NAN``)."""
    parts = step.split(" = ")
    if len(parts) == 1:
        return _agrees(step, whole)
    first = _value(parts[0])
    return first is not None and all(_agrees(p, first) for p in parts[1:])


def first_wrong_step(text: str, steps) -> int | None:
    """The index of the first step that does not hold, or None when all hold."""
    whole = _value(text)
    for i, step in enumerate(steps):
        if not step_ok(step, whole):
            return i
    return None
