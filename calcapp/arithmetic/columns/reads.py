"""The read map of one step of the general model's working: which of the step's input
digits the cell that wrote each digit read, and how sure that cell was.

This is the honest counterpart of attention for a model that has none: nothing here is
learned or estimated, it is the record of the cell calls the procedure made
(``Columns(record=True)``). A digit's row marks the input characters its cell read (1), or
reached through another cell's answer in the same step (``THROUGH``), such as a partial
product summed into a long multiplication's result. A carry or borrow read from the
column before has a column of its own and is not followed further (or every digit would
read every digit to its right). ``occlusion`` is the sensitivity map beside it: how far
the cell's probability for the digit it wrote falls when one field it read is blanked
(its one-hot set to zeros), spread to the characters that field came from.
"""

from __future__ import annotations

import numpy as np

from calcapp.arithmetic.columns.cells import CELLS, numpy_forward, one_hot
from calcapp.arithmetic.step_maps import READS, StepMap

THROUGH = 0.5  # a digit reached through another cell's answer in this step
CARRY = "carry"  # the label of the carry/borrow column
TITLE = "which input digits this step's cells read (a record, not a learned attention)"
NOTE = ("rows: the digits this step wrote; columns: its input. 1: read by the cell that "
        "wrote the digit; 0.5: reached through another cell's answer in this step; "
        "'carry': the carry or borrow from the column before")


def _layout(parts: list) -> tuple[list[str], dict, list]:
    """The characters of a list of parts (see ``procedure.Worker.note``), where each
    number's digits sit ((id(digits), place) -> char index), and per character the
    source of the digit written there (None for a sign, a point, a zero for a place)."""
    chars, where, sources = [], {}, []
    for part in parts:
        if isinstance(part, str):
            chars += list(part)
            sources += [None] * len(part)
            continue
        text, digits = part[0], part[1]
        only = part[2] if len(part) > 2 else None  # one digit of the number, at this place
        place = sum(ch.isdigit() for ch in text)  # digits are read from the right
        for ch in text:
            src = None
            if ch.isdigit():
                place -= 1
                pos = place if only is None else only
                if pos < len(digits.d):
                    where[(id(digits), pos)] = len(chars)
                    by = digits.by
                    src = by[pos] if by is not None and pos < len(by) else None
            chars.append(ch)
            sources.append(src)
    return chars, where, sources


class _Reach:
    """Which input characters a value reached, following cells' answers within a step
    (memoised: a long division's result reaches back through every row)."""

    def __init__(self, where: dict):
        self.where = where
        self.memo: dict[int, dict[int, float]] = {}

    def __call__(self, src, weight: float = 1.0) -> dict[int, float]:
        while src is not None and src[0] == "d":  # a digit of a number: on the line, or copied
            col = self.where.get((id(src[1]), src[2]))
            if col is not None:
                return {col: weight}
            by = src[1].by
            src = by[src[2]] if by is not None and src[2] < len(by) else None
        if src is None or src[2] == 1:  # a constant, or a carry: not followed
            return {}
        call = src[1]
        got = self.memo.get(id(call))
        if got is None:
            got = self.memo[id(call)] = {}
            for read in call.reads:
                for col, w in self(read, THROUGH).items():
                    got[col] = max(got.get(col, 0.0), w)
        return got


def _is_carry(src) -> bool:
    return src is not None and src[0] == "c" and src[2] == 1


def describe(call, head: int) -> str:
    """A cell call in words: what it read, what it answered, how sure it was."""
    f, a = call.fields, call.answer
    p = a[2 * head + 1]
    if call.cell == "quo":
        return f"quo {f[0]}{f[1]}{f[2]}\u00f7{f[3]}{f[4]} \u2192 {a[0]}  (p {p:.3f})"
    op, then, extra = {"add": ("+", "+", "carry"), "sub": ("\u2212", "\u2212", "borrow"),
                       "mul": ("\u00d7", "+", "carry")}[call.cell]
    which = f"; this digit is its {extra}" if head else ""
    return (f"{call.cell} {f[0]}{op}{f[1]}{then}{extra} {f[2]} \u2192 {a[0]}, {extra} {a[2]}"
            f"  (p {p:.3f}{which})")


def occlusion_drops(weights: dict, call, head: int) -> list[float]:
    """Per field the cell read: how far its probability for what it wrote falls when that
    field is blanked (its one-hot all zeros)."""
    widths = CELLS[call.cell][0]
    rows = np.array([call.fields], dtype=np.int64)
    x = np.repeat(one_hot(call.cell, rows), len(widths) + 1, axis=0)
    start = 0
    for f, w in enumerate(widths):
        x[f + 1, start:start + w] = 0.0
        start += w
    probs = numpy_forward(weights, call.cell, x)[head]
    wrote = int(call.answer[2 * head])
    return [max(0.0, float(probs[0, wrote] - probs[f + 1, wrote])) for f in range(len(widths))]


def step_map(index: int, step: str, note: tuple[list, list], weights: dict | None) -> StepMap:
    """The read map (and, with the cells' ``weights``, the occlusion map) of one step."""
    inputs, outputs = note
    chars, where, _ = _layout(inputs)
    out_chars, _, out_sources = _layout(outputs)
    reach = _Reach(where)
    rows = [(ch, src) for ch, src in zip(out_chars, out_sources) if ch.isdigit()]
    carry_col = len(chars)
    values = np.zeros((len(rows), len(chars) + 1))
    occl = np.zeros_like(values)
    conf, cells = [], []
    for r, (_, src) in enumerate(rows):
        if src is None or src[0] != "c":
            for col, w in reach(src).items():  # a copy of an input digit
                values[r, col] = w
            conf.append(1.0)
            cells.append("written by the procedure (a zero for its place, or a copy)")
            continue
        call, head = src[1], src[2]
        drops = occlusion_drops(weights, call, head) if weights is not None else None
        for f, read in enumerate(call.reads):
            marks = {carry_col: 1.0} if _is_carry(read) else reach(read)
            for col, w in marks.items():
                values[r, col] = max(values[r, col], w)
                if drops is not None:
                    occl[r, col] = max(occl[r, col], drops[f])
        conf.append(float(call.answer[2 * head + 1]))
        cells.append(describe(call, head))
    if not values[:, carry_col].any():
        values, occl = values[:, :-1], occl[:, :-1]
    else:
        chars = chars + [CARRY]
    return StepMap(index, step, READS, TITLE, NOTE, chars, [ch for ch, _ in rows], values,
                   conf, occl if weights is not None else None, cells)
