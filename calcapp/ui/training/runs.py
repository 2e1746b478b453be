"""The list of past and current runs: tick to overlay, select to see samples, export CSV.

Reads everything from ``RunsStore`` so runs trained in an earlier session come back as
they were; the live run is just the one whose rows keep growing.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from calcapp.engine.runs_store import RunRecord, RunsStore


class RunsList(QWidget):
    """Checkable runs, newest first. ``overlay_changed(run_id, on)``, ``selected(run_id)``."""

    overlay_changed = Signal(str, bool)
    selected = Signal(str)

    def __init__(self, store: RunsStore, parent=None):
        super().__init__(parent)
        self.store = store
        self.list = QListWidget()
        self.list.setToolTip("tick runs to overlay their curves; select one to see its samples")
        self.export_button = QPushButton("Export CSV…")
        self.delete_button = QPushButton("Delete")
        buttons = QHBoxLayout()
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.delete_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list)
        layout.addLayout(buttons)
        self.list.itemChanged.connect(self._item_changed)
        self.list.currentItemChanged.connect(self._current_changed)
        self.export_button.clicked.connect(self._export_clicked)
        self.delete_button.clicked.connect(self._delete_clicked)
        self._updating = False

    # -- contents ----------------------------------------------------------------------
    def _find(self, run_id: str) -> QListWidgetItem | None:
        for i in range(self.list.count()):
            item = self.list.item(i)
            if item.data(Qt.UserRole) == run_id:
                return item
        return None

    def reload(self) -> None:
        checked = set(self.checked_runs())
        self._updating = True
        self.list.clear()
        for rec in self.store.list_runs():
            self._add_item(rec, rec.run_id in checked, at_top=False)
        self._updating = False

    def _add_item(self, rec: RunRecord, checked: bool, at_top: bool = True) -> QListWidgetItem:
        item = QListWidgetItem(self._label(rec))
        item.setData(Qt.UserRole, rec.run_id)
        item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
        item.setCheckState(Qt.Checked if checked else Qt.Unchecked)
        if at_top:
            self.list.insertItem(0, item)
        else:
            self.list.addItem(item)
        return item

    @staticmethod
    def _label(rec: RunRecord) -> str:
        acc = rec.test_exact_match
        tail = "" if acc is None else f"  test exact {100 * acc:.1f}%"
        return rec.label() + tail

    def upsert(self, run_id: str, checked: bool | None = None) -> None:
        """Add or refresh one run's line (after it started or changed status)."""
        rec = self.store.get_run(run_id)
        if rec is None:
            return
        self._updating = True
        item = self._find(run_id)
        if item is None:
            item = self._add_item(rec, bool(checked))
        else:
            item.setText(self._label(rec))
            if checked is not None:
                item.setCheckState(Qt.Checked if checked else Qt.Unchecked)
        self._updating = False

    def checked_runs(self) -> list[str]:
        return [
            self.list.item(i).data(Qt.UserRole)
            for i in range(self.list.count())
            if self.list.item(i).checkState() == Qt.Checked
        ]

    def current_run(self) -> str | None:
        item = self.list.currentItem()
        return None if item is None else item.data(Qt.UserRole)

    def select(self, run_id: str) -> None:
        item = self._find(run_id)
        if item is not None:
            self.list.setCurrentItem(item)

    # -- reactions ---------------------------------------------------------------------
    def _item_changed(self, item: QListWidgetItem) -> None:
        if not self._updating:
            self.overlay_changed.emit(item.data(Qt.UserRole), item.checkState() == Qt.Checked)

    def _current_changed(self, item, _previous) -> None:
        if item is not None:
            self.selected.emit(item.data(Qt.UserRole))

    def _export_clicked(self) -> None:
        run_id = self.current_run()
        if run_id is None:
            return
        rec = self.store.get_run(run_id)
        path, _ = QFileDialog.getSaveFileName(self, "Export run metrics",
                                              f"{rec.name}-{run_id[:8]}.csv", "CSV (*.csv)")
        if path:
            self.store.export_csv(run_id, path)

    def _delete_clicked(self) -> None:
        run_id = self.current_run()
        if run_id is None:
            return
        rec = self.store.get_run(run_id)
        if rec is not None and rec.status in ("running", "paused"):
            return  # never drop the curves of a live run
        item = self._find(run_id)
        if item is not None and item.checkState() == Qt.Checked:
            self.overlay_changed.emit(run_id, False)
        self.store.delete_run(run_id)
        self.list.takeItem(self.list.row(item))
