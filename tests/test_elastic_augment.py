"""The elastic distortion of training pictures (``data.elastic``): a smooth wobble that keeps
the symbol, never a new picture or noise."""

from __future__ import annotations

import numpy as np

from calcapp.handwriting import data as hd


def _bars(n: int) -> np.ndarray:
    x = np.zeros((n, 28, 28), np.float32)
    x[:, 6:22, 12:16] = 1.0  # an upright bar, as a '1'
    return x


def test_zero_strength_is_the_picture_itself():
    x = _bars(3)
    assert np.allclose(hd.elastic(x, np.random.default_rng(0), alpha=0.0), x, atol=1e-6)


def test_wobble_moves_ink_a_little_and_keeps_it():
    x = _bars(50)
    out = hd.elastic(x, np.random.default_rng(1))
    assert out.shape == x.shape and out.dtype == np.float32
    assert 0.0 <= out.min() and out.max() <= 1.0 + 1e-6
    moved = np.abs(out - x).sum(axis=(1, 2)) / x.sum(axis=(1, 2))
    assert 0.0 < np.median(moved) < 0.8  # changed, yet mostly the same bar
    mass = out.sum(axis=(1, 2)) / x.sum(axis=(1, 2))
    assert np.all((mass > 0.5) & (mass < 1.6))  # stretched or squeezed, never lost
    # smooth: neighbouring pixels move together, so the bar stays one upright piece of ink
    cols = (out > 0.5).any(axis=1).sum(axis=1)
    assert np.median(cols) <= 7


def test_same_seed_same_wobble_and_empty_input():
    x = _bars(4)
    a = hd.elastic(x, np.random.default_rng(5))
    b = hd.elastic(x, np.random.default_rng(5))
    assert np.array_equal(a, b)
    assert hd.elastic(x[:0], np.random.default_rng(5)).shape == (0, 28, 28)
