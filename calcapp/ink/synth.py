"""Ink the project makes itself: symbol templates, style distortion, whole lines.

No real set has '(' ')' '=' or a lone decimal point, and tests must run without the real
data, so every class has a template here (digits too). Variety comes from random affine
transforms, a smooth elastic warp, jittered pen pressure and, at rendering, pen width.
Templates live in a box whose digit height is 1 (x right, y down); lines are laid out so
that operators sit in the middle band and a decimal point on the baseline, as people
write them.
"""

from __future__ import annotations

import numpy as np

from calcapp.ink.strokes import Point, Stroke

LABELS = list("0123456789") + ["+", "-", "\u00d7", "\u00f7", "/", "(", ")", ".", "="]


def _arc(cx, cy, rx, ry, a0, a1, n=24):
    a = np.radians(np.linspace(a0, a1, n))
    return np.stack([cx + rx * np.cos(a), cy + ry * np.sin(a)], axis=1)


def _line(*pts):
    return np.array(pts, dtype=float)


def _dot(x, y, r=0.02):
    return _arc(x, y, r, r, 0, 360, 6)


def _templates(label: str, rng: np.random.Generator) -> list[np.ndarray]:
    """One way (chosen at random among a few) to write ``label``, as point arrays."""
    v = rng.random()
    if label == "0":
        return [_arc(0.3, 0.5, 0.3, 0.5, -90 + 20 * (v - 0.5), 275)]
    if label == "1":
        if v < 0.5:
            return [_line((0.3, 0.0), (0.3, 1.0))]
        return [np.vstack([_line((0.1, 0.2), (0.3, 0.0)), _line((0.3, 0.0), (0.3, 1.0))])]
    if label == "2":
        return [np.vstack([_arc(0.3, 0.28, 0.28, 0.28, 200, 380), _line((0.02, 1.0), (0.62, 1.0))])]
    if label == "3":
        return [np.vstack([_arc(0.28, 0.25, 0.27, 0.25, 200, 450),
                           _arc(0.28, 0.75, 0.3, 0.25, 270, 520)])]
    if label == "4":
        if v < 0.5:
            return [_line((0.45, 0.0), (0.0, 0.65), (0.62, 0.65)), _line((0.45, 0.25), (0.45, 1.0))]
        return [_line((0.2, 0.0), (0.05, 0.6), (0.62, 0.6)), _line((0.48, 0.0), (0.48, 1.0))]
    if label == "5":
        body = np.vstack([_line((0.1, 0.0), (0.06, 0.45)), _arc(0.28, 0.7, 0.3, 0.28, 240, 520)])
        bar = _line((0.1, 0.0), (0.6, 0.0))
        return [body, bar] if v < 0.6 else [np.vstack([bar[::-1], body])]
    if label == "6":
        return [np.vstack([_arc(0.62, 0.72, 0.58, 0.7, 255, 170),
                           _arc(0.31, 0.75, 0.27, 0.25, 180, -180)])]
    if label == "7":
        return [_line((0.0, 0.0), (0.6, 0.0), (0.15, 1.0))]
    if label == "8":
        t = np.linspace(0, 2 * np.pi, 40)
        return [np.stack([0.3 + 0.28 * np.sin(2 * t) * (1 if v < 0.5 else -1), 0.5 - 0.5 * np.cos(t)], 1)]
    if label == "9":
        return [np.vstack([_arc(0.3, 0.27, 0.27, 0.25, 0, -360), _line((0.57, 0.27), (0.5, 1.0))])]
    if label == "+":
        h, vv = _line((0.0, 0.5), (0.5, 0.5)), _line((0.25, 0.25), (0.25, 0.75))
        return [h, vv] if v < 0.5 else [vv, h]
    if label == "-":
        return [_line((0.0, 0.5), (0.5, 0.5))]
    if label == "\u00d7":
        return [_line((0.0, 0.3), (0.4, 0.7)), _line((0.4, 0.3), (0.0, 0.7))]
    if label == "\u00f7":
        return [_line((0.0, 0.5), (0.5, 0.5)), _dot(0.25, 0.3), _dot(0.25, 0.7)]
    if label == "/":  # slashes lean ~30 degrees; steeper ones are written as '1'
        return [_line((0.55 + 0.15 * v, 0.0), (0.0, 1.0))]
    if label in "()":
        t = np.linspace(0, 1, 24)
        bow = 0.22 + 0.08 * v
        x = bow * (2 * t - 1) ** 2 if label == "(" else bow * (1 - (2 * t - 1) ** 2)
        return [np.stack([x, -0.05 + 1.1 * t], 1)]
    if label == "=":
        return [_line((0.0, 0.38), (0.5, 0.38)), _line((0.0, 0.62), (0.5, 0.62))]
    if label == ".":
        return [_dot(0.03, 0.96)]
    if label == "\u00b7":
        return [_dot(0.03, 0.5)]
    raise ValueError(f"no template for {label!r}")


def _resample(a: np.ndarray, step: float = 0.025) -> np.ndarray:
    seg = np.sqrt((np.diff(a, axis=0) ** 2).sum(axis=1))
    total = seg.sum()
    if total < 1e-9:
        return a[:1].copy()
    s = np.concatenate([[0.0], np.cumsum(seg)])
    n = max(2, int(total / step) + 1)
    u = np.linspace(0, total, n)
    return np.stack([np.interp(u, s, a[:, 0]), np.interp(u, s, a[:, 1])], 1)


def distort(parts: list[np.ndarray], rng: np.random.Generator, strength: float = 1.0) -> list[np.ndarray]:
    """Random affine transform plus a smooth elastic warp, applied to all parts at once."""
    allp = np.concatenate(parts)
    c = allp.mean(axis=0)
    ang = rng.normal(0, 0.08 * strength)
    shear = rng.normal(0, 0.12 * strength)
    sx, sy = np.exp(rng.normal(0, 0.1 * strength, 2))
    m = np.array([[np.cos(ang), -np.sin(ang)], [np.sin(ang), np.cos(ang)]]) @ np.array(
        [[sx, shear], [0, sy]])
    k = rng.normal(0, 1, (2, 3, 2))  # low-frequency warp: a few random sinusoids
    ph = rng.uniform(0, 2 * np.pi, (2, 3))
    freq = np.array([1.5, 2.5, 3.5])
    out = []
    for p in parts:
        q = (p - c) @ m.T + c
        for d in range(2):
            for j in range(3):
                q[:, d] += 0.02 * strength * k[d, j, 0] * np.sin(freq[j] * np.pi * q[:, 1 - d] + ph[d, j])
        q += rng.normal(0, 0.004 * strength, q.shape)
        out.append(q)
    return out


def symbol_strokes(label: str, rng: np.random.Generator, strength: float = 1.0,
                   scale: float = 100.0, origin=(0.0, 0.0), t0: float = 0.0) -> list[Stroke]:
    """Strokes of one synthetic symbol, digit height ``scale``, placed at ``origin``."""
    parts = [_resample(p) for p in _templates(label, rng)]
    parts = distort(parts, rng, strength)
    strokes = []
    t = t0
    for p in parts:
        pressure = np.clip(0.8 + 0.2 * np.sin(np.linspace(0, np.pi, len(p))) + rng.normal(0, 0.05, len(p)),
                           0.2, 1.0)
        pts = []
        for (x, y), pr in zip(p, pressure):
            pts.append(Point(float(origin[0] + x * scale), float(origin[1] + y * scale), t, float(pr)))
            t += 0.01
        strokes.append(Stroke(pts))
        t += 0.15
    return strokes


def shift_strokes(strokes: list[Stroke], dx: float, dy: float, k: float = 1.0) -> list[Stroke]:
    """Scale by ``k`` about the origin, then shift."""
    return [Stroke([Point(p.x * k + dx, p.y * k + dy, p.t, p.pressure) for p in s.points]) for s in strokes]


def synth_line(text: str, rng: np.random.Generator, height: float = 100.0, strength: float = 1.0,
               digit_ink=None):
    """Write ``text`` as one line of ink.

    Returns ``(strokes, truth)`` where truth holds, per symbol, ``(label, stroke_ids, box)``.
    ``digit_ink(label, rng)`` may supply real digit strokes (normalised to height 1, y down).
    """
    strokes: list[Stroke] = []
    truth = []
    x = 0.0
    for ch in text:
        if ch == " ":
            x += 0.3 * height
            continue
        label = {"*": "\u00d7", "x": "\u00d7"}.get(ch, ch)
        if digit_ink is not None and label.isdigit():
            sym = shift_strokes(digit_ink(label, rng), 0.0, 0.0, height)
        else:
            sym = symbol_strokes(label, rng, strength, scale=height)
        bx = _bbox(sym)
        jitter_y = rng.normal(0, 0.03 * height)
        sym = shift_strokes(sym, x - bx[0], jitter_y)
        ids = list(range(len(strokes), len(strokes) + len(sym)))
        strokes.extend(sym)
        box = _bbox(sym)
        truth.append((label, ids, box))
        gap = rng.uniform(0.15, 0.35) * height
        x = box[0] + box[2] + gap
    return strokes, truth


def _bbox(strokes):
    a = np.concatenate([s.xy() for s in strokes])
    x0, y0 = a.min(axis=0)
    x1, y1 = a.max(axis=0)
    return (float(x0), float(y0), float(x1 - x0), float(y1 - y0))


def pendigit_strokes(values, smooth: int = 6) -> list[Stroke]:
    """A UCI pendigits sample (8 (x, y) points, 0-100, y up) as one smooth stroke of height 1.

    The 8 points are joined by a Catmull-Rom spline so the rendered digit is not a polygon.
    """
    p = np.asarray(values, dtype=float).reshape(8, 2)
    p[:, 1] = 100.0 - p[:, 1]  # y up -> y down
    ext = np.vstack([2 * p[0] - p[1], p, 2 * p[-1] - p[-2]])
    out = []
    for i in range(1, len(ext) - 2):
        p0, p1, p2, p3 = ext[i - 1], ext[i], ext[i + 1], ext[i + 2]
        for t in np.linspace(0, 1, smooth, endpoint=False):
            t2, t3 = t * t, t * t * t
            out.append(0.5 * ((2 * p1) + (-p0 + p2) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t2
                              + (-p0 + 3 * p1 - 3 * p2 + p3) * t3))
    out.append(p[-1])
    a = np.array(out)
    h = max(a[:, 1].max() - a[:, 1].min(), 1e-6)
    a = (a - a.min(axis=0)) / h
    return [Stroke.from_xy(a)]
