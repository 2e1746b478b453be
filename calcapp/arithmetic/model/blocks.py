"""The building blocks every calculator architecture is made of, written against ``ops``.

Why against an ``ops`` namespace: training runs them with ``keras.ops`` (TensorFlow or JAX)
and the interactive path with NumPy (``calcapp.nets.numpy_ops``), so the two cannot drift
apart. Sequences are short, so recurrences are unrolled in Python, which is also what keeps
them backend-neutral. Nothing here imports Keras or TensorFlow.
"""

from __future__ import annotations

import numpy as np

from calcapp.arithmetic.model import numpy_routes as NR

NEG = -1e9  # additive mask for padded keys


def simple_rnn(ops, W, prefix, xs, h):
    """``xs``: list of (B, D) steps. Returns the list of states."""
    out = []
    for x in xs:
        h = ops.tanh(ops.matmul(x, W[f"{prefix}/kernel"]) + ops.matmul(h, W[f"{prefix}/recurrent"])
                     + W[f"{prefix}/bias"])
        out.append(h)
    return out


def lstm_step(ops, W, prefix, x, h, c):
    z = ops.matmul(x, W[f"{prefix}/kernel"]) + ops.matmul(h, W[f"{prefix}/recurrent"]) + W[f"{prefix}/bias"]
    return lstm_cell(ops, z, c)


def lstm_cell(ops, z, c):
    """The gates from the pre-activations ``z`` (B, 4u): returns (h, c)."""
    u = c.shape[-1]
    gates = ops.sigmoid(z)  # one call for i, f, o (g's slice is simply not used)
    i, f, o = gates[:, :u], gates[:, u:2 * u], gates[:, 3 * u:]
    g = ops.tanh(z[:, 2 * u:3 * u])
    c = f * c + i * g
    return o * ops.tanh(c), c


def zeros(ops, like, units):
    """A (B, units) zero state whose batch size follows ``like`` (B, D)."""
    return ops.zeros_like(like[:, :1]) * ops.zeros((1, units), dtype="float32")


def lstm(ops, W, prefix, xs, units, reverse=False, masks=None, init=None):
    """``masks`` (list of (B, 1), 1 = real character): padding leaves the state unchanged,
    so a model reads ``12+34`` the same however much padding follows. ``init``: the (h, c)
    to start from (zeros if None). Every step's input projection is one matmul up front:
    fewer, larger products."""
    h, c = init if init is not None else (zeros(ops, xs[0], units),) * 2
    seq = xs[::-1] if reverse else xs
    mseq = (masks[::-1] if reverse else masks) if masks is not None else [None] * len(seq)
    proj = product(ops, ops.stack(seq, axis=1), W[f"{prefix}/kernel"]) + W[f"{prefix}/bias"]
    out = []
    for t, m in enumerate(mseq):
        h_new, c_new = lstm_cell(ops, proj[:, t] + ops.matmul(h, W[f"{prefix}/recurrent"]), c)
        if m is None:
            h, c = h_new, c_new
        else:
            h, c = m * h_new + (1.0 - m) * h, m * c_new + (1.0 - m) * c
        out.append(h)
    return out[::-1] if reverse else out


def time_steps(x, n):
    return [x[:, t] for t in range(n)]


def bilstm_stack(ops, W, prefix, xs, units, layers, masks=None, back_init=None):
    """``back_init``: the first layer's backward (h, c) at the last step (see
    ``numpy_routes.cut_length``)."""
    half = units // 2
    for i in range(layers):
        init = back_init if i == 0 else None
        f = lstm(ops, W, f"{prefix}{i}f", xs, half, masks=masks)
        b = lstm(ops, W, f"{prefix}{i}b", xs, half, reverse=True, masks=masks, init=init)
        xs = [ops.concatenate([a, c], axis=-1) for a, c in zip(f, b)]
    return xs


def product(ops, x, kernel):
    """x @ kernel; a NumPy stack as one 2-D product (``numpy_routes.flat_matmul``)."""
    if isinstance(x, np.ndarray) and x.ndim > 2:
        return NR.flat_matmul(x, kernel)
    return ops.matmul(x, kernel)


def dense(ops, W, prefix, x):
    y = product(ops, x, W[f"{prefix}/kernel"])
    bias = W.get(f"{prefix}/bias")
    return y if bias is None else y + bias


def layer_norm(ops, W, prefix, x):
    mean = ops.mean(x, axis=-1, keepdims=True)
    var = ops.mean(ops.square(x - mean), axis=-1, keepdims=True)
    return (x - mean) / ops.sqrt(var + 1e-5) * W[f"{prefix}/gamma"] + W[f"{prefix}/beta"]
