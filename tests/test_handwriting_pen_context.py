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

    def stroke_views(self, strokes, line_h):
        return np.zeros((28, 28), np.float32), None


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


def _read(pieces, rec=None) -> str:
    """pieces: [(strokes, network readings)], left to right, 20 apart."""
    segs, tops, k = [], [], 0
    for strokes, top in pieces:
        segs.append(_piece(strokes, k))
        tops.append(top)
        k += len(strokes)
    return "".join(read_line(rec or NoNetwork(), segs, tops)[2])


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



class ReadsMergesAs(NoNetwork):
    """Reads every merge or split the decoder asks for as ``top`` (the pieces' own readings
    are given with the line)."""

    def __init__(self, top):
        self.top = top

    def _classify_cached(self, images, pens=None):
        return [list(self.top) for _ in images]


def _read_with(rec, pieces) -> str:
    segs, tops, k = [], [], 0
    for strokes, top in pieces:
        segs.append(_piece(strokes, k))
        tops.append(top)
        k += len(strokes)
    return "".join(read_line(rec, segs, tops)[2])


def test_a_two_stroke_four_whose_bar_stops_at_its_stem_is_a_four_not_a_bracket_and_a_one():
    # both strokes over 0.6 of the line tall; the bar ends 6 short of the stem, so the two are
    # grouped apart (no horizontal overlap), and '7(1' is no line: the pair must be read as one
    bar = [_stroke([(130, 0), (115, 30), (100, 65), (120, 65), (140, 65)])]
    stem = [_stroke([(146, 0), (146, 50), (146, 100)])]
    line = [(_digit(0), [("7", 0.99)]), (bar, [("(", 0.99)]), (stem, [("1", 0.99)])]
    assert _read_with(ReadsMergesAs([("4", 0.99)]), line) == "74"


def test_two_full_height_ones_written_close_stay_two_digits_beside_a_four_that_is_merged():
    # the ones touch, and the network reads either pair as a sure '4': only the pair that
    # cannot be two symbols in the line ('(1') is merged; two ones that read surely stay two
    bar = [_stroke([(30, 0), (15, 30), (0, 65), (20, 65), (40, 65)])]
    stem = [_stroke([(46, 0), (46, 50), (46, 100)])]
    first = [_stroke([(100, 0), (101, 50), (102, 100)])]
    second = [_stroke([(106, 0), (107, 50), (108, 100)])]
    line = [(bar, [("(", 0.99)]), (stem, [("1", 0.99)]), (first, [("1", 0.9), ("(", 0.1)]),
            (second, [("1", 0.9), ("(", 0.1)]), (_digit(140), [("3", 0.99)])]
    assert _read_with(ReadsMergesAs([("4", 0.99)]), line) == "4113"


def test_two_full_height_strokes_may_be_one_symbol_only_where_their_ink_meets():
    from calcapp.handwriting.line_decoder import _mergeable

    bar = _piece([_stroke([(30, 0), (0, 65), (40, 65)])], 0)
    stem = _piece([_stroke([(46, 0), (46, 100)])], 1)  # 6 right of the bar's end
    assert _mergeable([bar, stem], DIGIT)
    slash = _piece([_stroke([(0, 100), (40, 0)])], 0)
    low = _piece([_stroke([(52, 30), (52, 100)])], 1)  # 12 right of its box, 32 from its ink
    assert not _mergeable([slash, low], DIGIT)
    short = _piece([_stroke([(0, 60), (40, 20)])], 0)  # one full-height piece: as before
    assert _mergeable([short, low], DIGIT)


def test_a_line_nothing_likely_parses_is_read_again_from_its_unlikely_readings():
    # a pendigits '1' slanted to a sure '/' opening a line: '/23' parses nowhere, the raw
    # readings were shown; its '1' (3e-4) makes the line
    slash = [(_digit(0), [("/", 0.9995), ("1", 3e-4)]), (_digit(100), [("2", 0.99)]), (_digit(200), [("3", 0.99)])]
    assert _read(slash) == "123"


def test_pieces_whose_own_best_readings_make_a_line_keep_them(monkeypatch):
    # no hypothesis above MIN_P, but the pieces' best readings '213' are a line: kept as they
    # were (an image line the rescue read '1+113-7=' read right this way), not read again
    from calcapp.handwriting import line_decoder

    calls = []
    real = line_decoder.decode
    def spy(*a, **k):
        calls.append(k.get("min_p", a[5] if len(a) > 5 else line_decoder.MIN_P))
        return real(*a, **k)

    monkeypatch.setattr(line_decoder, "decode", spy)
    line = [(_digit(0), [("2", 0.99)]), (_digit(100), [("1", 0.0015), ("+", 0.001)]), (_digit(200), [("3", 0.99)])]
    assert _read(line) == "213"
    assert calls and all(p == line_decoder.MIN_P for p in calls)


class MergesReadOne(NoNetwork):
    """Reads every merge the decoder asks for as a sure '1' (a '1' with its blip is a '1')."""

    def _classify_cached(self, images, pens=None):
        return [[("1", 0.99)] for _ in images]


def test_a_pen_down_blip_touching_a_one_is_part_of_it_not_a_multiplication_dot():
    stem = [_stroke([(120, 2), (121, 50), (122, 100)])]
    blip = [_stroke([(114, 4), (117, 2), (119, 3)])]  # a tiny stroke whose end touches the stem's top
    line = [(_digit(0), [("4", 0.99)]), (blip, [("\u00b7", 0.95), ("1", 0.01)]), (stem, [("1", 0.99)])]
    assert _read(line, MergesReadOne()) == "41"
    dot = [_stroke([(84, 4), (87, 2), (89, 3)])]  # the same mark 30 left of the stem: a dot
    assert _read([line[0], (dot, line[1][1]), line[2]], MergesReadOne()) != "41"


def _plus(x) -> list[Stroke]:
    return [_stroke([(x, 50), (x + 60, 50)]), _stroke([(x + 30, 20), (x + 30, 80)])]


def _ending(mark, top) -> str:
    """'3+4' and a last mark with the network's readings ``top``."""
    return _read([(_digit(0), [("3", 0.99)]), (_plus(80), [("+", 0.99)]), (_digit(160), [("4", 0.99)]), (mark, top)])


def test_an_unsure_blotted_equals_sign_at_the_end_completes_the_line():
    blot = [_stroke([(240, 43), (262, 44)]), _stroke([(240, 56), (262, 57)])]  # two short bars, blotted
    assert _ending(blot, [("\u00b7", 0.4), ("-", 0.3), ("=", 0.001)]) == "3+4="


def test_a_sure_or_one_stroke_mark_at_the_end_stays_a_line_being_written():
    assert _ending(_plus(240), [("+", 0.99), ("=", 0.001)]) == "3+4+"
    dash = [_stroke([(240, 50), (270, 50)])]
    assert _ending(dash, [("-", 0.3), ("=", 0.001)]) == "3+4-"


def test_the_strokes_near_a_symbol_and_their_distance_are_found_as_by_the_plain_loops():
    from calcapp.handwriting.pen_shape import LineInk, _point_to_path, _path, ink_distance

    rng = np.random.default_rng(4)
    strokes = [_stroke(rng.uniform(0, 300, 2) + rng.normal(0, 15, (int(rng.integers(1, 9)), 2))) for _ in range(60)]
    ink = LineInk(strokes)
    for box, gap in [((100, 20, 30, 60), 5.0), ((0, 0, 300, 300), 0.0), ((400, 400, 1, 1), 2.0)]:
        mine = {id(strokes[0])}
        plain = [s for s in strokes if id(s) not in mine and (
            s.bbox()[0] - gap <= box[0] + box[2] and box[0] - gap <= s.bbox()[0] + s.bbox()[2]
            and s.bbox()[1] - gap <= box[1] + box[3] and box[1] - gap <= s.bbox()[1] + s.bbox()[3])]
        assert ink.near(box, gap, mine) == plain
    left, right = strokes[:5], strokes[5:]
    full = min(min(_point_to_path(_path(a), _path(b)), _point_to_path(_path(b), _path(a))) for a in left for b in right)
    assert ink_distance(left, right) == full
    for enough in (0.5 * full, full, 2 * full + 1):  # stops early only once some pair is that near
        assert (ink_distance(left, right, enough) <= enough) == (full <= enough)
