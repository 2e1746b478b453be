"""The pen's view of a symbol: its trajectory, read by a small dense network in NumPy.

A picture throws away the order and direction of the pen and the number of strokes: a '1'
and a '/' are one stroke each but written differently, an '=' is two strokes, an obelus
three. Each symbol's strokes are resampled by arc length to ``N`` points (position, pen-up,
direction) plus its stroke count and size in the line; ``TrajectoryNet`` reads those, and the
recognizer multiplies its probabilities into the image network's (late fusion).
"""

from __future__ import annotations

import numpy as np

N = 32
N_FEATURES = 2 * N + N + 2 * (N - 1) + 1 + 4


def features(strokes, line_height: float) -> np.ndarray:
    """Fixed-length description of one symbol's pen path (see the module docstring)."""
    parts = [s.xy() for s in strokes if s.points]
    out = np.zeros(N_FEATURES, np.float32)
    if not parts:
        return out
    pts = np.concatenate(parts)
    sid = np.concatenate([np.full(len(p), k) for k, p in enumerate(parts)])
    step = np.r_[0.0, np.hypot(*np.diff(pts, axis=0).T)]
    step[np.r_[False, np.diff(sid) != 0]] = 0.0  # the pen in the air does not count
    arc = np.cumsum(step)
    at = np.linspace(0.0, arc[-1], N) if arc[-1] > 0 else np.zeros(N)
    idx = np.clip(np.searchsorted(arc, at, side="left"), 0, len(pts) - 1)
    lo = np.maximum(idx - 1, 0)
    span = np.maximum(arc[idx] - arc[lo], 1e-9)
    t = np.clip((at - arc[lo]) / span, 0.0, 1.0)[:, None]
    same = (sid[idx] == sid[lo])[:, None]
    xy = np.where(same, pts[lo] + t * (pts[idx] - pts[lo]), pts[idx])
    x0, y0 = pts.min(axis=0)
    x1, y1 = pts.max(axis=0)
    size = max(x1 - x0, y1 - y0, 1e-9)
    xy = (xy - [(x0 + x1) / 2, (y0 + y1) / 2]) / (size / 2)
    pen = np.r_[0.0, (np.diff(sid[idx]) != 0).astype(np.float32)]
    d = np.diff(xy, axis=0)
    d = d / np.maximum(np.hypot(*d.T), 1e-6)[:, None]
    k = 0
    for block in (xy.ravel(), pen, d.ravel()):
        out[k:k + len(block)] = block
        k += len(block)
    out[k] = np.clip(np.log(size / max(line_height, 1e-9)), -4.0, 2.0)
    out[k + 1 + min(len(parts), 4) - 1] = 1.0
    return out


class TrajectoryNet:
    """Dense layers exported by training/trajectory.py (weights ``t{i}_0``/``t{i}_1``)."""

    def __init__(self, weights: dict, spec: list[str]):
        self.weights = weights
        self.spec = spec  # activation per dense layer

    def probabilities(self, feats: np.ndarray, hidden: list | None = None) -> np.ndarray:
        """Class probabilities; with ``hidden`` (a list), the penultimate activations are appended."""
        x = np.asarray(feats, np.float32)
        for i, act in enumerate(self.spec):
            if hidden is not None and i == len(self.spec) - 1:
                hidden.append(x)
            x = x @ self.weights[f"t{i}_0"] + self.weights[f"t{i}_1"]
            if act == "relu":
                x = np.maximum(x, 0.0)
        x = x - x.max(axis=1, keepdims=True)
        e = np.exp(x)
        return e / e.sum(axis=1, keepdims=True)


def fuse(p_image: np.ndarray, p_pen: np.ndarray, weight: float) -> np.ndarray:
    """Product of experts: the image's probabilities times the pen's to the power ``weight``."""
    p = p_image * np.power(np.clip(p_pen, 1e-6, 1.0), weight)
    return p / np.maximum(p.sum(axis=1, keepdims=True), 1e-12)
