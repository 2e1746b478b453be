"""Whole-grid computations behind the "Inside the model" views: pure functions, no Qt.

The encoder-state scatter and the error map need a forward pass over hundreds to ten
thousand inputs. The Inside tab hands these functions to the engine
(``ModelManager.run_on_model``), which runs them off the GUI thread on the model's NumPy
predictor; the tab only receives the finished arrays. They take any object with
``predict``/``inspect``, so tests can drive them directly.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

from calcapp.arithmetic.answering import plain_number
from calcapp.expr.tasks import TaskSpec

MAX_GRID_SIDE = 100  # error maps cover a, b < 100 (the whole plane for 1-2 digit tasks)
STATE_SAMPLES = 300  # inputs projected for tasks larger than 1-digit addition


@dataclass
class ErrorGrid:
    """``ok[a, b]`` is True where the model answers ``a op b`` right; ``answers`` its text."""

    op: str
    ok: np.ndarray  # (side, side) bool
    answers: list[list[str]]
    targets: list[list[str]]

    @property
    def accuracy(self) -> float:
        return float(self.ok.mean()) if self.ok.size else 0.0

    def describe(self, a: int, b: int) -> str:
        ans, tgt = self.answers[a][b], self.targets[a][b]
        mark = "right" if self.ok[a, b] else f"wrong (should be {tgt})"
        return f"{a}{self.op}{b} → {ans}   {mark}"


def grid_side(spec: TaskSpec) -> int:
    return min(10**spec.max_digits, MAX_GRID_SIDE)


def error_grid(predictor, spec: TaskSpec, op: str | None = None, batch: int = 1000) -> ErrorGrid:
    """Every (a, b) with a, b below ``grid_side`` answered by the predictor, in batches,
    each answer read as the calculator shows it (``00`` is 0), so a cell is wrong exactly
    where the calculator would show ✗."""
    op = op or spec.operators[0]
    side = grid_side(spec)
    texts = [f"{a}{op}{b}" for a in range(side) for b in range(side)]
    answers: list[str] = []
    for i in range(0, len(texts), batch):
        answers += [plain_number(p.text, [])[0] for p in predictor.predict(texts[i : i + batch])]
    targets = [spec.target(t) for t in texts]
    ok = np.array([x == y for x, y in zip(answers, targets)], dtype=bool).reshape(side, side)
    shape = lambda flat: [flat[r * side : (r + 1) * side] for r in range(side)]  # noqa: E731
    return ErrorGrid(op, ok, shape(answers), shape(targets))


@dataclass
class StateMap:
    """Encoder states of many inputs reduced for plotting.

    ``kind`` is ``"sum"`` (x = a+b, y = the state or its first principal component) for
    1-digit addition, else ``"pca"`` (x, y = the first two principal components) with
    ``values`` the numeric answers used for colour.
    """

    kind: str
    x: np.ndarray
    y: np.ndarray
    values: np.ndarray  # numeric answer per point (NaN for NaN answers)
    texts: list[str]
    units: int
    explained: tuple[float, ...] = ()


def final_state(inspection) -> np.ndarray:
    """The encoder state after the last input character (what the decoder starts from)."""
    states = np.asarray(inspection.encoder_states, dtype=float)
    return states[-1] if states.ndim == 2 and len(states) else states.reshape(-1)


def pca(matrix: np.ndarray, k: int = 2) -> tuple[np.ndarray, tuple[float, ...]]:
    """Rows projected on the first ``k`` principal components (via SVD), and their share."""
    centred = matrix - matrix.mean(axis=0, keepdims=True)
    if centred.shape[1] == 0 or not np.any(centred):
        return np.zeros((len(matrix), k)), tuple(0.0 for _ in range(k))
    u, s, _vt = np.linalg.svd(centred, full_matrices=False)
    proj = u[:, :k] * s[:k]
    if proj.shape[1] < k:
        proj = np.hstack([proj, np.zeros((len(proj), k - proj.shape[1]))])
    var = s**2
    share = tuple(float(v / var.sum()) for v in var[:k]) if var.sum() else ()
    return proj, share


def state_inputs(spec: TaskSpec, n: int = STATE_SAMPLES, seed: int = 0) -> list[str]:
    """All 100 pairs for 1-digit addition, else ``n`` distinct test-split expressions."""
    if spec.max_digits == 1 and spec.two_operand and spec.operators == "+":
        return [f"{a}+{b}" for a in range(10) for b in range(10)]
    if spec.exact_quotients:  # the general task: what people type (datagen writes integers)
        from calcapp.arithmetic.columns.mix import people_mix

        return [t for _, t in people_mix(n // 5 + 1, f"states:{seed}")][:n]
    from calcapp.expr.datagen import generate

    texts = [e.text for e in generate(spec, n, seed=seed, split="test")]
    if len(texts) < n:  # tiny tasks: fill from the other splits
        texts += [e.text for e in generate(spec, n - len(texts), seed=seed, split="train")]
    random.Random(seed).shuffle(texts)
    return texts


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return float("nan")


def state_map(predictor, spec: TaskSpec, texts: list[str] | None = None) -> StateMap:
    texts = texts or state_inputs(spec)
    states = np.stack([final_state(predictor.inspect(t)) for t in texts])
    values = np.array([_number(spec.target(t)) for t in texts])
    units = states.shape[1]
    if spec.max_digits == 1 and spec.two_operand and spec.operators == "+":
        if units == 1:
            y, share = states[:, 0], (1.0,)
        else:
            proj, share = pca(states, 1)
            y = proj[:, 0]
        return StateMap("sum", values.copy(), y, values, texts, units, share)
    proj, share = pca(states, 2)
    return StateMap("pca", proj[:, 0], proj[:, 1], values, texts, units, share)


__all__ = [
    "ErrorGrid",
    "StateMap",
    "error_grid",
    "final_state",
    "grid_side",
    "pca",
    "state_inputs",
    "state_map",
]
