"""Segmentation of synthetic lines whose truth is known, as ink and as images."""

from __future__ import annotations

import numpy as np
import pytest

from calcapp.core.imagenorm import rasterise
from calcapp.core.ink import Point, Stroke, strokes_bbox
from calcapp.core.segment import resolve_by_geometry, segment_image, segment_strokes
from calcapp.core.synth_ink import synth_line

LINES = ["12+34=", "7\u00d7(8-9)", "56\u00f74.5", "40/5+1", "(3.25)\u00d710="]


def line_image(strokes, height=100.0, px=40, negative=False):
    x, y, w, h = strokes_bbox(strokes)
    scale = px / height
    pad = 10
    shape = (int(h * scale) + 2 * pad, int(w * scale) + 2 * pad)
    img = rasterise(strokes, scale, (x - pad / scale, y - pad / scale), shape, radius=2.0)
    return img if negative else 1.0 - img  # dark ink on white paper by default


@pytest.mark.parametrize("text", LINES)
def test_stroke_groups_match_truth(text):
    rng = np.random.default_rng(sum(map(ord, text)))
    for _ in range(5):
        strokes, truth = synth_line(text, rng)
        segs = segment_strokes(strokes)
        assert [s.ids for s in segs] == [t[1] for t in truth]
        for s, t in zip(segs, truth):
            assert s.box == pytest.approx(t[2])


def test_multi_stroke_symbols_are_grouped():
    rng = np.random.default_rng(5)
    strokes, truth = synth_line("4+5\u00d76=\u00f7", rng)
    sizes = [len(t[1]) for t in truth]
    segs = segment_strokes(strokes)
    assert [len(s.ids) for s in segs] == sizes
    assert sizes[1] == 2 and sizes[3] == 2 and sizes[5] == 2 and sizes[6] == 3


def test_relative_sizes_tell_dot_minus_and_digit_apart():
    rng = np.random.default_rng(3)
    strokes, _ = synth_line("1.5-2", rng)
    segs = segment_strokes(strokes)
    rel = [s.rel_size for s in segs]
    assert rel[1] < 0.2 < rel[3] < 0.8 < rel[0]


def test_dots_are_placed_by_height():
    rng = np.random.default_rng(4)
    strokes, _ = synth_line("3\u00b74.5", rng)
    segs = segment_strokes(strokes)
    labels = resolve_by_geometry(["3", ".", "4", ".", "5"], segs)
    assert labels == ["3", "\u00b7", "4", ".", "5"]
    # a tiny round blob read as '0' is still a dot
    assert resolve_by_geometry(["3", "0", "4", ".", "5"], segs)[1] == "\u00b7"


@pytest.mark.parametrize("negative", [False, True])
def test_image_segmentation_matches_truth(negative):
    rng = np.random.default_rng(7)
    for text in LINES:
        strokes, truth = synth_line(text, rng)
        img = line_image(strokes, negative=negative)
        segs = segment_image(img)
        assert len(segs) == len(truth), text
        xs = [s.box[0] + s.box[2] / 2 for s in segs]
        assert xs == sorted(xs)
        for s in segs:
            assert s.image is not None and s.image.shape == (int(s.box[3]), int(s.box[2]))


def test_touching_digits_are_split():
    rng = np.random.default_rng(8)
    strokes, truth = synth_line("00", rng)
    # slide the second zero left until it touches the first
    a, b = truth[0][2], truth[1][2]
    shift = (b[0] - (a[0] + a[2])) + 1.0
    moved = [Stroke([Point(p.x - shift, p.y) for p in s.points]) if i in truth[1][1] else s
             for i, s in enumerate(strokes)]
    segs = segment_image(line_image(moved))
    assert len(segs) == 2


def test_empty_inputs():
    assert segment_strokes([]) == []
    assert segment_image(np.ones((20, 20))) == []
