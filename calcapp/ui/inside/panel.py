"""The "Inside the model" tab: what a calculator network does with an expression.

The current expression's inspection (encoder heatmap, attention, confidence) comes from the
model manager (``request_inspect``); the whole-grid views (encoder-state scatter, error map)
are computed by the engine too (``run_on_model``, on the model's NumPy predictor, off the GUI
thread), so nothing here blocks the GUI or loads a model itself. A newer grid request
supersedes an older one, whose result is never shown. When the selected model is being
trained, every epoch refreshes the views. Any step of the working can be opened
(``open_step``, from the calculator, or the step picker): the map view then shows that
step's attention, or for the general model which digits its cells read (``steps``).
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from calcapp.ui.inside.grids import error_grid, state_map
from calcapp.ui.inside.steps import WHOLE, StepPicker, draw_step
from calcapp.ui.inside.views import ConfidenceView, ErrorMapView, HeatmapView, StateScatterView

AUTO = "(best model for the expression)"
DEFAULT_TEXT = "3+5"


class InsidePanel(QWidget):
    """Model picker and expression on top; four views below."""

    grids_done = Signal(str)  # "state" or "errors", when a background view is drawn

    def __init__(self, manager, parent=None):
        super().__init__(parent)
        self.manager = manager
        self.pending: int | None = None  # request id of the inspection we wait for
        self.pending_answer: int | None = None
        self.inspection = None
        self.answer = None
        self.pending_steps: int | None = None
        self.step_maps = None  # the current expression's StepMaps
        self.want_step: int | None = None  # the step to open when the maps come
        self.jobs: dict = {}  # "state"/"errors" -> the newest engine Job for that view
        self.run_models: dict[str, str] = {}  # training run id -> model name

        self.model = QComboBox()
        self.model.setMinimumWidth(220)
        self.expression = QLineEdit(DEFAULT_TEXT)
        self.expression.setPlaceholderText("an expression inside the model's task, e.g. 3+5")
        self.operator = QComboBox()
        self.operator.setToolTip("operator for the error map")
        self.model.setAccessibleName("model")
        self.expression.setAccessibleName("expression")
        self.refresh_button = QPushButton("Recompute maps")
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.steps = StepPicker()
        top = QHBoxLayout()
        top.addWidget(QLabel("model"))
        top.addWidget(self.model, 2)
        top.addWidget(QLabel("expression"))
        top.addWidget(self.expression, 2)
        top.addWidget(QLabel("error map op"))
        top.addWidget(self.operator)
        top.addWidget(self.refresh_button)

        self.encoder = HeatmapView("encoder activations", "unit", "input character")
        self.attention = HeatmapView("attention", "input character", "output step",
                                     cmap="viridis")
        self.confidence = ConfidenceView()
        self.states = StateScatterView()
        self.errors = ErrorMapView()
        self.grid = grid = QGridLayout()
        grid.addWidget(self.encoder, 0, 0)
        grid.addWidget(self.attention, 0, 1)
        grid.addWidget(self.confidence, 0, 2)
        grid.addWidget(self.states, 1, 0, 1, 2)
        grid.addWidget(self.errors, 1, 2)
        for c in range(3):
            grid.setColumnStretch(c, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.steps)
        layout.addWidget(self.status)
        layout.addLayout(grid, 1)

        self.debounce = QTimer(self)
        self.debounce.setSingleShot(True)
        self.debounce.setInterval(250)
        self.debounce.timeout.connect(self.inspect_now)
        self.expression.textChanged.connect(lambda _t: self.debounce.start())
        self.typed_here = False  # the user wrote an expression of their own here (the window leaves it)
        self.expression.textEdited.connect(lambda _t: setattr(self, "typed_here", True))
        self.model.currentIndexChanged.connect(self._model_changed)
        self.operator.currentIndexChanged.connect(lambda _i: self.compute_errors())
        self.refresh_button.clicked.connect(self.compute_maps)
        self.steps.chosen.connect(lambda _i: self.show_step())
        self.steps.which_changed.connect(self.show_step)

        manager.inspected.connect(self._on_inspected)
        manager.answered.connect(self._on_answered)
        manager.failed.connect(self._on_failed)
        manager.models_changed.connect(self.reload_models)
        for name in ("training_started", "training_epoch", "training_finished"):
            if hasattr(manager, name):
                getattr(manager, name).connect(getattr(self, "_on_" + name))
        jobs = self.jobs  # not self: the panel is being destroyed when this runs
        self.destroyed.connect(lambda *_: [job.cancel() for job in jobs.values()])
        self.reload_models()

    # -- models ------------------------------------------------------------------------
    def _models(self):
        return self.manager.models()

    def reload_models(self) -> None:
        keep = self.model.currentText()
        self.model.blockSignals(True)
        self.model.clear()
        self.model.addItem(AUTO)
        for info in self._models():
            acc = info.exact_match
            tip = f"{info.architecture}, task {info.task.name}" + (
                "" if acc is None else f", test exact {100 * acc:.2f}%")
            self.model.addItem(info.name)
            self.model.setItemData(self.model.count() - 1, tip, Qt.ToolTipRole)
        index = self.model.findText(keep)
        self.model.setCurrentIndex(max(index, 0))
        self.model.blockSignals(False)
        self._model_changed()

    def select_model(self, name: str) -> bool:
        index = self.model.findText(name)
        if index < 0:
            self.reload_models()
            index = self.model.findText(name)
        if index < 0:
            return False
        self.model.setCurrentIndex(index)
        return True

    def model_name(self) -> str | None:
        text = self.model.currentText()
        return None if text in ("", AUTO) else text

    def model_info(self):
        """The selected model, or the best one for the expression when on auto."""
        from calcapp.nets.registry import best_for

        models = self._models()
        name = self.model_name()
        if name is not None:
            return next((info for info in models if info.name == name), None)
        return best_for(self.expression.text().strip(), models)

    def _model_changed(self, *_):
        info = self.model_info()
        self.operator.blockSignals(True)
        self.operator.clear()
        if info is not None and info.task.two_operand:
            self.operator.addItems(list(info.task.operators))
        self.operator.blockSignals(False)
        if info is not None and not info.task.covers(self.expression.text().strip()):
            self.expression.setText(self._example_for(info))
        self.inspect_now()
        self.compute_maps()

    @staticmethod
    def _example_for(info) -> str:
        from calcapp.expr.datagen import generate

        examples = generate(info.task, 1, seed=1, split="test")
        return examples[0].text if examples else DEFAULT_TEXT

    # -- the current expression --------------------------------------------------------
    def inspect_now(self) -> None:
        text = self.expression.text().strip()
        if not text:
            return
        self.pending = self.manager.request_inspect(text, self.model_name())
        if hasattr(self.manager, "request_steps"):
            self.pending_steps = self.manager.request_steps(text, self.model_name())
        # the answer too: the decoder may write digits in another order than we read them
        self.pending_answer = self.manager.request_answer(text, self.model_name(),
                                                          channel="inside")
        self.answer = None

    def _on_answered(self, request_id: int, answer) -> None:
        if request_id != self.pending_answer:
            return
        self.pending_answer = None
        self.answer = answer
        self.steps.mark_wrong(getattr(answer, "wrong_step", None))
        self._show_status()

    def _show_status(self) -> None:
        parts = []
        ins, ans = self.inspection, self.answer
        if ans is not None and ans.neural is not None:
            mark = "\u2611" if ans.match else "\u2612"
            parts.append(f"{ans.expression} → {ans.neural}  {mark}  (target {ans.target}, "
                         f"model {ans.model})")
        elif ans is not None and (ans.error or ans.outside):
            parts.append(ans.error or ans.outside)
        if ins is not None:
            written = "".join(ins.output_chars)
            if ans is None or ans.neural is None or written != ans.neural:
                parts.append(f"the decoder writes {' '.join(ins.output_chars) or '(nothing)'}"
                             " in this order (the heatmap rows and bars follow it)")
        if parts:
            self.status.setText("   ·   ".join(parts))

    def _on_inspected(self, request_id: int, inspection) -> None:
        if request_id == self.pending_steps and request_id is not None:
            self.pending_steps = None
            self._on_steps(inspection)
            return
        if request_id != self.pending:
            return
        self.pending = None
        self.show_inspection(inspection)

    def _on_failed(self, request_id: int, message: str) -> None:
        if request_id == self.pending:
            self.pending = None
            self.status.setText(message)
        elif request_id == self.pending_steps:
            self.pending_steps = None
            self.steps.set_maps(None)

    def show_inspection(self, ins) -> None:
        self.inspection = ins
        inputs = list(ins.input_chars)
        outputs = list(ins.output_chars)
        self.encoder.set_data(ins.encoder_states, inputs)
        self.attention.plot.setTitle("attention")
        self.attention.plot.setLabel("left", "output step")
        if ins.attention is not None:
            self.attention.set_data(ins.attention, outputs, inputs)
            self.attention.caption.setText(self.attention.caption.text()
                                           + "; rows: answer characters as written")
        else:
            self.attention.clear()
            self.attention.caption.setText("this model has no attention")
        self.confidence.set_data(outputs, list(ins.confidence))
        self.confidence.plot.setTitle("confidence per answer character")
        self._show_status()
        if self.steps.current() != WHOLE:
            self.show_step()  # the step chosen stays on screen

    # -- one step of the working -------------------------------------------------------
    def open_step(self, text: str, model_name: str | None, index: int) -> None:
        """Show step ``index`` of ``text``'s working by ``model_name`` (the calculator's
        "open this step"): the model and expression are set, the step opens when its maps
        come."""
        if model_name:
            self.select_model(model_name)
        self.want_step = index
        self.expression.blockSignals(True)  # no second request from the text's change
        self.expression.setText(text)
        self.expression.blockSignals(False)
        self.debounce.stop()
        self.inspect_now()

    def _on_steps(self, maps) -> None:
        old, self.step_maps = self.step_maps, maps
        wrong = getattr(self.answer, "wrong_step", None)
        if self.want_step is not None:
            select, self.want_step = self.want_step, None
        elif old is not None and old.text == maps.text and old.model == maps.model:
            select = self.steps.current()
        elif any(m.kind == "reads" for m in maps.maps):  # no attention: open a step
            cells = [m.index for m in maps.maps if m.kind == "reads"]
            select = wrong if wrong is not None else cells[0]
        else:
            select = WHOLE
        self._widen_map(any(m.kind == "reads" for m in maps.maps))
        self.steps.set_maps(maps, wrong, select)

    def _widen_map(self, wide: bool) -> None:
        """The general model has no encoder states (and no two-operand error map): its
        step maps take their room, so a long step's rows stay readable."""
        for view in (self.encoder, self.states, self.errors):
            view.setVisible(not wide)
        self.grid.removeWidget(self.attention)
        self.grid.addWidget(self.attention, 0, 0 if wide else 1, 1, 2 if wide else 1)

    def show_step(self, *_) -> None:
        """Draw the chosen step's map, or the whole answer's inspection."""
        m = self.steps.current_map()
        self.steps.which.setEnabled(m is not None and m.occlusion is not None)
        if m is not None:
            draw_step(self.attention, self.confidence, m, self.steps.occlusion())
            if m.states is not None:  # a pass's own encoder states, beside its attention
                self.encoder.set_data(m.states, list(m.input_chars))
        elif self.inspection is not None:
            self.show_inspection(self.inspection)

    # -- background grids --------------------------------------------------------------
    def compute_maps(self) -> None:
        self.compute_states()
        self.compute_errors()

    def _run(self, key: str, info, fn, show) -> None:
        """``fn(predictor)`` by the engine, off the GUI thread; ``show`` draws its result.
        The channel makes a newer request for the same view supersede an older one."""
        self.jobs[key] = self.manager.run_on_model(
            info, fn, channel=f"inside:{key}",
            done=lambda _job, result: self._job_done(key, show, result),
            error=lambda _job, message: self._job_error(key, message))

    def _job_done(self, key: str, show, result) -> None:
        show(result)
        self.grids_done.emit(key)

    def _job_error(self, key: str, message: str) -> None:
        view = self.states if key == "state" else self.errors
        view.caption.setText(message)

    def compute_states(self) -> None:
        info = self.model_info()
        if info is None:
            self.states.caption.setText("no model selected")
            return
        self.states.caption.setText("computing encoder states…")
        self._run("state", info, lambda predictor: state_map(predictor, info.task),
                  self.states.set_data)

    def compute_errors(self) -> None:
        info = self.model_info()
        if info is None or not info.task.two_operand:
            self.errors.grid = None
            self.errors.image.clear()
            self.errors.caption.setText("the error map needs a two-operand model")
            return
        op = self.operator.currentText() or info.task.operators[0]
        self.errors.caption.setText("computing the error map…")
        self._run("errors", info, lambda predictor: error_grid(predictor, info.task, op),
                  self.errors.set_data)

    def wait_for_jobs(self, timeout_ms: int = 60000) -> None:
        """For tests and screenshots: block until the background jobs ended."""
        for job in list(self.jobs.values()):
            job.wait(timeout_ms / 1000)
        QCoreApplication.processEvents()  # deliver their queued results

    # -- live refresh during training --------------------------------------------------
    def _on_training_started(self, run_id: str, info: dict) -> None:
        self.run_models[run_id] = str(info.get("name") or "")

    def _on_training_epoch(self, run_id: str, _report) -> None:
        """The trainer rewrites its best checkpoint as it improves; show the new one."""
        name = self.run_models.get(run_id)
        if not name:
            return
        if self.model.findText(name) < 0:  # the run's first checkpoint just appeared
            refresh = getattr(self.manager, "refresh_models", None)
            if callable(refresh):
                refresh()  # the manager rescans too, so it can inspect the new model
            self.reload_models()
        if name == self.model_name() and self.isVisible():
            self.inspect_now()
            self.compute_maps()

    def _on_training_finished(self, run_id: str, _result) -> None:
        self.run_models.pop(run_id, None)
        self.reload_models()

    def closeEvent(self, event):  # noqa: N802 (Qt name)
        for job in self.jobs.values():
            job.cancel()  # a closed panel draws nothing more
        super().closeEvent(event)
