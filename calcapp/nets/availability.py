"""Whether this install can train: the lite build ships without TensorFlow.

Answers, the window and handwriting run on NumPy forward passes, so only training needs
TensorFlow. Asking ``find_spec`` costs microseconds and imports nothing.
"""

from __future__ import annotations

import importlib.util
import os

NO_TENSORFLOW = (
    "training needs TensorFlow, which this build (calcapp-lite) does not include; "
    "install the full calcapp to train"
)


def training_unavailable() -> str | None:
    """``None`` when training can run, else the reason in words. The model code is written
    in keras.ops, so ``KERAS_BACKEND=jax`` with keras and JAX installed trains too."""
    if os.environ.get("KERAS_BACKEND") == "jax" and all(
            importlib.util.find_spec(m) is not None for m in ("keras", "jax")):
        return None
    if importlib.util.find_spec("tensorflow") is None:
        return NO_TENSORFLOW
    return None
