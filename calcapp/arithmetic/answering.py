"""Answers an input three ways at once: as read, exactly, and by a network.

This is the one place that decides what the CLI prints and what the window shows: the
normalised expression, the exact value, the chosen model's target under its task's
semantics, the network's answer with per-character confidence, and whether they match.
``match`` means one thing only: the network's answer is the exact answer (integers exactly,
non-integers at 12 significant digits, ``NaN`` for a division by zero). A model whose task
defines another answer (the integer quotient) can meet its target and still be marked
wrong: ``task_note`` says so in words, and ``target`` keeps the task's answer.
Inputs are grouped per model so a file of 10,000 lines costs a few batched forward passes.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from typing import Callable, Iterable

from calcapp.expr.errors import CalcError, DivisionByZero, EvaluationError
from calcapp.expr.evaluator import ROUNDED_MARK, format_value, evaluate_node
from calcapp.expr.parser import parse, render
from calcapp.expr.tasks import NAN, task_answer
from calcapp.arithmetic.columns.checking import first_wrong_step
from calcapp.nets.devices import pick_inference
from calcapp.nets.registry import ModelInfo, best_for, list_models, meets_goal


@dataclass
class Answer:
    input: str
    expression: str | None = None
    exact: str | None = None
    target: str | None = None
    neural: str | None = None
    model: str | None = None
    match: bool | None = None
    error: str | None = None
    error_pos: int | None = None  # 0-based position of the error, when it has one
    confidence: list[float] = field(default_factory=list)  # one per neural character
    outside: str | None = None  # why no model covers the input, when none does
    reasons: list[str] = field(default_factory=list)  # "model: why not", one per model
    steps: list[str] = field(default_factory=list)  # a rewriting model's working texts
    wrong_step: int | None = None  # a wrong answer's first step the exact evaluator rejects
    device: str | None = None  # what answered: numpy, keras-gpu or keras-cpu

    def to_json(self) -> dict:
        keys = ("input", "expression", "exact", "target", "neural", "model", "match", "error")
        data = asdict(self)
        out = {k: data[k] for k in keys}
        if self.steps:  # only a rewriting model has them
            out["steps"] = list(self.steps)
        if self.wrong_step is not None:
            out["wrong_step"] = self.wrong_step
        if self.device:
            out["device"] = self.device
        return out

    def task_note(self) -> str | None:
        """A plain line when the model's task defines another answer than the exact one
        (``arith3 answers integer quotients: 3``), else None."""
        if self.neural is None or self.target is None or self.exact is None:
            return None
        if self.target == self.exact:
            return None
        return f"{self.model} answers integer quotients: {self.target}"


_INTEGER = re.compile(r"-?\d+")
_DECIMAL = re.compile(r"-?\d+\.\d+")


def plain_number(text: str, confidence: list[float]) -> tuple[str, list[float]]:
    """A network's integer written without leading zeros (``00`` -> ``0``, ``-007`` ->
    ``-7``), its confidences kept with the digits that stay. Anything else is left as
    written, so a malformed answer stays visible."""
    if not _INTEGER.fullmatch(text):
        return text, confidence
    sign = 1 if text.startswith("-") else 0
    digits = text[sign:]
    cut = len(digits) - len(digits.lstrip("0") or "0")
    if not cut:
        return text, confidence
    conf = list(confidence)
    return text[:sign] + digits[cut:], conf[:sign] + conf[sign + cut:]


def equals_exact(neural: str, exact: Fraction | None, by_zero: bool) -> bool:
    """Whether a network's answer is the exact answer: integers exactly, non-integers at
    12 significant digits, and ``NaN`` exactly when the input divides by zero."""
    if by_zero or exact is None:
        return by_zero and neural == NAN
    if _INTEGER.fullmatch(neural):
        return exact == int(neural)
    if _DECIMAL.fullmatch(neural):
        shown = format_value(Fraction(neural)).replace(ROUNDED_MARK, "")
        return shown == format_value(exact).replace(ROUNDED_MARK, "")
    return False


def reasons_outside(text: str, models: Iterable[ModelInfo], node=None) -> list[str]:
    """Why each model leaves ``text`` out, one ``"name: reason"`` per model (the one
    function the CLI and the window use)."""
    reasons = []
    for info in models:
        try:
            why = info.task.why_not(text, node)
        except Exception:  # a card with an odd task must not break the answer
            why = "its task could not be read"
        if why:
            reasons.append(f"{info.name}: {why}")
        elif not meets_goal(info):  # covers the input, but Auto does not trust it
            acc = info.exact_match
            shown = "unmeasured" if acc is None else f"{100 * acc:.1f}% exact"
            reasons.append(f"{info.name}: {shown}, below its goal (choose it by name to use it)")
    return reasons


PredictorFactory = Callable[[ModelInfo], object]


def _default_predictor(info: ModelInfo):
    from calcapp.arithmetic.predictor import load_predictor

    return load_predictor(info)


def keras_predictor(info: ModelInfo):
    from calcapp.arithmetic.predictor import load_keras_predictor

    return load_keras_predictor(info)


def answer_many(
    texts: Iterable[str],
    model: ModelInfo | None = None,
    fraction: bool = False,
    predictor_for: PredictorFactory = _default_predictor,
    models: list[ModelInfo] | None = None,
) -> list[Answer]:
    """Answer every text; a given ``model`` is used where its task covers the input."""
    answers = [Answer(text) for text in texts]
    pool = models if models is not None else (None if model is not None else list_models())
    routed: dict[str, tuple[ModelInfo, list]] = {}
    exact: dict[int, tuple[Fraction | None, bool]] = {}  # id(answer) -> (value, ÷0)
    for ans in answers:
        try:
            node = parse(ans.input)
        except CalcError as exc:
            ans.error, ans.error_pos = str(exc), exc.pos
            continue
        ans.expression = render(node)
        try:
            value = evaluate_node(node)
            ans.exact = format_value(value, fraction=fraction)
            exact[id(ans)] = (value, False)
        except EvaluationError as exc:
            ans.error, ans.error_pos = str(exc), exc.pos
            exact[id(ans)] = (None, isinstance(exc, DivisionByZero))
        chosen = model if model is not None else best_for(ans.input, pool)
        if chosen is None:
            ans.outside = "no model covers this input"
            ans.reasons = reasons_outside(ans.input, pool if pool is not None else list_models(), node)
            continue
        if model is not None:  # best_for only returns models that cover the input
            why = chosen.task.why_not(ans.input, node)
            if why is not None:
                ans.outside = f"outside {chosen.name}'s task: {why}"
                continue
        ans.target = task_answer(node, chosen.task.exact_quotients)  # parsed once
        routed.setdefault(chosen.name, (chosen, []))[1].append((ans, node))
    for info, group in routed.values():
        device = (pick_inference(len(group)) if predictor_for is _default_predictor
                  and info.architecture != "columns" else "numpy")  # digit cells: NumPy only
        predictor = predictor_for(info) if device == "numpy" else keras_predictor(info)
        spelled = getattr(predictor, "predict_spelled", None)  # a Predictor: no second parse
        preds = (spelled([info.task.spell(node) for _, node in group]) if spelled is not None
                 else predictor.predict([ans.input for ans, _ in group]))
        real_quotients = info.task.exact_quotients
        for (ans, _), pred in zip(group, preds):
            if real_quotients and not pred.text:  # past the model's reach: the reason, in place
                ans.outside = pred.steps[-1] if pred.steps else "past the model's reach"
                continue
            ans.neural, ans.confidence = plain_number(pred.text, list(pred.confidence))
            ans.model = info.name
            ans.match = equals_exact(ans.neural, *exact[id(ans)])
            ans.steps = list(getattr(pred, "steps", ()))
            ans.device = device
            if real_quotients and not ans.match:  # the checker marks where the working went wrong
                ans.wrong_step = first_wrong_step(ans.input, ans.steps)
    return answers
