"""Correcting the canvas's symbols from the keyboard.

Why: a person who uses no mouse or pen must still be able to fix a misread symbol. With the
canvas focused (Tab reaches it), Left/Right, Home/End select one of the reading's symbols,
Enter, Space or the Menu key opens that symbol's own menu (alternatives, retype, erase) under
it, and Delete erases it. Every other key goes on to the expression (keyboard.KeyRouter), so
typing a digit while the canvas has focus still types it.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QPainter, QPen

from calcapp.ui.calculator import canvas_view

MOVE = {Qt.Key_Left: -1, Qt.Key_Right: +1}
OPEN = (Qt.Key_Return, Qt.Key_Enter, Qt.Key_Space, Qt.Key_Menu)


def step(selected: int | None, count: int, key) -> int | None:
    """The symbol selected after ``key``, among ``count``; ``None`` when there is none."""
    if count <= 0:
        return None
    if key == Qt.Key_Home:
        return 0
    if key == Qt.Key_End:
        return count - 1
    if selected is None:  # the first arrow selects the nearest end
        return 0 if MOVE.get(key, 1) > 0 else count - 1
    return max(0, min(count - 1, selected + MOVE.get(key, 0)))


def current(canvas) -> int | None:
    """The selected symbol of the canvas's current reading, if it still has one."""
    reading, selected = canvas.reading, canvas.selected
    if reading is None or canvas.reading_version != canvas.version or selected is None:
        return None
    return selected if selected < len(reading.symbols) else None


def handle(canvas, event) -> bool:
    """Act on ``event`` if it is one of the canvas's keys; whether it was."""
    key = event.key()
    fresh = canvas.reading is not None and canvas.reading_version == canvas.version
    count = len(canvas.reading.symbols) if fresh else 0
    if key in MOVE or key in (Qt.Key_Home, Qt.Key_End):
        canvas.selected = step(current(canvas), count, key)
        canvas.update()
        return canvas.selected is not None
    index = current(canvas)
    if index is None:
        return False
    if key in OPEN:
        under = canvas.view().box_to_screen(canvas.reading.symbols[index].box)  # as shown
        canvas.symbol_menu(index).popup(
            canvas.mapToGlobal(QPoint(round(under.left()), round(under.bottom() + 6))))
        return True
    if key == Qt.Key_Delete:
        canvas.selected = None
        canvas.erase_symbol(index)
        return True
    return False


def draw_selection(canvas, painter: QPainter) -> None:
    """A solid frame round the selected symbol while the canvas has the keyboard, in screen
    pixels round where the symbol is shown (the painter has no ink transform here)."""
    index = current(canvas)
    if index is None or not canvas.hasFocus():
        return
    pen = QPen(QColor(canvas.palette().highlight().color()), 2)
    painter.setPen(pen)
    painter.setBrush(Qt.NoBrush)
    frame = canvas_view.mark_rect(canvas, canvas.reading.symbols[index].box, 7)
    painter.drawRoundedRect(frame, 4, 4)
