"""Reads a written line as a whole: a beam over segmentations and each symbol's alternatives.

Symbol by symbol, a slanted '1' and a '/' look alike, two bars of an '=' that do not overlap
look like two minus signs, and a dot is a decimal point or a multiplication dot only by where
it sits. The line settles them: every hypothesis must stay a prefix of an arithmetic line
(``line_grammar``: an expression, optionally ``= expression``), neighbouring pieces may be read as
one symbol, strokes grouped by overlap may part again where they barely overlap, each reading
is weighed by how usual its size, shape and place are for its class (``layout``, learned from
real writers), a dot's two readings are weighed by its height in the line, and a scanned piece
of touching ink may also be read as the two digits it holds (``pairs``). The best
complete line wins; if no hypothesis survives, the symbols are kept as the network read them.
"""

from __future__ import annotations

import math

import numpy as np

from calcapp.handwriting import pairs, pen_shape
from calcapp.handwriting.line_grammar import CUT_COST, DIGITS, MAX_MERGE, MERGE_COST, MIN_P, RESCUE_P, decode
from calcapp.handwriting.line_grammar import whole_line as _whole_line
from calcapp.ink.image_units import (MAX_PARTS, apart_parts, break_cost, component_order, join_cost, part_boxes,
                                     read_parts)
from calcapp.ink.imagenorm import normalise_ink
from calcapp.ink.segment import DOT_SIZE, MIN_WIDTH, Segment, _union_box, join_segments

# A line that ends unfinished on a mark of several strokes the decoder is unsure of (its reading,
# weighed by the layout, under this) is read again down to ``RESCUE_P`` and ends as a whole line
# where one exists: a small or blotted '=' read '·' or '-' at 0.01-0.16 (the '=' at 4e-4 to 2e-3)
# left '642+402=' as '642+402×'. A sure mark, or one stroke, stays: '12+' and '12-' are lines
# still being written (of 634 validation lines cut after an operator, none read otherwise).
UNSURE_END = 0.5
# Reading a grouped symbol's strokes apart: strokes that overlap horizontally are one symbol
# far more often than two touching ones.
SPLIT_COST = math.log(0.05)
SEPARABLE = 0.6  # chunks of a group overlapping less than this share of the narrower may part
TALL_PIECE = 0.6  # pieces at least this part of the line tall: at most one in a merge...
# ...unless two are pen strokes whose ink comes this close (x line height): a '4's bar and stem,
# a '7's two strokes; such a merge costs more, so '11', '18', '(1' written close stay two where
# both parse (x0.3 read a bent '1' and an '8' that touch as one '8' in training lines).
TALL_TOUCH = 0.16
TALL_MERGE_COST = math.log(0.1)
LAYOUT_WEIGHT = 1.0  # how much a symbol's size and shape in the line count (handwriting/layout.py)
# How much the piece network's judgement counts (handwriting/pieces.py): a piece's share for
# not holding several symbols, a cut piece's for not being part of one; chosen on validation
# writers' lines and MNIST digits alone (handwriting.md, 'Touching symbols'). The floor: it errs.
PIECE_WEIGHT = 2.0
PART_WEIGHT = 1.0
# A pen piece's share for not being part of one: a two-stroke '4's bent bar is a sure '2', its
# stem a '1' ('4' read '21'), but part at 0.98-1.0 to the piece network ('Two-stroke 4s').
PEN_PART_WEIGHT = 2.0
PIECE_FLOOR = 0.01
# A flat bar cut off a digit is a minus as often as part of a '+', '4' or '7' (the network cannot
# tell): pieces at most this tall for their width pay nothing for 'part'.
FLAT = 0.5
END_EQUALS = 2 * MIN_P  # the chance left to a scan's last dot of being '=' (``_end_equals``)


def dot_options(box, line_top: float, line_base: float) -> list[tuple[str, float]]:
    """A dot's two readings, weighed by height: a decimal point sits on the baseline."""
    cy = box[1] + box[3] / 2
    rel = (cy - line_top) / max(line_base - line_top, 1e-6)  # 0 top, 1 baseline
    p_dec = float(np.clip((rel - 0.45) / 0.3, 0.05, 0.95))
    return [(".", p_dec), ("\u00b7", 1.0 - p_dec)]


# --- reading a recognizer's segments ---------------------------------------------------

TALL = set("0123456789()")


def _line_frame(segs, tops):
    """(line height, top, baseline) of the line's full-size symbols."""
    line = max(float(np.median([max(s.box[2], s.box[3]) / max(s.rel_size, 1e-6) for s in segs])), 1e-6)
    tall = [s.box for s, t in zip(segs, tops) if t[0][0] in TALL and s.rel_size > 0.6]
    tall = tall or [s.box for s in segs if s.rel_size > 0.6] or [s.box for s in segs]
    top = float(np.median([b[1] for b in tall]))
    base = float(np.median([b[1] + b[3] for b in tall]))
    if base - top < 0.5 * line:  # a line of operators only: centre them on a notional line
        mid = (base + top) / 2
        top, base = mid - line / 2, mid + line / 2
    return line, top, base


def _digit_frame(segs, tops, line: float):
    """(height, top, baseline) of the line's digits, the measure ``layout`` learned sizes in
    (brackets are taller than digits: a line of '(-1)' is not as tall as its brackets)."""
    digits = [_ink_box(s) for s, t in zip(segs, tops) if t[0][0] in DIGITS and t[0][0] != "1"]
    digits = digits or [_ink_box(s) for s, t in zip(segs, tops) if t[0][0] in DIGITS]
    if not digits:
        return None
    top = float(np.median([b[1] for b in digits]))
    base = float(np.median([b[1] + b[3] for b in digits]))
    return max(base - top, 1e-6), top, base


def _ink_box(seg):
    """The box of the pen's path: an image's strokes are a pen's width (``extra["pen"]``) wider
    than the paths ``layout`` learned sizes from, a flat minus most of all."""
    pen = seg.extra.get("pen", 0.0)
    if not pen:
        return seg.box
    x, y, w, h = seg.box
    return (x + pen / 2, y + pen / 2, max(w - pen, 0.0), max(h - pen, 0.0))


def symbol_options(seg, top, line, frame, layout=None) -> list[tuple[str, float]]:
    """The network's alternatives, with a dot's readings weighed by where it sits and each
    reading by how usual its size is for its class (against ``layout``, the digits' frame);
    for ink, the pen's path settles a dot, a dash and an upright stroke (``pen_shape``)."""
    from calcapp.handwriting.layout import IMAGE_DIGIT_SPREAD, height_in_line, plausibility

    x, y, w, h = seg.box
    unit, ltop, lbase = layout or (line, *frame)
    small = max(w, h) / line < DOT_SIZE and len(seg.ids) < 2  # a dot is one stroke; a small '+' two
    strokes = seg.extra.get("strokes") if seg.image is None else None
    if strokes:  # the pen's path settles what the box leaves open (pen_shape)
        low = height_in_line(seg.box, ltop, lbase) >= pen_shape.LOW
        dotlike = small and pen_shape.dot_like(strokes, seg.box, unit, low)
        dash = pen_shape.dash_like(strokes, seg.box, unit) and any(lab in ".\u00b7-" for lab, _ in top)
    else:
        dotlike, dash = small and max(w, h) <= pen_shape.ROUNDISH * max(min(w, h), 1e-6), False
    out: dict[str, float] = {}
    box = _ink_box(seg)
    narrow = IMAGE_DIGIT_SPREAD if seg.image is not None else 1.0
    one = len(seg.ids) == 1  # one component or stroke (``layout.WIDEST_DIGIT``)
    top = [(lab, p * plausibility(lab, box, unit, (ltop, lbase), narrow, one) ** LAYOUT_WEIGHT) for lab, p in top]
    if strokes:
        top = pen_shape.upright_options(top, strokes)
    if dash:  # a bar a fair part of a digit wide: a minus, whatever its size in the box
        best = max((p for _, p in top), default=0.0)
        top = [(lab, p * (0.2 if lab in (".", "\u00b7") else 1.0)) for lab, p in top]
        top.append(("-", pen_shape.LIKELY * best))
    for lab, p in top:
        if lab in (".", "\u00b7") or (dotlike and lab != "-"):
            for d, q in dot_options(seg.box, *frame):
                out[d] = max(out.get(d, 0.0), q * (1.0 if dotlike else p))
        else:
            out[lab] = max(out.get(lab, 0.0), p * (0.2 if dotlike else 1.0))
    return sorted(out.items(), key=lambda kv: -kv[1])


def _mergeable(segs, line: float) -> bool:
    """Pieces that may be one symbol: close together, no wider than a symbol, and all but
    one of them short or flat (the bars of '=', the dots of '\u00f7', a '5's loose flag, the
    loose top stroke of a '7'), or two tall pen strokes whose ink meets (``_tall_pair``)."""
    if segs[-1].box[0] - segs[0].box[0] > 1.3 * line:  # too wide already: the decoder asks for long spans
        return False
    box = _union_box([s.box for s in segs])
    if box[2] > 1.3 * line or box[3] > 1.5 * line:
        return False
    for a, b in zip(segs, segs[1:]):
        if b.box[0] - (a.box[0] + a.box[2]) > 0.15 * line:
            return False
    tall = [s for s in segs if s.box[3] >= TALL_PIECE * line]
    return len(tall) <= 1 or _tall_pair(tall, line)


def _tall_pair(tall, line: float) -> bool:
    """Two full-height pen pieces that may be one symbol: their ink (nearly) meets. A '4' whose
    bar stops at its stem (or short of it) is grouped as two pieces, both over ``TALL_PIECE``;
    two digits written close rarely touch (in the training writers' expressions 56 of 1,708
    neighbouring full-height pairs come within ``TALL_TOUCH``, all 17 such split '4's and '7's)."""
    if len(tall) != 2 or any(s.image is not None or not s.extra.get("strokes") for s in tall):
        return False
    (ax, ay, aw, ah), (bx, by, bw, bh) = tall[0].box, tall[1].box
    dx, dy = max(bx - ax - aw, ax - bx - bw, 0.0), max(by - ay - ah, ay - by - bh, 0.0)
    touch = TALL_TOUCH * line
    if dx * dx + dy * dy > touch ** 2:  # the boxes already lie further apart
        return False
    return pen_shape.ink_distance(tall[0].extra["strokes"], tall[1].extra["strokes"], touch) <= touch


def _chunks(seg, line: float) -> list[list[int]]:
    """A multi-stroke ink symbol's strokes (an image segment's parts, ``ink.image_units``) in
    left-to-right chunks that may be symbols of their own: where the strokes left of a point and
    those right of it barely overlap (a '3' and the '=' written close after it were grouped by
    overlap); one chunk when none do ('+', '4')."""
    strokes = seg.extra.get("strokes") or []
    if seg.image is not None:
        raw, most = part_boxes(seg), MAX_PARTS
    else:
        raw, most = [st.bbox() for st in strokes], 6
    if not 2 <= len(raw) <= most:
        return [list(range(len(raw)))]
    boxes = []
    for x, y, w, h in raw:  # an upright stroke is as wide as the grouping rule takes it
        pad = max(MIN_WIDTH * line - w, 0.0) / 2
        boxes.append((x - pad, y, w + 2 * pad, h))
    order = sorted(range(len(raw)), key=lambda k: boxes[k][0] + boxes[k][2] / 2)
    apart = None
    if seg.image is not None:  # whole components in turn: two full-height ones, or a dot, may part
        order = component_order(seg, boxes)
        apart = lambda k: apart_parts(seg, order[:k], order[k:], line)  # noqa: E731
    out, start = [], 0
    for k in range(1, len(order)):
        a = _union_box([boxes[j] for j in order[:k]])
        b = _union_box([boxes[j] for j in order[k:]])
        ov = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
        if ov < SEPARABLE * min(a[2], b[2]) or (apart is not None and apart(k)):
            out.append(order[start:k])
            start = k
    return out + [order[start:]]


def _atoms(segs, line: float):
    """(atoms, owner, breaks, joins): the segments, those that may come apart split into their
    chunks; each atom is (segment index, stroke or part positions or ``None`` for the whole
    segment); ``breaks[i]`` is the log cost of reading atoms i-1 and i apart (0 between
    segments), ``joins[i]`` that of reading them as one symbol (0 but for an image's two
    separate full-height components, or a decimal point and its digit, ``image_units.join_cost``)."""
    atoms, owner, breaks, joins = [], [], [], []
    for k, seg in enumerate(segs):
        parts = _chunks(seg, line)
        for j, part in enumerate(parts if len(parts) > 1 else [None]):
            atoms.append((k, part))
            owner.append(k)
            breaks.append(0.0 if j == 0 else _break_cost(seg, parts[:j], parts[j:]))
            joins.append(0.0 if j == 0 or seg.image is None else _join_cost(seg, parts[:j], parts[j:]))
    return atoms, owner, breaks + [0.0], joins + [0.0]


def _join_cost(seg, left, right) -> float:
    return join_cost(seg, [p for c in left for p in c], [p for c in right for p in c])


def _break_cost(seg, left, right) -> float:
    """Strokes grouped by overlap part at ``SPLIT_COST``; an image's parts by theirs."""
    if seg.image is None:
        return SPLIT_COST
    return break_cost(seg, [p for c in left for p in c], [p for c in right for p in c], SPLIT_COST)


def _stroke_symbol(rec, strokes, ids, line: float, lh: float):
    """A segment of these strokes and the recognizer's reading of it (both views)."""
    box = _union_box([st.bbox() for st in strokes])
    seg = Segment(sorted(ids), box, rel_size=max(box[2], box[3]) / line)
    image, pen = rec.stroke_views(strokes, lh)
    seg.extra.update(strokes=strokes, line_h=lh, drawn=image)
    return seg, rec._classify_cached([image], None if pen is None else [pen])[0]


def _merged_symbol(rec, part, line: float):
    """Neighbouring segments read as one symbol, or ``None`` where they have no ink to read."""
    if part[0].image is not None:
        seg = join_segments(part)
        seg.extra.update(pen=part[0].extra.get("pen", 0.0), drawn=normalise_ink(seg.image))
        return seg, rec._classify_cached([seg.extra["drawn"]])[0]
    strokes = [st for s in part for st in s.extra.get("strokes", [])]
    if not strokes:
        return None
    return _stroke_symbol(rec, strokes, [k for s in part for k in s.ids], line,
                          part[0].extra.get("line_h", line))


def _piece_symbol(rec, seg, pos, line: float):
    """Some strokes (or image parts) of one segment read as a symbol of their own."""
    if seg.image is not None:
        return read_parts(rec, [(seg, pos)])[0]
    strokes = [seg.extra["strokes"][p] for p in pos]
    return _stroke_symbol(rec, strokes, [seg.ids[p] for p in pos], line, seg.extra.get("line_h", line))


def _image_pieces(rec, segs, atoms, owner, first, last) -> dict:
    """Every span of an image segment's parts read in one batch (the decoder asks for most)."""
    spans = [(i, stop) for i in range(len(atoms)) for stop in range(i + 1, last[owner[i]] + 1)
             if segs[owner[i]].image is not None and not (i == first[owner[i]] and stop == last[owner[i]])]
    if not spans:
        return {}
    groups = [(segs[owner[i]], [p for _, part in atoms[i:stop] for p in part]) for i, stop in spans]
    return dict(zip(spans, read_parts(rec, groups)))


def read_line(rec, segs, tops):
    """(segments, tops, labels, confidences) of the line read as a whole."""
    if not segs:
        return segs, tops, [], []
    line, top, base = _line_frame(segs, tops)
    frame = (top, base)
    layout = _digit_frame(segs, tops, line)
    atoms, owner, breaks, joins = _atoms(segs, line)
    first = {k: owner.index(k) for k in set(owner)}
    last = {k: len(owner) - owner[::-1].index(k) for k in set(owner)}
    read: dict[tuple, tuple] = _image_pieces(rec, segs, atoms, owner, first, last)
    weigh_pieces(rec, list(segs) + [r[0] for r in read.values()])

    def symbol(i, stop):
        """(segment, tops) of atoms i..stop-1 as one symbol, or ``None``."""
        ks = owner[i:stop]
        whole = i == first[ks[0]] and stop == last[ks[-1]]
        if ks[0] == ks[-1] and whole:
            return segs[ks[0]], tops[ks[0]]
        if (i, stop) not in read:
            if ks[0] == ks[-1]:  # a piece of a grouped symbol
                pos = [p for _, part in atoms[i:stop] for p in part]
                read[(i, stop)] = _piece_symbol(rec, segs[ks[0]], pos, line)
            elif whole and _mergeable(segs[ks[0]:ks[-1] + 1], line):
                read[(i, stop)] = _merged_symbol(rec, segs[ks[0]:ks[-1] + 1], line)
            else:
                read[(i, stop)] = None
            if read[(i, stop)] is not None:
                weigh_pieces(rec, [read[(i, stop)][0]])
        return read[(i, stop)]

    ink = pen_shape.LineInk(st for s in segs if s.image is None for st in s.extra.get("strokes") or [])  # for blips

    def options(i, stop):
        found = symbol(i, stop)
        if found is None:
            return None
        opts = pen_shape.blip_options(symbol_options(found[0], found[1], line, frame, layout), found[0], ink, line)
        if stop == len(atoms) and found[0].image is not None and opts and opts[0][0] in (".", "\u00b7"):
            opts = _end_equals(opts)
        return opts + (pair_options(rec, found[0]) if len(segs) > 1 else [])  # a lone mark is one symbol

    tall = [s.box[3] >= TALL_PIECE * line for s in segs]

    def cost(i, stop):
        ks = owner[i:stop]
        pair = ks[0] != ks[-1] and sum(tall[ks[0]:ks[-1] + 1]) > 1  # two full-height pieces as one
        found = symbol(i, stop)  # read already: ``decode`` asks for the options first
        return (CUT_COST + MERGE_COST * (ks[-1] - ks[0]) + (breaks[i] + breaks[stop]) / 2  # both pieces pay half
                + sum(joins[i + 1:stop]) + (TALL_MERGE_COST if pair else 0.0)
                + (piece_prior(found[0]) if found is not None else 0.0))

    merges = MAX_MERGE + len(atoms) - len(segs)
    found = decode(len(atoms), options, merges=merges, cost=cost, rescue=False)
    if found is None:  # the pieces' own best readings where they make a line, else the rescue
        labels = [symbol_options(s, t, line, frame, layout)[0][0] for s, t in zip(segs, tops)]
        if not _whole_line(labels):
            found = decode(len(atoms), options, merges=merges, cost=cost, min_p=RESCUE_P)
        if found is None:
            return segs, tops, labels, [t[0][1] for t in tops]
    if not _whole_line(found[0]) and found[1][-1] < UNSURE_END and len(symbol(*found[2][-1])[0].ids) > 1:
        again = decode(len(atoms), options, merges=merges, cost=cost, min_p=RESCUE_P, rescue=False)
        found = again if again is not None and _whole_line(again[0]) else found
    segs_out, tops_out, labels_out, shown = [], [], [], []
    labels, probs, spans = found
    for (a, b), lab, p in zip(spans, labels, probs):
        seg, top = symbol(a, b)
        opts = options(a, b)
        conf = _shown_confidence(opts, lab, p)
        parts = list(zip(pairs.split_pair(seg, line), lab)) if len(lab) == 2 else [(seg, lab)]
        for k, (piece, c) in enumerate(parts):
            segs_out.append(piece)
            tops_out.append(top if piece is seg else [(d, q * conf) for d, q in pairs.digit_alternatives(opts, k)])
            labels_out.append(c)
            shown.append(conf)
    return segs_out, tops_out, labels_out, shown


def _end_equals(opts):
    """A scan holds a finished line: a small mark at its end read as a dot ('...323\u00b7') is
    also a small '=' whose bars ran together, which the layout would otherwise rule out."""
    found = dict(opts)
    found["="] = max(found.get("=", 0.0), END_EQUALS)
    return sorted(found.items(), key=lambda kv: -kv[1])


def pair_options(rec, seg) -> list[tuple[str, float]]:
    """Two touching digits as readings of one image piece (``pairs.pair_readings``), charged for
    holding several symbols (``PIECE_WEIGHT`` x log P(several)) where one symbol is charged for not."""
    found = pairs.pair_readings(rec, seg, MIN_P)
    if not found:
        return []
    swap = math.exp(PIECE_WEIGHT * math.log(max(seg.extra["kinds"][1], PIECE_FLOOR)) + CUT_COST - piece_prior(seg))
    return [(lab, p * swap) for lab, p in found]


def piece_prior(seg) -> float:
    """Log prior of reading this piece as one symbol at all, by the piece network's judgement
    (``weigh_pieces``): a piece holding several symbols pays, and so does part of a symbol cut
    out of one piece of ink (a '6' cut at its neck) or some of a pen line's strokes (the bar
    of a two-stroke '4'), but for a flat bar (``FLAT``) and a pen dot (the dot rules settle
    dots); a whole piece of a scanned line does not (no validation line changed). A prior on
    the segmentation, not on the readings: scaled into the readings it pushed a pendigits '1'
    whose only parsing reading was already unlikely below the decoder's cut-offs, and the line
    fell apart ('18+259' read '+8+259')."""
    kinds = seg.extra.get("kinds")
    if kinds is None:
        return 0.0
    out = PIECE_WEIGHT * math.log(max(1.0 - kinds[1], PIECE_FLOOR))
    if seg.box[3] > FLAT * seg.box[2]:
        weight = (PART_WEIGHT if seg.extra.get("partial")
                  else PEN_PART_WEIGHT if seg.image is None and seg.rel_size >= DOT_SIZE else 0.0)
        out += weight * math.log(max(1.0 - kinds[2], PIECE_FLOOR))
    return out


def weigh_pieces(rec, segs) -> None:
    """The piece network's judgement of each piece (``pieces.PieceNet``: one symbol, several,
    part of one), kept in its ``extra["kinds"]`` for ``piece_prior``. The network reads the
    image the symbol network read (``extra["drawn"]``: an image piece's normalised crop, ink as
    the recognizer drew it). Without the network nothing changes."""
    if getattr(rec, "pieces", None) is None:
        return
    todo = [s for s in segs if "kinds" not in s.extra and s.extra.get("drawn") is not None]
    images = [s.extra["drawn"] for s in todo]
    if todo:
        for seg, kinds in zip(todo, rec.piece_kinds(images)):
            seg.extra["kinds"] = kinds


def _shown_confidence(options, label: str, score: float) -> float:
    """What the canvas shows for a symbol: its reading's share of the piece's readings.
    The decoder's scores carry the layout weight, which ranks a piece's readings and its
    segmentations; shown raw, a clear but narrow ``2`` (every reading equally unusual in
    shape) would read 3%. Its share says how sure the reading is against the others."""
    total = sum(p for _, p in options or ())
    mine = dict(options or ()).get(label, score)
    return float(min(1.0, mine / total)) if total > 0 else float(score)
