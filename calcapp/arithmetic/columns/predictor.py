"""The general model's Predictor: the digit cells (``cells``) driven by the written
procedure (``procedure``), with the same ``predict``/``inspect`` as the seq2seq models."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from calcapp.arithmetic.columns.cells import CellTables, tables_from_file
from calcapp.arithmetic.columns.digits import Columns, PastReach
from calcapp.arithmetic.columns.procedure import Worker
from calcapp.arithmetic.columns.reads import step_map
from calcapp.arithmetic.step_maps import StepMaps, none_map
from calcapp.expr.errors import CalcError


# The fields of ``calcapp.arithmetic.predictor``'s Prediction and Inspection, declared here
# because that module loads this one (``load_predictor``): importing it back would be a cycle.
@dataclass(frozen=True)
class Prediction:
    text: str
    confidence: list[float]  # one per output character
    steps: tuple[str, ...] = ()  # the working lines, the answer last


@dataclass(frozen=True)
class Inspection:
    input_chars: list[str]
    encoder_states: np.ndarray
    attention: np.ndarray | None
    output_chars: list[str]
    confidence: list[float]


class ColumnsPredictor:
    """Answers by written arithmetic whose every digit comes from a cell network.
    ``whole_quotients``: each quotient cut toward zero (a task without real quotients,
    such as arith3 or expr); the model card's task decides (``from_folder``)."""

    def __init__(self, tables: CellTables, name: str = "general", whole_quotients: bool = False):
        self.tables, self.name = tables, name
        self.cols = Columns(tables)
        self.whole_quotients = whole_quotients

    @classmethod
    def from_folder(cls, info) -> "ColumnsPredictor":
        return cls(tables_from_file(Path(info.keras_path)), info.name,
                   whole_quotients=not info.task.exact_quotients)

    def answer(self, text: str) -> tuple[Prediction, bool]:
        """One input's answer and whether it is exact (False: a quotient cut after
        ``procedure.SIGNIFICANT`` digits). Never raises for bad input: the reason is the
        last step and the answer is empty."""
        worker = Worker(self.cols, self.whole_quotients)
        try:
            out, conf, lines, exact = worker.run(text)
        except PastReach as exc:
            return Prediction("", [], tuple(worker.lines) + (str(exc),)), True
        except (CalcError, RecursionError) as exc:
            return Prediction("", [], (str(exc),)), True
        return Prediction(out, conf, tuple(lines)), exact

    def predict(self, texts: list[str]) -> list[Prediction]:
        return [self.answer(t)[0] for t in texts]

    def inspect(self, text: str) -> Inspection:
        """No attention to show: the input as read, the answer and its confidences (one
        state per input character, all zero, so views that expect states still draw)."""
        pred = self.answer(text)[0]
        chars = list(text.replace(" ", ""))
        return Inspection(input_chars=chars, encoder_states=np.zeros((len(chars), 1)),
                          attention=None, output_chars=list(pred.text),
                          confidence=list(pred.confidence))

    def step_maps(self, text: str) -> StepMaps:
        """Each step of the working's read map (``reads``): the procedure run again with
        every cell call recorded. Steps no cell wrote (a rewrite, the point moved) say so."""
        worker = Worker(Columns(self.tables, record=True), self.whole_quotients)
        try:
            worker.run(text)
        except (PastReach, CalcError, RecursionError):
            pass  # the steps so far still have their maps
        weights = getattr(self.tables, "weights", None)
        maps = []
        for i, line in enumerate(worker.lines):
            note = worker.notes.get(i)
            if note is not None:
                maps.append(step_map(i, line, note, weights))
            else:
                maps.append(none_map(i, line, _why_no_cells(i, line)))
        return StepMaps(text, self.name, maps)


def _why_no_cells(index: int, line: str) -> str:
    if index == 0:
        return "the input as read: no cell has run yet"
    if " = " in line:
        return ("the procedure moved the point or lined the numbers up here; the digits "
                "are copied, no cell ran")
    return "the expression rewritten with the value just worked out; no cell ran"
