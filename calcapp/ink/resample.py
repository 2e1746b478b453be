"""Resampling an image's grid: one matrix per axis, so a crop and a paper's light map share it."""

from __future__ import annotations

import numpy as np


def _resample_matrix(n_in: int, n_out: int) -> np.ndarray:
    """Resampling along one axis: area-weighted when shrinking, linear when enlarging."""
    if n_out > n_in:
        pos = np.clip((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0, n_in - 1)
        lo = np.floor(pos).astype(int)
        hi = np.minimum(lo + 1, n_in - 1)
        frac = (pos - lo).astype(np.float32)
        m = np.zeros((n_out, n_in), dtype=np.float32)
        m[np.arange(n_out), lo] += 1 - frac
        m[np.arange(n_out), hi] += frac
        return m
    scale = n_in / n_out
    edges = np.arange(n_out + 1) * scale
    lo, hi = edges[:-1, None], edges[1:, None]
    j = np.arange(n_in)[None, :]
    overlap = np.clip(np.minimum(hi, j + 1) - np.maximum(lo, j), 0.0, None)
    return (overlap / overlap.sum(axis=1, keepdims=True)).astype(np.float32)


def resize(a: np.ndarray, h: int, w: int) -> np.ndarray:
    """``a`` as an h x w image (see ``_resample_matrix``)."""
    return _resample_matrix(a.shape[0], h) @ a @ _resample_matrix(a.shape[1], w).T
