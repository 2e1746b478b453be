"""Where the canvas draws each symbol's tag: pure geometry, kept apart from the widget."""

from __future__ import annotations

from PySide6.QtCore import QRectF


def place_labels(boxes: list[tuple], sizes: list[tuple[float, float]],
                 bounds: QRectF | None = None) -> list[QRectF]:
    """Rectangles for tags of ``sizes`` (w, h) over symbol ``boxes`` (x, y, w, h): each
    starts at its box's left edge on the first row that overlaps no tag placed before it,
    trying above the box, below it, then further above. With ``bounds`` (the canvas), rows
    that would leave it are skipped and a tag is slid sideways to stay in it, so the tag of a
    symbol at an edge is still seen."""
    placed: list[QRectF] = []
    for (x, y, w, h), (tw, th) in zip(boxes, sizes):
        rows = [y - 4 - th - 1, y + h + 5]
        rows += [y - 4 - (k + 1) * (th + 1) for k in range(1, 6)]
        rows += [y + h + 5 + k * (th + 1) for k in range(1, 6)]
        left = x - 4
        if bounds is not None:
            left = max(bounds.left(), min(left, bounds.right() - tw))
            inside = [top for top in rows if bounds.top() <= top <= bounds.bottom() - th]
            rows = inside or [max(bounds.top(), min(rows[0], bounds.bottom() - th))]
        rect = QRectF(left, rows[0], tw, th)
        for top in rows:
            candidate = QRectF(left, top, tw, th)
            if not any(candidate.intersects(other) for other in placed):
                rect = candidate
                break
        placed.append(rect)
    return placed
