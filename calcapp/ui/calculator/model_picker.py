"""Which network answers: "best that covers the input" (the default) or one chosen model.

Each entry shows the model's task and its test accuracy from its card, so the choice is
informed; the list follows the manager's ``models_changed`` (a finished training adds one).
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox


AUTO_LABEL = "Auto: the best model that covers the input"


def describe(info) -> str:
    task = (info.card.get("task") or {}).get("name", "?")
    acc = info.exact_match
    acc_text = "accuracy ?" if acc is None else f"{100 * acc:.1f}% exact"
    source = "" if info.source == "bundled" else f", {info.source}"
    return f"{info.name}  \u2014  task {task}, {info.architecture}, {acc_text}{source}"


class ModelPicker(QComboBox):
    changed = Signal(object)  # a model name, or None for automatic

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("model-picker")
        self.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(24)
        self.setToolTip("Which network answers")
        self.currentIndexChanged.connect(lambda _: self.changed.emit(self.current_model()))
        self.set_models([])

    def set_models(self, models, keep: str | None = None) -> None:
        keep = keep if keep is not None else self.current_model()
        self.blockSignals(True)
        self.clear()
        self.addItem(AUTO_LABEL, None)
        for info in sorted(models, key=lambda m: (-(m.exact_match or 0.0), m.name)):
            self.addItem(describe(info), info.name)
            self.setItemData(self.count() - 1, str(info.path), 3)  # Qt.ToolTipRole
        index = self.findData(keep) if keep else 0
        self.setCurrentIndex(max(index, 0))
        self.blockSignals(False)

    def current_model(self) -> str | None:
        return self.currentData()

    def select(self, name: str | None) -> bool:
        index = self.findData(name) if name else 0
        if index < 0:
            return False
        self.setCurrentIndex(index)
        return True

    def model_names(self) -> list[str]:
        return [self.itemData(i) for i in range(1, self.count())]
