"""The model manager: one thread that owns the models, and the trainings it runs.

The GUI never calls a model itself. It posts requests (which return an id at once) and
gets answers back as Qt signals, queued into its own thread, so a slow model can never
freeze the window. Answers and readings are NumPy forward passes served by one QThread;
among requests on the same channel only the newest pending one is served ("latest wins":
typing fast never builds a backlog). TensorFlow never enters this process: a child
process reports the device for the status bar, and each training runs in a child process
of its own (``worker_process``) whose events a watcher thread turns into signals, so
neither inference nor the event loop ever waits for TensorFlow. Every error becomes a
``failed`` or ``training_failed`` signal; the serving loop never dies of one.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal

from calcapp.engine.jobs import BridgeCallback, LatestWinsQueue, Request, TrainingJob, new_run_id
from calcapp.engine.messages import readable
from calcapp.nets.events import RunControl


class _ServeThread(QThread):
    def __init__(self, target: Callable[[], None]):
        super().__init__()
        self.setObjectName("calcapp-models")
        self._target = target

    def run(self) -> None:
        self._target()


def _default_predictor(info):
    from calcapp.arithmetic.predictor import load_predictor

    return load_predictor(info)


def _default_recognizer():
    from calcapp.handwriting.recognizer import load_recognizer

    return load_recognizer()


def _log_fallback(exc: BaseException) -> None:
    import sys

    print(f"calcapp: cannot start a training process ({readable(exc)}); "
          "training in a thread instead", file=sys.stderr)


def _in_thread() -> bool:
    return os.environ.get("CALCAPP_TRAIN_IN_THREAD", "") not in ("", "0")


def _user_models_dir():
    from calcapp.paths import user_models_dir

    return user_models_dir()


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
        self._predictor_for = predictor_for or _default_predictor
        self._recognizer_loader = recognizer_loader or _default_recognizer
        self._models_loader = models_loader or _default_models
        self._train_fn = train_fn
        self._finetune_fn = finetune_fn
        self._queue = LatestWinsQueue()
        self._lock = threading.Lock()
        self._models: list | None = None
        self._predictors: dict[tuple, Any] = {}
        self._jobs: dict[str, TrainingJob] = {}
        self._tf_thread: threading.Thread | None = None
        self._tf_state: str | None = None
        self.tf_version: str | None = None
        self._closing = False
        self._warm = warm
        self._warmups: list[Callable[[], None]] = []
        self._thread = _ServeThread(self._serve)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        if start:
            self._thread.start()

    def warm_up(self) -> None:
        """Load the default model and the recognizer while the queue is idle.

        The window calls this once it is on screen: warming earlier would compete with
        building the window for the one interpreter lock."""
        if self._warm and not self._warmups:
            self._warmups = [self._warm_default_model, self._warm_recognizer]
            self._warm = False
            self._queue.put(Request(self._queue.next_id(), "noop", "warm"))

    # -- requests (GUI thread) ---------------------------------------------------------
    def request_answer(self, text: str, model_name: str | None = None,
                       channel: str = "typing") -> int:
        return self._post("answer", f"answer:{channel}", text=text, model_name=model_name)

    def request_recognize(self, strokes: list, and_answer: bool = False,
                          model_name: str | None = None) -> int:
        """Read ink. With ``and_answer`` the reading's expression is answered right away
        too, and ``answered`` comes with this same id just after ``recognized``: pen-up to
        answer then costs one trip between the threads instead of two."""
        return self._post("recognize", "recognize", strokes=list(strokes),
                          and_answer=and_answer, model_name=model_name)

    def request_inspect(self, text: str, model_name: str | None = None) -> int:
        return self._post("inspect", "inspect", text=text, model_name=model_name)

    def _post(self, kind: str, channel: str, **payload) -> int:
        request = Request(self._queue.next_id(), kind, channel, payload)
        self._queue.put(request)
        return request.id

    # -- models ----------------------------------------------------------------------
    def models(self) -> list:
        """The calculator models known now (bundled and user), as ``ModelInfo``."""
        with self._lock:
            cached = self._models
        if cached is None:
            cached = self._load_models()
        return list(cached)

    def refresh_models(self) -> None:
        """Rescan the model folders (after a training) and tell the GUI."""
        self._load_models()
        self.models_changed.emit()

    def _load_models(self) -> list:
        models = list(self._models_loader())
        with self._lock:
            self._models = models
            self._predictors.clear()
        return models

    def _find(self, name: str | None):
        if name is None:
            return None
        for info in self.models():
            if info.name == name:
                return info
        raise LookupError(f"no model named {name!r}")

    def _predictor(self, info):
        stamp = None
        try:
            stamp = os.stat(Path(info.path) / "model.keras").st_mtime_ns
        except (OSError, TypeError):
            pass
        key = (str(info.path), stamp)
        with self._lock:
            predictor = self._predictors.get(key)
        if predictor is None:
            predictor = self._predictor_for(info)
            with self._lock:
                self._predictors[key] = predictor
        return predictor

    # -- the serving thread --------------------------------------------------------------
    def _serve(self) -> None:
        while not self._closing:
            request = self._queue.get(timeout=0.0 if self._warmups else None)
            if request is None:
                if self._closing:
                    break
                if self._warmups:
                    try:
                        self._warmups.pop(0)()
                    except Exception:
                        pass  # a model that fails to load fails again, visibly, on request
                continue
            try:
                handler = getattr(self, f"_do_{request.kind}")
                handler(request)
            except Exception as exc:
                if not self._closing:
                    self.failed.emit(request.id, readable(exc))

    def _do_noop(self, request: Request) -> None:
        """Wakes the loop so it looks at its warm-up list."""

    def _do_answer(self, request: Request) -> None:
        self._answer(request.id, request.payload["text"], request.payload.get("model_name"))

    def _answer(self, rid: int, text: str, model_name: str | None) -> None:
        from calcapp.arithmetic.answering import answer_many

        info = self._find(model_name)
        answer = answer_many([text], model=info, models=self.models(),
                             predictor_for=self._predictor)[0]
        self.answered.emit(rid, answer)

    def _do_recognize(self, request: Request) -> None:
        reading = self._recognizer_loader().read_strokes(request.payload["strokes"])
        self.recognized.emit(request.id, reading)
        if request.payload.get("and_answer") and reading.expression:
            self._answer(request.id, reading.expression, request.payload.get("model_name"))

    def _do_inspect(self, request: Request) -> None:
        from calcapp.nets.registry import best_for

        text = request.payload["text"]
        info = self._find(request.payload.get("model_name")) or best_for(text, self.models())
        if info is None:
            raise LookupError("no model covers this input")
        self.inspected.emit(request.id, self._predictor(info).inspect(text))

    def _warm_default_model(self) -> None:
        models = self.models()
        if models:
            best = max(models, key=lambda m: m.exact_match or 0.0)
            self._predictor(best)

    def _warm_recognizer(self) -> None:
        self._recognizer_loader()

    # -- TensorFlow ----------------------------------------------------------------------
    def start_tf(self) -> None:
        """Ask a child process what TensorFlow sees (call after the window is up)."""
        with self._lock:
            if self._tf_thread is not None or self._closing:
                return
            self._tf_thread = threading.Thread(target=self._probe_tf, name="calcapp-tf",
                                               daemon=True)
        self._tf_thread.start()

    def _probe_tf(self) -> None:
        from calcapp.engine.worker_process import probe_tensorflow

        self.tf_status.emit("loading")
        try:
            state, version = probe_tensorflow()
        except Exception as exc:  # cannot start a process at all
            state, version = f"unavailable: {readable(exc)}", None
        self.tf_version = version
        self._set_tf_state(state)

    def _set_tf_state(self, state: str) -> None:
        if state != self._tf_state:
            self._tf_state = state
            self.tf_status.emit(state)

    def _ensure_tf(self) -> str:
        """TensorFlow in this process: only for trainings run in a thread (tests, or
        CALCAPP_TRAIN_IN_THREAD=1 where child processes cannot start)."""
        from calcapp.engine import tf_runtime

        state = tf_runtime.init_tensorflow()
        self._set_tf_state(state)
        return state

    @property
    def tf_state(self) -> str | None:
        return self._tf_state

    # -- training ------------------------------------------------------------------------
    def start_training(self, config, out_dir: str | None = None,
                       resume_from: str | None = None, distribute: str = "none") -> str:
        run_id = new_run_id(getattr(config, "name", "run"))
        # train() saves its best checkpoint in <out_dir>/<config.name>: by default a user
        # model, which the registry then lists
        target = out_dir or str(_user_models_dir())
        if self._train_fn is None and not _in_thread():
            spec = {"config": config, "out_dir": target, "resume_from": resume_from,
                    "distribute": distribute}
            try:
                return self._launch_child(run_id, "train", spec)
            except (OSError, RuntimeError, ValueError) as exc:
                if self._closing:
                    raise
                _log_fallback(exc)  # no child process here: train in a thread instead

        def work(callback, control):
            train = self._train_fn
            if train is None:
                self._ensure_tf()
                from calcapp.arithmetic.trainer import train
            from calcapp.nets.distribution import from_name  # (a fake train_fn: "none")

            more = {} if distribute in (None, "none") else {"strategy": from_name(distribute)}
            return train(config, target, callback=callback, control=control,
                         resume_from=resume_from, **more)

        return self._launch(run_id, "train", work)

    def start_finetune(self, epochs: int = 5) -> str:
        run_id = new_run_id("finetune")
        if self._finetune_fn is None and not _in_thread():
            try:
                return self._launch_child(run_id, "finetune", {"epochs": epochs})
            except (OSError, RuntimeError, ValueError) as exc:
                if self._closing:
                    raise
                _log_fallback(exc)

        def work(callback, control):
            fine_tune = self._finetune_fn
            if fine_tune is None:
                self._ensure_tf()
                from calcapp.handwriting.personal import SampleStore, fine_tune as real

                return real(SampleStore(), callback=callback, control=control, epochs=epochs)
            return fine_tune(callback=callback, control=control, epochs=epochs)

        return self._launch(run_id, "finetune", work)

    def _register(self, job: TrainingJob) -> None:
        with self._lock:
            if self._closing:
                raise RuntimeError("the model manager is shutting down")
            self._jobs[job.run_id] = job

    def _launch(self, run_id: str, kind: str, work) -> str:
        job = TrainingJob(run_id, kind, RunControl())
        job.thread = threading.Thread(target=self._run_job, args=(job, work),
                                      name=f"calcapp-train-{run_id}", daemon=True)
        self._register(job)
        job.thread.start()
        return run_id

    def _launch_child(self, run_id: str, kind: str, spec: dict) -> str:
        from calcapp.engine.worker_process import ChildTraining

        job = TrainingJob(run_id, kind, RunControl())
        self._register(job)
        try:
            job.child = ChildTraining(run_id, kind, spec)
        except Exception:
            with self._lock:
                self._jobs.pop(run_id, None)
            raise
        job.thread = threading.Thread(target=self._watch_child, args=(job,),
                                      name=f"calcapp-watch-{run_id}", daemon=True)
        job.thread.start()
        return run_id

    def _watch_child(self, job: TrainingJob) -> None:
        """Turn a child's messages into signals; the child's end is always reported."""
        failed = None
        result = None
        for msg in job.child.messages():
            kind = msg[0]
            if kind == "started":
                self.training_started.emit(job.run_id, dict(msg[1]))
            elif kind == "batch":
                self.training_batch.emit(job.run_id, int(msg[1]), int(msg[2]), float(msg[3]))
            elif kind == "epoch":
                self.training_epoch.emit(job.run_id, msg[1])
            elif kind == "tf":
                self._set_tf_state(msg[1])
            elif kind == "done":
                result = msg[1]
            elif kind == "error":
                failed = msg[1]
        job.child.join(timeout=60)
        self._end_job(job, result, failed)

    def _run_job(self, job: TrainingJob, work) -> None:
        emitters = {
            "started": lambda *a: self.training_started.emit(*a),
            "batch": lambda *a: self.training_batch.emit(*a),
            "epoch": lambda *a: self.training_epoch.emit(*a),
        }
        callback = BridgeCallback(job.run_id, emitters)
        try:
            result = work(callback, job.control)
        except Exception as exc:
            self._end_job(job, None, readable(exc))
            return
        self._end_job(job, result if result is not None else callback.result, None)

    def _end_job(self, job: TrainingJob, result, failed: str | None) -> None:
        if failed is not None:
            job.finished = True
            self.training_failed.emit(job.run_id, failed)
            return
        if job.kind == "finetune":
            self._forget_recognizer()
        try:
            self._load_models()
        except Exception:
            pass
        job.finished = True
        self.training_finished.emit(job.run_id, result)
        self.models_changed.emit()

    def _forget_recognizer(self) -> None:
        try:
            from calcapp.handwriting.recognizer import load_recognizer
        except ImportError:
            return
        clear = getattr(load_recognizer, "cache_clear", None)
        if clear is not None:
            clear()

    def _job(self, run_id: str) -> TrainingJob:
        with self._lock:
            job = self._jobs.get(run_id)
        if job is None:
            raise KeyError(f"no training {run_id!r}")
        return job

    def _command(self, run_id: str, command: str) -> None:
        job = self._job(run_id)
        getattr(job.control, command)()  # the flag here also answers is_paused()
        if job.child is not None:
            job.child.send(command)

    def pause_training(self, run_id: str) -> None:
        self._command(run_id, "pause")

    def resume_training(self, run_id: str) -> None:
        self._command(run_id, "resume")

    def stop_training(self, run_id: str) -> None:
        """Cooperative: the loop stops between batches and keeps its best checkpoint."""
        self._command(run_id, "stop")

    def is_paused(self, run_id: str) -> bool:
        return self._job(run_id).control.paused

    def running_trainings(self) -> list[str]:
        with self._lock:
            return [rid for rid, job in self._jobs.items() if job.alive()]

    def wait_training(self, run_id: str, timeout: float | None = None) -> bool:
        """Block until the run's thread ends (tests, shutdown); True if it did."""
        job = self._job(run_id)
        if job.thread is not None:
            job.thread.join(timeout)
        return job.thread is None or not job.thread.is_alive()

    # -- shutdown ------------------------------------------------------------------------
    def shutdown(self, wait: bool = True) -> None:
        """Stop trainings (each keeps its best checkpoint) and the serving thread."""
        with self._lock:
            already = self._closing
            self._closing = True
            jobs = list(self._jobs.values())
        for job in jobs:
            job.control.stop()
            if job.child is not None:
                job.child.send("stop")
        self._queue.close()
        if already and not wait:
            return
        if wait:
            if self._thread.isRunning():
                self._thread.wait()
            for job in jobs:
                if job.thread is not None:
                    job.thread.join(timeout=120)
            if self._tf_thread is not None:
                self._tf_thread.join(timeout=30)

    @property
    def closed(self) -> bool:
        return self._closing
