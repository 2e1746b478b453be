"""Arrays in and strings out: the one place that turns texts into model ids and back.

Training, both inference paths and evaluation all go through these functions, so a model
reads exactly what it was trained on (task spelling, reversal, alphabet) and its answers
are decoded the same way everywhere (stop at the end marker, undo reversal).
"""

from __future__ import annotations

import functools

from typing import Any, Sequence

import numpy as np

from calcapp.expr.codec import START_ID, Codec
from calcapp.expr.tasks import TaskSpec
from calcapp.arithmetic.model import architectures as A
from calcapp.arithmetic.model.weights import ARCHITECTURES
from calcapp.arithmetic import notation as N
from calcapp.arithmetic.alphabet import input_tokens, output_tokens, to_local


def model_cfg(spec: TaskSpec, arch: str, hparams: dict[str, Any]) -> dict[str, Any]:
    """The JSON-friendly layer config: sizes, alphabets and architecture knobs."""
    if arch not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {arch!r}; known: {', '.join(ARCHITECTURES)}")
    end_marker = bool(hparams.get("end_marker", True))
    length_free = bool(hparams.get("length_free")) and hparams.get("train_max_digits")
    full_spec = spec
    if length_free:  # build (and train) at the training lengths; run at any length
        spec = spec.with_(max_digits=int(hparams["train_max_digits"]))
    in_tok = input_tokens(spec)
    out_tok = output_tokens(spec, specials=end_marker or A.teacher_forced(arch))
    tout = spec.max_output_len + (1 if end_marker else 0)
    cfg = {
        "arch": arch,
        "vin": len(in_tok),
        "vout": len(out_tok),
        "tin": spec.max_input_len,
        "tout": tout,
        "units": int(hparams.get("units", 64)),
        "layers": int(hparams.get("layers", 1)),
        "end_marker": end_marker,
        "in_tokens": in_tok,
        "out_tokens": out_tok,
    }
    for key in ("dec_units", "heads", "att_units", "ff", "places", "mask_pad", "stateless", "pairs",
                "pair_dim", "div_msd", "mul_columns", "divisor_digits", "div_remainders",
                "wide", "deep", "quotients", "long_division"):
        if key in hparams:
            cfg[key] = int(hparams[key])
    if cfg.get("div_msd") and not (hparams.get("align") and "/" in spec.operators
                                   and spec.max_operands == 2 and spec.reverse_output):
        raise ValueError("div_msd (long-division order) needs aligned attention, two operands, "
                         "division and least-significant-first answers")
    if (cfg.get("divisor_digits") or cfg.get("div_remainders")) and not cfg.get("div_msd"):
        raise ValueError("divisor_digits and div_remainders are parts of long division: they need div_msd")
    if cfg.get("mul_columns"):
        if not ("*" in spec.operators and spec.max_operands == 2 and spec.reverse_output):
            raise ValueError("mul_columns needs two operands, products and least-significant-first answers")
        cfg["out_tokens"] = cfg["out_tokens"] + N.column_tokens(spec.max_digits)
    if cfg.get("div_remainders"):
        cfg["out_tokens"] = cfg["out_tokens"] + N.remainder_tokens(spec.max_digits)
    cfg["vout"] = len(cfg["out_tokens"])
    if length_free:
        cfg["length_free"] = True
        cfg["full_tin"], cfg["full_tout"] = inference_cfg(full_spec, {**cfg, "length_free": True},
                                                          sizes_only=True)
    if hparams.get("align"):
        cfg["align"] = True
        if hparams.get("char_values"):
            cfg["char_values"] = True
        cfg.setdefault("places", 2)
    if cfg.get("places"):
        cfg["operands"] = spec.max_operands
    if hparams.get("rewrite"):
        if not (arch == "attention" and cfg.get("places") and spec.reverse_output and end_marker):
            raise ValueError("rewrite needs the attention architecture with place features, "
                             "an end marker and last-character-first writing")
        cfg["rewrite"] = 1
        # a working text is at most the input's length plus a few digits (calcapp.expr.steps)
        cfg["tin"] = spec.max_input_len + 4
        cfg["tout"] = cfg["tin"] + 1
        extra = [tok for tok in cfg["in_tokens"][1:] if tok not in cfg["out_tokens"]]
        cfg["out_tokens"] = cfg["out_tokens"] + extra
        cfg["vout"] = len(cfg["out_tokens"])
    return cfg


def inference_cfg(spec: TaskSpec, cfg: dict[str, Any], sizes_only: bool = False):
    """The config to run with on ``spec``'s inputs.

    A ``length_free`` model (aligned attention with character values: no weight depends on
    a length) is built at its training lengths and unrolled at the task's full lengths here.
    """
    if not cfg.get("length_free"):
        return (cfg["tin"], cfg["tout"]) if sizes_only else cfg
    tin = spec.max_input_len
    tout = spec.max_output_len + (1 if cfg.get("end_marker", True) else 0)
    return (tin, tout) if sizes_only else {**cfg, "tin": tin, "tout": tout}


def encode_inputs(spec: TaskSpec, cfg: dict[str, Any], model_inputs: Sequence[str]) -> np.ndarray:
    """Model-spelled inputs -> (N, Tin) local ids (reversed if the task says so)."""
    return to_local(Codec(spec).encode_inputs(model_inputs, cfg["tin"]), cfg["in_tokens"])


def long_division_rows(cfg: dict[str, Any], enc_ids: np.ndarray) -> np.ndarray:
    """(N,) bool: the rows a ``div_msd`` model writes in long-division order (see notation)."""
    ids = np.asarray(enc_ids)
    if not cfg.get("div_msd"):
        return np.zeros(len(ids), dtype=bool)
    return (ids == cfg["in_tokens"].index("/")).any(axis=1)


def encode_targets(spec: TaskSpec, cfg: dict[str, Any], targets: Sequence[str],
                   model_inputs: Sequence[str] | None = None):
    """Targets -> (decoder inputs, decoder targets), both (N, Tout) local ids, written in
    the model's notation (``model_inputs`` are needed where that depends on the operator)."""
    index = {tok: i for i, tok in enumerate(cfg["out_tokens"])}
    y = np.zeros((len(targets), cfg["tout"]), dtype=np.int32)
    for row, target in enumerate(targets):
        inp = model_inputs[row] if model_inputs is not None else None
        toks = N.written(cfg, target, inp, spec.reverse_output) + ([N.END] if cfg["end_marker"] else [])
        if len(toks) > cfg["tout"]:
            raise ValueError(f"{target!r} needs {len(toks)} positions; only {cfg['tout']} available")
        try:
            y[row, :len(toks)] = [index[t] for t in toks]
        except KeyError:
            raise ValueError("a character outside the model's alphabet") from None
    dec_in = np.concatenate([np.full((len(y), 1), START_ID, np.int32), y[:, :-1]], axis=1)
    return dec_in, y


def answers(spec: TaskSpec, cfg: dict[str, Any], forward, model_inputs: Sequence[str]):
    """Model-spelled inputs -> (texts, confidences, working steps) through ``forward(ids) ->
    logits`` (NumPy or Keras). A rewriting model runs pass after pass (``calcapp.arithmetic.working``);
    any other writes its answer in one pass and has no steps."""
    def one_pass(texts):
        ids = encode_inputs(spec, cfg, texts)
        return decode_logits(spec, cfg, forward(ids), ids)[:2]

    if cfg.get("rewrite"):
        from calcapp.arithmetic.working import work_out

        return work_out(one_pass, list(model_inputs), cfg["tin"])
    texts, confs = one_pass(list(model_inputs))
    return texts, confs, [[] for _ in texts]


@functools.lru_cache(maxsize=None)
def _specials(tokens: tuple) -> tuple[int | None, frozenset]:
    """(the end marker's id or None, the ids of padding and the start marker)."""
    end = tokens.index(N.END) if N.END in tokens else None
    return end, frozenset(i for i, tok in enumerate(tokens) if tok in (N.PAD, N.START))


def decode_logits(spec: TaskSpec, cfg: dict[str, Any], logits: np.ndarray,
                  enc_ids: np.ndarray | None = None):
    """Logits (N, Tout, V) -> (texts, per-character confidences, output chars per step).

    Confidences follow the written answer's characters in reading order (after reversal),
    one per character; the output chars list the raw steps up to the end marker.
    ``enc_ids`` tells a long-division model's quotient rows (read as written, leading zeros
    dropped) from the rest.
    """
    if cfg.get("div_msd") and enc_ids is None:
        raise ValueError("a long-division (div_msd) model needs the inputs to decode its answers")
    msd = long_division_rows(cfg, enc_ids) if enc_ids is not None else np.zeros(len(logits), bool)
    logits = np.asarray(logits, dtype=np.float64)
    ids = logits.argmax(-1)
    # the chosen character's probability: 1 / sum(exp(logit - its logit)), no full softmax
    best = 1.0 / np.add.reduce(np.exp(logits - np.maximum.reduce(logits, axis=-1, keepdims=True)), axis=-1)
    tokens = cfg["out_tokens"]
    end, skip = _specials(tuple(tokens))
    texts, confs, steps = [], [], []
    for row, conf, first_msd in zip(ids.tolist(), best.tolist(), msd.tolist()):
        if end in row:  # (list scans, not a Python step per character: 10,000 rows a pass)
            k = row.index(end)
            row, conf = row[:k], conf[:k]
        if not skip.isdisjoint(row):
            kept = [j for j, i in enumerate(row) if i not in skip]
            row, conf = [row[j] for j in kept], [conf[j] for j in kept]
        written = [tokens[i] for i in row]
        steps.append(written)
        chars, idx = N.read(written, bool(first_msd), spec.reverse_output)
        texts.append("".join(chars))
        confs.append([conf[i] for i in idx])
    return texts, confs, steps
