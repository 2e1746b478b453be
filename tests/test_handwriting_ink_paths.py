"""Cuts that follow the ink (``ink/ink_paths.py``): two touching symbols that no column
separates are parted along a path through the ink; a clean digit alone is still read whole."""

from __future__ import annotations

import numpy as np
import pytest

from calcapp.ink import image_units
from calcapp.ink.image_units import cut_columns, cut_pieces, stroke_width
from calcapp.ink.ink_paths import ink_paths
from calcapp.ink.synth import synth_line

H = 40  # line height in pixels


def _slanted_pair() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(all ink, left stroke, right stroke): two strokes leaning right, the second's top left of
    the first's bottom (no column between them), joined by a short bar in the middle."""
    yy, xx = np.mgrid[0:46, 0:40]
    a = np.abs(xx - (8 + 0.2 * yy)) < 2.5
    b = np.abs(xx - (17 + 0.2 * yy)) < 2.5
    bridge = (yy >= 21) & (yy < 24) & (xx >= 12) & (xx <= 21)
    return a | b | bridge, a, b


def _parted(pieces, a, b) -> bool:
    """Whether some piece boundary puts nearly all of ``a`` left and nearly all of ``b`` right."""
    pieces = sorted(pieces, key=lambda p: p[:, 1].mean())
    for j in range(1, len(pieces)):
        left = np.zeros_like(a)
        for p in pieces[:j]:
            left[p[:, 0], p[:, 1]] = True
        if (a & left).sum() >= 0.9 * a.sum() and (b & ~left).sum() >= 0.9 * b.sum():
            return True
    return False


def test_no_column_separates_the_slanted_pair():
    ink, a, b = _slanted_pair()
    cols = np.nonzero(a.any(axis=0))[0]
    assert cols.max() > np.nonzero(b.any(axis=0))[0].min()  # their columns overlap
    pix = np.argwhere(ink)
    stroke = stroke_width(ink)
    assert not _parted(_column_pieces(pix, stroke), a, b)


def _column_pieces(pix, stroke):
    cols = cut_columns(pix, H, stroke)
    edges = [-1] + cols + [10 ** 6]
    return [p for p in (pix[(pix[:, 1] >= lo) & (pix[:, 1] < hi)] for lo, hi in zip(edges, edges[1:])) if len(p)]


def test_a_path_along_the_ink_parts_two_touching_strokes(monkeypatch):
    ink, a, b = _slanted_pair()
    pix = np.argwhere(ink)
    assert _parted(cut_pieces(pix, H, stroke_width(ink)), a, b)
    monkeypatch.setattr(image_units, "INK_PATHS", False)  # columns only: the pair stays one
    assert not _parted(cut_pieces(pix, H, stroke_width(ink)), a, b)


def test_the_path_crosses_only_the_bar():
    ink, a, b = _slanted_pair()
    (crossed, path), = ink_paths([ink], [[16]], corridor=12, window=5)[0]
    assert crossed <= 3  # the bar's three rows, nothing of either stroke
    assert (np.diff(path) != 0).sum() >= 4  # it bends with the slant


def test_a_path_is_cheapest_through_a_thin_join():
    m = np.zeros((30, 20), dtype=bool)
    m[:, 3:6] = True
    m[:, 14:17] = True
    m[14:16, 5:15] = True  # an 'H': the path crosses the bar (2 pixels), not a post (30)
    (crossed, path), = ink_paths([m], [[10]], corridor=6, window=3)[0]
    assert crossed == 2 and all(6 <= x <= 13 for x in path)


@pytest.fixture(scope="module")
def rec():
    from calcapp.handwriting.recognizer import load_recognizer

    return load_recognizer()


def _image(strokes, px: float = 40.0) -> np.ndarray:
    from calcapp.ink.imagenorm import rasterise
    from calcapp.ink.strokes import strokes_bbox

    x, y, w, h = strokes_bbox(strokes)
    k, pad = px / 100.0, 6
    shape = (int(h * k) + 2 * pad, int(w * k) + 2 * pad)
    return 1.0 - rasterise(strokes, k, (x - pad / k, y - pad / k), shape, 0.5 * 0.11 * px)


@pytest.mark.parametrize("digit", ["0", "8", "6", "9"])
def test_a_clean_digit_alone_is_read_whole(rec, digit):
    for seed in range(4):
        strokes, _ = synth_line(digit, np.random.default_rng(seed))
        assert rec.read_image(_image(strokes)).expression == digit, seed
