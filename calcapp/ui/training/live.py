"""Book-keeping for a run the Training tab is watching: progress, pauses and its ETA."""

from __future__ import annotations

import time

from calcapp.ui.training.eta import EtaClock


WIDE = 1.2  # a range is shown while its high end is this many times its low end


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"


def format_eta(seconds: float | None, span: tuple[float, float] | None = None,
               about: bool = False) -> str:
    """``ETA 2m05s``; ``ETA 1m50s–2m40s`` while the ``span`` the clock gives is wide;
    ``ETA about 2m05s`` while the estimate rests on too little (``about``)."""
    if seconds is None or seconds != seconds or seconds < 0:
        return "ETA -"
    if span is not None and span[1] > WIDE * max(span[0], 1.0):
        low, high = min(span[0], seconds), max(span[1], seconds)
        if _duration(low) != _duration(high):
            return f"ETA {_duration(low)}–{_duration(high)}"
    return f"ETA {'about ' if about else ''}{_duration(seconds)}"


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

    def eta_text(self, now: float | None = None) -> str:
        """What the tab shows: a range while the measured epochs disagree, "about" while
        fewer than two are measured (inside the first, validation is not yet counted)."""
        t = self.active_seconds(now)
        return format_eta(self.clock.eta(t), self.clock.eta_range(t),
                          about=len(self.clock.epoch_seconds) < 2)
