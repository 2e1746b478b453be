"""The rewriting decoder's shorter NumPy routes to the plain form's numbers (``rewriter``).

Why: on one expression a step's cost is its count of small array operations and the
streaming of the weights that read the context. So the context's weights are cut by part
(``_split``); what the copy head reads is projected once per pass; what depends only on the
anchor is worked out when it moves (``_anchored_cached``); one expression counts its digits
in a Python int and looks its gathered digits up in tables (``_one_row``); long division
runs only on the rows that divide. Same numbers, summed in another order: tests hold the
two routes together. NumPy only; training never comes here.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from calcapp.arithmetic.model import blocks as B
from calcapp.arithmetic.model import numpy_routes as NR
from calcapp.arithmetic.model import rewriter as R
from calcapp.arithmetic.model.features import MAX_NUMBERS
from calcapp.nets.numpy_ops import softmax

PROJECT_ROWS = 512  # batch x positions up to which a pass projects what each position adds


def start(ops, W, cfg, enc) -> dict[str, Any]:
    """The first state, with the context's parts projected (``_split``)."""
    units = cfg.units
    H, tin = enc["states"], enc["place"].shape[1]
    values = np.concatenate([H, enc["chars"]], axis=-1)
    state = R.pass_state(ops, cfg, enc)
    split = state["split"] = _split(W, cfg, enc["cache"])
    state["keys"] = NR.flat_matmul(np.concatenate([H, enc["feats"]], axis=-1), split["keys"])
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
    return state


def _split(W, cfg, cache) -> dict[str, np.ndarray]:
    """NumPy: the rows of the two weights that read the context (the decoder LSTM's input
    and ``combine``), side by side and cut by part; cached. Why: on one expression a step's
    cost is mostly streaming those weights (more than a 2 MB L2 cache holds). Cut
    by part, what the copy head reads is projected once per pass (``values``), what
    depends on the anchor once per anchor (``_anchored``), and the step multiplies only
    the rest. Same numbers, summed in another order."""
    key = ("rewriter-split",)
    if key not in cache:
        vout, units = cfg.vout, cfg.units
        lstm, combine = W["dec0/kernel"], W["combine/kernel"]
        split, at = {}, 0
        for name, width in R.layout(cfg):  # the LSTM's columns ready for NR.lstm_cell_halved
            split[name] = np.concatenate([NR.halve_gates(lstm[vout + at:vout + at + width]),
                                          combine[units + at:units + at + width]], axis=1)
            at += width
        # the parts that change at every step, after what was copied: a big batch reads all
        # of it, one expression (which projects what it copies once per pass) the rest
        split["step"] = np.concatenate([split[n] for n in ("copied",) + R.STEP_PARTS if n in split])
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
        if cfg.deep:  # the output layer folded into the deep layer's (``_logits``)
            vout_k = W["out/kernel"]
            split["head"] = np.concatenate([vout_k, W["deep/hidden/kernel"]], axis=1)
            split["deep_logits"] = W["deep/out/kernel"] @ vout_k
            split["logits_bias"] = W["deep/out/bias"] @ vout_k + W["out/bias"]
        if cfg.long_division:  # the cell's two tables side by side, by divisor digit
            tables = np.concatenate([W["division/embed/kernel"], W["division/remainder/kernel"]], axis=1)
            dim = int(cfg.long_division)
            by = tables.reshape(10, 10, 10, -1).transpose(2, 1, 0, 3)  # (divisor, digit, remainder, .)
            split["cell"] = np.concatenate([R.CELL_GAIN[1] * by[..., dim:].reshape(10, 10, -1),
                                            R.CELL_GAIN[0] * by[..., :dim].reshape(10, 10, -1)],
                                           axis=2).reshape(10, -1)
            split["cell_bias"] = R.CELL_GAIN[1] * W["division/remainder/bias"]
        cache[key] = split
    return cache[key]


def step(ops, W, cfg, enc, state, prev_ids, t):
    """``rewriter.step`` by the shorter routes: the same (logits, attention or None, state)."""
    one = "run_count" in state  # one expression: see ``_one_row``
    if one:
        run = state["run_count"] + 1 if state["digit_out"][int(prev_ids[0]), 0] else 0
    else:
        run = (state["run"] + 1.0) * ops.take(state["digit_out"], prev_ids, axis=0)  # 0 after the start
    split, gates = state["split"], 4 * cfg.units
    if t == 0:  # from the start marker and zero states: every pass's first
        h, c, from_h = _first_step(split, prev_ids)
    else:  # the last step's context and h, already projected (and the bias)
        z = ops.take(split["prev"], prev_ids, axis=0) + state["ctx"][:, :gates] + state["recurrent"]
        h, c = NR.lstm_cell_halved(z, state["c"])
        from_h = np.matmul(h, split["from_h"])  # h times everything that reads it, at once
    att_units = W["att0/query/kernel"].shape[1]
    q, from_h = from_h[:, :att_units], from_h[:, att_units:]
    copy = R.copy_head(ops, W, state, q)
    if one:
        anchor, fixed, changing = _one_row(ops, W, cfg, state, copy, run, split)
        g, parts = None, {}
    else:
        anchor, fixed = _anchor_of(ops, W, cfg, state, copy, run, split)
        g, parts = R.gathered(ops, W, cfg, state["pass"], run, fixed)
        if cfg.long_division and fixed["division"].any():  # not when none divides
            parts["division"] = R.division_part(ops, run, fixed["division"])
        changing = np.concatenate([parts[n] for n in R.STEP_PARTS if n in parts], axis=-1)
    ctx = _context(ops, state, copy, changing, fixed, parts, split, run)
    out = np.tanh(from_h[:, :cfg.units] + ctx[:, gates:])  # combine's bias is in ``projected``
    logits = _logits(W, cfg, out, split)
    mean_att = R.attention_shown(ops, enc, copy, g, fixed) if enc.get("attention", True) else None
    return logits, mean_att, {**state, "h": h, "c": c, "ctx": ctx, "run_count" if one else "run": run,
                              "follow": ops.matmul(copy, state["shift"]), "anchor": anchor, "anchored": fixed,
                              "recurrent": from_h[:, cfg.units:]}  # the next step's h @ recurrent


def _anchor_of(ops, W, cfg, state, copy, run, split):
    """(anchor, anchored parts) of a batch: held where no row starts a number."""
    fresh = 1.0 - ops.minimum(run, 1.0)  # (B, 1): a new number starts here
    if "anchored" in state and not np.add.reduce(fresh, axis=None):
        return state["anchor"], state["anchored"]  # held on every row
    here = ops.matmul(state["pass"]["numbers"], ops.expand_dims(copy, -1))[..., 0]  # (B, K)
    anchor = fresh * here + (1.0 - fresh) * state["anchor"]
    fixed, _ = _anchored_cached(ops, W, cfg, state, anchor, fresh, split)
    return anchor, fixed


def _context(ops, state, copy, changing, fixed, parts, split, run):
    """The context, already projected through the LSTM's and ``combine``'s rows."""
    copied = R.weighted(ops, copy, state["values"])
    if copied.shape[1] == split["step"].shape[1]:  # already projected
        ctx = copied + np.matmul(changing, split["changing"])
    else:
        ctx = np.matmul(np.concatenate([copied, changing], axis=-1), split["step"])
    ctx += fixed["projected"]
    if "division" in parts:
        ctx = ctx + np.matmul(parts["division"], split["division"])
    if fixed.get("division_by_run") is not None:  # one expression
        ctx += fixed["division_by_run"][:, min(run, R.DIVIDEND_PLACES)]
    return ctx


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
    the digits at places r and r-1 and the fixed places make (``R.digit_parts``), and
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
    fixed_reads = np.repeat(fixed["read"][:, :len(R.GATHERS) - 4], count, axis=0)
    parts = R.digit_parts(ops, W, cfg, np.concatenate([ahead, at, fixed_reads], axis=1))
    table = np.concatenate([parts[n] for n in R.STEP_PARTS if n in parts], axis=-1)
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


def _logits(W, cfg, out, split):
    """The output layer; with ``deep``, the two folded: out @ W_out + tanh(out @ W_hidden) @
    (W_deep_out @ W_out), a (256, 21) product where there was a (256, 128) one, and one
    product reads ``out``."""
    if not cfg.deep:
        return np.matmul(out, W["out/kernel"]) + W["out/bias"]
    both = np.matmul(out, split["head"])
    vout = W["out/kernel"].shape[1]
    hidden = np.tanh(both[:, vout:] + W["deep/hidden/bias"])
    return both[:, :vout] + np.matmul(hidden, split["deep_logits"]) + split["logits_bias"]


def _anchored_cached(ops, W, cfg, state, anchor, fresh, split):
    """``_anchored``, which NumPy works out only for the rows whose anchor moved (a new
    number starts on about two steps in five; between, the anchor is held exactly). The
    moved rows are written into the last step's arrays in place (copying them all cost
    megabytes a step on a big batch): decoding keeps only its newest state."""
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


def _anchored(ops, W, cfg, rows, anchor, state, split, one_row=False):
    """``rewriter.anchored`` with the operator and the lookups projected through ``split``,
    the ``quotients`` lookup and long division only on the rows that divide, and (one row)
    ``_run_tables``. Returns (that, None): no lesson outside training."""
    out, tail, digits, found, division = R.anchored_reads(ops, cfg, rows, anchor, shown=not one_row)
    if cfg.quotients:
        tail.append(_gated(ops, W, "quotients/embed", lambda d: R.quotient_cells(ops, cfg, d), digits, division))
    if tail:
        out["tail"] = ops.concatenate(tail, axis=-1)
    out["projected"] = np.matmul(out["operator"], split["operator"]) + split["bias"]
    if tail:
        out["projected"] += np.matmul(out["tail"], split["tail"])
    if cfg.long_division:
        out["division"] = _long_division(W, cfg, digits, found, division, split)
    if one_row:
        out["by_run"], out["division_by_run"] = _run_tables(ops, W, cfg, rows, out, split)
    return out, None


def _gated(ops, W, name, cells, digits, gate):
    """``dense(cells(digits) * gate)``, worked out only on the rows whose gate is open (a
    shut row gets the bias)."""
    out = np.zeros((gate.shape[0], W[f"{name}/kernel"].shape[1]), dtype="float32")
    if f"{name}/bias" in W:
        out += W[f"{name}/bias"]
    open_rows = np.nonzero(gate[:, 0])[0]
    if open_rows.size:
        out[open_rows] = B.dense(ops, W, name, cells(digits[open_rows]) * gate[open_rows])
    return out


def _long_division(W, cfg, digits, found, division, split):
    """``rewriter.long_division``'s rows, on the rows that divide only, with the divisor and
    then each place's digit multiplied into the cell's tables first (``split["cell"]``, laid
    out by divisor, digit and remainder): a place's step is the remainder times a (10, 10)
    table, and the rows of every place are one product at the end."""
    places = R.dividend_indices(R.fixed_places(cfg))
    gate = R.division_gate(cfg, found, division)
    dim = int(cfg.long_division)
    out = np.zeros((gate.shape[0], R.DIVIDEND_PLACES, dim), dtype="float32")
    open_rows = np.nonzero(gate[:, 0])[0]
    if not open_rows.size:
        return out
    digits, found = digits[open_rows], found[open_rows]
    divisor = digits[:, R.fixed_index(cfg, (0, 1))]
    b = divisor.shape[0]
    by_digit = np.matmul(divisor, split["cell"]).reshape(b, 10, -1)
    each = digits[:, places] + (1.0 - found[:, places]) * R.ZERO_DIGIT  # (B, places, 10)
    tables = np.matmul(each, by_digit)  # (B, places, remainder x (10 + dim))
    to_remainder = tables[:, :, :100].reshape(b, R.DIVIDEND_PLACES, 10, 10)
    remainder, entering = divisor * 0.0 + R.ZERO_DIGIT, [None] * R.DIVIDEND_PLACES
    for p in reversed(range(R.DIVIDEND_PLACES)):
        entering[p] = remainder
        if p:  # the last remainder is not needed
            remainder = softmax(np.matmul(remainder[:, None], to_remainder[:, p])[:, 0] + split["cell_bias"])
    entering = np.concatenate([r[:, None, None] for r in entering], axis=1)  # (B, places, 1, 10)
    rows = np.matmul(entering, tables[:, :, 100:].reshape(b, R.DIVIDEND_PLACES, 10, dim))
    out[open_rows] = rows[:, :, 0] * gate[open_rows, :, None]
    return out
