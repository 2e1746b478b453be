"""The handwriting canvas: ink in, symbols with boxes out, corrections back.

Mouse and pen both make ``calcapp.ink.strokes`` strokes in ink coordinates (y down): the
widget's own pixels, unless ink written on a larger canvas has to be shown smaller
(``canvas_view``: painting maps ink to the screen, every pointer position is mapped back); a
pen's pressure sets the stroke width and its eraser end erases whole strokes. Each pen-up
(and the pen leaving the tablet) emits ``inkChanged`` so the manager can read the line at
once: a reading costs a few milliseconds, so there is no reason to wait. The reading's
boxes are drawn over the ink with label and confidence; tapping one (or right-clicking)
offers the alternatives, a retype and an erase, and a correction is remembered for those
strokes and emitted so the app can learn it (the personal memory) and keep it as a sample. A zig-zag over
a symbol (scratch-out) erases it. One ``QUndoStack`` holds every change (strokes,
erasures, corrections and retypes) as whole snapshots: ink is small. ``new_expression``
clears the ink and its corrections as one undoable step.
"""

from __future__ import annotations

import itertools
import time

import shiboken6

from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor, QFontMetricsF, QPainter, QPen, QPointingDevice, QUndoCommand, QUndoStack,
)
from PySide6.QtWidgets import (
    QApplication, QHBoxLayout, QInputDialog, QLabel, QMenu, QPushButton, QSizePolicy,
    QVBoxLayout, QWidget,
)

from calcapp.ui.calculator import canvas_keys, canvas_view, gestures
from calcapp.ui.calculator.labels import place_labels  # noqa: F401 (tests import it from here)


def _ink():
    """``calcapp.ink.strokes``, imported on first use: it brings NumPy, which the window
    does not need to appear (by the first stroke the manager has imported it anyway)."""
    from calcapp.ink import strokes as ink

    return ink


MOUSE_PRESSURE = 0.6  # what a mouse "presses": a medium line
ERASER_RADIUS = 10.0


def percent(p: float) -> str:
    """A confidence for a person: a small but real chance is '<1%', never a flat '0%'."""
    return "<1%" if 0 < p < 0.005 else f"{round(100 * p)}%"


def pen_width(pressure: float) -> float:
    return 1.2 + 4.5 * max(0.0, min(1.0, pressure))


class _ProximityFilter(QObject):
    """Qt 6 sends tablet proximity events to the application, not to a widget."""

    def __init__(self, canvas: "InkCanvas"):
        super().__init__(canvas)
        self.canvas = canvas

    def eventFilter(self, obj, event):
        if event.type() == QEvent.TabletLeaveProximity:
            self.canvas.pen_left()
        return False


class _Snapshot(QUndoCommand):
    """One change of the canvas: the state before and after it."""

    def __init__(self, canvas: "InkCanvas", before: tuple, after: tuple, text: str):
        super().__init__(text)
        self.canvas, self.before, self.after = canvas, before, after
        self._done = True  # pushed after the change was made: the first redo is a no-op

    def undo(self):
        self.canvas._restore(self.before)

    def redo(self):
        if self._done:
            self._done = False
            return
        self.canvas._restore(self.after)


class InkCanvas(QWidget):
    inkChanged = Signal(list)  # list[Stroke], after each change of the ink
    symbolCorrected = Signal(list, str)  # the symbol's strokes, the right label
    expressionEdited = Signal(str)  # the reading with corrections applied

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("canvas")
        self.setAttribute(Qt.WA_StaticContents)
        self.setAttribute(Qt.WA_TabletTracking, False)
        self.setMinimumSize(360, 150)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.setCursor(Qt.CrossCursor)
        self.strokes: list = []  # calcapp.ink.strokes.Stroke
        self._uids: list[int] = []  # a stable id per stroke (indices shift on erase)
        self._next_uid = itertools.count(1)
        self.undo_stack = QUndoStack(self)
        self.undo_stack.setUndoLimit(200)
        self._current: list | None = None
        self._t0 = 0.0
        self._erasing = False
        self.reading = None
        self.reading_version = -1
        self.version = 0
        self._emitted_version = 0
        self.overrides: dict[frozenset, str] = {}
        self.selected: int | None = None  # the symbol the keyboard is on (canvas_keys)
        self._view, self._view_key = canvas_view.IDENTITY, None
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(_ProximityFilter(self))

    # -- public ----------------------------------------------------------------------
    def set_strokes(self, strokes: list) -> None:
        """Replace the ink (e.g. from a file or a test) and recognise it."""
        before = self._state()
        self.strokes = list(strokes)
        self._uids = [next(self._next_uid) for _ in self.strokes]
        self._push(before, "replace ink")
        self._changed()

    def add_stroke(self, stroke) -> None:
        """One finished stroke, as if drawn: gestures apply, then ``inkChanged``."""
        self._finish([(p.x, p.y) for p in stroke.points], stroke.points, 0.5)

    def clear(self) -> None:
        """Erase all ink and its corrections (one undoable step)."""
        if not self.strokes and not self.overrides:
            return
        before = self._state()
        self.strokes, self._uids, self.overrides = [], [], {}
        self.reading = None
        self._push(before, "clear ink")
        self._changed()

    def undo(self) -> None:
        self.undo_stack.undo()

    def redo(self) -> None:
        self.undo_stack.redo()

    def can_undo(self) -> bool:
        return self.undo_stack.canUndo()

    def can_redo(self) -> bool:
        return self.undo_stack.canRedo()

    def set_reading(self, reading, version: int | None = None) -> bool:
        """Show a reading made of ``version`` of the ink; a stale one is ignored."""
        if version is not None and version != self.version:
            return False
        self.reading = reading
        self.reading_version = self.version
        self.update()
        return True

    def expression(self) -> str:
        """The reading with the person's corrections applied."""
        if self.reading is None:
            return ""
        labels = self.labels()
        if labels == [s.label for s in self.reading.symbols]:
            return self.reading.expression
        return "".join(labels)

    def labels(self) -> list[str]:
        if self.reading is None:
            return []
        return [self.overrides.get(self._symbol_key(s), s.label) for s in self.reading.symbols]

    def correct_symbol(self, index: int, label: str) -> None:
        """The person says symbol ``index`` of the reading is ``label``."""
        symbol = self.reading.symbols[index]
        before = self._state()
        self.overrides[self._symbol_key(symbol)] = label
        self._push(before, f"correct to {label}")
        strokes = [self.strokes[i] for i in symbol.stroke_ids if 0 <= i < len(self.strokes)]
        self.update()
        self.symbolCorrected.emit(strokes, label)
        self.expressionEdited.emit(self.expression())

    def erase_symbol(self, index: int) -> None:
        symbol = self.reading.symbols[index]
        self._erase_indices(set(symbol.stroke_ids))

    def symbol_at(self, x: float, y: float) -> int | None:
        if self.reading is None or self.reading_version != self.version:
            return None
        pad = 4.0 / self.view().scale  # the same few pixels on the screen at any scale
        for i, s in enumerate(self.reading.symbols):
            if gestures.contains(tuple(s.box), x, y, pad):
                return i
        return None

    def symbol_menu(self, index: int) -> QMenu:
        """Alternatives, retype and erase for one symbol."""
        symbol = self.reading.symbols[index]
        menu = QMenu(self)
        current = self.labels()[index]
        for label, conf in symbol.alternatives:
            action = menu.addAction(f"{label}    {percent(conf)}")
            action.setCheckable(True)
            action.setChecked(label == current)
            action.triggered.connect(lambda _=False, lab=label: self.correct_symbol(index, lab))
        menu.addSeparator()
        menu.addAction("Retype\u2026").triggered.connect(lambda: self._retype(index))
        menu.addAction("Erase this symbol").triggered.connect(lambda: self.erase_symbol(index))
        return menu

    @property
    def own_keys(self) -> tuple:
        """Keys the calculator's key router leaves here: Enter opens a selected symbol's menu."""
        return (Qt.Key_Return, Qt.Key_Enter) if canvas_keys.current(self) is not None else ()

    def keyPressEvent(self, event):  # noqa: N802 (Qt name)
        if not canvas_keys.handle(self, event):
            super().keyPressEvent(event)

    def pen_left(self) -> None:
        """The pen lifted away from the tablet: make sure the last ink is read."""
        if self.version != self._emitted_version:
            self._emit()

    def view(self) -> canvas_view.View:
        """How ink is shown now. It holds while the pen is down (the ink must not move under
        it) and changes only with the ink or the canvas's size."""
        key = (self.version, self.width(), self.height())
        if self._current is None and key != self._view_key:
            box = canvas_view.ink_box(self.strokes)
            resized = self._view_key is None or self._view_key[1:] != key[1:]
            self._view = (canvas_view.fit(box, key[1], key[2]) if resized
                          else canvas_view.settle(self._view, box, key[1], key[2]))
            self._view_key = key
        return self._view

    def _to_ink(self, pos: QPointF) -> QPointF:
        return self.view().to_ink(pos)

    # -- state -----------------------------------------------------------------------
    def _state(self) -> tuple:
        return (list(self.strokes), list(self._uids), dict(self.overrides))

    def _push(self, before: tuple, text: str) -> None:
        """Record a change already made (``before`` -> now) on the undo stack."""
        self.undo_stack.push(_Snapshot(self, before, self._state(), text))

    def _restore(self, state: tuple) -> None:
        same_ink = list(state[1]) == self._uids
        self.strokes, self._uids, self.overrides = list(state[0]), list(state[1]), dict(state[2])
        if same_ink and self.reading is not None:  # a correction undone: the reading holds
            self.update()
            self.expressionEdited.emit(self.expression())
            return
        self._changed()

    def _symbol_key(self, symbol) -> frozenset:
        return frozenset(self._uids[i] for i in symbol.stroke_ids if 0 <= i < len(self._uids))

    def _changed(self) -> None:
        self.version += 1
        self.update()
        self._emit()

    def _emit(self) -> None:
        self._emitted_version = self.version
        self.inkChanged.emit(list(self.strokes))

    def _erase_indices(self, indices: set[int]) -> None:
        if not indices:
            return
        before = self._state()
        keep = [i for i in range(len(self.strokes)) if i not in indices]
        self.strokes = [self.strokes[i] for i in keep]
        self._uids = [self._uids[i] for i in keep]
        self._push(before, "erase")
        self._changed()

    def _retype(self, index: int) -> None:
        label, ok = QInputDialog.getText(self, "Retype symbol", "This symbol is:")
        label = label.strip()
        if ok and label:
            self.correct_symbol(index, label)

    # -- finishing a stroke ------------------------------------------------------------
    def _finish(self, xy: list[tuple[float, float]], points: list, duration: float) -> None:
        if not points:
            return
        view = self.view()  # pixel thresholds of the gestures are screen pixels
        if gestures.is_tap(xy, duration, max_move=4.0 / view.scale):
            hit = self.symbol_at(*xy[0])
            if hit is not None:
                self.symbol_menu(hit).popup(self.mapToGlobal(view.to_screen(*xy[0]).toPoint()))
                return
            if len(points) == 1:  # a dot: two points so it has a direction and a box
                p = points[0]
                points = [p, _ink().Point(p.x + 0.5, p.y + 0.5, p.t + 0.01, p.pressure)]
        if gestures.is_scratch(xy, min_width=12.0 / view.scale):
            self._erase_indices(self._scratched(gestures.bbox(xy)))
            return
        before = self._state()
        self.strokes.append(_ink().Stroke(points))
        self._uids.append(next(self._next_uid))
        self._push(before, "stroke")
        self._changed()

    def _scratched(self, box) -> set[int]:
        """Strokes under a scratch-out: whole symbols when there is a current reading."""
        hit: set[int] = set()
        if self.reading is not None and self.reading_version == self.version:
            for s in self.reading.symbols:
                if gestures.overlap_fraction(tuple(s.box), box) >= 0.3:
                    hit.update(s.stroke_ids)
        if not hit:
            for i, stroke in enumerate(self.strokes):
                if gestures.overlap_fraction(stroke.bbox(), box) >= 0.3:
                    hit.add(i)
        return hit

    # -- input events --------------------------------------------------------------------
    def _begin(self, pos: QPointF, pressure: float) -> None:
        self._t0 = time.monotonic()
        self._current = [_ink().Point(pos.x(), pos.y(), 0.0, pressure)]

    def _extend(self, pos: QPointF, pressure: float) -> None:
        if self._current is None:
            return
        last = self._current[-1]
        if abs(pos.x() - last.x) + abs(pos.y() - last.y) < 0.5:
            return
        self._current.append(_ink().Point(pos.x(), pos.y(), time.monotonic() - self._t0, pressure))
        w = pen_width(max(pressure, last.pressure)) + 2
        seg = QRectF(QPointF(min(last.x, pos.x()) - w, min(last.y, pos.y()) - w),
                     QPointF(max(last.x, pos.x()) + w, max(last.y, pos.y()) + w))
        self.update(self.view().transform().mapRect(seg).toAlignedRect())

    def _end(self) -> None:
        if self._current is None:
            return
        points, self._current = self._current, None
        self._finish([(p.x, p.y) for p in points], points, time.monotonic() - self._t0)
        self.update()

    def _erase_at(self, pos: QPointF) -> None:
        r2 = (ERASER_RADIUS / self.view().scale) ** 2
        near = {i for i, s in enumerate(self.strokes)
                if any((p.x - pos.x()) ** 2 + (p.y - pos.y()) ** 2 <= r2 for p in s.points)}
        self._erase_indices(near)

    def mousePressEvent(self, event):
        pos = self._to_ink(event.position())
        if event.button() == Qt.RightButton:
            hit = self.symbol_at(pos.x(), pos.y())
            if hit is not None:
                self.symbol_menu(hit).popup(event.globalPosition().toPoint())
            return
        if event.button() == Qt.LeftButton:
            self._begin(pos, MOUSE_PRESSURE)

    def mouseMoveEvent(self, event):
        if event.buttons() & Qt.LeftButton:
            self._extend(self._to_ink(event.position()), MOUSE_PRESSURE)

    def mouseReleaseEvent(self, event):
        if event.button() == Qt.LeftButton:
            self._end()

    def tabletEvent(self, event):
        pos, kind = self._to_ink(event.position()), event.type()
        eraser = event.pointerType() == QPointingDevice.PointerType.Eraser
        if eraser:
            if kind in (QEvent.TabletPress, QEvent.TabletMove) and event.pressure() > 0:
                self._erase_at(pos)
        elif kind == QEvent.TabletPress:
            self._begin(pos, event.pressure())
        elif kind == QEvent.TabletMove:
            if event.pressure() > 0:
                self._extend(pos, event.pressure())
        elif kind == QEvent.TabletRelease:
            self._end()
        event.accept()  # no synthesised mouse events: the pen was handled

    # -- painting ----------------------------------------------------------------------
    def resizeEvent(self, event):  # noqa: N802 (Qt name)
        shown = self._view
        if self.view() != shown:  # static contents repaint only what is new: all of it moved
            self.update()
        super().resizeEvent(event)

    def paintEvent(self, event):
        painter = QPainter(self)
        painter.setRenderHint(QPainter.Antialiasing)
        pal = self.palette()
        painter.fillRect(self.rect(), pal.base())
        if not self.strokes and self._current is None:
            hint = QColor(pal.text().color())
            hint.setAlpha(110)
            painter.setPen(hint)
            painter.drawText(self.rect(), Qt.AlignCenter,
                             "write here with a mouse or a pen\n"
                             "tap a symbol to correct it \u2022 scribble over one to erase it")
        ink = pal.text().color()
        painter.setTransform(self.view().transform())
        for stroke in self.strokes:
            self._draw_points(painter, stroke.points, ink)
        if self._current:
            self._draw_points(painter, self._current, ink)
        painter.resetTransform()  # boxes and tags in screen pixels, at the ink's places
        if self.reading is not None and self.reading_version == self.version:
            canvas_view.draw_boxes(self, painter)
            canvas_keys.draw_selection(self, painter)

    def _draw_points(self, painter: QPainter, points: list, colour: QColor) -> None:
        if len(points) == 1:
            p = points[0]
            r = pen_width(p.pressure) / 2
            painter.setPen(Qt.NoPen)
            painter.setBrush(colour)
            painter.drawEllipse(QPointF(p.x, p.y), r, r)
            painter.setBrush(Qt.NoBrush)
            return
        pen = QPen(colour)
        pen.setCapStyle(Qt.RoundCap)
        pen.setJoinStyle(Qt.RoundJoin)
        for a, b in zip(points, points[1:]):
            pen.setWidthF(pen_width((a.pressure + b.pressure) / 2))
            painter.setPen(pen)
            painter.drawLine(QPointF(a.x, a.y), QPointF(b.x, b.y))

    def label_tags(self) -> list[str]:
        """Each symbol's tag: its label and confidence, or its label marked as corrected."""
        tags = []
        for symbol, label in zip(self.reading.symbols, self.labels()):
            corrected = label != symbol.label
            tags.append(f"{label} (fixed)" if corrected
                        else f"{label} {round(100 * symbol.confidence)}%")
        return tags

    def label_rects(self, metrics: QFontMetricsF | None = None) -> list[QRectF]:
        """Where each symbol's tag is drawn, in screen pixels (``canvas_view.label_rects``)."""
        return canvas_view.label_rects(self, metrics)


class CanvasPanel(QWidget):
    """The canvas with its Undo, Redo and Clear buttons."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.canvas = InkCanvas()
        self.undo_button = QPushButton("Undo")
        self.redo_button = QPushButton("Redo")
        self.clear_button = QPushButton("Clear ink")
        self.status = QLabel("")
        self.status.setObjectName("ink-status")
        for b, tip in [(self.undo_button, "Undo the last change to the ink"),
                       (self.redo_button, "Redo"),
                       (self.clear_button, "Erase all ink")]:
            b.setToolTip(tip)
            b.setFocusPolicy(Qt.NoFocus)
        self.undo_button.clicked.connect(self.canvas.undo)
        self.redo_button.clicked.connect(self.canvas.redo)
        self.clear_button.clicked.connect(self.canvas.clear)
        self.canvas.inkChanged.connect(lambda *_: self._sync())
        self.canvas.undo_stack.indexChanged.connect(lambda *_: self._sync())
        row = QHBoxLayout()
        row.addWidget(self.status, 1)
        row.addWidget(self.undo_button)
        row.addWidget(self.redo_button)
        row.addWidget(self.clear_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.canvas, 1)
        layout.addLayout(row)
        self._sync()

    def _sync(self) -> None:
        if not shiboken6.isValid(self.canvas.undo_stack):  # the stack empties as it dies
            return
        self.undo_button.setEnabled(self.canvas.can_undo())
        self.redo_button.setEnabled(self.canvas.can_redo())
        self.clear_button.setEnabled(bool(self.canvas.strokes))
