"""Ink of any shape made safe to read: finite, and bounded in strokes and points.

The canvas, files and the API can hand over anything: a million points from a stuck pen,
NaN or infinite coordinates from a broken driver, thousands of strokes. Reading must stay
within milliseconds and never crash, so ink passes through ``clean_strokes`` first: points
that are not finite are dropped, a stroke with too many points keeps an even subsample
(its ends kept), ink far from the origin or wider than any page is moved (and shrunk) into
range, since the square of a coordinate past 1e154 overflows, and ink beyond one reading's
caps is refused with a clear message.
"""

from __future__ import annotations

import math

from calcapp.ink.strokes import Point, Stroke, check_ink_size

MAX_POINTS = 2000  # per stroke, after thinning; far more than a symbol needs
MAX_COORD = 1e9  # a tablet counts some 1e5 units across; past this, ink is moved into range


def clean_strokes(strokes) -> list[Stroke]:
    """Finite, bounded strokes (empty ones dropped); ink past one reading's caps
    (``strokes.check_ink_size``) raises InkFormatError."""
    strokes = list(strokes or [])
    check_ink_size(len(strokes), sum(len(s.points) for s in strokes))
    out = []
    for s in strokes:
        if 0 < len(s.points) <= MAX_POINTS and math.isfinite(sum(p.x + p.y for p in s.points)):
            out.append(s)  # the common case, checked in one pass (a sum of finite terms is finite or overflows to inf)
            continue
        pts = [p for p in s.points if math.isfinite(p.x) and math.isfinite(p.y)]
        if len(pts) > MAX_POINTS:
            step = (len(pts) - 1) / (MAX_POINTS - 1)
            pts = [pts[round(i * step)] for i in range(MAX_POINTS)]
        if pts:
            out.append(Stroke(pts) if len(pts) != len(s.points) else s)
    return _in_range(out)


def _in_range(strokes: list[Stroke]) -> list[Stroke]:
    """The strokes, moved so their box starts at 0 and shrunk to ``MAX_COORD`` across, when
    some coordinate lies past ``MAX_COORD`` (finite ones only: ``clean_strokes`` dropped the
    rest). Worked in quarters, so that even +-1.7e308 has a finite extent."""
    if not strokes:
        return strokes
    boxes = [s.bbox() for s in strokes]  # remembered per stroke: the common case costs nothing
    if max(max(abs(b[0]), abs(b[1]), abs(b[0] + b[2]), abs(b[1] + b[3])) for b in boxes) <= MAX_COORD:
        return strokes
    lo = [min(float(s.xy()[:, i].min()) for s in strokes) for i in (0, 1)]
    hi = [max(float(s.xy()[:, i].max()) for s in strokes) for i in (0, 1)]
    quarter = max(hi[0] / 4 - lo[0] / 4, hi[1] / 4 - lo[1] / 4)
    k = min(4.0, MAX_COORD / quarter) if quarter > 0 else 4.0
    return [Stroke([Point((p.x / 4 - lo[0] / 4) * k, (p.y / 4 - lo[1] / 4) * k, p.t, p.pressure) for p in s.points])
            for s in strokes]
