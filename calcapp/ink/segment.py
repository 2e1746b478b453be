"""Segmentation of one written line into symbols, for ink and for images alike.

Strokes (or an image's connected components) that overlap horizontally belong to one
symbol: that single rule groups '+', '×', '÷', '=', a two-stroke '4' or '5', and keeps a
decimal point (beside a digit, not above it) on its own. Symbols are then read left to
right. Each keeps its box and its size relative to the line, because a dot, a minus and
a '1' differ mostly in size and aspect, which normalisation to 28x28 throws away; the
recognizer's output is corrected with them afterwards (``resolve_by_geometry``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from calcapp.ink.imagenorm import ink_polarity, to_grey

OVERLAP = 0.3  # share of the narrower item's width that must overlap to group
MIN_WIDTH = 0.08  # a dot's width counts as this much of the line height when grouping
DOT_SIZE = 0.3  # a symbol smaller than this part of the line height is a dot
MAX_MARKS = 2_000  # connected marks in one image (a written line has a few hundred at most)
MAX_RUNS = 300_000  # rows' ink runs in one image: a line photographed at 16 MP has some tens of thousands
# Ink that is all flat (a lone minus, a mouse's level strokes) has no height to measure: its line
# is as tall as the widest mark would be as a minus sign, which real writers make 0.56 line
# heights wide (handwriting/layout.py: SIZES). A digit, bracket or plus is never that flat, so
# only ink of minus and equals signs alone is measured so.
FLAT = 0.2
MINUS_WIDTH = 0.56


@dataclass
class Segment:
    """One symbol: which items (strokes or components) form it and where it is."""

    ids: list[int]
    box: tuple[float, float, float, float]  # x, y, w, h in input coordinates
    image: np.ndarray | None = None  # ink-bright crop, for image input
    rel_size: float = 1.0  # max(w, h) / line height
    extra: dict = field(default_factory=dict)


def _union_box(boxes):
    x0 = min(b[0] for b in boxes)
    y0 = min(b[1] for b in boxes)
    x1 = max(b[0] + b[2] for b in boxes)
    y1 = max(b[1] + b[3] for b in boxes)
    return (x0, y0, x1 - x0, y1 - y0)


def line_height(boxes) -> float:
    """Height of a line's full-size symbols: median of the taller ones (``FLAT``: of flat ink)."""
    hs = np.array([b[3] for b in boxes], dtype=float)
    if len(hs) == 0:
        return 1.0
    tall = hs[hs >= 0.55 * hs.max()]
    wide = max(float(b[2]) for b in boxes)
    if hs.max() < FLAT * wide:
        return wide / MINUS_WIDTH
    return float(max(np.median(tall), 1e-6))


def drawing_height(height: float) -> float:
    """The line height a symbol is drawn and featured at: ``height`` snapped to 10% steps, so a
    symbol's picture depends on its strokes and that step alone, never on which pen-up first drew
    it (the canvas re-reads the line after every stroke and remembers what it drew)."""
    return float(np.exp(round(np.log(max(height, 1e-6)) * 10) / 10))


def _overlaps(a, b, height: float) -> bool:
    wa = max(a[2], MIN_WIDTH * height)
    wb = max(b[2], MIN_WIDTH * height)
    ca, cb = a[0] + a[2] / 2, b[0] + b[2] / 2
    ov = min(ca + wa / 2, cb + wb / 2) - max(ca - wa / 2, cb - wb / 2)
    return ov > OVERLAP * min(wa, wb)


def group_boxes(boxes, height: float | None = None) -> list[list[int]]:
    """Indices of items grouped by horizontal overlap, in reading (left-to-right) order.

    The rule: repeatedly merge the first overlapping pair (in index order) into one box,
    until no two boxes overlap. Items whose widened extents cannot touch never interact,
    so the line is cut into such clusters first (a sort by x) and the rule runs inside
    each one; the result is the same as running it on the whole line, in linear time for
    a line of separate symbols.
    """
    if not boxes:
        return []
    height = height or line_height(boxes)
    groups = []
    for cluster in _clusters(boxes, height):
        groups += _merge_cluster([tuple(boxes[i]) for i in cluster], cluster, height)
    groups.sort(key=lambda g: min(g[0]))  # the order the rule leaves them in...
    groups.sort(key=lambda g: g[1][0] + g[1][2] / 2)  # ...then left to right (stable)
    return [sorted(ids) for ids, _ in groups]


def _clusters(boxes, height: float) -> list[list[int]]:
    """Index lists (ascending) of items whose widened extents chain together along x.

    A merged box never reaches beyond its members' widened extents, so boxes of two
    clusters never overlap, however the merging goes.
    """
    extents = []
    for i, b in enumerate(boxes):
        w = max(b[2], MIN_WIDTH * height)
        c = b[0] + b[2] / 2
        extents.append((c - w / 2, c + w / 2, i))
    extents.sort()
    out, hi = [], None
    slack = 1e-9 * (height + max(abs(e[1]) for e in extents))  # rounding; only joins more
    for lo, top, i in extents:
        if hi is None or lo > hi + slack:
            out.append([])
            hi = top
        out[-1].append(i)
        hi = max(hi, top)
    return [sorted(c) for c in out]


def _merge_cluster(cboxes, ids, height: float) -> list[tuple[list[int], tuple]]:
    """The merging rule on one cluster, step for step: ``p`` walks forward while every
    group before it overlaps nothing after it; a merge at ``p`` can only make an earlier
    group overlap the grown one, which is merged next (leftwards) before walking on."""
    groups = [([i], b) for i, b in zip(ids, cboxes)]
    if len(groups) == 1:
        return groups
    p = 0
    while p < len(groups):
        j = next((j for j in range(p + 1, len(groups))
                  if _overlaps(groups[p][1], groups[j][1], height)), None)
        if j is None:
            p += 1
            continue
        groups[p] = (groups[p][0] + groups[j][0], _union_box([groups[p][1], groups[j][1]]))
        del groups[j]
        while True:
            k = next((k for k in range(p) if _overlaps(groups[k][1], groups[p][1], height)), None)
            if k is None:
                break
            groups[k] = (groups[k][0] + groups[p][0], _union_box([groups[k][1], groups[p][1]]))
            del groups[p]
            p = k
    return groups


def segment_strokes(strokes) -> list[Segment]:
    """A line of strokes -> symbols in reading order (``ids`` are stroke indices)."""
    idx = [i for i, s in enumerate(strokes) if s.points]
    boxes = [strokes[i].bbox() for i in idx]
    if not boxes:
        return []
    h = line_height(boxes)
    segs = []
    for group in group_boxes(boxes, h):
        ids = [idx[g] for g in group]
        box = _union_box([boxes[g] for g in group])
        segs.append(Segment(ids, box, rel_size=max(box[2], box[3]) / h))
    _settle_sizes(segs)
    return segs


def _settle_sizes(segs: list[Segment]) -> None:
    """Relative sizes against the height of the line's full symbols (after grouping)."""
    if not segs:
        return
    h = line_height([s.box for s in segs])
    for s in segs:
        s.rel_size = max(s.box[2], s.box[3]) / h


# --- images -------------------------------------------------------------------------


def connected_components(mask: np.ndarray) -> list[np.ndarray]:
    """8-connected components of a boolean mask, as arrays of (y, x) pixels.

    Run-length labelling: rows become runs, runs touching runs of the row above are
    joined with a union-find; only the runs are visited in Python, each once against the
    row above (both rows run left to right), so a line image costs a few milliseconds and
    noise is refused (``MAX_RUNS``) before it costs seconds.
    """
    runs = []  # (row, x0, x1) with x1 exclusive
    row_runs = []
    for y in range(mask.shape[0]):
        row = mask[y]
        if not row.any():
            row_runs.append([])
            continue
        d = np.diff(np.concatenate([[0], row.view(np.int8), [0]]))
        starts, ends = np.nonzero(d == 1)[0], np.nonzero(d == -1)[0]
        if len(runs) + len(starts) > MAX_RUNS:
            raise ValueError(f"the image is too speckled to be handwriting (over {MAX_RUNS:,} runs of ink "
                             "in its rows); crop it to the written line")
        row_runs.append(list(range(len(runs), len(runs) + len(starts))))
        runs.extend((y, int(a), int(b)) for a, b in zip(starts, ends))
    parent = list(range(len(runs)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for y in range(1, len(row_runs)):
        above, j = row_runs[y - 1], 0
        for r in row_runs[y]:
            _, a, b = runs[r]
            while j < len(above) and runs[above[j]][2] < a:  # ends left of this run: and of the next
                j += 1
            k = j
            while k < len(above) and runs[above[k]][1] <= b:  # touching incl. diagonals (8-connectivity)
                ra, rb = find(r), find(above[k])
                if ra != rb:
                    parent[ra] = rb
                k += 1
    comps: dict[int, list] = {}
    for i, (y, a, b) in enumerate(runs):
        comps.setdefault(find(i), []).append((y, a, b))
    out = []
    for rs in comps.values():  # each run's pixels, row by row, left to right
        arr = np.array(rs, dtype=np.int64)
        lengths = arr[:, 2] - arr[:, 1]
        before = np.concatenate([[0], np.cumsum(lengths)[:-1]])  # pixels of the earlier runs
        xs = np.arange(int(lengths.sum())) + np.repeat(arr[:, 1] - before, lengths)
        out.append(np.stack([np.repeat(arr[:, 0], lengths), xs], axis=1).astype(np.int32))
    return out


def _bar_cut(pix: np.ndarray, height: float) -> int | None:
    """Column where a flat bar at mid-height of a full-height component ends or starts (a
    minus written into the digit beside it), or ``None``."""
    y0, x0 = pix.min(axis=0)
    y1, x1 = pix.max(axis=0) + 1
    w, h = x1 - x0, y1 - y0
    if h < 0.6 * height or w < 0.7 * height:
        return None
    lo = np.full(w, y1, dtype=np.int64)
    hi = np.full(w, y0 - 1, dtype=np.int64)
    np.minimum.at(lo, pix[:, 1] - x0, pix[:, 0])
    np.maximum.at(hi, pix[:, 1] - x0, pix[:, 0])
    mid = ((lo + hi) / 2 - y0) / max(h, 1)
    flat = (hi - lo + 1 <= BAR_THICK * height) & (mid > 0.3) & (mid < 0.85)
    need = int(BAR_LONG * height)
    if need < 2 or need >= w:
        return None
    if flat.all():
        return None
    if flat[:need].all():  # a bar on the left
        k = need + int(np.argmin(flat[need:]))
        rest = pix[pix[:, 1] >= x0 + k]
    elif flat[w - need:].all():  # ... or on the right
        k = w - need - int(np.argmin(flat[: w - need][::-1]))
        rest = pix[pix[:, 1] < x0 + k]
    else:
        return None
    return x0 + k if len(rest) and np.ptp(rest[:, 0]) + 1 >= 0.6 * height else None  # beside a symbol


BAR_THICK, BAR_LONG = 0.22, 0.3  # a bar: columns this thin (x line height), this long


def _split_touching(ink: np.ndarray, pix: np.ndarray, height: float) -> list[np.ndarray]:
    """Split a component much wider than a symbol at its thinnest column, or a bar off it."""
    y0, x0 = pix.min(axis=0)
    y1, x1 = pix.max(axis=0) + 1
    w, h = x1 - x0, y1 - y0
    bar = _bar_cut(pix, height)
    if bar is not None:
        left, right = pix[pix[:, 1] < bar], pix[pix[:, 1] >= bar]
        if len(left) and len(right):
            return _split_touching(ink, left, height) + _split_touching(ink, right, height)
    if w < 1.15 * height or h < 0.75 * height:
        return [pix]
    cols = np.bincount(pix[:, 1] - x0, minlength=w).astype(float)
    lo, hi = int(0.25 * w), int(0.75 * w)
    lo = max(lo, int(0.35 * height))
    hi = min(hi, w - int(0.35 * height))
    if hi <= lo:
        return [pix]
    cut = x0 + lo + int(np.argmin(cols[lo:hi]))
    left, right = pix[pix[:, 1] < cut], pix[pix[:, 1] >= cut]
    if len(left) == 0 or len(right) == 0:
        return [pix]
    for part in (left, right):  # two touching symbols leave two full-height halves
        if np.ptp(part[:, 0]) + 1 < 0.6 * height:
            return [pix]
    return _split_touching(ink, left, height) + _split_touching(ink, right, height)


def _pix_box(pix):
    y0, x0 = pix.min(axis=0)
    y1, x1 = pix.max(axis=0) + 1
    return (float(x0), float(y0), float(x1 - x0), float(y1 - y0))


def _is_fragment(box, top: float, base: float, height: float) -> bool:
    """A piece that cannot be a symbol on its own where it sits.

    Full-height pieces are symbols; in the middle band sit operators and the
    multiplication dot; on the baseline only a small round decimal point. Anything else
    (a flat piece on the baseline, anything small near the top) is a broken-off stroke.
    """
    x, y, w, h = box
    if h >= 0.5 * height:
        return False
    cy = y + h / 2
    rel = (cy - top) / max(base - top, 1e-6)
    if 0.25 <= rel <= 0.8:
        return False
    round_small = max(w, h) <= 0.3 * height and max(w, h) <= 2.5 * max(min(w, h), 1)
    return not (rel > 0.8 and round_small)


def merge_fragments(groups: list[list[int]], boxes, height: float) -> list[list[int]]:
    """Join broken-off pieces (common in scanned or thin-stroked symbols) to the nearest symbol."""
    if len(groups) < 2:
        return groups
    gboxes = [_union_box([boxes[i] for i in g]) for g in groups]
    tall = [b for b in gboxes if b[3] >= 0.5 * height] or gboxes
    top = float(np.median([b[1] for b in tall]))
    base = float(np.median([b[1] + b[3] for b in tall]))
    groups = [list(g) for g in groups]
    for k in sorted(range(len(groups)), key=lambda i: gboxes[i][2] * gboxes[i][3]):
        if not groups[k] or not _is_fragment(gboxes[k], top, base, height):
            continue
        x, _, w, _ = gboxes[k]

        def gap(j):
            bx = gboxes[j]
            return max(bx[0] - (x + w), x - (bx[0] + bx[2]), 0.0)

        others = [j for j in range(len(groups)) if j != k and groups[j]]
        j = min(others, key=gap)
        if gap(j) > 0.35 * height:
            continue
        groups[j] += groups[k]
        groups[k] = []
        gboxes[j] = _union_box([gboxes[j], gboxes[k]])
    out = [sorted(g) for g in groups if g]
    out.sort(key=lambda g: min(boxes[i][0] + boxes[i][2] / 2 for i in g))
    return out


def _dilate(mask: np.ndarray, r: int) -> np.ndarray:
    """``mask`` grown by a disc of radius ``r``: each row of the disc is a run along x, so the
    mask is grown along x by each row's half-width (from row sums) and shifted along y. A pass
    per row of the disc, not per pixel of it: a page-sized scan has r of tens of pixels."""
    out = mask.copy()
    if r < 1:
        return out
    h, w = mask.shape
    sums = np.zeros((h, w + 1), dtype=np.int32)  # sums[:, j]: ink in the row's first j pixels
    np.cumsum(mask, axis=1, out=sums[:, 1:])
    sums = np.pad(sums, ((0, 0), (r, r)), mode="edge")  # beyond either end: no more ink
    for dy in range(min(r, h - 1) + 1):  # rows of the disc beyond the mask reach nothing
        half = math.isqrt(r * r - dy * dy)
        grown = (sums[:, r + half + 1:r + half + 1 + w] - sums[:, r - half:r - half + w]) > 0
        out[dy:] |= grown[:h - dy]
        if dy:
            out[:h - dy] |= grown[dy:]
    return out


def bridged(mask: np.ndarray, comps: list, r: int) -> list:
    """Components joined across gaps narrower than ``r`` pixels (faint strokes break in scans)."""
    if r < 1:
        return comps
    joined = connected_components(_dilate(mask, r))
    label = np.full(mask.shape, -1, dtype=np.int64)
    for i, c in enumerate(joined):
        label[c[:, 0], c[:, 1]] = i
    groups: dict[int, list] = {}
    for c in comps:
        groups.setdefault(int(label[c[0, 0], c[0, 1]]), []).append(c)
    return [np.concatenate(g) for g in groups.values()]

def segment_image(image, threshold: float = 0.2, bridge: float = 0.03) -> list[Segment]:
    """A line image (either polarity) -> symbols in reading order, each with its crop.

    Gaps narrower than ``bridge`` x line height are bridged before labelling (thin or
    faint strokes break apart in scans); each symbol's crop keeps only the true ink.
    """
    ink = ink_polarity(to_grey(image))
    mask = ink > threshold
    comps = connected_components(mask)
    if not comps:
        return []
    sizes = np.array([len(c) for c in comps])
    keep = sizes >= max(3, 0.004 * sizes.max())  # specks of noise, not dots
    comps = [c for c, k in zip(comps, keep) if k]
    if len(comps) > MAX_MARKS:
        raise ValueError(f"the image holds {len(comps):,} separate marks; one reading takes "
                         f"at most {MAX_MARKS:,}")
    h = line_height([_pix_box(c) for c in comps])
    comps = bridged(mask, comps, int(round(bridge * h)))
    parts, origin = [], []
    for k, c in enumerate(comps):
        pieces = _split_touching(ink, c, h)
        parts.extend(pieces)
        origin.extend([k if len(pieces) > 1 else -1] * len(pieces))
    boxes = [_pix_box(p) for p in parts]
    h = line_height(boxes)
    segs = []
    for group in merge_fragments(group_boxes(boxes, h), boxes, h):
        pix = np.concatenate([parts[g] for g in group])
        segs.append(Segment(group, _pix_box(pix), image=_crop(ink, pix)))
        cut = {origin[g] for g in group}
        if len(cut) == 1 and -1 not in cut:
            segs[-1].extra["piece_of"] = cut.pop()
    _settle_sizes(segs)
    return segs


def _crop(ink: np.ndarray, pix: np.ndarray) -> np.ndarray:
    """The ink of just these pixels, in their bounding box."""
    x0, y0, w, hh = (int(v) for v in _pix_box(pix))
    crop = np.zeros((hh, w), dtype=np.float32)
    crop[pix[:, 0] - y0, pix[:, 1] - x0] = ink[pix[:, 0], pix[:, 1]]
    return crop


def joinable_runs(segs: list[Segment], gap: float = 0.02, width: float = 1.2) -> list[tuple[int, int]]:
    """(start, stop) of runs of segments that may be one symbol, for the recognizer to settle.

    Geometry alone guesses wrong both ways: cutting a wide component makes two symbols of a
    wide '0', '5' or a crossed '7', and a '9' written as a loop and a stem that barely meet
    arrives as two components side by side. So the runs are the pieces of one cut component,
    and two neighbours closer than ``gap`` x line height that together are no wider than
    ``width`` x line height. The recognizer reads each run whole and in pieces.
    """
    runs, i = [], 0
    while i < len(segs):
        k = segs[i].extra.get("piece_of")
        j = i + 1
        while k is not None and j < len(segs) and segs[j].extra.get("piece_of") == k:
            j += 1
        if k is not None and j - i > 1:
            runs.append((i, j))
            i = j
            continue
        if j < len(segs) and segs[j].extra.get("piece_of") is None:
            a, b = segs[i].box, segs[j].box
            line = max(a[2], a[3]) / max(segs[i].rel_size, 1e-6)
            joined = _union_box([a, b])
            if b[0] - (a[0] + a[2]) < gap * line and joined[2] <= width * line:
                runs.append((i, j + 1))
                i = j + 1
                continue
        i = j
    return runs


def join_segments(segs: list[Segment]) -> Segment:
    """One segment holding the ink of several (image segments: crops are pasted together)."""
    box = _union_box([s.box for s in segs])
    x0, y0 = int(box[0]), int(box[1])
    crop = np.zeros((int(box[3]), int(box[2])), dtype=np.float32)
    for s in segs:
        sx, sy = int(s.box[0]) - x0, int(s.box[1]) - y0
        h, w = s.image.shape
        np.maximum(crop[sy:sy + h, sx:sx + w], s.image, out=crop[sy:sy + h, sx:sx + w])
    line = max(segs[0].box[2], segs[0].box[3]) / segs[0].rel_size  # the line height they were sized by
    ids = sorted(i for s in segs for i in s.ids)
    return Segment(ids, box, image=crop, rel_size=max(box[2], box[3]) / line)


# --- after recognition ---------------------------------------------------------------

TALL = set("0123456789()")


def resolve_by_geometry(labels: list[str], segs: list[Segment]) -> list[str]:
    """Fix what the 28x28 view cannot see, using each symbol's place in the line.

    - a small round symbol is a dot whatever the network says;
    - a dot near the middle of the digits is a multiplication dot ('·'), one near their
      baseline a decimal point ('.').
    """
    out = list(labels)
    tall = [s.box for s, lab in zip(segs, labels) if lab in TALL and s.rel_size > 0.6]
    if not tall:
        tall = [s.box for s in segs if s.rel_size > 0.6] or [s.box for s in segs]
    base = float(np.median([b[1] + b[3] for b in tall]))
    mid = float(np.median([b[1] + b[3] / 2 for b in tall]))
    for i, (lab, s) in enumerate(zip(labels, segs)):
        x, y, w, h = s.box
        roundish = max(w, h) <= 2.5 * max(min(w, h), 1e-6)
        if s.rel_size < DOT_SIZE and roundish and lab not in "-":
            lab = "."
        if lab in (".", "\u00b7"):
            cy = y + h / 2
            lab = "\u00b7" if abs(cy - mid) < abs(cy - base) else "."
        out[i] = lab
    return out
