"""Inference speed of the calculator models: the figures behind the issue's speed goals.

- one expression through the NumPy predictor, median after warm-up (goal <= 2 ms), beside
  Keras ``model(x)`` and ``model.predict(x)`` on the same model for comparison;
- 10,000 of the model's test expressions through ``calcapp compute --file`` minus a 1-line
  file (goal <= 2 s);
- a cold ``calcapp compute "12+34"`` in a fresh process (goal <= 2 s).
Medians, because the machine is shared and noisy.

    python benchmarks/calculator_speed.py [--model add3] [--repeats 5] [--no-keras]
    python benchmarks/calculator_speed.py --model expr --baseline ../old-checkout

``--baseline DIR`` measures this checkout and another one (say, main before a refactor)
side by side in one run: one expression and 10,000 lines, the two trees taking turns so
that the machine's load falls on both alike.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _median_ms(fn, n):
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def _cli(args):
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "calcapp", "compute", *args],
                          capture_output=True, text=True)
    return time.perf_counter() - t0, proc


_ONE = """
import statistics, sys, time
sys.path.insert(0, sys.argv[1])
def imp(*names):
    import importlib
    for n in names:
        try:
            return importlib.import_module(n)
        except ImportError:
            pass
reg = imp("calcapp.nets.registry", "calcapp.ml.registry")
inf = imp("calcapp.arithmetic.predictor", "calcapp.ml.inference")
dg = imp("calcapp.expr.datagen", "calcapp.core.datagen")
info = reg.find_model(sys.argv[2])
pred = inf.load_predictor(info)
sample = [e.model_input for e in dg.generate(info.task, 200, seed=0, split="test")]
for e in sample[:20]:
    pred.predict([e])
per = []
for e in sample:
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        pred.predict([e])
        times.append(time.perf_counter() - t0)
    per.append(min(times))
print(1000 * statistics.median(per))
"""


def _file_seconds(tree: str, model: str, big: str, small: str) -> float:
    """10,000 lines through ``compute --file`` minus a 1-line file, with ``tree``'s code."""
    env = {**os.environ, "PYTHONPATH": tree}
    times = []
    for path in (big, small):
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "calcapp", "compute", "--file", path, "--model", model],
                              capture_output=True, text=True, env=env, cwd=tree)
        times.append(time.perf_counter() - t0)
        assert proc.returncode in (0, 2), proc.stderr[-500:]
    return times[0] - times[1]


def compare(model: str, baseline: str, repeats: int) -> int:
    """This checkout against ``baseline``, taking turns (see the module's docstring)."""
    here = str(Path(__file__).resolve().parents[1])
    trees = {"this checkout": here, "baseline": str(Path(baseline).resolve())}
    from calcapp.expr.datagen import generate
    from calcapp.nets.registry import find_model

    lines = [e.text for e in generate(find_model(model).task, 10000, seed=0, split="test")]
    lines = (lines * (10000 // len(lines) + 1))[:10000]
    one = {name: [] for name in trees}
    many = {name: [] for name in trees}
    with tempfile.TemporaryDirectory() as tmp:
        big, small = os.path.join(tmp, "big.txt"), os.path.join(tmp, "one.txt")
        Path(big).write_text("\n".join(lines) + "\n")
        Path(small).write_text(lines[0] + "\n")
        for r in range(repeats):
            order = list(trees.items()) if r % 2 == 0 else list(trees.items())[::-1]
            for name, tree in order:
                out = subprocess.run([sys.executable, "-c", _ONE, tree, model], capture_output=True,
                                     text=True, check=True, cwd=tree)
                one[name].append(float(out.stdout.split()[-1]))
                many[name].append(_file_seconds(tree, model, big, small))
    print(f"model {model}, {repeats} rounds, trees taking turns")
    print("| tree | one test expression (median of medians, ms) | 10,000 lines, added to a 1-line file (median, s) |")
    print("|---|---|---|")
    for name in trees:
        print(f"| {name} | {statistics.median(one[name]):.2f} (runs {', '.join(f'{x:.2f}' for x in one[name])}) "
              f"| {statistics.median(many[name]):.2f} (runs {', '.join(f'{x:.2f}' for x in many[name])}) |")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="add3")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--no-keras", action="store_true")
    ap.add_argument("--baseline", help="another checkout, measured side by side with this one")
    args = ap.parse_args()
    if args.baseline:
        return compare(args.model, args.baseline, args.repeats)

    from calcapp.arithmetic.predictor import load_predictor
    from calcapp.nets.registry import find_model

    info = find_model(args.model)
    t0 = time.perf_counter()
    pred = load_predictor(info)
    load_ms = (time.perf_counter() - t0) * 1000
    expr = "123+456" if info.task.covers("123+456") else "1+2"
    for _ in range(20):
        pred.predict([expr])
    one = _median_ms(lambda: pred.predict([expr]), 300)
    print(f"model {info.name} ({info.architecture}, {info.card.get('parameters')} parameters)")
    print(f"load (NumPy, from model.keras): {load_ms:.1f} ms")
    print(f"one expression, NumPy predictor: median {one:.2f} ms")
    if info.card.get("hparams", {}).get("rewrite"):  # passes: the time depends on the expression
        from calcapp.expr.datagen import generate

        sample = [e.model_input for e in generate(info.task, 200, seed=0, split="test")]
        per = [_median_ms(lambda e=e: pred.predict([e]), 5) for e in sample]
        passes = [len(p.steps) for p in pred.predict(sample)]
        print(f"one expression of the task's test split: median {statistics.median(per):.2f} ms "
              f"over {len(sample)} ({statistics.mean(passes):.1f} passes each on average; "
              f"one pass: median {statistics.median([t for t, n in zip(per, passes) if n == 1]):.2f} ms)")

    if not args.no_keras:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import keras

        import calcapp.arithmetic.keras_layer  # noqa: F401
        from calcapp.arithmetic.model.architectures import teacher_forced
        from calcapp.arithmetic.predictor import keras_predict

        model = keras.saving.load_model(info.keras_path, safe_mode=True, compile=False)
        spec = info.task
        for _ in range(5):
            keras_predict(model, [expr], spec=spec)
        kp = _median_ms(lambda: keras_predict(model, [expr], spec=spec), 30)
        print(f"one expression, Keras ops (eager greedy decode): median {kp:.2f} ms")
        if not teacher_forced(info.architecture):
            ids = pred.encode([expr])
            for _ in range(3):
                model.predict(ids, verbose=0)
            print(f"one expression, keras model.predict(): median "
                  f"{_median_ms(lambda: model.predict(ids, verbose=0), 20):.1f} ms")
            print(f"one expression, keras model(x): median {_median_ms(lambda: model(ids), 30):.1f} ms")

    # the model's own test expressions, minus those with a division by zero (the exact
    # answer is an error there, and compute exits with 2 on such a line)
    from calcapp.expr.datagen import generate
    from calcapp.expr.errors import CalcError
    from calcapp.expr.evaluator import evaluate

    lines = []
    for e in generate(info.task, 10500, seed=0, split="test"):
        try:
            evaluate(e.text)
        except CalcError:
            continue
        lines.append(e.text)
    distinct = len(lines)
    lines = (lines * (10000 // distinct + 1))[:10000]  # add3's test split has 9,621
    with tempfile.TemporaryDirectory() as tmp:
        big, small = os.path.join(tmp, "big.txt"), os.path.join(tmp, "one.txt")
        with open(big, "w") as fh:
            fh.write("\n".join(lines) + "\n")
        with open(small, "w") as fh:
            fh.write(lines[0] + "\n")
        big_t, small_t = [], []
        for _ in range(args.repeats):
            t, proc = _cli(["--file", big, "--model", info.name])
            assert proc.returncode == 0, proc.stderr[-500:]
            big_t.append(t)
            small_t.append(_cli(["--file", small, "--model", info.name])[0])
        right = proc.stdout.count("\u2713")
        print(f"10,000 expressions via compute --file: median {statistics.median(big_t):.2f} s "
              f"(1 line: {statistics.median(small_t):.2f} s; adds "
              f"{statistics.median(big_t) - statistics.median(small_t):.2f} s); "
              f"{right} of 10000 neural answers right ({min(distinct, 10000)} distinct test expressions)")
    cold = []
    for _ in range(args.repeats):
        t, proc = _cli(["12+34"])
        cold.append(t)
    print(f"cold 'calcapp compute 12+34': median {statistics.median(cold):.2f} s")
    print("  " + proc.stdout.strip().replace("\n", "\n  "))
    return 0


if __name__ == "__main__":
    sys.exit(main())
