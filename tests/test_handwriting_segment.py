"""Segmentation of synthetic lines whose truth is known, as ink and as images."""

from __future__ import annotations

import numpy as np
import pytest

from calcapp.ink.imagenorm import rasterise
from calcapp.ink.strokes import Point, Stroke, strokes_bbox
from calcapp.ink.segment import join_segments, joinable_runs, resolve_by_geometry, segment_image, segment_strokes
from calcapp.ink.synth import synth_line

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


def _wide_zero(width=1.6, height=40, pad=10):
    """A dark-on-white ellipse much wider than tall: one symbol the cutter sees as two."""
    h, w = height + 2 * pad, int(width * height) + 2 * pad
    yy, xx = np.mgrid[0:h, 0:w]
    cy, cx, ry, rx = h / 2, w / 2, height / 2, width * height / 2
    r = np.sqrt(((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2)
    ring = np.clip(1.0 - np.abs(r - 0.93) / 0.07, 0, 1)
    return 1.0 - ring


def test_cut_components_come_back_as_one_joinable_run():
    img = _wide_zero()
    segs = segment_image(img)
    assert len(segs) >= 2  # geometry alone cuts it
    assert joinable_runs(segs) == [(0, len(segs))]
    whole = join_segments(segs)
    ink = 1.0 - img
    ys, xs = np.nonzero(ink > 0.2)
    assert whole.box == (xs.min(), ys.min(), xs.max() + 1 - xs.min(), ys.max() + 1 - ys.min())
    # the pasted pieces are exactly the component's ink
    assert np.array_equal(whole.image > 0.2, ink[ys.min():ys.max() + 1, xs.min():xs.max() + 1] > 0.2)


def test_close_neighbours_are_joinable_but_spaced_symbols_are_not():
    rng = np.random.default_rng(11)
    strokes, truth = synth_line("12+3", rng)
    segs = segment_image(line_image(strokes))
    assert joinable_runs(segs) == []  # written with normal gaps
    # a '9' whose stem starts just below its loop without meeting it: two components
    a = np.ones((70, 60))
    a[10:30, 12:30] = 0.0  # the loop, as a filled blob
    a[33:60, 29:34] = 0.0  # the stem, under the loop's right edge
    segs = segment_image(a)
    assert len(segs) == 2 and joinable_runs(segs) == [(0, 2)]


def test_a_mask_grown_by_a_disc_is_the_plain_disc_at_any_radius():
    """``_dilate`` grows row by row of the disc; it must be every pixel within ``r`` of ink,
    also where the disc is larger than the mask."""
    from calcapp.ink.segment import _dilate

    rng = np.random.default_rng(3)
    for _ in range(60):
        m = rng.random((int(rng.integers(1, 25)), int(rng.integers(1, 25)))) < rng.uniform(0.0, 0.2)
        r = int(rng.integers(0, 30))
        ys, xs = np.nonzero(m)
        yy, xx = np.mgrid[0:m.shape[0], 0:m.shape[1]]
        want = np.zeros_like(m)
        for y, x in zip(ys, xs):
            want |= (yy - y) ** 2 + (xx - x) ** 2 <= r * r
        assert (_dilate(m, r) == want).all()


def test_components_list_each_pixel_once_row_by_row():
    from calcapp.ink.segment import connected_components

    m = np.zeros((6, 9), bool)
    m[0, 0:3] = m[1, 3] = True  # a diagonal step joins (8-connected)
    m[4:6, 6:9] = True
    comps = sorted(connected_components(m), key=len)
    assert [c.tolist() for c in comps] == [[[0, 0], [0, 1], [0, 2], [1, 3]],
                                           [[4, 6], [4, 7], [4, 8], [5, 6], [5, 7], [5, 8]]]
    assert all(c.dtype == np.int32 for c in comps) and connected_components(np.zeros((3, 3), bool)) == []
