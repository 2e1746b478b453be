"""Time to accuracy of the step-by-step recipes (arith3-columns, expr-columns), one command
each, timed by ``/usr/bin/time``; beside them, the bundled seq2seq model of the same task
measured on the very test split the columns card was measured on.

    python benchmarks/columns_recipes.py [--runs 3] [--recipes arith3-columns expr-columns]

Each run is ``python -m calcapp train --recipe R --out TMP`` in a fresh interpreter (so it
pays for importing TensorFlow, training the cells and measuring the card), with the 1-minute
load average before and after. Prints one row per run, the medians (wall, CPU = user + sys)
and the cards' test and fresh exact match; writes ``columns-recipes.json`` to --out.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed_run(recipe: str) -> dict:
    """One training run under ``/usr/bin/time``: wall, CPU, load, and the card's metrics."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = ["/usr/bin/time", "-f", "TIME %e %U %S", sys.executable, "-m", "calcapp",
               "train", "--recipe", recipe, "--out", tmp]
        env = {**os.environ, "PYTHONPATH": str(ROOT), "CALCAPP_HOME": tmp,
               "TF_CPP_MIN_LOG_LEVEL": "2"}
        load0 = os.getloadavg()[0]
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT)
        load1 = os.getloadavg()[0]
        line = [x for x in done.stderr.splitlines() if x.startswith("TIME ")]
        if done.returncode or not line:
            raise SystemExit(f"{recipe}: training failed:\n{done.stderr[-2000:]}")
        wall, user, sys_s = map(float, line[-1].split()[1:])
        card = json.loads((Path(tmp) / recipe / "card.json").read_text())
    m = card["metrics"]
    return {"recipe": recipe, "wall_s": wall, "cpu_s": round(user + sys_s, 1),
            "load_before": round(load0, 2), "load_after": round(load1, 2),
            "train_s": card["training"]["train_time_s"], "test_n": m["n"],
            "test_exact": m["exact_match"], "fresh_n": m["fresh"]["n"],
            "fresh_exact": m["fresh"]["exact_match"], "errors": m["errors"][:5]}


def seq2seq_on_split(recipe: str) -> dict:
    """The bundled seq2seq model of the task on the same test split (NumPy predictor)."""
    sys.path.insert(0, str(ROOT))
    from calcapp.arithmetic.columns.task_metrics import compared_recipe, measure, recipe_split
    from calcapp.arithmetic.predictor import load_predictor
    from calcapp.arithmetic.recipes import load_recipe
    from calcapp.nets.registry import find_model

    other = compared_recipe(load_recipe(recipe).config)
    info = find_model(other.name)
    m = measure(load_predictor(info), recipe_split(other, "test"))
    return {"model": info.name, "n": m["n"], "exact_match": m["exact_match"],
            "card_exact_match": info.card["metrics"]["exact_match"]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--recipes", nargs="+", default=["arith3-columns", "expr-columns"])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = ap.parse_args()
    out = {}
    print("| recipe | run | wall s | CPU s | load before/after | test exact (n) | fresh exact (n) |")
    print("|---|---|---|---|---|---|---|")
    for recipe in args.recipes:
        runs = []
        for i in range(args.runs):
            r = timed_run(recipe)
            runs.append(r)
            print(f"| {recipe} | {i + 1} | {r['wall_s']:.0f} | {r['cpu_s']:.0f} | "
                  f"{r['load_before']}/{r['load_after']} | {100 * r['test_exact']:.2f}% "
                  f"({r['test_n']}) | {100 * r['fresh_exact']:.2f}% ({r['fresh_n']}) |", flush=True)
        out[recipe] = {"runs": runs, "median_wall_s": statistics.median(r["wall_s"] for r in runs),
                       "median_cpu_s": statistics.median(r["cpu_s"] for r in runs),
                       "seq2seq": seq2seq_on_split(recipe)}
        print(f"{recipe}: median wall {out[recipe]['median_wall_s']:.0f} s, CPU "
              f"{out[recipe]['median_cpu_s']:.0f} s; seq2seq on the same split: "
              f"{out[recipe]['seq2seq']}", flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "columns-recipes.json").write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
