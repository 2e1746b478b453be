"""Hostile ink and images: what a reading costs at the caps, and that it ends in a reading or a
message, never a crash. Writes benchmarks/results/hostile.md.

    python benchmarks/hostile_input.py [--other CHECKOUT]

``--other`` runs the same cases against another checkout in the same sitting (before/after).
Each case: the median of 3 reads (a new input each time), or one read where the first took over 5 s.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks/results/hostile.md"


def cases():
    """(name, kind, make) with kind 'ink' or 'image'; ``make()`` builds the input anew (new
    strokes each read: the recognizer remembers the ones it read), from a seed of its own."""
    import numpy as np

    from calcapp.ink.strokes import Point, Stroke
    from calcapp.ink.synth import synth_line

    def scatter(n, w, h, seed, pts=5):
        rng = np.random.default_rng(seed)
        return [Stroke([Point(float(x + rng.normal(0, 3)), float(y + rng.normal(0, 3))) for _ in range(pts)])
                for x, y in zip(rng.uniform(0, w, n), rng.uniform(0, h, n))]

    def checker(n):
        return (np.indices((n, n)).sum(0) % 2).astype(np.float32)

    return [
        ("a written line of 36 symbols (49 strokes), read before", "ink",
         lambda: synth_line("(12+345)\u00d767=" * 3, np.random.default_rng(0))[0]),
        ("1,000 strokes along a line (the stroke cap)", "ink", lambda: scatter(1000, 20000, 100, 1)),
        ("1,000 strokes in a 10-unit square", "ink", lambda: scatter(1000, 10, 10, 2)),
        ("2 strokes reaching +-1e300", "ink",
         lambda: [Stroke([Point(0, 0), Point(1e300, 5)]),
                  Stroke([Point(-1e300, 1e300), Point(3, 3), Point(2e299, -1e300)])]),
        ("noise image 1000 x 1000", "image", lambda: np.random.default_rng(1).random((1000, 1000))),
        ("checkerboard image 1000 x 1000", "image", lambda: checker(1000)),
        ("checkerboard image 2000 x 2000", "image", lambda: checker(2000)),
    ]


def measure() -> list[dict]:
    from calcapp.handwriting.recognizer import load_recognizer

    rec = load_recognizer()
    todo = cases()
    rec.read_strokes(todo[0][2]())  # warm
    rows = []
    for name, kind, make in todo:
        times, result = [], None
        for _ in range(3):
            data = make()
            t = time.perf_counter()
            try:
                r = rec.read_strokes(data) if kind == "ink" else rec.read_image(data)
                result = f"read `{r.expression[:24]}`"
            except Exception as exc:  # what a user would meet: a message, or (a defect) a crash
                result = f"{type(exc).__name__}: {str(exc)[:70]}"
            times.append(time.perf_counter() - t)
            if times[0] > 5:
                break
        rows.append({"case": name, "seconds": sorted(times)[len(times) // 2], "result": result})
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--other", help="another checkout, measured in the same sitting")
    ap.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # one checkout's rows, for --other
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    if args.json:
        print(json.dumps(measure()))
        return 0
    other = None
    if args.other:
        run = subprocess.run([sys.executable, str(Path(args.other) / "benchmarks/hostile_input.py"), "--json"],
                             capture_output=True, text=True, cwd=args.other, check=True)
        other = json.loads(run.stdout.strip().splitlines()[-1])
    mine = measure()
    head = "| case | this checkout: seconds | result |" + (" other checkout: seconds | result |" if other else "")
    lines = ["# Hostile ink and images", "",
             f"`python benchmarks/hostile_input.py{' --other CHECKOUT' if other else ''}` on the shared 2-core "
             "machine; the median of 3 reads (one where the first took over 5 s).", "",
             head, "|---" * (head.count("|") - 1) + "|"]
    for k, row in enumerate(mine):
        cells = f"| {row['case']} | {row['seconds']:.2f} | {row['result']} |"
        if other:
            cells += f" {other[k]['seconds']:.2f} | {other[k]['result']} |"
        lines.append(cells)
    tmp = OUT.with_suffix(".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(OUT)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
