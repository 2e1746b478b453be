"""What the encoder knows about each input character besides the character itself.

Why explicit features: place values ("abacus"-style positions), which operand a digit
belongs to and which number a position is in are fixed facts of the text; handing them
over lets attention match "output place t" to "input digit of place t" instead of learning
alignment from scratch. Everything is computed with ``ops``, so training and NumPy agree.
"""

from __future__ import annotations

import functools

import numpy as np

MAX_NUMBERS = 8  # numbers in one working text (the expr task has at most 4)

CLASSES = ("digit", "space", "minus", "operator", "opener")  # what token_classes tells apart


@functools.lru_cache(maxsize=None)
def _class_table(tokens: tuple) -> np.ndarray:
    """(vocabulary, CLASSES) 0/1: an opener is an operator or "(", what a unary minus follows."""
    rows = [[tok in "0123456789", tok == " ", tok == "-", tok in "+-*/", tok in "+-*/("] for tok in tokens]
    return np.array(rows, dtype="float32").reshape(len(tokens), len(CLASSES))


def token_classes(ops, enc_ids, cfg):
    """(B, Tin, CLASSES) float: each input token's classes, one lookup (not one comparison
    per character and class)."""
    return ops.take(_class_table(tuple(cfg.in_tokens)), enc_ids, axis=0)


def place_features(ops, enc_ids, cfg, place):
    """One-hot place of each digit within its number, and which operand it belongs to.

    An explicit place-value feature ("abacus"-style positions): with it, attention only has
    to match "output step t" to "input digit of place t", which the model learns quickly
    instead of discovering alignment from scratch. ``place`` is ``place_value``'s; non-digits
    get place 0 here, and the character one-hot tells them apart.
    """
    is_op = token_classes(ops, enc_ids, cfg)[..., CLASSES.index("operator")]
    before = ops.cumsum(is_op, axis=1) - is_op  # operators to the left of each position
    n_operands = cfg.operands
    operand = ops.one_hot(ops.cast(ops.minimum(before, n_operands - 1), "int32"), n_operands)
    places = cfg.places
    index = ops.one_hot(ops.cast(ops.minimum(ops.relu(place), places - 1), "int32"), places)
    return ops.concatenate([index, operand], axis=-1)


def place_value(ops, enc_ids, cfg):
    """Digits to the right of each digit within its number (0 for the units digit) as a
    float; -1 for every non-digit. A space inside a number (``3 0`` is 30 in the spaced
    tasks) neither counts nor ends the number; any other character ends it."""
    classes = token_classes(ops, enc_ids, cfg)
    is_digit, is_space = classes[..., 0], classes[..., 1]
    # digits to the right of each position, minus those beyond the first character to its
    # right that ends a number; the counts only fall to the right, so that character's
    # count is the largest of any such character's to the right (one (Tin, Tin) mask)
    right = ops.sum(is_digit, axis=1, keepdims=True) - ops.cumsum(is_digit, axis=1)  # (B, Tin)
    ends = 1.0 - is_digit - is_space
    beyond = ops.max(_later(enc_ids.shape[1]) * ops.expand_dims(ends * (right + is_digit), 1), axis=-1)
    return (right - beyond) * is_digit + (is_digit - 1.0)


@functools.lru_cache(maxsize=None)
def _later(t: int) -> np.ndarray:
    """(t, t): [i, j] = 1 where j is right of i."""
    return np.triu(np.ones((t, t), dtype="float32"), k=1)


def numbers_of(ops, enc_ids, cfg, place):
    """(B, Tin, MAX_NUMBERS) one-hot: the last number started at or before each position
    (a bracket or an operator belongs to the number on its left); (B, Tin) 1.0 where that
    number is negative (a minus before it that is not a subtraction); and (B, Tin) 1.0 on
    the operators that stand right after a digit (the binary ones). ``place`` is
    ``place_value``'s (>= 0 on digits)."""
    digit = ops.cast(place >= 0.0, "float32")
    classes = token_classes(ops, enc_ids, cfg)
    minus, operator, opener = (classes[..., CLASSES.index(c)] for c in ("minus", "operator", "opener"))
    none = digit[:, :1] * 0.0
    after_digit = ops.concatenate([none, digit[:, :-1]], axis=1)
    start = digit * (1.0 - after_digit)  # a number's first digit
    # a unary minus: right before the number, and at the very start or after an opener
    after_minus = ops.concatenate([none, minus[:, :-1]], axis=1)
    after_opener = ops.concatenate([none + 1.0, none + 1.0, opener[:, :-2]], axis=1)[:, :digit.shape[1]]
    ids = ops.cumsum(start, axis=1)  # 1 from the first number's first digit on, 2 ...
    # each position takes the sign its number started with: the start with the same count
    same = ops.cast(ops.equal(ops.expand_dims(ids, 2), ops.expand_dims(ids, 1)), "float32")
    negs = ops.matmul(ops.expand_dims(start * after_minus * after_opener, 1), same)[:, 0]
    binary = operator * after_digit
    # numbers 1..K-1 by their count, every later one as the K-th; none before the first
    onehot = ops.one_hot(ops.cast(ops.minimum(ids, float(MAX_NUMBERS)), "int32"), MAX_NUMBERS + 1)[..., 1:]
    return onehot, negs, binary
