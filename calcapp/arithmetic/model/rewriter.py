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
``deep`` (a residual hidden layer before the output). Measured on expr (benchmarks/results/calculator.md):
learned digit heads with these places as priors read the wrong number and stalled near
42%; gathers, the operator and ``pairs`` gave 85%; ``wide`` and ``deep`` then lifted it
further, and ``quotients`` took 2-digit by 1-digit quotients from 65% to 99.4% (95.26%);
``long_division`` took 3-digit dividends by 1 digit from 37% to 89% (97.44%; 97.77% once
its lesson rounded the gathered digits).
NumPy inference (``calcapp.arithmetic.predictor``) takes shorter routes to the same numbers:
what depends only on the anchor is worked out when it moves, the context's weights are cut
by part (``_split``), long division runs only on the rows that divide. Keras (training)
runs the plain form; tests hold the two together. Nothing here imports Keras.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from calcapp.arithmetic.model import architectures as A
from calcapp.nets import numpy_ops as NF
from calcapp.arithmetic.model import numpy_routes as NR

# (place, operand) per digit gather: "r" = the place being written, "r-1" the one below,
# 0 and 1 fixed places; operand 0 = left, 1 = right.
GATHERS = (("r", 0), ("r", 1), ("r-1", 0), ("r-1", 1), (0, 0), (0, 1), (1, 0), (1, 1))
DIGIT_VALUE = 11  # ten digits and the "found a digit" mass
MAX_NUMBERS = 8  # numbers in one working text (the expr task has at most 4)
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
# every digit of both operands (92/7 = 13), which the combining layer learnt slowly (2-digit
# by 1-digit quotients were 65% right); a table row per case learns each case directly.
QUOTIENT_GATHERS = ((1, 0), (0, 0), (0, 1))  # (place, operand): left tens, left units, right units
# ``long_division`` (needs ``wide``): quotients by a 1-digit divisor worked out as on paper,
# from the dividend's top digit down, with one learned cell shared by every place: (the
# remainder carried down, this digit, the divisor) -> (a quotient digit's row, the remainder
# it leaves). Why: written last digit first, the units digit of 9801/7 depends on the whole
# dividend; 3- and 4-digit dividends were 26-63% right, and each was too rare to learn on its
# own. A shared cell learns from every 2-digit dividend what it then needs on longer ones.
DIVIDEND_PLACES = 5  # places 0-4: the 4-digit intermediates of expr, and one more
PLACE_INDEX = np.arange(DIVIDEND_PLACES, dtype="float32").reshape(1, -1)  # as run compares
# the cell's rows are scaled up: Adam moves a weight about one learning rate per step, and a
# table row that must reach a sure remainder (logits several units apart) learnt too slowly
CELL_GAIN = (5.0, 20.0)  # (quotient-digit rows, remainder logits)
ZERO_DIGIT = np.eye(10, dtype="float32")[0]  # a missing digit, and the remainder above the top one


def ctx_dim(cfg: dict[str, Any]) -> int:
    # copy head, digit gathers, their numbers' signs, the operator between the operands,
    # then the digit-pair lookups (``pairs``), the higher places and the operand comparison
    # (``wide``) and the quotient lookup (``quotients``): options come last, so a warm start
    # from a model without them keeps every old row
    base = 2 * cfg["vin"] + cfg["units"] + len(GATHERS) * (DIGIT_VALUE + 1)
    return (base + len(PAIRS) * pair_width(cfg) + wide_width(cfg) + int(cfg.get("quotients", 0))
            + 2 * int(cfg.get("long_division", 0)))


def wide_width(cfg: dict[str, Any]) -> int:
    return (2 * len(WIDE_PLACES) * DIGIT_VALUE + COMPARE) if cfg.get("wide") else 0


def pair_width(cfg: dict[str, Any]) -> int:
    return int(cfg.get("pair_dim", 32)) if cfg.get("pairs") else 0


def numbers_of(ops, enc_ids, cfg, place):
    """(B, Tin, MAX_NUMBERS) one-hot: the last number started at or before each position
    (a bracket or an operator belongs to the number on its left); (B, Tin) 1.0 where that
    number is negative (a minus before it that is not a subtraction); and (B, Tin) 1.0 on
    the operators that stand right after a digit (the binary ones). ``place`` is
    ``place_value``'s (>= 0 on digits)."""
    digit = ops.cast(place >= 0.0, "float32")
    classes = A.token_classes(ops, enc_ids, cfg)
    minus, operator, opener = (classes[..., A.CLASSES.index(c)] for c in ("minus", "operator", "opener"))
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


def weight_specs(cfg: dict[str, Any], specs: list, dense, rnn) -> None:
    """Append the decoder's weights (the encoder is the attention architecture's)."""
    units, att, vout = cfg["units"], cfg.get("att_units", cfg["units"]), cfg["vout"]
    feat = cfg["places"] + cfg.get("operands", 2)
    rnn("dec0", vout + ctx_dim(cfg), units, 4)
    dense("att0/query", units, att, bias=False)  # the copy head; digit heads are gathers
    dense("att0/key", units, att, bias=False)
    dense("att0/place_key", feat, att, bias=False)
    specs.append(("att0/align_gain", (1,), "align"))
    if pair_width(cfg):
        dense("pairs/embed", 100, pair_width(cfg))
    dense("combine", units + ctx_dim(cfg), units)
    if cfg.get("quotients"):
        dense("quotients/embed", 1000, int(cfg["quotients"]))
    if cfg.get("long_division"):
        if not cfg.get("wide"):
            raise ValueError("long_division reads the dividend's places 2-4: it needs wide")
        dense("division/embed", 1000, int(cfg["long_division"]), bias=False)
        dense("division/remainder", 1000, 10)
    if cfg.get("deep"):  # a residual hidden layer; its output weights start at zero, so a
        # warm start from a model without it begins as exactly that model
        dense("deep/hidden", units, int(cfg["deep"]))
        specs.append(("deep/out/kernel", (int(cfg["deep"]), units), "zeros"))
        specs.append(("deep/out/bias", (units,), "zeros"))
    dense("out", units, vout)


def start(ops, W, cfg, enc) -> dict[str, Any]:
    """The decoder's first state, and what every step of this pass reads but never changes
    (worked out once here, not at every step)."""
    units, att = cfg["units"], cfg.get("att_units", cfg["units"])
    H, place, tin = enc["states"], enc["place"], enc["place"].shape[1]
    real = 1.0 - enc["pad"]  # (B, Tin)
    after = ops.concatenate([real[:, 1:], real[:, :1] * 0.0], axis=1)
    digit_out = _is_digit(tuple(cfg["out_tokens"]))
    is_digit = ops.cast(place >= 0.0, "float32")
    fixed = _as_column(_fixed_places(cfg))
    chars = enc["chars"]
    # per position: its digit (one-hot), 1, and its number's sign: a gather's (B, G, Tin)
    # mask times this is, in one matmul, what it read, how much of a digit, and its sign
    read = ops.concatenate([chars[:, :, 1:11], ops.expand_dims(real, -1) * 0.0 + 1.0,
                            ops.expand_dims(enc["negative"], -1)], axis=-1)
    values = ops.concatenate([H, chars], axis=-1)
    state = {}
    if enc.get("cache") is not None:  # NumPy: the context's parts projected (``_split``)
        split = state["split"] = _split(W, cfg, enc["cache"])
        keys = NR.flat_matmul(np.concatenate([H, enc["feats"]], axis=-1), split["keys"])
        state["h"] = state["c"] = np.zeros((H.shape[0], units), dtype="float32")
        state["anchor"] = np.zeros((H.shape[0], MAX_NUMBERS), dtype="float32")
        # what copying each position adds, once per pass; a big batch projects what it
        # copied at each step instead ((B, Tin, 640) per pass outgrows the caches)
        state["values"] = (NR.flat_matmul(values, split["copied"]) if values.shape[0] * tin <= PROJECT_ROWS
                           else values)
        state["ctx"] = np.zeros((values.shape[0], split["copied"].shape[1]), dtype="float32")
        state["recurrent"] = np.zeros((values.shape[0], 4 * units), dtype="float32")  # h = 0
        if values.shape[0] == 1 and not enc.get("attention", True):  # one expression: ``_one_row``
            state["run_count"] = 0
    else:
        state["values"], state["ctx"] = values, A._zeros(ops, enc["last"], ctx_dim(cfg))
        keys = (A._dense(ops, W, "att0/key", H) + A._dense(ops, W, "att0/place_key", enc["feats"])) / math.sqrt(att)
        state["h"] = state["c"] = A._zeros(ops, enc["last"], units)
        state["anchor"] = A._zeros(ops, enc["last"], MAX_NUMBERS)
    return {**state, "keys": keys,
            "follow": real * (1.0 - after),  # the last character
            "run": real[:, :1] * 0.0, "digit_out": digit_out,
            "shift": _shift(tin),  # copy @ shift: one to the left
            "bias": enc["pad"] * A.NEG,
            "pass": {  # per row; what ``_anchored`` reads (NumPy may take a subset of rows)
                "numbers": ops.transpose(enc["numbers"], (0, 2, 1)),  # (B, K, Tin)
                "is_digit": ops.expand_dims(is_digit, 1), "read": read, "chars": chars,
                "fixed": ops.cast(ops.equal(ops.expand_dims(place, 1), fixed), "float32"),
                "place": ops.expand_dims(place, 1),  # (B, 1, Tin)
                "binary_op": enc["binary_op"], "magnitude": _magnitude(ops, enc)}}


@functools.lru_cache(maxsize=None)
def _is_digit(tokens: tuple) -> np.ndarray:
    return np.array([tok in "0123456789" for tok in tokens], dtype="float32").reshape(-1, 1)  # (V, 1)


@functools.lru_cache(maxsize=None)
def _as_column(places: tuple) -> np.ndarray:
    return np.array(places, dtype="float32").reshape(1, -1, 1)


@functools.lru_cache(maxsize=None)
def _shift(t: int) -> np.ndarray:
    return np.eye(t, k=-1, dtype="float32")


def _layout(cfg) -> list[tuple[str, int]]:
    """The context's parts and widths, in the order the trained weights' rows follow."""
    parts = [("copied", cfg["units"] + cfg["vin"]), ("per_gather", len(GATHERS) * DIGIT_VALUE),
             ("operator", cfg["vin"]), ("signs", len(GATHERS)), ("pairs", len(PAIRS) * pair_width(cfg)),
             ("tail", wide_width(cfg) + int(cfg.get("quotients", 0))),
             ("division", 2 * int(cfg.get("long_division", 0)))]
    return [(name, width) for name, width in parts if width]


def _split(W, cfg, cache) -> dict[str, np.ndarray]:
    """NumPy: the rows of the two weights that read the context (the decoder LSTM's input
    and ``combine``), side by side and cut by part; cached. Why: on one expression a step's
    cost is mostly streaming those weights (2.2 MB, more than this machine's 2 MB L2). Cut
    by part, what the copy head reads is projected once per pass (``values``), what
    depends on the anchor once per anchor (``_anchored``), and the step multiplies only
    the rest: 1.3 MB. Same numbers, summed in another order."""
    key = ("rewriter-split",)
    if key not in cache:
        vout, units = cfg["vout"], cfg["units"]
        lstm, combine = W["dec0/kernel"], W["combine/kernel"]
        split, at = {}, 0
        for name, width in _layout(cfg):  # the LSTM's columns ready for NR.lstm_cell_halved
            split[name] = np.concatenate([NR.halve_gates(lstm[vout + at:vout + at + width]),
                                          combine[units + at:units + at + width]], axis=1)
            at += width
        # the parts that change at every step, after what was copied: a big batch reads all
        # of it, one expression (which projects what it copies once per pass) the rest
        split["step"] = np.concatenate([split[n] for n in ("copied",) + STEP_PARTS if n in split])
        split["changing"] = split["step"][split["copied"].shape[0]:]
        split["prev"] = NR.halve_gates(lstm[:vout] + W["dec0/bias"])
        # combine's bias, added with what the anchor projects (the LSTM's is in ``prev``)
        split["bias"] = np.concatenate([np.zeros(4 * units, dtype="float32"), W["combine/bias"]])
        # the copy head's keys from the encoder's states and place features at once
        att = W["att0/key/kernel"].shape[1]
        split["keys"] = np.concatenate([W["att0/key/kernel"], W["att0/place_key/kernel"]]) / math.sqrt(att)
        # what reads h: the copy head's query, combine, and (at the next step) the LSTM
        split["from_h"] = np.concatenate([W["att0/query/kernel"], combine[:units],
                                          NR.halve_gates(W["dec0/recurrent"])], axis=1)
        if cfg.get("deep"):  # the output layer folded into the deep layer's (``_logits``)
            vout_k = W["out/kernel"]
            split["head"] = np.concatenate([vout_k, W["deep/hidden/kernel"]], axis=1)
            split["deep_logits"] = W["deep/out/kernel"] @ vout_k
            split["logits_bias"] = W["deep/out/bias"] @ vout_k + W["out/bias"]
        if cfg.get("long_division"):  # the cell's two tables side by side, by divisor digit
            tables = np.concatenate([W["division/embed/kernel"], W["division/remainder/kernel"]], axis=1)
            dim = int(cfg["long_division"])
            by = tables.reshape(10, 10, 10, -1).transpose(2, 1, 0, 3)  # (divisor, digit, remainder, .)
            split["cell"] = np.concatenate([CELL_GAIN[1] * by[..., dim:].reshape(10, 10, -1),
                                            CELL_GAIN[0] * by[..., :dim].reshape(10, 10, -1)],
                                           axis=2).reshape(10, -1)
            split["cell_bias"] = CELL_GAIN[1] * W["division/remainder/bias"]
        cache[key] = split
    return cache[key]


STEP_PARTS = ("per_gather", "signs", "pairs")  # the parts that change at every step
STEP_READS = ("attention", "pad", "cache")  # what ``step`` reads of the encoder's output
PROJECT_ROWS = 512  # batch x positions up to which a pass projects what each position adds


def _fixed_places(cfg) -> tuple[int, ...]:
    """The places gathered at every step whatever is being written: 0 and 1 (GATHERS),
    then ``wide``'s."""
    return (0, 1) + (WIDE_PLACES if cfg.get("wide") else ())


def _outer(ops, x, y):
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


def _weighted(ops, w, x):
    """(B, D): the (B, T) weights ``w`` applied to the (B, T, D) rows ``x``."""
    return ops.matmul(ops.expand_dims(w, 1), x)[:, 0]


def _by_operand(ops, masks, operands):
    """(B, P, Tin) place masks times (B, 2, Tin) operands -> (B, 2P, Tin) gathers, in
    GATHERS' order: each place for the left operand, then the right."""
    p, tin = masks.shape[1], masks.shape[2]
    return ops.reshape(ops.expand_dims(masks, 2) * ops.expand_dims(operands, 1), (-1, 2 * p, tin))


def step(ops, W, cfg, enc, state, prev_ids, t):
    """Decoder step ``t``: (logits (B,V), attention (B,Tin) averaged over heads, or None
    where ``enc["attention"]`` is False, and the state)."""
    one = "run_count" in state  # NumPy, one expression: see ``_one_row``
    if one:
        run = state["run_count"] + 1 if state["digit_out"][int(prev_ids[0]), 0] else 0
    else:
        run = (state["run"] + 1.0) * ops.take(state["digit_out"], prev_ids, axis=0)  # 0 after the start
    split, gates = state.get("split"), 4 * cfg["units"]
    if split is not None and t == 0:  # from the start marker and zero states: every pass's first
        h, c, from_h = _first_step(split, prev_ids)
        att_units = W["att0/query/kernel"].shape[1]
        q, from_h = from_h[:, :att_units], from_h[:, att_units:]
    elif split is not None:  # the last step's context and h, already projected (and the bias)
        z = ops.take(split["prev"], prev_ids, axis=0) + state["ctx"][:, :gates] + state["recurrent"]
        h, c = NR.lstm_cell_halved(z, state["c"])
        from_h = np.matmul(h, split["from_h"])  # h times everything that reads it, at once
        att_units = W["att0/query/kernel"].shape[1]
        q, from_h = from_h[:, :att_units], from_h[:, att_units:]
    else:  # the previous character's one-hot times the kernel: its row
        kernel = W["dec0/kernel"]
        z = (ops.take(kernel, prev_ids, axis=0) + ops.matmul(state["ctx"], kernel[cfg["vout"]:])
             + W["dec0/bias"] + ops.matmul(state["h"], W["dec0/recurrent"]))
        h, c = A._lstm_cell(ops, z, state["c"])
        q = A._dense(ops, W, "att0/query", h)

    # the copy head: learned attention, drawn to one left of where it last looked
    scores = ops.matmul(state["keys"], ops.expand_dims(q, -1))[..., 0]
    copy = ops.softmax(scores + W["att0/align_gain"] * state["follow"] + state["bias"], axis=-1)

    # the operands: the anchor (where the copy head stood when this number began) is in
    # the right one; the left one is the number before it. What depends on the anchor
    # alone is worked out when it moves (``_anchored``)
    rows = state["pass"]
    if one:
        anchor, fixed, changing = _one_row(ops, W, cfg, state, copy, run, split)
        g = lesson = None
        parts = {}
    else:
        fresh = 1.0 - ops.minimum(run, 1.0)  # (B, 1): a new number starts here
        if isinstance(fresh, np.ndarray) and "anchored" in state and not np.add.reduce(fresh, axis=None):
            anchor, fixed, lesson = state["anchor"], state["anchored"], None  # NumPy: held on every row
        else:
            here = ops.matmul(rows["numbers"], ops.expand_dims(copy, -1))[..., 0]  # (B, K)
            anchor = fresh * here + (1.0 - fresh) * state["anchor"]
            fixed, lesson = _anchored_cached(ops, W, cfg, state, anchor, fresh, split)
        # digit gathers, not learned attention: the digit at places r and r-1 of each operand
        # (weighted by how sure the anchor is), how much of one there is, and its sign
        want = ops.expand_dims(ops.concatenate([run, run - 1.0], axis=-1), -1)  # (B, 2, 1)
        g = _by_operand(ops, ops.cast(ops.equal(rows["place"], want), "float32"), fixed["operands"])
        n = len(GATHERS) - 4  # gathers at fixed places (after those at places r and r-1)
        base = ops.concatenate([ops.matmul(g, rows["read"]), fixed["read"][:, :n]], axis=1)  # (B, 8, 12)
        parts = _digit_parts(ops, W, cfg, base)
        if cfg.get("long_division"):  # the quotient digit's row at place r, and the sum above it
            rows_ld = fixed["division"]
            if not (isinstance(rows_ld, np.ndarray) and not rows_ld.any()):  # NumPy: none divides
                select = ops.stack([ops.cast(ops.equal(run, PLACE_INDEX), "float32"),
                                    ops.cast(run < PLACE_INDEX, "float32")], axis=1)  # (B, 2, places)
                parts["division"] = ops.reshape(ops.matmul(select, rows_ld), (-1, 2 * rows_ld.shape[2]))
        changing = None
    if split is not None:
        copied = _weighted(ops, copy, state["values"])
        if changing is None:
            changing = np.concatenate([parts[n] for n in STEP_PARTS if n in parts], axis=-1)
        if copied.shape[1] == split["step"].shape[1]:  # already projected
            ctx = copied + np.matmul(changing, split["changing"])
        else:
            ctx = np.matmul(np.concatenate([copied, changing], axis=-1), split["step"])
        ctx += fixed["projected"]
        if "division" in parts:
            ctx = ctx + np.matmul(parts["division"], split["division"])
        if fixed.get("division_by_run") is not None:  # one expression
            ctx += fixed["division_by_run"][:, min(run, DIVIDEND_PLACES)]
        out = np.tanh(from_h[:, :cfg["units"]] + ctx[:, gates:])  # combine's bias is in ``projected``
    else:
        parts.update(copied=_weighted(ops, copy, state["values"]), operator=fixed["operator"])
        if "tail" in fixed:
            parts["tail"] = fixed["tail"]
        ctx = ops.concatenate([parts.get(name, A._zeros(ops, h, width)) for name, width in _layout(cfg)], axis=-1)
        out = ops.tanh(A._dense(ops, W, "combine", ops.concatenate([h, ctx], axis=-1)))
    logits = _logits(ops, W, cfg, out, split)
    mean_att = None
    if enc.get("attention", True):  # where it copied from and what it read
        gathered = 1e-9 * (1.0 - enc["pad"]) + ops.sum(g, axis=1) + fixed["gathered"]
        mean_att = 0.5 * (copy + gathered / ops.sum(gathered, axis=-1, keepdims=True))
    new = {**state, "h": h, "c": c, "ctx": ctx, "run_count" if one else "run": run,
           "follow": ops.matmul(copy, state["shift"]), "anchor": anchor, "anchored": fixed}
    if split is not None:
        new["recurrent"] = from_h[:, cfg["units"]:]  # the next step's h @ recurrent
    if lesson is not None:
        new["division_loss"] = state["division_loss"] + lesson
    return logits, mean_att, new


def _digit_parts(ops, W, cfg, base):
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
        parts["pairs"] = ops.reshape(A._dense(ops, W, "pairs/embed", cells), (-1, len(PAIRS) * pair_width(cfg)))
    return parts


def _one_row(ops, W, cfg, state, copy, run, split):
    """NumPy, one expression: (anchor, anchored parts, (1, width) the parts of the context
    that the step's gathered digits make), with ``run`` (digits written in a row) a Python
    int. Why: one expression's step costs its count of small array operations; with the
    count a number, what the digits at places r and r-1 make is one row of a table made
    when the anchor moves (``_run_tables``), as is long division's part of the context, where
    the batch route masks, gathers and multiplies at every step. Same numbers."""
    if run:  # the anchor is held
        fixed = state["anchored"]
        anchor = state["anchor"]
    else:  # a new number starts: the anchor is where the copy head stands
        anchor = ops.matmul(state["pass"]["numbers"], ops.expand_dims(copy, -1))[..., 0]
        fixed, _ = _anchored(ops, W, cfg, state["pass"], anchor, state, split, one_row=True)
    table = fixed["by_run"]
    return anchor, fixed, table[min(run, len(table) - 1)][None]


def _run_tables(ops, W, cfg, rows, fixed, split):
    """``_one_row``'s tables for one anchor, by the count r of digits written in a row
    (the last row standing for any more): (places + 2, width) the parts of the context that
    the digits at places r and r-1 and the fixed places make (``_digit_parts``), and
    (6, context) long division's part of the context (r = 0-5), or None where nothing
    divides."""
    place = rows["place"][:, 0]  # (1, Tin)
    masked = fixed["operands"]
    mask = (place[:, None, :] == _place_column(int(np.maximum.reduce(place, axis=None)) + 1)).astype("float32")
    g = (mask[:, :, None, :] * masked[:, None, :, :]).reshape(1, -1, masked.shape[-1])
    reads = np.matmul(g, rows["read"]).reshape(-1, 2, rows["read"].shape[-1])  # (places, 2, 12)
    zero = np.zeros((1, 2, reads.shape[-1]), dtype="float32")
    at = np.concatenate([zero, reads, zero])  # [k]: the reads at place k - 1 (none at either end)
    count = len(at)  # r = 0 .. places + 1: place r is at[r + 1], place r - 1 at[r]
    ahead = np.concatenate([at[1:], zero])
    fixed_reads = np.repeat(fixed["read"][:, :len(GATHERS) - 4], count, axis=0)
    parts = _digit_parts(ops, W, cfg, np.concatenate([ahead, at, fixed_reads], axis=1))
    table = np.concatenate([parts[n] for n in STEP_PARTS if n in parts], axis=-1)
    division = fixed.get("division")
    if division is None or not division.any():
        return table, None
    # the count's quotient row (none from place 5 on) and the sum of the rows above it
    above = np.cumsum(division[:, ::-1], axis=1)[:, ::-1]  # [:, p]: rows p and up
    pad = np.zeros((1, 1, division.shape[2]), dtype="float32")
    at = np.concatenate([division, pad], axis=1)
    over = np.concatenate([above[:, 1:], pad, pad], axis=1)
    return table, np.matmul(np.concatenate([at, over], axis=-1), split["division"])


@functools.lru_cache(maxsize=None)
def _place_column(places: int) -> np.ndarray:
    return np.arange(max(places, 0), dtype="float32").reshape(1, -1, 1)


def _first_step(split, prev_ids):
    """NumPy: the decoder LSTM's first step, (h, c, h @ everything that reads it), which
    depends only on the start marker (``start`` sets every state to zero): worked out
    once per start id and shared by every row and pass."""
    start_id, firsts = int(prev_ids[0]), split.setdefault("first", {})
    if start_id not in firsts:
        z = split["prev"][start_id:start_id + 1]  # + zero context + zero h @ recurrent
        h, c = NR.lstm_cell_halved(z, np.zeros((1, z.shape[1] // 4), dtype="float32"))
        firsts[start_id] = (h, c, np.matmul(h, split["from_h"]))
    rows = len(prev_ids)
    return firsts[start_id] if rows == 1 else tuple(np.repeat(x, rows, axis=0) for x in firsts[start_id])


def _logits(ops, W, cfg, out, split):
    """The output layer, after ``deep``'s residual layer if there is one. NumPy (``split``)
    folds the two: out @ W_out + tanh(out @ W_hidden) @ (W_deep_out @ W_out), a (256, 21)
    product where there was a (256, 128) one, and one product reads ``out``."""
    if not cfg.get("deep"):
        return A._dense(ops, W, "out", out)
    if split is None:
        out = out + A._dense(ops, W, "deep/out", ops.tanh(A._dense(ops, W, "deep/hidden", out)))
        return A._dense(ops, W, "out", out)
    both = np.matmul(out, split["head"])
    vout = W["out/kernel"].shape[1]
    hidden = np.tanh(both[:, vout:] + W["deep/hidden/bias"])
    return both[:, :vout] + np.matmul(hidden, split["deep_logits"]) + split["logits_bias"]


def _anchored_cached(ops, W, cfg, state, anchor, fresh, split):
    """``_anchored``, which NumPy works out only for the rows whose anchor moved (a new
    number starts on about two steps in five; between, the anchor is held exactly). The
    moved rows are written into the last step's arrays in place (copying them all cost
    ~2 MB a step on a 512-row batch): decoding keeps only its newest state."""
    old = state.get("anchored")
    if old is None or not isinstance(fresh, np.ndarray):
        return _anchored(ops, W, cfg, state["pass"], anchor, state, split)
    moved = np.nonzero(fresh[:, 0])[0]
    if moved.size == fresh.shape[0]:
        return _anchored(ops, W, cfg, state["pass"], anchor, state, split)
    if moved.size == 0:
        return old, None
    sub, _ = _anchored(ops, W, cfg, {k: v[moved] for k, v in state["pass"].items()}, anchor[moved], {},
                       split)
    for k, v in sub.items():
        old[k][moved] = v
    return old, None


def _anchored(ops, W, cfg, rows, anchor, state, split=None, one_row=False):
    """Everything a step reads that depends only on the anchor (and the pass): the two
    operands, the gathers at fixed places, the operator between the operands, ``wide``'s
    comparison, the ``quotients`` lookup and the ``long_division`` rows (with ``split``,
    the operator and those lookups come projected). Returns (that, the long-division
    lesson's loss for this step or None)."""
    which = ops.reshape(ops.matmul(anchor, PICK), (-1, 2, MAX_NUMBERS))  # (B, 2, K): left, right
    operands = ops.matmul(which, rows["numbers"])  # (B, 2, Tin)
    masked = operands * rows["is_digit"]
    g = _by_operand(ops, rows["fixed"], masked)  # (B, 2 * fixed places, Tin)
    read = ops.matmul(g, rows["read"])  # (B, gathers, 12)
    n = len(GATHERS) - 4  # GATHERS at fixed places
    binary = rows["binary_op"] * operands[:, 0]  # right after the left operand's last digit
    out = {"operands": masked, "read": read, "operator": _weighted(ops, binary, rows["chars"])}
    if not one_row:  # what the fixed-place gathers read, for the attention shown (one row: never)
        out["gathered"] = ops.sum(g[:, :n], axis=1)
    digits, found = read[:, :, :10], read[:, :, 10:11]
    tail = []
    if cfg.get("wide"):
        tail.append(ops.reshape(read[:, n:, :DIGIT_VALUE], (-1, (read.shape[1] - n) * DIGIT_VALUE)))
        left_minus_right = ops.sum(rows["magnitude"] * (operands[:, 0] - operands[:, 1]), axis=1,
                                   keepdims=True)
        larger = [ops.minimum(ops.relu(left_minus_right), 1.0),
                  ops.minimum(ops.relu(-left_minus_right), 1.0)]
        tail += [larger[0], 1.0 - larger[0] - larger[1], larger[1]]
    division = lesson = None
    if cfg.get("quotients") or cfg.get("long_division"):  # (B, 1): the operator is "/"
        slash = cfg["in_tokens"].index("/")
        division = out["operator"][:, slash:slash + 1]
    if cfg.get("quotients"):  # a learned table over (dividend tens, units; divisor units)
        def cells(digits):
            a1, a0, b0 = (digits[:, _fixed_index(cfg, w)] for w in QUOTIENT_GATHERS)
            return _outer(ops, _outer(ops, a1, a0), b0)

        tail.append(_gated(ops, W, "quotients/embed", cells, digits, division))
    if tail:
        out["tail"] = ops.concatenate(tail, axis=-1)
    if split is not None:
        out["projected"] = np.matmul(out["operator"], split["operator"]) + split["bias"]
        if tail:
            out["projected"] += np.matmul(out["tail"], split["tail"])
    if cfg.get("long_division"):
        out["division"], lesson = _long_division(ops, W, cfg, digits, found, division, state, split)
    if one_row:  # NumPy, one expression (``_one_row``)
        out["by_run"], out["division_by_run"] = _run_tables(ops, W, cfg, rows, out, split)
    return out, lesson


def _fixed_index(cfg, gather) -> int:
    """Where a fixed-place gather (place, operand) sits in ``_anchored``'s reads."""
    return _index_in(_fixed_places(cfg), gather)


@functools.lru_cache(maxsize=None)
def _index_in(places: tuple, gather) -> int:
    place, operand = gather
    return 2 * places.index(place) + operand


def _gated(ops, W, name, cells, digits, gate):
    """``dense(cells(digits) * gate)``, which NumPy works out only on the rows whose gate
    is open (a shut row gets the bias)."""
    if not isinstance(gate, np.ndarray):
        return A._dense(ops, W, name, cells(digits) * gate)
    out = np.zeros((gate.shape[0], W[f"{name}/kernel"].shape[1]), dtype="float32")
    if f"{name}/bias" in W:
        out += W[f"{name}/bias"]
    open_rows = np.nonzero(gate[:, 0])[0]
    if open_rows.size:
        out[open_rows] = A._dense(ops, W, name, cells(digits[open_rows]) * gate[open_rows])
    return out


def _long_division(ops, W, cfg, digits, found, division, state, split=None):
    """(B, places, dim): each place's quotient-digit row, on divisions by a 1-digit number
    (zeros otherwise), and the lesson's loss (None outside training).

    The chain starts with remainder 0 above the top digit; a missing digit reads as 0.
    In training (``state["division_loss"]``, set by ``architectures.teacher_logits``) each
    remainder the cell writes is also checked against the one long division carries down,
    as a teacher checks each line of a pupil's working: learnt from the answers alone, the
    cell's remainders stayed at chance (13% sure of any, after 6 epochs)."""
    places = _dividend_indices(_fixed_places(cfg))  # the dividend's places 0-4
    gate = division * (1.0 - found[:, _fixed_index(cfg, (1, 1))])  # a "/", no divisor tens digit
    teach = "division_loss" in state
    if teach:  # the lesson trains the cell, not where the digits come from
        digits, found = ops.stop_gradient(digits), ops.stop_gradient(found)
    divisor = digits[:, _fixed_index(cfg, (0, 1))]

    def chain(digits, found, divisor):
        remainder = divisor * 0.0 + ZERO_DIGIT
        rows, misses = [], []
        for p in reversed(range(DIVIDEND_PLACES)):
            digit = digits[:, places[p]] + (1.0 - found[:, places[p]]) * ZERO_DIGIT
            cell = _outer(ops, _outer(ops, remainder, digit), divisor)
            rows.append(CELL_GAIN[0] * A._dense(ops, W, "division/embed", cell))
            remainder = ops.softmax(CELL_GAIN[1] * A._dense(ops, W, "division/remainder", cell), axis=-1)
            misses.append((digit, remainder))
        return ops.stack(rows[::-1], axis=1), misses  # rows[:, p]: place p

    def divided_first(digits, found, divisor):
        """The same chain in NumPy, leaner: the divisor and then each place's digit
        multiplied into the cell's tables first (``split["cell"]``, laid out by divisor,
        digit and remainder), so a place's step is the remainder times a (10, 10) table,
        and the rows of every place are one product at the end."""
        dim, b = int(cfg["long_division"]), divisor.shape[0]
        by_digit = np.matmul(divisor, split["cell"]).reshape(b, 10, -1)
        each = digits[:, places] + (1.0 - found[:, places]) * ZERO_DIGIT  # (B, places, 10)
        tables = np.matmul(each, by_digit)  # (B, places, remainder x (10 + dim))
        to_remainder = tables[:, :, :100].reshape(b, DIVIDEND_PLACES, 10, 10)
        remainder, entering = divisor * 0.0 + ZERO_DIGIT, [None] * DIVIDEND_PLACES
        for p in reversed(range(DIVIDEND_PLACES)):
            entering[p] = remainder
            if p:  # the last remainder is not needed
                remainder = NF._softmax(np.matmul(remainder[:, None], to_remainder[:, p])[:, 0] + split["cell_bias"])
        entering = np.concatenate([r[:, None, None] for r in entering], axis=1)  # (B, places, 1, 10)
        rows = np.matmul(entering, tables[:, :, 100:].reshape(b, DIVIDEND_PLACES, 10, dim))
        return rows[:, :, 0], None

    if isinstance(gate, np.ndarray) and not teach:  # NumPy: only the rows that divide
        open_rows = np.nonzero(gate[:, 0])[0]
        out = np.zeros((gate.shape[0], DIVIDEND_PLACES, int(cfg["long_division"])), dtype="float32")
        if open_rows.size:
            rows, _ = (chain if split is None else divided_first)(digits[open_rows], found[open_rows],
                                                                 divisor[open_rows])
            out[open_rows] = rows * gate[open_rows, :, None]
        return out, None
    rows, misses = chain(digits, found, divisor)
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
def _dividend_indices(places: tuple) -> list[int]:
    return [_index_in(places, (p, 0)) for p in range(DIVIDEND_PLACES)]


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


# ----------------------------------------------------------------------------- passes
def work_out(one_pass, texts: list[str], max_len: int, max_passes: int = 8):
    """Run a rewriting model until every text is an answer.

    ``one_pass(texts) -> (next texts, per-character confidences)``. Returns (answers,
    confidences, steps): each answer's characters carry the weakest confidence of any
    earlier pass (a chain is as sure as its least sure link), and ``steps`` lists every
    working text the network wrote. A pass that writes something that is not an
    expression, is too long, or changes nothing ends that row with what it wrote.
    """
    from calcapp.expr.errors import CalcError
    from calcapp.expr.parser import parse
    from calcapp.expr.steps import is_final

    current = list(texts)
    confs: list[list[float]] = [[1.0] * len(t) for t in texts]
    weakest = [1.0] * len(texts)
    steps: list[list[str]] = [[] for _ in texts]
    done = [is_final(t) for t in current]
    for _ in range(max_passes):
        rows = [i for i, d in enumerate(done) if not d]
        if not rows:
            break
        outs, out_confs = one_pass([current[i] for i in rows])
        for i, text, conf in zip(rows, outs, out_confs):
            changed = text != current[i]
            current[i], confs[i] = text, conf
            steps[i].append(text)
            ok = is_final(text)
            if not ok and changed and len(text) <= max_len:
                try:
                    parse(text)
                except CalcError:
                    changed = False
            if ok or not changed or len(text) > max_len:
                done[i] = True
                confs[i] = [min(c, weakest[i]) for c in conf]
            else:
                weakest[i] = min([weakest[i], *conf])
    for i, d in enumerate(done):  # out of passes: what was written last stands
        if not d:
            confs[i] = [min(c, weakest[i]) for c in confs[i]]
    return current, confs, steps
