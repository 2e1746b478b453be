"""Whether this install can train: the lite build ships without TensorFlow.

Answers, the window and handwriting run on NumPy forward passes, so only training needs
TensorFlow. Asking ``find_spec`` costs microseconds and imports nothing.
"""

from __future__ import annotations

import importlib.util

NO_TENSORFLOW = (
    "training needs TensorFlow, which this build (calcapp-lite) does not include; "
    "install the full calcapp to train"
)


def training_unavailable() -> str | None:
    """``None`` when training can run, else the reason in words."""
    if importlib.util.find_spec("tensorflow") is None:
        return NO_TENSORFLOW
    return None
