"""Real writers' ink from CROHME (``../shared/data/crohme_ink``), split by writer.

Every figure that claims to hold for new writers must come from writers the recognizer never
saw, so the split is by the ``writer`` field, never by sample, and it is fixed: a writer group
is held out when the first byte of SHA-256 of its name is below ``HELD_OUT_SHARE`` x 256
(about 20% of the 261 groups). Training reads only the other writers.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from calcapp.ink.strokes import Point, Stroke

HELD_OUT_SHARE = 0.2
# CROHME labels of the calculator's classes -> the recognizer's labels
CALC = {**{str(d): str(d) for d in range(10)}, "+": "+", "-": "-", "\\times": "\u00d7",
        "\\div": "\u00f7", "/": "/", "(": "(", ")": ")", ".": ".", "=": "="}
MAX_LINES = 20000  # the file holds 5,616; a bigger one is not this data set
DOTS = (".", "\u00b7", ".?")  # decimal point, multiplication dot, a dot the truth does not settle


def lines_path(root) -> Path:
    return Path(root) / "crohme_ink" / "lines.jsonl.gz"


def held_out(writer: str) -> bool:
    """Whether a writer group belongs to the evaluation side of the fixed split."""
    return hashlib.sha256(writer.encode("utf-8")).digest()[0] < int(HELD_OUT_SHARE * 256)


def validation_writer(writer: str) -> bool:
    """Training-side writers kept out of fitting the pen view and the piece network, so their
    settings are chosen on writers those networks never saw (sha256[0] in [51, 77))."""
    return not held_out(writer) and 51 <= hashlib.sha256(writer.encode("utf-8")).digest()[0] < 77


@dataclass
class Sym:
    label: str  # the recognizer's label (calculator classes) or CROHME's own
    strokes: list[Stroke]
    box: tuple[float, float, float, float]


@dataclass
class Expression:
    id: str
    writer: str
    symbols: list[Sym]
    height: float  # typical height of the expression's letters and digits
    truth: str = ""  # the file's truth LaTeX


def _stroke(points) -> Stroke:
    return Stroke([Point(float(x), float(y)) for x, y in points])


def _box(strokes: list[Stroke]) -> tuple[float, float, float, float]:
    a = np.concatenate([s.xy() for s in strokes])
    x0, y0 = a.min(axis=0)
    x1, y1 = a.max(axis=0)
    return (float(x0), float(y0), float(x1 - x0), float(y1 - y0))


def _height(syms: list[Sym]) -> float:
    """Median height of one-character letters and digits: the size a line of them has."""
    hs = [s.box[3] for s in syms if len(s.label) == 1 and s.label.isalnum() and s.label not in "1"]
    if not hs:
        hs = [max(s.box[2], s.box[3]) for s in syms]
    return float(max(np.median(hs), 1e-6))


def read_expressions(root, side: str = "test"):
    """Expressions of the held-out writers (``side="test"``), the others (``"train"``) or all."""
    path = lines_path(root)
    if not path.is_file():
        return
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for n, line in enumerate(fh):
            if n >= MAX_LINES:
                break
            e = json.loads(line)
            if side != "all" and held_out(e["writer"]) != (side == "test"):
                continue
            strokes = [_stroke(s) for s in e["strokes"]]
            syms = []
            for s in e["symbols"]:
                ink = [strokes[i] for i in s["strokes"] if 0 <= i < len(strokes) and strokes[i].points]
                if ink:
                    syms.append(Sym(CALC.get(s["label"], s["label"]), ink, _box(ink)))
            if syms:
                _settle_dots(syms, e.get("truth") or "")
                yield Expression(e["id"], e["writer"], syms, _height(syms), str(e.get("truth") or ""))


def _settle_dots(syms: list[Sym], truth: str) -> None:
    """CROHME labels a decimal point and a multiplication dot (``\\cdot``) both '.'; the truth
    LaTeX tells them apart when it holds only one kind."""
    cdot = "\\cdot" in truth
    decimal = re.search(r"\d\s*\.\s*\d", truth) is not None
    kind = "\u00b7" if cdot and not decimal else "." if decimal and not cdot else ".?"
    for s in syms:
        if s.label == ".":
            s.label = kind


def calculator_symbols(root, side: str = "test"):
    """(label, strokes, expression height, writer) of every calculator-class symbol."""
    for e in read_expressions(root, side):
        for s in e.symbols:
            if s.label in CALC.values() or s.label in DOTS:
                yield s.label, s.strokes, e.height, e.writer
