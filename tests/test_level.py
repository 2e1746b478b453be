"""A line written uphill or downhill reads as the same line written level (``ink/level.py``),
and the boxes the reading reports stay on the ink as it was drawn."""

from __future__ import annotations

import math

import numpy as np
import pytest

from calcapp.ink.level import level_strokes, line_slope
from calcapp.ink.segment import segment_strokes
from calcapp.ink.strokes import Point, Stroke, strokes_bbox
from calcapp.ink.synth import synth_line


@pytest.fixture(scope="module")
def rec():
    from calcapp.handwriting.recognizer import load_recognizer

    return load_recognizer()


def _turned(strokes, degrees: float):
    a = math.radians(degrees)
    c, s = math.cos(a), math.sin(a)
    return [Stroke([Point(p.x * c - p.y * s, p.x * s + p.y * c, p.t) for p in st.points]) for st in strokes]


@pytest.mark.parametrize("text, seed", [("12+34=46", 1), ("(7-5)×8.5", 2), ("905-67+8", 3)])
def test_a_line_written_uphill_or_downhill_reads_as_written_level(rec, text, seed):
    strokes, _ = synth_line(text, np.random.default_rng(seed))
    want = rec.read_strokes(strokes).expression
    for degrees in (-10, 8, 12):
        drawn = _turned(strokes, degrees)
        reading = rec.read_strokes(drawn)
        assert reading.expression == want, degrees
        for sym in reading.symbols:  # boxes where the symbols were drawn, not where they were read
            assert np.allclose(sym.box, strokes_bbox([drawn[i] for i in sym.stroke_ids]))


def _uphill(strokes, truth, degrees: float):
    """Each symbol moved up by the slope at its middle and kept upright, as a hand writes uphill."""
    slope, out = math.tan(math.radians(degrees)), list(strokes)
    for _, ids, box in truth:
        dy = -slope * (box[0] + box[2] / 2)
        for i in ids:
            out[i] = Stroke([Point(p.x, p.y + dy, p.t) for p in strokes[i].points])
    return out


@pytest.mark.parametrize("text, seed", [("11+71=82", 6), ("(1-4)×17", 7)])
def test_symbols_written_upright_on_a_climbing_line_keep_their_shape(rec, text, seed):
    """A '1' stays upright: the line is levelled by moving strokes, not by turning them."""
    strokes, truth = synth_line(text, np.random.default_rng(seed))
    want = rec.read_strokes(strokes).expression
    for degrees in (12, -12):
        drawn = _uphill(strokes, truth, degrees)
        level = level_strokes(drawn)
        assert level is not drawn
        for a, b in zip(strokes, level):  # each stroke as drawn, only moved
            assert np.allclose(np.ptp(a.xy(), axis=0), np.ptp(b.xy(), axis=0))
        assert rec.read_strokes(drawn).expression == want, degrees


def test_the_slope_is_measured_only_where_it_is_clear():
    strokes, _ = synth_line("123+456", np.random.default_rng(4))
    boxes = [s.box for s in segment_strokes(strokes)]
    assert line_slope(boxes) == 0.0 and level_strokes(strokes) is strokes  # level as written
    turned = _turned(strokes, 8)
    assert line_slope([s.box for s in segment_strokes(turned)]) == pytest.approx(math.tan(math.radians(8)), abs=0.05)
    few = _turned(synth_line("1+2", np.random.default_rng(5))[0], 8)
    assert line_slope([s.box for s in segment_strokes(few)]) == 0.0  # two digits: too few to tell
    steep = _turned(strokes, 40)
    assert level_strokes(steep) is steep  # not one line of writing


def _image(strokes, px: float = 40.0) -> np.ndarray:
    from calcapp.ink.imagenorm import rasterise

    x, y, w, h = strokes_bbox(strokes)
    k, pad = px / 100.0, 6
    shape = (int(h * k) + 2 * pad, int(w * k) + 2 * pad)
    return 1.0 - rasterise(strokes, k, (x - pad / k, y - pad / k), shape, 0.5 * 0.11 * px)


@pytest.mark.parametrize("text, seed", [("12+34=46", 1), ("905-67+8", 3)])
def test_a_photo_of_a_line_taken_askew_reads_as_a_level_one(rec, text, seed):
    strokes, _ = synth_line(text, np.random.default_rng(seed))
    want = rec.read_image(_image(strokes)).expression
    for degrees in (-15, 15):
        img = _image(_turned(strokes, degrees))
        reading = rec.read_image(img)
        assert reading.expression == want, degrees
        ink = np.argwhere(img < 0.5)
        for sym in reading.symbols:  # boxes on the image as given: inside it, each over ink
            x, y, w, h = sym.box
            assert -2 <= x and x + w <= img.shape[1] + 2 and -2 <= y and y + h <= img.shape[0] + 2
            assert ((ink[:, 1] >= x) & (ink[:, 1] <= x + w) & (ink[:, 0] >= y) & (ink[:, 0] <= y + h)).any()
