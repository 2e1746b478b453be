"""Ink model, InkML/JSON round trips and the one normalisation."""

from __future__ import annotations

import numpy as np
import pytest

from calcapp.ink.imagenorm import normalise, normalise_strokes
from calcapp.ink.strokes import InkFormatError, Point, Stroke, ink_from_json, ink_to_json
from calcapp.ink.inkml import load_inkml, parse_inkml, save_inkml
from calcapp.ink.synth import symbol_strokes


def _strokes():
    return [Stroke([Point(1.5, 2.0, 0.0, 0.5), Point(3.25, 4.0, 0.01, 0.75)]),
            Stroke([Point(10, 20, 0.5, 1.0)])]


def _same(a, b):
    assert len(a) == len(b)
    for sa, sb in zip(a, b):
        # flat lists: pytest >= 9.2 refuses approx() over nested tuples
        assert [v for p in sa.points for v in (p.x, p.y, p.t, p.pressure)] == pytest.approx(
            [v for p in sb.points for v in (p.x, p.y, p.t, p.pressure)])


def test_json_round_trip():
    s = _strokes()
    _same(ink_from_json(ink_to_json(s)), s)


def test_json_accepts_bare_lists_and_rejects_garbage():
    s = ink_from_json('[[[0, 0], [1, 2]], [{"x": 3, "y": 4}]]')
    assert len(s) == 2 and s[1].points[0].x == 3 and s[0].points[1].pressure == 1.0
    with pytest.raises(InkFormatError):
        ink_from_json("{not json")
    with pytest.raises(InkFormatError):
        ink_from_json('{"strokes": [[["a", 1]]]}')


def test_inkml_round_trip(tmp_path):
    s = _strokes()
    path = tmp_path / "a.inkml"
    save_inkml(path, s, truth="1+2")
    _same(load_inkml(path), s)
    assert parse_inkml(path.read_text())[1] == "1+2"


def test_inkml_reads_plain_crohme_style_traces():
    doc = """<ink xmlns="http://www.w3.org/2003/InkML">
      <trace id="0">10 20, 11 22, 12 24</trace>
      <traceGroup><trace id="1">5 5,6 6</trace></traceGroup></ink>"""
    strokes, truth = parse_inkml(doc)
    assert truth is None and [len(s.points) for s in strokes] == [3, 2]
    assert strokes[0].points[2].y == 24 and strokes[0].points[2].pressure == 1.0
    with pytest.raises(InkFormatError):
        parse_inkml("<html/>")
    with pytest.raises(InkFormatError):
        parse_inkml("<ink><trace>1 2, x y</trace></ink>")


def _blob_image(h=60, w=90, y=10, x=30, size=30):
    img = np.zeros((h, w), np.float32)
    img[y:y + size, x:x + size // 3] = 1.0  # a bar: tall and thin
    img[y:y + 4, x:x + size] = 1.0  # and a top stroke, so it is not symmetric
    return img


def test_normalisation_ignores_polarity_scale_and_position():
    a = normalise(_blob_image())
    b = normalise(1.0 - _blob_image())  # black ink on white
    big = np.zeros((250, 400), np.float32)
    big[100:280, 7:277] = np.kron(_blob_image(), np.ones((3, 3)))[:150, :270]  # 3x, elsewhere
    c = normalise(big)
    d = normalise((_blob_image() * 255).astype(np.uint8))  # 0-255 integers
    assert a.shape == (28, 28) and a.dtype == np.float32
    assert np.abs(a - b).max() < 1e-5
    assert np.abs(a - d).max() < 1e-5
    assert np.abs(a - c).mean() < 0.05
    ys, xs = np.nonzero(a > 0.25)
    assert max(ys.max() - ys.min(), xs.max() - xs.min()) + 1 in (19, 20, 21)
    total = a.sum()
    cy = (a.sum(1) * (np.arange(28) + 0.5)).sum() / total
    cx = (a.sum(0) * (np.arange(28) + 0.5)).sum() / total
    assert abs(cy - 14) < 1.0 and abs(cx - 14) < 1.0


def test_normalisation_keeps_aspect_and_mnist_passes_unchanged():
    rng = np.random.default_rng(1)
    minus = normalise_strokes(symbol_strokes("-", rng), 100.0)
    ys, xs = np.nonzero(minus > 0.25)
    assert (xs.max() - xs.min()) > 3 * (ys.max() - ys.min())
    blank = normalise(np.zeros((10, 10)))
    assert blank.shape == (28, 28) and blank.max() == 0
    mnist_like = normalise(normalise(_blob_image()))
    assert np.abs(mnist_like - normalise(_blob_image())).mean() < 0.02


def test_canvas_ink_at_any_scale_normalises_alike():
    rng = np.random.default_rng(2)
    s = symbol_strokes("7", rng)
    big = [Stroke([Point(p.x * 7 + 500, p.y * 7 - 30, p.t, p.pressure) for p in st.points]) for st in s]
    a, b = normalise_strokes(s, 100.0), normalise_strokes(big, 700.0)
    assert np.abs(a - b).mean() < 0.03


def test_a_strokes_points_are_worked_out_once_and_shared_read_only():
    s = Stroke([Point(0, 0), Point(3, 4), Point(1, 9)])
    a = s.xy()
    assert s.xy() is a and s.bbox() == (0.0, 0.0, 3.0, 9.0)
    with pytest.raises(ValueError):
        a[0, 0] = 5.0  # shared: a caller that writes into it would change every later reading
    s.points.append(Point(-2, 1))  # a list grown after the fact is seen
    assert len(s.xy()) == 4 and s.bbox() == (-2.0, 0.0, 5.0, 9.0)
    s.points = [Point(7, 7)]
    assert s.bbox() == (7.0, 7.0, 0.0, 0.0)
    assert Stroke().bbox() == (0.0, 0.0, 0.0, 0.0) and Stroke().xy().shape == (0, 2)
