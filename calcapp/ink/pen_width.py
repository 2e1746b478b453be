"""Ink of a thick pen (a marker, a felt tip) thinned toward the pen the readers learnt from.

The networks and the cut rules of ``image_units`` learnt ink about a ninth of a line height
wide. A marker's strokes are twice that: the bars of an operator run into the digits beside
it, a minus grows as tall as a dot is wide, and the layout model weighs every symbol by a box
swollen by the pen. Where the strokes are clearly that thick, the ink can be eroded (a minimum
over an octagon, near a round pen's tip) back toward the usual width. Photographed digits are
often as thick and read best as they are, so the recognizer reads such a line both ways and
keeps the surer reading (``Recognizer.read_prepared``).
"""

from __future__ import annotations

import numpy as np

USUAL = 0.12  # the usual stroke width, as a part of the line height (median of rendered lines)
THICK = 0.19  # ink whose strokes are at least this wide (x line height) is thinned...
KEEP = 0.3  # ...never by more than this part of the stroke width on each side...
MAX_THIN = 32  # ...nor by more pixels than this: each pixel of erosion is a pass over the image


def thinning(stroke: float, height: float) -> int:
    """How many pixels to erode ink ``stroke`` pixels wide in a line ``height`` pixels tall
    toward ``USUAL`` line heights; 0 where its strokes are not thick."""
    if height <= 0 or stroke < THICK * height:
        return 0
    return max(0, min(MAX_THIN, int(round(min((stroke - USUAL * height) / 2, KEEP * stroke)))))


def thinned(ink: np.ndarray, r: int) -> np.ndarray:
    """``ink`` (bright on dark, in [0, 1]) eroded by ``r`` pixels on every side."""
    out = ink
    for k in range(r):  # a cross and a square step in turn: an octagon
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
