"""Live training curves with pyqtgraph: per-batch loss and per-epoch metrics, several runs.

Batch points arrive hundreds of times a second from the model-manager thread; the panel
only appends them to NumPy-friendly lists here and calls ``redraw()`` from a QTimer, so
drawing costs one ``setData`` per curve per tick whatever the batch rate.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from calcapp.ui import theme

PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b",
           "#e377c2"]


def ema(values, weight: float) -> np.ndarray:
    """Debiased exponential moving average (TensorBoard's smoothing); weight in [0, 1)."""
    v = np.asarray(values, dtype=float)
    if weight <= 0 or v.size == 0:
        return v
    out = np.empty_like(v)
    acc, norm = 0.0, 0.0
    for i, x in enumerate(v):
        acc = weight * acc + (1 - weight) * x
        norm = weight * norm + (1 - weight)
        out[i] = acc / norm
    return out


@dataclass
class RunSeries:
    """Everything drawn for one run; lists grow while it trains."""

    label: str
    color: str
    steps: list[int] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    epochs: list[dict] = field(default_factory=list)  # rows as in RunsStore.epoch_rows
    items: dict = field(default_factory=dict)  # curve name -> PlotDataItem
    _smooth: list = field(default_factory=list)  # EMA of losses[:len(_smooth)]
    _smooth_state: tuple = (None, 0.0, 0.0)  # (weight, acc, norm) after _smooth

    def smoothed(self, weight: float) -> np.ndarray:
        """EMA of the losses, extended incrementally: a redraw costs only the new points."""
        w, acc, norm = self._smooth_state
        if w != weight or len(self._smooth) > len(self.losses):
            self._smooth, acc, norm = [], 0.0, 0.0
        if weight <= 0:
            self._smooth = list(self.losses)
        else:
            for x in self.losses[len(self._smooth):]:
                acc = weight * acc + (1 - weight) * x
                norm = weight * norm + (1 - weight)
                self._smooth.append(acc / norm)
        self._smooth_state = (weight, acc, norm)
        return np.asarray(self._smooth, dtype=float)


def _xs(series: RunSeries, by_time: bool, rows: list[dict] | None = None, t0: float = 0.0):
    if rows is None:
        return np.asarray(series.times if by_time else series.steps, dtype=float)
    key = "seconds" if by_time else "step"
    return np.asarray([r.get(key, 0.0) for r in rows], dtype=float)


class CurvesView(QWidget):
    """Batch loss (raw + smoothed) and epoch loss/accuracy plots with their controls."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.series: dict[str, RunSeries] = {}
        self._dirty = False
        self._next_color = 0

        self.smoothing = QSlider(Qt.Horizontal)
        self.smoothing.setRange(0, 99)
        self.smoothing.setValue(80)
        self.smoothing.setToolTip("smoothing of the per-batch loss (exponential moving average)")
        self.log_scale = QCheckBox("log loss")
        self.x_axis = QComboBox()
        self.x_axis.addItems(["x: step", "x: time (s)"])
        controls = QHBoxLayout()
        controls.addWidget(QLabel("smoothing"))
        controls.addWidget(self.smoothing, 1)
        controls.addWidget(self.log_scale)
        controls.addWidget(self.x_axis)

        self.batch_plot = pg.PlotWidget(title="loss per batch")
        # short titles that fit a narrow plot; the line styles are told once, below them
        self.loss_plot = pg.PlotWidget(title="loss per epoch")
        self.acc_plot = pg.PlotWidget(title="accuracy")
        self.key = QLabel("solid: training loss, exact match \u2022 "
                          "dashed: validation loss, per-character accuracy")
        self.key.setWordWrap(True)
        self.key.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.acc_plot.setYRange(0, 1)
        for plot in (self.batch_plot, self.loss_plot, self.acc_plot):
            plot.showGrid(x=True, y=True, alpha=0.25)
            plot.setMinimumHeight(90)
            plot.setMinimumWidth(60)
            plot.plotItem.titleLabel.setMaximumHeight(22)
            plot.setDownsampling(auto=True, mode="peak")
            plot.setClipToView(True)
        self.batch_plot.addLegend(offset=(-10, 10))
        for plot in (self.batch_plot, self.loss_plot, self.acc_plot):
            theme.follow(plot)  # also after View > theme switches
        row = QHBoxLayout()
        row.addWidget(self.loss_plot)
        row.addWidget(self.acc_plot)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(controls)
        layout.addWidget(self.batch_plot, 3)
        layout.addLayout(row, 2)
        layout.addWidget(self.key)

        self.smoothing.valueChanged.connect(self._invalidate)
        self.log_scale.toggled.connect(self._apply_log)
        self.x_axis.currentIndexChanged.connect(self._invalidate)

    # -- data --------------------------------------------------------------------------
    @property
    def by_time(self) -> bool:
        return self.x_axis.currentIndex() == 1

    def add_run(self, run_id: str, label: str) -> RunSeries:
        if run_id in self.series:
            return self.series[run_id]
        color = PALETTE[self._next_color % len(PALETTE)]
        self._next_color += 1
        s = RunSeries(label, color)
        base = pg.mkColor(color)
        faint = pg.mkColor(color)
        faint.setAlpha(60)
        s.items["raw"] = self.batch_plot.plot(pen=pg.mkPen(faint, width=1))
        s.items["smooth"] = self.batch_plot.plot(pen=pg.mkPen(base, width=2), name=label)
        s.items["train"] = self.loss_plot.plot(pen=pg.mkPen(base, width=2), symbol="o",
                                               symbolSize=5, symbolBrush=base)
        s.items["val"] = self.loss_plot.plot(pen=pg.mkPen(base, width=2, style=Qt.DashLine))
        s.items["exact"] = self.acc_plot.plot(pen=pg.mkPen(base, width=2), symbol="o",
                                              symbolSize=5, symbolBrush=base)
        s.items["char"] = self.acc_plot.plot(pen=pg.mkPen(base, width=2, style=Qt.DashLine))
        self.series[run_id] = s
        self._dirty = True
        return s

    def remove_run(self, run_id: str) -> None:
        s = self.series.pop(run_id, None)
        if s is None:
            return
        for name, item in s.items.items():
            plot = {"raw": self.batch_plot, "smooth": self.batch_plot, "train": self.loss_plot,
                    "val": self.loss_plot, "exact": self.acc_plot, "char": self.acc_plot}[name]
            plot.removeItem(item)
        legend = self.batch_plot.plotItem.legend
        if legend is not None:
            legend.removeItem(s.label)

    def clear(self) -> None:
        for run_id in list(self.series):
            self.remove_run(run_id)

    def append_batches(self, run_id: str, points) -> None:
        """``points``: (step, epoch, loss, seconds-since-start) tuples."""
        s = self.series.get(run_id)
        if s is None:
            return
        for step, _epoch, loss, t in points:
            s.steps.append(step)
            s.losses.append(loss)
            s.times.append(t)
        self._dirty = True

    def append_epoch(self, run_id: str, row: dict) -> None:
        s = self.series.get(run_id)
        if s is None:
            return
        s.epochs.append(row)
        self._dirty = True

    def set_run_data(self, run_id: str, steps, losses, times, epochs) -> None:
        s = self.series[run_id]
        s.steps, s.losses, s.times, s.epochs = list(steps), list(losses), list(times), list(epochs)
        s._smooth = []  # data replaced: smooth again from the start
        self._dirty = True

    def point_count(self, run_id: str) -> int:
        s = self.series.get(run_id)
        return len(s.steps) if s else 0

    # -- drawing -----------------------------------------------------------------------
    def _invalidate(self, *_):
        self._dirty = True
        self.redraw()

    def _apply_log(self, on: bool):
        self.batch_plot.setLogMode(y=on)
        self.loss_plot.setLogMode(y=on)
        self._invalidate()

    def redraw(self) -> bool:
        """Push new data to the curves; returns False when nothing changed."""
        if not self._dirty:
            return False
        self._dirty = False
        weight = self.smoothing.value() / 100.0
        by_time = self.by_time
        for s in self.series.values():
            x = _xs(s, by_time)
            y = np.asarray(s.losses, dtype=float)
            smooth = s.smoothed(weight)
            if self.log_scale.isChecked():
                keep = (y > 0) & (smooth > 0)
                x, y, smooth = x[keep], y[keep], smooth[keep]
            s.items["raw"].setData(x, y)
            s.items["smooth"].setData(x, smooth)
            rows = s.epochs
            ex = _xs(s, by_time, rows)
            for name, key in (("train", "train_loss"), ("val", "val_loss"),
                              ("exact", "exact_match"), ("char", "char_accuracy")):
                pairs = [(xv, r.get(key)) for xv, r in zip(ex, rows) if r.get(key) is not None]
                if name in ("train", "val") and self.log_scale.isChecked():
                    pairs = [p for p in pairs if p[1] > 0]
                xs = np.asarray([p[0] for p in pairs], dtype=float)
                ys = np.asarray([p[1] for p in pairs], dtype=float)
                s.items[name].setData(xs, ys)
        return True
