"""The NumPy side of the shared math: an ``ops`` namespace the model code runs on.

Why: importing TensorFlow takes seconds and one expression through Keras costs far more
than the arithmetic of these tiny models. The model code (``calcapp.arithmetic.model``) is
written against an ``ops`` namespace; this module supplies NumPy versions of the few ops it
uses. The weights come straight out of the saved ``model.keras``
(``calcapp.arithmetic.model.weights.read_keras_file``), so there is no second weight file.
"""

from __future__ import annotations

import functools
import os
import sys
from types import SimpleNamespace

# Our matrices are small (a few hundred columns); multi-threaded BLAS on them mostly
# thrashes (benchmarks/results/calculator.md).
# Ask for one BLAS thread before NumPy loads it; ``single_thread_blas`` covers the case
# where NumPy was imported first.
if "numpy" not in sys.modules:
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np  # noqa: E402

LAYER_NAME = "seq2seq"  # the one Keras layer that holds every weight (calcapp.arithmetic.keras_layer)


def single_thread_blas() -> bool:
    """Set an already-loaded OpenBLAS to one thread (Linux; best effort, never raises)."""
    if os.environ.get("OPENBLAS_NUM_THREADS") or not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        with open("/proc/self/maps") as fh:
            paths = {line.split()[-1] for line in fh if "openblas" in line.lower()}
        for path in paths:
            lib = ctypes.CDLL(path)
            for name in ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads",
                         "openblas_set_num_threads64_", "openblas_set_num_threads"):
                fn = getattr(lib, name, None)
                if fn is not None:
                    fn(1)
                    return True
    except (OSError, ValueError):
        pass
    return False


def _sigmoid(x):
    return 0.5 * (np.tanh(0.5 * x) + 1.0)  # overflow-free and exact enough


def softmax(x, axis=-1):  # the ufuncs' own reductions: ndarray.max/.sum add a Python layer
    e = np.exp(x - np.maximum.reduce(x, axis=axis, keepdims=True))
    return e / np.add.reduce(e, axis=axis, keepdims=True)


def _one_hot(ids, depth):
    return _eye(depth)[np.asarray(ids)]


@functools.lru_cache(maxsize=None)
def _eye(depth):
    return np.eye(depth, dtype=np.float32)


# The decoder runs ~100 ops per character; on one expression NumPy's Python-level argument
# handling costs more than the arithmetic (``np.expand_dims`` and ``np.sum`` against indexing
# and ``np.add.reduce``: benchmarks/results/calculator.md), so the hot three are
# written as the indexing and ufunc calls they amount to.
_NEW_AXIS = {0: (None,), 1: (slice(None), None), 2: (slice(None), slice(None), None), -1: (..., None)}


def _expand_dims(x, axis):
    try:
        return x[_NEW_AXIS[axis]]
    except (KeyError, TypeError):  # another axis, or not an array
        x = np.asarray(x)
        if axis < 0:
            axis += x.ndim + 1
        return x[(slice(None),) * axis + (None,)]


def _stack(arrays, axis=0):
    arrays = [np.asarray(a) for a in arrays]
    if axis < 0:
        axis += arrays[0].ndim + 1
    index = (slice(None),) * axis + (None,)
    return np.concatenate([a[index] for a in arrays], axis=axis)


def _asarray(x):
    return x if isinstance(x, np.ndarray) else np.asarray(x)


# the array methods: the same calls without np.take's (etc.) Python-level dispatch; anything
# that is not an array (a list, a float) takes the NumPy function
def _reshape(x, shape):
    try:
        return x.reshape(shape)
    except AttributeError:
        return np.reshape(x, shape)


def _take(x, indices, axis=None):
    try:
        return x.take(indices, axis=axis)
    except AttributeError:
        return np.take(x, indices, axis=axis)


def _cast(x, dtype):
    try:
        return x.astype(dtype)
    except AttributeError:
        return np.asarray(x).astype(dtype)


def _sum(x, axis=None, keepdims=False):
    x = np.asarray(x)
    if x.dtype == bool:
        return np.sum(x, axis=axis, keepdims=keepdims)
    return np.add.reduce(x, axis=axis, keepdims=keepdims)


ops = SimpleNamespace(
    matmul=np.matmul,
    tanh=np.tanh,
    sigmoid=_sigmoid,
    softmax=softmax,
    relu=lambda x: np.maximum(x, 0),
    one_hot=_one_hot,
    concatenate=np.concatenate,
    stack=_stack,
    expand_dims=_expand_dims,
    reshape=_reshape,
    transpose=lambda x, axes=None: _asarray(x).transpose(axes),
    take=_take,
    cumsum=lambda x, axis=None: _asarray(x).cumsum(axis=axis),
    max=lambda x, axis=None, keepdims=False: np.maximum.reduce(_asarray(x), axis=axis, keepdims=keepdims),
    sum=_sum,
    mean=np.mean,
    sqrt=np.sqrt,
    square=np.square,
    equal=np.equal,
    argmax=lambda x, axis=None: _asarray(x).argmax(axis=axis),
    triu=np.triu,
    minimum=np.minimum,
    maximum=np.maximum,
    round=np.round,
    floor=np.floor,
    ones=lambda shape, dtype="float32": np.ones(shape, dtype=dtype),
    zeros=lambda shape, dtype="float32": np.zeros(shape, dtype=dtype),
    zeros_like=lambda x: np.zeros(np.shape(x), dtype=_asarray(x).dtype),
    cast=_cast,
)
