"""Shorter routes the NumPy path takes to the same numbers as ``calcapp.arithmetic.model.architectures``.

Why: on one expression a step's cost is the count of small array operations, not the
arithmetic, and in a big batch it is rows that have nothing left to do. Each route
here gives the numbers the plain form gives (tests hold them together): the encoder stops
at the longest row, its two directions run as one LSTM, the LSTM gates share one tanh,
and decoding drops rows that have written their end marker. NumPy only; Keras (training,
GPUs) runs the plain form.
"""

from __future__ import annotations

import numpy as np

FUSE_ROWS = 16  # beyond this batch size the fused layer's zero blocks cost more than its calls save
DROP_ROWS = 16  # decoding drops ended rows from batches this big, once 1 in DROP_ROWS has ended
PER_PASS = ("digit_out", "shift", "split", "cache", "attention")  # state and enc entries not per row


def flat_matmul(a, b):
    """(..., D) @ (D, N) as one 2-D product. Why: NumPy multiplies a stack by a matrix one
    leading index at a time, which is slower than one 2-D product (benchmarks/results/calculator.md)."""
    return (a.reshape(-1, a.shape[-1]) @ b).reshape(a.shape[:-1] + (b.shape[-1],))


# ----------------------------------------------------------------------------- LSTM gates
def halve_gates(x):
    """(..., 4u) LSTM pre-activations or weights with the i, f and o columns halved, for
    ``lstm_cell_halved`` (exact: halving is a change of exponent)."""
    u = x.shape[-1] // 4
    scale = np.full(4 * u, 0.5, dtype="float32")
    scale[2 * u:3 * u] = 1.0
    return x * scale


def lstm_cell_halved(z, c):
    """The LSTM cell for pre-activations from ``halve_gates``d weights: sigmoid(x) is
    (tanh(x / 2) + 1) / 2, so one tanh serves all four gates (8 array operations, not 10;
    the same numbers). Returns (h, c)."""
    u = c.shape[-1]
    t = np.tanh(z)
    s = t * 0.5 + 0.5
    c = s[:, u:2 * u] * c + s[:, :u] * t[:, 2 * u:3 * u]
    return s[:, 3 * u:] * np.tanh(c), c


# ----------------------------------------------------------------------------- encoder
def cut_length(cfg, enc_ids) -> int:
    """How many pads after the longest row the attention encoder may skip. Why: ``2+3``
    padded to 22 steps spent most of a pass reading padding. Nothing after the longest
    row reaches the decoder (padded keys get zero attention) except the backward LSTM's
    state on arrival, which depends only on how many pads it read and their features (a
    pad's operand feature counts the row's operators): ``pad_state``. Exact for one
    layer, or any number with ``mask_pad`` (pads then leave the state at zero)."""
    if cfg.arch != "attention" or (cfg.layers != 1 and not cfg.mask_pad):
        return 0
    real = np.asarray(enc_ids) != 0
    if not real.any():
        return 0
    return int(np.argmax(real[:, ::-1], axis=1).min())


def pad_state(W, cfg, cache, pad_feats, cut):
    """The backward LSTM's (h, c) after ``cut`` pads whose features are ``pad_feats`` (one
    row each), from ``cache`` (worked out once per kind, at batch size 1)."""
    half = cfg.units // 2
    if cfg.mask_pad:
        zeros = np.zeros((pad_feats.shape[0], half), dtype="float32")
        return zeros, zeros
    states = []
    for kind in pad_feats:
        key = (kind.tobytes(), cut)
        if key not in cache:
            kernel, rec = halve_gates(W["enc0b/kernel"]), halve_gates(W["enc0b/recurrent"])
            x = kind[None] @ kernel + halve_gates(W["enc0b/bias"])
            h = c = np.zeros((1, half), dtype="float32")
            for _ in range(cut):
                h, c = lstm_cell_halved(x + h @ rec, c)
            cache[key] = (h, c)  # (1, half) each
        states.append(cache[key])
    if len(states) == 1:  # one expression
        return states[0]
    return tuple(np.concatenate([st[j] for st in states]) for j in (0, 1))


def fused_bilstm(W, cache, prefix, x, half, masks, init):
    """A bidirectional layer as one LSTM of twice the units: step t reads x[t] forwards
    and x[T-1-t] backwards, its gates laid out (i, f, g, o) each as (forward, backward),
    the recurrent weights block-diagonal. Why: half the steps. ``x``: (B, T, D) inputs;
    ``masks``: (B, 1) per step or None; ``init``: the backward (h, c) to start from, or
    None. Returns (B, T, 2 * half): each step's (forward, backward) output."""
    b, t_len = x.shape[0], x.shape[1]
    kernel_f, kernel_b, bias, rec = _fused_weights(W, cache, prefix, half)
    proj = flat_matmul(x, kernel_f) + flat_matmul(x[:, ::-1], kernel_b) + bias  # (B, T, 8 half), halved
    zeros = np.zeros((b, half), dtype="float32")
    back_h, back_c = init if init is not None else (zeros, zeros)
    h, c = np.concatenate([zeros, back_h], axis=1), np.concatenate([zeros, back_c], axis=1)
    if masks is not None:
        m = np.concatenate([np.stack(masks, 1), np.stack(masks[::-1], 1)], axis=2)  # (B, T, 2)
        m = np.repeat(m, half, axis=2)
    out = []
    for t in range(t_len):
        h_new, c_new = lstm_cell_halved(proj[:, t] + h @ rec, c)
        if masks is None:
            h, c = h_new, c_new
        else:
            h, c = m[:, t] * h_new + (1.0 - m[:, t]) * h, m[:, t] * c_new + (1.0 - m[:, t]) * c
        out.append(h)
    states = np.concatenate([h[:, None] for h in out], axis=1)  # (np.stack adds Python-level work)
    return np.concatenate([states[:, :, :half], states[:, ::-1, half:]], axis=2)


def _fused_weights(W, cache, prefix, half):
    """``fused_bilstm``'s weights, worked out once: the forward and backward input kernels
    each in its own columns of the fused layout (zeros in the other's), the biases, and the
    block-diagonal recurrent weights; every gate's columns ready for ``lstm_cell_halved``."""
    key = ("fused", prefix)
    if key not in cache:
        def fused(d, name):  # (rows, 4, half) -> (rows, 4 gates, 2 directions, half), d's only
            w = W[f"{prefix}{name}"]
            out = np.zeros((w.shape[0] if w.ndim > 1 else 1, 4, 2, half), dtype="float32")
            out[:, :, d] = w.reshape(-1, 4, half)
            return halve_gates(out.reshape(-1, 8 * half))

        rec = np.concatenate([fused(0, "f/recurrent"), fused(1, "b/recurrent")], axis=0)
        cache[key] = (fused(0, "f/kernel"), fused(1, "b/kernel"),
                      fused(0, "f/bias")[0] + fused(1, "b/bias")[0], rec)
    return cache[key]


# ----------------------------------------------------------------------------- decoding
def rows_of(d: dict, keep) -> dict:
    """A decoder's state (or encoder output) for the rows ``keep``: every array and list
    of arrays is per row, except the PER_PASS entries."""
    def pick(v):
        if isinstance(v, np.ndarray):
            return v[keep]
        if isinstance(v, list):
            return [pick(x) for x in v]
        if isinstance(v, dict):
            return rows_of(v, keep)
        return v
    return {k: (v if k in PER_PASS else pick(v)) for k, v in d.items()}


def end_filled(shape, end_id: int | None):
    """Zero logits (or attention) of ``shape``, except, with an ``end_id``, a sure end
    marker at every step: what a row that ended reads as from then on."""
    out = np.zeros(shape, dtype="float32")
    if end_id is not None:
        out[..., end_id] = 30.0
    return out


def stack_rows(steps: list, batch: int, end_id: int | None = None):
    """(B, steps, ...) from per-step arrays, some of them (rows, values) for the rows still
    decoding; the rows that had ended read as ``end_id`` (a sure end marker), or zeros."""
    out = end_filled((batch, len(steps)) + steps[0].shape[1:], end_id)
    for t, x in enumerate(steps):
        if isinstance(x, tuple):
            out[x[0], t] = x[1]
        else:
            out[:, t] = x
    return out
