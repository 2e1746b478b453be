"""The Training tab's time-left estimate, from measured epochs.

Why not (time so far / steps so far) x steps left: the time so far holds what happens once
(loading TensorFlow, making the data, tracing the step on the first batch) and no
validation until the first epoch ends, and after a resume the step count starts where the
last run stopped. Here an epoch costs its steps at the recent rate plus what comes around
them: making the data (the gap before an epoch's first batch), the validation, and the
tail of Keras' ``fit`` (it tears down a data iterator on return). Those costs are mostly
steady but now and then one stalls for seconds (the tail, under load), and after the
first epoch there is only one sample of each, so each is summarised robustly
(``typical``), the tail with a prior epoch of none: one stall is never multiplied by
every epoch left. The trainer reports how long the validation and the data making took
(``validation_s``, ``data_s``); without them the whole time from the last batch to the
epoch's end counts as validation. ``eta_range`` gives the spread the tab shows while it
is wide. All times are active seconds (pauses left out), passed in by the caller, so a
fake run can drive it.
"""

from __future__ import annotations

from collections import deque

MAX_INTERVALS = 100_000  # batch intervals kept (the rate uses the last WINDOW epochs' worth)


def lower_median(values) -> float:
    """The middle value, the lower of the two middle ones for an even count: one outlier
    among two samples is left out."""
    ordered = sorted(values)
    return ordered[(len(ordered) - 1) // 2]


def typical(values) -> float:
    """What an epoch's part costs: the lower median of one or two samples (one outlier
    left out), from three on the mean without the largest (a lower median would pick the
    cheap epochs of a busy machine and run low)."""
    ordered = sorted(values)
    if len(ordered) < 3:
        return lower_median(ordered)
    return sum(ordered[:-1]) / (len(ordered) - 1)


class EtaClock:
    """Feed it ``started``, ``batch`` and ``epoch`` with active seconds; ask ``eta``."""

    WINDOW = 3  # epochs' worth of steps the rate is measured over: one fast or slow epoch
    # does not swing it, a lasting change of pace is followed within three

    def __init__(self):
        self.epochs = 0
        self.steps_per_epoch = 0
        self.done = 0  # epochs finished (counting those done before a resume)
        self.mark = 0.0  # active seconds at the start of the current epoch
        self.epoch_seconds: list[float] = []  # measured in this run
        self.first: tuple[float, int] | None = None  # (t, step) of the epoch's first batch
        self.last: tuple[float, int] | None = None
        self.intervals: deque = deque(maxlen=MAX_INTERVALS)  # (seconds, steps) within an epoch
        self.warm: list = []  # the same, from the first third of the run's first epoch
        self.epoch_steps: list[float] = []  # mean step time of each finished epoch
        self.validations: list[float] = []
        self.tails: list[float] = []  # last batch to the epoch's end, less the validation
        self.gaps: list[float] = []  # epoch start to its first batch, less one step (epoch >= 2)
        self.data: list[float] = []  # data making, as the trainer reports it

    def warming(self, step: int) -> bool:
        """In the first third of this run's first epoch: steps run slower there (the
        caches and allocator warm up after tracing), so that stretch sets the rate only
        until the rest of the epoch is measured."""
        return not self.epoch_seconds and step - self.first[1] < self.steps_per_epoch // 3

    @property
    def step_time(self) -> float | None:
        """The latest rate: seconds per step over the last ``WINDOW`` epochs' worth of
        steps (the tab gets batch events thinned, so an interval may span several steps)."""
        seconds, steps = 0.0, 0
        for dt, n in reversed(self.intervals or self.warm):
            seconds, steps = seconds + dt, steps + n
            if steps >= self.WINDOW * self.steps_per_epoch - 1:
                break
        return seconds / steps if steps else None

    def started(self, t: float, epochs: int, steps_per_epoch: int, start_epoch: int = 1) -> None:
        self.epochs, self.steps_per_epoch = int(epochs), int(steps_per_epoch)
        self.done = max(0, int(start_epoch) - 1)
        self.mark = t

    def batch(self, t: float, step: int) -> None:
        if self.first is None:
            self.first = (t, step)
            if self.epoch_seconds and self.step_time is not None:  # (epoch 1's holds tracing)
                self.gaps.append(max(0.0, t - self.mark - self.step_time))
        elif step > self.last[1]:
            interval = (t - self.last[0], step - self.last[1])
            if self.warming(step):
                self.warm.append(interval)
            else:
                self.intervals.append(interval)
        self.last = (t, step)

    def epoch(self, t: float, epoch: int, validation_s: float | None = None,
              data_s: float | None = None) -> None:
        if self.last is not None:
            after = max(0.0, t - self.last[0])
            if validation_s is None:
                self.validations.append(after)
            else:
                self.validations.append(min(after, max(0.0, float(validation_s))))
                self.tails.append(after - self.validations[-1])
            (t0, s0), (t1, s1) = self.first, self.last
            if s1 > s0:
                self.epoch_steps.append((t1 - t0) / (s1 - s0))
        if data_s is not None:
            self.data.append(max(0.0, float(data_s)))
        self.epoch_seconds.append(max(0.0, t - self.mark))
        self.done, self.mark = int(epoch), t
        self.first = self.last = None

    def _parts(self, pick) -> tuple[float, float, float] | None:
        """(a step, the gap before an epoch's first batch, validation and tail), each
        summarised by ``pick`` over what was seen."""
        step = self.step_time
        if step is None or not self.validations:
            return None
        if self.gaps:
            gap = pick(self.gaps)
        else:  # only epoch 1 seen: its gap held the tracing; its data making is typical
            gap = pick(self.data) if self.data else 0.0
        return step, gap, pick(self.validations) + self._tail(pick)

    def _tail(self, pick) -> float:
        """The end-of-fit stall an epoch should carry. It is no epoch's steady cost: most
        take milliseconds and some seconds, in streaks under load. A prior epoch of none,
        the largest one left out, the mean of the rest: one stall is not multiplied by
        every epoch left, recurring ones count at their rate."""
        if pick is not typical:  # the range: the cheapest and the dearest seen
            return pick([0.0, *self.tails])
        rest = sorted([0.0, *self.tails])[:-1]
        return sum(rest) / len(rest) if rest else 0.0

    def per_epoch(self) -> float | None:
        """What the next epoch should cost, validation included."""
        parts = self._parts(typical)
        if parts is None:
            return self.epoch_seconds[-1] if self.epoch_seconds else None
        step, gap, around = parts
        return gap + step * self.steps_per_epoch + around

    def eta(self, t: float) -> float | None:
        """Seconds left, or None while nothing is measured yet."""
        return self._eta(t, typical)

    def eta_range(self, t: float) -> tuple[float, float] | None:
        """(low, high): the estimate with the cheapest and the dearest of what was seen
        (step rates, gaps, validations, tails), the tab's measure of its uncertainty."""
        if not self.validations:
            return None
        low = self._eta(t, min, rate=min)
        high = self._eta(t, max, rate=max)
        return None if low is None or high is None else (low, high)

    def _eta(self, t: float, pick, rate=None) -> float | None:
        if not self.epochs or not self.steps_per_epoch:
            return None
        left = max(0, self.epochs - self.done)
        parts = self._parts(pick)
        if parts is None:  # inside the first epoch: steps only, no validation yet
            if self.step_time is None or self.last is None:
                return None
            steps_left = left * self.steps_per_epoch - (self.last[1] - self.first[1] + 1)
            return max(0.0, steps_left * self.step_time)
        step, gap, around = parts
        if rate is not None and self.epoch_steps:
            step = rate([step, *self.epoch_steps])
        if left == 0:
            return 0.0
        per = gap + step * self.steps_per_epoch + around
        if self.last is None:  # before this epoch's first batch: making its data
            current = per - (t - self.mark)
        else:
            in_epoch = self.last[1] - self.first[1] + 1
            current = step * max(0, self.steps_per_epoch - in_epoch) + around - (t - self.last[0])
        return max(0.0, current) + per * (left - 1)
