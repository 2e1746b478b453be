"""How right a calculator is: exact match first, characters second, and where it fails.

Pure Python + NumPy over strings, so the same functions score hand-made predictions in
tests, the Keras path during training and the NumPy predictor in benchmarks. Breakdowns
(by operator, operand length, answer length) and the (a, b) error grid show *where* a model
fails, which a single accuracy figure hides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

import numpy as np

from calcapp.expr.nodes import Binary, numbers, walk
from calcapp.expr.parser import parse
from calcapp.expr.tasks import TaskSpec


def char_matches(prediction: str, target: str) -> tuple[int, int]:
    """(matching positions, compared positions) with both strings aligned at the start."""
    return sum(a == b for a, b in zip(prediction, target)), max(len(prediction), len(target), 1)


def _rates(pairs: Sequence[tuple[str, str]]) -> dict[str, float | int]:
    n = len(pairs)
    if not n:
        return {"n": 0, "exact_match": None, "char_accuracy": None}
    exact = sum(p == t for p, t in pairs)
    hit = total = 0
    for p, t in pairs:
        h, c = char_matches(p, t)
        hit, total = hit + h, total + c
    return {"n": n, "exact_match": exact / n, "char_accuracy": hit / total}


def operator_of(text: str) -> str:
    """The binary operators used, in ``+-*/`` order (``"+"``, ``"+*"``...)."""
    ops = {node.op for node in walk(parse(text)) if isinstance(node, Binary)}
    return "".join(op for op in "+-*/" if op in ops) or "none"


def operand_length(text: str) -> int:
    """Digits of the longest operand, leading zeros not counted."""
    return max(len(num.text.lstrip("0") or "0") for num in numbers(parse(text)))


def score(
    inputs: Sequence[str], targets: Sequence[str], predictions: Sequence[str]
) -> dict:
    """Exact-match and character accuracy overall and broken down three ways."""
    if not len(inputs) == len(targets) == len(predictions):
        raise ValueError("inputs, targets and predictions must have the same length")
    groups: dict[str, dict] = {"by_operator": {}, "by_operand_length": {}, "by_answer_length": {}}
    for text, t, p in zip(inputs, targets, predictions):
        for name, key in (("by_operator", operator_of(text)),
                          ("by_operand_length", str(operand_length(text))),
                          ("by_answer_length", str(len(t)))):
            groups[name].setdefault(key, []).append((p, t))
    result = _rates(list(zip(predictions, targets)))
    for name, table in groups.items():
        result[name] = {k: _rates(v) for k, v in sorted(table.items())}
    wrong = [(x, t, p) for x, t, p in zip(inputs, targets, predictions) if p != t]
    result["errors"] = [{"input": x, "target": t, "answer": p} for x, t, p in wrong[:20]]
    return result


@dataclass
class ErrorGrid:
    """``correct[i, j]`` says whether ``a_values[i] op b_values[j]`` came out right."""

    op: str
    a_values: np.ndarray
    b_values: np.ndarray
    correct: np.ndarray
    wrong: dict[tuple[int, int], tuple[str, str]] = field(default_factory=dict)  # (answer, target)

    @property
    def accuracy(self) -> float:
        return float(self.correct.mean()) if self.correct.size else 0.0


def error_grid(
    predict: Callable[[list[str]], list[str]],
    spec: TaskSpec,
    op: str | None = None,
    a_values: Iterable[int] | None = None,
    b_values: Iterable[int] | None = None,
) -> ErrorGrid:
    """Answer every ``a op b`` of a two-operand task and mark each right or wrong.

    ``predict`` maps raw texts to answer strings (e.g. ``lambda t: [p.text for p in
    predictor.predict(t)]``). Values default to every operand the task allows, which is
    10^6 cells for 3 digits: pass ranges to draw a part of it.
    """
    if not spec.two_operand:
        raise ValueError("an error grid needs a task with exactly two operands")
    op = op or spec.operators[0]
    top = 10 ** spec.max_digits
    a_vals = np.array(list(a_values) if a_values is not None else range(top))
    b_vals = np.array(list(b_values) if b_values is not None else range(top))
    texts = [f"{a}{op}{b}" for a in a_vals for b in b_vals]
    answers = predict(texts)
    targets = [spec.target(t) for t in texts]
    ok = np.array([p == t for p, t in zip(answers, targets)]).reshape(len(a_vals), len(b_vals))
    wrong = {}
    for k, (p, t) in enumerate(zip(answers, targets)):
        if p != t:
            wrong[(int(a_vals[k // len(b_vals)]), int(b_vals[k % len(b_vals)]))] = (p, t)
    return ErrorGrid(op, a_vals, b_vals, ok, wrong)
