"""Ink written while the window was large stays visible, and usable, when it shrinks to
800x600: the canvas shows it smaller (never larger) and maps the pointer back, so new ink,
taps, right-clicks, the eraser and scratch-outs act where the pen is on the screen."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QPointingDevice
from PySide6.QtWidgets import QMenu, QVBoxLayout, QWidget

from calcapp.ink.strokes import Point, Stroke
from calcapp.ui.calculator import canvas_view
from calcapp.ui.calculator.canvas import InkCanvas
from test_ui_fakes import FakeRecognizer
from test_ui_window import _tablet, line, window  # noqa: F401 (window: the fixture)

XS = [20 + 104 * i for i in range(10)]  # ten '1's across a 980 px canvas, the last at 956


def _read(canvas):
    canvas.set_reading(FakeRecognizer().read_strokes(canvas.strokes), canvas.version)


def _small_size(qtbot, window):
    """The canvas's size in an 800x600 main window."""
    window.resize(800, 600)
    qtbot.waitUntil(lambda: window.width() == 800 and window.canvas.width() < 500, timeout=3000)
    return window.canvas.size()


def _written_large(qtbot):
    """A canvas 980 px wide with ink across all of it, read."""
    canvas = InkCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(980, 384)
    canvas.show()
    qtbot.waitExposed(canvas)
    for x in XS:
        canvas.add_stroke(line(x, 150, x + 2, 210))
    _read(canvas)
    return canvas


def _is_ink(canvas, c) -> bool:
    ink = canvas.palette().text().color()
    return abs(c.red() - ink.red()) + abs(c.green() - ink.green()) + abs(c.blue() - ink.blue()) < 90


def _ink_at(canvas, x: int, y0: int, y1: int) -> bool:
    """Whether the painted canvas has ink in column ``x`` (give or take 2) between y0 and y1."""
    image = canvas.grab().toImage()
    k = image.width() / canvas.width()
    return any(_is_ink(canvas, image.pixelColor(round((x + dx) * k), round(y * k)))
               for dx in range(-2, 3) for y in range(y0, y1))


def _ink_columns(canvas) -> list[int]:
    """The x of each run of columns holding ink-coloured pixels in the painted canvas."""
    image = canvas.grab().toImage()
    step = image.width() / canvas.width()  # device pixels per widget pixel
    columns = []
    for x in range(image.width()):
        if any(_is_ink(canvas, image.pixelColor(x, y)) for y in range(0, image.height(), 2)):
            columns.append(x / step)
    runs = []
    for x in columns:
        if not runs or x - runs[-1][-1] > 3:
            runs.append([x])
        else:
            runs[-1].append(x)
    return [round(sum(r) / len(r)) for r in runs]


def test_ink_from_a_large_canvas_is_all_painted_at_800x600(qtbot, window):
    small = _small_size(qtbot, window)
    canvas = _written_large(qtbot)
    assert len(_ink_columns(canvas)) == 10
    canvas.resize(small)
    qtbot.waitUntil(lambda: canvas.width() == small.width(), timeout=3000)
    columns = _ink_columns(canvas)
    assert len(columns) == 10  # every stroke is seen (5 were, before the view), the last
    assert columns[-1] > 0.9 * canvas.width()  # one near the far right
    view = canvas.view()
    assert 0.3 < view.scale < 0.5
    inside = QRectF(canvas.rect())
    for stroke in canvas.strokes:  # each stroke, with its pen's width, is inside the widget
        x, y, w, h = stroke.bbox()
        assert inside.contains(view.box_to_screen((x - 3, y - 3, w + 6, h + 6)))
    assert all(inside.contains(r) for r in canvas.label_rects())  # tags keep their size
    for symbol in canvas.reading.symbols:  # boxes and the keyboard's frame fit too
        assert inside.contains(view.box_to_screen(symbol.box).adjusted(-8, -8, 8, 8))
    canvas.resize(980, 384)  # room again: back to the ink as written
    qtbot.waitUntil(lambda: canvas.view().scale == 1.0, timeout=3000)


def test_pointer_input_while_shrunk_lands_under_the_pointer(qtbot, window, monkeypatch):
    small = _small_size(qtbot, window)
    canvas = _written_large(qtbot)
    canvas.resize(small)
    qtbot.waitUntil(lambda: canvas.width() == small.width(), timeout=3000)
    s = canvas.view().scale
    qtbot.mousePress(canvas, Qt.LeftButton, pos=QPoint(300, 40))
    for y in range(45, 105, 5):
        qtbot.mouseMove(canvas, QPoint(301, y))
    qtbot.mouseRelease(canvas, Qt.LeftButton, pos=QPoint(301, 100))
    assert len(canvas.strokes) == 11
    first, last = canvas.strokes[-1].points[0], canvas.strokes[-1].points[-1]
    # the ink starts at the canvas's corner, so ink = screen / scale: far right of 439 px
    assert first.x == pytest.approx(300 / s, abs=0.01) and first.y == pytest.approx(40 / s, abs=0.01)
    assert last.y == pytest.approx(100 / s, abs=0.01)
    assert canvas.view().scale == s  # a stroke inside the view does not move the view
    assert _ink_at(canvas, 301, 50, 95)  # and it is painted there

    _read(canvas)
    opened = []  # (symbol, where its menu pops up, in canvas pixels)
    monkeypatch.setattr(canvas, "symbol_menu", lambda i: _Menu(canvas, i, opened))
    last_one = canvas.view().box_to_screen(canvas.reading.symbols[-1].box).center()
    assert last_one.x() > 300
    qtbot.mouseClick(canvas, Qt.RightButton, pos=last_one.toPoint())
    qtbot.mouseClick(canvas, Qt.LeftButton, pos=last_one.toPoint())  # a tap, not a dot
    last = len(canvas.reading.symbols) - 1
    assert [i for i, _ in opened] == [last] * 2 and len(canvas.strokes) == 11
    assert (opened[1][1] - last_one.toPoint()).manhattanLength() <= 2  # the tap's menu: there
    canvas.setFocus()  # from the keyboard: the last symbol's menu opens under it, as shown
    qtbot.keyClick(canvas, Qt.Key_End)
    qtbot.keyClick(canvas, Qt.Key_Return)
    shown = canvas.view().box_to_screen(canvas.reading.symbols[-1].box)
    assert opened[-1][0] == last and abs(opened[-1][1].x() - shown.left()) <= 1
    assert shown.bottom() < opened[-1][1].y() < canvas.height()

    eraser = _small_point(canvas, XS[-1] + 1, 180)  # the pen's eraser on the last '1'
    rubber = QPointingDevice.PointerType.Eraser
    _tablet(canvas, QEvent.TabletPress, eraser.x(), eraser.y(), 0.5, rubber)
    _tablet(canvas, QEvent.TabletRelease, eraser.x(), eraser.y(), 0.0, rubber)
    assert len(canvas.strokes) == 10 and all(t.points[0].x != XS[-1] for t in canvas.strokes)


class _Menu(QMenu):
    """A symbol's menu that records where it would pop up instead of showing."""

    def __init__(self, canvas, index, log):
        super().__init__(canvas)
        self.canvas, self.index, self.log = canvas, index, log

    def popup(self, pos, *args):
        self.log.append((self.index, self.canvas.mapFromGlobal(pos)))


def _small_point(canvas, x, y) -> QPointF:
    return canvas.view().to_screen(x, y)


def test_a_scratch_out_while_shrunk_erases_the_symbol_under_it(qtbot, window):
    small = _small_size(qtbot, window)
    canvas = _written_large(qtbot)
    canvas.resize(small)
    qtbot.waitUntil(lambda: canvas.width() == small.width(), timeout=3000)
    centre = _small_point(canvas, XS[5] + 1, 180)
    cx, cy = round(centre.x()), round(centre.y())  # a zig-zag over the sixth '1' as shown
    qtbot.mousePress(canvas, Qt.LeftButton, pos=QPoint(cx - 8, cy - 12))
    for i in range(12):
        qtbot.mouseMove(canvas, QPoint(cx + (8 if i % 2 else -8), cy - 12 + 2 * i))
    qtbot.mouseRelease(canvas, Qt.LeftButton, pos=QPoint(cx + 8, cy + 12))
    assert len(canvas.strokes) == 9
    assert all(abs(s.points[0].x - XS[5]) > 50 for s in canvas.strokes)


def test_at_full_size_the_view_is_the_identity(qtbot):
    canvas = _written_large(qtbot)
    view = canvas.view()
    assert view.scale == 1.0 and view.to_ink(QPointF(123.5, 45.0)) == QPointF(123.5, 45.0)
    canvas.add_stroke(line(975, 20, 978, 90))  # ink right at the edge: no shrinking
    assert canvas.view().scale == 1.0
    qtbot.mousePress(canvas, Qt.LeftButton, pos=QPoint(700, 40))
    for y in range(45, 100, 5):
        qtbot.mouseMove(canvas, QPoint(701, y))
    qtbot.mouseRelease(canvas, Qt.LeftButton, pos=QPoint(701, 100))
    p = canvas.strokes[-1].points[0]
    assert (p.x, p.y) == (700, 40)
    assert _ink_at(canvas, 701, 50, 95) and _ink_at(canvas, 976, 30, 85)


def test_the_view_holds_while_the_pen_is_down(qtbot):
    canvas = _written_large(qtbot)
    canvas.resize(460, 300)
    qtbot.waitUntil(lambda: canvas.width() == 460, timeout=3000)
    s = canvas.view().scale
    qtbot.mousePress(canvas, Qt.LeftButton, pos=QPoint(100, 40))
    canvas.resize(380, 300)  # the layout moves mid-stroke: the ink under the pen must not
    qtbot.mouseMove(canvas, QPoint(100, 80))
    assert canvas.view().scale == s
    qtbot.mouseRelease(canvas, Qt.LeftButton, pos=QPoint(100, 80))
    assert canvas.strokes[-1].points[-1].y == pytest.approx(80 / s, abs=0.01)
    assert canvas.view().scale < s  # after pen-up the smaller canvas is fitted
    # a stroke ending in the margin at the far edge: the view does not creep smaller
    fitted = canvas.view()
    edge = canvas.width() - 3
    qtbot.mousePress(canvas, Qt.LeftButton, pos=QPoint(edge, 30))
    for y in range(35, 80, 5):
        qtbot.mouseMove(canvas, QPoint(edge, y))
    qtbot.mouseRelease(canvas, Qt.LeftButton, pos=QPoint(edge, 80))
    assert canvas.view() == fitted
    refit = canvas_view.fit(canvas_view.ink_box(canvas.strokes), canvas.width(), canvas.height())
    assert refit.scale < fitted.scale  # what a fresh fit at each pen-up would have done


def test_ink_dragged_off_the_canvas_is_brought_back_into_view(qtbot):
    canvas = InkCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(400, 200)
    canvas.show()
    canvas.add_stroke(Stroke([Point(-30 + 10 * i, 20 + i, 0.01 * i) for i in range(12)]))
    view = canvas.view()  # dragged off the left: shifted in, with no need to shrink
    assert view.scale == 1.0 and view.to_screen(-30, 20).x() >= 0
    canvas.add_stroke(line(300, 150, 520, 190))  # and off the right too: now it shrinks
    view = canvas.view()
    assert view.scale < 1.0 and view.to_screen(-30, 20).x() >= 0
    assert view.to_screen(520, 190).x() <= canvas.width()


def test_a_canvas_that_shrinks_in_place_repaints_its_ink(qtbot):
    """The canvas keeps static contents (a window that grows repaints only what is new), so
    when the view changes with its size, all of it must be painted again."""
    top = QWidget()
    qtbot.addWidget(top)
    canvas, below = InkCanvas(), QWidget()
    below.setFixedHeight(10)
    layout = QVBoxLayout(top)
    layout.addWidget(canvas)
    layout.addWidget(below)  # the canvas keeps its place as this grows: it only shrinks
    top.resize(600, 500)
    top.show()
    qtbot.waitExposed(top)
    for x in range(20, 560, 104):
        canvas.add_stroke(line(x, 150, x + 2, 440))
    qtbot.wait(100)  # the ink's own repaint done
    painted = []
    paint = canvas.paintEvent
    canvas.paintEvent = lambda event: (painted.append(event.rect()), paint(event))
    below.setFixedHeight(200)
    qtbot.waitUntil(lambda: canvas.height() < 300 and bool(painted), timeout=3000)
    assert canvas.view().scale < 1 and painted[-1] == canvas.rect()
    painted.clear()
    below.setFixedHeight(10)
    qtbot.waitUntil(lambda: canvas.height() > 400 and bool(painted), timeout=3000)
    assert canvas.view().scale == 1.0 and painted[-1] == canvas.rect()
