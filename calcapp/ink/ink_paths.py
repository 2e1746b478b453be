"""Cuts that follow the ink: where two touching symbols have no column between them.

Digits written into each other, a '(' leaning on the digit after it, a minus run into the next
digit: one connected component, and every vertical column through the pair may cross both
symbols. A cut that bends can still part them where they only touch. ``ink_paths`` finds the
cheapest path from a component's top row to its bottom row (one pixel a row, moving at most one
column a row), paying for each ink pixel it crosses and a little for each bend, in a corridor
around a candidate place ("drop-fall" segmentation). A clean digit has cheap cuts of its own (a
'0' parts into two arcs), so a path is only a *candidate*: the line decoder reads the component
whole or cut and lets the grammar and the recognizer choose.
"""

from __future__ import annotations

import numpy as np

BEND = 0.15  # cost of moving one column between rows, in ink pixels: prefer straight cuts
CORRIDOR = 0.3  # a path stays this far (x line height) either side of its candidate place
WINDOW = 0.12  # ... and starts this close to it
END_WINDOW = 0.3  # ... and ends this close (wider: a cut between slanted symbols leans with them)
PATH_NECK = 1.6  # a path crosses at most this many stroke widths of ink
ENTER = 3.0  # cost of entering ink from the background, in ink pixels: cross few strokes
CROSSINGS = 1  # ... and a path enters ink at most this often: two symbols touch at one place;
#                a clean '0' or '8' parts only where a path crosses two strokes


def component_mask(pix: np.ndarray) -> np.ndarray:
    """A component's pixels as a tight boolean image."""
    y0, x0 = pix.min(axis=0)
    y1, x1 = pix.max(axis=0) + 1
    m = np.zeros((y1 - y0, x1 - x0), dtype=bool)
    m[pix[:, 0] - y0, pix[:, 1] - x0] = True
    return m


def ink_paths(masks: list[np.ndarray], centres: list, corridor: int, window: int,
              end_window: int | None = None) -> list[list]:
    """For each mask and each of its centres, (ink pixels crossed, path): ``path[y]`` is the
    column the cut takes in row ``y`` (pixels left of it go left, the rest right), starting and
    ending within ``window`` (``end_window``) of its centre, staying within ``corridor``; the cheapest by ink
    crossed plus ``BEND`` per column moved and ``ENTER`` each time it enters ink; only paths that
    enter ink at most ``CROSSINGS`` times. Every path of a line in one pass over the rows."""
    owner = np.array([i for i, cs in enumerate(centres) for _ in cs], dtype=np.int64)
    if not len(owner):
        return [[] for _ in masks]
    cen = np.concatenate([np.asarray(cs, dtype=np.int64) for cs in centres])
    rows = np.array([m.shape[0] for m in masks])[owner]
    offs = np.arange(-corridor, corridor + 1)
    cols = cen[:, None] + offs[None, :]  # (paths, span)
    width = np.array([m.shape[1] for m in masks])[owner]
    valid = (cols >= 0) & (cols < width[:, None])
    ink = np.zeros((int(rows.max()), len(cen), len(offs)))
    for i, m in enumerate(masks):
        n = np.nonzero(owner == i)[0]
        if len(n):
            ink[:m.shape[0], n] = np.where(valid[n], m[:, np.clip(cols[n], 0, m.shape[1] - 1)], False)
    barrier = np.where(valid, 0.0, np.inf)
    ends = np.where(np.abs(offs) <= window, 0.0, np.inf)[None, :]
    cost = ends + barrier + ink[0] * (1 + ENTER)
    final = np.where((rows == 1)[:, None], cost, np.inf)
    step = np.zeros(ink.shape, dtype=np.int8)
    pad = np.full((len(cen), 1), np.inf)
    zero = np.zeros((len(cen), 1))
    for y in range(1, ink.shape[0]):
        blank = ENTER * (1.0 - ink[y - 1])  # entering ink at row y from a blank pixel above
        enter = ink[y][None] * np.stack((np.concatenate((zero, blank[:, :-1]), 1), blank,
                                         np.concatenate((blank[:, 1:], zero), 1)))
        stack = np.stack((np.concatenate((pad, cost[:, :-1]), 1) + BEND, cost,
                          np.concatenate((cost[:, 1:], pad), 1) + BEND)) + enter
        pick = np.argmin(stack, axis=0)
        step[y] = pick - 1
        cost = np.take_along_axis(stack, pick[None], 0)[0] + ink[y] + barrier
        last = rows == y + 1
        final[last] = cost[last]
    end_window = window if end_window is None else end_window
    final = final + np.where(np.abs(offs) <= end_window, 0.0, np.inf)[None, :]
    j = np.argmin(final, axis=1)
    total = final[np.arange(len(cen)), j]
    crossed = np.zeros(len(cen))
    entries = np.zeros(len(cen))
    below = np.zeros(len(cen))  # ink on the path in the row below
    path = np.zeros((len(cen), ink.shape[0]), dtype=np.int64)
    for y in range(ink.shape[0] - 1, -1, -1):
        live = rows > y  # a path runs through its own mask's rows only
        here = np.where(live, ink[y, np.arange(len(cen)), j], 0.0)
        path[live, y] = cols[live, j[live]]
        crossed += here
        entries += below * (1.0 - here)  # the ink below was entered from this blank pixel
        below = here
        j = np.where(live, j + step[y, np.arange(len(cen)), j], j)
    entries += below  # ink in the top row
    out: list[list] = [[] for _ in masks]
    for n in range(len(cen)):
        if np.isfinite(total[n]) and entries[n] <= CROSSINGS:
            out[owner[n]].append((float(crossed[n]), path[n, :rows[n]]))
    return out


def side_of(pix: np.ndarray, paths: list[np.ndarray], y0: int, x0: int) -> np.ndarray:
    """For each pixel, how many of the (non-crossing) paths lie at or left of it: its piece."""
    k = np.zeros(len(pix), dtype=np.int64)
    for p in paths:
        k += (pix[:, 1] - x0) >= p[pix[:, 0] - y0]
    return k


def path_candidates(pixes: list[np.ndarray], height: float, stroke: float, centres: list) -> list[list]:
    """For each component, (ink crossed in stroke widths, path) of the cheapest path around each
    of its candidate places, those crossing at most ``PATH_NECK`` stroke widths, cheapest first."""
    masks = [component_mask(p) for p in pixes]
    found = ink_paths(masks, centres, max(2, int(CORRIDOR * height)), max(1, int(WINDOW * height)),
                      max(1, int(END_WINDOW * height)))
    out = []
    for paths in found:
        keep = [(c / max(stroke, 1.0), p) for c, p in paths if c / max(stroke, 1.0) <= PATH_NECK]
        out.append(sorted(keep, key=lambda t: t[0]))
    return out
