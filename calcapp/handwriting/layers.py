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
    ``{PREFIX}{i}_0``/``{PREFIX}{i}_1``; subclasses name the prefix and how many outputs. Where
    its card lists ``members`` (each a weight ``prefix`` and its ``layers``), the members'
    probabilities are averaged: networks trained on different material, each of which learnt
    what the other forgot (``training/pieces.py join``)."""

    PREFIX = ""
    N_OUT = 0

    def __init__(self, weights: dict, spec: list[dict], members: list[dict] | None = None):
        self.weights = weights
        self.spec = spec
        self.members = [dict(m, layers=list(m["layers"])) for m in members or []] \
            or [{"prefix": self.PREFIX, "layers": spec}]

    @classmethod
    def from_entry(cls, weights: dict, entry: dict):
        """The network a card's entry describes, with the weights of its file; ``ValueError``
        where a layer's weights are missing."""
        net = cls(weights, list(entry["layers"]), entry.get("members"))
        for m in net.members:
            for i, layer in enumerate(m["layers"]):
                names = {f"{m['prefix']}{i}_0", f"{m['prefix']}{i}_1"}
                if layer["op"] in ("conv", "dense") and not names <= weights.keys():
                    raise ValueError(f"no weights for layer {m['prefix']}{i}")
        return net

    def probabilities(self, images: np.ndarray, members: list[dict] | None = None) -> np.ndarray:
        """Each image's probabilities of the ``N_OUT`` outputs: the mean of ``members`` (all)."""
        x = np.asarray(images, dtype=np.float32)
        if x.ndim == 3:
            x = x[..., None]
        if not len(x):
            return np.zeros((0, self.N_OUT), np.float32)
        return np.mean([forward(x, m["layers"], self.weights, m["prefix"]) for m in members or self.members], axis=0)
