"""The history list: newest first, both answers and the model on every line.

Clicking an entry puts its expression back in the display; entries can be copied and the
list cleared. The list only shows what ``calcapp.engine.history.HistoryStore`` holds, so
it is the same after a restart.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication
from PySide6.QtWidgets import (
    QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QMenu, QMessageBox, QPushButton,
    QVBoxLayout, QWidget,
)

from calcapp.ui import theme


class HistoryView(QWidget):
    chosen = Signal(str)  # an expression to reuse

    def __init__(self, store, parent=None):
        super().__init__(parent)
        self.store = store
        self.list = QListWidget()
        self.list.setObjectName("history")
        self.list.setAlternatingRowColors(True)
        self.list.setContextMenuPolicy(Qt.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._menu)
        self.list.itemClicked.connect(lambda item: self.chosen.emit(item.data(Qt.UserRole)))
        self.list.setFocusPolicy(Qt.NoFocus)
        # two entries at least, not Qt's default: on an 800x600 screen the answer's working needs the room
        self.list.setMinimumHeight(2 * self.list.fontMetrics().lineSpacing() + 12)
        self.copy_button = QPushButton("Copy")
        self.copy_button.setToolTip("Copy the selected entry (or the newest)")
        self.copy_button.clicked.connect(self.copy_selected)
        self.clear_button = QPushButton("Clear history")
        self.clear_button.clicked.connect(self._ask_clear)
        for b in (self.copy_button, self.clear_button):
            b.setFocusPolicy(Qt.NoFocus)
        title = QLabel("History")
        title.setObjectName("history-title")
        top = QHBoxLayout()
        top.addWidget(title, 1)
        top.addWidget(self.copy_button)
        top.addWidget(self.clear_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.list, 1)
        self.reload()

    def entries(self):
        return [self.list.item(i).data(Qt.UserRole + 1) for i in range(self.list.count())]

    def reload(self) -> None:
        self.list.clear()
        for entry in self.store.recent():
            self._append(entry)
        self.clear_button.setEnabled(self.list.count() > 0)

    def add(self, answer, source: str = "typing") -> None:
        before = self.store.count()
        entry = self.store.add(answer, source)
        if entry is not None and self.store.count() != before:
            self._append(entry, at=0)
        self.clear_button.setEnabled(self.list.count() > 0)

    def _append(self, entry, at: int | None = None) -> None:
        item = QListWidgetItem(entry.line())
        item.setData(Qt.UserRole, entry.expression)
        item.setData(Qt.UserRole + 1, entry)
        if entry.neural is not None and entry.match is False:
            item.setForeground(QColor(theme.colour(theme.BAD)))
        item.setToolTip(f"{entry.line()}\n{entry.source}")
        if at is None:
            self.list.addItem(item)
        else:
            self.list.insertItem(at, item)

    def copy_selected(self) -> None:
        item = self.list.currentItem() or self.list.item(0)
        if item is not None:
            QGuiApplication.clipboard().setText(item.text())

    def clear(self) -> None:
        self.store.clear()
        self.reload()

    def _ask_clear(self) -> None:
        if QMessageBox.question(self, "Clear history",
                                "Delete every entry of the history?") == QMessageBox.Yes:
            self.clear()

    def _menu(self, pos) -> None:
        item = self.list.itemAt(pos)
        menu = QMenu(self)
        if item is not None:
            self.list.setCurrentItem(item)
            menu.addAction("Use again").triggered.connect(
                lambda: self.chosen.emit(item.data(Qt.UserRole)))
            menu.addAction("Copy").triggered.connect(self.copy_selected)
            menu.addSeparator()
        menu.addAction("Clear history\u2026").triggered.connect(self._ask_clear)
        menu.popup(self.list.viewport().mapToGlobal(pos))
