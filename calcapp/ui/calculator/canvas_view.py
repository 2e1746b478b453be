"""How the canvas shows its ink: a view that shrinks ink written on a larger canvas to fit.

Why: strokes keep the coordinates they were written in (recognition does not care about
scale), so ink written while the window was large would be clipped once it shrinks, e.g. to
800x600, and could no longer be seen or tapped. The view maps ink to the screen as
``(ink - origin) * scale + margin``: the identity while the ink lies inside the canvas, and
otherwise the largest scale (never above 1) that shows all of it with a margin for its
boxes. Painting uses the view; every pointer position goes back through its inverse, so
what is drawn zoomed out lands under the pen. Marks over the ink (symbol boxes, tags, the
keyboard's frame) are drawn in screen pixels at their mapped places, so their text keeps
its size.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen, QTransform

from calcapp.ui import theme
from calcapp.ui.calculator import gestures
from calcapp.ui.calculator.labels import place_labels

MARGIN = 10.0  # screen px kept round shrunken ink: its boxes (4), the keyboard frame (8), a pen
MIN_SCALE = 0.05  # ink dragged far outside the canvas still shows, as a speck at worst


@dataclass(frozen=True)
class View:
    scale: float = 1.0
    origin: tuple[float, float] = (0.0, 0.0)  # the ink point drawn at ``margin``
    margin: tuple[float, float] = (0.0, 0.0)

    def to_screen(self, x: float, y: float) -> QPointF:
        return QPointF((x - self.origin[0]) * self.scale + self.margin[0],
                       (y - self.origin[1]) * self.scale + self.margin[1])

    def to_ink(self, pos: QPointF) -> QPointF:
        return QPointF((pos.x() - self.margin[0]) / self.scale + self.origin[0],
                       (pos.y() - self.margin[1]) / self.scale + self.origin[1])

    def box_to_screen(self, box) -> QRectF:
        """An ink box (x, y, w, h) as the screen rectangle it is drawn in."""
        x, y, w, h = box
        return QRectF(self.to_screen(x, y), self.to_screen(x + w, y + h))

    def transform(self) -> QTransform:
        """The painter's transform from ink to screen."""
        t = QTransform()
        t.translate(self.margin[0], self.margin[1])
        t.scale(self.scale, self.scale)
        t.translate(-self.origin[0], -self.origin[1])
        return t

    def shows(self, box, width: float, height: float) -> bool:
        """Whether all of ``box`` is drawn inside a ``width`` x ``height`` canvas."""
        r = self.box_to_screen(box)
        return r.left() >= 0 and r.top() >= 0 and r.right() <= width and r.bottom() <= height


IDENTITY = View()


def ink_box(strokes) -> tuple[float, float, float, float] | None:
    """(x, y, w, h) round every point of ``strokes``; ``None`` without ink."""
    points = [(p.x, p.y) for s in strokes for p in s.points]
    return gestures.bbox(points) if points else None


def _axis(lo: float, hi: float, size: float) -> tuple[float, float, float]:
    """For one axis: the largest scale, the origin and the margin that show [lo, hi]."""
    origin = min(0.0, lo)  # ink that starts inside the canvas keeps its place at the edge
    lead = MARGIN if lo < 0 else 0.0
    room = size - lead - MARGIN
    return room / max(hi - origin, 1e-6), origin, lead


def fit(box, width: float, height: float) -> View:
    """The view of ink in ``box`` on a canvas of ``width`` x ``height``."""
    if box is None or IDENTITY.shows(box, width, height):
        return IDENTITY
    x, y, w, h = box
    sx, ox, mx = _axis(x, x + w, width)
    sy, oy, my = _axis(y, y + h, height)
    return View(max(MIN_SCALE, min(1.0, sx, sy)), (ox, oy), (mx, my))


def settle(current: View, box, width: float, height: float) -> View:
    """The view after the ink changed on a canvas of unchanged size. A stroke that ends in
    the margin would shrink the view a little at each pen-up; while the current view still
    shows all the ink, it stays, so the ink does not creep smaller as the person writes.
    It grows back as soon as less ink (an erase, an undo) allows."""
    new = fit(box, width, height)
    if box is not None and new.scale < current.scale and current.shows(box, width, height):
        return current
    return new


def label_font(canvas) -> QFont:
    font = QFont(canvas.font())
    font.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
    return font


def label_rects(canvas, metrics: QFontMetricsF | None = None) -> list[QRectF]:
    """Where each symbol's tag is drawn, in screen pixels: above its box, or on the first
    free row above or below it inside the canvas, so tags of tightly written symbols never
    overlap, and keep their size when the ink is shown smaller."""
    fm = metrics or QFontMetricsF(label_font(canvas))
    view = canvas.view()
    boxes = [view.box_to_screen(s.box).getRect() for s in canvas.reading.symbols]
    sizes = [(fm.horizontalAdvance(t) + 2, fm.height()) for t in canvas.label_tags()]
    return place_labels(boxes, sizes, QRectF(canvas.rect()))


def mark_rect(canvas, box, pad: float) -> QRectF:
    """The frame round an ink ``box``, ``pad`` screen px out, kept inside the canvas."""
    bounds = QRectF(canvas.rect()).adjusted(1, 1, -1, -1)
    return canvas.view().box_to_screen(box).adjusted(-pad, -pad, pad, pad).intersected(bounds)


def draw_boxes(canvas, painter: QPainter) -> None:
    """Each symbol's dashed box, coloured by confidence (or as corrected), and its tag."""
    painter.setFont(label_font(canvas))
    rects = label_rects(canvas, QFontMetricsF(painter.font()))
    for symbol, label, tag, where in zip(canvas.reading.symbols, canvas.labels(),
                                         canvas.label_tags(), rects):
        corrected = label != symbol.label
        colour = QColor(theme.colour(theme.GOOD) if corrected
                        else theme.confidence_colour(symbol.confidence))
        fill = QColor(colour)
        fill.setAlpha(22)
        painter.setPen(QPen(colour, 1, Qt.DashLine))
        painter.setBrush(fill)
        painter.drawRoundedRect(mark_rect(canvas, symbol.box, 4), 3, 3)
        back = QColor(canvas.palette().base().color())
        back.setAlpha(210)  # a tag over ink stays readable
        painter.fillRect(where, back)
        painter.setPen(colour)
        painter.drawText(where, Qt.AlignLeft | Qt.AlignVCenter, tag)
