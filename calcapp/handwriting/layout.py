"""How big and how wide each symbol is written, learned from real writers' layouts.

The network sees every symbol scaled into the same 28x28 box, so it reads the loose top
stroke of a two-stroke '7' as a '1', a short minus as a dot, the upright of a '+' as a '1':
pieces whose shape is right but whose size is not. Real writers are consistent about size,
so each class has a typical height (in line heights) and aspect; a reading whose piece is far
outside that is unlikely, and the line decoder weighs it down (a merge or another split wins).

``SIZES`` holds, per class, the mean and covariance of (log height, log width/height) of
the symbols of CROHME's *training* writers (``crohme_ink``, held-out writers excluded), each
measured against its expression's line height, and ``PLACES`` where each class's middle sits
between the line's top and baseline; refit with ``python -m calcapp.handwriting.layout``.
"""

from __future__ import annotations

import math

import numpy as np

FLOOR = 0.02  # a box side counts as at least this part of the line (a dot drawn as one point)
FREE = 1.5  # no penalty within this many standard deviations of the class's mean
SHARPNESS = 2.0  # the penalty beyond that: exp(-SHARPNESS x the distance)
# Scanned digits come from writers and scripts the pen layouts never saw, and vary more in
# width: for image pieces the fitted aspect variance of digits (not '1', whose width is what
# tells it) is widened on the narrow side, so a narrow '4' that the network reads surely is not
# turned into a '1' by its shape alone. Pen pieces keep the fit on the narrow side (a
# multi-stroke '4' without its bar is narrow).
IMAGE_DIGIT_SPREAD = 3.0

# class: (mean log h, mean log aspect, var h, cov, var aspect); fitted (see the docstring)
# 2311 symbols of flat expressions; the classes with fewer than 8 there from all expressions
SIZES: dict[str, tuple[float, float, float, float, float]] = {
    '(': (0.323, -1.2608, 0.1036, 0.0025, 0.143),
    ')': (0.4063, -1.3539, 0.0913, -0.0173, 0.1669),
    '+': (-0.4611, -0.0816, 0.1514, -0.0429, 0.1004),
    '-': (-2.9166, 2.333, 0.4539, -0.3095, 0.3932),
    '.': (-2.9356, 0.2051, 0.5905, -0.1635, 0.5667),
    '/': (0.7655, -0.7962, 0.1528, -0.0118, 0.147),
    '0': (-0.09, -0.3507, 0.0397, -0.0133, 0.1261),
    '1': (0.0712, -1.7942, 0.0943, -0.0262, 1.0052),
    '2': (0.016, -0.2963, 0.0569, -0.028, 0.106),
    '3': (-0.0041, -0.5199, 0.0326, -0.0008, 0.0834),
    '4': (0.0453, -0.4861, 0.0309, -0.0087, 0.0795),
    '5': (0.0043, -0.3412, 0.0285, -0.0093, 0.1058),
    '6': (0.0129, -0.5977, 0.0172, 0.0019, 0.0832),
    '7': (0.023, -0.4049, 0.0226, -0.0047, 0.0721),
    '8': (0.0233, -0.5358, 0.0205, -0.0035, 0.0716),
    '9': (0.0307, -0.7222, 0.0221, -0.0111, 0.0761),
    '=': (-1.2059, 0.7685, 0.1733, -0.0644, 0.1606),
    '×': (-0.2117, -0.1883, 0.0926, -0.0122, 0.0544),
}
# On the wide side, a digit of one ink (one component, one stroke) is measured from the widest
# digit class's mean aspect, not its own: the training writers wrote '6' and '9' narrower than
# '2' and '5', so a wide '6' (a scan's, another writer's) lost to '5' on its width alone
# ('62+317' read '52+317'), and a wide pen '7' to '1'. Separate inks read as one digit keep
# their class's own width (two digits side by side are wide).
WIDEST_DIGIT = max(SIZES[d][1] for d in "023456789")
# class: (mean, variance) of height_in_line; not the dots, whose place decides '.' or '\u00b7'
PLACES: dict[str, tuple[float, float]] = {  # the flat expressions that hold digits
    '(': (0.4882, 0.036),
    ')': (0.5123, 0.0348),
    '+': (0.5949, 0.0286),
    '-': (0.5816, 0.0233),
    '0': (0.5177, 0.0172),
    '1': (0.4938, 0.0124),
    '2': (0.5047, 0.0132),
    '3': (0.4961, 0.0099),
    '4': (0.4915, 0.0153),
    '5': (0.5061, 0.0091),
    '6': (0.4831, 0.0085),
    '7': (0.5029, 0.0099),
    '8': (0.5034, 0.0143),
    '9': (0.5072, 0.0135),
    '=': (0.5724, 0.032),
}


def features(box, line: float) -> tuple[float, float]:
    """(log height, log width/height) of a box in units of the line height."""
    w = max(box[2] / max(line, 1e-9), FLOOR)
    h = max(box[3] / max(line, 1e-9), FLOOR)
    return math.log(h), math.log(w / h)


def height_in_line(box, top: float, base: float) -> float:
    """Where a box's middle sits: 0 at the top of the line's digits, 1 at their baseline."""
    return (box[1] + box[3] / 2 - top) / max(base - top, 1e-9)


def plausibility(label: str, box, line: float, frame=None, narrow: float = 1.0,
                 one_ink: bool = False) -> float:
    """1 for a symbol of its class's usual size, shape (and place, given the line's ``frame``
    (top, baseline)), falling towards 0 away from it; heavy-tailed, as writers are. ``narrow``
    widens a digit's aspect spread on the narrow side (``IMAGE_DIGIT_SPREAD``); a digit of
    ``one_ink`` is as wide as any digit may be (``WIDEST_DIGIT``)."""
    key = "." if label == "\u00b7" else label
    stats = SIZES.get(key)
    if stats is None:
        return 1.0
    mh, ma, vh, c, va = stats
    x, y = features(box, line)
    dx, dy = x - mh, y - ma
    if key.isdigit() and key != "1":
        if dy < 0:
            c, va = c * math.sqrt(narrow), va * narrow
        elif one_ink:
            dy = max(0.0, y - WIDEST_DIGIT)
    det = vh * va - c * c
    if det <= 0:
        return 1.0
    d2 = (va * dx * dx - 2 * c * dx * dy + vh * dy * dy) / det
    if frame is not None and key in PLACES:
        m, v = PLACES[key]
        d2 += (height_in_line(box, *frame) - m) ** 2 / v
    return math.exp(-SHARPNESS * max(0.0, math.sqrt(d2) - FREE))


def fit_places(rows) -> dict[str, tuple]:
    """Per-class mean and variance of ``height_in_line`` of ``rows`` = [(label, box, top, base)]."""
    by: dict[str, list] = {}
    for lab, box, top, base in rows:
        by.setdefault("." if lab in ("\u00b7", ".?") else lab, []).append(height_in_line(box, top, base))
    return {lab: (round(float(np.mean(v)), 4), round(float(np.var(v)) + 0.005, 4))
            for lab, v in sorted(by.items()) if len(v) >= 8}


def fit(rows) -> dict[str, tuple]:
    """Per-class Gaussian of the features of ``rows`` = [(label, box, line height), ...]."""
    by: dict[str, list] = {}
    for lab, box, line in rows:
        by.setdefault("." if lab in ("\u00b7", ".?") else lab, []).append(features(box, line))
    out = {}
    for lab, xs in sorted(by.items()):
        a = np.array(xs)
        if len(a) < 8:
            continue
        cov = np.cov(a.T) + np.eye(2) * 0.01  # a floor on the spread for small classes
        out[lab] = tuple(round(float(v), 4) for v in (*a.mean(0), cov[0, 0], cov[0, 1], cov[1, 1]))
    return out


NOT_FLAT = ("^", "_", "\\frac", "\\sqrt", "\\sum", "\\int", "\\lim", "\\prod", "matrix", "array")


def _training_rows(flat: bool = True):
    """Calculator symbols of the training writers' expressions; with ``flat`` only those written
    on one line (no exponent, index, fraction or root, whose symbols are smaller or larger)."""
    from calcapp.handwriting import crohme
    from calcapp.handwriting.data import default_data_root

    for e in crohme.read_expressions(default_data_root(), "train"):
        if flat and any(k in e.truth for k in NOT_FLAT):
            continue
        digits = [s.box for s in e.symbols if s.label.isdigit()]
        top = float(np.median([b[1] for b in digits])) if digits else None
        base = float(np.median([b[1] + b[3] for b in digits])) if digits else None
        for s in e.symbols:
            if s.label in crohme.CALC.values() or s.label in crohme.DOTS:
                yield s.label, s.box, e.height, top, base


if __name__ == "__main__":
    rows = list(_training_rows())
    print(f"# {len(rows)} symbols of flat expressions; the classes with fewer than 8 there from all")
    print("SIZES = {")
    for k, v in {**fit(r[:3] for r in _training_rows(flat=False)), **fit(r[:3] for r in rows)}.items():
        print(f"    {k!r}: {v},")
    print("}\nPLACES = {  # the flat expressions that hold digits")
    for k, v in fit_places((r[0], r[1], r[3], r[4]) for r in rows if r[3] is not None).items():
        print(f"    {k!r}: {v},")
    print("}")
