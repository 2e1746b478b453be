"""The engine's one way to work off the GUI thread: Jobs, and an Executor that runs them.

Why one: answers, trainings, the device probe and the Inside tab's grids all need a thread,
and three mechanisms grew for them (a serving QThread with its own queue, raw threads, a
QThread per grid kept alive by a module-level set). Here, as in Orange's executor with
watched futures, an ``Executor`` runs ``Job``s on a few named Python threads and hands each
outcome back on the thread that owns the executor (the GUI's), through one queued signal.
As in superqt's workers, a ``Job`` is one base class: pass a function, or subclass and
override ``work``; what happens to the outcome is composed in as callbacks (``then``), not
inherited.

Latest wins: a job submitted on a channel supersedes the one before it there. A superseded
pending job never runs; a superseded running job runs on but its outcome is dropped. A
cancelled job never delivers either. The check is made on the GUI thread, where ``cancel``
and ``submit`` are called, so no outcome slips through after its job was cancelled. Idle
jobs (warm-ups) run only while nothing else waits.
"""

from __future__ import annotations

import inspect
import itertools
import threading
import time
from collections import OrderedDict
from typing import Any, Callable

from PySide6.QtCore import QObject, Qt, Signal

from calcapp.engine.protocol import readable


class LatestWinsQueue:
    """FIFO over channels; a put on a channel with a pending item replaces it.

    Items have a ``channel`` (and may have ``idle``: served only when no other item waits).
    ``put`` returns the item it dropped (or ``None``) so the caller can tell its owner.
    ``get`` blocks until an item is there or the queue is closed.
    """

    def __init__(self) -> None:
        self._pending: OrderedDict[str, Any] = OrderedDict()
        self._cond = threading.Condition()
        self._closed = False
        self._waiting = 0  # readers blocked in get()
        self._ids = itertools.count(1)

    def next_id(self) -> int:
        with self._cond:
            return next(self._ids)

    def put(self, item) -> Any | None:
        with self._cond:
            if self._closed:
                return item
            dropped = self._pending.pop(item.channel, None)
            self._pending[item.channel] = item
            self._cond.notify()
            return dropped

    def _next_key(self) -> str:
        for key, item in self._pending.items():  # oldest first
            if not getattr(item, "idle", False):
                return key
        return next(iter(self._pending))

    def get(self, timeout: float | None = None) -> Any | None:
        """The oldest pending item (idle ones last), or ``None`` when closed or on timeout."""
        with self._cond:
            deadline = None if timeout is None else time.monotonic() + timeout
            while not self._pending and not self._closed:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return None
                self._waiting += 1
                try:
                    self._cond.wait(remaining)
                finally:
                    self._waiting -= 1
            if not self._pending:
                return None  # closed, and nothing left to drain
            return self._pending.pop(self._next_key())

    def short_of_readers(self) -> bool:
        """More items wait than readers wait for them (the executor then adds a thread)."""
        with self._cond:
            return len(self._pending) > self._waiting

    def empty(self) -> bool:
        with self._cond:
            return not self._pending

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self, drain: bool = False) -> list:
        """Take no more items and wake every reader. With ``drain`` the pending items are
        still served; without, they are dropped and returned."""
        with self._cond:
            self._closed = True
            dropped = [] if drain else list(self._pending.values())
            if not drain:
                self._pending.clear()
            self._cond.notify_all()
            return dropped


Callback = Callable[["Job", Any], None]


class Job:
    """One piece of work for an ``Executor``.

    ``work`` calls ``fn(*args)``; a generator function posts each value it yields (and stops
    early once cancelled). Callbacks, wired with ``then``, run on the executor's thread with
    the job and a value: ``done`` the result, ``error`` a readable line, ``post`` a value the
    work posted on the way (``Job.post``, callable from the worker thread).
    """

    def __init__(self, fn: Callable | None = None, *args, channel: str | None = None,
                 idle: bool = False):
        self.fn, self.args = fn, args
        self.channel = channel
        self.idle = idle
        self.id = 0  # set by Executor.submit
        self.thread_name: str | None = None  # the worker thread that ran it
        self._callbacks: dict[str, Callback] = {}
        self._cancelled = False
        self._ended = threading.Event()
        self._send: Callable[[Job, str, Any], None] | None = None  # set by the executor

    def then(self, done: Callback | None = None, error: Callback | None = None,
             post: Callback | None = None) -> "Job":
        for kind, callback in (("done", done), ("error", error), ("post", post)):
            if callback is not None:
                self._callbacks[kind] = callback
        return self

    def work(self) -> Any:
        result = self.fn(*self.args)
        if inspect.isgenerator(result):
            result = self._drain(result)
        return result

    def _drain(self, generator) -> Any:
        while not self._cancelled:
            try:
                value = next(generator)
            except StopIteration as stop:
                return stop.value
            self.post(value)
        generator.close()
        return None

    def post(self, value: Any) -> None:
        """Hand ``value`` to the ``post`` callback on the executor's thread."""
        if self._send is not None and not self._cancelled:
            self._send(self, "post", value)

    def cancel(self) -> None:
        """Never deliver: a pending job will not run, a running one's outcome is dropped."""
        self._cancelled = True

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    @property
    def ended(self) -> bool:
        """Its work has returned, raised, or will never run."""
        return self._ended.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the work ended (not until it was delivered); True if it did."""
        return self._ended.wait(timeout)

    def _deliver(self, kind: str, value: Any) -> None:
        callback = self._callbacks.get(kind)
        if callback is not None and not self._cancelled:
            callback(self, value)


class Executor(QObject):
    """Runs Jobs on up to ``workers`` daemon threads named ``<name>-<n>``, made on demand
    (one more whenever a submitted job finds no thread waiting for it)."""

    _relay = Signal(object, str, object)  # job, "done" | "error" | "post", value

    def __init__(self, name: str, workers: int = 1, *, start: bool = True,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.name = name
        self.max_workers = max(1, workers)
        self._queue = LatestWinsQueue()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._latest: dict[str, Job] = {}
        self._started = False
        self._relay.connect(self._deliver, Qt.QueuedConnection)
        if start:
            self.start()

    def start(self) -> None:
        """Begin serving (an executor made with ``start=False`` only queues until then)."""
        with self._lock:
            self._started = True
        self._grow()

    def submit(self, job: Job) -> Job:
        job.id = self._queue.next_id()
        if job.channel is None:
            job.channel = f"#{job.id}"
        job._send = self._send
        with self._lock:
            older = self._latest.get(job.channel)
            self._latest[job.channel] = job
        if older is not None:
            older.cancel()
        dropped = self._queue.put(job)
        if dropped is not None:  # pending, never ran (or the job itself: we are closed)
            dropped.cancel()
            dropped._ended.set()
        self._grow()
        return job

    def _grow(self) -> None:
        with self._lock:
            if (not self._started or len(self._threads) >= self.max_workers
                    or not self._queue.short_of_readers()):
                return
            thread = threading.Thread(target=self._loop, daemon=True,
                                      name=f"{self.name}-{len(self._threads) + 1}")
            self._threads.append(thread)
        thread.start()

    def _loop(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return  # closed
            self._run(job)

    def _run(self, job: Job) -> None:
        try:
            if job.cancelled:
                return
            job.thread_name = threading.current_thread().name
            try:
                result = job.work()
            except Exception as exc:  # a job's failure is a message, never the thread's end
                self._send(job, "error", readable(exc))
            else:
                self._send(job, "done", result)
        finally:
            job._ended.set()

    def _send(self, job: Job, kind: str, value: Any) -> None:
        try:
            self._relay.emit(job, kind, value)
        except RuntimeError:  # the executor's Qt side is gone (the app is ending)
            pass

    def _deliver(self, job: Job, kind: str, value: Any) -> None:
        """On the executor's thread: the outcome reaches the job's callbacks, unless the job
        was cancelled or superseded meanwhile."""
        if kind != "post":
            with self._lock:
                if self._latest.get(job.channel) is job:
                    del self._latest[job.channel]
        job._deliver(kind, value)

    def is_running(self) -> bool:
        with self._lock:
            return any(t.is_alive() for t in self._threads)

    @property
    def closed(self) -> bool:
        return self._queue.closed

    def shutdown(self, wait: bool = True, timeout: float | None = None,
                 drain: bool = False) -> bool:
        """Take no more jobs; drop the pending ones (or, with ``drain``, run them too) and let
        running ones end. True if every thread ended in time.

        A running job's outcome is still delivered (a stopped training reports its end)."""
        for job in self._queue.close(drain):
            job.cancel()
            job._ended.set()
        if not wait:
            return not self.is_running()
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            if thread is threading.current_thread():
                continue
            thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        return not any(t.is_alive() for t in threads if t is not threading.current_thread())
