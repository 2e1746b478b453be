"""Symbol sizes learned from real layouts, grouped strokes that come apart, and the
benchmark's choice of real lines (tiny hand-made fixtures; no data set needed)."""

from __future__ import annotations

import numpy as np

from calcapp.handwriting.layout import IMAGE_DIGIT_SPREAD, plausibility
from calcapp.handwriting.line_decoder import _chunks, read_line
from calcapp.ink.imagenorm import normalise_strokes
from calcapp.ink.segment import segment_strokes
from calcapp.ink.strokes import Point, Stroke

LINE, FRAME = 100.0, (0.0, 100.0)


def _stroke(*xy) -> Stroke:
    return Stroke([Point(float(x), float(y)) for x, y in xy])


def test_a_piece_of_the_wrong_size_or_place_is_an_unlikely_symbol():
    one = (0, 0, 12, 100)  # a '1' standing on the baseline
    tick = (0, -15, 12, 60)  # the loose top stroke of a two-stroke '7'
    assert plausibility("1", one, LINE, FRAME) > 0.9
    assert plausibility("1", tick, LINE, FRAME) < 0.1
    dash = (0, 50, 35, 3)  # a flat minus a third of the line wide
    assert plausibility("-", dash, LINE, FRAME) > 5 * plausibility(".", dash, LINE, FRAME)
    assert plausibility(".", (0, 95, 5, 5), LINE, FRAME) > 5 * plausibility("-", (0, 95, 5, 5), LINE, FRAME)
    assert plausibility("?", dash, LINE, FRAME) == 1.0  # a class without statistics: no opinion


def test_a_narrow_digit_stays_plausible_but_two_digits_read_as_one_do_not():
    """Scanned writers differ in how narrow they write; a '4' as narrow as a '1' (bhmsds has
    them) must not lose to '1' by its shape alone, while a piece twice a digit's width, two
    touching digits read as one, stays as unlikely as the real writers' spread makes it."""
    narrow = (0, 0, 20, 100)
    assert plausibility("4", narrow, LINE, FRAME, IMAGE_DIGIT_SPREAD) > 0.1
    assert plausibility("4", narrow, LINE, FRAME) < 0.05  # pen pieces: a '4' without its bar
    assert plausibility("8", (0, 0, 140, 100), LINE, FRAME, IMAGE_DIGIT_SPREAD) < 0.05
    assert plausibility("4", (0, 0, 60, 100), LINE, FRAME, IMAGE_DIGIT_SPREAD) == 1.0


def test_a_wide_digit_of_one_ink_is_as_plausible_as_any_wide_digit():
    """The training writers wrote '6' narrower than '5'; a '6' of one ink as wide as a wide
    '5' must not lose to '5' by its width, while separate inks read as one digit keep the
    class's own width (two digits side by side are wide)."""
    wide = (0, 0, 110, 100)  # wider than tall, as a wide scanned '6' is
    assert plausibility("6", wide, LINE, FRAME) < 0.2 * plausibility("5", wide, LINE, FRAME)
    assert plausibility("6", wide, LINE, FRAME, one_ink=True) == plausibility("5", wide, LINE, FRAME, one_ink=True) == 1
    assert plausibility("8", (0, 0, 200, 100), LINE, FRAME, one_ink=True) < 0.05  # still no pair
    assert plausibility("1", wide, LINE, FRAME, one_ink=True) == plausibility("1", wide, LINE, FRAME)


class FakeRecognizer:
    """Reads each known ink (by its normalised image) as the test says."""

    pen = None

    def __init__(self, readings):
        self.readings = readings

    def _classify_cached(self, images, pens=None):
        return [self.readings.get(im.tobytes(), [("8", 0.5), ("0", 0.5)]) for im in images]

    def stroke_views(self, strokes, line_h):
        return normalise_strokes(strokes, line_h), None


def _prepared(strokes):
    segs = segment_strokes(strokes)
    for s in segs:
        s.extra.update(strokes=[strokes[i] for i in s.ids], line_h=LINE)
    return segs


def _read(strokes, readings):
    """``readings``: {stroke indices: top readings} of every piece the decoder may look at."""
    segs = _prepared(strokes)
    known = {normalise_strokes([strokes[i] for i in k], LINE).tobytes(): v for k, v in readings.items()}
    rec = FakeRecognizer(known)
    tops = [known[normalise_strokes(s.extra["strokes"], LINE).tobytes()] for s in segs]
    return read_line(rec, segs, tops)[2]


def test_the_loose_stroke_of_a_seven_is_read_with_it_not_as_a_one():
    tick = _stroke((0, -15), (6, 10), (12, 40))
    seven = _stroke((18, -27), (79, -27), (40, 100))
    minus = _stroke((120, 50), (170, 50))
    four = _stroke((200, 0), (200, 100))
    labels = _read([tick, seven, minus, four], {
        (0,): [("1", 0.999), ("(", 0.001)], (1,): [("7", 0.999)],
        (0, 1): [("7", 0.99), ("1", 0.01)], (2,): [("-", 0.999)], (3,): [("1", 0.999)]})
    assert labels == ["7", "-", "1"]


def test_an_equals_sign_written_into_the_digit_before_it_comes_apart():
    three = _stroke((0, 0), (60, 20), (10, 50), (60, 80), (0, 100))
    bar1, bar2 = _stroke((40, 40), (100, 40)), _stroke((40, 60), (100, 60))
    segs = _prepared([three, bar1, bar2])
    assert len(segs) == 1 and len(_chunks(segs[0], LINE)) == 2  # grouped by overlap, separable
    labels = _read([three, bar1, bar2], {
        (0, 1, 2): [("3", 0.02), ("8", 0.02)], (0,): [("3", 0.99)],  # whole, it reads unsure
        (1, 2): [("=", 0.99)], (1,): [("-", 0.99)], (2,): [("-", 0.99)]})
    assert labels == ["3", "="]


def test_a_plus_never_comes_apart():
    plus = _prepared([_stroke((0, 50), (60, 50)), _stroke((30, 20), (30, 80))])
    assert len(plus) == 1 and len(_chunks(plus[0], LINE)) == 1


def test_the_benchmark_keeps_only_runs_written_on_the_line_itself():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from benchmarks.handwriting_real import top_level

    assert "2-4" not in top_level(r"\frac { - b + \sqrt { b ^ 2 - 4 a c } } { 2 a }")
    assert "1+13-7=" in top_level(r"$1 + 13 - 7 = x$")
    assert "-1=8" in top_level(r"${3^{2}} - 1 = 8$") and "32-1" not in top_level(r"${3^{2}} - 1 = 8$")
    assert "30×29" in top_level(r"3 0 \times 2 9 x^{2 8}")
    assert np.isfinite(len(top_level("^{")))  # unbalanced LaTeX ends, without an error


def test_a_minus_written_into_the_digit_beside_it_is_cut_off_an_image():
    from calcapp.ink.segment import segment_image

    img = np.zeros((60, 120), np.float32)
    img[28:32, 5:45] = 1.0  # a minus...
    img[10:50, 45:49] = 1.0  # ...touching a '1'
    img[10:50, 80:84] = 1.0  # and another '1' apart
    segs = segment_image(img)
    assert len(segs) == 3 and segs[0].box[2] < 45
    plus = np.zeros((60, 60), np.float32)
    plus[28:32, 10:50] = 1.0
    plus[10:50, 28:32] = 1.0  # a '+' whose arm looks like such a bar: its pieces stay one component's,
    pieces = segment_image(plus)  # which the recognizer also reads whole (settle_splits)
    assert len({s.extra.get("piece_of", -1) for s in pieces}) == 1


def test_the_shown_confidence_is_the_readings_share_not_the_layout_weighted_score():
    from calcapp.handwriting.line_decoder import _shown_confidence

    # a narrow but clear 2: every reading equally unusual, so the layout weight is no doubt
    assert _shown_confidence([("2", 0.029), ("7", 0.0003)], "2", 0.029) > 0.98
    assert abs(_shown_confidence([("1", 0.3), ("7", 0.3)], "7", 0.3) - 0.5) < 1e-9  # a real doubt stays
    assert _shown_confidence([], "5", 0.4) == 0.4  # no options: the decoder's own score
