"""How each calculator architecture runs: training's teacher-forced pass and greedy decoding.

Why one copy of the math: training runs it with ``keras.ops`` (TensorFlow or JAX backend)
inside one Keras layer, and the interactive path runs the very same functions with NumPy
(``calcapp.nets.numpy_ops``), so the two inference paths cannot drift apart and the first
answer never waits for TensorFlow. Nothing here imports Keras or TensorFlow.

A model is a dict of named weights (``weight_specs`` gives names, shapes and initialisers,
in creation order) plus a JSON-friendly ``cfg``. Sequences are short (at most ~25 steps), so
recurrences are unrolled in Python; that is also what makes them backend-neutral.

Architectures:
- ``tiny-rnn``: SimpleRNN encoder -> repeat -> SimpleRNN decoder -> softmax (the 77-parameter seed).
- ``lstm``: LSTM encoder (stackable) -> repeat -> LSTM decoder -> softmax (the Keras example).
- ``bilstm``: bidirectional LSTM encoder and decoder, answer ends with an end marker.
- ``attention``: bidirectional LSTM encoder; LSTM decoder with multi-head dot-product
  attention and input feeding, trained with teacher forcing, decoded greedily.
- ``transformer``: a small pre-norm encoder-decoder transformer, teacher forcing.

The attention architecture's ``rewrite`` option swaps in the decoder of
``calcapp.arithmetic.model.rewriter`` (one operation per pass on a working text).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from calcapp.arithmetic.model import attention as AT
from calcapp.arithmetic.model import rewriter, rewriter_fast
from calcapp.arithmetic.model import blocks as B
from calcapp.arithmetic.model import numpy_routes as NR
from calcapp.arithmetic.model import transformer as T
from calcapp.arithmetic.model.config import as_config
from calcapp.arithmetic.model.encoder import encode

TEACHER_FORCED = ("attention", "transformer")


def teacher_forced(arch: str) -> bool:
    return arch in TEACHER_FORCED

def decode_repeat(ops, W, cfg, enc) -> Any:
    """Non-autoregressive decoders: the encoder summary repeated at every output step."""
    cfg = as_config(cfg)
    arch, tout, units = cfg.arch, cfg.tout, cfg.units
    xs = [enc["last"]] * tout
    if arch == "tiny-rnn":
        dec = cfg.dec_units
        xs = B.simple_rnn(ops, W, "dec0", xs, B.zeros(ops, xs[0], dec))
    elif arch == "lstm":
        for i in range(cfg.layers):
            xs = B.lstm(ops, W, f"dec{i}", xs, units)
    elif arch == "bilstm":
        xs = B.bilstm_stack(ops, W, "dec", xs, units, cfg.layers)
    return B.dense(ops, W, "out", ops.stack(xs, axis=1))  # (B, Tout, Vout) logits

def end_id(cfg) -> int | None:
    tokens = as_config(cfg).out_tokens
    return tokens.index("</s>") if "</s>" in tokens else None


def _attention_decoder(cfg, fast: bool = False):
    """(start, step) of the attention decoder: answer-writing or rewriting; ``fast``: the
    rewriter's NumPy routes (``rewriter_fast``), given the encoder's cache."""
    if cfg.rewrite:
        return (rewriter_fast.start, rewriter_fast.step) if fast else (rewriter.start, rewriter.step)
    return AT.start, AT.step


def teacher_logits(ops, W, cfg, enc_ids, dec_ids, losses: list | None = None):
    """Training forward pass: logits (B, Tout, Vout) given the shifted targets. Extra
    training losses a decoder reports (the rewriter's long-division remainders) are
    appended to ``losses``."""
    cfg = as_config(cfg)
    enc = encode(ops, W, cfg, enc_ids)
    if cfg.arch == "transformer":
        return T.decode(ops, W, cfg, enc, dec_ids)[0]
    start, step = _attention_decoder(cfg)
    state = start(ops, W, cfg, enc)
    if losses is not None and cfg.rewrite and cfg.long_division:
        state["division_loss"] = enc["pad"][:, :1] * 0.0
    out = []
    for t in range(cfg.tout):
        logits, _, state = step(ops, W, cfg, enc, state, dec_ids[:, t], t)
        out.append(logits)
    if "division_loss" in state:
        losses.append(ops.mean(state["division_loss"]) / cfg.tout)  # per step, as the answer's
    return ops.stack(out, axis=1)


def forward(ops, W, cfg, enc_ids, start_id: int = 1, stop=None,
            cache: dict | None = None, attention: bool = True) -> dict[str, Any]:
    """Inference: greedy decoding. Returns logits (B,Tout,V), encoder states, attention.

    ``stop(ids)`` -> (B,) bool, True for the rows that will write nothing more: the NumPy
    path passes one; decoding ends once every row is (fewer steps come back, which
    decoding handles), and the attention decoder drops the rows that wrote their end
    marker as it goes (their later steps come back as the end marker). ``cache``: see
    ``encode`` (states and attention then stop at the longest row). ``attention=False``: a
    decoder that can skip working out its attention (the rewriter) returns None for it.
    """
    cfg = as_config(cfg)
    enc = encode(ops, W, cfg, enc_ids, cache)
    enc["attention"], enc["cache"] = attention, cache
    arch = cfg.arch
    if not teacher_forced(arch):
        return {"logits": decode_repeat(ops, W, cfg, enc), "states": enc["states"], "attention": None}
    prev = ops.cast(enc_ids[:, 0] * 0 + start_id, "int32")
    if arch == "attention":
        start, step = _attention_decoder(cfg, fast=cache is not None)
        state = start(ops, W, cfg, enc)
        states, rows, out, atts, end = enc["states"], None, [], [], end_id(cfg)
        if cfg.rewrite:  # its start took the rest into the state: rows dropped copy less
            enc = {k: enc[k] for k in rewriter.STEP_READS}
        for t in range(cfg.tout):
            logits, att, state = step(ops, W, cfg, enc, state, prev, t)
            out.append(logits if rows is None else (rows, logits))
            atts.append(att if rows is None or att is None else (rows, att))
            prev = ops.cast(ops.argmax(logits, axis=-1), "int32")
            if stop is None:
                continue
            if np.logical_and.reduce(np.asarray(stop(prev)), axis=None):  # (ndarray.all adds a Python layer)
                break
            if end is None or len(prev) < NR.DROP_ROWS:  # a small batch: dropping saves nothing
                continue
            done = prev == end  # a row that wrote its end marker is finished (decoding stops there)
            if done.sum() * NR.DROP_ROWS >= len(done):  # NumPy: go on with the others
                keep = ~done
                rows = (np.arange(len(done)) if rows is None else rows)[keep]
                prev, enc, state = prev[keep], NR.rows_of(enc, keep), NR.rows_of(state, keep)
        if rows is None:
            return {"logits": ops.stack(out, axis=1), "states": states,
                    "attention": None if atts[0] is None else ops.stack(atts, axis=1)}
        return {"logits": NR.stack_rows(out, len(enc_ids), end_id=end), "states": states,
                "attention": None if atts[0] is None else NR.stack_rows(atts, len(enc_ids))}
    ids = ops.expand_dims(prev, 1)
    logits = weights = None
    for _ in range(cfg.tout):
        logits, weights = T.decode(ops, W, cfg, enc, ids)
        nxt = ops.cast(ops.argmax(logits[:, -1], axis=-1), "int32")
        ids = ops.concatenate([ids, ops.expand_dims(nxt, 1)], axis=1)
    return {"logits": logits, "states": enc["states"], "attention": weights}
