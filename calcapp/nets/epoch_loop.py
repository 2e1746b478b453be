"""One epoch of training, and the validation loss, without Keras' ``fit`` on one device.

Why not Keras' ``fit`` and ``evaluate`` here: each call wraps the arrays in a fresh tf.data
pipeline whose background threads (prefetch, autotune) are torn down when it returns. On
a small machine that teardown now and then waits seconds at no CPU, inside the epoch or
in whatever runs next, and the tf.data threads move the steps between one core and two
from one epoch to the next; so epochs that did the same work differed by a factor of
two, and no time-left estimate could hold. Feeding ``train_on_batch`` shuffled NumPy
slices leaves no pipeline to tear down (``benchmarks/results/training-scale.md`` has the
before and after).

Every batch has the same shape: the epoch's last batch is filled up with rows from its
start, so the step is traced (or compiled, under JAX) once, in the first epoch.
Under a distribution strategy ``train_epoch`` keeps ``fit``: it splits each batch across
the replicas; the plain loop would not. Both take the same shuffled order, so one device
and several replicas see the same batches.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from calcapp.nets.distribution import local_batch, replicas


def _rows(x, index):
    return tuple(a[index] for a in x) if isinstance(x, tuple) else x[index]


def _slice(x, start: int, stop: int):
    return tuple(a[start:stop] for a in x) if isinstance(x, tuple) else x[start:stop]


def shuffled(x, y, batch: int, rng: np.random.Generator):
    """The epoch's rows in a shuffled order, rounded up to whole batches with rows from
    its start (each row once, a few twice)."""
    order = np.resize(rng.permutation(len(y)), -(-len(y) // batch) * batch)
    return _rows(x, order), y[order]


def fit_epoch(model, x, y, batch: int, on_batch: Callable[[float], bool]) -> tuple[float, bool]:
    """Train on the rows in order, a batch a step; ``on_batch(running loss)`` after each
    step returns True to stop. (The epoch's mean loss or NaN, stopped.) ``train_on_batch``
    gives each batch's own loss; the running mean is what ``fit`` reports, so the curves
    read the same under either path (the batches are all one size)."""
    total, steps = 0.0, 0
    for start in range(0, len(y), batch):
        logs = model.train_on_batch(_slice(x, start, start + batch), y[start:start + batch],
                                    return_dict=True)
        total, steps = total + float(logs.get("loss", math.nan)), steps + 1
        if on_batch(total / steps):
            return total / steps, True
    return (total / steps if steps else math.nan), False


def train_epoch(model, x, y, batch: int, rng: np.random.Generator,
                on_batch: Callable[[float], bool], strategy=None) -> tuple[float, bool]:
    """One epoch over the rows in a shuffled order: ``fit_epoch`` on one device, Keras'
    ``fit`` under a strategy. ``on_batch(running loss)`` after each step: True stops."""
    x, y = shuffled(x, y, batch, rng)
    if strategy is None:
        return fit_epoch(model, x, y, batch, on_batch)
    import keras

    class Steps(keras.callbacks.Callback):
        stopped = False

        def on_train_batch_end(self, step, logs=None):
            if on_batch(float((logs or {}).get("loss", math.nan))):
                self.stopped = self.model.stop_training = True

    x, y, batch = local_batch(strategy, x, y, batch)  # (multi-host JAX: this host's share)
    steps = Steps()
    hist = model.fit(x, y, batch_size=batch, epochs=1, verbose=0, shuffle=False, callbacks=[steps])
    return float((hist.history.get("loss") or [math.nan])[-1]), steps.stopped


def validation_loss(model, x, y, batch: int = 1024, strategy=None) -> float:
    """The mean loss over every row (the last batch may be short: its shape is traced by
    ``warm_validation`` beforehand); under a strategy Keras' ``evaluate``, which splits
    each batch across the replicas."""
    if strategy is not None:
        return float(model.evaluate(x, y, batch_size=batch, verbose=0))
    total = 0.0
    for start in range(0, len(y), batch):
        logs = model.test_on_batch(_slice(x, start, start + batch), y[start:start + batch],
                                   return_dict=True)
        total += float(logs.get("loss", math.nan)) * len(y[start:start + batch])
    return total / len(y) if len(y) else math.nan


def warm_validation(model, x, y, batch: int = 1024, strategy=None) -> None:
    """Trace the validation step for a full batch and for a short one (the step then
    takes any batch size), before the first epoch's clock starts. Under a strategy one
    ``evaluate`` of whole rows per replica (a full batch and a short one on one replica):
    it also builds the loss, which under JAX ``fit`` would build by drawing one more
    shuffled batch, so the same seed gives the same run."""
    if strategy is not None:
        share = replicas(strategy)
        k = min(len(y), batch + 1) if share == 1 else min(len(y), batch) // share * share
        if k:
            model.evaluate(_slice(x, 0, k), y[:k], batch_size=batch, verbose=0)
        return
    k = min(len(y), batch)
    if k:
        model.test_on_batch(_slice(x, 0, k), y[:k])
        model.test_on_batch(_slice(x, 0, 1), y[:1])
