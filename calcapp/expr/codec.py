"""The one text <-> numbers codec shared by training, inference and the GUI.

A fixed vocabulary (so every model speaks the same alphabet), integer and one-hot encoding
with padding, reversal, and decoding that stops at the end marker. Index 0 is padding.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from calcapp.expr.tasks import TaskSpec

PAD, START, END = "<pad>", "<s>", "</s>"
# Specials first, then every character an expression or an answer can hold.
TOKENS: tuple[str, ...] = (PAD, START, END) + tuple(" 0123456789+-*/().=Na")
INDEX = {tok: i for i, tok in enumerate(TOKENS)}
PAD_ID, START_ID, END_ID = 0, 1, 2
VOCAB_SIZE = len(TOKENS)


def encode(
    texts: Iterable[str],
    length: int,
    reverse: bool = False,
    end: bool = False,
    start: bool = False,
) -> np.ndarray:
    """Integer-encode strings into an ``(N, length)`` int32 array, right-padded with PAD.

    ``reverse`` flips each string before encoding; ``end`` appends the end marker and
    ``start`` prepends the start marker (both count toward ``length``).
    """
    texts = list(texts)
    out = np.zeros((len(texts), length), dtype=np.int32)
    for row, text in enumerate(texts):
        chars = list(text[::-1] if reverse else text)
        ids = ([START_ID] if start else []) + [INDEX[c] for c in chars] + (
            [END_ID] if end else []
        )
        if len(ids) > length:
            raise ValueError(f"{text!r} needs {len(ids)} positions; only {length} available")
        out[row, : len(ids)] = ids
    return out


def one_hot(ids: np.ndarray, depth: int = VOCAB_SIZE) -> np.ndarray:
    """``(N, L)`` ids -> ``(N, L, depth)`` float32 one-hot."""
    return np.eye(depth, dtype=np.float32)[ids]


def decode(ids: Sequence[Sequence[int]] | np.ndarray, reverse: bool = False) -> list[str]:
    """Ids (or per-step probabilities, ``(N, L, V)``) back to strings.

    Stops at the first end marker, skips padding and start markers, then undoes reversal.
    """
    arr = np.asarray(ids)
    if arr.ndim == 3:
        arr = arr.argmax(-1)
    texts = []
    for row in arr:
        chars = []
        for i in row:
            i = int(i)
            if i == END_ID:
                break
            if i in (PAD_ID, START_ID):
                continue
            chars.append(TOKENS[i])
        text = "".join(chars)
        texts.append(text[::-1] if reverse else text)
    return texts


@dataclass(frozen=True)
class Codec:
    """Encodes a task's inputs and targets with the task's lengths and reversal flags.

    Targets always end with the end marker, so decoding knows where an answer stops
    whatever the architecture (the seeds padded with spaces; an explicit marker is safer).
    """

    spec: TaskSpec

    @property
    def input_len(self) -> int:
        return self.spec.max_input_len

    @property
    def output_len(self) -> int:
        return self.spec.max_output_len + 1  # + end marker

    def encode_inputs(self, model_inputs: Iterable[str], length: int | None = None) -> np.ndarray:
        return encode(model_inputs, length or self.input_len, reverse=self.spec.reverse_input)

    def encode_targets(self, targets: Iterable[str], length: int | None = None) -> np.ndarray:
        return encode(
            targets, length or self.output_len, reverse=self.spec.reverse_output, end=True
        )

    def decode_outputs(self, ids_or_probs) -> list[str]:
        return decode(ids_or_probs, reverse=self.spec.reverse_output)
