"""The user's hand, remembered: corrected symbols kept as a small nearest-neighbour memory.

Why beside the fine-tune (``personal.fine_tune``): that one needs TensorFlow and minutes, and
only learns the picture view. The memory acts from the first correction, costs no training and
belongs to one user. Each correction is stored as the recognizer's own inputs (the 28x28 picture
and the pen features, drawn at the line's height), not as embeddings, so it survives a model
upgrade: the reading recognizer embeds them with its penultimate layers. A symbol being read
looks up its nearest remembered symbols; their labels, weighted by closeness, multiply into the
network's probabilities (a product of experts, like the two views). Far from every remembered
symbol the vote is flat and changes nothing. Figures: benchmarks/results/handwriting.md.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from calcapp.paths import data_home, set_aside

FILE_NAME = "memory.npz"
MAX_PER_CLASS = 40  # the newest corrections of a class win; older ones are dropped
MAX_CLASSES = 32
SIZE_INDEX = 158  # trajectory.features: log(symbol size / line height)


@dataclass(frozen=True)
class MemoryParams:
    """How strongly the memory speaks (chosen on validation writers, never the held-out ones)."""
    tau: float = 0.03  # closeness scale: squared embedding distance at which a vote falls to 1/e
    weight: float = 3.0  # exponent of the memory's vote in the product with the network
    eps: float = 0.003  # vote every class gets, so a far memory is flat
    neighbours: int = 5
    size_weight: float = 3.0  # how much the symbol's size in its line counts beside its shape


ALIASES = {"\u00b7": ".", "\u2212": "-", "*": "\u00d7", "x": "\u00d7"}  # as typed in a retype


def _label(label: str) -> str:
    """The recognizer's label for a correction (``*`` and ``x`` are ×, ``·`` the one dot class)."""
    from calcapp.ink.synth import LABELS

    label = ALIASES.get(label, label)
    if label not in LABELS:
        raise ValueError(f"{label!r} is not a symbol the recognizer knows")
    return label


def symbol_inputs(strokes, line=None, line_h: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The picture and pen features of one symbol, drawn as the reader draws it: at its line's
    height (``line_h`` when known, else measured from ``line``, all the ink around it) and,
    on a sloping ``line``, from its strokes moved level (``ink.level.levelled_line``)."""
    from calcapp.handwriting.trajectory import features
    from calcapp.ink.imagenorm import normalise_strokes
    from calcapp.ink.level import levelled_line

    strokes = [s for s in strokes if s.points]
    if not strokes:
        raise ValueError("the sample holds no ink")
    h = float(line_h or 0.0)
    if line and not h:
        line = list(line)
        level, _, slope, h = levelled_line(line)
        if slope:  # the symbol's strokes are the line's own (the canvas's): use them moved
            moved = {id(a): b for a, b in zip(line, level)}
            strokes = [moved.get(id(s), s) for s in strokes]
    if not h:
        xy = np.concatenate([s.xy() for s in strokes])
        h = float(max(np.ptp(xy, axis=0).max(), 1e-6))
    return normalise_strokes(strokes, h), features(strokes, h)


class PersonalMemory:
    """Corrections in ``data_home()/personal/memory.npz`` (written whole, atomically)."""

    def __init__(self, root: Path | None = None, params: MemoryParams | None = None):
        self.root = Path(root) if root is not None else data_home() / "personal"
        self.params = params or MemoryParams()

    @property
    def path(self) -> Path:
        return self.root / FILE_NAME

    def stamp(self):
        """Changes whenever the memory does (the reader re-embeds then)."""
        try:
            st = self.path.stat()
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size)

    def load(self) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """(images N x 28 x 28, pen features N x F, labels); empty when there is none or it is unreadable."""
        got = self._read()
        return got if got is not None else _empty()

    def _read(self):
        """The memory as ``load`` gives it, or ``None`` when there is none or it is unreadable."""
        try:
            with np.load(self.path, allow_pickle=False) as z:
                images = z["images"].astype(np.float32)
                pens = z["pens"].astype(np.float32)
                labels = [str(v) for v in z["labels"]]
        except (OSError, KeyError, ValueError, EOFError):
            return None
        cap = MAX_PER_CLASS * MAX_CLASSES
        if images.shape[1:] != (28, 28) or not len(images) == len(pens) == len(labels) or len(labels) > cap:
            return None
        return images, pens, labels

    def add(self, strokes, label: str, line=None, line_h: float | None = None) -> int:
        """Remember one corrected symbol (its strokes, the right label, the line it stands in).
        A memory file this version cannot read or use is renamed aside, never overwritten."""
        label = _label(label)
        image, pen = symbol_inputs(strokes, line, line_h)
        got = self._read()
        if got is None and self.path.exists():
            set_aside(self.path, "unreadable")
        images, pens, labels = got if got is not None else _empty()
        if len(labels) and pens.shape[1] != len(pen):  # remembered by a version with another pen view
            set_aside(self.path, "older")
            images, pens, labels = images[:0], np.zeros((0, len(pen)), np.float32), []
        images = np.concatenate([images, image[None]]) if len(labels) else image[None]
        pens = np.concatenate([pens, pen[None]]) if len(labels) else pen[None]
        labels = labels + [label]
        keep = _newest_per_class(labels)
        self._save(images[keep], pens[keep], [labels[i] for i in keep])
        return len(keep)

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)

    def _save(self, images, pens, labels) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(suffix=".npz.tmp", dir=self.root)
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez_compressed(fh, images=images.astype(np.float16), pens=pens.astype(np.float32),
                                    labels=np.array(labels, dtype="<U8"))
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def _empty():
    return np.zeros((0, 28, 28), np.float32), np.zeros((0, 0), np.float32), []


def _newest_per_class(labels: list[str]) -> list[int]:
    """Indices to keep: the newest ``MAX_PER_CLASS`` of each class, in their order."""
    seen: dict[str, int] = {}
    keep = []
    for i in range(len(labels) - 1, -1, -1):
        seen[labels[i]] = seen.get(labels[i], 0) + 1
        if seen[labels[i]] <= MAX_PER_CLASS and len(seen) <= MAX_CLASSES:
            keep.append(i)
    return keep[::-1]


def embed(hidden_image: np.ndarray, hidden_pen: np.ndarray | None, pens: np.ndarray | None,
          params: MemoryParams) -> np.ndarray:
    """Where a symbol sits for the memory: both views' penultimate layers (unit length) and its size."""
    def unit(x):
        return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-9)

    if hidden_pen is None or pens is None:
        return unit(hidden_image)
    size = pens[:, SIZE_INDEX:SIZE_INDEX + 1] / 4.0
    return np.hstack([unit(hidden_image) / np.sqrt(2), unit(hidden_pen) / np.sqrt(2),
                      params.size_weight * size]).astype(np.float32)


def personalise(p: np.ndarray, queries: np.ndarray, keys: np.ndarray, key_labels: np.ndarray,
                params: MemoryParams, key_sq: np.ndarray | None = None) -> np.ndarray:
    """The network's probabilities ``p`` times the memory's vote (see the module docstring).
    ``key_sq``: the keys' squared lengths, when the caller keeps them."""
    if len(key_labels) == 0 or len(p) == 0:
        return p
    if key_sq is None:
        key_sq = np.einsum("ij,ij->i", keys, keys)
    d2 = np.einsum("ij,ij->i", queries, queries)[:, None] + key_sq[None, :] - 2.0 * (keys @ queries.T).T
    m = min(params.neighbours, keys.shape[0])
    near = np.argpartition(d2, m - 1, axis=1)[:, :m]
    weight = np.exp(-np.maximum(np.take_along_axis(d2, near, 1), 0.0) / params.tau)
    votes = np.zeros_like(p, dtype=np.float64)
    rows = np.repeat(np.arange(len(p)), m)
    np.add.at(votes, (rows, key_labels[near].ravel()), weight.ravel())
    c = p.shape[1]
    vote = (votes + params.eps) / (votes.sum(1, keepdims=True) + c * params.eps)
    out = p * np.power(vote, params.weight)
    return (out / np.maximum(out.sum(1, keepdims=True), 1e-30)).astype(p.dtype)
