"""The digit cells: four tiny networks, each the fixed set of digit facts a person learns.

Each cell reads one-hot digits and answers with softmax heads:

* ``add``  (a, b, carry in 0/1)   -> (sum digit, carry out 0/1)
* ``sub``  (a, b, borrow in 0/1)  -> (difference digit, borrow out 0/1)
* ``mul``  (a, b, carry in 0..8)  -> (product digit, carry out 0..8)
* ``quo``  (remainder's leading three digits, divisor's leading two) -> an estimate of the
  next quotient digit (floor of their ratio, at most 9), which long division then checks
  with ``mul`` and ``sub`` cells.

Every cell has a finite input domain, so it can be verified on all of it. Why a cached
table: once weights are loaded, ``CellTables`` runs each network once over its whole
domain and keeps its outputs (digit, carry and their probabilities). A lookup is then the
network's own answer, cached; the weights stay the source and the table is rebuilt from
them on every load (``tables_from_weights``). No Keras here: the NumPy forward pass reads
the weights from ``model.keras`` directly.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# name: (input digit fields as their one-hot widths, output heads' widths, hidden units)
CELLS: dict[str, tuple[tuple[int, ...], tuple[int, ...], int]] = {
    "add": ((10, 10, 2), (10, 2), 32),
    "sub": ((10, 10, 2), (10, 2), 32),
    "mul": ((10, 10, 9), (10, 9), 64),
    "quo": ((10, 10, 10, 10, 10), (10,), 256),
}


def _truth_add(a, b, c):
    s = a + b + c
    return (s % 10, s // 10)


def _truth_sub(a, b, c):
    s = a - b - c
    return (s % 10, int(s < 0))


def _truth_mul(a, b, c):
    s = a * b + c
    return (s % 10, s // 10)


def _truth_quo(r2, r1, r0, d1, d0):
    return (min(9, (100 * r2 + 10 * r1 + r0) // (10 * d1 + d0)),)


TRUTH = {"add": _truth_add, "sub": _truth_sub, "mul": _truth_mul, "quo": _truth_quo}


def domain(cell: str) -> np.ndarray:
    """Every input a cell can be asked, as rows of field values.

    ``quo`` is asked only with a two-digit divisor head (10..99) and a remainder head below
    ten times it (long division keeps the remainder below ten divisors)."""
    fields = CELLS[cell][0]
    grids = np.meshgrid(*[np.arange(w) for w in fields], indexing="ij")
    rows = np.stack([g.ravel() for g in grids], axis=1)
    if cell == "quo":
        r = rows[:, 0] * 100 + rows[:, 1] * 10 + rows[:, 2]
        d = rows[:, 3] * 10 + rows[:, 4]
        rows = rows[(d >= 10) & (r < 10 * d + 10)]
    return rows


def truth(cell: str, rows: np.ndarray) -> list[np.ndarray]:
    """The right answer of every head for ``rows`` (the facts the cells are taught)."""
    outs = [TRUTH[cell](*map(int, row)) for row in rows]
    return [np.array([o[h] for o in outs], dtype=np.int64) for h in range(len(CELLS[cell][1]))]


_TRUTH_CACHE: dict[str, list[np.ndarray]] = {}


def truth_table(cell: str, rows: np.ndarray) -> list[np.ndarray]:
    """``truth`` of the whole domain, worked out once (``rows`` must be ``domain(cell)``)."""
    if cell not in _TRUTH_CACHE:
        _TRUTH_CACHE[cell] = truth(cell, rows)
    return _TRUTH_CACHE[cell]


def one_hot(cell: str, rows: np.ndarray) -> np.ndarray:
    """The cell's input vector: each field one-hot, concatenated."""
    parts = [np.eye(w, dtype=np.float32)[rows[:, i]] for i, w in enumerate(CELLS[cell][0])]
    return np.concatenate(parts, axis=1)


def layer_names(cell: str) -> list[str]:
    """Keras layer names of one cell: its hidden layer, then one per head."""
    return [f"{cell}_hidden"] + [f"{cell}_head{h}" for h in range(len(CELLS[cell][1]))]


def read_weights(path: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Every Dense layer's (kernel, bias) from a ``.keras`` zip, by layer name."""
    import h5py  # only needed once per model

    with zipfile.ZipFile(path) as zf:
        config = json.loads(zf.read("config.json"))
        weights_bytes = zf.read("model.weights.h5")
    dense = [layer["config"]["name"] for layer in config["config"]["layers"]
             if layer["class_name"] == "Dense"]
    out = {}
    with h5py.File(io.BytesIO(weights_bytes), "r") as h5:
        layers = h5["layers"]
        # Keras files a layer's weights under its class name, counted in the model's
        # layer order (``dense``, ``dense_1``, ...), not under the layer's own name.
        for i, name in enumerate(dense):
            group = layers["dense" if i == 0 else f"dense_{i}"]["vars"]
            out[name] = (np.asarray(group["0"], dtype=np.float32),
                         np.asarray(group["1"], dtype=np.float32))
    missing = [n for c in CELLS for n in layer_names(c) if n not in out]
    if missing:
        raise ValueError(f"{path}: not a columns model (missing layers {', '.join(missing)})")
    return out


def numpy_forward(weights: dict, cell: str, x: np.ndarray) -> list[np.ndarray]:
    """The cell's head probabilities for one-hot inputs ``x``: Dense-ReLU, then softmaxes."""
    hidden, *heads = layer_names(cell)
    k, b = weights[hidden]
    h = np.maximum(x @ k + b, 0.0)
    probs = []
    for name in heads:
        k, b = weights[name]
        z = h @ k + b
        z = np.exp(z - z.max(axis=1, keepdims=True))
        probs.append(z / z.sum(axis=1, keepdims=True))
    return probs


@dataclass
class CellTable:
    """One cell's outputs over its domain, indexed by the mixed-radix number of its input."""

    answers: list[tuple]  # per input: (head0 value, head0 prob, head1 value, head1 prob)
    radix: tuple[int, ...]


def _index(radix: tuple[int, ...], rows: np.ndarray) -> np.ndarray:
    idx = np.zeros(len(rows), dtype=np.int64)
    for i, w in enumerate(radix):
        idx = idx * w + rows[:, i]
    return idx


class CellTables:
    """All four cells' answers, built by running the networks over their whole domains."""

    def __init__(self, weights: dict):
        self.weights = weights
        self.tables = {cell: self._build(cell) for cell in CELLS}
        t = self.tables
        self.add, self.sub, self.mul, self.quo = (t["add"].answers, t["sub"].answers,
                                                  t["mul"].answers, t["quo"].answers)

    def _build(self, cell: str) -> CellTable:
        radix = CELLS[cell][0]
        rows = domain(cell)
        probs = numpy_forward(self.weights, cell, one_hot(cell, rows))
        size = int(np.prod(radix))
        answers: list = [None] * size  # outside the domain: never asked (the procedure guards)
        parts = []
        for p in probs:
            parts += [p.argmax(1), p.max(1)]
        for i, key in enumerate(_index(radix, rows)):
            answers[int(key)] = tuple(float(v[i]) if j % 2 else int(v[i])
                                      for j, v in enumerate(parts))
        return CellTable(answers, radix)

    def verify(self) -> dict[str, float]:
        """Each cell's accuracy over its whole domain (every head right)."""
        out = {}
        for cell in CELLS:
            rows = domain(cell)
            want = truth(cell, rows)
            got = [self.tables[cell].answers[int(k)] for k in _index(CELLS[cell][0], rows)]
            ok = [all(g[2 * h] == int(want[h][i]) for h in range(len(want)))
                  for i, g in enumerate(got)]
            out[cell] = float(np.mean(ok))
        return out


def tables_from_file(path: Path) -> CellTables:
    return CellTables(read_weights(path))
