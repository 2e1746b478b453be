"""Every calculator architecture, written once against an ``ops`` namespace.

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

import functools
import math
from typing import Any

import numpy as np

from calcapp.arithmetic.model import numpy_routes as NR

ARCHITECTURES = ("tiny-rnn", "lstm", "bilstm", "attention", "transformer")
TEACHER_FORCED = ("attention", "transformer")
NEG = -1e9  # additive mask for padded keys


def teacher_forced(arch: str) -> bool:
    return arch in TEACHER_FORCED


# ----------------------------------------------------------------------------- weights
def weight_specs(cfg: dict[str, Any]) -> list[tuple[str, tuple[int, ...], str]]:
    """``(name, shape, initializer)`` for every weight, in creation order."""
    arch, vin, vout = cfg["arch"], cfg["vin"], cfg["vout"]
    units, layers = cfg["units"], cfg.get("layers", 1)
    specs: list[tuple[str, tuple[int, ...], str]] = []

    def rnn(prefix, din, u, gates):
        specs.extend([
            (f"{prefix}/kernel", (din, gates * u), "glorot"),
            (f"{prefix}/recurrent", (u, gates * u), "orthogonal"),
            (f"{prefix}/bias", (gates * u,), "forget_bias" if gates == 4 else "zeros"),
        ])

    def dense(prefix, din, dout, bias=True):
        specs.append((f"{prefix}/kernel", (din, dout), "glorot"))
        if bias:
            specs.append((f"{prefix}/bias", (dout,), "zeros"))

    if arch == "tiny-rnn":
        dec = cfg.get("dec_units", 3)
        rnn("enc0", vin, units, 1)
        rnn("dec0", units, dec, 1)
        dense("out", dec, vout)
    elif arch == "lstm":
        for i in range(layers):
            rnn(f"enc{i}", vin if i == 0 else units, units, 4)
        for i in range(layers):
            rnn(f"dec{i}", units, units, 4)
        dense("out", units, vout)
    elif arch == "bilstm":
        half = units // 2
        for i in range(layers):
            for d in ("f", "b"):
                rnn(f"enc{i}{d}", vin if i == 0 else units, half, 4)
        for i in range(layers):
            for d in ("f", "b"):
                rnn(f"dec{i}{d}", units, half, 4)
        dense("out", units, vout)
    elif arch == "attention":
        half, heads, att = units // 2, cfg.get("heads", 2), cfg.get("att_units", units)
        places, tout = cfg.get("places", 0), cfg["tout"]
        for i in range(layers):
            for d in ("f", "b"):
                rnn(f"enc{i}{d}", (vin + places + cfg.get("operands", 2)) if i == 0 and places
                    else (vin if i == 0 else units), half, 4)
        if cfg.get("rewrite"):
            from calcapp.arithmetic.model import rewriter

            rewriter.weight_specs(cfg, specs, dense, rnn)
            return specs
        # previous token + previous context (+ the step number when place features are on)
        # (+ the column of digit-pair products when ``pairs`` is on)
        step_in = tout if places and not cfg.get("align") else 0
        step_in += pair_dim(cfg) + 10 * int(cfg.get("divisor_digits", 0))
        if pair_dim(cfg):
            dense("pairs/embed", 100, pair_dim(cfg))
        if cfg.get("stateless"):  # no recurrence: the decoder cannot count its steps
            dense("dec0", vout + heads * value_dim(cfg) + step_in, units)
        else:
            rnn("dec0", vout + heads * value_dim(cfg) + step_in, units, 4)
        for k in range(heads):
            dense(f"att{k}/query", units, att, bias=False)
            dense(f"att{k}/key", units, att, bias=False)
            if places and not cfg.get("align"):  # step number -> query
                dense(f"att{k}/step_query", tout, att, bias=False)
            if places:  # place/operand -> key
                dense(f"att{k}/place_key", places + cfg.get("operands", 2), att, bias=False)
            if cfg.get("align"):
                specs.append((f"att{k}/align_gain", (1,), "align"))
        dense("combine", units + heads * value_dim(cfg) + pair_dim(cfg), units)
        dense("out", units, vout)
    elif arch == "transformer":
        d, ff = units, cfg.get("ff", 2 * units)
        specs.append(("enc_embed", (vin, d), "normal"))
        specs.append(("enc_pos", (cfg["tin"], d), "normal"))
        specs.append(("dec_embed", (vout, d), "normal"))
        specs.append(("dec_pos", (cfg["tout"], d), "normal"))

        def norm(prefix):
            specs.extend([(f"{prefix}/gamma", (d,), "ones"), (f"{prefix}/beta", (d,), "zeros")])

        def mha(prefix):
            for part in ("q", "k", "v", "o"):
                dense(f"{prefix}/{part}", d, d)

        def block(prefix, cross):
            norm(f"{prefix}/ln1")
            mha(f"{prefix}/self")
            if cross:
                norm(f"{prefix}/ln2")
                mha(f"{prefix}/cross")
            norm(f"{prefix}/ln3")
            dense(f"{prefix}/ff1", d, ff)
            dense(f"{prefix}/ff2", ff, d)

        for i in range(layers):
            block(f"enc{i}", cross=False)
        norm("enc_ln")
        for i in range(layers):
            block(f"dec{i}", cross=True)
        norm("dec_ln")
        dense("out", d, vout)
    else:
        raise ValueError(f"unknown architecture {arch!r}; known: {', '.join(ARCHITECTURES)}")
    return specs


def value_dim(cfg: dict[str, Any]) -> int:
    """Attention values: encoder states, plus (aligned) the raw character and a match flag."""
    if cfg.get("char_values"):  # characters only: nothing that drifts on longer inputs
        return cfg["vin"] + 1
    return cfg["units"] + ((cfg["vin"] + 1) if cfg.get("align") else 0)


def pair_dim(cfg: dict[str, Any]) -> int:
    """Width of the digit-pair column feature (0: off; needs aligned place features)."""
    return int(cfg.get("pair_dim", 64)) if cfg.get("pairs") and cfg.get("align") else 0


def parameter_count(cfg: dict[str, Any]) -> int:
    return sum(math.prod(shape) for _, shape, _ in weight_specs(cfg))


# ----------------------------------------------------------------------------- pieces
def _simple_rnn(ops, W, prefix, xs, h):
    """``xs``: list of (B, D) steps. Returns the list of states."""
    out = []
    for x in xs:
        h = ops.tanh(ops.matmul(x, W[f"{prefix}/kernel"]) + ops.matmul(h, W[f"{prefix}/recurrent"])
                     + W[f"{prefix}/bias"])
        out.append(h)
    return out


def _lstm_step(ops, W, prefix, x, h, c):
    z = ops.matmul(x, W[f"{prefix}/kernel"]) + ops.matmul(h, W[f"{prefix}/recurrent"]) + W[f"{prefix}/bias"]
    return _lstm_cell(ops, z, c)


def _lstm_cell(ops, z, c):
    """The gates from the pre-activations ``z`` (B, 4u): returns (h, c)."""
    u = c.shape[-1]
    gates = ops.sigmoid(z)  # one call for i, f, o (g's slice is simply not used)
    i, f, o = gates[:, :u], gates[:, u:2 * u], gates[:, 3 * u:]
    g = ops.tanh(z[:, 2 * u:3 * u])
    c = f * c + i * g
    return o * ops.tanh(c), c


def _zeros(ops, like, units):
    """A (B, units) zero state whose batch size follows ``like`` (B, D)."""
    return ops.zeros_like(like[:, :1]) * ops.zeros((1, units), dtype="float32")


def _lstm(ops, W, prefix, xs, units, reverse=False, masks=None, init=None):
    """``masks`` (list of (B, 1), 1 = real character): padding leaves the state unchanged,
    so a model reads ``12+34`` the same however much padding follows. ``init``: the (h, c)
    to start from (zeros if None). Every step's input projection is one matmul up front:
    fewer, larger products."""
    h, c = init if init is not None else (_zeros(ops, xs[0], units),) * 2
    seq = xs[::-1] if reverse else xs
    mseq = (masks[::-1] if reverse else masks) if masks is not None else [None] * len(seq)
    proj = _product(ops, ops.stack(seq, axis=1), W[f"{prefix}/kernel"]) + W[f"{prefix}/bias"]
    out = []
    for t, m in enumerate(mseq):
        h_new, c_new = _lstm_cell(ops, proj[:, t] + ops.matmul(h, W[f"{prefix}/recurrent"]), c)
        if m is None:
            h, c = h_new, c_new
        else:
            h, c = m * h_new + (1.0 - m) * h, m * c_new + (1.0 - m) * c
        out.append(h)
    return out[::-1] if reverse else out


CLASSES = ("digit", "space", "minus", "operator", "opener")  # what token_classes tells apart


@functools.lru_cache(maxsize=None)
def _class_table(tokens: tuple) -> np.ndarray:
    """(vocabulary, CLASSES) 0/1: an opener is an operator or "(", what a unary minus follows."""
    rows = [[tok in "0123456789", tok == " ", tok == "-", tok in "+-*/", tok in "+-*/("] for tok in tokens]
    return np.array(rows, dtype="float32").reshape(len(tokens), len(CLASSES))


def token_classes(ops, enc_ids, cfg):
    """(B, Tin, CLASSES) float: each input token's classes, one lookup (not one comparison
    per character and class)."""
    return ops.take(_class_table(tuple(cfg["in_tokens"])), enc_ids, axis=0)


def place_features(ops, enc_ids, cfg, place):
    """One-hot place of each digit within its number, and which operand it belongs to.

    An explicit place-value feature ("abacus"-style positions): with it, attention only has
    to match "output step t" to "input digit of place t", which the model learns quickly
    instead of discovering alignment from scratch. ``place`` is ``place_value``'s; non-digits
    get place 0 here, and the character one-hot tells them apart.
    """
    is_op = token_classes(ops, enc_ids, cfg)[..., CLASSES.index("operator")]
    before = ops.cumsum(is_op, axis=1) - is_op  # operators to the left of each position
    n_operands = cfg.get("operands", 2)
    operand = ops.one_hot(ops.cast(ops.minimum(before, n_operands - 1), "int32"), n_operands)
    places = cfg["places"]
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


def _steps(x, n):
    return [x[:, t] for t in range(n)]


def _bilstm_stack(ops, W, prefix, xs, units, layers, masks=None, back_init=None):
    """``back_init``: the first layer's backward (h, c) at the last step (see
    ``numpy_routes.cut_length``)."""
    half = units // 2
    for i in range(layers):
        init = back_init if i == 0 else None
        f = _lstm(ops, W, f"{prefix}{i}f", xs, half, masks=masks)
        b = _lstm(ops, W, f"{prefix}{i}b", xs, half, reverse=True, masks=masks, init=init)
        xs = [ops.concatenate([a, c], axis=-1) for a, c in zip(f, b)]
    return xs


def _product(ops, x, kernel):
    """x @ kernel; a NumPy stack as one 2-D product (``numpy_routes.flat_matmul``)."""
    if isinstance(x, np.ndarray) and x.ndim > 2:
        return NR.flat_matmul(x, kernel)
    return ops.matmul(x, kernel)


def _dense(ops, W, prefix, x):
    y = _product(ops, x, W[f"{prefix}/kernel"])
    bias = W.get(f"{prefix}/bias")
    return y if bias is None else y + bias


def _layer_norm(ops, W, prefix, x):
    mean = ops.mean(x, axis=-1, keepdims=True)
    var = ops.mean(ops.square(x - mean), axis=-1, keepdims=True)
    return (x - mean) / ops.sqrt(var + 1e-5) * W[f"{prefix}/gamma"] + W[f"{prefix}/beta"]


# ----------------------------------------------------------------------------- encoders
def encode(ops, W, cfg, enc_ids, cache: dict | None = None) -> dict[str, Any]:
    """Encoder pass. ``states`` is (B, Tin, units): what the GUI's inside view shows.

    ``cache`` (NumPy only, a dict the caller keeps for these weights): read only up to the
    longest row (``numpy_routes.cut_length``; everything returned is then that many steps
    long), both LSTM directions at once (``numpy_routes.fused_bilstm``)."""
    arch, units = cfg["arch"], cfg["units"]
    cut = NR.cut_length(cfg, enc_ids) if cache is not None else 0
    if cut:  # one pad is kept: its features start the backward LSTM (then it goes too)
        enc_ids = enc_ids[:, :enc_ids.shape[1] - cut + 1]
    tin = enc_ids.shape[1]
    x = ops.one_hot(enc_ids, cfg["vin"])
    feats = place = None
    chars = x
    if cfg.get("places"):  # computed once: the features and the aligned heads share it
        place = place_value(ops, enc_ids, cfg)
        feats = place_features(ops, enc_ids, cfg, place)
        x = ops.concatenate([x, feats], axis=-1)
    pad = ops.cast(ops.equal(enc_ids, 0), "float32")  # (B, Tin) 1 where padding
    back_init = None
    if cut:
        back_init = NR.pad_state(W, cfg, cache, x[:, -1], cut)
        enc_ids, x, chars, feats, place, pad = (None if a is None else a[:, :-1]
                                                for a in (enc_ids, x, chars, feats, place, pad))
        tin -= 1
    if arch == "tiny-rnn":
        states = ops.stack(_simple_rnn(ops, W, "enc0", _steps(x, tin), _zeros(ops, x[:, 0], units)), axis=1)
    elif arch == "lstm":
        xs = _steps(x, tin)
        for i in range(cfg.get("layers", 1)):
            xs = _lstm(ops, W, f"enc{i}", xs, units)
        states = ops.stack(xs, axis=1)
    elif arch in ("bilstm", "attention"):
        masks = None
        if cfg.get("mask_pad"):
            real = 1.0 - pad
            masks = [real[:, t:t + 1] for t in range(tin)]
        if cache is not None and x.shape[0] <= NR.FUSE_ROWS:  # NumPy, a few rows: one LSTM
            states = x
            for i in range(cfg.get("layers", 1)):
                states = NR.fused_bilstm(W, cache, f"enc{i}", states, units // 2, masks,
                                         back_init if i == 0 else None)
        else:
            states = ops.stack(_bilstm_stack(ops, W, "enc", _steps(x, tin), units, cfg.get("layers", 1),
                                             masks, back_init), axis=1)
    elif arch == "transformer":
        h = ops.matmul(x, W["enc_embed"]) + W["enc_pos"]
        bias = ops.expand_dims(ops.expand_dims(pad * NEG, 1), 1)  # (B,1,1,Tin)
        for i in range(cfg.get("layers", 1)):
            h = _block(ops, W, cfg, f"enc{i}", h, bias, None, None)[0]
        h = _layer_norm(ops, W, "enc_ln", h)
        return {"states": h, "pad": pad}
    else:
        raise ValueError(arch)
    if arch == "bilstm":
        half = units // 2
        last = ops.concatenate([states[:, -1, :half], states[:, 0, half:]], axis=-1)
    else:
        last = states[:, -1]
    out = {"states": states, "last": last, "pad": pad, "feats": feats}
    if cfg.get("align") or cfg.get("rewrite"):
        out["place"] = place
        out["chars"] = chars
    if cfg.get("rewrite"):
        from calcapp.arithmetic.model.rewriter import numbers_of

        out["numbers"], out["negative"], out["binary_op"] = numbers_of(ops, enc_ids, cfg, place)
    if cfg.get("div_msd"):  # long-division order for quotients (seq2seq_data.long_division_rows)
        slash = cfg["in_tokens"].index("/")
        out["div"] = ops.sum(ops.cast(ops.equal(enc_ids, slash), "float32"), axis=1, keepdims=True)
        first = feats[:, :, cfg["places"]] * ops.cast(out["place"] >= 0.0, "float32")
        out["len_a"] = ops.sum(first, axis=1, keepdims=True)  # digits of the dividend
    return out


# ----------------------------------------------------------------------------- decoders
def decode_repeat(ops, W, cfg, enc) -> Any:
    """Non-autoregressive decoders: the encoder summary repeated at every output step."""
    arch, tout, units = cfg["arch"], cfg["tout"], cfg["units"]
    xs = [enc["last"]] * tout
    if arch == "tiny-rnn":
        dec = cfg.get("dec_units", 3)
        xs = _simple_rnn(ops, W, "dec0", xs, _zeros(ops, xs[0], dec))
    elif arch == "lstm":
        for i in range(cfg.get("layers", 1)):
            xs = _lstm(ops, W, f"dec{i}", xs, units)
    elif arch == "bilstm":
        xs = _bilstm_stack(ops, W, "dec", xs, units, cfg.get("layers", 1))
    return _dense(ops, W, "out", ops.stack(xs, axis=1))  # (B, Tout, Vout) logits


def _attention_start(ops, W, cfg, enc):
    units, heads = cfg["units"], cfg.get("heads", 2)
    H = enc["states"]
    if cfg.get("char_values"):  # attention from place/operand features only: length-proof
        keys = [0.0 * _dense(ops, W, f"att{k}/key", H) for k in range(heads)]
    else:
        keys = [_dense(ops, W, f"att{k}/key", H) for k in range(heads)]
    if cfg.get("places"):
        keys = [key + _dense(ops, W, f"att{k}/place_key", enc["feats"]) for k, key in enumerate(keys)]
    h = _zeros(ops, enc["last"], units)
    values = H
    if cfg.get("char_values"):
        values = enc["chars"]
    elif cfg.get("align"):
        values = ops.concatenate([H, enc["chars"]], axis=-1)
    return {"h": h, "c": h, "ctx": _zeros(ops, enc["last"], heads * value_dim(cfg)),
            "keys": keys, "values": values}


def _digit_at(ops, cfg, enc, operand: int, place: int):
    """(B, 10) one-hot of the digit of ``place`` in ``operand`` (zeros where it has none)."""
    m = ops.cast(ops.equal(enc["place"], float(place)), "float32") * enc["feats"][:, :, cfg["places"] + operand]
    return ops.sum(ops.expand_dims(m, -1) * enc["chars"][:, :, 1:11], axis=1)


def pair_column(ops, W, cfg, enc, t):
    """What column ``t`` of a long multiplication adds up: every digit pair a_i, b_(t-i).

    Aligned attention hands the decoder one digit per operand, which is all a sum or a
    difference needs; a product's digit t depends on every pair whose places add up to t
    (three pairs at t = 2 for 3-digit operands). Each pair's outer product (100 one-hot
    cells) goes through one learned table, and the pairs of the column are summed, so the
    decoder only has to add the carry, as in addition.
    """
    n = int(cfg["pairs"])
    col = _zeros(ops, enc["last"], pair_dim(cfg))
    for i in range(n):
        if 0 <= t - i < n:
            a, b = _digit_at(ops, cfg, enc, 0, i), _digit_at(ops, cfg, enc, 1, t - i)
            outer = ops.reshape(ops.expand_dims(a, 2) * ops.expand_dims(b, 1), (-1, 100))
            col = col + _dense(ops, W, "pairs/embed", outer)
    if cfg.get("div_msd"):  # a quotient row's steps are not product columns
        col = col * (1.0 - enc["div"])
    return col


def divisor_register(ops, cfg, enc):
    """The divisor's digits by place (one-hot each), on quotient rows only.

    Long division needs the whole divisor at every step; one attention head can only
    blend its digits, so they are handed over the way the pair column hands over products.
    """
    digits = [_digit_at(ops, cfg, enc, 1, p) for p in range(int(cfg["divisor_digits"]))]
    return ops.concatenate(digits, axis=-1) * enc["div"]


def attention_step(ops, W, cfg, enc, state, prev_ids, t):
    """Decoder step ``t``: returns (logits (B,V), attention (B,Tin) averaged over heads, state)."""
    units, heads = cfg["units"], cfg.get("heads", 2)
    att = cfg.get("att_units", units)
    parts = [ops.one_hot(prev_ids, cfg["vout"]), state["ctx"]]
    step = None
    if cfg.get("places") and not cfg.get("align"):
        step = ops.one_hot(ops.cast(prev_ids * 0 + t, "int32"), cfg["tout"])
        parts.append(step)
    column = pair_column(ops, W, cfg, enc, t) if pair_dim(cfg) else None
    if column is not None:
        parts.append(column)
    if cfg.get("divisor_digits"):
        parts.append(divisor_register(ops, cfg, enc))
    x = ops.concatenate(parts, axis=-1)
    if cfg.get("stateless"):
        # The previous output and the previous place's digits fix the carry
        # (carry = previous digit < a + b there), so no state has to be carried along.
        h = c = ops.tanh(_dense(ops, W, "dec0", x))
    else:
        h, c = _lstm_step(ops, W, "dec0", x, state["h"], state["c"])
    V, bias = state["values"], enc["pad"] * NEG
    match = None
    if cfg.get("align"):  # "digit of place t": the prior that lets addition generalise in length
        if cfg.get("div_msd"):  # quotient rows: place len_a-1-t of the dividend, as long division
            div = enc["div"]
            target = (1.0 - div) * float(t) + div * (enc["len_a"] - 1.0 - float(t))
            match = ops.cast(ops.equal(enc["place"], target), "float32")
        else:
            match = ops.cast(ops.equal(enc["place"], float(t)), "float32")
    ctxs, weights = [], []
    for k in range(heads):
        q = _dense(ops, W, f"att{k}/query", h)  # (B, A)
        if step is not None:
            q = q + _dense(ops, W, f"att{k}/step_query", step)
        scores = ops.sum(ops.expand_dims(q, 1) * state["keys"][k], axis=-1) / math.sqrt(att)
        if match is not None:
            # with several heads, head k looks for the digit of place t in operand k
            m = match
            if heads > 1:
                n_ops = cfg.get("operands", 2)
                m = match * enc["feats"][:, :, cfg["places"] + k % n_ops]
                if cfg.get("div_msd") and k % n_ops:  # the divisor is needed whole: no prior
                    m = m * (1.0 - enc["div"])
            scores = scores + W[f"att{k}/align_gain"] * m
        a = ops.softmax(scores + bias, axis=-1)  # (B, Tin)
        ctxs.append(ops.sum(ops.expand_dims(a, -1) * V, axis=1))
        if match is not None:
            ctxs.append(ops.sum(a * m, axis=1, keepdims=True))
        weights.append(a)
    ctx = ops.concatenate(ctxs, axis=-1)
    out = ops.tanh(_dense(ops, W, "combine", ops.concatenate([h, ctx] + ([column] if column is not None else []),
                                                            axis=-1)))
    logits = _dense(ops, W, "out", out)
    mean_att = weights[0] if heads == 1 else sum(weights[1:], weights[0]) / heads
    return logits, mean_att, {**state, "h": h, "c": c, "ctx": ctx}


def _mha(ops, W, cfg, prefix, q_in, kv_in, bias):
    """Multi-head attention; returns (out (B,Tq,D), weights averaged over heads (B,Tq,Tk))."""
    d, heads = cfg["units"], cfg.get("heads", 2)
    dh = d // heads

    def split(t):
        b_t = ops.reshape(t, (-1, t.shape[1], heads, dh))
        return ops.transpose(b_t, (0, 2, 1, 3))  # (B, h, T, dh)

    q = split(_dense(ops, W, f"{prefix}/q", q_in))
    k = split(_dense(ops, W, f"{prefix}/k", kv_in))
    v = split(_dense(ops, W, f"{prefix}/v", kv_in))
    scores = ops.matmul(q, ops.transpose(k, (0, 1, 3, 2))) / math.sqrt(dh) + bias
    a = ops.softmax(scores, axis=-1)
    o = ops.transpose(ops.matmul(a, v), (0, 2, 1, 3))
    o = ops.reshape(o, (-1, q_in.shape[1], d))
    return _dense(ops, W, f"{prefix}/o", o), ops.mean(a, axis=1)


def _block(ops, W, cfg, prefix, h, self_bias, memory, cross_bias):
    a, _ = _mha(ops, W, cfg, f"{prefix}/self", *([_layer_norm(ops, W, f"{prefix}/ln1", h)] * 2), self_bias)
    h = h + a
    weights = None
    if memory is not None:
        a, weights = _mha(ops, W, cfg, f"{prefix}/cross", _layer_norm(ops, W, f"{prefix}/ln2", h),
                          memory, cross_bias)
        h = h + a
    f = _dense(ops, W, f"{prefix}/ff2",
               ops.relu(_dense(ops, W, f"{prefix}/ff1", _layer_norm(ops, W, f"{prefix}/ln3", h))))
    return h + f, weights


def transformer_decode(ops, W, cfg, enc, dec_ids):
    """Teacher-forced transformer decoder over ``dec_ids`` (B, T<=Tout)."""
    t = dec_ids.shape[1]
    h = ops.matmul(ops.one_hot(dec_ids, cfg["vout"]), W["dec_embed"]) + W["dec_pos"][:t]
    causal = ops.triu(ops.ones((t, t), dtype="float32"), k=1) * NEG
    cross = ops.expand_dims(ops.expand_dims(enc["pad"] * NEG, 1), 1)
    weights = None
    for i in range(cfg.get("layers", 1)):
        h, weights = _block(ops, W, cfg, f"dec{i}", h, causal, enc["states"], cross)
    return _dense(ops, W, "out", _layer_norm(ops, W, "dec_ln", h)), weights


def end_id(cfg) -> int | None:
    tokens = cfg["out_tokens"]
    return tokens.index("</s>") if "</s>" in tokens else None


def _attention_decoder(cfg):
    """(start, step) of the attention decoder: answer-writing or rewriting."""
    if cfg.get("rewrite"):
        from calcapp.arithmetic.model import rewriter

        return rewriter.start, rewriter.step
    return _attention_start, attention_step


def teacher_logits(ops, W, cfg, enc_ids, dec_ids, losses: list | None = None):
    """Training forward pass: logits (B, Tout, Vout) given the shifted targets. Extra
    training losses a decoder reports (the rewriter's long-division remainders) are
    appended to ``losses``."""
    enc = encode(ops, W, cfg, enc_ids)
    if cfg["arch"] == "transformer":
        return transformer_decode(ops, W, cfg, enc, dec_ids)[0]
    start, step = _attention_decoder(cfg)
    state = start(ops, W, cfg, enc)
    if losses is not None and cfg.get("rewrite") and cfg.get("long_division"):
        state["division_loss"] = enc["pad"][:, :1] * 0.0
    out = []
    for t in range(cfg["tout"]):
        logits, _, state = step(ops, W, cfg, enc, state, dec_ids[:, t], t)
        out.append(logits)
    if "division_loss" in state:
        losses.append(ops.mean(state["division_loss"]) / cfg["tout"])  # per step, as the answer's
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
    enc = encode(ops, W, cfg, enc_ids, cache)
    enc["attention"], enc["cache"] = attention, cache
    arch = cfg["arch"]
    if not teacher_forced(arch):
        return {"logits": decode_repeat(ops, W, cfg, enc), "states": enc["states"], "attention": None}
    prev = ops.cast(enc_ids[:, 0] * 0 + start_id, "int32")
    if arch == "attention":
        start, step = _attention_decoder(cfg)
        state = start(ops, W, cfg, enc)
        states, rows, out, atts, end = enc["states"], None, [], [], end_id(cfg)
        if cfg.get("rewrite"):  # its start took the rest into the state: rows dropped copy less
            from calcapp.arithmetic.model.rewriter import STEP_READS

            enc = {k: enc[k] for k in STEP_READS}
        for t in range(cfg["tout"]):
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
    for _ in range(cfg["tout"]):
        logits, weights = transformer_decode(ops, W, cfg, enc, ids)
        nxt = ops.cast(ops.argmax(logits[:, -1], axis=-1), "int32")
        ids = ops.concatenate([ids, ops.expand_dims(nxt, 1)], axis=1)
    return {"logits": logits, "states": enc["states"], "attention": weights}
