"""Digital ink: points, strokes, and a plain JSON form.

The canvas, InkML files and the synthetic-ink generator all produce these, so the
segmenter and the recognizer only ever see one shape of data. Coordinates follow the
canvas: x to the right, y DOWN, any scale.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np


@dataclass
class Point:
    x: float
    y: float
    t: float = 0.0
    pressure: float = 1.0


@dataclass
class Stroke:
    """One pen-down to pen-up trace. A stroke is made whole and never edited (the canvas and
    every reader make new strokes), so its array and box are worked out once: a pen-up re-reads
    the whole line, and the decoder asks for the same strokes' boxes thousands of times."""

    points: list[Point] = field(default_factory=list)

    def xy(self) -> np.ndarray:
        """The points as an (n, 2) float array (read-only: it is shared)."""
        return self._shape()[0]

    def bbox(self) -> tuple[float, float, float, float]:
        """(x, y, w, h) of the points."""
        return self._shape()[1]

    def _shape(self):
        key = (id(self.points), len(self.points))  # a list swapped in or grown is worked out again
        kept = self.__dict__.get("_kept")
        if kept is None or kept[0] != key:
            a = np.array([(p.x, p.y) for p in self.points], dtype=np.float64).reshape(-1, 2)
            a.flags.writeable = False
            if len(a):
                (x0, y0), (x1, y1) = a.min(axis=0), a.max(axis=0)
                box = (float(x0), float(y0), float(x1) - float(x0), float(y1) - float(y0))  # inf past 1e308, no warning
            else:
                box = (0.0, 0.0, 0.0, 0.0)
            kept = self.__dict__["_kept"] = (key, a, box)
        return kept[1], kept[2]

    @classmethod
    def from_xy(cls, xy: Iterable[Iterable[float]], t0: float = 0.0, dt: float = 0.01) -> "Stroke":
        return cls([Point(float(x), float(y), t0 + i * dt) for i, (x, y) in enumerate(xy)])


def strokes_bbox(strokes: list[Stroke]) -> tuple[float, float, float, float]:
    pts = [s.xy() for s in strokes if s.points]
    if not pts:
        return (0.0, 0.0, 0.0, 0.0)
    a = np.concatenate(pts)
    x0, y0 = a.min(axis=0)
    x1, y1 = a.max(axis=0)
    return (float(x0), float(y0), float(x1 - x0), float(y1 - y0))


class InkFormatError(ValueError):
    """An ink file that cannot be read; the message says why."""


# Caps on one reading. A long handwritten line has a few hundred strokes of some dozens of
# points each; reading costs time in proportion, so these bound it to seconds.
MAX_STROKES = 1_000
MAX_POINTS = 200_000
MAX_INK_BYTES = 32 << 20  # an ink file (JSON or InkML) is read whole, so it is capped first


def check_ink_size(strokes: int, points: int) -> None:
    """InkFormatError when ``strokes`` or ``points`` exceed what one reading takes."""
    if strokes > MAX_STROKES:
        raise InkFormatError(f"the ink has {strokes:,} strokes; one reading takes at most {MAX_STROKES:,}")
    if points > MAX_POINTS:
        raise InkFormatError(f"the ink has {points:,} points; one reading takes at most {MAX_POINTS:,}")


def read_ink_text(path) -> str:
    """An ink file's text, refused (InkFormatError) if larger than ``MAX_INK_BYTES``."""
    path = Path(path)
    size = path.stat().st_size
    if size > MAX_INK_BYTES:
        raise InkFormatError(f"the file has {size:,} bytes; an ink file has at most {MAX_INK_BYTES:,}")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InkFormatError("not UTF-8 text") from None


def ink_to_dict(strokes: list[Stroke]) -> dict:
    return {
        "format": "calcapp-ink",
        "version": 1,
        "strokes": [[[p.x, p.y, p.t, p.pressure] for p in s.points] for s in strokes],
    }


def ink_from_dict(data) -> list[Stroke]:
    """Accepts ``{"strokes": [[[x, y, (t, (p))], ...], ...]}`` or a bare list of strokes;
    a point may also be ``{"x":..,"y":..,"t":..,"pressure":..}``."""
    raw = data.get("strokes") if isinstance(data, dict) else data
    if not isinstance(raw, list):
        raise InkFormatError("ink JSON needs a 'strokes' list")
    check_ink_size(len(raw), 0)
    strokes, points = [], 0
    for si, s in enumerate(raw):
        if isinstance(s, dict):
            s = s.get("points", [])
        if not isinstance(s, list):
            raise InkFormatError(f"stroke {si} is not a list of points")
        pts = []
        for p in s:
            try:
                if isinstance(p, dict):
                    pts.append(Point(float(p["x"]), float(p["y"]), float(p.get("t", 0.0)),
                                     float(p.get("pressure", 1.0))))
                else:
                    vals = [float(v) for v in p]
                    if len(vals) < 2:
                        raise ValueError
                    pts.append(Point(*vals[:4]))
            except (KeyError, TypeError, ValueError, OverflowError):
                raise InkFormatError(f"stroke {si} has a bad point: {repr(p)[:60]}") from None
        points += len(pts)
        check_ink_size(len(raw), points)
        if not all(np.isfinite([q.x, q.y]).all() for q in pts):
            raise InkFormatError(f"stroke {si} has a non-finite coordinate")
        strokes.append(Stroke(pts))
    return strokes


def ink_to_json(strokes: list[Stroke]) -> str:
    return json.dumps(ink_to_dict(strokes))


def ink_from_json(text: str) -> list[Stroke]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InkFormatError(f"not JSON: {exc.msg} at line {exc.lineno}") from None
    except RecursionError:
        raise InkFormatError("not ink: the JSON is nested too deeply") from None
    return ink_from_dict(data)


def save_ink_json(path, strokes: list[Stroke]) -> None:
    Path(path).write_text(ink_to_json(strokes), encoding="utf-8")


def load_ink_json(path) -> list[Stroke]:
    return ink_from_json(read_ink_text(path))
