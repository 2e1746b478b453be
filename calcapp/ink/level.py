"""A line written uphill or downhill, turned level before it is read.

The line decoder weighs each reading by where it sits between the digits' top and baseline
(a minus at mid-height, a decimal point on the baseline), measured across the whole line. On
a line that climbs 6 degrees, the symbols at its ends sit a third of a line height off that
frame, and 7 in 150 of the training writers' lines were misread that way (10 degrees: 26).
So the slope of the line's full-height symbols is measured and, where it is clear, the ink is
turned about the line's middle. The symbols keep their strokes and order; only their frame
turns (``Recognizer.assemble`` reports boxes on the ink as it was drawn).
"""

from __future__ import annotations

import math

import numpy as np

from calcapp.ink.segment import line_height, segment_strokes
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


def level_strokes(strokes: list[Stroke]) -> list[Stroke]:
    """The strokes turned so that their line runs level; the same list where it already does."""
    if len(strokes) < MIN_SYMBOLS:
        return strokes
    slope = line_slope([s.box for s in segment_strokes(strokes)])
    if slope == 0.0:
        return strokes
    a = np.concatenate([s.xy() for s in strokes])
    cx, cy = (a.min(axis=0) + a.max(axis=0)) / 2
    turn = -math.atan(slope)
    c, s = math.cos(turn), math.sin(turn)
    return [Stroke([Point(cx + (p.x - cx) * c - (p.y - cy) * s, cy + (p.x - cx) * s + (p.y - cy) * c, p.t)
                    for p in st.points]) for st in strokes]
