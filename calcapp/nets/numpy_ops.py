"""The NumPy side of the shared math: an ``ops`` namespace and weights read from ``.keras``.

Why: importing TensorFlow costs ~5 s, and one expression through Keras' ``predict()`` costs
~100 ms, while the models are tiny. ``calcapp.arithmetic.model.architectures`` is written against an
``ops`` namespace; this module supplies NumPy versions of the few ops it uses, and reads the
weights straight out of the saved ``model.keras`` zip (its ``model.weights.h5`` member) with
h5py, so there is no second weight file to keep in sync.
"""

from __future__ import annotations

import functools
import io
import json
import os
import sys
import zipfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any

# Our matrices are small (a few hundred columns); multi-threaded BLAS on them mostly
# thrashes, and on a busy 2-core machine 10,000 answers took 17 s instead of 1 s.
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


def _softmax(x, axis=-1):  # the ufuncs' own reductions: ndarray.max/.sum add a Python layer
    e = np.exp(x - np.maximum.reduce(x, axis=axis, keepdims=True))
    return e / np.add.reduce(e, axis=axis, keepdims=True)


def _one_hot(ids, depth):
    return _eye(depth)[np.asarray(ids)]


@functools.lru_cache(maxsize=None)
def _eye(depth):
    return np.eye(depth, dtype=np.float32)


# The decoder runs ~100 ops per character; on one expression NumPy's Python-level argument
# handling costs more than the arithmetic (``np.expand_dims`` 2.2 us against 0.14 us for
# indexing, ``np.sum`` 3.2 us against 1.7 us for ``np.add.reduce``), so the hot three are
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
    softmax=_softmax,
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


def read_keras_file(path: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The seq2seq layer's config and its weights (by name) from a ``.keras`` zip.

    A file that is not a model (random bytes, cut short, a link to a device, a zip bomb)
    raises BadModelError naming it, before more than the size limit is read.
    """
    from calcapp.nets.registry import BadModelError, check_model_file

    check_model_file(path)
    try:
        config, weights_bytes = _keras_members(path)
        return _layer_weights(path, config, weights_bytes)
    except BadModelError:
        raise
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError, EOFError,
            RecursionError, AttributeError, IndexError) as exc:
        raise BadModelError(f"{path}: not a readable calcapp model "
                            f"({type(exc).__name__}: {str(exc)[:120]})") from None


def _keras_members(path: Path):
    from calcapp.nets.registry import MAX_MODEL_BYTES, BadModelError

    with zipfile.ZipFile(path) as zf:
        for member in ("config.json", "model.weights.h5"):
            if zf.getinfo(member).file_size > MAX_MODEL_BYTES:
                raise BadModelError(f"{path}: {member} unpacks to more than {MAX_MODEL_BYTES:,} bytes")
        return json.loads(zf.read("config.json")), zf.read("model.weights.h5")


def _layer_weights(path: Path, config: dict, weights_bytes: bytes):
    import h5py  # ~0.1 s; only needed once per model

    from calcapp.arithmetic.model.architectures import weight_specs

    layer_cfg = None
    for layer in config["config"]["layers"]:
        if layer["config"].get("name") == LAYER_NAME:
            layer_cfg = layer["config"]["cfg"]
    if layer_cfg is None:
        raise ValueError(f"{path} holds no '{LAYER_NAME}' layer; not a calcapp calculator model")
    specs = weight_specs(layer_cfg)
    with h5py.File(io.BytesIO(weights_bytes), "r") as h5:
        # Keras names the group after the layer class (``seq2_seq_net``), not the layer.
        groups = [g["vars"] for g in h5["layers"].values() if "vars" in g and len(g["vars"])]
        if len(groups) != 1:
            raise ValueError(f"{path}: expected one weight group, found {len(groups)}")
        group = groups[0]
        arrays = [np.asarray(group[str(i)], dtype=np.float32) for i in range(len(group))]
    if len(arrays) != len(specs):
        raise ValueError(f"{path}: {len(arrays)} weights stored, {len(specs)} expected")
    weights = {}
    for (name, shape, _), arr in zip(specs, arrays):
        if tuple(arr.shape) != tuple(shape):
            raise ValueError(f"{path}: weight {name} has shape {arr.shape}, expected {shape}")
        weights[name] = arr
    return layer_cfg, weights
