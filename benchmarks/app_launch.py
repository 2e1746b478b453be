"""Launch goals: process start to a visible window, and to the first neural answer.

Run on a display (a real one or Xvfb: ``Xvfb :99 & DISPLAY=:99 python benchmarks/app_launch.py``).
Each run is a fresh ``python`` process, timed from just before it is spawned, that builds
the app exactly as ``calcapp`` does (``make_app`` + ``MainWindow``), types ``12+34`` the
moment the window is up, and reports when the window was exposed and when the first answer
with a network part was drawn. The goal needs a calculator model that covers 12+34 in the
bundled models or in ``CALCAPP_HOME`` (``--home``).

    python benchmarks/app_launch.py --runs 5 [--home DIR] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

CHILD = r"""
import os, sys, time
t0 = float(os.environ["CALCAPP_BENCH_T0"])
from calcapp.ui.app import make_app
app = make_app(["calcapp"])
from calcapp.ui.main_window import MainWindow
from PySide6.QtCore import QTimer
w = MainWindow()
marks = {}
def exposed():
    handle = w.windowHandle()
    if "window" not in marks and handle is not None and handle.isExposed():
        marks["window"] = time.time() - t0
        w.display.edit.setText(os.environ.get("CALCAPP_BENCH_EXPR", "12+34"))
    if "window" not in marks:
        QTimer.singleShot(1, exposed)
def answered(ans):
    if ans.neural is not None and "answer" not in marks:
        marks["answer"] = time.time() - t0
        marks["model"] = ans.model
        marks["tf_loaded_before_answer"] = "tensorflow" in sys.modules
        QTimer.singleShot(0, w.close)
w.answerShown.connect(answered)
w.show()
QTimer.singleShot(0, exposed)
QTimer.singleShot(int(float(os.environ.get("CALCAPP_BENCH_TIMEOUT", "20")) * 1000), w.close)
w.destroyed.connect(app.quit)
app.lastWindowClosed.connect(app.quit)
app.exec()
print("BENCH " + __import__("json").dumps(marks), flush=True)
os._exit(0)
"""


def one_run(env: dict) -> dict:
    env = dict(env)
    # An installed app runs from compiled bytecode (pip compiles it at install time); a
    # shell with PYTHONDONTWRITEBYTECODE=1 would recompile every module on every launch.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.setdefault("PYTHONPYCACHEPREFIX", os.path.join(tempfile.gettempdir(),
                                                       "calcapp-bench-pycache"))
    env["CALCAPP_BENCH_T0"] = repr(time.time())
    out = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True,
                         timeout=120)
    for line in out.stdout.splitlines():
        if line.startswith("BENCH "):
            return json.loads(line[6:])
    raise RuntimeError(f"no result: {out.stdout[-500:]} {out.stderr[-1500:]}")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--home", help="CALCAPP_HOME for the runs (where user models are)")
    p.add_argument("--expr", default="12+34")
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    if not os.environ.get("DISPLAY") and os.environ.get("QT_QPA_PLATFORM") != "offscreen":
        print("needs a display: run under Xvfb (DISPLAY=:99)", file=sys.stderr)
        return 2
    env = dict(os.environ, CALCAPP_BENCH_EXPR=args.expr)
    if args.home:
        env["CALCAPP_HOME"] = args.home
    one_run(env)  # warm the OS file cache and the bytecode cache; not counted
    runs = [one_run(env) for _ in range(args.runs)]
    windows = [r["window"] for r in runs if "window" in r]
    answers = [r["answer"] for r in runs if "answer" in r]
    summary = {
        "runs": runs,
        "window_median_s": statistics.median(windows) if windows else None,
        "answer_median_s": statistics.median(answers) if answers else None,
        "model": next((r.get("model") for r in runs if r.get("model")), None),
    }
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        for i, r in enumerate(runs, 1):
            print(f"run {i}: window {r.get('window', float('nan')):.3f} s, first neural answer "
                  f"{r.get('answer', float('nan')):.3f} s [{r.get('model')}]"
                  f"{' (TF already loaded!)' if r.get('tf_loaded_before_answer') else ''}")
        w, a = summary["window_median_s"], summary["answer_median_s"]
        print(f"median: window {w:.3f} s (goal <= 1.0), first neural answer "
              + (f"{a:.3f} s (goal <= 2.0)" if a is not None else "- (no covering model)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
