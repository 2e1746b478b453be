"""The rewriting decoder: one operation per pass, the expression written out again.

Why: see ``calcapp.core.steps``. A pass reads the working text (``6--68+62``) and writes the
next one (``74+62``), last character first, so the new number comes out least-significant
digit first like the aligned models' answers. It is the ``attention`` architecture with
``rewrite`` on: the same bidirectional encoder (with place features), and a decoder whose
heads each start from a prior that says where to look, learning only which number:

- head 0 copies: it starts on the last character and then follows along, one character to
  the left of where it looked before, so copying the untouched part costs nothing to learn;
- the other heads read digits: "the digit at place r" and "at place r-1", where r counts
  the digits this pass has written in a row (the place of the digit being written), and
  "the digit at place 0" and "at place 1"; two heads of each, one per operand. A sum needs
  the two digits at place r; a product by a 2-digit number needs a_r, a_(r-1), b_0, b_1.

Each digit head also reports how much of it found a digit at its place (none: the number
is shorter), so "no digit" and "digit 0" differ. Nothing here imports Keras.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from calcapp.ml import architectures as A

# (prior, place offset) per head: "follow" = the copy head; "run" = place r + offset;
# "fixed" = that place.
PRIORS = (("follow", 0), ("run", 0), ("run", 0), ("run", -1), ("run", -1),
          ("fixed", 0), ("fixed", 0), ("fixed", 1), ("fixed", 1))
DIGIT_VALUE = 11  # ten digits and the "found a digit" mass


def ctx_dim(cfg: dict[str, Any]) -> int:
    return cfg["units"] + cfg["vin"] + (len(PRIORS) - 1) * DIGIT_VALUE


def weight_specs(cfg: dict[str, Any], specs: list, dense, rnn) -> None:
    """Append the decoder's weights (the encoder is the attention architecture's)."""
    units, att, vout = cfg["units"], cfg.get("att_units", cfg["units"]), cfg["vout"]
    feat = cfg["places"] + cfg.get("operands", 2)
    rnn("dec0", vout + ctx_dim(cfg), units, 4)
    for k in range(len(PRIORS)):
        dense(f"att{k}/query", units, att, bias=False)
        dense(f"att{k}/key", units, att, bias=False)
        dense(f"att{k}/place_key", feat, att, bias=False)
        specs.append((f"att{k}/align_gain", (1,), "align"))
    dense("combine", units + ctx_dim(cfg), units)
    dense("out", units, vout)


def start(ops, W, cfg, enc) -> dict[str, Any]:
    units = cfg["units"]
    H = enc["states"]
    keys = [A._dense(ops, W, f"att{k}/key", H) + A._dense(ops, W, f"att{k}/place_key", enc["feats"])
            for k in range(len(PRIORS))]
    real = 1.0 - enc["pad"]  # (B, Tin)
    after = ops.concatenate([real[:, 1:], real[:, :1] * 0.0], axis=1)
    h = A._zeros(ops, enc["last"], units)
    digit_out = np.array([1.0 if tok in "0123456789" else 0.0 for tok in cfg["out_tokens"]],
                         dtype="float32")
    return {"h": h, "c": h, "ctx": A._zeros(ops, enc["last"], ctx_dim(cfg)), "keys": keys,
            "follow": real * (1.0 - after),  # the last character
            "run": real[:, :1] * 0.0, "digit_out": digit_out.reshape(-1, 1),
            "values": ops.concatenate([H, enc["chars"]], axis=-1),
            "digits": enc["chars"][:, :, 1:11]}


def step(ops, W, cfg, enc, state, prev_ids, t):
    """Decoder step ``t``: (logits (B,V), attention (B,Tin) averaged over heads, state)."""
    att = cfg.get("att_units", cfg["units"])
    prev = ops.one_hot(prev_ids, cfg["vout"])
    run = (state["run"] + 1.0) * ops.matmul(prev, state["digit_out"])  # 0 after the start
    h, c = A._lstm_step(ops, W, "dec0", ops.concatenate([prev, state["ctx"]], axis=-1),
                        state["h"], state["c"])
    place, bias = enc["place"], enc["pad"] * A.NEG
    is_digit = ops.cast(place >= 0.0, "float32")
    ctxs, weights = [], []
    for k, (kind, offset) in enumerate(PRIORS):
        if kind == "follow":
            prior = state["follow"]
        else:
            want = run + float(offset) if kind == "run" else float(offset)
            prior = ops.cast(ops.equal(place, want), "float32") * is_digit
        q = A._dense(ops, W, f"att{k}/query", h)
        scores = ops.sum(ops.expand_dims(q, 1) * state["keys"][k], axis=-1) / math.sqrt(att)
        a = ops.softmax(scores + W[f"att{k}/align_gain"] * prior + bias, axis=-1)
        if kind == "follow":
            ctxs.append(ops.sum(ops.expand_dims(a, -1) * state["values"], axis=1))
            follow = ops.concatenate([a[:, 1:], a[:, :1] * 0.0], axis=1)  # one to the left
        else:
            ctxs.append(ops.sum(ops.expand_dims(a, -1) * state["digits"], axis=1))
            ctxs.append(ops.sum(a * prior, axis=1, keepdims=True))
        weights.append(a)
    ctx = ops.concatenate(ctxs, axis=-1)
    out = ops.tanh(A._dense(ops, W, "combine", ops.concatenate([h, ctx], axis=-1)))
    logits = A._dense(ops, W, "out", out)
    mean_att = sum(weights[1:], weights[0]) / len(weights)
    return logits, mean_att, {**state, "h": h, "c": c, "ctx": ctx, "run": run, "follow": follow}


# ----------------------------------------------------------------------------- passes
def work_out(one_pass, texts: list[str], max_len: int, max_passes: int = 8):
    """Run a rewriting model until every text is an answer.

    ``one_pass(texts) -> (next texts, per-character confidences)``. Returns (answers,
    confidences, steps): each answer's characters carry the weakest confidence of any
    earlier pass (a chain is as sure as its least sure link), and ``steps`` lists every
    working text the network wrote. A pass that writes something that is not an
    expression, is too long, or changes nothing ends that row with what it wrote.
    """
    from calcapp.core.errors import CalcError
    from calcapp.core.parser import parse
    from calcapp.core.steps import is_final

    current = list(texts)
    confs: list[list[float]] = [[1.0] * len(t) for t in texts]
    weakest = [1.0] * len(texts)
    steps: list[list[str]] = [[] for _ in texts]
    done = [is_final(t) for t in current]
    for _ in range(max_passes):
        rows = [i for i, d in enumerate(done) if not d]
        if not rows:
            break
        outs, out_confs = one_pass([current[i] for i in rows])
        for i, text, conf in zip(rows, outs, out_confs):
            changed = text != current[i]
            current[i], confs[i] = text, conf
            steps[i].append(text)
            ok = is_final(text)
            if not ok and changed and len(text) <= max_len:
                try:
                    parse(text)
                except CalcError:
                    changed = False
            if ok or not changed or len(text) > max_len:
                done[i] = True
                confs[i] = [min(c, weakest[i]) for c in conf]
            else:
                weakest[i] = min([weakest[i], *conf])
    for i, d in enumerate(done):  # out of passes: what was written last stands
        if not d:
            confs[i] = [min(c, weakest[i]) for c in confs[i]]
    return current, confs, steps
