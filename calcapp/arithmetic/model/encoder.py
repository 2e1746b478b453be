"""The encoder pass shared by every architecture: one-hot characters and their features in,
states (what the Inside tab shows) and what the decoders read out."""

from __future__ import annotations

from typing import Any

from calcapp.arithmetic.model import blocks as B
from calcapp.arithmetic.model import features as F
from calcapp.arithmetic.model import numpy_routes as NR
from calcapp.arithmetic.model import transformer as T
from calcapp.arithmetic.model.config import NetConfig, as_config


def encode(ops, W, cfg: NetConfig | dict, enc_ids, cache: dict | None = None) -> dict[str, Any]:
    """Encoder pass. ``states`` is (B, Tin, units): what the GUI's inside view shows.

    ``cache`` (NumPy only, a dict the caller keeps for these weights): read only up to the
    longest row (``numpy_routes.cut_length``; everything returned is then that many steps
    long), both LSTM directions at once (``numpy_routes.fused_bilstm``)."""
    cfg = as_config(cfg)
    arch, units = cfg.arch, cfg.units
    cut = NR.cut_length(cfg, enc_ids) if cache is not None else 0
    if cut:  # one pad is kept: its features start the backward LSTM (then it goes too)
        enc_ids = enc_ids[:, :enc_ids.shape[1] - cut + 1]
    tin = enc_ids.shape[1]
    x = ops.one_hot(enc_ids, cfg.vin)
    feats = place = None
    chars = x
    if cfg.places:  # computed once: the features and the aligned heads share it
        place = F.place_value(ops, enc_ids, cfg)
        feats = F.place_features(ops, enc_ids, cfg, place)
        x = ops.concatenate([x, feats], axis=-1)
    pad = ops.cast(ops.equal(enc_ids, 0), "float32")  # (B, Tin) 1 where padding
    back_init = None
    if cut:
        back_init = NR.pad_state(W, cfg, cache, x[:, -1], cut)
        enc_ids, x, chars, feats, place, pad = (None if a is None else a[:, :-1]
                                                for a in (enc_ids, x, chars, feats, place, pad))
        tin -= 1
    if arch == "tiny-rnn":
        states = ops.stack(B.simple_rnn(ops, W, "enc0", B.time_steps(x, tin), B.zeros(ops, x[:, 0], units)), axis=1)
    elif arch == "lstm":
        xs = B.time_steps(x, tin)
        for i in range(cfg.layers):
            xs = B.lstm(ops, W, f"enc{i}", xs, units)
        states = ops.stack(xs, axis=1)
    elif arch in ("bilstm", "attention"):
        masks = None
        if cfg.mask_pad:
            real = 1.0 - pad
            masks = [real[:, t:t + 1] for t in range(tin)]
        if cache is not None and x.shape[0] <= NR.FUSE_ROWS:  # NumPy, a few rows: one LSTM
            states = x
            for i in range(cfg.layers):
                states = NR.fused_bilstm(W, cache, f"enc{i}", states, units // 2, masks,
                                         back_init if i == 0 else None)
        else:
            states = ops.stack(B.bilstm_stack(ops, W, "enc", B.time_steps(x, tin), units, cfg.layers,
                                             masks, back_init), axis=1)
    elif arch == "transformer":
        return {"states": T.encode(ops, W, cfg, x, pad), "pad": pad}
    else:
        raise ValueError(arch)
    if arch == "bilstm":
        half = units // 2
        last = ops.concatenate([states[:, -1, :half], states[:, 0, half:]], axis=-1)
    else:
        last = states[:, -1]
    out = {"states": states, "last": last, "pad": pad, "feats": feats}
    if cfg.align or cfg.rewrite:
        out["place"] = place
        out["chars"] = chars
    if cfg.rewrite:
        out["numbers"], out["negative"], out["binary_op"] = F.numbers_of(ops, enc_ids, cfg, place)
    if cfg.div_msd:  # long-division order for quotients (``calcapp.arithmetic.data.long_division_rows``)
        slash = cfg.in_tokens.index("/")
        out["div"] = ops.sum(ops.cast(ops.equal(enc_ids, slash), "float32"), axis=1, keepdims=True)
        first = feats[:, :, cfg.places] * ops.cast(out["place"] >= 0.0, "float32")
        out["len_a"] = ops.sum(first, axis=1, keepdims=True)  # digits of the dividend
    return out
