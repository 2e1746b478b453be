"""Task specs: what a neural model was trained for, and so what it can be trusted with.

A ``TaskSpec`` is small, frozen and JSON-friendly; it travels inside every model card.
``spec.covers(text)`` says whether an input lies inside the task, ``spec.model_input(text)``
spells it the way the network was trained to read it, and ``spec.target(text)`` is the
answer the network must write, under the task's own semantics (integer quotient truncated
toward zero; ``NaN`` when any division is by zero, as in the seed models).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from fractions import Fraction
from typing import Any

from calcapp.expr.errors import CalcError, DivisionByZero
from calcapp.expr.evaluator import ROUNDED_MARK, evaluate_node, format_value
from calcapp.expr.nodes import Binary, Group, Node, Num, Unary
from calcapp.expr.parser import parse, render

NAN = "NaN"


def truncating_divide(left: Fraction, right: Fraction) -> Fraction:
    """Integer quotient truncated toward zero, as the seed models were trained."""
    q = abs(left) // abs(right)
    return q if (left < 0) == (right < 0) else -q


def task_answer(node: Node, exact: bool = False) -> str:
    """The answer string under task semantics for an already-parsed tree: ``NaN`` when any
    division is by zero. ``exact``: a task with real quotients, whose answer is the exact
    value as shown (``format_value``)."""
    try:
        if exact:
            return format_value(evaluate_node(node))
        return str(int(evaluate_node(node, divide=truncating_divide)))
    except DivisionByZero:
        return NAN


def same_answer(neural: str, target: str) -> bool:
    """Whether a network's number is an exact task's answer as shown: both formatted the
    same way, the cut mark aside (a network writes a quotient that does not end to more
    digits than are shown, without the mark)."""
    if neural == target:
        return True
    try:
        shown = format_value(Fraction(neural))
    except (ValueError, ZeroDivisionError):
        return False
    return shown.replace(ROUNDED_MARK, "") == target.replace(ROUNDED_MARK, "")


@dataclass(frozen=True)
class TaskSpec:
    """What a model reads and writes.

    ``max_digits`` bounds each operand's digits; ``operators`` is a subset of ``+-*/``;
    ``brackets`` allows one level of brackets; ``negatives`` allows unary minus (also after
    an operator and before a bracket); ``spaces`` and ``leading_zeros`` say the model was
    trained on operands written in a field of ``max_digits`` characters padded with spaces
    anywhere or with zeros (the "deep LSTM" seed's format). ``reverse_input`` and
    ``reverse_output`` flip the character order the network sees and writes.
    ``exact_quotients`` (the general model): decimals, unary plus, brackets nested up to
    ``max_depth``, real quotients; ``max_digits`` then bounds every number on the way.
    """

    name: str = "custom"
    max_digits: int = 3
    operators: str = "+"
    min_operands: int = 2
    max_operands: int = 2
    brackets: bool = False
    negatives: bool = False
    spaces: bool = False
    leading_zeros: bool = False
    reverse_input: bool = False
    reverse_output: bool = False
    exact_quotients: bool = False
    max_depth: int = 1
    description: str = field(default="", compare=False)

    def __post_init__(self):
        if not self.operators or set(self.operators) - set("+-*/"):
            raise ValueError(f"operators must be a subset of '+-*/', got {self.operators!r}")
        if not 1 <= self.max_digits <= (REACH if self.exact_quotients else 40):
            raise ValueError("max_digits must be between 1 and 40")
        if not 1 <= self.min_operands <= self.max_operands:
            raise ValueError("need 1 <= min_operands <= max_operands")

    # -- sizes -----------------------------------------------------------------------
    @property
    def max_input_len(self) -> int:
        """Longest input string the task can produce (the padded encoder length)."""
        n = self.max_operands
        per_operand = self.max_digits + (1 if self.negatives else 0)
        extra = (2 + (1 if self.negatives else 0)) if self.brackets else 0
        return n * per_operand + (n - 1) + extra

    @property
    def max_output_len(self) -> int:
        """Longest answer string (without any end marker)."""
        if self.exact_quotients:
            return self.max_digits + 2
        biggest = 10**self.max_digits - 1
        n = self.max_operands
        bound = biggest**n if "*" in self.operators else n * biggest
        length = len(str(bound))
        if self.negatives or "-" in self.operators:
            length += 1
        if "/" in self.operators:
            length = max(length, len(NAN))
        return length

    @property
    def two_operand(self) -> bool:
        return self.max_operands == 2 and self.min_operands == 2 and not self.brackets

    # -- coverage and answers ----------------------------------------------------------
    def why_not(self, text: str, node: Node | None = None) -> str | None:
        """``None`` if the input lies inside the task, else a reason a person can read.
        ``node``: the input already parsed."""
        if node is None:
            try:
                node = parse(text)
            except CalcError as exc:
                return str(exc)
        if self.exact_quotients:
            return self._why_not_general(node)
        nums, shape, depth = self._survey(node)
        for num in nums:
            if not num.is_integer:
                return "the task has integers only"
            digits = num.text if self.leading_zeros else (num.text.lstrip("0") or "0")
            if len(digits) > self.max_digits:
                return f"operands have at most {self.max_digits} digit{'' if self.max_digits == 1 else 's'}"
        if not self.min_operands <= len(nums) <= self.max_operands:
            if self.min_operands == self.max_operands:
                return f"the task has exactly {self.min_operands} operands"
            return f"the task has {self.min_operands} to {self.max_operands} operands"
        if shape is not None:
            return shape
        if depth > 1:
            return "the task has one level of brackets"
        if len(self.spell(node)) > self.max_input_len:
            return f"the input is longer than the task's {self.max_input_len} characters"
        return None

    def _why_not_general(self, node: Node) -> str | None:
        """Everything the parser reads, while the numbers on the way stay within reach.

        Each value is bounded as a fraction below 10**N over 10**D (a typed decimal is its
        digits over a power of ten): an input whose bound passes the reach is refused here;
        the rarer one that passes it on the way anyway gets the model's own reason."""
        bounds: list[tuple[int, int]] = []
        count = 0
        stack: list[tuple[Node, bool, int]] = [(node, False, 0)]
        while stack:
            sub, done, level = stack.pop()
            if isinstance(sub, Num):
                count += 1
                if count > self.max_operands:
                    return f"the task has at most {self.max_operands} numbers"
                whole, _, frac = sub.text.partition(".")
                bounds.append((max(1, len((whole + frac).lstrip("0"))), len(frac)))
            elif isinstance(sub, Group):
                if level + 1 > self.max_depth:
                    return f"the task has brackets nested at most {self.max_depth} deep"
                stack.append((sub.inner, False, level + 1))
            elif isinstance(sub, Unary):
                stack.append((sub.operand, False, level))
            elif not done:
                stack += [(sub, True, level), (sub.right, False, level), (sub.left, False, level)]
            else:
                (nb, db), (na, da) = bounds.pop(), bounds.pop()
                n, d = {"+": (max(na + db, nb + da) + 1, da + db), "-": (max(na + db, nb + da) + 1, da + db),
                        "*": (na + nb, da + db), "/": (na + db, da + nb)}[sub.op]
                if n + d > self.max_digits:
                    return f"a number on the way could pass the model's reach of {self.max_digits} digits"
                bounds.append((n, d))
        return None

    def _survey(self, node: Node) -> tuple[list[Num], str | None, int]:
        """One walk over the tree (parents first, left to right): its numbers, the first
        operator, sign or bracket the task lacks (as a reason), and the bracket depth."""
        nums: list[Num] = []
        shape, depth = None, 0
        stack = [(node, 0)]
        while stack:
            sub, level = stack.pop()
            if isinstance(sub, Num):
                nums.append(sub)
            elif isinstance(sub, Binary):
                if shape is None and sub.op not in self.operators:
                    shape = f"the task's operators are {' '.join(self.operators)}"
                stack += [(sub.right, level), (sub.left, level)]
            elif isinstance(sub, Unary):
                if shape is None and (sub.op == "+" or not self.negatives):
                    shape = "the task has no signs on numbers"
                stack.append((sub.operand, level))
            else:
                if shape is None and not self.brackets:
                    shape = "the task has no brackets"
                depth = max(depth, level + 1)
                stack.append((sub.inner, level + 1))
        return nums, shape, depth

    def covers(self, text: str) -> bool:
        return self.why_not(text) is None

    def spell(self, node: Node) -> str:
        """A parsed input spelled as the network reads it."""
        if self.exact_quotients:  # the general model reads the input as typed, normalised
            return render(node)
        def number(num: Num) -> str:
            if self.spaces and len(num.raw) <= self.max_digits:
                return num.raw
            if self.leading_zeros and len(num.text) <= self.max_digits:
                return num.text
            return num.text.lstrip("0") or "0"

        return render(node, number)

    def model_input(self, text: str) -> str:
        """The input spelled as the network reads it (before any reversal)."""
        return self.spell(parse(text))

    def target(self, text: str) -> str:
        """The answer the network must write, under the task's semantics."""
        return task_answer(parse(text))

    # -- (de)serialisation -----------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TaskSpec":
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})

    def with_(self, **changes: Any) -> "TaskSpec":
        return replace(self, **changes)


REACH = 200  # the most digits a number on the way may have, for an exact-quotients task

# The bundled models' tasks and the seed experiments, by name.
PRESETS: dict[str, TaskSpec] = {
    spec.name: spec
    for spec in [
        TaskSpec("add1", max_digits=1, operators="+",
                 description="a+b, one digit each (the 77-parameter seed)"),
        TaskSpec("add3", max_digits=3, operators="+",
                 description="a+b, operands up to 3 digits (the Keras addition example)"),
        TaskSpec("add3-reversed", max_digits=3, operators="+", reverse_input=True,
                 description="the Keras example exactly: 3-digit addition, reversed input"),
        TaskSpec("arith3", max_digits=3, operators="+-*/", spaces=True, leading_zeros=True,
                 description="two operands of up to 3 characters with spaces and leading "
                             "zeros, + - * / (integer quotient, NaN on /0)"),
        TaskSpec("expr", max_digits=2, operators="+-*/", min_operands=2, max_operands=4,
                 brackets=True, negatives=True,
                 description="2-4 operands of up to 2 digits, unary minus, one level of "
                             "brackets"),
        TaskSpec("add-long", max_digits=10, operators="+",
                 description="addition of up to 10-digit operands (trained on up to 3)"),
        TaskSpec("general", max_digits=REACH, operators="+-*/", min_operands=1,
                 max_operands=32, brackets=True, negatives=True, exact_quotients=True,
                 max_depth=128,
                 description="what people type: decimals, any number of operands, nested "
                             "brackets, signs, real quotients (NaN on /0); numbers on the "
                             "way up to 200 digits"),
    ]
}


# The exact-match rate a model must reach on fresh test expressions before "Auto" trusts
# it with its task (the bundled recipes' goals); a task of another name needs DEFAULT_GOAL.
GOALS: dict[str, float] = {"add1": 1.0, "add3": 0.999, "add3-reversed": 0.99,
                           "arith3": 0.99, "expr": 0.97, "add-long": 0.95}
DEFAULT_GOAL = 0.95


def goal(spec: TaskSpec) -> float:
    """The exact-match rate a model of this task must reach to be picked automatically."""
    return GOALS.get(spec.name, DEFAULT_GOAL)


def preset(name: str) -> TaskSpec:
    try:
        return PRESETS[name]
    except KeyError:
        raise KeyError(f"unknown task {name!r}; known: {', '.join(PRESETS)}") from None
