"""TensorFlow runs in child processes, never in the window's process.

Measured here: importing TensorFlow in a thread of the window's process stalls the GUI's
event loop for up to 0.8 s at a time (loading its shared libraries holds the interpreter
lock), and training steps stall it too. A child process has its own interpreter lock, so
the window keeps its 50 ms promise whatever TensorFlow does; a crash in TF or CUDA also
cannot take the window down. The child enables GPU memory growth (``tf_runtime``) and
runs at a lower CPU priority than the window.

Two uses: ``probe_tensorflow`` (what device TF sees, for the status bar) and
``ChildTraining`` (one training or fine-tune; events come back on a queue, pause/resume/
stop go down another). Both use multiprocessing's "spawn" start method, so the child is
a fresh interpreter without Qt. A frozen app must call ``multiprocessing.freeze_support()``
first thing in its entry point.

Nothing here imports Qt or TensorFlow at module level.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import threading
from typing import Any

from calcapp.engine.jobs import BridgeCallback

CHILD_NICE = 5


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
    out.put((state, version))


def _listen(commands, control) -> None:
    while True:
        try:
            cmd = commands.get()
        except (EOFError, OSError):
            cmd = "stop"  # the parent is gone: stop, keeping the best checkpoint
        if cmd == "pause":
            control.pause()
        elif cmd == "resume":
            control.resume()
        else:
            control.stop()
            return


def _training_main(run_id: str, kind: str, spec: dict, events, commands) -> None:
    _lower_priority()
    _native_stderr_to_log()
    from calcapp.engine.messages import readable
    from calcapp.nets.events import RunControl

    control = RunControl()
    threading.Thread(target=_listen, args=(commands, control), daemon=True).start()
    callback = BridgeCallback(run_id, {
        "started": lambda rid, info: events.put(("started", info)),
        "batch": lambda rid, epoch, step, loss: events.put(("batch", epoch, step, loss)),
        "epoch": lambda rid, report: events.put(("epoch", report)),
    })
    try:
        from calcapp.engine.tf_runtime import init_tensorflow

        state = init_tensorflow()
        events.put(("tf", state))
        if kind == "finetune":
            from calcapp.handwriting.personal import SampleStore, fine_tune

            result = fine_tune(SampleStore(), callback=callback, control=control,
                               epochs=spec["epochs"])
        else:
            from calcapp.arithmetic.trainer import train
            from calcapp.nets.distribution import from_name

            strategy = from_name(spec.get("distribute"))  # before TF touches a device
            result = train(spec["config"], spec["out_dir"], callback=callback, control=control,
                           resume_from=spec.get("resume_from"), strategy=strategy)
        events.put(("done", result if result is not None else callback.result))
    except BaseException as exc:  # noqa: BLE001 - everything becomes a message
        events.put(("error", readable(exc)))


# -- parent side -------------------------------------------------------------------------
def probe_tensorflow(timeout: float = 300.0) -> tuple[str, str | None]:
    """(state, TF version) from a child process; the window's process never imports TF."""
    ctx = _context()
    out = ctx.Queue()
    proc = ctx.Process(target=_probe_main, args=(out,), daemon=True, name="calcapp-tf-probe")
    proc.start()
    try:
        return out.get(timeout=timeout)
    except queue.Empty:
        return ("unavailable: TensorFlow did not start in time", None)
    finally:
        proc.join(timeout=5)
        if proc.is_alive():
            proc.terminate()
        out.close()
        out.join_thread()


class ChildTraining:
    """One training in a child process: ``events()`` yields its messages until the end."""

    def __init__(self, run_id: str, kind: str, spec: dict[str, Any]):
        ctx = _context()
        self.events = ctx.Queue()
        self.commands = ctx.Queue()
        self.process = ctx.Process(target=_training_main,
                                   args=(run_id, kind, spec, self.events, self.commands),
                                   daemon=True, name=f"calcapp-train-{run_id}")
        self.process.start()

    def send(self, command: str) -> None:
        try:
            self.commands.put(command)
        except (OSError, ValueError):
            pass  # the child has ended

    def messages(self, poll_s: float = 0.25):
        """Messages until "done" or "error"; a child that dies silently gives an error."""
        while True:
            try:
                msg = self.events.get(timeout=poll_s)
            except queue.Empty:
                if self.process.is_alive():
                    continue
                try:
                    msg = self.events.get(timeout=1.0)  # anything flushed just before exit
                except queue.Empty:
                    code = self.process.exitcode
                    yield ("error", f"the training process ended unexpectedly (exit code {code})")
                    return
            yield msg
            if msg[0] in ("done", "error"):
                return

    def join(self, timeout: float | None = None) -> None:
        self.process.join(timeout)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(5)
        for q in (self.events, self.commands):
            q.close()
            q.join_thread()
