"""Checking a written equation ``a=b``, like marking homework.

A line with an '=' and something after it is a claim, not a question: both sides are
evaluated exactly and compared, and the left side's value is the answer the writer should
have written. ``a=`` (nothing after the '=') is an ordinary question and is not handled here.
"""

from __future__ import annotations

from calcapp.expr.errors import CalcError
from calcapp.expr.evaluator import evaluate_node, format_value
from calcapp.expr.parser import parse

MAX_LEN = 1000


def split_equation(text: str) -> tuple[str, str] | None:
    """(left, right) of ``left=right`` with both sides non-empty, else ``None``."""
    if not isinstance(text, str) or len(text) > MAX_LEN or text.count("=") != 1:
        return None
    left, right = (t.strip() for t in text.split("="))
    return (left, right) if left and right else None


def check_equation(text: str) -> dict | None:
    """``{"left", "right", "holds", "answer"}`` for ``a=b``; ``None`` when the line is no
    equation. A side that cannot be evaluated gives ``holds: None`` and an ``error``."""
    sides = split_equation(text)
    if sides is None:
        return None
    left, right = sides
    out = {"left": left, "right": right, "holds": None, "answer": None}
    try:
        lv = evaluate_node(parse(left))
        out["answer"] = format_value(lv)
        rv = evaluate_node(parse(right))
    except CalcError as exc:
        out["error"] = str(exc)
        return out
    out["holds"] = lv == rv
    return out


def verdict(check: dict) -> str:
    """One line for a person: '12+34=46 holds' or '12+34≠47: the right side should be 46'.
    No ✓ or ✗: in calcapp those mean only whether the network's answer equals the exact one,
    and no network answers a checked equation."""
    if check.get("holds") is None:
        return f"cannot check: {check.get('error', 'unreadable')}"
    if check["holds"]:
        return f"{check['left']}={check['right']} holds"
    return f"{check['left']}\u2260{check['right']}: the right side should be {check['answer']}"
