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
               about: bool = False, at_most: bool = False) -> str:
    """``ETA 2m05s``; ``ETA 1m50s–2m40s`` while the ``span`` the clock gives is wide;
    ``ETA about 2m05s`` while the estimate rests on too little (``about``); ``at most``
    for a run that stops at its goal (a recipe's target or time limit): its epochs may
    end sooner than the estimate of them all, never later."""
    if seconds is None or seconds != seconds or seconds < 0:
        return "ETA -"
    if span is not None and span[1] > WIDE * max(span[0], 1.0):
        low, high = min(span[0], seconds), max(span[1], seconds)
        if _duration(low) != _duration(high):
            return f"ETA at most {_duration(high)}" if at_most else (
                f"ETA {_duration(low)}–{_duration(high)}")
    qualifier = "at most " if at_most else "about " if about else ""
    return f"ETA {qualifier}{_duration(seconds)}"


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
        self.may_stop_early = False  # the run ends at its goal: the ETA is a bound
        self.cells: list[str] = []  # a columns run: its digit cells, trained in turn
        self.last_round: dict = {}  # ... and what its last round said (EpochReport.extra)

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
                          about=len(self.clock.epoch_seconds) < 2, at_most=self.may_stop_early)

    # -- a columns run: digit cells trained in rounds, one after another -----------------
    def cells_progress(self, now: float | None = None) -> tuple[int, str]:
        """(cells done, what the progress line says). Its rounds budget is a bound the
        cells rarely use (each stops once right on its whole domain), so a step count or
        an ETA from it would mislead: the line names the cell and round, and the time."""
        last, n = self.last_round, len(self.cells)
        index = int(last.get("cell_index") or 0)
        done = index if last.get("cell_done") else max(0, index - 1)
        if done >= n:
            return n, "writing the model and testing it on a people's mix\u2026"
        cell_round = 1 if last.get("cell_done") or not last else int(last["cell_round"]) + 1
        return done, (f"cell {done + 1}/{n} ({self.cells[done]}), round {cell_round}  "
                      f"{_duration(self.active_seconds(now))}")

    def samples_title(self, report) -> str:
        extra = getattr(report, "extra", None) or {}
        if self.cells and extra.get("cell"):
            return f"{extra['cell']} cell: some of its facts after round {extra.get('cell_round')}"
        return f"sample predictions after epoch {report.epoch}/{report.epochs}"

    def best_text(self, best_epoch) -> str:
        """How the end names the checkpoint kept: a columns run keeps its last round."""
        return f"{best_epoch or 0} rounds" if self.cells else f"best epoch {best_epoch}"
