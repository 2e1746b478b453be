"""Inference speed of the calculator models: the figures behind the issue's speed goals.

- one expression through the NumPy predictor, median after warm-up (goal <= 2 ms), beside
  Keras ``model(x)`` and ``model.predict(x)`` on the same model for comparison;
- 10,000 of the model's test expressions through ``calcapp compute --file`` minus a 1-line
  file (goal <= 2 s);
- a cold ``calcapp compute "12+34"`` in a fresh process (goal <= 2 s).
Medians, because the machine is shared and noisy.

    python benchmarks/calculator_speed.py [--model add3] [--repeats 5] [--no-keras]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time


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


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="add3")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--no-keras", action="store_true")
    args = ap.parse_args()

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
