"""What a kill costs a columns recipe: one uninterrupted ``calcapp train --recipe R`` against
the same command killed (SIGKILL) once cell ``--kill-after`` has finished, then
``--resume``d from its checkpoint. Wall and CPU (user + sys of the process, from
``wait4``) of each, the rounds each trained per cell, and both cards' test metrics.

    python benchmarks/columns_resume.py [--recipe arith3-columns] [--kill-after sub]

Writes ``columns-resume.json`` to --out.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(args: list[str], home: str, kill_on: str | None = None) -> dict:
    """One ``python -m calcapp train ...``: wall, CPU, its rounds per cell, its exit; with
    ``kill_on``, SIGKILLed as soon as a line starting with it is printed."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CALCAPP_HOME": home, "TF_CPP_MIN_LOG_LEVEL": "2"}
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "calcapp", "train", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    lines = []
    for line in proc.stdout:
        lines.append(line.rstrip("\n"))
        if kill_on and line.startswith(kill_on):
            proc.send_signal(signal.SIGKILL)
            break
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    rounds = Counter(line.split(":")[0] for line in lines if ": round " in line)
    return {"args": args, "wall_s": round(wall, 1), "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
            "exit": proc.returncode, "rounds": dict(rounds), "last_lines": lines[-3:]}


def card_of(folder: Path) -> dict:
    card = json.loads((folder / "card.json").read_text())
    m = card.get("metrics") or {}
    return {"finished": card["training"].get("finished"), "test_n": m.get("n"),
            "test_exact": m.get("exact_match"), "fresh_exact": (m.get("fresh") or {}).get("exact_match"),
            "cells": {c: {"rounds": r["rounds"], "accuracy": r["accuracy"],
                          "min_confidence": round(r["min_confidence"], 4)}
                      for c, r in card.get("cell_metrics", {}).items()}}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--recipe", default="arith3-columns")
    ap.add_argument("--kill-after", default="sub", help="the last cell done before the kill")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = ap.parse_args()
    from calcapp.arithmetic.columns.cells import CELLS

    done = list(CELLS)[:list(CELLS).index(args.kill_after) + 1]
    with tempfile.TemporaryDirectory() as tmp:
        plain = run(["--recipe", args.recipe, "--out", f"{tmp}/plain"], tmp)
        plain["card"] = card_of(Path(tmp, "plain", args.recipe))
        killed = run(["--recipe", args.recipe, "--out", f"{tmp}/killed"], tmp,
                     kill_on=f"checkpoint: {', '.join(done)} done")
        folder = Path(tmp, "killed", args.recipe)
        killed["card"] = card_of(folder)
        resumed = run(["--recipe", args.recipe, "--out", f"{tmp}/killed", "--resume", str(folder)], tmp)
        resumed["card"] = card_of(folder)
    out = {"recipe": args.recipe, "kill_after": args.kill_after, "plain": plain,
           "killed": killed, "resumed": resumed,
           "killed_plus_resumed": {"wall_s": round(killed["wall_s"] + resumed["wall_s"], 1),
                                   "cpu_s": round(killed["cpu_s"] + resumed["cpu_s"], 1)},
           "load_after": round(os.getloadavg()[0], 2)}
    print(json.dumps(out, indent=1))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "columns-resume.json").write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
