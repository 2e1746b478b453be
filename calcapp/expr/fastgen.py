"""Two-operand examples drawn as NumPy arrays: a trainer's data in milliseconds.

Why: ``datagen.iter_examples`` draws one split by rejection, paying a random expression,
a parse and a hash for every candidate; a held-out split (5% of expression space) needs
twenty candidates an example, so a 10,000-expression test split cost most of a short
add3 run. Here the candidates' operands, operators and keys are arrays; only the keys are
hashed (once per distinct key in a chunk) and only the kept examples become strings.

The split of an expression is exactly ``datagen.split_of(canonical_key(...))``, the one
definition every model was trained under, so the splits drawn here are disjoint with
those drawn by ``datagen`` (and with each other); the draws themselves differ from
datagen's (another random stream) but follow the same distribution: an operand's digit
count uniform, then its value, then its written style.

Covers two-operand tasks without signs or brackets and at most 9 digits an operand
(add1, add3, arith3); ``stream`` hands any other task to ``datagen``.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import random
from typing import Iterator

import numpy as np

from calcapp.expr.datagen import SPLITS, Example, iter_examples, styled
from calcapp.expr.tasks import NAN, TaskSpec

MAX_FAST_DIGITS = 9  # (operator, a, b) packed in one int64
FIRST_CHUNK, MAX_CHUNK = 1024, 1 << 16


def supports(spec: TaskSpec, max_digits: int | None = None) -> bool:
    digits = max_digits or spec.max_digits
    return (spec.two_operand and not spec.negatives and not spec.exact_quotients
            and 1 <= digits <= MAX_FAST_DIGITS)


def stream(spec: TaskSpec, seed: int | str = 0, split: str = "train", holdout: float = 0.05,
           max_digits: int | None = None, max_attempts: int | None = None) -> Iterator[Example]:
    """One split's deduplicated examples: drawn here where the task allows, else by datagen."""
    if supports(spec, max_digits):
        return iter_fast(spec, seed, split, holdout, max_digits, max_attempts)
    return iter_examples(spec, seed, split, holdout, max_digits, max_attempts)


def sample(spec: TaskSpec, n: int, seed: int | str = 0, split: str = "train",
           holdout: float = 0.05, max_digits: int | None = None) -> list[Example]:
    """``n`` distinct examples of one split (fewer if the task has fewer), with datagen's
    budget of candidates (``generate``)."""
    return list(itertools.islice(stream(spec, seed, split, holdout, max_digits,
                                        max_attempts=60 * n + 2000), n))


def _rng(seed, split: str) -> np.random.Generator:
    digest = hashlib.blake2b(f"{seed}:{split}:fast".encode(), digest_size=8).digest()
    return np.random.default_rng(int.from_bytes(digest, "big"))


def _operands(rng: np.random.Generator, size: int, digits: int) -> np.ndarray:
    """Digit count uniform in 1..digits, then the value uniform among numbers that long."""
    length = rng.integers(1, digits + 1, size)
    low = np.where(length == 1, 0, 10 ** (length - 1))
    return rng.integers(low, 10 ** length)


@functools.lru_cache(maxsize=32)
def _bound(share: float) -> int:
    """The least 64-bit hash ``h`` that ``split_of`` puts at or past ``share`` (it tests
    ``h / 2**64 < share`` in floating point): found by bisection with that very test, so
    comparing integers here agrees with it bit for bit."""
    lo, hi = 0, 2**64
    while lo < hi:
        mid = (lo + hi) // 2
        if mid / 2**64 < share:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _splits(ops: str, op: np.ndarray, a: np.ndarray, b: np.ndarray, holdout: float,
            scale: int) -> np.ndarray:
    """Each candidate's split, by ``split_of`` of its canonical key: ``a+b`` and ``b+a``
    share one (for whole numbers without leading zeros, datagen's (length, text) order is
    numeric order)."""
    if holdout <= 0:
        return np.zeros(len(op), dtype=np.int8)  # all train
    commutes = np.isin(op, [i for i, o in enumerate(ops) if o in "+*"])
    lo = np.where(commutes, np.minimum(a, b), a)
    hi = np.where(commutes, np.maximum(a, b), b)
    keys, inverse = np.unique((op * scale + lo) * scale + hi, return_inverse=True)
    texts = [f"{x}{ops[o]}{y}".encode() for o, x, y in
             zip((keys // scale // scale).tolist(), (keys // scale % scale).tolist(),
                 (keys % scale).tolist())]
    blake = hashlib.blake2b
    h = np.frombuffer(b"".join([blake(t, digest_size=8).digest() for t in texts]), dtype=">u8")
    test_last, val_last = np.uint64(_bound(holdout) - 1), np.uint64(_bound(2 * holdout) - 1)
    # split_of's order: test below the holdout, then val, then train (codes 2, 1, 0)
    codes = np.where(h <= test_last, 2, np.where(h <= val_last, 1, 0)).astype(np.int8)
    return codes[inverse.reshape(-1)]


def _answer(op: str, a: int, b: int) -> str:
    """The task's answer for two whole numbers (quotients truncated, NaN for /0)."""
    if op == "+":
        return str(a + b)
    if op == "-":
        return str(a - b)
    if op == "*":
        return str(a * b)
    return NAN if b == 0 else str(a // b)


def iter_fast(spec: TaskSpec, seed: int | str = 0, split: str = "train", holdout: float = 0.05,
              max_digits: int | None = None, max_attempts: int | None = None) -> Iterator[Example]:
    """``datagen.iter_examples``'s contract (deduplicated by value, one split, at most
    ``max_attempts`` candidates) for a task ``supports`` accepts."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}")
    if not supports(spec, max_digits):
        raise ValueError(f"task {spec.name!r} needs datagen (signs, brackets or long operands)")
    digits = max_digits or spec.max_digits
    rng, style_rng = _rng(seed, split), random.Random(f"{seed}:{split}:style")
    ops, scale, want = spec.operators, 10 ** digits, SPLITS.index(split)
    # an operand styled here fits the task's field, so the network reads it as typed
    as_typed = digits <= spec.max_digits
    everything = len(ops) * scale * scale if holdout <= 0 else None  # (add1: 200 pairs)
    seen: set[int] = set()
    attempts, chunk = 0, FIRST_CHUNK
    while max_attempts is None or attempts < max_attempts:
        size = chunk if max_attempts is None else min(chunk, max_attempts - attempts)
        attempts, chunk = attempts + size, min(2 * chunk, MAX_CHUNK)
        op = rng.integers(0, len(ops), size)
        a, b = _operands(rng, size, digits), _operands(rng, size, digits)
        keep = np.flatnonzero(_splits(ops, op, a, b, holdout, scale) == want)
        for o, x, y in zip(op[keep].tolist(), a[keep].tolist(), b[keep].tolist()):
            key = (o * scale + x) * scale + y
            if key in seen:
                continue
            seen.add(key)
            left, right = (styled(spec, str(v), digits, style_rng) for v in (x, y))
            text = left + ops[o] + right
            model_input = text if as_typed else spec.model_input(text)
            yield Example(text, model_input, _answer(ops[o], x, y))
        if len(seen) == everything:
            return
