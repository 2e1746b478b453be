"""The attention decoder that writes the answer: an LSTM with dot-product heads and input
feeding, optionally aligned to place values, with the digit-pair column of a long
multiplication and the divisor's digits handed over as features."""

from __future__ import annotations

import math

from calcapp.arithmetic.model import blocks as B
from calcapp.arithmetic.model.weights import pair_dim, value_dim


def start(ops, W, cfg, enc):
    units, heads = cfg.units, cfg.heads
    H = enc["states"]
    if cfg.char_values:  # attention from place/operand features only: length-proof
        keys = [0.0 * B.dense(ops, W, f"att{k}/key", H) for k in range(heads)]
    else:
        keys = [B.dense(ops, W, f"att{k}/key", H) for k in range(heads)]
    if cfg.places:
        keys = [key + B.dense(ops, W, f"att{k}/place_key", enc["feats"]) for k, key in enumerate(keys)]
    h = B.zeros(ops, enc["last"], units)
    values = H
    if cfg.char_values:
        values = enc["chars"]
    elif cfg.align:
        values = ops.concatenate([H, enc["chars"]], axis=-1)
    return {"h": h, "c": h, "ctx": B.zeros(ops, enc["last"], heads * value_dim(cfg)),
            "keys": keys, "values": values}


def _digit_at(ops, cfg, enc, operand: int, place: int):
    """(B, 10) one-hot of the digit of ``place`` in ``operand`` (zeros where it has none)."""
    m = ops.cast(ops.equal(enc["place"], float(place)), "float32") * enc["feats"][:, :, cfg.places + operand]
    return ops.sum(ops.expand_dims(m, -1) * enc["chars"][:, :, 1:11], axis=1)


def pair_column(ops, W, cfg, enc, t):
    """What column ``t`` of a long multiplication adds up: every digit pair a_i, b_(t-i).

    Aligned attention hands the decoder one digit per operand, which is all a sum or a
    difference needs; a product's digit t depends on every pair whose places add up to t
    (three pairs at t = 2 for 3-digit operands). Each pair's outer product (100 one-hot
    cells) goes through one learned table, and the pairs of the column are summed, so the
    decoder only has to add the carry, as in addition.
    """
    n = int(cfg.pairs)
    col = B.zeros(ops, enc["last"], pair_dim(cfg))
    for i in range(n):
        if 0 <= t - i < n:
            a, b = _digit_at(ops, cfg, enc, 0, i), _digit_at(ops, cfg, enc, 1, t - i)
            outer = ops.reshape(ops.expand_dims(a, 2) * ops.expand_dims(b, 1), (-1, 100))
            col = col + B.dense(ops, W, "pairs/embed", outer)
    if cfg.div_msd:  # a quotient row's steps are not product columns
        col = col * (1.0 - enc["div"])
    return col


def divisor_register(ops, cfg, enc):
    """The divisor's digits by place (one-hot each), on quotient rows only.

    Long division needs the whole divisor at every step; one attention head can only
    blend its digits, so they are handed over the way the pair column hands over products.
    """
    digits = [_digit_at(ops, cfg, enc, 1, p) for p in range(int(cfg.divisor_digits))]
    return ops.concatenate(digits, axis=-1) * enc["div"]


def step(ops, W, cfg, enc, state, prev_ids, t):
    """Decoder step ``t``: returns (logits (B,V), attention (B,Tin) averaged over heads, state)."""
    units, heads = cfg.units, cfg.heads
    att = cfg.att_units
    parts = [ops.one_hot(prev_ids, cfg.vout), state["ctx"]]
    step = None
    if cfg.places and not cfg.align:
        step = ops.one_hot(ops.cast(prev_ids * 0 + t, "int32"), cfg.tout)
        parts.append(step)
    column = pair_column(ops, W, cfg, enc, t) if pair_dim(cfg) else None
    if column is not None:
        parts.append(column)
    if cfg.divisor_digits:
        parts.append(divisor_register(ops, cfg, enc))
    x = ops.concatenate(parts, axis=-1)
    if cfg.stateless:
        # The previous output and the previous place's digits fix the carry
        # (carry = previous digit < a + b there), so no state has to be carried along.
        h = c = ops.tanh(B.dense(ops, W, "dec0", x))
    else:
        h, c = B.lstm_step(ops, W, "dec0", x, state["h"], state["c"])
    V, bias = state["values"], enc["pad"] * B.NEG
    match = None
    if cfg.align:  # "digit of place t": the prior that lets addition generalise in length
        if cfg.div_msd:  # quotient rows: place len_a-1-t of the dividend, as long division
            div = enc["div"]
            target = (1.0 - div) * float(t) + div * (enc["len_a"] - 1.0 - float(t))
            match = ops.cast(ops.equal(enc["place"], target), "float32")
        else:
            match = ops.cast(ops.equal(enc["place"], float(t)), "float32")
    ctxs, weights = [], []
    for k in range(heads):
        q = B.dense(ops, W, f"att{k}/query", h)  # (B, A)
        if step is not None:
            q = q + B.dense(ops, W, f"att{k}/step_query", step)
        scores = ops.sum(ops.expand_dims(q, 1) * state["keys"][k], axis=-1) / math.sqrt(att)
        if match is not None:
            # with several heads, head k looks for the digit of place t in operand k
            m = match
            if heads > 1:
                n_ops = cfg.operands
                m = match * enc["feats"][:, :, cfg.places + k % n_ops]
                if cfg.div_msd and k % n_ops:  # the divisor is needed whole: no prior
                    m = m * (1.0 - enc["div"])
            scores = scores + W[f"att{k}/align_gain"] * m
        a = ops.softmax(scores + bias, axis=-1)  # (B, Tin)
        ctxs.append(ops.sum(ops.expand_dims(a, -1) * V, axis=1))
        if match is not None:
            ctxs.append(ops.sum(a * m, axis=1, keepdims=True))
        weights.append(a)
    ctx = ops.concatenate(ctxs, axis=-1)
    out = ops.tanh(B.dense(ops, W, "combine", ops.concatenate([h, ctx] + ([column] if column is not None else []),
                                                            axis=-1)))
    logits = B.dense(ops, W, "out", out)
    mean_att = weights[0] if heads == 1 else sum(weights[1:], weights[0]) / heads
    return logits, mean_att, {**state, "h": h, "c": c, "ctx": ctx}
