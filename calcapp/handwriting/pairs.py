"""Two digits whose ink touches, read as one pair.

In a scanned line, two digits written close run into one piece of ink ('33', '48'). The symbol
network reads that piece as one digit, surely, and a cut through two digits that overlap takes
part of each, so its halves read no better. This small network is shown the whole piece and
answers which two digits it holds (100 classes), or that it holds no two digits (a single
digit, a digit touching an operator). The line decoder offers its pairs as readings of pieces
the piece network thinks hold several symbols (``line_decoder.pair_options``), and a piece read
as a pair is parted into two symbols, each with its own box (``split_pair``).
"""

from __future__ import annotations

import numpy as np

from calcapp.handwriting.layers import ExportedNet
from calcapp.ink.imagenorm import ink_bbox, normalise_ink, resize
from calcapp.ink.segment import Segment

PAIRS_NAME = "pairs.npz"
HEIGHT, WIDTH = 28, 48  # the pair's frame: two digits side by side, each about MNIST's size
INNER_H, INNER_W = 22, 44  # the ink is scaled to fit this, keeping its aspect
NOT_PAIR = 100  # the class of everything that is not two digits
N_CLASSES = 101
# Asked of a whole piece of ink that the piece network gives at least this share of holding
# several symbols, and read as a pair only where the pair network is this sure it holds two
# digits; the likeliest few pairs, each at this price beside cutting the piece (chosen on the
# validation writers' lines, benchmarks/results/handwriting.md 'Nineteenth session').
PAIR_MIN = 0.05
PAIR_NOT = 0.2
PAIR_TOP = 3
PAIR_COST = 0.1
MASK_INK = 0.2  # image ink above this is a symbol's (``pieces.MASK_THRESHOLD``)


def label_of(k: int) -> str:
    """The two digits of class ``k`` ('07' for 7), or '' for ``NOT_PAIR``."""
    return "" if k == NOT_PAIR else f"{k // 10}{k % 10}"


def normalise_pair(ink: np.ndarray) -> np.ndarray:
    """Ink-bright crop -> HEIGHT x WIDTH float32 in [0, 1], the ink centred, aspect kept."""
    out = np.zeros((HEIGHT, WIDTH), np.float32)
    box = ink_bbox(ink)
    if box is None:
        return out
    y0, y1, x0, x1 = box
    crop = ink[y0:y1, x0:x1]
    h, w = crop.shape
    k = min(INNER_H / h, INNER_W / w)
    nh, nw = max(1, int(round(h * k))), max(1, int(round(w * k)))
    small = np.clip(resize(crop, nh, nw), 0.0, 1.0)
    peak = float(small.max())
    if peak > 0:
        small = small / peak
    top, left = (HEIGHT - nh) // 2, (WIDTH - nw) // 2
    out[top:top + nh, left:left + nw] = small
    return out


class PairNet(ExportedNet):
    """The exported layers of ``training/pairs.py``: each piece's probabilities of the ``N_CLASSES``."""

    PREFIX = "q"
    N_OUT = N_CLASSES


def pair_readings(rec, seg, min_p: float) -> list[tuple[str, float]]:
    """The pairs a piece may be read as, each at its probability times ``PAIR_COST``; none for
    pen strokes, a cut piece, several pieces of ink, or where the networks see no pair."""
    kinds = seg.extra.get("kinds")
    if (seg.image is None or kinds is None or kinds[1] < PAIR_MIN or getattr(rec, "pairs", None) is None
            or len(seg.ids) != 1 or seg.extra.get("partial")):
        return []
    if "pairs" not in seg.extra:  # the decoder asks a piece's options more than once
        seg.extra["pairs"] = rec.pair_probabilities([seg.image])[0]
    probs = seg.extra["pairs"]
    if probs[NOT_PAIR] >= PAIR_NOT:
        return []
    best = [k for k in np.argsort(-probs)[:PAIR_TOP] if k != NOT_PAIR and probs[k] >= min_p]
    return [(label_of(int(k)), float(probs[k]) * PAIR_COST) for k in best]


def split_pair(seg, line: float) -> list:
    """A piece read as two touching digits, parted at the column of least ink in its middle
    half, each side trimmed to its ink: what the canvas frames and a correction remembers."""
    cols = (seg.image > MASK_INK).sum(axis=0)
    w = len(cols)
    lo, hi = w // 4, max(w // 4 + 1, 3 * w // 4)
    cut = lo + int(np.argmin(cols[lo:hi])) if w >= 2 else 1
    out = []
    for x0, x1 in ((0, cut), (cut, w)):
        part = seg.image[:, x0:x1]
        rows, cs = np.nonzero(part > MASK_INK)
        if not len(rows):
            rows, cs = np.array([0, part.shape[0] - 1]), np.array([0, max(part.shape[1] - 1, 0)])
        crop = part[rows.min():rows.max() + 1, cs.min():cs.max() + 1]
        box = (seg.box[0] + x0 + cs.min(), seg.box[1] + rows.min(), float(crop.shape[1]), float(crop.shape[0]))
        piece = Segment(list(seg.ids), box, image=crop, rel_size=max(box[2], box[3]) / max(line, 1e-6))
        piece.extra.update(pen=seg.extra.get("pen", 0.0), drawn=normalise_ink(crop))
        out.append(piece)
    return out


def digit_alternatives(options, k: int) -> list[tuple[str, float]]:
    """The ``k``-th digit's alternatives (shares) from a piece's pair readings, likeliest first:
    what the window offers when the user corrects one digit of a pair."""
    found: dict[str, float] = {}
    for lab, p in options:
        if len(lab) == 2:
            found[lab[k]] = found.get(lab[k], 0.0) + p
    total = sum(found.values()) or 1.0
    return sorted(((d, p / total) for d, p in found.items()), key=lambda kv: -kv[1])
