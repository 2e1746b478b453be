"""The NumPy forward pass of the picture networks' exported layers (``handwriting/cnn.py``).

The app reads symbols without TensorFlow: each network is saved as a plain list of layer specs
(conv, maxpool, flatten, dense) with its weights in an ``.npz``, and this one loop runs them
for the symbol network (``recognizer.py``), the piece network (``pieces.py``) and the pair
network (``pairs.py``) alike.
"""

from __future__ import annotations

import numpy as np

from calcapp.nets.numpy_ops import softmax


def conv(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """A stride-1 'valid' convolution of NHWC images, as one matrix product."""
    kh, kw = w.shape[:2]
    win = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(1, 2))  # N,H',W',C,kh,kw
    n, h, ww = win.shape[:3]
    cols = win.transpose(0, 1, 2, 4, 5, 3).reshape(n * h * ww, -1)
    return (cols @ w.reshape(-1, w.shape[-1]) + b).reshape(n, h, ww, -1)


def activation(x: np.ndarray, name: str) -> np.ndarray:
    if name == "relu":
        return np.maximum(x, 0)
    if name == "softmax":
        return softmax(x)
    if name in (None, "linear"):
        return x
    raise ValueError(f"unsupported activation {name!r}")


def forward(x: np.ndarray, spec: list[dict], weights: dict, prefix: str = "",
            hidden: list | None = None) -> np.ndarray:
    """Run ``spec`` on NHWC images; with ``hidden`` (a list), the last layer's input is appended."""
    for i, layer in enumerate(spec):
        if hidden is not None and i == len(spec) - 1:
            hidden.append(x.reshape(len(x), -1))
        op = layer["op"]
        if op == "conv":
            x = activation(conv(x, weights[f"{prefix}{i}_0"], weights[f"{prefix}{i}_1"]), layer["activation"])
        elif op == "maxpool":
            k = layer["size"]
            n, h, w, c = x.shape
            x = x[:, : h // k * k, : w // k * k].reshape(n, h // k, k, w // k, k, c).max(axis=(2, 4))
        elif op == "flatten":
            x = x.reshape(len(x), -1)
        elif op == "dense":
            x = activation(x @ weights[f"{prefix}{i}_0"] + weights[f"{prefix}{i}_1"], layer["activation"])
        else:
            raise ValueError(f"unsupported layer {op!r}")
    return x


class ExportedNet:
    """A small network exported by a training recipe: its layer ``spec`` and ``weights`` named
    ``{PREFIX}{i}_0``/``{PREFIX}{i}_1``; subclasses name the prefix and how many outputs."""

    PREFIX = ""
    N_OUT = 0

    def __init__(self, weights: dict, spec: list[dict]):
        self.weights = weights
        self.spec = spec

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        """Each image's probabilities of the ``N_OUT`` outputs."""
        x = np.asarray(images, dtype=np.float32)
        if x.ndim == 3:
            x = x[..., None]
        if not len(x):
            return np.zeros((0, self.N_OUT), np.float32)
        return forward(x, self.spec, self.weights, self.PREFIX)
