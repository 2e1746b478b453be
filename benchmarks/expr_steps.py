"""Where a rewriting model goes wrong: the whole chain, and each pass on its own.

The chain's exact match is what the user sees; a pass's accuracy (the right next step
from a right working text) says which operation or which part of the rewriting fails.
Runs on the expr task's fixed test split through the NumPy predictor.

    python benchmarks/expr_steps.py [MODEL_NAME_OR_DIR] [--n 10000]
"""

from __future__ import annotations

import argparse
import collections
import statistics
import sys
import time

from calcapp.expr.datagen import generate
from calcapp.expr.steps import is_final, operation, steps
from calcapp.arithmetic import data as D
from calcapp.arithmetic.predictor import load_predictor
from calcapp.nets.registry import find_model, load_info


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("model", nargs="?", default="expr")
    ap.add_argument("--n", type=int, default=10000)
    args = ap.parse_args()
    try:
        info = find_model(args.model)
    except LookupError:
        info = load_info(args.model)
    pred = load_predictor(info)
    test = generate(pred.spec, args.n, seed=0, split="test")

    t0 = time.perf_counter()
    answers = pred.predict([e.text for e in test])
    batch_ms = 1000 * (time.perf_counter() - t0) / len(test)
    exact = sum(a.text == e.target for a, e in zip(answers, test)) / len(test)
    passes = collections.Counter(len(a.steps) for a in answers)

    pairs = [pair for e in test for work in [steps(e.model_input)] for pair in zip(work, work[1:])]
    got = []
    for s in range(0, len(pairs), 512):  # one pass from each right working text
        ids = D.encode_inputs(pred.spec, pred.cfg, [b for b, _ in pairs[s:s + 512]])
        got += D.decode_logits(pred.spec, pred.cfg, pred.logits(ids)["logits"], ids)[0]
    right, total = collections.Counter(), collections.Counter()
    for (before, after), out in zip(pairs, got):
        for key in (operation(before, after), "last pass" if is_final(after) else "middle pass", "all"):
            total[key] += 1
            right[key] += out == after

    single = []
    for e in test[:300]:
        t = time.perf_counter()
        pred.predict([e.text])
        single.append(1000 * (time.perf_counter() - t))

    print(f"model {info.name}: chain exact match {exact:.2%} (n = {len(test)}); "
          f"passes per expression {dict(sorted(passes.items()))}")
    print(f"one expression {statistics.median(single):.2f} ms median; in batches {batch_ms:.2f} ms each")
    print("| pass | n | right |\n|---|---|---|")
    for key in ("all", "middle pass", "last pass", "+", "-", "*", "/", "()"):
        if total[key]:
            print(f"| {key} | {total[key]} | {right[key] / total[key]:.2%} |")
    wrong = [(b, a, o) for (b, a), o in zip(pairs, got) if o != a][:12]
    print("\nwrong passes (from -> right / written):")
    for before, after, out in wrong:
        print(f"  {before} -> {after} / {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
