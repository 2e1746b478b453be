"""The working a model wrote on its way to the answer, one step a line, the first step the
exact evaluator rejects marked (issue 20: the network shows its working as a person would).

Any step opens in the Inside tab (``step_opened``): double-click it, pick "Open step … in
the Inside tab" from its context menu, or move to it with the arrow keys and press Enter
(Ctrl+I from anywhere opens the step under the cursor, else the first wrong one).
"""

from __future__ import annotations

import html

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QPalette, QTextCursor, QTextFormat
from PySide6.QtWidgets import QSizePolicy, QTextBrowser, QTextEdit

from calcapp.ui import theme

CROSS = "\u2717"
LINES = 7  # shown at once; the rest scrolls
MIN_LINES = 3  # ...or as few as this where the screen is short
SHORT_WINDOW = 600  # the shortest window laid out whole (an 800x600 screen): MIN_LINES there


class Working(QTextBrowser):
    """Read-only, scrollable, hidden (its place kept) while there is no working to show. One
    text block per step, so a block number is a step's index in ``Answer.steps``."""

    step_opened = Signal(int)  # a step to open in the Inside tab
    own_keys = (Qt.Key_Return, Qt.Key_Enter)  # the calculator's key router leaves these here

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("working")
        self.setAccessibleName("the network's working")
        self.setAccessibleDescription("Arrow keys move between steps; Enter opens the step "
                                      "in the Inside tab")
        self.setToolTip("Double-click a step (or select it and press Enter) to open it in "
                        "the Inside tab")
        self.setOpenLinks(False)
        self.setTextInteractionFlags(Qt.TextBrowserInteraction | Qt.TextSelectableByKeyboard)
        self.fit_lines(MIN_LINES)  # the window grows it (fit_window) where it has room
        self.steps: list[str] = []
        self.wrong: int | None = None
        self._moved = False  # the cursor was moved since the working was drawn
        self.cursorPositionChanged.connect(self._mark_current)
        # Hidden, it keeps its place: the canvas below must not move while a person writes
        # ('1' answers in one step, '12+3' with working; the canvas jumped between them).
        policy = QSizePolicy(QSizePolicy.Expanding, QSizePolicy.Preferred)
        policy.setRetainSizeWhenHidden(True)
        self.setSizePolicy(policy)
        self.hide()

    def fit_lines(self, lines: int) -> None:
        """Show this many lines at once (``MIN_LINES`` to ``LINES``): its height at most, and
        the height it asks for (a layout left to shrink it at 800x600 shrank the keypad
        instead). Only ``MIN_LINES`` count towards the window's minimum: counted whole, a
        window made taller could not be made short again (its lines held it up)."""
        spacing = self.fontMetrics().lineSpacing()
        self._height = spacing * max(MIN_LINES, min(LINES, lines)) + 10
        self.setMinimumHeight(spacing * MIN_LINES + 10)
        self.setMaximumHeight(self._height)
        self.updateGeometry()

    def sizeHint(self) -> QSize:
        return QSize(super().sizeHint().width(), self._height)

    def fit_window(self, height: int) -> None:
        """The lines a window this tall leaves: the fewest at ``SHORT_WINDOW``, one more for
        every line of height above it."""
        self.fit_lines(MIN_LINES + max(0, height - SHORT_WINDOW) // self.fontMetrics().lineSpacing())

    def show_answer(self, answer) -> None:
        steps = list(getattr(answer, "steps", []) or [])
        if answer is None or answer.neural is None or len(steps) <= 1:
            self.steps, self.wrong = [], None
            self.clear()
            self.hide()
            return
        self.steps = steps
        self.wrong = wrong = getattr(answer, "wrong_step", None)
        bad = theme.colour(theme.BAD)
        rows = []
        for i, step in enumerate(steps):
            text = html.escape(step)
            if i == wrong:
                text = f"<b style='color:{bad}'>{CROSS} {text} &nbsp;(first wrong step)</b>"
            rows.append(f"<p style='margin:0'>{text}</p>")
        self.setHtml("<div style='font-family:monospace'>" + "".join(rows) + "</div>")
        self._moved = False
        self.show()

    # -- which step --------------------------------------------------------------------
    def step_at(self, pos) -> int:
        return self._clip(self.cursorForPosition(pos).blockNumber())

    def current_step(self) -> int | None:
        """The step the text cursor was moved to; else the first wrong step; else the
        first step after the input."""
        if not self.steps:
            return None
        if self._moved:
            return self._clip(self.textCursor().blockNumber())
        return self.wrong if self.wrong is not None else min(1, len(self.steps) - 1)

    def _clip(self, block: int) -> int:
        return max(0, min(block, len(self.steps) - 1))

    def _mark_current(self) -> None:
        """Keyboard users see which step Enter would open: its line is shaded."""
        self._moved = True
        mark = QTextEdit.ExtraSelection()
        shade = QColor(self.palette().color(QPalette.Highlight))
        shade.setAlpha(70)  # the theme's highlight, light enough to read the step through
        mark.format.setBackground(shade)
        mark.format.setProperty(QTextFormat.FullWidthSelection, True)
        mark.cursor = QTextCursor(self.textCursor())
        mark.cursor.clearSelection()
        self.setExtraSelections([mark] if self.steps and self.hasFocus() else [])

    def open_current(self) -> None:
        step = self.current_step()
        if step is not None:
            self.step_opened.emit(step)

    # -- events --------------------------------------------------------------------------
    def mouseDoubleClickEvent(self, event):  # noqa: N802 (Qt name)
        if self.steps:
            self.setTextCursor(self.cursorForPosition(event.position().toPoint()))
            self.step_opened.emit(self.step_at(event.position().toPoint()))
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def keyPressEvent(self, event):  # noqa: N802 (Qt name)
        if event.key() in self.own_keys and self.steps:
            self.open_current()
            event.accept()
            return
        super().keyPressEvent(event)

    def focusInEvent(self, event):  # noqa: N802 (Qt name)
        super().focusInEvent(event)
        self._mark_current()

    def focusOutEvent(self, event):  # noqa: N802 (Qt name)
        super().focusOutEvent(event)
        self._mark_current()

    def step_menu(self, pos):
        """The context menu at ``pos``: "Open step N in the Inside tab" first, then the
        usual copy and select-all."""
        menu = self.createStandardContextMenu(pos)
        if self.steps:
            step = self.step_at(pos)
            action = menu.addAction(f"Open step {step} in the Inside tab")
            menu.insertAction(menu.actions()[0], action)
            menu.insertSeparator(menu.actions()[1])
            action.triggered.connect(lambda: self.step_opened.emit(step))
        return menu

    def contextMenuEvent(self, event):  # noqa: N802 (Qt name)
        menu = self.step_menu(event.pos())
        menu.exec(event.globalPos())
        menu.deleteLater()
