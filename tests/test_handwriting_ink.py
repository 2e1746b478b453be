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


def test_a_stroke_is_drawn_where_the_pen_went_and_nowhere_else():
    """``rasterise`` works only near each stroke; the picture is the plain per-pixel
    distance to the pen's path, anti-aliased by a pixel, over the whole image."""
    from calcapp.ink.imagenorm import rasterise

    rng = np.random.default_rng(4)
    strokes = [Stroke([Point(float(x), float(y)) for x, y in rng.uniform(20, 60, (6, 2))]),
               Stroke([Point(150.0, 150.0)])]  # a dot far from the first
    img = rasterise(strokes, 1.0, (0.0, 0.0), (200, 200), 2.0)
    yy, xx = np.mgrid[0:200, 0:200] + 0.5
    want = np.zeros((200, 200))
    for s in strokes:
        a = s.xy()
        a = np.vstack([a, a]) if len(a) == 1 else a
        for (x0, y0), (x1, y1) in zip(a[:-1], a[1:]):
            d = np.array([x1 - x0, y1 - y0])
            t = np.clip(((xx - x0) * d[0] + (yy - y0) * d[1]) / max(d @ d, 1e-9), 0, 1)
            dist = np.hypot(xx - x0 - t * d[0], yy - y0 - t * d[1])
            want = np.maximum(want, np.clip(2.0 + 0.5 - dist, 0, 1))  # the radius at full pressure
    assert np.abs(img - want).max() < 1e-4
    assert img[140:160, 140:160].max() == 1.0 and img[100:130, :].max() == 0.0
