"""Trainings: start, watch, pause, resume and stop training runs, and probe the device.

TensorFlow never enters the window's process on the usual route: each training runs in a
child process of its own (``worker_process``) whose ``protocol`` messages a worker job
relays here. Where no child process can start (or with ``CALCAPP_TRAIN_IN_THREAD=1``, or a
stand-in trainer in tests) the same ``perform`` runs in a worker thread and posts the same
messages. Either way they reach ``_on_message`` on the GUI thread, which turns them into
the manager's signals; a run's end is always reported, as finished or failed.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Callable

from calcapp.engine.protocol import (
    Command,
    DeviceReady,
    EpochDone,
    Failed,
    Finished,
    Message,
    Progress,
    Started,
    Stop,
    TrainingSpec,
    is_last,
    readable,
)
from calcapp.engine.workers import Executor, Job
from calcapp.nets.events import RunControl

MAX_TRAININGS = 8  # runs watched (or run) at once; one more waits for a free thread


def new_run_id(name: str) -> str:
    """Readable and unique enough: ``<name>-YYYYmmdd-HHMMSS-<ms>``."""
    now = time.time()
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in name) or "run"
    return f"{safe}-{stamp}-{int(now * 1000) % 1000:03d}"


def _in_thread() -> bool:
    return os.environ.get("CALCAPP_TRAIN_IN_THREAD", "") not in ("", "0")


def _log_fallback(exc: BaseException) -> None:
    import sys

    print(f"calcapp: cannot start a training process ({readable(exc)}); "
          "training in a thread instead", file=sys.stderr)


def _user_models_dir():
    from calcapp.paths import user_models_dir

    return user_models_dir()


def _spawn(run_id: str, spec: TrainingSpec):
    from calcapp.engine.worker_process import ChildTraining

    return ChildTraining(run_id, spec)


def _probe() -> DeviceReady:
    from calcapp.engine.worker_process import probe_tensorflow

    try:
        return probe_tensorflow()
    except Exception as exc:  # cannot start a process at all
        return DeviceReady(f"unavailable: {readable(exc)}")


class TrainingRun(Job):
    """One run: its pause/stop flags, its child process (if any), and whether it ended."""

    def __init__(self, run_id: str, spec: TrainingSpec, child=None,
                 train: Callable | None = None, finetune: Callable | None = None,
                 after: Callable[[str], None] | None = None):
        super().__init__(channel=f"run:{run_id}")
        self.run_id, self.spec, self.child = run_id, spec, child
        self.control = RunControl()  # its flag also answers is_paused() for a child's run
        self.finished = False  # set before the last signal, so a slot never sees it running
        self._train, self._finetune, self._after = train, finetune, after

    def work(self) -> None:
        """Relay the run's messages; the last one waits until ``after`` (a model rescan)
        has run here, off the GUI thread, so the GUI hears of the end with the new model
        already listed."""
        last: list[Message] = []

        def post(message: Message) -> None:
            if is_last(message):
                last.append(message)
            else:
                self.post(message)

        if self.child is None:
            from calcapp.engine.worker_process import perform  # multiprocessing: not at startup

            perform(self.spec, post, self.control, train=self._train, finetune=self._finetune)
        else:
            for message in self.child.messages():
                post(message)
            self.child.join(timeout=60)
        end = last[0] if last else Failed("the training ended without a word")
        if isinstance(end, Finished) and self._after is not None:
            try:
                self._after(self.spec.kind)
            except Exception:
                pass  # a rescan that fails must not hide the run's end
        self.post(end)

    def alive(self) -> bool:
        return not self.finished and not self.ended


class Trainings:
    """The runs of this session. ``out`` is the manager, whose signals report them;
    ``after(kind)`` runs (on the run's worker thread) when a run finished and may have
    written a model."""

    def __init__(self, out, *, train_fn: Callable | None = None,
                 finetune_fn: Callable | None = None,
                 after: Callable[[str], None] | None = None):
        self.out = out
        self.train_fn, self.finetune_fn = train_fn, finetune_fn
        self.after = after
        self.executor = Executor("calcapp-train", MAX_TRAININGS, parent=out)
        self._lock = threading.Lock()
        self._runs: dict[str, TrainingRun] = {}
        self._probe: Job | None = None
        self.tf_state: str | None = None
        self.tf_version: str | None = None
        self.closed = False

    # -- starting ----------------------------------------------------------------------
    def start_training(self, config, out_dir: str | None = None,
                       resume_from: str | None = None, distribute: str = "none") -> str:
        # train() saves its best checkpoint in <out_dir>/<config.name>: by default a user
        # model, which the registry then lists
        if getattr(config, "architecture", None) == "columns" and distribute not in (None, "none"):
            from calcapp.arithmetic.hparams_check import ONE_DEVICE

            raise ValueError(ONE_DEVICE)  # refused before a process starts
        spec = TrainingSpec("train", config=config, out_dir=out_dir or str(_user_models_dir()),
                            resume_from=resume_from, distribute=distribute or "none")
        return self._start(new_run_id(getattr(config, "name", "run")), spec,
                           stand_in=self.train_fn is not None)

    def start_finetune(self, epochs: int = 5) -> str:
        return self._start(new_run_id("finetune"), TrainingSpec("finetune", epochs=epochs),
                           stand_in=self.finetune_fn is not None)

    def _start(self, run_id: str, spec: TrainingSpec, stand_in: bool) -> str:
        if self.closed:
            raise RuntimeError("the model manager is shutting down")
        child = None
        if not stand_in and not _in_thread():
            try:
                child = _spawn(run_id, spec)
            except (OSError, RuntimeError, ValueError) as exc:
                _log_fallback(exc)  # no child process here: train in a thread instead
        run = TrainingRun(run_id, spec, child, train=self.train_fn, finetune=self.finetune_fn,
                          after=self.after)
        run.then(post=self._on_message,
                 error=lambda job, text: self._on_message(job, Failed(text)))
        with self._lock:
            self._runs[run_id] = run
        self.executor.submit(run)
        return run_id

    # -- messages (GUI thread) ---------------------------------------------------------
    def _on_message(self, run: TrainingRun, message: Message) -> None:
        rid, out = run.run_id, self.out
        if isinstance(message, Started):
            out.training_started.emit(rid, dict(message.info))
        elif isinstance(message, Progress):
            out.training_batch.emit(rid, message.epoch, message.step, message.loss)
        elif isinstance(message, EpochDone):
            out.training_epoch.emit(rid, message.report)
        elif isinstance(message, DeviceReady):
            self.set_tf_state(message.state)
        elif run.finished:
            return  # the run's end was reported already
        elif isinstance(message, Finished):
            run.finished = True
            out.training_finished.emit(rid, message.result)
            out.models_changed.emit()
        elif isinstance(message, Failed):
            run.finished = True
            out.training_failed.emit(rid, message.message)

    # -- control -----------------------------------------------------------------------
    def _run(self, run_id: str) -> TrainingRun:
        with self._lock:
            run = self._runs.get(run_id)
        if run is None:
            raise KeyError(f"no training {run_id!r}")
        return run

    def command(self, run_id: str, command: Command) -> None:
        run = self._run(run_id)
        command.apply(run.control)
        if run.child is not None:
            run.child.send(command)

    def is_paused(self, run_id: str) -> bool:
        return self._run(run_id).control.paused

    def running(self) -> list[str]:
        with self._lock:
            return [rid for rid, run in self._runs.items() if run.alive()]

    def wait(self, run_id: str, timeout: float | None = None) -> bool:
        """Block until the run's work ends (tests, shutdown); True if it did."""
        return self._run(run_id).wait(timeout)

    # -- TensorFlow --------------------------------------------------------------------
    def start_probe(self) -> None:
        """Ask a child process what TensorFlow sees (call after the window is up)."""
        with self._lock:
            if self._probe is not None or self.closed:
                return
            self._probe = Job(_probe, channel="tf-probe").then(done=self._probed)
        self.out.tf_status.emit("loading")
        self.executor.submit(self._probe)

    def _probed(self, _job: Job, ready: DeviceReady) -> None:
        self.tf_version = ready.version
        self.set_tf_state(ready.state)

    def set_tf_state(self, state: str) -> None:
        if state != self.tf_state:
            self.tf_state = state
            self.out.tf_status.emit(state)

    # -- shutdown ----------------------------------------------------------------------
    def shutdown(self, wait: bool = True) -> None:
        """Stop every run (each keeps its best checkpoint); their ends are still reported."""
        with self._lock:
            already, self.closed = self.closed, True
            runs = [] if already else list(self._runs.values())
        for run in runs:
            Stop().apply(run.control)
            if run.child is not None:
                run.child.send(Stop())
        self.executor.shutdown(wait=False, drain=True)
        if wait:
            self.executor.shutdown(wait=True, timeout=150, drain=True)
