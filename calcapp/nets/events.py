"""The one plain event interface between a training loop and whoever watches it.

Both the CLI (printing lines) and the GUI (drawing curves through the model-manager thread)
consume these, and every training job (seq2seq models, the recognizer's fine-tune) emits
them. ``RunControl`` is the cooperative half: the loop polls it between batches, so stop
and pause never interrupt a half-written checkpoint.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Sample:
    """One sample prediction, the way the seeds print them (``☑``/``☒``)."""

    question: str
    target: str
    answer: str

    @property
    def ok(self) -> bool:
        return self.answer == self.target

    def line(self) -> str:
        mark = "\u2611" if self.ok else "\u2612"
        return f"Q {self.question:<16} T {self.target:<10} {mark} {self.answer}"


@dataclass(frozen=True)
class EpochReport:
    epoch: int  # 1-based
    epochs: int
    step: int  # global step at the end of the epoch
    train_loss: float
    val_loss: float | None
    char_accuracy: float | None
    exact_match: float | None
    samples: tuple[Sample, ...] = ()
    elapsed_s: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TrainResult:
    model_dir: str | None  # folder with model.keras + card.json (the best checkpoint)
    stopped: bool  # True if stopped early by the user
    best_epoch: int | None
    metrics: dict[str, Any]  # test-split metrics of the saved model
    card: dict[str, Any] = field(default_factory=dict)


class TrainingCallback:
    """Override what you need; every method is a no-op by default."""

    def on_start(self, info: dict[str, Any]) -> None:
        """``info`` holds at least name, epochs, steps_per_epoch, parameters."""

    def on_batch(self, epoch: int, step: int, loss: float) -> None:
        """After each batch; ``step`` is global and starts at 1."""

    def on_epoch(self, report: EpochReport) -> None:
        """After each epoch, with validation metrics and sample predictions."""

    def on_end(self, result: TrainResult) -> None:
        """Once, when the run finishes, is stopped, or fails after saving what it could."""


class RunControl:
    """Thread-safe stop/pause flags that a training loop checks between batches."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()

    def stop(self) -> None:
        self._stop.set()
        self._running.set()  # wake a paused loop so it can stop

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def checkpoint(self, poll_s: float = 0.1) -> bool:
        """Block while paused; return True if the loop should stop."""
        while not self._running.wait(poll_s):
            if self._stop.is_set():
                break
        return self._stop.is_set()


class PrintingCallback(TrainingCallback):
    """What ``calcapp train`` prints: one line per epoch plus the sample predictions."""

    def __init__(self, stream=None, samples: int = 5):
        import sys

        self.stream = stream or sys.stdout
        self.samples = samples
        self._t0 = time.perf_counter()

    def on_start(self, info):
        self._t0 = time.perf_counter()
        params = info.get("parameters")
        print(
            f"training {info.get('name')}: {info.get('epochs')} epochs x "
            f"{info.get('steps_per_epoch')} steps, {params} parameters",
            file=self.stream,
            flush=True,
        )

    def on_epoch(self, r: EpochReport):
        def pct(x):
            return "-" if x is None else f"{100 * x:.2f}%"

        val = "-" if r.val_loss is None else f"{r.val_loss:.4f}"
        print(
            f"epoch {r.epoch}/{r.epochs}  loss {r.train_loss:.4f}  val_loss {val}  "
            f"char {pct(r.char_accuracy)}  exact {pct(r.exact_match)}  "
            f"{r.elapsed_s:.0f}s",
            file=self.stream,
            flush=True,
        )
        for s in r.samples[: self.samples]:
            print("  " + s.line(), file=self.stream, flush=True)

    def on_end(self, result: TrainResult):
        state = "stopped" if result.stopped else "finished"
        print(f"{state}; best epoch {result.best_epoch}; test {result.metrics}", file=self.stream)
        if result.model_dir:
            print(f"saved {result.model_dir}", file=self.stream, flush=True)
