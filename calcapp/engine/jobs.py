"""Requests, the latest-wins queue and training jobs of the model manager (no Qt here).

As a person types, every keystroke asks for an answer; only the newest one per channel is
worth computing, so a new request replaces a pending one of the same channel instead of
queueing behind it (the pattern of superqt/napari workers: cooperative, never blocking the
GUI). Training jobs run in their own threads with a ``RunControl`` for pause and stop, and
report through a ``TrainingCallback`` whose batch events are thinned so a fast loop cannot
flood the GUI's event queue.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Callable

from calcapp.nets.events import EpochReport, RunControl, TrainingCallback, TrainResult


@dataclass
class Request:
    id: int
    kind: str  # "answer", "recognize", "inspect", "warm"
    channel: str
    payload: dict[str, Any] = field(default_factory=dict)
    created: float = field(default_factory=time.perf_counter)


class LatestWinsQueue:
    """FIFO over channels; a put on a channel with a pending request replaces it.

    ``put`` returns the request that was dropped (or ``None``) so the caller can tell its
    owner, if it wants to. ``get`` blocks until a request is there or the queue is closed.
    """

    def __init__(self) -> None:
        self._pending: OrderedDict[str, Request] = OrderedDict()
        self._cond = threading.Condition()
        self._closed = False
        self._ids = itertools.count(1)

    def next_id(self) -> int:
        with self._cond:
            return next(self._ids)

    def put(self, request: Request) -> Request | None:
        with self._cond:
            if self._closed:
                return request
            dropped = self._pending.pop(request.channel, None)
            self._pending[request.channel] = request
            self._cond.notify()
            return dropped

    def get(self, timeout: float | None = None) -> Request | None:
        """The oldest pending request, or ``None`` when closed or on timeout."""
        with self._cond:
            deadline = None if timeout is None else time.monotonic() + timeout
            while not self._pending and not self._closed:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return None
                self._cond.wait(remaining)
            if self._closed:
                return None
            _, request = self._pending.popitem(last=False)
            return request

    def empty(self) -> bool:
        with self._cond:
            return not self._pending

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._pending.clear()
            self._cond.notify_all()


class BridgeCallback(TrainingCallback):
    """Forwards training events to plain functions (the manager's signal emitters).

    Batch events are thinned to at most one per ``batch_interval_s`` (the last one of an
    epoch always goes through with the epoch report), so the GUI sees a smooth curve at a
    few Hz however fast the loop runs.
    """

    def __init__(self, run_id: str, emit: dict[str, Callable], batch_interval_s: float = 0.05):
        self.run_id = run_id
        self.emit = emit
        self.batch_interval_s = batch_interval_s
        self._last_batch = float("-inf")
        self.started = False
        self.result: TrainResult | None = None

    def on_start(self, info):
        self.started = True
        self.emit["started"](self.run_id, dict(info))

    def on_batch(self, epoch, step, loss):
        now = time.monotonic()
        if now - self._last_batch >= self.batch_interval_s:
            self._last_batch = now
            self.emit["batch"](self.run_id, int(epoch), int(step), float(loss))

    def on_epoch(self, report: EpochReport):
        self.emit["epoch"](self.run_id, report)

    def on_end(self, result: TrainResult):
        self.result = result


@dataclass
class TrainingJob:
    """One training run in its own thread; ``control`` pauses and stops it cooperatively."""

    run_id: str
    kind: str  # "train" or "finetune"
    control: RunControl
    thread: threading.Thread | None = None  # runs the training, or watches its process
    child: Any = None  # worker_process.ChildTraining when it runs in a child process
    started: float = field(default_factory=time.time)
    finished: bool = False  # set before the last signal, so a slot never sees it "running"

    def alive(self) -> bool:
        return not self.finished and self.thread is not None and self.thread.is_alive()


def new_run_id(name: str) -> str:
    """Readable and unique enough: ``<name>-YYYYmmdd-HHMMSS-<ms>``."""
    now = time.time()
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in name) or "run"
    return f"{safe}-{stamp}-{int(now * 1000) % 1000:03d}"
