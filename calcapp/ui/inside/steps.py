"""The Inside tab's step picker: open one step of the working and see its map.

Why a picker of its own: a rewriting model (expr) attends afresh in every pass, and the
general model's cells read different digits in every step, so "the attention" of an
answer is really one map per step. The maps come from the engine (``request_steps``) as
``StepMaps``; this widget lists the steps, marks the first wrong one, and says which map is
shown: a learned attention, or the record of which digits the cells read (or how far each
cell's confidence falls with one read blanked).
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QWidget

WHOLE = -1  # the whole answer (the model's own inspection), not one step
CROSS = "\u2717"
READS_LABEL, OCCLUSION_LABEL = "cells' reads", "occlusion: confidence lost"
OCCLUSION_NOTE = ("each row: the probability the cell gave the digit it wrote, less the same "
                  "with one of its reads blanked (its one-hot all zeros), shown on the "
                  "characters that read came from")


def step_label(m, wrong: int | None) -> str:
    mark = f" {CROSS} first wrong step" if m.index == wrong else ""
    what = "" if m.kind != "none" else "  (no network ran)"
    step = f"{m.source} \u2192 {m.step}" if m.source else m.step
    return f"{m.index}. {step}{mark}{what}"


class StepPicker(QWidget):
    """A step combo box (``chosen`` gives its index, or ``WHOLE``) and, for the general
    model's read maps, which of its two maps to draw (``which_changed``)."""

    chosen = Signal(int)
    which_changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.maps = None
        self.wrong: int | None = None
        self.combo = QComboBox()
        self.combo.setAccessibleName("step of the working")
        self.combo.setToolTip("Open one step of the working: its map shows what each "
                              "character the step wrote came from")
        self.combo.setMinimumContentsLength(28)
        self.which = QComboBox()
        self.which.addItems([READS_LABEL, OCCLUSION_LABEL])
        self.which.setAccessibleName("which map")
        self.which.setToolTip("cells' reads: which input digits the cell that wrote each "
                              "digit read. occlusion: how far that cell's confidence falls "
                              "when one read is blanked")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("step"))
        layout.addWidget(self.combo, 3)
        layout.addWidget(QLabel("map"))
        layout.addWidget(self.which)
        self.combo.currentIndexChanged.connect(lambda _i: self.chosen.emit(self.current()))
        self.which.currentIndexChanged.connect(lambda _i: self.which_changed.emit())
        self.set_maps(None)

    def set_maps(self, maps, wrong: int | None = None, select: int | None = None) -> None:
        """List the steps of ``maps`` (a ``StepMaps`` or None) and select ``select``."""
        self.maps, self.wrong = maps, wrong
        self.combo.blockSignals(True)
        self.combo.clear()
        self.combo.addItem("(whole answer)", WHOLE)
        for m in (maps.maps if maps is not None else []):
            self.combo.addItem(step_label(m, wrong), m.index)
        self.combo.blockSignals(False)
        self.combo.setEnabled(maps is not None and len(maps.maps) > 0)
        self.select(WHOLE if select is None else select)

    def mark_wrong(self, wrong: int | None) -> None:
        """The answer came after the maps: mark its first wrong step in the list."""
        if wrong == self.wrong or self.maps is None:
            return
        self.wrong = wrong
        for m in self.maps.maps:
            row = self.combo.findData(m.index)
            if row >= 0:
                self.combo.setItemText(row, step_label(m, wrong))

    def select(self, index: int) -> None:
        row = self.combo.findData(index)
        row = max(row, 0)
        if row == self.combo.currentIndex():
            self.chosen.emit(self.current())
        else:
            self.combo.setCurrentIndex(row)

    def current(self) -> int:
        data = self.combo.currentData()
        return WHOLE if data is None else int(data)

    def current_map(self):
        index = self.current()
        if self.maps is None or index == WHOLE:
            return None
        return next((m for m in self.maps.maps if m.index == index), None)

    def occlusion(self) -> bool:
        return self.which.currentText() == OCCLUSION_LABEL


def draw_step(view, confidence_view, m, occlusion: bool) -> None:
    """One step's map in the heatmap view and its confidences in the bars."""
    if m.values is None:
        view.clear()
        view.plot.setTitle(f"step {m.index}: no map")
        view.caption.setText(m.note)
        confidence_view.set_data([], [])
        return
    values = m.occlusion if occlusion and m.occlusion is not None else m.values
    view.set_data(values, list(m.output_chars), list(m.input_chars), levels=(0.0, 1.0),
                  numbers=True)
    # short titles: a plot's title is as wide as the plot can get
    what = "attention (learned)"
    if m.kind == "reads":
        what = ("occlusion: confidence lost with a read blanked" if occlusion
                else "cells' reads (recorded, not attention)")
    view.plot.setTitle(f"step {m.index} \u00b7 {what}")
    view.plot.setLabel("left", "digit written" if m.kind == "reads" else "output step")
    view.row_notes = list(m.cells)
    note = OCCLUSION_NOTE if occlusion and m.kind == "reads" else m.note
    view.caption.setText(f"{m.step}   \u00b7   {note}   (hover a row: its cell)"
                         if m.cells else f"{m.step}   \u00b7   {note}")
    confidence_view.set_data(list(m.output_chars), list(m.confidence))
    confidence_view.plot.setTitle(
        "how sure each cell was" if m.kind == "reads" else "confidence per character")
