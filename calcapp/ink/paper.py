"""Paper lit unevenly (a shadow over a photographed page, a lamp to one side), divided out.

``imagenorm.ink_polarity`` takes the border's median as the paper's brightness. On a photo
whose paper runs from bright to shaded, the shaded paper is darker than that and is read as
ink: one mark as wide as the page. So the paper's own brightness is estimated locally, from
the brightest pixels around each point (paper shows between any two strokes), and divided out
as a flat-field does. Scans and renders have even paper and pass unchanged.
"""

from __future__ import annotations

import numpy as np

from calcapp.ink.resample import resize

BLOCKS = 10  # the light is estimated on blocks of this part of the image's shorter side...
MIN_BLOCK = 4  # ...and at least this many pixels
REACH = 2  # a stroke up to this many blocks less one wide is ink, not shade
UNEVEN = 0.1  # paper whose brightness varies by more than this part of the ink's contrast is flattened


def paper_light(grey: np.ndarray) -> np.ndarray | None:
    """The paper's brightness at each pixel of ``grey`` (dark ink on light paper, in [0, 1]),
    or ``None`` where the paper is evenly lit."""
    h, w = grey.shape
    if h < 2 * MIN_BLOCK or w < 2 * MIN_BLOCK:
        return None
    block = max(MIN_BLOCK, min(h, w) // BLOCKS)
    nh, nw = -(-h // block), -(-w // block)
    padded = np.pad(grey, ((0, nh * block - h), (0, nw * block - w)), mode="edge")
    light = padded.reshape(nh, block, nw, block).max(axis=(1, 3))
    light = _around(_around(light, np.maximum, REACH), np.minimum, REACH)  # blocks inside a stroke
    # take the paper of blocks up to REACH away, where the light keeps its level (a closing)
    light = _around(light, np.add, 1) / 9.0  # ... and the light changes smoothly
    if not np.isfinite(light).all():
        return None
    ink = float(np.quantile(grey, 0.001))
    contrast = float(light.max()) - ink
    if contrast <= 1e-3 or float(light.max() - light.min()) <= UNEVEN * contrast:
        return None
    return np.maximum(resize(light.astype(np.float32), nh * block, nw * block)[:h, :w], 1e-3)


def flatten(grey: np.ndarray) -> np.ndarray:
    """``grey`` with unevenly lit paper divided out (paper 1, ink as dark as it was against
    its own paper); unchanged where the paper is evenly lit."""
    light = paper_light(grey)
    return grey if light is None else np.clip(grey / light, 0.0, 1.0).astype(np.float32)


def _around(a: np.ndarray, combine, r: int) -> np.ndarray:
    """Each cell combined with the cells up to ``r`` away in both directions (edges repeated)."""
    p = np.pad(a, r, mode="edge")
    h, w = a.shape
    out = p[r:r + h, r:r + w].copy()
    for dy in range(2 * r + 1):
        for dx in range(2 * r + 1):
            if dy != r or dx != r:
                out = combine(out, p[dy:dy + h, dx:dx + w])
    return out
