"""Pen gestures on point lists, with no Qt: the scratch-out that erases a symbol, and taps.

Kept apart from the canvas widget so the geometry can be tested on plain numbers.
A scratch-out is a quick zig-zag: the pen reverses its horizontal direction five times or more
with a sizeable swing each time, and travels much further than the stroke is wide. No
digit or operator is written like that (an "8" in one stroke reverses four times at most).
"""

from __future__ import annotations

Box = tuple[float, float, float, float]  # x, y, w, h


def bbox(points) -> Box:
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    return (min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))


def path_length(points) -> float:
    return sum(((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5
               for (x0, y0), (x1, y1) in zip(points, points[1:]))


def x_reversals(points, swing: float) -> int:
    """Times the pen turns back horizontally after moving at least ``swing``."""
    if len(points) < 3:
        return 0
    turns = 0
    direction = 0
    anchor = points[0][0]
    for x, _ in points[1:]:
        if direction >= 0 and x < anchor - swing:
            turns += direction > 0
            direction, anchor = -1, x
        elif direction <= 0 and x > anchor + swing:
            turns += direction < 0
            direction, anchor = 1, x
        elif (direction > 0 and x > anchor) or (direction < 0 and x < anchor):
            anchor = x
    return turns


def is_scratch(points, min_width: float = 12.0, min_turns: int = 5) -> bool:
    if len(points) < 8:
        return False
    x, y, w, h = bbox(points)
    if w < min_width:
        return False
    return (x_reversals(points, 0.35 * w) >= min_turns
            and path_length(points) >= 2.5 * w + h)


def is_tap(points, duration_s: float, max_move: float = 4.0, max_s: float = 0.35) -> bool:
    if not points:
        return False
    _, _, w, h = bbox(points)
    return w <= max_move and h <= max_move and duration_s <= max_s


def overlap_fraction(inner: Box, outer: Box, pad: float = 3.0) -> float:
    """How much of ``inner`` (padded, so thin strokes count) lies inside ``outer``."""
    ix, iy, iw, ih = inner[0] - pad, inner[1] - pad, inner[2] + 2 * pad, inner[3] + 2 * pad
    ox, oy, ow, oh = outer
    w = min(ix + iw, ox + ow) - max(ix, ox)
    h = min(iy + ih, oy + oh) - max(iy, oy)
    if w <= 0 or h <= 0:
        return 0.0
    return (w * h) / (iw * ih)


def contains(box: Box, x: float, y: float, pad: float = 4.0) -> bool:
    bx, by, bw, bh = box
    return bx - pad <= x <= bx + bw + pad and by - pad <= y <= by + bh + pad
