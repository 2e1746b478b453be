"""Reads a written line as a whole: a beam over segmentations and each symbol's alternatives.

Symbol by symbol, a slanted '1' and a '/' look alike, two bars of an '=' that do not overlap
look like two minus signs, and a dot is a decimal point or a multiplication dot only by where
it sits. The line settles them: every hypothesis must stay a prefix of an arithmetic line
(``Prefix``: an expression, optionally ``= expression``), neighbouring pieces may be read as
one symbol, and a dot's two readings are weighed by its height in the line. The best complete
line wins; if no hypothesis survives, the symbols are kept as the network read them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

DIGITS = set("0123456789")
BINARY = set("+-\u00d7\u00f7/\u00b7")
MIN_P = 0.002  # alternatives less likely than this are not worth a hypothesis
CUT_COST = math.log(0.9)  # each extra symbol: the network reads pieces too surely
# Reading neighbours as one symbol: the network also reads a digit plus a stray dot as that
# digit, surely; a merge must be much likelier than its pieces, or the only parse.
MERGE_COST = math.log(0.05)
BEAM = 24
MAX_MERGE = 3  # an obelus: dot, bar, dot


@dataclass(frozen=True)
class Prefix:
    """Where an arithmetic line stands after some symbols (immutable, so hypotheses share it)."""

    state: str = "start"  # start | num | frac | dot | close | op | neg
    depth: int = 0
    equals: bool = False

    def push(self, c: str) -> "Prefix | None":
        s, d, eq = self.state, self.depth, self.equals
        operand = s in ("start", "op", "neg")
        if c in DIGITS:
            if s in ("num", "frac", "start", "op", "neg"):
                return Prefix("num", d, eq)
            if s == "dot":
                return Prefix("frac", d, eq)
            return None
        if c == ".":
            return Prefix("dot", d, eq) if s in ("num", "start", "op", "neg") else None
        if c == "(":
            return Prefix("start", d + 1, eq) if operand else None
        if c == ")":
            return Prefix("close", d - 1, eq) if d > 0 and s in ("num", "frac", "close") else None
        if c == "-" and s == "start":  # '3×-2' is legal, but far likelier a misread
            return Prefix("neg", d, eq)
        if c in BINARY:
            return Prefix("op", d, eq) if s in ("num", "frac", "close") else None
        if c == "=":
            return Prefix("start", 0, True) if not eq and d == 0 and s in ("num", "frac", "close") else None
        return None

    def complete(self) -> bool:
        """A whole line: ends in a number or ')', or right after a top-level '='."""
        if self.depth:
            return False
        return self.state in ("num", "frac", "close") or (self.equals and self.state == "start")


def dot_options(box, line_top: float, line_base: float) -> list[tuple[str, float]]:
    """A dot's two readings, weighed by height: a decimal point sits on the baseline."""
    cy = box[1] + box[3] / 2
    rel = (cy - line_top) / max(line_base - line_top, 1e-6)  # 0 top, 1 baseline
    p_dec = float(np.clip((rel - 0.45) / 0.3, 0.05, 0.95))
    return [(".", p_dec), ("\u00b7", 1.0 - p_dec)]


@dataclass
class Hyp:
    score: float
    prefix: Prefix
    labels: tuple
    spans: tuple  # (start, stop) of segments each symbol covers
    probs: tuple


def decode(n: int, options, merges=None, beam: int = BEAM):
    """Best reading of ``n`` segments.

    ``options(start, stop)`` gives [(label, p), ...] for segments start..stop-1 read as one
    symbol, or ``None`` where they may not be one; ``merges`` limits how many segments
    one symbol may span. Returns (labels, probs, spans), or ``None`` when nothing parses.
    """
    merges = merges or MAX_MERGE
    at: dict[int, list[Hyp]] = {0: [Hyp(0.0, Prefix(), (), (), ())]}
    for i in range(n):
        hyps = sorted(at.pop(i, []), key=lambda h: -h.score)[:beam]
        for stop in range(i + 1, min(n, i + merges) + 1):
            opts = options(i, stop)
            if not opts:
                continue
            for lab, p in opts:
                if p < MIN_P:
                    continue
                for h in hyps:
                    nxt = h.prefix.push(lab)
                    if nxt is None:
                        continue
                    cost = CUT_COST + MERGE_COST * (stop - i - 1)
                    at.setdefault(stop, []).append(Hyp(h.score + math.log(p) + cost, nxt, h.labels + (lab,),
                                                       h.spans + ((i, stop),), h.probs + (p,)))
    final = at.get(n, [])
    done = [h for h in final if h.prefix.complete()]
    best = max(done or final, key=lambda h: h.score, default=None)
    if best is None:
        return None
    return list(best.labels), list(best.probs), list(best.spans)


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


def symbol_options(seg, top, line, frame) -> list[tuple[str, float]]:
    """The network's alternatives, with a dot's readings weighed by where it sits."""
    from calcapp.ink.segment import DOT_SIZE

    x, y, w, h = seg.box
    roundish = max(w, h) <= 2.5 * max(min(w, h), 1e-6)
    small = max(w, h) / line < DOT_SIZE
    out: dict[str, float] = {}
    for lab, p in top:
        if lab in (".", "\u00b7") or (small and roundish and lab != "-"):
            for d, q in dot_options(seg.box, *frame):
                out[d] = max(out.get(d, 0.0), q * (1.0 if small and roundish else p))
        else:
            out[lab] = max(out.get(lab, 0.0), p * (0.2 if small and roundish else 1.0))
    return sorted(out.items(), key=lambda kv: -kv[1])


def _mergeable(segs, line: float) -> bool:
    """Pieces that may be one symbol: close together, no wider than a symbol, and all but
    one of them small or flat (the bars of '=', the dots of '\u00f7', a '5's loose flag)."""
    from calcapp.ink.segment import _union_box

    box = _union_box([s.box for s in segs])
    if box[2] > 1.3 * line or box[3] > 1.5 * line:
        return False
    for a, b in zip(segs, segs[1:]):
        if b.box[0] - (a.box[0] + a.box[2]) > 0.15 * line:
            return False
    return sum(s.box[3] >= 0.6 * line for s in segs) <= 1


def read_line(rec, segs, tops):
    """(segments, tops, labels, confidences) of the line read as a whole."""
    from calcapp.ink.segment import Segment, _union_box, join_segments

    if not segs:
        return segs, tops, [], []
    line, top, base = _line_frame(segs, tops)
    frame = (top, base)
    merged: dict[tuple, tuple] = {}

    def options(i, stop):
        if stop == i + 1:
            return symbol_options(segs[i], tops[i], line, frame)
        if not _mergeable(segs[i:stop], line):
            return None
        if (i, stop) not in merged:
            part = segs[i:stop]
            if part[0].image is not None:
                seg = join_segments(part)
                from calcapp.ink.imagenorm import normalise_ink

                img = normalise_ink(seg.image)
            else:
                strokes = [st for s in part for st in s.extra.get("strokes", [])]
                if not strokes:
                    return None
                box = _union_box([s.box for s in part])
                seg = Segment(sorted(k for s in part for k in s.ids), box, rel_size=max(box[2], box[3]) / line)
                from calcapp.ink.imagenorm import normalise_strokes

                lh = part[0].extra.get("line_h", line)
                img = normalise_strokes(strokes, lh)
                seg.extra.update(strokes=strokes, line_h=lh)
            pens = None
            if getattr(rec, "pen", None) is not None and "strokes" in seg.extra:
                from calcapp.handwriting.trajectory import features

                pens = [features(seg.extra["strokes"], seg.extra["line_h"])]
            merged[(i, stop)] = (seg, rec._classify_cached([img], pens)[0])
        seg, top_ = merged[(i, stop)]
        return symbol_options(seg, top_, line, frame)

    found = decode(len(segs), options)
    if found is None:
        labels = [symbol_options(s, t, line, frame)[0][0] for s, t in zip(segs, tops)]
        return segs, tops, labels, [t[0][1] for t in tops]
    labels, probs, spans = found
    out_segs = [segs[a] if b == a + 1 else merged[(a, b)][0] for a, b in spans]
    out_tops = [tops[a] if b == a + 1 else merged[(a, b)][1] for a, b in spans]
    return out_segs, out_tops, labels, probs
