"""Task-specific alphabets on top of the shared codec.

Why: the codec's vocabulary is shared by every model (24 tokens), but a softmax over all of
them costs ``units x 24`` weights per output. The 77-parameter seed model only fits in 100
parameters if it reads and writes just the characters its task can hold, so every model
maps the shared ids onto its own small input and output alphabets. Index 0 stays padding;
outputs keep the start and end markers at 1 and 2 (so greedy decoding and
``codec.decode`` work on either numbering).
"""

from __future__ import annotations

import functools

import numpy as np

from calcapp.expr.codec import END, INDEX, PAD, START, VOCAB_SIZE
from calcapp.expr.tasks import TaskSpec

DIGITS = "0123456789"


def input_tokens(spec: TaskSpec) -> list[str]:
    chars = DIGITS + "".join(op for op in "+-*/" if op in spec.operators)
    if spec.negatives and "-" not in chars:
        chars += "-"
    if spec.brackets:
        chars += "()"
    if spec.spaces:
        chars += " "
    return [PAD] + list(chars)


def output_tokens(spec: TaskSpec, specials: bool = True) -> list[str]:
    """Answer characters; with ``specials`` also pad, start and end (ids 0, 1, 2)."""
    chars = DIGITS
    if "-" in spec.operators or spec.negatives:
        chars += "-"
    if "/" in spec.operators:
        chars += "Na"
    return ([PAD, START, END] if specials else [PAD]) + list(chars)


def to_local(ids: np.ndarray, tokens: list[str]) -> np.ndarray:
    """Shared codec ids -> this alphabet's ids (unknown characters raise)."""
    out = _local_table(tuple(tokens))[ids]
    if (out < 0).any():
        raise ValueError("a character outside the model's alphabet")
    return out


@functools.lru_cache(maxsize=None)
def _local_table(tokens: tuple) -> np.ndarray:
    table = np.full(VOCAB_SIZE, -1, dtype=np.int32)
    for i, tok in enumerate(tokens):
        table[INDEX[tok]] = i
    return table


def to_shared(ids: np.ndarray, tokens: list[str]) -> np.ndarray:
    """This alphabet's ids -> shared codec ids (for ``codec.decode``)."""
    table = np.array([INDEX[tok] for tok in tokens], dtype=np.int32)
    return table[ids]
