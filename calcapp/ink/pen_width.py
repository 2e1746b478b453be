"""Ink of a thick pen (a marker, a felt tip) thinned toward the pen the readers learnt from.

The networks and the cut rules of ``image_units`` learnt ink about a ninth of a line height
wide. A marker's strokes are twice that: the bars of an operator run into the digits beside
it, a minus grows as tall as a dot is wide, and the layout model weighs every symbol by a box
swollen by the pen. Where the strokes are clearly that thick, the ink is eroded (a minimum
over a square) back toward the usual width; any other ink passes unchanged.
"""

from __future__ import annotations

import numpy as np

USUAL = 0.12  # the usual stroke width, as a part of the line height (median of rendered lines)
THICK = 0.19  # ink whose strokes are at least this wide (x line height) is thinned...
KEEP = 0.3  # ...never by more than this part of the stroke width on each side


def thinned(ink: np.ndarray, stroke: float, height: float) -> np.ndarray | None:
    """``ink`` (bright on dark, in [0, 1]) eroded toward ``USUAL`` line heights wide, or
    ``None`` where its strokes (``stroke`` pixels wide, a line ``height`` pixels) are not thick."""
    if height <= 0 or stroke < THICK * height:
        return None
    r = int(round(min((stroke - USUAL * height) / 2, KEEP * stroke)))
    if r < 1:
        return None
    out = ink
    for k in range(r):  # a square and a cross step in turn: an octagon, near a round pen's tip
        out = _min_square(_min_square(out, 1, 0), 1, 1) if k % 2 else _min_cross(out)
    return out


def _min_square(a: np.ndarray, r: int, axis: int) -> np.ndarray:
    """The minimum of ``a`` over 2r+1 cells along ``axis`` (edges count as no ink)."""
    pad = [(0, 0), (0, 0)]
    pad[axis] = (r, r)
    p = np.pad(a, pad, constant_values=0.0)
    n = a.shape[axis]
    out = a.copy()
    for k in range(2 * r + 1):
        out = np.minimum(out, np.take(p, np.arange(k, k + n), axis=axis))
    return out


def _min_cross(a: np.ndarray) -> np.ndarray:
    """The minimum of each cell and its four neighbours (edges count as no ink)."""
    p = np.pad(a, 1, constant_values=0.0)
    h, w = a.shape
    return np.minimum.reduce([a, p[:h, 1:w + 1], p[2:, 1:w + 1], p[1:h + 1, :w], p[1:h + 1, 2:]])
