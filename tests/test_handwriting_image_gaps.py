"""Image lines whose symbols stand a narrow gap apart, or lie over each other's span without
touching: the components stay units of their own for the line decoder (``ink/image_units.py``:
``bridge_sets``, ``apart_parts``), so two digits are not read as one '8' or '0', nor a digit
and its decimal point as the digit."""

from __future__ import annotations

import numpy as np
import pytest

from calcapp.ink.image_units import APART, BRIDGE, JOIN, POINT_JOIN, break_cost, image_units, join_cost
from calcapp.ink.strokes import Point, Stroke
from calcapp.ink.synth import synth_line
from tests.test_handwriting_image_lines import _components, _image


@pytest.fixture(scope="module")
def rec():
    from calcapp.handwriting.recognizer import load_recognizer

    return load_recognizer()


def _gapped(text: str, k: int, seed: int, gap: float = 13.5) -> list[Stroke]:
    """A synthetic line whose symbols from the ``k``-th on are slid left until the pen paths of
    symbols k-1 and k are ``gap`` units apart (line height 100): at the benchmark's 40 px a line
    and its pen width, their inks are 1-2 pixels apart, a gap ``image_units`` bridges."""
    strokes, truth = synth_line(text, np.random.default_rng(seed))
    a, b = truth[k - 1][2], truth[k][2]
    shift = b[0] - (a[0] + a[2]) - gap
    later = {i for t in truth[k:] for i in t[1]}
    return [Stroke([Point(p.x - shift, p.y) for p in s.points]) if i in later else s
            for i, s in enumerate(strokes)]


@pytest.mark.parametrize("text, k, seeds", [
    ("13", 1, (0, 1, 2, 4)),  # two digits a narrow gap apart: read '0', '6' or '8' before
    ("-1", 1, (3, 5, 7)),  # a minus just short of the '1': read '1' before
])
def test_symbols_a_narrow_gap_apart_are_read_apart(rec, text, k, seeds):
    for seed in seeds:
        img = _image(_gapped(text, k, seed))
        assert _components(img) == len(text)  # the inks do not touch...
        segs = image_units(img)
        assert len(segs) == 1  # ...but the gap is bridged into one unit
        assert len(set(segs[0].extra["comp"])) == 2  # whose components stay apart
        assert rec.read_image(img).expression == text, seed


def _unit(mask: np.ndarray):
    img = 1.0 - mask.astype(np.float32)
    segs = image_units(img)
    assert len(segs) == 1
    seg = segs[0]
    parts = seg.extra["comp"]
    left = [p for p, c in enumerate(parts) if c == parts[0]]
    right = [p for p, c in enumerate(parts) if c != parts[0]]
    return seg, left, right


def test_two_full_height_inks_part_freely_and_pay_to_be_one():
    a = np.zeros((60, 80), dtype=bool)
    a[5:55, 20:24] = True  # an upright stroke...
    a[5:55, 26:30] = True  # ...and another, 2 px off it
    seg, left, right = _unit(a)
    assert break_cost(seg, left, right, -3.0) == APART
    assert join_cost(seg, left, right) == JOIN < 0


def test_a_flat_piece_beside_a_digit_parts_at_the_bridge_cost_and_joins_free():
    a = np.zeros((60, 90), dtype=bool)
    a[28:32, 4:30] = True  # a minus...
    a[5:55, 32:36] = True  # ...2 px short of a '1'
    seg, left, right = _unit(a)
    assert break_cost(seg, left, right, -3.0) == BRIDGE
    assert join_cost(seg, left, right) == 0.0
    b = np.zeros((60, 90), dtype=bool)
    b[20:24, 10:50] = True  # the two bars of an '=' overlap: they part at the caller's cost
    b[34:38, 12:52] = True
    b[5:55, 70:74] = True  # (a '1' after it sets the line's height)
    segs = image_units(1.0 - b.astype(np.float32))
    eq = segs[0]
    assert break_cost(eq, [0], [1], -3.0) == -3.0 and join_cost(eq, [0], [1]) == 0.0


def test_a_symbol_broken_by_a_faint_row_is_still_read_whole(rec):
    strokes, _ = synth_line("0", np.random.default_rng(1))
    img = _image(strokes)
    ys = np.nonzero((1.0 - img) > 0.2)[0]
    img[int(ys.min() + 0.3 * (ys.max() - ys.min())), :] = 1.0  # one blank row across its sides
    assert _components(img) == 2
    assert rec.read_image(img).expression == "0"


def _tucked_point(slant: float, dot_x: float) -> list[Stroke]:
    """'1.0' with the '1' slanted ``slant`` units (line height 100) and its decimal point
    tucked under the top of it, at ``dot_x``: inside the '1's span, its ink apart (a training
    writer's '-1.0' read '-10')."""
    one = Stroke([Point(slant * (1 - t), 100 * t) for t in np.linspace(0, 1, 20)])
    dot = Stroke([Point(dot_x + 2 * np.cos(a), 97 + 2 * np.sin(a)) for a in np.linspace(0, 6.3, 8)])
    zero = Stroke([Point(slant + 90 + 30 * np.cos(a), 50 + 50 * np.sin(a)) for a in np.linspace(0, 6.3, 40)])
    return [one, dot, zero]


@pytest.mark.parametrize("slant", [20, 30, 40])
def test_a_decimal_point_under_a_slanted_one_is_read_apart(rec, slant):
    img = _image(_tucked_point(slant, 22))
    assert _components(img) == 3
    segs = image_units(img)
    assert len(segs) == 2 and len(segs[0].ids) == 2  # the point is grouped with the '1' by overlap
    assert rec.read_image(img).expression == "1.0"


def test_a_point_parts_freely_from_its_digit_but_a_thin_or_faint_speck_or_a_lone_marks_does_not():
    a = np.zeros((60, 90), dtype=bool)
    a[5:55, 20:25] = True  # a '1'...
    a[47:53, 26:32] = True  # ...and a point beside its foot, 1 px off
    a[5:55, 60:65] = True  # (another '1' sets the line's pen width and height)
    segs = image_units(1.0 - a.astype(np.float32))
    one = segs[0]
    assert break_cost(one, [0], [1], -3.0) == APART
    assert join_cost(one, [0], [1]) == POINT_JOIN < 0  # read as one symbol: the digit pays
    b = a.copy()
    b[47:53, 26:32] = False
    b[51:54, 26:29] = True  # a speck of 3 px where the pen is 5: a stroke broken in the scan
    speck = image_units(1.0 - b.astype(np.float32))[0]
    assert len(speck.ids) == 2 and break_cost(speck, [0], [1], -3.0) != APART
    assert join_cost(speck, [0], [1]) == 0.0
    faint = 1.0 - a.astype(np.float32)  # the point drawn faint (a piece of a faint stroke): part of its digit
    faint[47:53, 26:32] = 0.4
    fa = image_units(faint)[0]
    assert len(fa.ids) == 2 and break_cost(fa, [0], [1], -3.0) != APART and join_cost(fa, [0], [1]) == 0.0
    lone = a.copy()
    lone[5:55, 60:65] = False  # one mark and its speck: a lone digit's specks are its own
    alone = image_units(1.0 - lone.astype(np.float32))[0]
    assert len(alone.ids) == 2 and join_cost(alone, [0], [1]) == 0.0
    assert break_cost(alone, [0], [1], -3.0) != APART
