"""Which engine answers a batch: NumPy, or Keras on a GPU.

Why a choice: for one row (what a person types) the NumPy forward pass answers in
milliseconds and needs no TensorFlow, whose import alone costs seconds; a big batch (a
file of 10,000 lines, an evaluation) is where a GPU pays. So the choice depends on the
batch's size and on whether the Keras backend sees a GPU, and it is asked lazily: a
small batch never looks, and a machine without an NVIDIA device node never imports the
backend to find out. ``CALCAPP_INFERENCE=numpy|keras`` forces either.
"""

from __future__ import annotations

import glob
import os
import sys

KERAS_MIN_ROWS = 10_000  # below this NumPy answers whatever the machine has
CHOICES = ("numpy", "keras")

_gpu: bool | None = None


def _device_nodes() -> bool:
    """A cheap first look (no import): Linux shows NVIDIA GPUs as /dev/nvidia0, ..."""
    return sys.platform.startswith("linux") and bool(glob.glob("/dev/nvidia[0-9]*"))


def backend_sees_gpu() -> bool:
    """Does the Keras backend see a GPU? Asked once per process, and only past the
    cheap look; a broken backend counts as no GPU."""
    global _gpu
    if _gpu is None:
        _gpu = False
        if _device_nodes():
            try:
                import keras

                if keras.backend.backend() == "jax":
                    import jax

                    _gpu = any(d.platform == "gpu" for d in jax.devices())
                else:
                    import tensorflow as tf

                    _gpu = bool(tf.config.list_physical_devices("GPU"))
            except Exception:  # noqa: BLE001 - no usable backend: NumPy answers
                _gpu = False
    return _gpu


def forced() -> str | None:
    """``CALCAPP_INFERENCE`` if set: ``numpy`` or ``keras``; ValueError for anything else."""
    value = os.environ.get("CALCAPP_INFERENCE", "").strip().lower()
    if not value:
        return None
    if value not in CHOICES:
        raise ValueError(f"CALCAPP_INFERENCE must be numpy or keras (got {value!r})")
    return value


def pick_inference(rows: int, gpu=backend_sees_gpu) -> str:
    """``"numpy"``, ``"keras-gpu"`` or (forced without a GPU) ``"keras-cpu"`` for a batch
    of ``rows``; ``gpu`` is asked only when the answer depends on it."""
    force = forced()
    if force == "numpy":
        return "numpy"
    if force == "keras":
        return "keras-gpu" if gpu() else "keras-cpu"
    if rows < KERAS_MIN_ROWS:
        return "numpy"
    return "keras-gpu" if gpu() else "numpy"
