"""Issue 20's benchmark: what people type, answered by the networks, Auto choosing.

Prints markdown for benchmarks/results/general.md: per kind of input, the share the
network answered and got right (the exact answer for every model: integers exactly, others
as the display shows them, NaN on /0), today's models alone beside them (the same run, the general model left
out of the pool); the length curve; the speed of one everyday expression and of the
3,000-line mix through ``calcapp compute --file`` (this checkout and, when given, another).

    PYTHONPATH=. python benchmarks/people_mix.py [--per-kind 600] [--other /work/main]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from calcapp.arithmetic.answering import answer_many
from calcapp.arithmetic.columns.mix import _int, people_mix
from calcapp.expr.parser import parse
from calcapp.expr.tasks import same_answer, task_answer
from calcapp.nets.registry import find_model, list_models

SEED = "people-mix-benchmark"  # not the card's test seed, and no cell ever saw an expression


def mix_table(per_kind: int) -> list[str]:
    lines = people_mix(per_kind, SEED)
    texts = [t for _, t in lines]
    pools = {"with general (Auto)": list_models(),
             "today's models (Auto)": [m for m in list_models() if m.name != "general"]}
    results = {name: answer_many(texts, models=pool) for name, pool in pools.items()}
    exact = [task_answer(parse(t), exact=True) for t in texts]  # "right" is this, for every model

    def right(a, i):
        return a.neural is not None and same_answer(a.neural, exact[i])

    out = ["| kind of input | n | " + " | ".join(f"{p}: answered / right / general chosen"
                                                 for p in pools) + " |",
           "|---|---|" + "---|" * len(pools)]
    kinds = list(dict.fromkeys(k for k, _ in lines)) + ["all"]
    for kind in kinds:
        idx = [i for i, (k, _) in enumerate(lines) if kind in ("all", k)]
        cells = []
        for name in pools:
            ans = [results[name][i] for i in idx]
            answered = sum(a.neural is not None for a in ans) / len(ans)
            share = sum(right(results[name][i], i) for i in idx) / len(ans)
            chosen = sum(a.model == "general" for a in ans) / len(ans)
            cells.append(f"{100 * answered:.2f}% / {100 * share:.2f}% / {100 * chosen:.1f}%")
        out.append(f"| {kind} | {len(idx)} | " + " | ".join(cells) + " |")
    wrong = [a for i, a in enumerate(results["with general (Auto)"]) if not right(a, i)][:10]
    out += ["", "Not right (first 10): " + (", ".join(f"`{a.input}` -> {a.neural} (exact {a.exact}; "
                                                       f"{a.outside or a.model})" for a in wrong) or "none")]
    return out, texts


def _pairs(rng, n, da, db, op):
    return [f"{_int(rng, da, da)}{op}{_int(rng, db, db)}" for _ in range(n)]


def length_curve(n: int) -> list[str]:
    info = find_model("general")
    rng = random.Random(f"{SEED}:length")
    rows = [("+", d, d) for d in (5, 10, 20, 30, 50, 75, 100)] + [("-", 30, 30)] + \
           [("*", d, d) for d in (5, 10, 12, 20, 30)] + [("/", 24, 12)]
    out = ["| operation | digits | n | right | ms per input |", "|---|---|---|---|---|"]
    for op, da, db in rows:
        texts = _pairs(rng, n, da, db, op)
        start = time.perf_counter()
        ans = answer_many(texts, model=info)
        ms = 1000 * (time.perf_counter() - start) / n
        right = sum(a.match is True for a in ans) / n
        out.append(f"| {op} | {da} {op} {db} | {n} | {100 * right:.2f}% | {ms:.2f} |")
    return out


def speed_everyday() -> list[str]:
    info = find_model("general")
    rng = random.Random(f"{SEED}:speed")
    texts = [f"{_int(rng, 1, 3)}{rng.choice('+-*/')}{_int(rng, 1, 3)}" for _ in range(300)]
    answer_many(texts[:20])  # warm-up: the model loaded, its tables built
    times = []
    for t in texts:
        start = time.perf_counter()
        answer_many([t])
        times.append(1000 * (time.perf_counter() - start))
    times.sort()
    return [f"- one everyday expression through `answer_many` (Auto, {info.name}), after warm-up: "
            f"median {statistics.median(times):.3f} ms, 90th percentile {times[int(0.9 * len(times))]:.3f} ms"]


def compute_file(texts: list[str], other: str | None, runs: int = 3) -> list[str]:
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "mix.txt"
        path.write_text("\n".join(texts) + "\n", encoding="utf-8")
        roots = [("this checkout", Path.cwd())] + ([("other", Path(other))] if other else [])
        for label, root in roots:
            env = {**os.environ, "PYTHONPATH": str(root), "CALCAPP_HOME": tmp}
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                subprocess.run([sys.executable, "-m", "calcapp", "compute", "--file", str(path)],
                               cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                times.append(time.perf_counter() - start)
            out.append(f"- `calcapp compute --file` on the {len(texts):,}-line mix, {label} ({root}): "
                       f"median {statistics.median(times):.2f} s of {runs} runs "
                       f"({', '.join(f'{t:.2f}' for t in times)})")
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-kind", type=int, default=600)
    ap.add_argument("--length-n", type=int, default=200)
    ap.add_argument("--other", help="another checkout to time side by side (today's main)")
    args = ap.parse_args()
    table, texts = mix_table(args.per_kind)
    print("## The mix\n")
    print("\n".join(table))
    print("\n## Length\n")
    print("\n".join(length_curve(args.length_n)))
    print("\n## Speed\n")
    print("\n".join(speed_everyday() + compute_file(texts, args.other)))


if __name__ == "__main__":
    main()
