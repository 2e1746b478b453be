"""The "Training" tab: set up a run, start/pause/stop it, watch it learn, keep the result.

Training itself runs in the model manager's worker (``manager.start_training``); this tab
only listens to its queued signals. Batch events are buffered and drawn by a 10 Hz timer,
so a fast run never floods the GUI thread, and every point also lands in ``RunsStore`` so
the curves survive a restart.
"""

from __future__ import annotations

import time
from dataclasses import asdict, is_dataclass
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from calcapp.engine.runs_store import RunsStore
from calcapp.nets.availability import training_unavailable
from calcapp.ui.training.activation import activation_warning, fresh_config
from calcapp.ui.training.live import Live as _Live, format_eta  # noqa: F401 (format_eta: API)
from calcapp.ui.training.plots import CurvesView
from calcapp.ui.training.form import SetupForm
from calcapp.ui.training.runs import RunsList

FLUSH_MS = 100  # 10 Hz: the issue asks for >= 5 updates a second
CHECK, CROSS = "\u2611", "\u2612"


def config_dict(config) -> dict:
    """A JSON-friendly view of a TrainConfig (or anything with its fields)."""
    if hasattr(config, "to_dict"):
        return config.to_dict()
    if is_dataclass(config):
        data = asdict(config)
    else:
        data = dict(vars(config))
    task = getattr(config, "task", None)
    if hasattr(task, "to_dict"):
        data["task"] = task.to_dict()
    return data


def result_dict(result) -> dict:
    return {
        "model_dir": getattr(result, "model_dir", None),
        "stopped": getattr(result, "stopped", False),
        "best_epoch": getattr(result, "best_epoch", None),
        "metrics": dict(getattr(result, "metrics", {}) or {}),
    }


def _ask(parent, title: str, question: str) -> bool:
    from PySide6.QtWidgets import QMessageBox

    return QMessageBox.question(parent, title, question) == QMessageBox.Yes


class TrainingPanel(QWidget):
    """Setup form, controls, live curves, sample predictions and the runs list."""

    model_activated = Signal(str)  # model name, after "Make active model"

    def __init__(self, manager, parent=None, store: RunsStore | None = None, confirm=None):
        super().__init__(parent)
        self.manager = manager
        self.confirm = confirm or _ask  # (parent, title, question) -> bool; tests answer
        self.store = store or RunsStore()
        running = set(self._running())
        if not running:
            self.store.mark_interrupted()
        self.live: dict[str, _Live] = {}
        self.current: str | None = None  # the run the controls act on
        self.shown: str | None = None  # the run whose samples/results are shown
        self.redraws = 0
        self.cannot_train = training_unavailable()  # the lite build has no TensorFlow

        self.form = SetupForm()
        self.start_button = QPushButton("Start")
        if self.cannot_train:
            self.start_button.setToolTip(self.cannot_train)
        self.pause_button = QPushButton("Pause")
        self.resume_button = QPushButton("Resume")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("stop now; the best checkpoint so far is kept")
        self.activate_button = QPushButton("Make active model")
        self.progress = QProgressBar()
        self.progress.setFormat("%p%")
        self.progress_label = QLabel("idle")
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextSelectableByMouse)

        self.runs = RunsList(self.store)
        self.curves = CurvesView()
        self.samples = QTableWidget(0, 4)
        self.samples.setHorizontalHeaderLabels(["question", "target", "answer", ""])
        self.samples.horizontalHeader().setSectionResizeMode(QHeaderView.Stretch)
        self.samples.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeToContents)
        self.samples.verticalHeader().setVisible(False)
        self.samples.setEditTriggers(QTableWidget.NoEditTriggers)
        self.samples_title = QLabel("sample predictions")
        self.samples.setAccessibleName("sample predictions")
        self.runs.list.setAccessibleName("runs")
        self.curves.x_axis.setAccessibleName("x axis")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self._arrange())
        self.start_button.clicked.connect(self.start)
        self.pause_button.clicked.connect(self.pause)
        self.resume_button.clicked.connect(self.resume)
        self.stop_button.clicked.connect(self.stop)
        self.activate_button.clicked.connect(self.activate_shown)
        self.runs.overlay_changed.connect(self._overlay_changed)
        self.runs.selected.connect(self.show_run)

        m = manager
        m.training_started.connect(self._on_started)
        m.training_batch.connect(self._on_batch)
        m.training_epoch.connect(self._on_epoch)
        m.training_finished.connect(self._on_finished)
        m.training_failed.connect(self._on_failed)

        self.timer = QTimer(self)
        self.timer.setInterval(FLUSH_MS)
        self.timer.timeout.connect(self.flush)
        self.timer.start()

        self.runs.reload()
        self._update_buttons()
        if getattr(self.store, "set_aside", None) is not None:
            self._say(f"the runs file was damaged: it is kept as {self.store.set_aside.name}; runs begin anew")

    def _arrange(self) -> QSplitter:
        """Every control in view at 800x600 without scrolling (only the form's
        hyperparameters scroll), and nothing that moves when a run starts: fixed rows for
        the changing texts, no scroll area around the column."""
        controls = QHBoxLayout()
        for b in (self.start_button, self.pause_button, self.resume_button, self.stop_button):
            b.setMinimumWidth(10)  # four fit a narrow column
            controls.addWidget(b)
        for label in (self.progress_label, self.status):
            label.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Fixed)  # long text: no resize
        line = self.status.fontMetrics().height()
        self.progress_label.setFixedHeight(line + 4)
        self.status.setFixedHeight(2 * line + 6)
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 4, 0)
        lv.addWidget(self.form, 1)
        lv.addLayout(controls)
        lv.addWidget(self.progress)
        lv.addWidget(self.progress_label)
        lv.addWidget(self.activate_button)
        lv.addWidget(self.status)
        left.setMinimumWidth(300)

        runs_box = QWidget()
        rv = QVBoxLayout(runs_box)
        rv.setContentsMargins(0, 0, 0, 0)
        rv.addWidget(QLabel("runs (tick to compare)"))
        rv.addWidget(self.runs, 1)
        samples_box = QWidget()
        sv = QVBoxLayout(samples_box)
        sv.setContentsMargins(0, 0, 0, 0)
        sv.addWidget(self.samples_title)
        sv.addWidget(self.samples, 1)
        self.samples_title.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        bottom = QSplitter(Qt.Horizontal)
        bottom.addWidget(runs_box)
        bottom.addWidget(samples_box)
        bottom.setChildrenCollapsible(False)
        right = QSplitter(Qt.Vertical)
        right.addWidget(self.curves)
        right.addWidget(bottom)
        right.setStretchFactor(0, 3)
        right.setStretchFactor(1, 2)
        right.setChildrenCollapsible(False)
        split = QSplitter(Qt.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(1, 1)
        split.setChildrenCollapsible(False)
        return split

    # -- helpers -----------------------------------------------------------------------
    def _running(self) -> list[str]:
        try:
            return list(self.manager.running_trainings())
        except Exception:
            return []

    def _say(self, text: str) -> None:
        self.status.setText(text)

    def _update_buttons(self) -> None:
        live = self.live.get(self.current) if self.current else None
        busy = live is not None
        steady = busy and not live.stopping
        self.start_button.setEnabled(not busy and self.cannot_train is None)
        self.pause_button.setEnabled(steady and live.paused_at is None)
        self.resume_button.setEnabled(steady and live.paused_at is not None)
        self.stop_button.setEnabled(steady)
        rec = self.store.get_run(self.shown) if self.shown else None
        self.activate_button.setEnabled(
            bool(rec and rec.model_dir and rec.kind == "calculator"
                 and rec.status in ("finished", "stopped")
                 and Path(rec.model_dir, "card.json").is_file())
        )

    def _watch(self, run_id: str, name: str) -> _Live:
        live = self.live.get(run_id)
        if live is None:
            live = self.live[run_id] = _Live(run_id, name)
            if self.store.get_run(run_id) is None:
                self.store.start_run(run_id, name, started_at=live.t0)
            self.curves.add_run(run_id, name)
            self.runs.upsert(run_id, checked=True)
        return live

    # -- controls ----------------------------------------------------------------------
    def start(self) -> str | None:
        """Start the job the form describes; returns its run id (None if refused)."""
        try:
            if self.form.is_calculator_job:
                config = self._fresh(self.form.config())
                name, kind, cfg = config.name, "calculator", config_dict(config)
                devices = self.form.distribute_name()
                more = {} if devices == "none" else {"distribute": devices}
                run_id = self.manager.start_training(config, **more)
            else:
                epochs = self.form.epochs.value()
                name, kind, cfg = "recognizer-personal", "recognizer", {"epochs": epochs}
                run_id = self.manager.start_finetune(epochs=epochs)
        except ValueError as exc:
            self._say(f"cannot start: {exc}")
            return None
        except Exception as exc:  # the manager refused (e.g. TensorFlow unavailable)
            self._say(f"cannot start: {exc}")
            return None
        t0 = time.time()
        self.store.start_run(run_id, name, kind=kind, config=cfg, started_at=t0)
        live = self._watch(run_id, name)
        live.t0 = t0
        self.current = run_id
        self.shown = run_id
        self.samples.setRowCount(0)
        self.progress.setFormat("%p%")
        self.progress.setValue(0)
        self.progress_label.setText("starting… (the first run loads TensorFlow)")
        self._say(f"started {name}")
        self._update_buttons()
        return run_id

    def _fresh(self, config):
        """The config under a name no model or run has: a run never overwrites another."""
        return fresh_config(config, [r.name for r in self.store.list_runs()],
                            [m.name for m in self.manager.models()])

    def pause(self) -> None:
        live = self.live.get(self.current or "")
        if live and live.paused_at is None:
            self.manager.pause_training(live.run_id)
            live.paused_at = time.time()
            self.progress_label.setText(self.progress_label.text() + "  (paused)")
            self._update_buttons()

    def resume(self) -> None:
        live = self.live.get(self.current or "")
        if live and live.paused_at is not None:
            self.manager.resume_training(live.run_id)
            live.paused_total += time.time() - live.paused_at
            live.paused_at = None
            self._update_buttons()

    def stop(self) -> None:
        live = self.live.get(self.current or "")
        if live:
            if live.paused_at is not None:
                live.paused_total += time.time() - live.paused_at
                live.paused_at = None
            live.stopping = True
            self.manager.stop_training(live.run_id)
            self._say("stopping… the best checkpoint so far is kept")
            self.progress_label.setText("stopping\u2026")
            self._update_buttons()

    # -- manager signals ---------------------------------------------------------------
    def _on_started(self, run_id: str, info: dict) -> None:
        live = self._watch(run_id, str(info.get("name") or run_id))
        live.epochs = int(info.get("epochs") or 0)
        live.steps_per_epoch = int(info.get("steps_per_epoch") or 0)
        live.clock.started(live.active_seconds(), live.epochs, live.steps_per_epoch,
                           int(info.get("start_epoch") or 1))
        self.store.set_info(run_id, dict(info))
        live.cells = list(info.get("cells") or [])  # (a columns run)
        live.may_stop_early = bool(info.get("may_stop_early"))
        live.last_round = dict(info.get("last_round") or {})  # (... resumed: where it stands)
        if run_id == self.current:
            self.progress.setRange(0, max(1, live.total_steps))
            params = info.get("parameters")
            if params is not None:
                self._say(f"training {live.name}: {params:,} parameters")

    def _on_batch(self, run_id: str, epoch: int, step: int, loss: float) -> None:
        live = self.live.get(run_id) or self._watch(run_id, run_id)
        live.buffer.append((int(step), int(epoch), float(loss), time.time()))
        live.step, live.epoch = int(step), int(epoch)
        live.clock.batch(live.active_seconds(), int(step))

    def _on_epoch(self, run_id: str, report) -> None:
        live = self.live.get(run_id) or self._watch(run_id, run_id)
        self._flush_run(live)
        live.last_round = dict(getattr(report, "extra", None) or {})  # (a columns run's cell)
        now = time.time()
        self.store.add_epoch(run_id, report, t=now)
        row = {
            "epoch": report.epoch, "step": report.step, "train_loss": report.train_loss,
            "val_loss": report.val_loss, "char_accuracy": report.char_accuracy,
            "exact_match": report.exact_match, "seconds": now - live.t0,
        }
        self.curves.append_epoch(run_id, row)
        live.epoch = report.epoch
        extra = getattr(report, "extra", None) or {}  # what the trainer measured
        live.clock.epoch(live.active_seconds(now), report.epoch,
                         extra.get("validation_s"), extra.get("data_s"))
        if run_id == self.shown:
            self.show_samples(report.samples, live.samples_title(report))

    def _on_finished(self, run_id: str, result) -> None:
        live = self.live.pop(run_id, None)
        if live is not None:
            self._flush_run(live)
        status = "stopped" if getattr(result, "stopped", False) else "finished"
        res = result_dict(result)
        self.store.finish_run(run_id, status, res, model_dir=res["model_dir"])
        self.runs.upsert(run_id)
        if run_id == self.current:
            self.current = None
            acc = res["metrics"].get("exact_match")
            acc_text = "" if acc is None else f"; test exact match {100 * acc:.2f}%"
            where = res["model_dir"] or "no checkpoint was saved"
            best = (live or _Live(run_id, "")).best_text(res["best_epoch"])
            self._say(f"{status}: {best}{acc_text}\n{where}")
            self.progress_label.setText(status)
            if status == "finished":
                self.progress.setValue(self.progress.maximum())
        self.curves.redraw()
        self._update_buttons()

    def _on_failed(self, run_id: str, message: str) -> None:
        live = self.live.pop(run_id, None)
        if live is not None:
            self._flush_run(live)
        self.store.finish_run(run_id, "failed", {"error": message})
        self.runs.upsert(run_id)
        if run_id == self.current:
            self.current = None
            self.progress_label.setText("failed")
            self._say(f"training failed: {message}")
        self._update_buttons()

    # -- drawing -----------------------------------------------------------------------
    def _flush_run(self, live: _Live) -> None:
        if not live.buffer:
            return
        points, live.buffer = live.buffer, []
        self.store.add_batches(live.run_id, points)
        self.curves.append_batches(
            live.run_id, [(s, e, loss, t - live.t0) for s, e, loss, t in points]
        )

    def flush(self) -> None:
        """Timer tick: move buffered batch points to SQLite and the plots, update progress."""
        for live in list(self.live.values()):
            self._flush_run(live)
        live = self.live.get(self.current or "")
        if live is not None and live.cells:
            self._show_cells(live)
        elif live is not None and live.step:
            if live.total_steps:
                self.progress.setRange(0, live.total_steps)
                self.progress.setValue(min(live.step, live.total_steps))
            epoch_text = f"epoch {max(live.epoch, 1)}/{live.epochs or '?'}"
            step_text = f"step {live.step}/{live.total_steps or '?'}"
            paused = "  (paused)" if live.paused_at else ""
            last = live.epochs and live.clock.done >= live.epochs  # the test split is next
            eta = "testing the best checkpoint…" if last else live.eta_text()
            text = f"{epoch_text}  {step_text}  {eta}{paused}"
            self.progress_label.setText("stopping…" if live.stopping else text)
        if self.curves.redraw():
            self.redraws += 1

    def _show_cells(self, live: _Live) -> None:
        """A columns run's progress: cells done of all, the cell and round at work."""
        done, text = live.cells_progress()
        self.progress.setFormat("%v/%m cells")
        self.progress.setRange(0, len(live.cells))
        self.progress.setValue(done)
        paused = "  (paused)" if live.paused_at else ""
        self.progress_label.setText("stopping…" if live.stopping else text + paused)

    # -- runs from the store -----------------------------------------------------------
    def _overlay_changed(self, run_id: str, on: bool) -> None:
        if not on:
            if run_id not in self.live:
                self.curves.remove_run(run_id)
            return
        self.load_run_curves(run_id)

    def load_run_curves(self, run_id: str) -> None:
        rec = self.store.get_run(run_id)
        if rec is None:
            return
        self.curves.add_run(run_id, rec.name)
        steps, losses, times = self.store.batch_curve(run_id)
        rows = []
        for e in rec.epochs:
            row = dict(e)
            row["seconds"] = e["t"] - rec.started_at
            rows.append(row)
        self.curves.set_run_data(run_id, steps, losses, times, rows)
        self.curves.redraw()

    def show_run(self, run_id: str) -> None:
        """Select a run: its last samples and its result (and enable activation)."""
        self.shown = run_id
        rec = self.store.get_run(run_id)
        if rec is None:
            return
        if rec.epochs:
            last = rec.epochs[-1]
            self.show_samples(last["samples"], f"{rec.name}: sample predictions after "
                                               f"epoch {last['epoch']}")
        else:
            self.samples.setRowCount(0)
        if run_id not in self.live:
            acc = rec.test_exact_match
            acc_text = "" if acc is None else f", test exact match {100 * acc:.2f}%"
            err = rec.result.get("error")
            self._say(f"{rec.name}: {rec.status}{acc_text}" + (f"\n{err}" if err else ""))
        self._update_buttons()

    def show_samples(self, samples, title: str) -> None:
        self.samples_title.setText(title)
        self.samples.setRowCount(0)
        for s in samples:
            if isinstance(s, dict):
                q, t, a = s["question"], s["target"], s["answer"]
            else:
                q, t, a = s.question, s.target, s.answer
            ok = a == t
            r = self.samples.rowCount()
            self.samples.insertRow(r)
            for c, text in enumerate((q, t, a, CHECK if ok else CROSS)):
                item = QTableWidgetItem(text)
                if c == 3:
                    item.setForeground(Qt.darkGreen if ok else Qt.red)
                    item.setTextAlignment(Qt.AlignCenter)
                self.samples.setItem(r, c, item)

    # -- finishing ---------------------------------------------------------------------
    def activate_shown(self) -> str | None:
        return self.activate(self.shown) if self.shown else None

    def activate(self, run_id: str) -> str | None:
        """Make a finished (or stopped) run's model the active calculator model."""
        rec = self.store.get_run(run_id)
        if rec is None or not rec.model_dir or not Path(rec.model_dir, "card.json").is_file():
            self._say("this run left no model to activate")
            return None
        from calcapp.nets.registry import load_info

        info = load_info(Path(rec.model_dir))
        warning = activation_warning(info, self.manager.models())
        if warning and not self.confirm(self, "A less accurate model", warning):
            self._say(f"{info.name} was not made active")
            return None
        self.manager.refresh_models()  # rescans the model folders, emits models_changed
        self.model_activated.emit(info.name)  # the window selects it in its model picker
        acc = info.exact_match
        acc_text = "" if acc is None else f" (test exact match {100 * acc:.2f}%)"
        self._say(f"{info.name} is now the active model{acc_text}")
        return info.name

    def closeEvent(self, event):  # noqa: N802 (Qt name)
        self.flush()
        super().closeEvent(event)
