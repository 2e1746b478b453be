"""Runs a rewriting model pass after pass until every working text is an answer.

Why apart from the model: this is the person's side of the working (is it an answer yet?
does it still parse?), decided by the expression language, not by the network.
"""

from __future__ import annotations

from calcapp.expr.errors import CalcError
from calcapp.expr.parser import parse
from calcapp.expr.steps import is_final


def work_out(one_pass, texts: list[str], max_len: int, max_passes: int = 8):
    """Run a rewriting model until every text is an answer.

    ``one_pass(texts) -> (next texts, per-character confidences)``. Returns (answers,
    confidences, steps): each answer's characters carry the weakest confidence of any
    earlier pass (a chain is as sure as its least sure link), and ``steps`` lists every
    working text the network wrote. A pass that writes something that is not an
    expression, is too long, or changes nothing ends that row with what it wrote.
    """
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
