"""One check of a training's settings, shared by ``calcapp train`` and the Training tab.

Why: a bad value (0 units, a negative rate, a batch larger than an epoch) otherwise fails
minutes later, deep inside TensorFlow, after the data is made and the model built; or
worse, trains something meaningless. Both front ends call ``check_training`` before
anything starts and show its one-line message. No TensorFlow here.
"""

from __future__ import annotations

import math
from typing import Any

from calcapp.arithmetic.model.weights import ARCHITECTURES
from calcapp.nets.distribution import check_name

MAX_UNITS = 8192
MAX_LAYERS = 32
MAX_BATCH = 1 << 20
MAX_SAMPLES = 100_000_000
MAX_EPOCHS = 1_000_000
ONE_DEVICE = ("a columns model trains on one device (its cells are too small to split); "
              "choose 'one device' under Devices")


def _number(hp: dict, key: str, kind=float) -> Any:
    value = hp.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or \
            (kind is int and value != int(value)) or not math.isfinite(value):
        want = "a whole number" if kind is int else "a number"
        raise ValueError(f"{key} must be {want} (got {value!r})")
    return kind(value)


def _at_least(hp: dict, key: str, low: int, high: int) -> int:
    value = _number(hp, key, int)
    if not low <= value <= high:
        raise ValueError(f"{key} must be from {low} to {high:,} (got {value})")
    return value


def _optional(hp: dict, key: str, low: float, high: float, open_low: bool = False) -> None:
    if hp.get(key) is None:
        return
    value = _number(hp, key)
    if value < low or value > high or (open_low and value == low):
        side = f"above {low}" if open_low else f"at least {low}"
        raise ValueError(f"{key} must be {side} and at most {high} (got {value})")


def check_training(config, distribute: str = "none") -> None:
    """ValueError with a one-line message for settings that cannot train; None when fine.

    ``config`` is a ``TrainConfig`` (or anything with ``architecture`` and ``hp()`` or
    ``hparams``); ``distribute`` a ``--distribute`` name. The general model's digit cells
    (``columns``) have their own trainer and settings (``_check_columns``)."""
    if config.architecture == "columns":
        _check_columns(config, distribute)
        return
    if config.architecture not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {config.architecture!r}; "
                         f"known: {', '.join(ARCHITECTURES)}")
    hp = config.hp() if hasattr(config, "hp") else dict(config.hparams)
    _at_least(hp, "units", 1, MAX_UNITS)
    _at_least(hp, "layers", 1, MAX_LAYERS)
    if hp.get("heads") is not None:
        _at_least(hp, "heads", 1, 64)
    batch = _at_least(hp, "batch_size", 1, MAX_BATCH)
    samples = _at_least(hp, "samples_per_epoch", 1, MAX_SAMPLES)
    if batch > samples:
        raise ValueError(f"batch_size {batch} is larger than the data of an epoch "
                         f"(samples_per_epoch {samples})")
    _at_least(hp, "epochs", 1, MAX_EPOCHS)
    _at_least(hp, "seed", 0, 2**63 - 1)
    rate = _number(hp, "learning_rate")
    if not 0 < rate <= 10:
        raise ValueError(f"learning_rate must be above 0 and at most 10 (got {rate})")
    _optional(hp, "lr_decay", 0.0, 1.0, open_low=True)
    _optional(hp, "clipnorm", 0.0, 1e6)
    _optional(hp, "holdout", 0.0, 0.45)
    for key in ("val_size", "test_size"):
        if hp.get(key) is not None:
            _at_least(hp, key, 1, MAX_SAMPLES)
    _optional(hp, "target_exact", 0.0, 1.0)
    _optional(hp, "max_minutes", 0.0, 1e7, open_low=True)
    name = check_name(distribute)
    if name.startswith("cpu:") and batch < int(name[4:]):
        raise ValueError(f"batch_size {batch} is smaller than the {name[4:]} devices "
                         f"it is split across")


def _check_columns(config, distribute: str) -> None:
    """The digit cells' settings (``columns.training.DEFAULTS``); they train on one device."""
    from calcapp.arithmetic.columns.training import DEFAULTS

    if check_name(distribute) != "none":
        raise ValueError(ONE_DEVICE)
    hp = {**DEFAULTS, **dict(config.hparams)}
    _at_least(hp, "seed", 0, 2**63 - 1)
    _at_least(hp, "batch_size", 1, MAX_BATCH)
    _at_least(hp, "round_size", 1, MAX_SAMPLES)
    _at_least(hp, "max_rounds", 1, 10_000)
    _at_least(hp, "weak_copies", 0, 1000)
    rate = _number(hp, "learning_rate")
    if not 0 < rate <= 10:
        raise ValueError(f"learning_rate must be above 0 and at most 10 (got {rate})")
    _optional(hp, "min_learning_rate", 0.0, rate)
    _optional(hp, "decay", 0.0, 1.0, open_low=True)
    _optional(hp, "min_confidence", 0.0, 0.999)  # (a softmax never reaches 1)
