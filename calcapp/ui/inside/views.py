"""The pyqtgraph views of the "Inside the model" tab, each fed plain NumPy data.

Kept apart from the panel so each view can be rendered and tested from arrays alone: a
heatmap with character tick labels (encoder states, attention), per-character confidence
bars, the encoder-state scatter and the (a, b) error map with hover read-out.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from calcapp.ui import theme
from calcapp.ui.inside.grids import ErrorGrid, StateMap


def _show_char(c: str) -> str:
    return {" ": "␣", "": "∅"}.get(c, c)


def _colormap(name: str, fallback: str = "viridis"):
    try:
        return pg.colormap.get(name)
    except Exception:
        return pg.colormap.get(fallback)


class _Plot(QWidget):
    """A titled PlotWidget in the theme's colours, with a one-line caption under it."""

    def __init__(self, title: str, parent=None):
        super().__init__(parent)
        self.plot = pg.PlotWidget(title=title)
        theme.follow(self.plot)  # also after View > theme switches
        self.caption = QLabel("")
        self.caption.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.caption)


MAX_NUMBERS = 240  # cells written out as numbers on a heatmap; past it the colours speak


class HeatmapView(_Plot):
    """rows × columns of values with text labels on the rows (and optionally columns).
    Hovering a row shows its note (``row_notes``) in the caption."""

    def __init__(self, title: str, xlabel: str, ylabel: str, cmap: str = "CET-D1",
                 parent=None):
        super().__init__(title, parent)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setColorMap(_colormap(cmap))
        self.plot.addItem(self.image)
        self.plot.invertY(True)
        self.plot.setLabel("bottom", xlabel)
        self.plot.setLabel("left", ylabel)
        self.plot.setMouseEnabled(x=True, y=True)
        self.data: np.ndarray | None = None
        self.symmetric = cmap.startswith("CET-D")
        self.numbers: list = []  # the TextItems written on the cells
        self.row_notes: list[str] = []
        self.image.setAcceptHoverEvents(True)
        self.image.hoverEvent = self._hover

    def set_data(self, values, row_labels: list[str], col_labels: list[str] | None = None,
                 levels: tuple[float, float] | None = None, numbers: bool = False):
        """``levels``: the colour scale's ends (else the data's); ``numbers``: write each
        cell's value on it (small maps only)."""
        data = np.asarray(values, dtype=float)
        self._clear_numbers()
        self.row_notes = []
        if data.ndim != 2 or data.size == 0:
            self.clear()
            return
        self.data = data
        if levels is None and self.symmetric:
            m = float(np.nanmax(np.abs(data))) or 1.0
            levels = (-m, m)
        elif levels is None:
            levels = (float(np.nanmin(data)), float(np.nanmax(data)) or 1.0)
        self.image.setImage(data, levels=levels)
        if numbers and data.size <= MAX_NUMBERS:
            self._write_numbers(data, levels)
        self.image.setRect(0, 0, data.shape[1], data.shape[0])
        left = self.plot.getAxis("left")
        left.setTicks([[(i + 0.5, _show_char(c)) for i, c in enumerate(row_labels)]])
        bottom = self.plot.getAxis("bottom")
        if col_labels is not None:
            bottom.setTicks([[(j + 0.5, _show_char(c)) for j, c in enumerate(col_labels)]])
        else:
            bottom.setTicks(None)
        self.plot.setXRange(0, data.shape[1], padding=0.02)
        self.plot.setYRange(0, data.shape[0], padding=0.02)
        self.caption.setText(f"{data.shape[0]} × {data.shape[1]}, range "
                             f"{np.nanmin(data):.2f} … {np.nanmax(data):.2f}")

    def _write_numbers(self, data: np.ndarray, levels: tuple[float, float]) -> None:
        span = (levels[1] - levels[0]) or 1.0
        for (r, c), v in np.ndenumerate(data):
            if not np.isfinite(v) or abs(v) < 0.005:
                continue
            text = "1" if v == 1.0 else f"{v:.2f}".lstrip("0")
            dark = (v - levels[0]) / span < 0.6  # viridis: light text on its dark end
            item = pg.TextItem(text, color="#ffffff" if dark else "#000000", anchor=(0.5, 0.5))
            item.setPos(c + 0.5, r + 0.5)
            self.plot.addItem(item)
            self.numbers.append(item)

    def _clear_numbers(self) -> None:
        for item in self.numbers:
            self.plot.removeItem(item)
        self.numbers = []

    def _hover(self, event) -> None:
        if event.isExit() or self.data is None or not self.row_notes:
            return
        row = int(event.pos().y())
        if 0 <= row < len(self.row_notes):
            self.caption.setText(self.row_notes[row])
            self.image.setToolTip(self.row_notes[row])

    def clear(self):
        self._clear_numbers()
        self.row_notes = []
        self.data = None
        self.image.clear()
        self.caption.setText("")
        self.plot.getAxis("left").setTicks([[]])
        self.plot.getAxis("bottom").setTicks([[]])
        self.plot.setXRange(0, 1)
        self.plot.setYRange(0, 1)


class ConfidenceView(_Plot):
    """One bar per output character: the probability the model gave to what it wrote."""

    def __init__(self, parent=None):
        super().__init__("confidence per answer character", parent)
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.7, brush="#1f77b4")
        self.plot.addItem(self.bars)
        self.plot.setYRange(0, 1.05)
        self.plot.setMouseEnabled(x=False, y=False)
        self.values: list[float] = []

    def set_data(self, chars: list[str], confidence: list[float]) -> None:
        n = min(len(chars), len(confidence))
        self.values = [float(c) for c in confidence[:n]]
        brushes = [pg.mkBrush("#2ca02c" if v >= 0.9 else "#ff7f0e" if v >= 0.6 else "#d62728")
                   for v in self.values]
        self.bars.setOpts(x=np.arange(n), height=np.asarray(self.values), width=0.7,
                          brushes=brushes)
        self.plot.getAxis("bottom").setTicks([[(i, _show_char(c)) for i, c in
                                               enumerate(chars[:n])]])
        self.plot.setXRange(-0.6, max(n, 1) - 0.4)
        low = min(self.values) if self.values else None
        self.caption.setText("" if low is None else f"lowest {low:.3f}")


class StateScatterView(_Plot):
    """Encoder state against a+b (1-digit addition) or a 2-D PCA projection by answer."""

    def __init__(self, parent=None):
        super().__init__("encoder state", parent)
        self.scatter = pg.ScatterPlotItem(size=8, pen=None, hoverable=True)
        self.plot.addItem(self.scatter)
        self.plot.showGrid(x=True, y=True, alpha=0.25)
        self.cmap = _colormap("viridis")
        self.map: StateMap | None = None

    def set_data(self, m: StateMap) -> None:
        self.map = m
        vals = m.values
        finite = np.isfinite(vals)
        lo, hi = (float(vals[finite].min()), float(vals[finite].max())) if finite.any() else (0, 1)
        span = (hi - lo) or 1.0
        colors = [self.cmap.map((v - lo) / span, mode="qcolor") if np.isfinite(v)
                  else pg.mkColor("#999999") for v in vals]
        spots = [{"pos": (float(x), float(y)), "brush": pg.mkBrush(c), "data": t}
                 for x, y, c, t in zip(m.x, m.y, colors, m.texts)]
        self.scatter.setData(spots)
        share = ", ".join(f"{100 * s:.0f}%" for s in m.explained)
        if m.kind == "sum":
            ylab = "encoder state" if m.units == 1 else "encoder state (1st principal comp.)"
            self.plot.setLabel("bottom", "a + b")
            self.plot.setLabel("left", ylab)
            self.caption.setText(f"all {len(m.texts)} inputs a+b; {m.units} encoder units"
                                 + (f"; PC1 explains {share}" if m.units > 1 else ""))
        else:
            self.plot.setLabel("bottom", "principal component 1")
            self.plot.setLabel("left", "principal component 2")
            self.caption.setText(f"{len(m.texts)} test inputs, {m.units} encoder units, "
                                 f"coloured by answer ({lo:g} … {hi:g}); variance {share}")
        self.plot.autoRange()


MAX_MARKS = 2000  # beyond this the red image speaks for itself
TICK_PX = 30  # pixels per axis label: "90" and its gap


def tick_step(side: int, length_px: float) -> int:
    """The smallest of 1, 2, 5, 10, 20, 25, 50... whose labels fit ``length_px``."""
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000):
        if side / step * TICK_PX <= length_px:
            return step
    return max(1, side // 4)


class ErrorMapView(_Plot):
    """Green where ``a op b`` is answered right, red where wrong; hover reads one cell."""

    hovered = Signal(str)

    def __init__(self, parent=None):
        super().__init__("error map over (a, b)", parent)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self.plot.setLabel("bottom", "b")
        self.plot.setLabel("left", "a")
        self.plot.setAspectLocked(True)
        self.grid: ErrorGrid | None = None
        self.image.setAcceptHoverEvents(True)
        self.image.hoverEvent = self._hover
        # wrong cells also get a marker of fixed screen size: one wrong cell among 10,000
        # is a 3-pixel square in the image alone
        self.marks = pg.ScatterPlotItem(pxMode=True, size=9, symbol="s",
                                        pen=pg.mkPen("#000000", width=1.5),
                                        brush=pg.mkBrush(215, 40, 40))
        self.plot.addItem(self.marks)
        self.tick_step = 1

    def set_data(self, grid: ErrorGrid) -> None:
        self.grid = grid
        side = grid.ok.shape[0]
        rgb = np.zeros((side, side, 3), dtype=np.uint8)
        rgb[grid.ok] = (170, 220, 170)  # light: the wrong cells are what the eye must find
        rgb[~grid.ok] = (215, 40, 40)
        self.image.setImage(rgb, levels=(0, 255))
        self.image.setRect(0, 0, side, side)
        a, b = np.nonzero(~grid.ok)
        if len(a) <= MAX_MARKS:
            self.marks.setData(x=b + 0.5, y=a + 0.5)
        else:
            self.marks.clear()
        self._set_ticks()
        self.plot.autoRange()
        wrong = int((~grid.ok).sum())
        self.caption.setText(f"{grid.ok.size} inputs a{grid.op}b with a, b < {side}: "
                             f"{100 * grid.accuracy:.2f}% right, {wrong} wrong. "
                             "Hover a cell to read it.")

    def _set_ticks(self) -> None:
        """Tick labels far enough apart to read: a step of 1, 2, 5, 10... cells so that
        each label has ``TICK_PX`` pixels of axis."""
        if self.grid is None:
            return
        side = self.grid.ok.shape[0]
        length = max(40, min(self.plot.width(), self.plot.height()) - 60)
        self.tick_step = tick_step(side, length)
        ticks = [[(i + 0.5, str(i)) for i in range(0, side, self.tick_step)]]
        self.plot.getAxis("bottom").setTicks(ticks)
        self.plot.getAxis("left").setTicks(ticks)

    def resizeEvent(self, event):  # noqa: N802 (Qt name)
        super().resizeEvent(event)
        self._set_ticks()

    def describe_at(self, x: float, y: float) -> str | None:
        """Text for the cell under scene-independent image coordinates (b = x, a = y)."""
        if self.grid is None:
            return None
        side = self.grid.ok.shape[0]
        b, a = int(x), int(y)
        if 0 <= a < side and 0 <= b < side:
            return self.grid.describe(a, b)
        return None

    def _hover(self, event):
        if event.isExit():
            return
        pos = event.pos()
        text = self.describe_at(pos.x(), pos.y())
        if text:
            self.image.setToolTip(text)
            self.caption.setText(text)
            self.hovered.emit(text)
