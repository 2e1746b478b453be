"""Book-keeping for a run the Training tab is watching: progress, pauses and its ETA."""

from __future__ import annotations

import time

from calcapp.ui.training.eta import EtaClock


def format_eta(seconds: float | None) -> str:
    if seconds is None or seconds != seconds or seconds < 0:
        return "ETA -"
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"ETA {seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"ETA {seconds // 60}m{seconds % 60:02d}s"
    return f"ETA {seconds}s"


class Live:
    """Book-keeping for one run this tab is watching."""

    def __init__(self, run_id: str, name: str):
        self.run_id = run_id
        self.name = name
        self.t0 = time.time()
        self.epochs = 0
        self.steps_per_epoch = 0
        self.step = 0
        self.epoch = 0
        self.paused_at: float | None = None
        self.stopping = False  # Stop was pressed: every control waits for the end
        self.paused_total = 0.0
        self.buffer: list[tuple[int, int, float, float]] = []
        self.clock = EtaClock()  # time left, from measured epochs

    @property
    def total_steps(self) -> int:
        return self.epochs * self.steps_per_epoch

    def active_seconds(self, now: float | None = None) -> float:
        now = now or time.time()
        paused = self.paused_total + ((now - self.paused_at) if self.paused_at else 0.0)
        return max(0.0, now - self.t0 - paused)

    def eta(self, now: float | None = None) -> float | None:
        return self.clock.eta(self.active_seconds(now))
