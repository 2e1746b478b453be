"""What the pen's path says about a piece that its box alone leaves open.

Scaled into the network's box, a short minus, a decimal point and a multiplication dot look
alike, and so do a '1' and a bracket; in the line they do not. A dot is one short stroke whose
extent is a small part of a digit; a minus is a flat bar a fair part of a digit wide; an '=' or
a '+' is two strokes, never a dot; a '1' is a straight stroke, a bracket a bent one (the side it
bends to says which); two full-height strokes whose ink (nearly) meets may be one symbol (the
bar and the stem of a '4'), two that stay apart are two; a point whose ink touches another
stroke is that symbol's blip, not a dot. The line decoder weighs the network's
readings by these (ink only: an image has no strokes).
"""

from __future__ import annotations

import numpy as np

DASH_WIDTH = 0.24  # a flat bar at least this part of a digit's height wide is a minus, not a dot
DASH_FLAT = 2.0  # ...and at least this many times as wide as it is high
STRAIGHT = 0.07  # a stroke bending less than this part of its length is straight ('1')
BENT = 0.1  # a stroke bending more than this is a bracket's curve
DOT_EXTENT = 0.2  # a stroke on the baseline smaller than this part of a digit is a dot...
LOW = 0.7  # ...where its middle sits this far down from the digits' top to their baseline
TICK_FLAT = 4.0  # ...flatter than this, it is a short minus
ROUNDISH = 2.5  # a dot is no more than this many times as long as it is thick
LIKELY = 0.3  # what the path makes likely stays at least this share of the best reading
FLOOR = 0.02  # what the path leaves possible stays at least this share (the grammar may need it)
UPRIGHT = ("1", "(", ")")


def dash_like(strokes, box, unit: float) -> bool:
    """One flat stroke a fair part of a digit wide: a minus, whatever the network says."""
    w, h = box[2], box[3]
    return len(strokes) == 1 and w >= DASH_WIDTH * unit and w >= DASH_FLAT * h


def dot_like(strokes, box, unit: float, low: bool = False) -> bool:
    """One stroke, roundish (or, ``low`` on the baseline, tiny and not flat) that is not a bar:
    a dot. A '+' or '=' drawn small is two strokes; a decimal point drawn as a tick is still a
    dot, a tick as short at mid-height may be a short minus."""
    w, h = box[2], box[3]
    roundish = max(w, h) <= ROUNDISH * max(min(w, h), 1e-6)
    tiny = low and max(w, h) < DOT_EXTENT * unit and w < TICK_FLAT * h
    return len(strokes) == 1 and (roundish or tiny) and not dash_like(strokes, box, unit)


def bend(stroke) -> float:
    """How far the path strays from its chord, in chord lengths; signed: < 0 bends left."""
    a = stroke.xy()
    if len(a) < 3:
        return 0.0
    c = a[-1] - a[0]
    length = float(np.hypot(*c))
    if length < 1e-9:
        return 0.0
    off = (a - a[0]) @ (np.array([-c[1], c[0]]) / length)  # distance from the chord, signed
    k = int(np.argmax(np.abs(off)))
    side = a[k, 0] - (a[0, 0] + c[0] * float((a[k] - a[0]) @ c) / length ** 2)
    return float(np.sign(side) * abs(off[k]) / length)


def upright_options(options, strokes) -> list[tuple[str, float]]:
    """A single upright stroke's readings with '1', '(' and ')' all present: the straight or
    bent path makes one likely, the others stay possible for the grammar ('(' needs its ')')."""
    have = dict(options)
    if len(strokes) != 1 or not any(have.get(c, 0.0) > 0.0 for c in UPRIGHT):
        return options
    best = max(have.get(c, 0.0) for c in UPRIGHT)
    b = bend(strokes[0])
    likely = "1" if abs(b) < STRAIGHT else ("(" if b < 0 else ")") if abs(b) > BENT else None
    for c in UPRIGHT:
        have[c] = max(have.get(c, 0.0), (LIKELY if c == likely else FLOOR) * best)
    return sorted(have.items(), key=lambda kv: -kv[1])


def _point_to_path(p: np.ndarray, q: np.ndarray) -> float:
    """Least distance from the points ``p`` to the polyline ``q`` (its segments, not just its
    points: a stem sampled at its ends passes close to a bar between them)."""
    if len(q) == 1:
        return float(np.sqrt(((p - q[0]) ** 2).sum(-1)).min())
    a, ab = q[:-1], q[1:] - q[:-1]
    length = np.maximum((ab ** 2).sum(-1), 1e-12)
    t = np.clip(((p[:, None, :] - a[None]) * ab[None]).sum(-1) / length[None], 0.0, 1.0)
    return float(np.sqrt(((p[:, None, :] - a[None] - t[..., None] * ab[None]) ** 2).sum(-1)).min())


PATH_POINTS = 64  # a stroke's path is followed through at most this many of its points


def _path(stroke) -> np.ndarray:
    """The stroke's points, evenly thinned to ``PATH_POINTS`` (a stroke may hold 2,000 points: the
    distance would cost a 2,000 x 2,000 table)."""
    a = stroke.xy()
    if len(a) > PATH_POINTS:
        a = a[np.linspace(0, len(a) - 1, PATH_POINTS).round().astype(int)]
    return a


def ink_distance(left, right, enough: float = 0.0) -> float:
    """How close two groups of strokes come (0 where their paths cross or touch); once some
    pair comes within ``enough``, that pair's distance (the callers ask only whether the
    groups come that near, and ink squeezed together has thousands of pairs)."""
    best = np.inf
    for s in left:
        for t in right:
            a, b = _path(s), _path(t)
            if len(a) and len(b):
                best = min(best, _point_to_path(a, b), _point_to_path(b, a))
                if best <= enough:
                    return float(best)
    return float(best)


BLIP_TOUCH = 0.05  # a dot whose ink comes this near (x line height) another stroke's...
BLIP = 0.05  # ...keeps this share of its dot readings: it is that symbol's pen-down blip


class LineInk:
    """A line's pen strokes with their boxes in one array: finding the strokes near a symbol is
    one vectorised test, where a Python loop over the line for every dot reading made a line of
    1,000 strokes (the cap) cost seconds."""

    def __init__(self, strokes):
        self.strokes = list(strokes)
        self.boxes = np.array([s.bbox() for s in self.strokes], dtype=np.float64).reshape(-1, 4)

    def near(self, box, gap: float, mine: set) -> list:
        """The strokes (not those whose id is in ``mine``) whose boxes come within ``gap`` of ``box``."""
        x, y, w, h = self.boxes.T
        hit = ((x - gap <= box[0] + box[2]) & (box[0] - gap <= x + w)
               & (y - gap <= box[1] + box[3]) & (box[1] - gap <= y + h))
        return [self.strokes[i] for i in np.nonzero(hit)[0] if id(self.strokes[i]) not in mine]


def blip_options(options, seg, line_ink: LineInk, line: float) -> list[tuple[str, float]]:
    """A point whose ink touches another stroke's is a blip of that symbol (a '1' begun twice,
    a tablet's stray pen-down), not a decimal point or a multiplication dot: in the training
    writers' ink most digits' tiny strokes touch the rest of their digit, and no written point
    comes within 0.13 expression heights of other ink. Its dot readings fall to ``BLIP``, so
    the line decoder reads it with the symbol it touches."""
    strokes = seg.extra.get("strokes") if seg.image is None else None
    if not strokes or not any(lab in ".\u00b7" for lab, _ in options):
        return options
    near = BLIP_TOUCH * line
    rest = line_ink.near(seg.box, near, {id(s) for s in strokes})
    if not rest or ink_distance(strokes, rest, near) > near:
        return options
    return [(lab, p * (BLIP if lab in ".\u00b7" else 1.0)) for lab, p in options]
