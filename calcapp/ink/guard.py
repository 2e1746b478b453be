"""Ink of any shape made safe to read: finite, and bounded in strokes and points.

The canvas, files and the API can hand over anything: a million points from a stuck pen,
NaN or infinite coordinates from a broken driver, thousands of strokes. Reading must stay
within milliseconds and never crash, so ink passes through ``clean_strokes`` first: points
that are not finite are dropped, a stroke with too many points keeps an even subsample
(its ends kept), and ink beyond one reading's caps is refused with a clear message.
"""

from __future__ import annotations

import math

from calcapp.ink.strokes import Stroke, check_ink_size

MAX_POINTS = 2000  # per stroke, after thinning; far more than a symbol needs


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
    return out
