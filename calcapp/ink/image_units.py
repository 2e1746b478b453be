"""An image line as pseudo-strokes, for the line decoder that reads pen lines.

A scan has no strokes, and its connected components are not symbols: a '(' or a minus
written into the digit beside it, or two digits that touch, are one component, and cutting
by geometry alone guesses wrong both ways (a wide '0' is not two symbols). So each component
becomes one or more *parts*: the component itself, cut at the columns where touching symbols
usually meet (where a cut crosses a single stroke: a thin neck between two blobs, the end of
a flat bar; and the middle of a component wider than a symbol). An image of one mark is one
symbol and is not cut: a lone digit has necks of its own (an open '6' cut at its neck read
'10', where the image line before these parts read it whole). Components a narrow gap apart
(a stroke broken in a scan, or two symbols written close) form one unit but stay apart inside it,
and two separate inks a symbol tall are read as two symbols unless the line needs them as one,
as are a decimal point and the digit it is written close to.
Units are grouped into segments by the same overlap rule as strokes;
the line decoder (``handwriting/line_decoder.py``) reads each segment whole or in pieces,
cuts or not, and lets the grammar and the layout model choose, as it does for strokes.
"""

from __future__ import annotations

import math

import numpy as np

from calcapp.ink.imagenorm import MAX_PIXELS, ink_polarity, to_grey
from calcapp.ink.level import line_slope, turn_image
from calcapp.ink.segment import (DOT_SIZE, MAX_MARKS, Segment, _crop, _dilate, _overlaps, _pix_box, _settle_sizes,
                                  _union_box, connected_components, group_boxes, line_height, merge_fragments)

MIN_CUT_WIDTH = 0.4  # components narrower than this (x line height) are never cut
MIN_PIECE = 0.08  # a cut leaves pieces at least this wide (x line height): a '1' is this thin
NECK = 1.6  # a cut crosses at most this many stroke widths of ink
JUMP = 0.5  # ... and a column beside it crosses this many stroke widths more
PIECE_SIZE = 0.3  # ... and as tall or as wide as this (x line height): no stroke tips
WIDE = 0.7  # components this wide (x line height) are also cut at their middle's thinnest column:
# two digits that overlap as they touch are often no wider than one wide digit ('24' 0.88)
CENTRE = 0.1  # ... and at their centre's, this part of the width either side of the middle
MAX_CUTS = 3  # cut candidates per component (the decoder reads every span of its pieces)
MAX_PARTS = 8  # parts per segment; a segment with more is read whole or by its components
CUT = math.log(0.2)  # reading a component as two symbols: a clean digit has necks of its own
TALL = 0.6  # a component this part of the line tall is a symbol's full height
APART = math.log(1.0)  # reading two separate full-height components grouped by overlap apart...
JOIN = math.log(0.2)  # ...and as one symbol: separate inks a symbol tall are two symbols
BRIDGE = math.log(0.5)  # reading apart components that only a narrow gap joins (``bridge_sets``)
POINT_JOIN = math.log(0.1)  # reading a decimal point and the digit beside it as one symbol
DOT_PEN = 0.9  # a decimal point is at least this many pen widths across...
DOT_ROUND = 1.8  # ...at most this many times as long as it is wide...
DOT_INK = 0.95  # ...its darkest pixel at least this share of its digit's darkest...
POINT_LOW = 1.2  # ...and its middle at most this far down the digit (0 its top, 1 its foot)


def image_units(image, threshold: float = 0.2, bridge: float = 0.03) -> list[Segment]:
    """A line image (either polarity) -> segments in reading order, each with its crop and,
    in ``extra``, its ``parts`` (pixel arrays left to right), which of them come from one
    component (``comp``) and the ink image they are cut from (``ink``)."""
    grey = to_grey(image)
    if grey.size > MAX_PIXELS:  # an array handed in directly (files are refused from their header)
        raise ValueError(f"the image is {grey.shape[1]}\u00d7{grey.shape[0]} pixels; calcapp reads images of "
                         f"at most {MAX_PIXELS // 1_000_000} megapixels")
    ink = ink_polarity(np.nan_to_num(grey, nan=1.0, posinf=1.0, neginf=0.0))
    mask = ink > threshold
    comps = _marks(mask)
    if not comps:
        return []
    if len(comps) > MAX_MARKS:
        raise ValueError(f"the image holds {len(comps):,} separate marks; one reading takes "
                         f"at most {MAX_MARKS:,}")
    back = None
    slope = line_slope([_pix_box(c) for c in comps])
    if slope:  # a line photographed askew or written uphill: read it level (``ink/level.py``)
        ink, back = turn_image(ink, slope)
        mask = ink > threshold
        comps = _marks(mask)
        if not comps:
            return []
    h = line_height([_pix_box(c) for c in comps])
    several = sum(_sized(c, h) for c in comps) >= 2  # else one symbol (and specks): no cuts
    sets = bridge_sets(mask, comps, int(round(bridge * h)))
    boxes = [_pix_box(np.concatenate([comps[c] for c in s])) for s in sets]
    h = line_height(boxes)
    stroke = stroke_width(mask)
    segs = []
    for group in merge_fragments(group_boxes(boxes, h), boxes, h):
        members = sorted(c for g in group for c in sets[g])
        pix = np.concatenate([comps[c] for c in members])
        seg = Segment(members, _pix_box(pix), image=_crop(ink, pix))
        parts, owner = [], []
        for c in members:
            for piece in cut_pieces(comps[c], h, stroke) if several else [comps[c]]:
                parts.append(piece)
                owner.append(c)
        order = sorted(range(len(parts)), key=lambda k: _pix_box(parts[k])[0] + _pix_box(parts[k])[2] / 2)
        if 1 < len(parts) <= MAX_PARTS:
            seg.extra.update(parts=[parts[k] for k in order], comp=[owner[k] for k in order], ink=ink)
        segs.append(seg)
    _settle_sizes(segs)
    for seg in segs:  # the line height the sizes were settled by, for the parts' sizes
        seg.extra["line_h"] = max(seg.box[2], seg.box[3]) / max(seg.rel_size, 1e-9)
        seg.extra["pen"] = stroke
        seg.extra["several"] = several  # a lone mark's specks are its own (``point_apart``)
        if back is not None:
            seg.extra["unturn"] = back  # boxes are reported on the image as given (``Recognizer.assemble``)
    return segs


def _marks(mask: np.ndarray) -> list[np.ndarray]:
    """The connected components of ``mask`` but specks of noise (not dots: a speck is tiny
    against the largest mark)."""
    comps = connected_components(mask)
    if not comps:
        return []
    biggest = max(len(c) for c in comps)
    return [c for c in comps if len(c) >= max(3, 0.004 * biggest)]


def bridge_sets(mask: np.ndarray, comps: list, r: int) -> list[list[int]]:
    """Indices of the components joined across gaps narrower than ``r`` pixels (a faint stroke
    breaks in a scan), each set one unit for grouping. The components stay apart inside it: a
    gap that narrow also lies between two symbols written close, and the decoder may part them
    there as it parts components grouped by overlap (``break_cost``)."""
    if r < 1 or len(comps) < 2:
        return [[k] for k in range(len(comps))]
    joined = connected_components(_dilate(mask, r))
    label = np.full(mask.shape, -1, dtype=np.int64)
    for i, c in enumerate(joined):
        label[c[:, 0], c[:, 1]] = i
    out: dict[int, list] = {}
    for k, c in enumerate(comps):
        out.setdefault(int(label[c[0, 0], c[0, 1]]), []).append(k)
    return list(out.values())


def stroke_width(mask: np.ndarray) -> float:
    """The pen's width in pixels: the shorter of the median vertical and horizontal ink runs."""
    def runs(m):
        d = np.diff(np.pad(m.astype(np.int8), ((0, 0), (1, 1))), axis=1)
        lengths = np.nonzero(d == -1)[1] - np.nonzero(d == 1)[1]
        return float(np.median(lengths)) if len(lengths) else 1.0

    if not mask.any():
        return 1.0
    return max(1.0, min(runs(mask), runs(mask.T)))


def cut_sizes(pix: np.ndarray) -> tuple[int, np.ndarray]:
    """(x0, sizes): ``sizes[k]`` is how many pixels of column x0+k touch the column before it
    (8-connected), the ink a cut between the two would cross; ``sizes[0]`` is 0."""
    y0, x0 = pix.min(axis=0)
    y1, x1 = pix.max(axis=0) + 1
    m = np.zeros((y1 - y0 + 2, x1 - x0), dtype=bool)
    m[pix[:, 0] - y0 + 1, pix[:, 1] - x0] = True
    left = m[:, :-1]
    near = left | np.roll(left, 1, axis=0) | np.roll(left, -1, axis=0)
    sizes = np.zeros(x1 - x0, dtype=np.int64)
    sizes[1:] = (m[:, 1:] & near).sum(axis=0)
    return int(x0), sizes


def cut_columns(pix: np.ndarray, height: float, stroke: float) -> list[int]:
    """Columns where a component may be two symbols: the cut crosses at most ``NECK`` stroke
    widths, beside a column that crosses clearly more (a neck between two blobs, or the end
    of a bar where a digit begins; not the middle of a bar); in a component wider than
    ``WIDE`` line heights also the thinnest column of its middle half (symbols that overlap
    and touch have no neck) and of its centre (two overlapping digits meet near the middle,
    and the thinnest column of the half is often a stroke's end beside the overlap: '33' cut
    into a quarter and three quarters). Each cut leaves pieces a symbol's size (``_sized``),
    not the tip of a stroke; at most ``MAX_CUTS``, the thinnest first. ``image_units`` cuts
    only in a line of several marks: a lone wide digit (a lying '6') is one symbol."""
    w = int(pix[:, 1].max() - pix[:, 1].min()) + 1
    if w < MIN_CUT_WIDTH * height:
        return []
    x0, s = cut_sizes(pix)
    margin = max(1, int(MIN_PIECE * height))
    found = []
    for k in range(margin, w - margin + 1):
        if s[k] == 0 or s[k] > NECK * stroke:
            continue
        beside = max(s[k - 1] if k > 1 else 0, s[k + 1] if k + 1 < w else 0)
        if beside - s[k] >= JUMP * stroke:
            found.append((s[k], k))
    found.sort()
    lo, hi = max(margin, w // 4), min(w - margin, 3 * w // 4)
    if w >= WIDE * height and hi > lo:
        found.insert(0, (0, lo + int(np.argmin(s[lo:hi]))))
        a, b = int((0.5 - CENTRE) * w), int((0.5 + CENTRE) * w) + 1
        if b > a:
            found.insert(1, (0, a + int(np.argmin(s[a:b]))))
    chosen: list[int] = []
    cols = pix[:, 1] - x0
    for _, k in found:
        if any(abs(k - c) < margin for c in chosen):
            continue
        a = max([c for c in chosen if c < k], default=0)
        b = min([c for c in chosen if c > k], default=w)
        if _sized(pix[(cols >= a) & (cols < k)], height) and _sized(pix[(cols >= k) & (cols < b)], height):
            chosen.append(k)
        if len(chosen) == MAX_CUTS:
            break
    return sorted(x0 + k for k in chosen)


def _sized(pix: np.ndarray, height: float) -> bool:
    """A piece as tall or as wide as a symbol (a minus, a '1'), not a stroke's end or a speck."""
    return len(pix) > 0 and max(np.ptp(pix[:, 0]), np.ptp(pix[:, 1])) + 1 >= PIECE_SIZE * height


def cut_pieces(pix: np.ndarray, height: float, stroke: float) -> list[np.ndarray]:
    """A component's pixels in pieces at its cut columns, left to right (one piece if none)."""
    cols = cut_columns(pix, height, stroke)
    if not cols:
        return [pix]
    edges = [-10 ** 9] + cols + [10 ** 9]
    out = [pix[(pix[:, 1] >= a) & (pix[:, 1] < b)] for a, b in zip(edges, edges[1:])]
    return [p for p in out if len(p)]


def part_segment(seg: Segment, positions: list[int]) -> Segment:
    """The segment made of some of ``seg``'s parts, with its own crop."""
    pix = np.concatenate([seg.extra["parts"][p] for p in positions])
    box = _pix_box(pix)
    line = seg.extra["line_h"]
    ids = sorted({seg.extra["comp"][p] for p in positions})
    out = Segment(ids, box, image=_crop(seg.extra["ink"], pix), rel_size=max(box[2], box[3]) / line)
    kept = set(positions)  # a cut through a component leaves some of its parts outside
    out.extra.update(pen=seg.extra.get("pen", 0.0),
                     partial=any(c in ids and p not in kept for p, c in enumerate(seg.extra["comp"])))
    return out


def part_boxes(seg: Segment) -> list[tuple]:
    return [_pix_box(p) for p in seg.extra.get("parts", [])]


def break_cost(seg: Segment, left: list[int], right: list[int], parting: float) -> float:
    """Log cost of reading these parts of a segment apart: a cut through one component's ink
    costs ``CUT``; parting whole components (grouped by overlap) costs ``parting``, or
    ``APART`` where they are two symbols however they overlap (``apart_parts``)."""
    comp = seg.extra["comp"]
    if {comp[p] for p in left} & {comp[p] for p in right}:
        return CUT
    line = seg.extra["line_h"]
    if apart_parts(seg, left, right, line):
        return APART
    boxes = part_boxes(seg)
    side = lambda ps: _union_box([boxes[p] for p in ps])  # noqa: E731
    return parting if _overlaps(side(left), side(right), line) else BRIDGE  # or only a narrow gap


def join_cost(seg: Segment, left: list[int], right: list[int]) -> float:
    """Log cost of reading these parts of a segment as one symbol: ``JOIN`` where each side
    holds a separate full-height component (``apart_tall``), ``POINT_JOIN`` where one side is a
    decimal point beside the digit on the other (``point_apart``: the network, shown the two in
    one box, reads the digit and takes the point for noise, '1.' read '1'), else nothing."""
    line = seg.extra["line_h"]
    if apart_tall(seg, left, right, line):
        return JOIN
    return POINT_JOIN if point_apart(seg, left, right, line) else 0.0


def component_order(seg: Segment, boxes) -> list[int]:
    """Part positions ordered by their component's middle, then their own: a component that
    lies over another's span (a '1' written into the '3' after it) stays whole in the order."""
    comp = seg.extra["comp"]
    mids: dict[int, list] = {}
    for k, b in enumerate(boxes):
        mids.setdefault(comp[k], []).append(b)
    centre = {c: (min(b[0] for b in bs) + max(b[0] + b[2] for b in bs)) / 2 for c, bs in mids.items()}
    return sorted(range(len(boxes)), key=lambda k: (centre[comp[k]], boxes[k][0] + boxes[k][2] / 2))


def apart_parts(seg: Segment, left: list[int], right: list[int], line: float) -> bool:
    """Whether these parts are two symbols however they overlap: whole components a full height
    each (``apart_tall``), or a decimal point and its digit (``point_apart``)."""
    return apart_tall(seg, left, right, line) or point_apart(seg, left, right, line)


def point_apart(seg: Segment, left: list[int], right: list[int], line: float) -> bool:
    """Whether one side of these parts is a decimal point beside the digit on the other (tucked
    under a slanted '1' or a '7's bar; ``point_beside``). Not in an image of one mark: a lone
    digit's specks are its own (a photographed '5' with the end of its stroke apart read '.5')."""
    if not seg.extra.get("several", True):
        return False
    parts, ink, pen = seg.extra["parts"], seg.extra["ink"], seg.extra.get("pen", 0.0)
    dot = lambda a, b: point_beside([parts[p] for p in a], [parts[p] for p in b], ink, line, pen)  # noqa: E731
    return dot(left, right) or dot(right, left)


def apart_tall(seg: Segment, left: list[int], right: list[int], line: float) -> bool:
    """Whether these parts are whole components on either side, each side with one at least
    ``TALL`` line heights tall: two separate inks a symbol tall are two symbols (a symbol of
    several components has at most one tall one: '=', '÷', a '5' with its flag apart)."""
    comp, parts = seg.extra["comp"], seg.extra["parts"]
    if {comp[p] for p in left} & {comp[p] for p in right}:
        return False

    def tall(side):
        rows: dict[int, list] = {}
        for p in side:
            rows.setdefault(comp[p], []).append(parts[p][:, 0])
        return any(np.ptp(np.concatenate(r)) + 1 >= TALL * line for r in rows.values())

    return tall(left) and tall(right)


def read_parts(rec, groups) -> list[tuple]:
    """(segment, the recognizer's reading) of each (segment, part positions), in one batch."""
    from calcapp.ink.imagenorm import normalise_ink

    pieces = [part_segment(seg, pos) for seg, pos in groups]
    if not pieces:
        return []
    for p in pieces:
        p.extra["drawn"] = normalise_ink(p.image)
    return list(zip(pieces, rec._classify_cached([p.extra["drawn"] for p in pieces])))


def point_beside(dot: list, rest: list, ink: np.ndarray, line: float, pen: float) -> bool:
    """Whether the pixels ``dot`` (arrays of (y, x)) are a decimal point beside the digit in
    ``rest``: small against the line, roundish, at least about a pen wide and as dark as the
    digit's ink (the pen put down; a speck of a stroke broken in a scan is thinner or fainter:
    a '4' with the foot of its stem apart read '4.'), below the middle of the components at least
    ``PIECE_SIZE`` tall but not far below their foot (on the baseline: a '5's short flag is above
    the middle, a photographed digit's broken-off tail hangs below its foot, and the bars and
    dots of '=' and '÷' have no tall ink)."""
    if not dot or not rest:
        return False
    d = _pix_box(np.concatenate(dot))
    small, big = sorted(d[2:])
    if big >= DOT_SIZE * line or big > DOT_ROUND * small or small < DOT_PEN * pen:
        return False
    tall = [_pix_box(c) for c in rest if np.ptp(c[:, 0]) + 1 >= PIECE_SIZE * line]
    if not tall:
        return False
    t = _union_box(tall)
    if not 0.5 < (d[1] + d[3] / 2 - t[1]) / t[3] <= POINT_LOW:
        return False
    peak = lambda cs: max(float(ink[c[:, 0], c[:, 1]].max()) for c in cs)  # noqa: E731
    return peak(dot) >= DOT_INK * peak(rest)
