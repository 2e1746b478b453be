"""The Training tab's time-left estimate as it was before the third round (kept, unchanged,
so that ``training_eta.py replay`` puts it beside the current one on the same trace).

Its own docstring:

Why not (time so far / steps so far) x steps left: the time so far holds what happens once
(loading TensorFlow, making the data, tracing the step on the first batch, tracing the
evaluation) and no validation at all until the first epoch ends, so that estimate is off
by half or more for a short run, and wrong after a resume (the step count starts where
the last run stopped). Here an epoch costs what the last ones measured, validation
included; after only one, the steady step time (first batch left out: it traces the
step) times the steps of an epoch, plus the last validation time (the trainer traces the
evaluation before the run's clock starts, so the first validation is a typical one).
From the second epoch on the first epoch is left out. All times are active seconds (pauses left out), which
the caller passes in, so a fake run can drive it.
"""

from __future__ import annotations


class EtaClock:
    """Feed it ``started``, ``batch`` and ``epoch`` with active seconds; ask ``eta``."""

    def __init__(self):
        self.epochs = 0
        self.steps_per_epoch = 0
        self.done = 0  # epochs finished (counting those done before a resume)
        self.mark = 0.0  # active seconds at the start of the current epoch
        self.epoch_seconds: list[float] = []  # measured in this run
        self.first: tuple[float, int] | None = None  # (t, step) of the epoch's first batch
        self.last: tuple[float, int] | None = None
        self.step_time: float | None = None
        self.val_time = 0.0
        self.gap = 0.0  # epoch start to its first batch: making the epoch's data

    def started(self, t: float, epochs: int, steps_per_epoch: int, start_epoch: int = 1) -> None:
        self.epochs, self.steps_per_epoch = int(epochs), int(steps_per_epoch)
        self.done = max(0, int(start_epoch) - 1)
        self.mark = t

    def batch(self, t: float, step: int) -> None:
        if self.first is None:
            self.first = (t, step)
            if self.epoch_seconds:  # (the first epoch's gap holds the tracing)
                self.gap = max(0.0, t - self.mark)
        self.last = (t, step)
        (t0, s0) = self.first
        if step > s0:  # the steady rate: the first batch carries the tracing
            self.step_time = (t - t0) / (step - s0)

    def epoch(self, t: float, epoch: int) -> None:
        if self.last is not None:
            self.val_time = max(0.0, t - self.last[0])
        self.epoch_seconds.append(max(0.0, t - self.mark))
        self.done, self.mark = int(epoch), t
        self.first = self.last = None

    def per_epoch(self) -> float | None:
        """What the next epoch should cost, validation included."""
        if len(self.epoch_seconds) >= 2:  # the first carries one-off costs: leave it out
            recent = self.epoch_seconds[1:][-3:]
            return sum(recent) / len(recent)
        if self.step_time is not None and self.steps_per_epoch:
            return self.gap + self.step_time * self.steps_per_epoch + self.val_time
        return self.epoch_seconds[-1] if self.epoch_seconds else None

    def eta(self, t: float) -> float | None:
        """Seconds left, or None while nothing is measured yet."""
        if not self.epochs:
            return None
        left = max(0, self.epochs - self.done)
        if not self.epoch_seconds:  # inside the first epoch: steps only, no validation yet
            if self.step_time is None or not self.steps_per_epoch or self.last is None:
                return None
            in_epoch = self.last[1] - self.first[1] + 1
            steps_left = left * self.steps_per_epoch - in_epoch
            return max(0.0, steps_left * self.step_time)
        per = self.per_epoch()
        # an epoch running late still leaves the whole of the epochs after it
        return max(0.0, per * (left - 1), per * left - (t - self.mark))
