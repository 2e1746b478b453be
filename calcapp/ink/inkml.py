"""InkML (W3C) read/write, the format of pen software and of CROHME.

Reading handles what real files use: ``<trace>`` elements of comma-separated points, each
point ``x y`` followed by optional channels named by ``<traceFormat>`` (T for time,
F for force/pressure), and an optional ``annotation type="truth"``. Explicit-value form
only: the rarely used difference encodings (``'`` and ``"`` prefixes) are rejected with a
clear message rather than misread.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from pathlib import Path

from calcapp.ink.strokes import InkFormatError, Point, Stroke, check_ink_size, read_ink_text

NS = "http://www.w3.org/2003/InkML"
MAX_CHARS = 50_000_000


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _channels(root: ET.Element) -> list[str]:
    for el in root.iter():
        if _local(el.tag) == "traceFormat":
            names = [c.get("name", "").upper() for c in el if _local(c.tag) == "channel"]
            if names:
                return names
    return ["X", "Y", "T", "F"]


def parse_inkml(text: str) -> tuple[list[Stroke], str | None]:
    """Strokes and the ``truth`` annotation (or ``None``) of an InkML document.

    A DTD can define entities that expand without bound or reach outside the file, and no
    pen software writes one into InkML, so a document that declares one is refused."""
    if len(text) > MAX_CHARS:
        raise InkFormatError(f"not InkML: larger than {MAX_CHARS // 1_000_000} MB")
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise InkFormatError("InkML with a DTD or entities is refused")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise InkFormatError(f"not InkML: {exc}") from None
    if _local(root.tag) != "ink":
        raise InkFormatError(f"not InkML: root element is <{_local(root.tag)}>, not <ink>")
    chans = _channels(root)
    truth = None
    for el in root:
        if _local(el.tag) == "annotation" and el.get("type") == "truth":
            truth = (el.text or "").strip() or None
    strokes, points = [], 0
    for n, el in enumerate(e for e in root.iter() if _local(e.tag) == "trace"):
        pts = []
        for chunk in (el.text or "").split(","):
            chunk = chunk.strip()
            if not chunk:
                continue
            if chunk[0] in "'\"!":
                raise InkFormatError(f"trace {n}: difference-encoded InkML is not supported")
            try:
                vals = [float(v) for v in chunk.split()]
            except ValueError:
                raise InkFormatError(f"trace {n}: bad point {chunk[:40]!r}") from None
            if len(vals) < 2:
                raise InkFormatError(f"trace {n}: a point needs x and y, got {chunk[:40]!r}")
            if not all(math.isfinite(v) for v in vals[:2]):
                raise InkFormatError(f"trace {n}: a coordinate is not a finite number: {chunk[:40]!r}")
            named = dict(zip(chans, vals))
            x = named.get("X", vals[0])
            y = named.get("Y", vals[1])
            pts.append(Point(x, y, named.get("T", 0.0), named.get("F", 1.0)))
        if pts:
            strokes.append(Stroke(pts))
            points += len(pts)
            check_ink_size(len(strokes), points)
    return strokes, truth


def inkml_string(strokes: list[Stroke], truth: str | None = None) -> str:
    root = ET.Element("ink", xmlns=NS)
    fmt = ET.SubElement(root, "traceFormat")
    for name in ("X", "Y", "T", "F"):
        ET.SubElement(fmt, "channel", name=name, type="decimal")
    if truth is not None:
        ann = ET.SubElement(root, "annotation", type="truth")
        ann.text = truth
    for i, s in enumerate(strokes):
        tr = ET.SubElement(root, "trace", id=str(i))
        tr.text = ", ".join(f"{p.x:g} {p.y:g} {p.t:g} {p.pressure:g}" for p in s.points)
    return ET.tostring(root, encoding="unicode")


def load_inkml(path) -> list[Stroke]:
    try:
        text = read_ink_text(path)
    except InkFormatError as exc:
        raise InkFormatError(f"not InkML: {exc}") from None
    return parse_inkml(text)[0]


def save_inkml(path, strokes: list[Stroke], truth: str | None = None) -> None:
    Path(path).write_text('<?xml version="1.0" encoding="UTF-8"?>\n' + inkml_string(strokes, truth),
                          encoding="utf-8")
