"""The rewriting decoder: one operation per pass, the expression written out again.

Why: see ``calcapp.expr.steps``. A pass reads the working text (``6--68+62``) and writes the
next one (``74+62``), last character first, so the new number comes out least-significant
digit first like the aligned models' answers. It is the ``attention`` architecture with
``rewrite`` on: the same bidirectional encoder (with place features), one learned head
that copies, and digit "heads" that are not learned at all:

- the copy head starts on the last character and is drawn one character to the left of
  where it looked before, so copying the untouched part costs nothing to learn; where to
  jump (over the operation it replaces) it learns;
- when a new number starts (r = 0 digits written in a row) the copy head stands where the
  rewritten part ends: on the right operand's last digit, or the bracket after it. That
  "anchor" is held while the number is written; the right operand is the number it is in,
  the left operand the number before. Choosing the operation is therefore the network's
  (it puts the copy head there); reading the operands' digits is not left to chance:
- the operator between the operands is gathered too (the one right after the left
  operand's last digit);
- the digit heads gather, from each operand, the digit at place r and at place r-1 (a sum
  needs a_r and b_r), and at places 0 and 1 (a product by a 2-digit number needs a_r,
  a_(r-1), b_0, b_1), each with whether there is such a digit (so "no digit" and "0"
  differ) and whether its number is negative.

Options for what is gathered beyond that: ``pairs`` (digit pairs looked up in one learned
table), ``wide`` (the operands' digits at places 2-4 and which operand is larger),
``quotients`` (a learned table of 2-digit by 1-digit quotients), ``long_division`` (one
learned long-division cell run down the dividend, taught its remainders in training) and
``deep`` (a residual hidden layer before the output). The accuracy each option bought is
in benchmarks/results/calculator.md.

This module is the plain form, which training runs through Keras. NumPy inference takes
shorter routes to the same numbers (``rewriter_fast``); tests hold the two together.
Nothing here imports Keras.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from calcapp.arithmetic.model import blocks as B
from calcapp.arithmetic.model.config import NetConfig
from calcapp.arithmetic.model.features import MAX_NUMBERS

# (place, operand) per digit gather: "r" = the place being written, "r-1" the one below,
# 0 and 1 fixed places; operand 0 = left, 1 = right.
GATHERS = (("r", 0), ("r", 1), ("r-1", 0), ("r-1", 1), (0, 0), (0, 1), (1, 0), (1, 1))
DIGIT_VALUE = 11  # ten digits and the "found a digit" mass
# anchor (B, K) @ PICK -> (the number before it, it): the left and right operands
PICK = np.concatenate([np.eye(MAX_NUMBERS, k=-1, dtype="float32"), np.eye(MAX_NUMBERS, dtype="float32")], axis=1)


# digit pairs (indices into GATHERS) looked up in one learned table when ``pairs`` is on:
# a_r with b_r (sums, differences); a_r b_0 + a_(r-1) b_1 and b_r a_0 + b_(r-1) a_1 (products)
PAIRS = ((0, 1), (0, 5), (2, 7), (1, 4), (3, 6))
PAIR_FIRST, PAIR_SECOND = (np.array(side, dtype="int32") for side in zip(*PAIRS))
# ``wide``: the operands' digits at the places above 1 as well (a quotient's last digit
# depends on the whole dividend), and which operand is larger (a sum of a positive and a
# negative number takes the larger one's sign, and its digits are the larger minus the smaller)
WIDE_PLACES = (2, 3, 4)
COMPARE = 3  # left larger, equal, right larger (in magnitude)
# ``quotients``: a learned table over (tens and units of the dividend, units of the divisor),
# used on divisions only. Why: written last digit first, a quotient's units digit depends on
# every digit of both operands (92/7 = 13), which the combining layer learnt slowly; a table
# row per case learns each case directly.
QUOTIENT_GATHERS = ((1, 0), (0, 0), (0, 1))  # (place, operand): left tens, left units, right units
# ``long_division`` (needs ``wide``): quotients by a 1-digit divisor worked out as on paper,
# from the dividend's top digit down, with one learned cell shared by every place: (the
# remainder carried down, this digit, the divisor) -> (a quotient digit's row, the remainder
# it leaves). Why: written last digit first, the units digit of 9801/7 depends on the whole
# dividend, and each long dividend was too rare to learn on its own. A shared cell learns from every 2-digit dividend what it then needs on longer ones.
DIVIDEND_PLACES = 5  # places 0-4: the 4-digit intermediates of expr, and one more
PLACE_INDEX = np.arange(DIVIDEND_PLACES, dtype="float32").reshape(1, -1)  # as run compares
# the cell's rows are scaled up: Adam moves a weight about one learning rate per step, and a
# table row that must reach a sure remainder (logits several units apart) learnt too slowly
CELL_GAIN = (5.0, 20.0)  # (quotient-digit rows, remainder logits)
ZERO_DIGIT = np.eye(10, dtype="float32")[0]  # a missing digit, and the remainder above the top one


def ctx_dim(cfg: NetConfig) -> int:
    # copy head, digit gathers, their numbers' signs, the operator between the operands,
    # then the digit-pair lookups (``pairs``), the higher places and the operand comparison
    # (``wide``) and the quotient lookup (``quotients``): options come last, so a warm start
    # from a model without them keeps every old row
    base = 2 * cfg.vin + cfg.units + len(GATHERS) * (DIGIT_VALUE + 1)
    return (base + len(PAIRS) * pair_width(cfg) + wide_width(cfg) + int(cfg.quotients)
            + 2 * int(cfg.long_division))


def wide_width(cfg: NetConfig) -> int:
    return (2 * len(WIDE_PLACES) * DIGIT_VALUE + COMPARE) if cfg.wide else 0


def pair_width(cfg: NetConfig) -> int:
    return int(cfg.pair_dim) if cfg.pairs else 0


def pass_state(ops, cfg, enc) -> dict[str, Any]:
    """What every step of a pass reads but never changes, on either route (worked out once
    here, not at every step)."""
    place, tin = enc["place"], enc["place"].shape[1]
    real = 1.0 - enc["pad"]  # (B, Tin)
    after = ops.concatenate([real[:, 1:], real[:, :1] * 0.0], axis=1)
    is_digit = ops.cast(place >= 0.0, "float32")
    fixed = _as_column(fixed_places(cfg))
    chars = enc["chars"]
    # per position: its digit (one-hot), 1, and its number's sign: a gather's (B, G, Tin)
    # mask times this is, in one matmul, what it read, how much of a digit, and its sign
    read = ops.concatenate([chars[:, :, 1:11], ops.expand_dims(real, -1) * 0.0 + 1.0,
                            ops.expand_dims(enc["negative"], -1)], axis=-1)
    return {"follow": real * (1.0 - after),  # the last character
            "run": real[:, :1] * 0.0, "digit_out": _is_digit(tuple(cfg.out_tokens)),
            "shift": _shift(tin),  # copy @ shift: one to the left
            "bias": enc["pad"] * B.NEG,
            "pass": {  # per row; what ``anchored`` reads (NumPy may take a subset of rows)
                "numbers": ops.transpose(enc["numbers"], (0, 2, 1)),  # (B, K, Tin)
                "is_digit": ops.expand_dims(is_digit, 1), "read": read, "chars": chars,
                "fixed": ops.cast(ops.equal(ops.expand_dims(place, 1), fixed), "float32"),
                "place": ops.expand_dims(place, 1),  # (B, 1, Tin)
                "binary_op": enc["binary_op"], "magnitude": _magnitude(ops, enc)}}


def start(ops, W, cfg, enc) -> dict[str, Any]:
    """The decoder's first state: zero recurrences, nothing copied yet."""
    units, att = cfg.units, cfg.att_units
    H = enc["states"]
    zero = B.zeros(ops, enc["last"], units)
    keys = (B.dense(ops, W, "att0/key", H) + B.dense(ops, W, "att0/place_key", enc["feats"])) / math.sqrt(att)
    return {**pass_state(ops, cfg, enc), "values": ops.concatenate([H, enc["chars"]], axis=-1),
            "ctx": B.zeros(ops, enc["last"], ctx_dim(cfg)), "keys": keys, "h": zero, "c": zero,
            "anchor": B.zeros(ops, enc["last"], MAX_NUMBERS)}


@functools.lru_cache(maxsize=None)
def _is_digit(tokens: tuple) -> np.ndarray:
    return np.array([tok in "0123456789" for tok in tokens], dtype="float32").reshape(-1, 1)  # (V, 1)


@functools.lru_cache(maxsize=None)
def _as_column(places: tuple) -> np.ndarray:
    return np.array(places, dtype="float32").reshape(1, -1, 1)


@functools.lru_cache(maxsize=None)
def _shift(t: int) -> np.ndarray:
    return np.eye(t, k=-1, dtype="float32")


def layout(cfg) -> list[tuple[str, int]]:
    """The context's parts and widths, in the order the trained weights' rows follow."""
    parts = [("copied", cfg.units + cfg.vin), ("per_gather", len(GATHERS) * DIGIT_VALUE),
             ("operator", cfg.vin), ("signs", len(GATHERS)), ("pairs", len(PAIRS) * pair_width(cfg)),
             ("tail", wide_width(cfg) + int(cfg.quotients)),
             ("division", 2 * int(cfg.long_division))]
    return [(name, width) for name, width in parts if width]


STEP_PARTS = ("per_gather", "signs", "pairs")  # the parts that change at every step
STEP_READS = ("attention", "pad", "cache")  # what ``step`` reads of the encoder's output


def fixed_places(cfg) -> tuple[int, ...]:
    """The places gathered at every step whatever is being written: 0 and 1 (GATHERS),
    then ``wide``'s."""
    return (0, 1) + (WIDE_PLACES if cfg.wide else ())


def outer(ops, x, y):
    """(B, m*n): the outer product of two (B, m) and (B, n) one-hots, flattened: one cell
    per combination, the row a learned table looks up."""
    return ops.reshape(ops.expand_dims(x, 2) * ops.expand_dims(y, 1), (-1, x.shape[-1] * y.shape[-1]))


def _magnitude(ops, enc):
    """(B, Tin): what each digit is worth in its number (7 in 1724 -> 700); 0 elsewhere
    (and from place 9 on)."""
    value = ops.matmul(enc["chars"][:, :, 1:11], np.arange(10, dtype="float32").reshape(10, 1))[..., 0]
    at = ops.cast(ops.minimum(enc["place"] + 1.0, float(len(WORTH) - 1)), "int32")
    return value * ops.take(WORTH, at)


WORTH = np.array([0.0] + [10.0 ** p for p in range(9)] + [0.0], dtype="float32")  # by place + 1


def weighted(ops, w, x):
    """(B, D): the (B, T) weights ``w`` applied to the (B, T, D) rows ``x``."""
    return ops.matmul(ops.expand_dims(w, 1), x)[:, 0]


def by_operand(ops, masks, operands):
    """(B, P, Tin) place masks times (B, 2, Tin) operands -> (B, 2P, Tin) gathers, in
    GATHERS' order: each place for the left operand, then the right."""
    p, tin = masks.shape[1], masks.shape[2]
    return ops.reshape(ops.expand_dims(masks, 2) * ops.expand_dims(operands, 1), (-1, 2 * p, tin))


def step(ops, W, cfg, enc, state, prev_ids, t):
    """Decoder step ``t``: (logits (B,V), attention (B,Tin) averaged over heads, or None
    where ``enc["attention"]`` is False, and the state)."""
    run = (state["run"] + 1.0) * ops.take(state["digit_out"], prev_ids, axis=0)  # 0 after the start
    kernel = W["dec0/kernel"]  # the previous character's one-hot times the kernel: its row
    z = (ops.take(kernel, prev_ids, axis=0) + ops.matmul(state["ctx"], kernel[cfg.vout:])
         + W["dec0/bias"] + ops.matmul(state["h"], W["dec0/recurrent"]))
    h, c = B.lstm_cell(ops, z, state["c"])
    copy = copy_head(ops, W, state, B.dense(ops, W, "att0/query", h))
    # the operands: the anchor (where the copy head stood when this number began) is in
    # the right one; the left one is the number before it
    rows = state["pass"]
    fresh = 1.0 - ops.minimum(run, 1.0)  # (B, 1): a new number starts here
    here = ops.matmul(rows["numbers"], ops.expand_dims(copy, -1))[..., 0]  # (B, K)
    anchor = fresh * here + (1.0 - fresh) * state["anchor"]
    fixed, lesson = anchored(ops, W, cfg, rows, anchor, state)
    g, parts = gathered(ops, W, cfg, rows, run, fixed)
    if cfg.long_division:
        parts["division"] = division_part(ops, run, fixed["division"])
    parts.update(copied=weighted(ops, copy, state["values"]), operator=fixed["operator"])
    if "tail" in fixed:
        parts["tail"] = fixed["tail"]
    ctx = ops.concatenate([parts.get(name, B.zeros(ops, h, width)) for name, width in layout(cfg)], axis=-1)
    out = ops.tanh(B.dense(ops, W, "combine", ops.concatenate([h, ctx], axis=-1)))
    logits = output_logits(ops, W, cfg, out)
    mean_att = attention_shown(ops, enc, copy, g, fixed) if enc.get("attention", True) else None
    new = {**state, "h": h, "c": c, "ctx": ctx, "run": run,
           "follow": ops.matmul(copy, state["shift"]), "anchor": anchor, "anchored": fixed}
    if lesson is not None:
        new["division_loss"] = state["division_loss"] + lesson
    return logits, mean_att, new


def copy_head(ops, W, state, q):
    """The copy head: learned attention, drawn to one left of where it last looked."""
    scores = ops.matmul(state["keys"], ops.expand_dims(q, -1))[..., 0]
    return ops.softmax(scores + W["att0/align_gain"] * state["follow"] + state["bias"], axis=-1)


def gathered(ops, W, cfg, rows, run, fixed):
    """Digit gathers, not learned attention: the digit at places r and r-1 of each operand
    (weighted by how sure the anchor is), how much of one there is, and its sign. Returns
    (the gathers' (B, 4, Tin) masks, the context's parts they make)."""
    want = ops.expand_dims(ops.concatenate([run, run - 1.0], axis=-1), -1)  # (B, 2, 1)
    g = by_operand(ops, ops.cast(ops.equal(rows["place"], want), "float32"), fixed["operands"])
    n = len(GATHERS) - 4  # gathers at fixed places (after those at places r and r-1)
    base = ops.concatenate([ops.matmul(g, rows["read"]), fixed["read"][:, :n]], axis=1)  # (B, 8, 12)
    return g, digit_parts(ops, W, cfg, base)


def division_part(ops, run, rows_ld):
    """Long division's part of the context: the quotient digit's row at place r, and the sum
    of the rows above it."""
    select = ops.stack([ops.cast(ops.equal(run, PLACE_INDEX), "float32"),
                        ops.cast(run < PLACE_INDEX, "float32")], axis=1)  # (B, 2, places)
    return ops.reshape(ops.matmul(select, rows_ld), (-1, 2 * rows_ld.shape[2]))


def attention_shown(ops, enc, copy, g, fixed):
    """Where the step copied from and what it read, as one (B, Tin) map for the Inside tab."""
    found = 1e-9 * (1.0 - enc["pad"]) + ops.sum(g, axis=1) + fixed["gathered"]
    return 0.5 * (copy + found / ops.sum(found, axis=-1, keepdims=True))


def digit_parts(ops, W, cfg, base):
    """The context's parts that the gathered digits make ((B, 8, 12) ``base``: digit one-hot,
    how much of a digit, sign; per gather): the digits, the signs, and the digit pairs."""
    n = base.shape[1]
    parts = {"per_gather": ops.reshape(base[:, :, :DIGIT_VALUE], (-1, n * DIGIT_VALUE)),
             "signs": base[:, :, DIGIT_VALUE]}
    if pair_width(cfg):  # the digit tables as lookups: one learned row per pair of digits
        digits = base[:, :, :10]
        first = ops.take(digits, PAIR_FIRST, axis=1)  # (B, pairs, 10)
        second = ops.take(digits, PAIR_SECOND, axis=1)
        cells = ops.reshape(ops.expand_dims(first, 3) * ops.expand_dims(second, 2), (-1, len(PAIRS), 100))
        parts["pairs"] = ops.reshape(B.dense(ops, W, "pairs/embed", cells), (-1, len(PAIRS) * pair_width(cfg)))
    return parts


def output_logits(ops, W, cfg, out):
    """The output layer, after ``deep``'s residual layer if there is one."""
    if cfg.deep:
        out = out + B.dense(ops, W, "deep/out", ops.tanh(B.dense(ops, W, "deep/hidden", out)))
    return B.dense(ops, W, "out", out)


def anchored_reads(ops, cfg, rows, anchor, shown=True):
    """What a step reads that depends only on the anchor (and the pass), on either route:
    the two operands, the gathers at fixed places, the operator between the operands and
    ``wide``'s comparison. Returns (those, the tail's parts so far, the fixed gathers'
    digits and found-masses, the (B, 1) division gate or None). ``shown``: also what the
    fixed-place gathers read, for the attention shown."""
    which = ops.reshape(ops.matmul(anchor, PICK), (-1, 2, MAX_NUMBERS))  # (B, 2, K): left, right
    operands = ops.matmul(which, rows["numbers"])  # (B, 2, Tin)
    masked = operands * rows["is_digit"]
    g = by_operand(ops, rows["fixed"], masked)  # (B, 2 * fixed places, Tin)
    read = ops.matmul(g, rows["read"])  # (B, gathers, 12)
    n = len(GATHERS) - 4  # GATHERS at fixed places
    binary = rows["binary_op"] * operands[:, 0]  # right after the left operand's last digit
    out = {"operands": masked, "read": read, "operator": weighted(ops, binary, rows["chars"])}
    if shown:
        out["gathered"] = ops.sum(g[:, :n], axis=1)
    digits, found = read[:, :, :10], read[:, :, 10:11]
    tail = []
    if cfg.wide:
        tail.append(ops.reshape(read[:, n:, :DIGIT_VALUE], (-1, (read.shape[1] - n) * DIGIT_VALUE)))
        left_minus_right = ops.sum(rows["magnitude"] * (operands[:, 0] - operands[:, 1]), axis=1,
                                   keepdims=True)
        larger = [ops.minimum(ops.relu(left_minus_right), 1.0),
                  ops.minimum(ops.relu(-left_minus_right), 1.0)]
        tail += [larger[0], 1.0 - larger[0] - larger[1], larger[1]]
    division = None
    if cfg.quotients or cfg.long_division:  # (B, 1): the operator is "/"
        slash = cfg.in_tokens.index("/")
        division = out["operator"][:, slash:slash + 1]
    return out, tail, digits, found, division


def anchored(ops, W, cfg, rows, anchor, state):
    """``anchored_reads``, then the ``quotients`` lookup and the ``long_division`` rows.
    Returns (that, the long-division lesson's loss for this step or None)."""
    out, tail, digits, found, division = anchored_reads(ops, cfg, rows, anchor)
    if cfg.quotients:  # a learned table over (dividend tens, units; divisor units)
        tail.append(B.dense(ops, W, "quotients/embed", quotient_cells(ops, cfg, digits) * division))
    if tail:
        out["tail"] = ops.concatenate(tail, axis=-1)
    lesson = None
    if cfg.long_division:
        out["division"], lesson = long_division(ops, W, cfg, digits, found, division, state)
    return out, lesson


def quotient_cells(ops, cfg, digits):
    """The ``quotients`` table's row: (dividend tens, dividend units, divisor units)."""
    a1, a0, b0 = (digits[:, fixed_index(cfg, w)] for w in QUOTIENT_GATHERS)
    return outer(ops, outer(ops, a1, a0), b0)


def fixed_index(cfg, gather) -> int:
    """Where a fixed-place gather (place, operand) sits in ``_anchored``'s reads."""
    return index_in(fixed_places(cfg), gather)


@functools.lru_cache(maxsize=None)
def index_in(places: tuple, gather) -> int:
    place, operand = gather
    return 2 * places.index(place) + operand


def division_gate(cfg, found, division):
    """(B, 1): long division runs on a "/" whose divisor has no tens digit."""
    return division * (1.0 - found[:, fixed_index(cfg, (1, 1))])


def long_division(ops, W, cfg, digits, found, division, state):
    """(B, places, dim): each place's quotient-digit row, on divisions by a 1-digit number
    (zeros otherwise), and the lesson's loss (None outside training).

    The chain starts with remainder 0 above the top digit; a missing digit reads as 0.
    In training (``state["division_loss"]``, set by ``architectures.teacher_logits``) each
    remainder the cell writes is also checked against the one long division carries down,
    as a teacher checks each line of a pupil's working: learnt from the answers alone, the
    cell's remainders stayed at chance."""
    places = dividend_indices(fixed_places(cfg))  # the dividend's places 0-4
    gate = division_gate(cfg, found, division)
    teach = "division_loss" in state
    if teach:  # the lesson trains the cell, not where the digits come from
        digits, found = ops.stop_gradient(digits), ops.stop_gradient(found)
    divisor = digits[:, fixed_index(cfg, (0, 1))]
    remainder = divisor * 0.0 + ZERO_DIGIT
    rows, misses = [], []
    for p in reversed(range(DIVIDEND_PLACES)):
        digit = digits[:, places[p]] + (1.0 - found[:, places[p]]) * ZERO_DIGIT
        cell = outer(ops, outer(ops, remainder, digit), divisor)
        rows.append(CELL_GAIN[0] * B.dense(ops, W, "division/embed", cell))
        remainder = ops.softmax(CELL_GAIN[1] * B.dense(ops, W, "division/remainder", cell), axis=-1)
        misses.append((digit, remainder))
    rows = ops.stack(rows[::-1], axis=1)  # rows[:, p]: place p
    lesson = None
    if teach:
        value = _as_number(ops, divisor)  # (B, 1)
        # where to teach is not itself learnt from the lesson (or shutting the gate would pass it)
        where = ops.stop_gradient(gate * ops.cast(value > 0.5, "float32"))
        lesson = 0.0 * value
        true = carried_remainders(ops, value, [_as_number(ops, digit) for digit, _ in misses])
        for (_, remainder), rem in zip(misses, true):
            want = ops.one_hot(ops.cast(rem[:, 0], "int32"), 10)
            miss = -ops.sum(want * ops.log(remainder + 1e-7), axis=-1, keepdims=True)
            lesson = lesson + miss * where
    return rows * ops.expand_dims(gate, -1), lesson


@functools.lru_cache(maxsize=None)
def dividend_indices(places: tuple) -> list[int]:
    return [index_in(places, (p, 0)) for p in range(DIVIDEND_PLACES)]


def _as_number(ops, digit):
    """(B, 1): a gathered digit's value as a whole number. Why rounded: gathered through a
    softmax anchor, a 7 reads as 6.99999; unrounded, 5 / 7 left remainder 4, and the first
    bundled long-division cell learnt that labelling."""
    return ops.round(ops.matmul(digit, np.arange(10, dtype="float32").reshape(10, 1)))


def carried_remainders(ops, divisor, digits):
    """The remainders long division carries down: (B, 1) each, after each of ``digits``
    (top digit first), by ``divisor`` ((B, 1); 0 counts as 1, where there is no lesson)."""
    b, rem, out = ops.maximum(divisor, 1.0), 0.0 * divisor, []
    for digit in digits:
        x = 10.0 * rem + digit
        rem = x - b * ops.floor(x / b)
        out.append(rem)
    return out
