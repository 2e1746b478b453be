"""Every architecture's weights: names, shapes and initialisers, in creation order.

Why one list: the Keras layer creates the weights from it and the NumPy path reads the
saved ``model.keras`` by it, so a weight's name means the same thing on both paths.
"""

from __future__ import annotations

import io
import json
import math
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from calcapp.arithmetic.model import rewriter
from calcapp.arithmetic.model.config import NetConfig, as_config
from calcapp.nets.numpy_ops import LAYER_NAME

ARCHITECTURES = ("tiny-rnn", "lstm", "bilstm", "attention", "transformer")

Spec = tuple[str, tuple[int, ...], str]


class _Specs(list):
    """The list being built, with the two shapes every architecture is made of."""

    def rnn(self, prefix, din, u, gates):
        self.extend([
            (f"{prefix}/kernel", (din, gates * u), "glorot"),
            (f"{prefix}/recurrent", (u, gates * u), "orthogonal"),
            (f"{prefix}/bias", (gates * u,), "forget_bias" if gates == 4 else "zeros"),
        ])

    def dense(self, prefix, din, dout, bias=True):
        self.append((f"{prefix}/kernel", (din, dout), "glorot"))
        if bias:
            self.append((f"{prefix}/bias", (dout,), "zeros"))


def weight_specs(cfg: NetConfig | dict[str, Any]) -> list[Spec]:
    """``(name, shape, initializer)`` for every weight, in creation order."""
    cfg = as_config(cfg)
    arch = cfg.arch
    build = _BUILDERS.get(arch)
    if build is None:
        raise ValueError(f"unknown architecture {arch!r}; known: {', '.join(ARCHITECTURES)}")
    specs = _Specs()
    build(cfg, specs)
    return list(specs)


def _tiny_rnn(cfg, s: _Specs) -> None:
    dec = cfg.dec_units
    s.rnn("enc0", cfg.vin, cfg.units, 1)
    s.rnn("dec0", cfg.units, dec, 1)
    s.dense("out", dec, cfg.vout)


def _lstm(cfg, s: _Specs) -> None:
    units, layers = cfg.units, cfg.layers
    for i in range(layers):
        s.rnn(f"enc{i}", cfg.vin if i == 0 else units, units, 4)
    for i in range(layers):
        s.rnn(f"dec{i}", units, units, 4)
    s.dense("out", units, cfg.vout)


def _bilstm(cfg, s: _Specs) -> None:
    units, layers = cfg.units, cfg.layers
    half = units // 2
    for i in range(layers):
        for d in ("f", "b"):
            s.rnn(f"enc{i}{d}", cfg.vin if i == 0 else units, half, 4)
    for i in range(layers):
        for d in ("f", "b"):
            s.rnn(f"dec{i}{d}", units, half, 4)
    s.dense("out", units, cfg.vout)


def _attention(cfg, s: _Specs) -> None:
    vin, units, layers = cfg.vin, cfg.units, cfg.layers
    half, heads, att = units // 2, cfg.heads, cfg.att_units
    places, tout, vout = cfg.places, cfg.tout, cfg.vout
    for i in range(layers):
        for d in ("f", "b"):
            s.rnn(f"enc{i}{d}", (vin + places + cfg.operands) if i == 0 and places
                  else (vin if i == 0 else units), half, 4)
    if cfg.rewrite:
        _rewriter(cfg, s)
        return
    # previous token + previous context (+ the step number when place features are on)
    # (+ the column of digit-pair products when ``pairs`` is on)
    step_in = tout if places and not cfg.align else 0
    step_in += pair_dim(cfg) + 10 * int(cfg.divisor_digits)
    if pair_dim(cfg):
        s.dense("pairs/embed", 100, pair_dim(cfg))
    if cfg.stateless:  # no recurrence: the decoder cannot count its steps
        s.dense("dec0", vout + heads * value_dim(cfg) + step_in, units)
    else:
        s.rnn("dec0", vout + heads * value_dim(cfg) + step_in, units, 4)
    for k in range(heads):
        s.dense(f"att{k}/query", units, att, bias=False)
        s.dense(f"att{k}/key", units, att, bias=False)
        if places and not cfg.align:  # step number -> query
            s.dense(f"att{k}/step_query", tout, att, bias=False)
        if places:  # place/operand -> key
            s.dense(f"att{k}/place_key", places + cfg.operands, att, bias=False)
        if cfg.align:
            s.append((f"att{k}/align_gain", (1,), "align"))
    s.dense("combine", units + heads * value_dim(cfg) + pair_dim(cfg), units)
    s.dense("out", units, vout)


def _rewriter(cfg, s: _Specs) -> None:
    """The rewriting decoder's weights (its encoder is the attention architecture's)."""
    units, att, vout = cfg.units, cfg.att_units, cfg.vout
    ctx = rewriter.ctx_dim(cfg)
    s.rnn("dec0", vout + ctx, units, 4)
    s.dense("att0/query", units, att, bias=False)  # the copy head; digit heads are gathers
    s.dense("att0/key", units, att, bias=False)
    s.dense("att0/place_key", cfg.places + cfg.operands, att, bias=False)
    s.append(("att0/align_gain", (1,), "align"))
    if rewriter.pair_width(cfg):
        s.dense("pairs/embed", 100, rewriter.pair_width(cfg))
    s.dense("combine", units + ctx, units)
    if cfg.quotients:
        s.dense("quotients/embed", 1000, int(cfg.quotients))
    if cfg.long_division:
        if not cfg.wide:
            raise ValueError("long_division reads the dividend's places 2-4: it needs wide")
        s.dense("division/embed", 1000, int(cfg.long_division), bias=False)
        s.dense("division/remainder", 1000, 10)
    if cfg.deep:  # a residual hidden layer; its output weights start at zero, so a
        # warm start from a model without it begins as exactly that model
        s.dense("deep/hidden", units, int(cfg.deep))
        s.append(("deep/out/kernel", (int(cfg.deep), units), "zeros"))
        s.append(("deep/out/bias", (units,), "zeros"))
    s.dense("out", units, vout)


def _transformer(cfg, s: _Specs) -> None:
    d, ff, layers = cfg.units, cfg.ff, cfg.layers
    s.append(("enc_embed", (cfg.vin, d), "normal"))
    s.append(("enc_pos", (cfg.tin, d), "normal"))
    s.append(("dec_embed", (cfg.vout, d), "normal"))
    s.append(("dec_pos", (cfg.tout, d), "normal"))

    def norm(prefix):
        s.extend([(f"{prefix}/gamma", (d,), "ones"), (f"{prefix}/beta", (d,), "zeros")])

    def block(prefix, cross):
        norm(f"{prefix}/ln1")
        for part in ("q", "k", "v", "o"):
            s.dense(f"{prefix}/self/{part}", d, d)
        if cross:
            norm(f"{prefix}/ln2")
            for part in ("q", "k", "v", "o"):
                s.dense(f"{prefix}/cross/{part}", d, d)
        norm(f"{prefix}/ln3")
        s.dense(f"{prefix}/ff1", d, ff)
        s.dense(f"{prefix}/ff2", ff, d)

    for i in range(layers):
        block(f"enc{i}", cross=False)
    norm("enc_ln")
    for i in range(layers):
        block(f"dec{i}", cross=True)
    norm("dec_ln")
    s.dense("out", d, cfg.vout)


_BUILDERS = {"tiny-rnn": _tiny_rnn, "lstm": _lstm, "bilstm": _bilstm, "attention": _attention,
             "transformer": _transformer}


def value_dim(cfg: NetConfig) -> int:
    """Attention values: encoder states, plus (aligned) the raw character and a match flag."""
    if cfg.char_values:  # characters only: nothing that drifts on longer inputs
        return cfg.vin + 1
    return cfg.units + ((cfg.vin + 1) if cfg.align else 0)


def pair_dim(cfg: NetConfig) -> int:
    """Width of the digit-pair column feature (0: off; needs aligned place features)."""
    return int(cfg.pair_dim) if cfg.pairs and cfg.align else 0


def parameter_count(cfg: NetConfig | dict[str, Any]) -> int:
    return sum(math.prod(shape) for _, shape, _ in weight_specs(as_config(cfg)))


def read_keras_file(path: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The seq2seq layer's config and its weights (by name) from a ``.keras`` zip.

    A file that is not a model (random bytes, cut short, a link to a device, a zip bomb)
    raises BadModelError naming it, before more than the size limit is read.
    """
    from calcapp.nets.registry import BadModelError, check_model_file

    check_model_file(path)
    try:
        config, weights_bytes = _keras_members(path)
        return _layer_weights(path, config, weights_bytes)
    except BadModelError:
        raise
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError, EOFError,
            RecursionError, AttributeError, IndexError) as exc:
        raise BadModelError(f"{path}: not a readable calcapp model "
                            f"({type(exc).__name__}: {str(exc)[:120]})") from None


def _keras_members(path: Path):
    from calcapp.nets.registry import MAX_MODEL_BYTES, BadModelError

    with zipfile.ZipFile(path) as zf:
        for member in ("config.json", "model.weights.h5"):
            if zf.getinfo(member).file_size > MAX_MODEL_BYTES:
                raise BadModelError(f"{path}: {member} unpacks to more than {MAX_MODEL_BYTES:,} bytes")
        return json.loads(zf.read("config.json")), zf.read("model.weights.h5")


def _layer_weights(path: Path, config: dict, weights_bytes: bytes):
    import h5py  # ~0.1 s; only needed once per model

    layer_cfg = None
    for layer in config["config"]["layers"]:
        if layer["config"].get("name") == LAYER_NAME:
            layer_cfg = layer["config"]["cfg"]
    if layer_cfg is None:
        raise ValueError(f"{path} holds no '{LAYER_NAME}' layer; not a calcapp calculator model")
    specs = weight_specs(layer_cfg)
    with h5py.File(io.BytesIO(weights_bytes), "r") as h5:
        # Keras names the group after the layer class (``seq2_seq_net``), not the layer.
        groups = [g["vars"] for g in h5["layers"].values() if "vars" in g and len(g["vars"])]
        if len(groups) != 1:
            raise ValueError(f"{path}: expected one weight group, found {len(groups)}")
        group = groups[0]
        arrays = [np.asarray(group[str(i)], dtype=np.float32) for i in range(len(group))]
    if len(arrays) != len(specs):
        raise ValueError(f"{path}: {len(arrays)} weights stored, {len(specs)} expected")
    weights = {}
    for (name, shape, _), arr in zip(specs, arrays):
        if tuple(arr.shape) != tuple(shape):
            raise ValueError(f"{path}: weight {name} has shape {arr.shape}, expected {shape}")
        weights[name] = arr
    return layer_cfg, weights
