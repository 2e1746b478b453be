"""What a training says to the engine, and what the engine says back: small dataclasses.

A training runs in a child process (or, where none can start, in a thread); either way it
reports through the same messages, so the engine reads one stream whatever the route.
Every message is a plain module-level dataclass of picklable fields, because it crosses a
process boundary on a multiprocessing queue. Nothing here imports Qt or TensorFlow: the
child imports this module too.

Up (training -> engine): ``Started``, ``Progress``, ``EpochDone``, ``DeviceReady``, and last
``Finished`` or ``Failed``. Down (engine -> training): ``Pause``, ``Resume``, ``Stop``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Union

from calcapp.nets.events import EpochReport, RunControl, TrainingCallback, TrainResult


def readable(exc: BaseException) -> str:
    """One line a person can read; no traceback."""
    if isinstance(exc, ImportError):
        return f"a part of calcapp is not installed: {exc.name or exc}"
    if isinstance(exc, MemoryError):
        return "out of memory"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if isinstance(exc, KeyError) and text.startswith(("'", '"')):
        text = text[1:-1]  # KeyError quotes its message
    if text and isinstance(exc, (LookupError, ValueError, OSError)):
        return text  # these carry a sentence meant for a person
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# -- what to run ---------------------------------------------------------------------------
@dataclass(frozen=True)
class TrainingSpec:
    """One job for a training process: a calculator training or a recognizer fine-tune."""

    kind: str  # "train" or "finetune"
    config: Any = None  # a TrainConfig (train)
    out_dir: str | None = None  # where train() writes <out_dir>/<config.name> (train)
    resume_from: str | None = None  # a checkpoint folder to continue from (train)
    epochs: int = 5  # (finetune)
    distribute: str = "none"  # a data-parallel strategy by name (nets.distribution.from_name)

    def __post_init__(self):
        if self.kind not in ("train", "finetune"):
            raise ValueError(f"unknown training kind {self.kind!r}")


# -- up: training -> engine ----------------------------------------------------------------
@dataclass(frozen=True)
class Started:
    info: dict[str, Any]  # at least name, epochs, steps_per_epoch, parameters


@dataclass(frozen=True)
class Progress:
    epoch: int
    step: int  # global, from 1
    loss: float


@dataclass(frozen=True)
class EpochDone:
    report: EpochReport


@dataclass(frozen=True)
class DeviceReady:
    """What TensorFlow sees ("CPU", "GPU ...", or "unavailable: why"), for the status bar."""

    state: str
    version: str | None = None


@dataclass(frozen=True)
class Finished:
    result: TrainResult | Any


@dataclass(frozen=True)
class Failed:
    message: str  # one readable line


Message = Union[Started, Progress, EpochDone, DeviceReady, Finished, Failed]


def is_last(message: Message) -> bool:
    """True for the message that ends a run's stream."""
    return isinstance(message, (Finished, Failed))


# -- down: engine -> training --------------------------------------------------------------
@dataclass(frozen=True)
class Pause:
    def apply(self, control: RunControl) -> None:
        control.pause()


@dataclass(frozen=True)
class Resume:
    def apply(self, control: RunControl) -> None:
        control.resume()


@dataclass(frozen=True)
class Stop:
    """Cooperative: the loop stops between batches and keeps its best checkpoint."""

    def apply(self, control: RunControl) -> None:
        control.stop()


Command = Union[Pause, Resume, Stop]


# -- the bridge from a training loop's callback to messages ---------------------------------
@dataclass
class MessageCallback(TrainingCallback):
    """Turns a training loop's callback calls into messages handed to ``post``.

    Batch events are thinned to at most one per ``batch_interval_s`` (the epoch report
    always goes through), so the GUI sees a smooth curve at a few Hz however fast the
    loop runs, and a fast loop cannot flood a queue or the GUI's event loop.
    """

    post: Callable[[Message], None]
    batch_interval_s: float = 0.05
    result: TrainResult | None = None
    _last_batch: float = field(default=float("-inf"), repr=False)

    def on_start(self, info):
        self.post(Started(dict(info)))

    def on_batch(self, epoch, step, loss):
        now = time.monotonic()
        if now - self._last_batch >= self.batch_interval_s:
            self._last_batch = now
            self.post(Progress(int(epoch), int(step), float(loss)))

    def on_epoch(self, report: EpochReport):
        self.post(EpochDone(report))

    def on_end(self, result: TrainResult):
        self.result = result
