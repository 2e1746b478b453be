"""Accuracy of every bundled calculator model on fresh test expressions, beside its anchor.

Uses the NumPy predictor (the path users get) on each model's fixed test split (disjoint
from training by construction), plus extra operand lengths where a recipe asks for them
(add-long). Prints a Markdown table for benchmarks/results/calculator.md.

    python benchmarks/calculator_accuracy.py [--n 10000]
"""

from __future__ import annotations

import argparse
import sys

from calcapp.expr.datagen import generate
from calcapp.arithmetic.evaluation import score
from calcapp.arithmetic.predictor import load_predictor
from calcapp.arithmetic.recipes import list_recipes
from calcapp.nets.registry import list_models


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10000)
    args = ap.parse_args()
    recipes = {r.config.name: r for r in list_recipes() if r.bundled}
    print("| model | task | architecture | parameters | test exact | char acc | by operator "
          "| goal | anchor (seed) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for info in list_models():
        if info.source != "bundled":
            continue
        spec, hp = info.task, info.card.get("hparams", {})
        holdout = hp.get("holdout", 0.05)
        if holdout <= 0:
            test = generate(spec, args.n, seed=hp.get("seed", 0), split="train", holdout=0)
        else:
            test = generate(spec, args.n, seed=hp.get("seed", 0), split="test", holdout=holdout)
        pred = load_predictor(info)
        answers = [p.text for p in pred.predict([e.text for e in test])]
        s = score([e.text for e in test], [e.target for e in test], answers)
        ops = ", ".join(f"{k} {100 * v['exact_match']:.2f}%" for k, v in s["by_operator"].items())
        extra = info.card.get("metrics", {}).get("exact_by_max_digits") or {}
        if extra:
            ops += "; " + ", ".join(f"{k}-digit {100 * v:.1f}%" for k, v in extra.items())
        r = recipes.get(info.name)
        goal = ", ".join(f"{k} {v}" for k, v in (r.goal if r else {}).items())
        print(f"| {info.name} | {spec.name} | {info.architecture} | {info.card.get('parameters')} "
              f"| {100 * s['exact_match']:.2f}% (n={s['n']}) | {100 * s['char_accuracy']:.2f}% "
              f"| {ops} | {goal} | {r.anchor if r else ''} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
