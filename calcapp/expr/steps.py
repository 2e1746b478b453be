"""An expression worked out one operation at a time, the way a person rewrites it on paper.

Why: a network that must produce ``6--(12+56)+62`` = 136 in one go has to parse, keep
precedence and do three operations at once; the seed models with brackets failed at that.
Rewritten step by step (``6--(12+56)+62`` -> ``6--68+62`` -> ``74+62`` -> ``136``) every
step is one operation on two numbers plus copying, and a rewriting network (the ``rewrite``
option of the attention architecture) repeats it until a number is left. Every step still
has the task's value (the integer quotient is applied where the division happens), so a
step is exactly as right as the answer it leads to.

One step:
- the first operation in the evaluator's order whose two operands are (signed) numbers is
  done (a left operand before a right one; × and ÷ before the + or − they belong to);
- a bracket left holding a single number loses its brackets in the same step, and a minus
  before it is folded into the number (``-(13+-89)`` -> ``76``);
- a division by zero ends the work with ``NaN``.
"""

from __future__ import annotations

from fractions import Fraction

from calcapp.expr.nodes import Binary, Group, Node, Num, Unary
from calcapp.expr.parser import parse, render
from calcapp.expr.tasks import NAN, truncating_divide

MAX_STEPS = 12  # an expression of the expr task needs at most 4


def _atom(node: Node) -> Fraction | None:
    """The value of a number or a negated number, else None."""
    if isinstance(node, Num):
        return node.value
    if isinstance(node, Unary) and node.op == "-" and isinstance(node.operand, Num):
        return -node.operand.value
    return None


def number(value: Fraction) -> Node:
    """A value as a (negated) number node."""
    num = Num(abs(value), str(abs(value)), str(abs(value)), 0)
    return Unary("-", num, 0) if value < 0 else num


def _apply(op: str, a: Fraction, b: Fraction) -> Fraction:
    if op == "/":
        if b == 0:
            raise ZeroDivisionError
        return truncating_divide(a, b)
    return {"+": a + b, "-": a - b, "*": a * b}[op]


def _unwrap(node: Node) -> Node:
    """``(n)`` -> ``n`` and ``-(n)`` -> ``-n`` once the bracket holds a single number."""
    if isinstance(node, Group) and _atom(node.inner) is not None:
        return node.inner
    if isinstance(node, Unary) and node.op == "-":
        inner = node.operand.inner if isinstance(node.operand, Group) else node.operand
        if not isinstance(inner, Num) and _atom(inner) is not None:  # -(n), -(-n), --n
            return number(-_atom(inner))
        if isinstance(inner, Num) and (inner.value == 0 or isinstance(node.operand, Group)):
            return number(-inner.value)  # -(n) -> -n, and no "-0"
    return node


def _step(node: Node) -> tuple[Node, bool]:
    """(the tree after one operation, whether one was done)."""
    if isinstance(node, Num) or _atom(node) is not None:
        return node, False
    if isinstance(node, Binary):
        a, b = _atom(node.left), _atom(node.right)
        if a is not None and b is not None:
            return number(_apply(node.op, a, b)), True
        for side in ("left", "right"):
            child, done = _step(getattr(node, side))
            if done:
                child = _unwrap(child)
                left, right = (child, node.right) if side == "left" else (node.left, child)
                return Binary(node.op, left, right, node.pos), True
        return node, False
    inner = node.inner if isinstance(node, Group) else node.operand
    child, done = _step(inner)
    rebuilt = Group(child, node.pos) if isinstance(node, Group) else Unary(node.op, child, node.pos)
    if done:
        return _unwrap(rebuilt), True
    unwrapped = _unwrap(rebuilt)  # a bracket typed around a lone number
    return unwrapped, unwrapped is not rebuilt


def operation(before: str, after: str) -> str:
    """The operator a step did (the first whose count went down), or "()" for a bracket
    taken off a lone number: for reports and for weighting training steps."""
    for op in "*/+-":
        if after.count(op) < before.count(op):
            return op
    return "()"


def operand_digits(text: str) -> int:
    """Digits of the larger operand of the operation the next step does (0 for none):
    ``operand_digits("3+9801/7") == 4``. Why: the long operands are the rare, hard steps,
    and training weights them by size (``step_weights`` keys like ``"/4"``)."""
    def first(node: Node):
        if isinstance(node, Num) or _atom(node) is not None:
            return None
        if isinstance(node, Binary):
            a, b = _atom(node.left), _atom(node.right)
            if a is not None and b is not None:
                return a, b
            return first(node.left) or first(node.right)
        return first(node.inner if isinstance(node, Group) else node.operand)

    found = first(parse(text))
    return max(len(str(abs(int(v)))) for v in found) if found else 0


def is_final(text: str) -> bool:
    """Whether a working text is an answer: a (negative) whole number or ``NaN``."""
    body = text[1:] if text.startswith("-") else text
    return text == NAN or (body.isdigit() and body == (body.lstrip("0") or "0"))


def next_step(text: str) -> str:
    """The working text after one operation (``NaN`` on a division by zero)."""
    try:
        node, done = _step(parse(text))
    except ZeroDivisionError:
        return NAN
    if not done:
        raise ValueError(f"{text!r} has nothing left to work out")
    return render(node, lambda n: n.text.lstrip("0") or "0")


def steps(text: str) -> list[str]:
    """Every working text from the input (spelled compactly) to the answer, inclusive:
    ``steps("6--(12+56)+62") == ["6--(12+56)+62", "6--68+62", "74+62", "136"]``."""
    out = [render(parse(text), lambda n: n.text.lstrip("0") or "0")]
    while not is_final(out[-1]):
        if len(out) > MAX_STEPS:
            raise ValueError(f"{text!r} needs more than {MAX_STEPS} steps")
        out.append(next_step(out[-1]))
    return out
