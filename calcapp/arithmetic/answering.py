"""Answers an input three ways at once: as read, exactly, and by a network.

This is the one place that decides what the CLI prints and what the window shows: the
normalised expression, the exact value, the chosen model's target under its task's
semantics, the network's answer with per-character confidence, and whether they match.
Inputs are grouped per model so a file of 10,000 lines costs a few batched forward passes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Callable, Iterable

from calcapp.expr.errors import CalcError, EvaluationError
from calcapp.expr.evaluator import format_value, evaluate_node
from calcapp.expr.parser import parse, render
from calcapp.expr.tasks import task_answer
from calcapp.nets.devices import pick_inference
from calcapp.nets.registry import ModelInfo, best_for, list_models


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
    steps: list[str] = field(default_factory=list)  # a rewriting model's working texts
    device: str | None = None  # what answered: numpy, keras-gpu or keras-cpu

    def to_json(self) -> dict:
        keys = ("input", "expression", "exact", "target", "neural", "model", "match", "error")
        data = asdict(self)
        out = {k: data[k] for k in keys}
        if self.steps:  # only a rewriting model has them
            out["steps"] = list(self.steps)
        if self.device:
            out["device"] = self.device
        return out


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
    for ans in answers:
        try:
            node = parse(ans.input)
        except CalcError as exc:
            ans.error, ans.error_pos = str(exc), exc.pos
            continue
        ans.expression = render(node)
        try:
            ans.exact = format_value(evaluate_node(node), fraction=fraction)
        except EvaluationError as exc:
            ans.error, ans.error_pos = str(exc), exc.pos
        chosen = model if model is not None else best_for(ans.input, pool)
        if chosen is None:
            ans.outside = "no model covers this input"
            continue
        if model is not None:  # best_for only returns models that cover the input
            why = chosen.task.why_not(ans.input, node)
            if why is not None:
                ans.outside = f"outside {chosen.name}'s task: {why}"
                continue
        ans.target = task_answer(node)  # == chosen.task.target(ans.input), parsed once
        routed.setdefault(chosen.name, (chosen, []))[1].append((ans, node))
    for info, group in routed.values():
        device = pick_inference(len(group)) if predictor_for is _default_predictor else "numpy"
        predictor = predictor_for(info) if device == "numpy" else keras_predictor(info)
        spelled = getattr(predictor, "predict_spelled", None)  # a Predictor: no second parse
        preds = (spelled([info.task.spell(node) for _, node in group]) if spelled is not None
                 else predictor.predict([ans.input for ans, _ in group]))
        for (ans, _), pred in zip(group, preds):
            ans.neural = pred.text
            ans.confidence = list(pred.confidence)
            ans.model = info.name
            ans.match = pred.text == ans.target
            ans.steps = list(getattr(pred, "steps", ()))
            ans.device = device
    return answers
