"""Brings TensorFlow up once, the way the app wants it, and says what it found.

Importing TensorFlow takes about 5 s here, so the app never does it on the way to the
window or to an answer (inference is NumPy). The manager calls ``init_tensorflow`` from a
background thread after the window is up, and again (a no-op then) before a training.
GPU memory growth must be set before TensorFlow touches a GPU, so it happens right after
the import, in the same place, under a lock.
"""

from __future__ import annotations

import os
import threading

_lock = threading.Lock()
_status: str | None = None


def tf_threads() -> int:
    """Few threads: the app shares a small machine with its own GUI and inference."""
    try:
        return max(1, int(os.environ.get("CALCAPP_TF_THREADS", "2")))
    except ValueError:
        return 2


def init_tensorflow() -> str:
    """Import TF, enable GPU memory growth, cap threads; ``"CPU"``, ``"GPU: <name>"``
    or ``"unavailable: <why>"``. Safe to call from any thread, any number of times."""
    global _status
    with _lock:
        if _status is not None:
            return _status
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        os.environ.setdefault("KERAS_BACKEND", "tensorflow")
        try:
            import tensorflow as tf
        except Exception as exc:  # ImportError, or a broken CUDA install
            _status = f"unavailable: {type(exc).__name__}: {exc}".splitlines()[0][:200]
            return _status
        gpus = []
        try:
            gpus = tf.config.list_physical_devices("GPU")
            for gpu in gpus:
                tf.config.experimental.set_memory_growth(gpu, True)
        except (RuntimeError, ValueError):
            pass  # already initialised by someone else: growth can no longer change
        try:
            n = tf_threads()
            tf.config.threading.set_intra_op_parallelism_threads(n)
            tf.config.threading.set_inter_op_parallelism_threads(n)
        except RuntimeError:
            pass
        if gpus:
            name = gpus[0].name
            try:
                name = tf.config.experimental.get_device_details(gpus[0]).get("device_name", name)
            except Exception:
                pass
            _status = f"GPU: {name}" + (f" (+{len(gpus) - 1})" if len(gpus) > 1 else "")
        else:
            _status = "CPU"
        return _status


def current_status() -> str | None:
    """What ``init_tensorflow`` found, or ``None`` if it has not run yet."""
    return _status
