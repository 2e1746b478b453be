"""The Training tab's settings for a columns recipe (the digit cells of the general model).

Why apart from the seq2seq hyperparameters: the cells' shapes are fixed (the written
procedure reads their heads), and they train in rounds, one cell after another, until each
is right on its whole domain; so units, layers, epochs and a held-out share mean nothing
here. Only the fields below do, and the fixed part is said in words.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDoubleSpinBox, QFormLayout, QGroupBox, QLabel, QSpinBox

from calcapp.arithmetic.columns.cells import CELLS
from calcapp.arithmetic.columns.training import DEFAULTS

# key: (label, whole number?, lowest, highest, step, tooltip)
FIELDS = {
    "max_rounds": ("rounds per cell (at most)", True, 1, 10_000, 1,
                   "a cell stops as soon as it is right and sure on every fact"),
    "round_size": ("facts per round", True, 1, 10_000_000, 5000,
                   "each round repeats the cell's whole domain to about this many facts"),
    "weak_copies": ("extra copies of weak facts", True, 0, 1000, 1,
                    "facts a cell still gets wrong or is unsure of are repeated this often"),
    "batch_size": ("batch size", True, 1, 65536, 32, ""),
    "learning_rate": ("learning rate", False, 1e-5, 10.0, 0.001, ""),
    "decay": ("rate decay per round", False, 0.01, 1.0, 0.01,
              "the learning rate is multiplied by this after every round"),
    "min_learning_rate": ("lowest learning rate", False, 0.0, 10.0, 0.0001, ""),
    "min_confidence": ("confidence wanted", False, 0.0, 0.999, 0.01,
                       "a fact counts as learned when it is right with at least this "
                       "probability"),
    "seed": ("seed", True, 0, 2**31 - 1, 1, ""),
}

NAMES = {"add": "add", "sub": "subtract", "mul": "multiply", "quo": "quotient digit"}


def fixed_text() -> str:
    """The architecture in words, from the cells' own table."""
    sizes = ", ".join(f"{NAMES.get(c, c)} {hidden}" for c, (_f, _h, hidden) in CELLS.items())
    return (f"Fixed: {len(CELLS)} digit cells, one hidden layer each (units: {sizes}), "
            "driven by the written procedure. They train one after another, each until it "
            "is right on every fact of its domain; the curves show one point per round.")


class ColumnsSettings(QGroupBox):
    """The settings that apply to a columns run; ``changed`` on every edit."""

    changed = Signal()

    def __init__(self, parent=None):
        super().__init__("digit cells (columns)", parent)
        self.fixed = QLabel(fixed_text())
        self.fixed.setWordWrap(True)
        self.fixed.setObjectName("columnsFixed")
        form = QFormLayout(self)
        form.addRow(self.fixed)
        self.boxes: dict[str, QSpinBox | QDoubleSpinBox] = {}
        for key, (label, whole, lo, hi, step, tip) in FIELDS.items():
            box = QSpinBox() if whole else QDoubleSpinBox()
            if not whole:
                box.setDecimals(5)
            box.setRange(lo, hi)
            box.setSingleStep(step)
            box.setToolTip(tip)
            box.valueChanged.connect(self.changed)
            self.boxes[key] = box
            form.addRow(label, box)
        self.set_hparams({})

    def set_hparams(self, hparams: dict) -> None:
        """The fields from a recipe's hyperparameters (the trainer's defaults for the rest)."""
        hp = {**DEFAULTS, **(hparams or {})}
        for key, box in self.boxes.items():
            box.setValue(hp[key])

    def hparams(self) -> dict:
        return {key: (box.value() if isinstance(box, QSpinBox) else float(box.value()))
                for key, box in self.boxes.items()}
