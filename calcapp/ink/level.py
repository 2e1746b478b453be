"""A line written uphill or downhill, or photographed askew, read as if it were level.

The line decoder weighs each reading by where it sits between the digits' top and baseline
(a minus at mid-height, a decimal point on the baseline), measured across the whole line. On
a line that climbs a few degrees, the symbols at its ends sit well off that frame (the
misreads it cost are in benchmarks/results/handwriting.md, "Seventeenth session"). So the slope of the line's full-height symbols is measured and, where it is clear, pen strokes
are moved up or down to a level line, each keeping its shape, and an image is turned. The
symbols keep their strokes and order (``Recognizer.assemble`` reports boxes on the ink as it
was drawn).
"""

from __future__ import annotations

import math

import numpy as np

from calcapp.ink.segment import drawing_height, line_height, segment_strokes
from calcapp.ink.strokes import Point, Stroke

TALL = 0.5  # symbols this part of the line height and taller set the slope (digits, brackets)
MIN_SYMBOLS = 3  # ...at least this many of them
DRIFT = 0.5  # turned only where the slope moves the line this many line heights end to end...
MAX_DEGREES = 20.0  # ...and by at most this angle (steeper is not one line of writing)


def line_slope(boxes) -> float:
    """dy/dx of the line through these symbol boxes (x, y, w, h): the median slope between
    pairs of full-height symbols (one odd symbol does not tilt it), or 0 where the line is
    level within ``DRIFT`` or holds too few of them."""
    if len(boxes) < MIN_SYMBOLS:
        return 0.0
    h = line_height(boxes)
    c = np.array([(x + w / 2, y + hh / 2) for x, y, w, hh in boxes if hh >= TALL * h])
    if len(c) < MIN_SYMBOLS:
        return 0.0
    i, j = np.triu_indices(len(c), 1)
    dx, dy = c[j, 0] - c[i, 0], c[j, 1] - c[i, 1]
    apart = np.abs(dx) > 0.3 * h  # symbols stacked in one column say nothing of the slope
    if apart.sum() < 2:
        return 0.0
    slope = float(np.median(dy[apart] / dx[apart]))
    if abs(slope) * float(np.ptp(c[:, 0])) < DRIFT * h or abs(math.degrees(math.atan(slope))) > MAX_DEGREES:
        return 0.0
    return slope


def level_strokes(strokes: list[Stroke], slope: float | None = None) -> list[Stroke]:
    """The strokes moved so that their line (of ``slope``, else measured) runs level; the
    same list where it already does. Each stroke moves up or down by the slope at its middle
    and keeps its shape: a hand that writes uphill keeps its symbols upright, and a '1'
    turned with the line would lean into a '/' (a photo taken askew turns its symbols too:
    ``turn_image``)."""
    if slope is None:
        slope = line_slope([s.box for s in segment_strokes(strokes)]) if len(strokes) >= MIN_SYMBOLS else 0.0
    if slope == 0.0:
        return strokes
    a = np.concatenate([s.xy() for s in strokes])
    cx = float(a[:, 0].min() + a[:, 0].max()) / 2
    out = []
    for st in strokes:
        xy = st.xy()
        dy = -slope * ((float(xy[:, 0].min() + xy[:, 0].max()) / 2 if len(xy) else cx) - cx)
        out.append(Stroke([Point(p.x, p.y + dy, p.t) for p in st.points]))
    return out


def levelled_line(strokes: list[Stroke]) -> tuple[list[Stroke], list, float, float]:
    """(the strokes as a line is read: moved level where it slopes, their segments, the slope,
    the height its symbols are drawn at (``segment.drawing_height``; 0 without ink)). The reader
    and the personal memory both take a line from here, so a correction is remembered as the
    picture the next reading compares with."""
    segs = segment_strokes(strokes)
    slope = line_slope([s.box for s in segs])
    if slope:
        strokes = level_strokes(strokes, slope)
        segs = segment_strokes(strokes)
    h = drawing_height(line_height([s.box for s in segs])) if segs else 0.0
    return strokes, segs, slope, h


def turn_image(ink: np.ndarray, slope: float):
    """(the ink image turned so that a line of this slope runs level, a function taking a box
    (x, y, w, h) in the turned image to the box it covers in ``ink``). Bilinear; the turned
    image is as large as needed to hold all of ``ink``; rows are sampled a block at a time."""
    turn = -math.atan(slope)
    c, s = math.cos(turn), math.sin(turn)
    h, w = ink.shape
    big_h = int(math.ceil(abs(w * s) + abs(h * c)))
    big_w = int(math.ceil(abs(w * c) + abs(h * s)))
    cy, cx, big_cy, big_cx = (h - 1) / 2, (w - 1) / 2, (big_h - 1) / 2, (big_w - 1) / 2

    def source(x, y):  # where a pixel of the turned image comes from in ``ink``
        return c * (x - big_cx) + s * (y - big_cy) + cx, -s * (x - big_cx) + c * (y - big_cy) + cy

    out = np.zeros((big_h, big_w), dtype=np.float32)
    xs = np.arange(big_w, dtype=np.float32)
    for top in range(0, big_h, 256):
        ys = np.arange(top, min(big_h, top + 256), dtype=np.float32)
        out[top:top + len(ys)] = _bilinear(ink, *source(xs[None, :], ys[:, None]))

    def back(box):
        x, y, bw, bh = box
        sx, sy = source(np.array([x, x + bw, x, x + bw]), np.array([y, y, y + bh, y + bh]))
        sx, sy = np.clip(sx, 0, w), np.clip(sy, 0, h)  # the turned box's corners may lie off the image
        return (float(sx.min()), float(sy.min()), float(np.ptp(sx)), float(np.ptp(sy)))

    return out, back


def _bilinear(img: np.ndarray, sx: np.ndarray, sy: np.ndarray) -> np.ndarray:
    """``img`` sampled at (sx, sy); 0 outside it."""
    h, w = img.shape
    x0, y0 = np.floor(sx).astype(np.int64), np.floor(sy).astype(np.int64)
    fx, fy = (sx - x0).astype(np.float32), (sy - y0).astype(np.float32)
    inside = (x0 >= 0) & (y0 >= 0) & (x0 < w - 1) & (y0 < h - 1)
    x0, y0 = np.clip(x0, 0, max(w - 2, 0)), np.clip(y0, 0, max(h - 2, 0))
    x1, y1 = np.minimum(x0 + 1, w - 1), np.minimum(y0 + 1, h - 1)
    v = (img[y0, x0] * (1 - fx) * (1 - fy) + img[y0, x1] * fx * (1 - fy)
         + img[y1, x0] * (1 - fx) * fy + img[y1, x1] * fx * fy)
    return np.where(inside, v, 0.0).astype(np.float32)
