"""TensorFlow runs in child processes, never in the window's process.

Measured here: importing TensorFlow in a thread of the window's process stalls the GUI's
event loop for up to 0.8 s at a time (loading its shared libraries holds the interpreter
lock), and training steps stall it too. A child process has its own interpreter lock, so
the window keeps its 50 ms promise whatever TensorFlow does; a crash in TF or CUDA also
cannot take the window down. The child enables GPU memory growth (``tf_runtime``) and
runs at a lower CPU priority than the window.

Two uses: ``probe_tensorflow`` (what device TF sees, for the status bar) and
``ChildTraining`` (one training or fine-tune; ``protocol`` messages come back on a queue,
``Pause``/``Resume``/``Stop`` go down another). Both use multiprocessing's "spawn" start
method, so the child is a fresh interpreter without Qt. A frozen app must call
``multiprocessing.freeze_support()`` first thing in its entry point. ``perform`` is what a
training job does, written once: the child runs it, and so does a thread where no child
process can start.

Nothing here imports Qt or TensorFlow at module level.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import threading
import time
from pathlib import Path
from typing import Callable

from calcapp.engine.protocol import (
    DeviceReady,
    Failed,
    Finished,
    Message,
    MessageCallback,
    Stop,
    TrainingSpec,
    is_last,
    readable,
)

CHILD_NICE = 5
STOP_GRACE_S = 0.8  # after Stop, a training process still running is ended


def _context():
    return mp.get_context("spawn")


def _native_stderr_to_log() -> None:
    """Send this child's native stderr (TensorFlow's C++ logging, which 2.21 prints whatever
    TF_CPP_MIN_LOG_LEVEL says) to ``tensorflow.log`` in the data home instead of the user's
    terminal. Python-level failures still travel back as messages; the log keeps the rest."""
    try:
        from calcapp.paths import data_home

        log = os.open(data_home() / "tensorflow.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(log, 2)
        os.close(log)
    except OSError:
        pass


def _lower_priority() -> None:
    try:
        os.nice(CHILD_NICE)
    except (AttributeError, OSError):
        pass


# -- child side --------------------------------------------------------------------------
def _probe_main(out) -> None:
    _lower_priority()
    _native_stderr_to_log()
    from calcapp.engine.tf_runtime import init_tensorflow

    state = init_tensorflow()  # first: it quiets TF's C++ logging before the import
    try:
        import tensorflow as tf

        version = tf.__version__
    except Exception:  # the state says why
        version = None
    out.put(DeviceReady(state, version))


def perform(spec: TrainingSpec, post: Callable[[Message], None], control, *,
            train: Callable | None = None, finetune: Callable | None = None) -> None:
    """Run one training or fine-tune, posting its messages; the last is always ``Finished``
    or ``Failed``. ``train``/``finetune`` stand in for the real ones (tests); the real ones
    start TensorFlow here first and post what device it found."""
    callback = MessageCallback(post)
    try:
        if (train if spec.kind == "train" else finetune) is None:
            from calcapp.engine.tf_runtime import init_tensorflow

            post(DeviceReady(init_tensorflow()))
        result = _dispatch(spec, callback, control, train, finetune)
        post(Finished(result if result is not None else callback.result))
    except BaseException as exc:  # noqa: BLE001 - everything becomes a message
        post(Failed(readable(exc)))


def _dispatch(spec: TrainingSpec, callback, control, train, finetune):
    if spec.kind == "finetune":
        if finetune is None:
            from calcapp.handwriting.personal import SampleStore, fine_tune

            return fine_tune(SampleStore(), callback=callback, control=control,
                             epochs=spec.epochs)
        return finetune(callback=callback, control=control, epochs=spec.epochs)
    more = {}
    if train is None and getattr(spec.config, "architecture", None) == "columns":
        from calcapp.arithmetic.columns.runs import train_columns as train
        from calcapp.arithmetic.hparams_check import check_training

        check_training(spec.config, spec.distribute or "none")  # (one device: no strategy)
    elif train is None:
        from calcapp.arithmetic.trainer import train
        from calcapp.nets.distribution import from_name

        if spec.distribute not in (None, "none"):
            more["strategy"] = from_name(spec.distribute)  # before TF touches a device
    return train(spec.config, spec.out_dir, callback=callback, control=control,
                 resume_from=spec.resume_from, **more)


def _listen(commands, control) -> None:
    while True:
        try:
            command = commands.get()
        except (EOFError, OSError):
            command = Stop()  # the parent is gone: stop, keeping the best checkpoint
        if not hasattr(command, "apply"):
            command = Stop()
        command.apply(control)
        if isinstance(command, Stop):
            return


def _training_main(spec: TrainingSpec, events, commands) -> None:
    _lower_priority()
    _native_stderr_to_log()
    from calcapp.nets.events import RunControl

    control = RunControl()
    threading.Thread(target=_listen, args=(commands, control), daemon=True).start()
    perform(spec, events.put, control)
    # The parent reports the end once this process is gone; TensorFlow's own teardown
    # takes seconds, so leave as soon as the last message is out (Stop within a second).
    events.close()
    events.join_thread()
    os._exit(0)


# -- parent side -------------------------------------------------------------------------
def probe_tensorflow(timeout: float = 300.0) -> DeviceReady:
    """What device TensorFlow sees, asked of a child process: the window's process never
    imports TensorFlow."""
    ctx = _context()
    out = ctx.Queue()
    proc = ctx.Process(target=_probe_main, args=(out,), daemon=True, name="calcapp-tf-probe")
    proc.start()
    try:
        return out.get(timeout=timeout)
    except queue.Empty:
        return DeviceReady("unavailable: TensorFlow did not start in time")
    finally:
        proc.join(timeout=5)
        if proc.is_alive():
            proc.terminate()
        out.close()
        out.join_thread()


def checkpoint_folder(spec: TrainingSpec) -> Path | None:
    """Where a calculator training keeps its best checkpoint, if the engine may end its
    process and report that checkpoint: not for a fine-tune, and not when the folder is
    someone else's (the training will refuse it by itself)."""
    if spec.kind != "train" or spec.config is None or spec.out_dir is None:
        return None
    from calcapp.nets.registry import safe_model_name

    try:
        folder = Path(spec.out_dir) / safe_model_name(spec.config.name)
    except (AttributeError, ValueError):
        return None
    resumed = spec.resume_from is not None and os.path.realpath(spec.resume_from) == \
        os.path.realpath(folder)
    return folder if resumed or not os.path.lexists(folder) else None


def forced_end(folder: Path, pid: int, wall_s: float) -> Message:
    """The end of a training whose process was ended after Stop: its best checkpoint
    (checkpoints are swapped in atomically, so a kill leaves the last whole one), or no
    model when it was stopped before the first."""
    from calcapp.nets.events import TrainResult
    from calcapp.nets.registry import CARD_NAME, recover_model_folder

    try:
        recover_model_folder(folder, pid)
        if not (folder / CARD_NAME).is_file():
            return Finished(TrainResult(None, True, None, {}, {}))
        from calcapp.arithmetic.trainer import stopped_result

        return Finished(stopped_result(folder, wall_s))
    except Exception as exc:  # noqa: BLE001 - a message, not a traceback
        return Failed(f"stopped, but the checkpoint could not be read: {readable(exc)}")


class ChildTraining:
    """One training in a child process: ``messages()`` yields its messages until the end.

    Stop ends a calculator training within ``STOP_GRACE_S``: the child stops by itself
    between batches; one still busy after that (setting up an epoch, validating, saving)
    is killed and its best checkpoint reported (``forced_end``)."""

    def __init__(self, run_id: str, spec: TrainingSpec):
        ctx = _context()
        self.events = ctx.Queue()
        self.commands = ctx.Queue()
        self.folder = checkpoint_folder(spec)  # None: never ended by force
        self.started, self.stop_sent = time.monotonic(), None
        self.process = ctx.Process(target=_training_main,
                                   args=(spec, self.events, self.commands),
                                   daemon=True, name=f"calcapp-train-{run_id}")
        self.process.start()

    def send(self, command) -> None:
        """A ``Pause``, ``Resume`` or ``Stop`` for the child."""
        if isinstance(command, Stop) and self.stop_sent is None:
            self.stop_sent = time.monotonic()
        try:
            self.commands.put(command)
        except (OSError, ValueError):
            pass  # the child has ended

    def _deadline(self) -> float | None:
        if self.folder is None or self.stop_sent is None:
            return None
        return self.stop_sent + STOP_GRACE_S

    def _end_by_force(self) -> Message:
        """Kill the child; nothing more is read from its queue (a message cut short by
        the kill would block the reader), so the end comes from its checkpoint."""
        self.process.kill()
        self.process.join(5)
        return forced_end(self.folder, self.process.pid, time.monotonic() - self.started)

    def messages(self, poll_s: float = 0.25):
        """Messages until ``Finished`` or ``Failed``; a child that dies silently gives a
        ``Failed``."""
        while True:
            deadline, wait = self._deadline(), poll_s
            if deadline is not None:
                wait = deadline - time.monotonic()
                if wait <= 0 and self.process.is_alive():
                    yield self._end_by_force()
                    return
                wait = min(poll_s, max(wait, 0.005))
            try:
                msg = self.events.get(timeout=wait)
            except queue.Empty:
                if self.process.is_alive():
                    continue
                try:
                    msg = self.events.get(timeout=1.0)  # anything flushed just before exit
                except queue.Empty:
                    code = self.process.exitcode
                    yield Failed(f"the training process ended unexpectedly (exit code {code})")
                    return
            yield msg
            if is_last(msg):
                return

    def join(self, timeout: float | None = None) -> None:
        self.process.join(timeout)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(5)
        for q in (self.events, self.commands):
            q.close()
            q.join_thread()
