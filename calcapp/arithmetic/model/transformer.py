"""A small pre-norm encoder-decoder transformer, teacher-forced in training and decoded
greedily; the comparison architecture the seeds asked for."""

from __future__ import annotations

import math

from calcapp.arithmetic.model import blocks as B


def _mha(ops, W, cfg, prefix, q_in, kv_in, bias):
    """Multi-head attention; returns (out (B,Tq,D), weights averaged over heads (B,Tq,Tk))."""
    d, heads = cfg.units, cfg.heads
    dh = d // heads

    def split(t):
        b_t = ops.reshape(t, (-1, t.shape[1], heads, dh))
        return ops.transpose(b_t, (0, 2, 1, 3))  # (B, h, T, dh)

    q = split(B.dense(ops, W, f"{prefix}/q", q_in))
    k = split(B.dense(ops, W, f"{prefix}/k", kv_in))
    v = split(B.dense(ops, W, f"{prefix}/v", kv_in))
    scores = ops.matmul(q, ops.transpose(k, (0, 1, 3, 2))) / math.sqrt(dh) + bias
    a = ops.softmax(scores, axis=-1)
    o = ops.transpose(ops.matmul(a, v), (0, 2, 1, 3))
    o = ops.reshape(o, (-1, q_in.shape[1], d))
    return B.dense(ops, W, f"{prefix}/o", o), ops.mean(a, axis=1)


def block(ops, W, cfg, prefix, h, self_bias, memory, cross_bias):
    a, _ = _mha(ops, W, cfg, f"{prefix}/self", *([B.layer_norm(ops, W, f"{prefix}/ln1", h)] * 2), self_bias)
    h = h + a
    weights = None
    if memory is not None:
        a, weights = _mha(ops, W, cfg, f"{prefix}/cross", B.layer_norm(ops, W, f"{prefix}/ln2", h),
                          memory, cross_bias)
        h = h + a
    f = B.dense(ops, W, f"{prefix}/ff2",
               ops.relu(B.dense(ops, W, f"{prefix}/ff1", B.layer_norm(ops, W, f"{prefix}/ln3", h))))
    return h + f, weights


def decode(ops, W, cfg, enc, dec_ids):
    """Teacher-forced transformer decoder over ``dec_ids`` (B, T<=Tout)."""
    t = dec_ids.shape[1]
    h = ops.matmul(ops.one_hot(dec_ids, cfg.vout), W["dec_embed"]) + W["dec_pos"][:t]
    causal = ops.triu(ops.ones((t, t), dtype="float32"), k=1) * B.NEG
    cross = ops.expand_dims(ops.expand_dims(enc["pad"] * B.NEG, 1), 1)
    weights = None
    for i in range(cfg.layers):
        h, weights = block(ops, W, cfg, f"dec{i}", h, causal, enc["states"], cross)
    return B.dense(ops, W, "out", B.layer_norm(ops, W, "dec_ln", h)), weights


def encode(ops, W, cfg, x, pad):
    """The encoder's states (B, Tin, D) from the one-hot input ``x`` and the pad mask."""
    h = ops.matmul(x, W["enc_embed"]) + W["enc_pos"]
    bias = ops.expand_dims(ops.expand_dims(pad * B.NEG, 1), 1)  # (B,1,1,Tin)
    for i in range(cfg.layers):
        h = block(ops, W, cfg, f"enc{i}", h, bias, None, None)[0]
    return B.layer_norm(ops, W, "enc_ln", h)
