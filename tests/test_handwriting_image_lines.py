"""Image lines read by the line decoder: components as pseudo-strokes, cut where touching
symbols meet, the cuts chosen by the grammar and the layout model (``ink/image_units.py``)."""

from __future__ import annotations

import numpy as np
import pytest

from calcapp.ink.image_units import cut_columns, image_units, stroke_width
from calcapp.ink.imagenorm import MAX_PIXELS, rasterise
from calcapp.ink.segment import connected_components
from calcapp.ink.strokes import Point, Stroke, strokes_bbox
from calcapp.ink.synth import synth_line


@pytest.fixture(scope="module")
def rec():
    from calcapp.handwriting.recognizer import load_recognizer

    return load_recognizer()


def _touching(text: str, k: int, seed: int) -> list[Stroke]:
    """A synthetic line whose symbols from the ``k``-th on are slid left until symbol ``k``
    overlaps the one before it by 4% of the line height (their ink touches)."""
    strokes, truth = synth_line(text, np.random.default_rng(seed))
    a, b = truth[k - 1][2], truth[k][2]
    shift = b[0] - (a[0] + a[2]) + 4.0
    later = {i for t in truth[k:] for i in t[1]}
    return [Stroke([Point(p.x - shift, p.y) for p in s.points]) if i in later else s
            for i, s in enumerate(strokes)]


def _image(strokes, px: float = 40.0) -> np.ndarray:
    """Dark ink on white, ``px`` pixels per line height, as the benchmark renders lines."""
    x, y, w, h = strokes_bbox(strokes)
    k, pad = px / 100.0, 6
    shape = (int(h * k) + 2 * pad, int(w * k) + 2 * pad)
    return 1.0 - rasterise(strokes, k, (x - pad / k, y - pad / k), shape, 0.5 * 0.11 * px)


def _components(img) -> int:
    return len(connected_components((1.0 - img) > 0.2))


@pytest.mark.parametrize("text, k, seeds", [
    ("85+1", 1, (3, 4, 6)),  # two digits that touch
    ("(5+1)", 1, (5, 6, 16)),  # a '(' touching the digit after it
    ("6-3", 1, (0, 3, 4)),  # a minus touching a digit
])
def test_touching_symbols_in_an_image_line_are_read_apart(rec, text, k, seeds):
    for seed in seeds:
        img = _image(_touching(text, k, seed))
        assert _components(img) < len(text)  # the pair is one component of ink
        assert rec.read_image(img).expression == text, seed


def test_a_neck_and_a_bar_end_are_cut_candidates_a_ring_is_not():
    h = 40
    a = np.zeros((60, 120), dtype=bool)
    yy, xx = np.mgrid[0:60, 0:120]
    ring = lambda cx: np.abs(np.hypot((yy - 30) / 20, (xx - cx) / 12) - 0.9) < 0.12  # noqa: E731
    a |= ring(30)
    a[28:32, 42:62] = True  # a thin bridge: two rings joined by one stroke
    a |= ring(74)
    pix = np.argwhere(a)
    cols = cut_columns(pix, h, stroke_width(a))
    assert cols and all(42 <= c <= 64 for c in cols)
    alone = np.argwhere(ring(30))
    assert cut_columns(alone, h, stroke_width(ring(30))) == []  # no neck in a '0'
    bar = np.zeros((60, 120), dtype=bool)
    bar[29:33, 10:40] = True  # a minus written into the ring after it
    bar |= ring(56)
    cols = cut_columns(np.argwhere(bar), h, stroke_width(bar))
    assert any(30 <= c <= 46 for c in cols)


def test_an_image_segment_carries_its_parts_and_a_pen_width(rec):
    img = _image(_touching("85+1", 1, 3))
    segs = image_units(img)
    assert len(segs) == 3 and len(segs[0].extra["parts"]) >= 2
    assert 2.0 <= segs[0].extra["pen"] <= 8.0


@pytest.mark.parametrize("img", [np.ones((30, 30)), np.pad(np.zeros((1, 1)), 10, constant_values=1.0),
                                 np.full((20, 20), np.nan), np.zeros((1, 1)), np.zeros((0, 0))],
                         ids=["blank", "one pixel", "nan", "1x1", "empty"])
def test_bad_images_read_as_nothing_without_a_crash(rec, img):
    assert rec.read_image(img).expression == ""


def test_a_huge_array_is_refused_with_a_message(rec):
    huge = np.lib.stride_tricks.as_strided(np.ones(1, np.float32), (5000, 4000), (0, 0))  # no memory
    assert huge.size > MAX_PIXELS
    with pytest.raises(ValueError, match="megapixels"):
        rec.read_image(huge)


def test_overlapping_symbols_get_a_cut_near_their_centre_but_a_lone_mark_is_never_cut():
    """Two overlapping rings have no neck; the thinnest column of the middle half lies near its
    quarter, so the centre is offered too, but only in a line of several marks: a lone mark is
    one symbol (an open '6' hangs its loop off its stem by a neck)."""
    h = 40
    yy, xx = np.mgrid[0:60, 0:160]
    ring = lambda cx: np.abs(np.hypot((yy - 30) / 20, (xx - cx) / 12) - 0.9) < 0.12  # noqa: E731
    pair = ring(30) | ring(50)
    pix = np.argwhere(pair)
    x0, w = pix[:, 1].min(), np.ptp(pix[:, 1]) + 1
    near_centre = lambda cols: [c for c in cols if abs(c - x0 - w / 2) <= 0.1 * w + 1]  # noqa: E731
    assert near_centre(cut_columns(pix, h, stroke_width(pair)))
    tight = ring(30) | ring(38)  # 0.8 line heights wide: no wider than one wide digit
    pix = np.argwhere(tight)
    x0, w = pix[:, 1].min(), np.ptp(pix[:, 1]) + 1
    assert 0.7 * h <= w < 0.9 * h and near_centre(cut_columns(pix, h, stroke_width(tight)))
    alone = 1.0 - pair.astype(float)
    beside = alone.copy()
    beside[10:50, 120:126] = 0.0  # a '1' after the pair
    assert len(image_units(beside)[0].extra["parts"]) > 2  # at the centre too
    assert "parts" not in image_units(alone)[0].extra  # one mark: not cut at all
