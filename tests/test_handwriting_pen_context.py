"""Pen lines decided by context (calcapp/handwriting/pen_shape.py, line_decoder.symbol_options):
each synthetic line holds one piece the network reads wrongly alone, and the line reads it
right only because of the rule the test names. The network is faked: what it says is given."""

from __future__ import annotations

import numpy as np

from calcapp.handwriting.line_decoder import read_line
from calcapp.handwriting.pen_shape import bend, upright_options
from calcapp.ink.segment import Segment
from calcapp.ink.strokes import Point, Stroke

DIGIT = 100.0  # the digits' height; the line's top is y=0, its baseline y=100


class NoNetwork:
    """Reads nothing: every merge or split the decoder asks for is as good as unreadable."""

    pen = None

    def _classify_cached(self, images, pens=None):
        return [[("8", 1e-6)] for _ in images]


def _stroke(points) -> Stroke:
    return Stroke([Point(float(x), float(y)) for x, y in points])


def _piece(strokes, k) -> Segment:
    a = np.concatenate([s.xy() for s in strokes])
    (x0, y0), (x1, y1) = a.min(0), a.max(0)
    box = (float(x0), float(y0), float(x1 - x0), float(y1 - y0))
    seg = Segment(list(range(k, k + len(strokes))), box, rel_size=max(box[2], box[3]) / DIGIT)
    seg.extra.update(strokes=strokes, line_h=DIGIT)
    return seg


def _digit(x) -> list[Stroke]:
    """A digit-sized loop at x (its reading is given, its shape only sets the line's frame)."""
    t = np.linspace(0, 2 * np.pi, 24)
    return [_stroke(zip(x + 30 + 30 * np.cos(t), 50 + 50 * np.sin(t)))]


def _read(pieces) -> str:
    """pieces: [(strokes, network readings)], left to right, 20 apart."""
    segs, tops, k = [], [], 0
    for strokes, top in pieces:
        segs.append(_piece(strokes, k))
        tops.append(top)
        k += len(strokes)
    return "".join(read_line(NoNetwork(), segs, tops)[2])


def test_a_tiny_tick_on_the_baseline_between_digits_is_a_decimal_point():
    tick = [_stroke([(80, 92), (95, 97)])]  # 15 x 5: too flat for the old 'roundish' test
    line = [(_digit(0), [("3", 0.99)]), (tick, [("-", 0.999), (".", 0.001)]), (_digit(100), [("5", 0.99)])]
    assert _read(line) == "3.5"


def test_a_short_dash_at_mid_height_between_digits_is_a_minus_not_a_times():
    dash = [_stroke([(75, 48), (105, 54)])]  # 30 x 6 of a 100-high digit
    line = [(_digit(0), [("3", 0.99)]), (dash, [(".", 0.9), ("-", 0.1)]), (_digit(125), [("5", 0.99)])]
    assert _read(line) == "3-5"


def test_two_short_bars_stacked_are_an_equals_sign_not_a_dot():
    bars = [_stroke([(78, 40), (100, 40)]), _stroke([(78, 58), (100, 58)])]  # small: 22 x 18
    line = [(_digit(0), [("3", 0.99)]), (bars, [("=", 0.99), ("-", 0.01)]), (_digit(120), [("3", 0.99)])]
    assert _read(line) == "3=3"


def test_a_lone_upright_stroke_beside_digits_without_brackets_is_a_one():
    upright = [_stroke([(82, -15), (87, 50), (92, 115)])]  # as tall as a bracket, but straight
    line = [(_digit(0), [("2", 0.99)]), (upright, [("(", 0.99999), ("1", 0.00001)]), (_digit(110), [("3", 0.99)])]
    assert _read(line) == "213"


def test_a_bent_stroke_is_a_bracket_and_bends_the_bracket_s_way():
    t = np.linspace(-1, 1, 15)
    opening = _stroke(zip(20 - 20 * (1 - t ** 2), 50 + 50 * t))  # bulges left: '('
    closing = _stroke(zip(20 + 20 * (1 - t ** 2), 50 + 50 * t))
    straight = _stroke([(20, 0), (21, 100)])
    assert bend(opening) < -0.1 < 0.1 < bend(closing) and abs(bend(straight)) < 0.07
    assert upright_options([("1", 0.9)], [opening])[1][0] == "("
    assert upright_options([("1", 0.9)], [closing])[1][0] == ")"
    assert dict(upright_options([("(", 0.9)], [straight]))["1"] >= 0.25

