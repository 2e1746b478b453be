"""The model manager: the engine's Qt edge, which the GUI talks to.

It holds the signals and composes two parts that know nothing of each other: ``serving``
(answers, readings, inspections and the Inside tab's grids, on worker threads) and
``trainings`` (runs in child processes, and the device probe). Requests return an id at
once; replies arrive as signals on the GUI thread, so nothing the GUI asks can freeze it.
TensorFlow never enters this process on the usual route (see ``trainings``).
"""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import QCoreApplication, QObject, Signal

from calcapp.engine.protocol import Pause, Resume, Stop
from calcapp.engine.serving import Serving
from calcapp.engine.trainings import Trainings
from calcapp.engine.workers import Job


def _default_predictor(info):
    from calcapp.arithmetic.predictor import load_predictor

    return load_predictor(info)


def _default_recognizer():
    from calcapp.handwriting.recognizer import load_recognizer

    return load_recognizer()


def _default_models():
    from calcapp.nets.registry import list_models

    return list_models()


class ModelManager(QObject):
    """See the module docstring. Fakes for tests: ``predictor_for``, ``recognizer_loader``,
    ``models_loader``, ``train_fn`` and ``finetune_fn``."""

    answered = Signal(int, object)
    recognized = Signal(int, object)
    inspected = Signal(int, object)
    failed = Signal(int, str)
    tf_status = Signal(str)
    models_changed = Signal()
    training_started = Signal(str, dict)
    training_batch = Signal(str, int, int, float)
    training_epoch = Signal(str, object)
    training_finished = Signal(str, object)
    training_failed = Signal(str, str)

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        predictor_for: Callable[[Any], Any] | None = None,
        recognizer_loader: Callable[[], Any] | None = None,
        models_loader: Callable[[], list] | None = None,
        train_fn: Callable[..., Any] | None = None,
        finetune_fn: Callable[..., Any] | None = None,
        warm: bool = True,
        start: bool = True,
    ):
        super().__init__(parent)
        self.serving = Serving(self, predictor_for=predictor_for or _default_predictor,
                               recognizer_loader=recognizer_loader or _default_recognizer,
                               models_loader=models_loader or _default_models, start=start)
        self.trainings = Trainings(self, train_fn=train_fn, finetune_fn=finetune_fn,
                                   after=self._after_training)
        self._warm = warm
        self._closing = False
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    def start(self) -> None:
        """Begin serving requests (a manager made with ``start=False`` only queues them)."""
        self.serving.start()

    def warm_up(self) -> None:
        """Load the default model and the recognizer while no request waits.

        The window calls this once it is on screen: warming earlier would compete with
        building the window for the one interpreter lock."""
        if self._warm:
            self.serving.warm_up()

    # -- serving -------------------------------------------------------------------------
    def request_answer(self, text: str, model_name: str | None = None,
                       channel: str = "typing") -> int:
        return self.serving.request_answer(text, model_name, channel)

    def request_recognize(self, strokes: list, and_answer: bool = False,
                          model_name: str | None = None) -> int:
        """Read ink. With ``and_answer`` the reading's expression is answered right away
        too, and ``answered`` comes with this same id just after ``recognized``."""
        return self.serving.request_recognize(strokes, and_answer, model_name)

    def request_inspect(self, text: str, model_name: str | None = None) -> int:
        return self.serving.request_inspect(text, model_name)

    def request_steps(self, text: str, model_name: str | None = None) -> int:
        """The map of every step of the working (``inspected`` carries a ``StepMaps``)."""
        return self.serving.request_steps(text, model_name)

    def run_on_model(self, info, fn: Callable[[Any], Any], channel: str,
                     done: Callable | None = None, error: Callable | None = None) -> Job:
        """``fn(predictor)`` for a whole-grid view, off the GUI thread; see ``Serving``."""
        return self.serving.run_on_model(info, fn, channel, done, error)

    def models(self) -> list:
        """The calculator models known now (bundled and user), as ``ModelInfo``."""
        return self.serving.models()

    def refresh_models(self) -> None:
        """Rescan the model folders (after a training) and tell the GUI."""
        self.serving.reload_models()
        self.models_changed.emit()

    def _after_training(self, kind: str) -> None:
        if kind == "finetune":
            self.serving.forget_recognizer()
        self.serving.reload_models()

    # -- trainings -----------------------------------------------------------------------
    def start_training(self, config, out_dir: str | None = None,
                       resume_from: str | None = None, distribute: str = "none") -> str:
        return self.trainings.start_training(config, out_dir, resume_from, distribute)

    def start_finetune(self, epochs: int = 5) -> str:
        return self.trainings.start_finetune(epochs)

    def pause_training(self, run_id: str) -> None:
        self.trainings.command(run_id, Pause())

    def resume_training(self, run_id: str) -> None:
        self.trainings.command(run_id, Resume())

    def stop_training(self, run_id: str) -> None:
        """Cooperative: the loop stops between batches and keeps its best checkpoint."""
        self.trainings.command(run_id, Stop())

    def is_paused(self, run_id: str) -> bool:
        return self.trainings.is_paused(run_id)

    def running_trainings(self) -> list[str]:
        return self.trainings.running()

    def wait_training(self, run_id: str, timeout: float | None = None) -> bool:
        """Block until the run's work ends (tests, shutdown); True if it did."""
        return self.trainings.wait(run_id, timeout)

    # -- TensorFlow ----------------------------------------------------------------------
    def start_tf(self) -> None:
        """Ask a child process what TensorFlow sees (call after the window is up)."""
        if not self._closing:
            self.trainings.start_probe()

    @property
    def tf_state(self) -> str | None:
        return self.trainings.tf_state

    @property
    def tf_version(self) -> str | None:
        return self.trainings.tf_version

    # -- shutdown ------------------------------------------------------------------------
    def shutdown(self, wait: bool = True) -> None:
        """Stop trainings (each keeps its best checkpoint) and the serving workers."""
        already, self._closing = self._closing, True
        if already and not wait:
            return
        self.trainings.shutdown(wait=False)
        self.serving.shutdown(wait=wait)
        if wait:
            self.trainings.shutdown(wait=True)

    @property
    def closed(self) -> bool:
        return self._closing
