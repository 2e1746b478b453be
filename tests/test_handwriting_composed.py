"""Issue 21, lines of real digits composed with operators: a small '+' (two strokes) between
pendigits digits was read as a multiplication dot, so '9+61' became '9×61'."""

from __future__ import annotations

from calcapp.handwriting.line_decoder import symbol_options
from calcapp.ink.segment import Segment


def _options(ids):
    seg = Segment(ids, (100.0, 40.0, 22.0, 22.0), rel_size=0.22)  # 0.22 of a 100-high line
    top = [("+", 0.9), ("\u00f7", 0.05), ("4", 0.01)]
    return [lab for lab, _ in symbol_options(seg, top, 100.0, (0.0, 100.0))]


def test_a_small_two_stroke_plus_stays_a_plus():
    assert _options([3, 4])[0] == "+"


def test_a_small_one_stroke_mark_mid_line_is_still_a_dot():
    assert _options([3])[0] == "\u00b7"
