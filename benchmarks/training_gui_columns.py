"""The general recipe (digit cells, ``columns``) trained from the Training tab of the real
window, against ``calcapp train --recipe general`` (issue 22): wall time, CPU time (the
window's process and its training child) and the load average, plus screenshots of the
tab before, during and after the run.

    Xvfb :99 -screen 0 1280x900x24 &
    DISPLAY=:99 PYTHONPATH=. python benchmarks/training_gui_columns.py [--cli] [--shots DIR]

Runs in a fresh ``CALCAPP_HOME`` (a temp folder), so the trained model and the runs
database go there, not to the user's. ``--cli`` also times the CLI on the same recipe.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _cpu_children() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_tab(shots: Path | None, size=(1280, 860)) -> dict:
    """Pick the general recipe in the Training tab, press Start, wait for the end."""
    from PySide6.QtCore import QEventLoop, QTimer

    from calcapp.ui.app import make_app
    from calcapp.ui.main_window import MainWindow

    app = make_app(["calcapp"])
    window = MainWindow(start_tf=False)
    window.resize(*size)
    window.show()
    window.tabs.setCurrentIndex(1)
    app.processEvents()
    panel = window.panel("Training")
    panel.form.recipe.setCurrentText("general")
    app.processEvents()
    state = {"shots": [], "cells": set()}

    def shot(name: str) -> None:
        if shots is not None:
            shots.mkdir(parents=True, exist_ok=True)
            path = shots / f"{name}.png"
            window.grab().save(str(path), "PNG")
            state["shots"].append(str(path))

    shot("training-columns-setup")
    done = {}
    window.manager.training_finished.connect(lambda rid, res: done.setdefault("result", res))
    window.manager.training_failed.connect(lambda rid, msg: done.setdefault("failed", msg))

    def watch():  # one screenshot when each cell is at work (after its first round)
        live = panel.live.get(panel.current or "")
        if live is not None and live.last_round:
            cell = live.last_round.get("cell")
            if cell not in state["cells"] and not live.last_round.get("cell_done"):
                state["cells"].add(cell)
                shot(f"training-columns-{cell}")

    timer = QTimer()
    timer.timeout.connect(watch)
    timer.start(500)
    load0, cpu0, cpuc0 = os.getloadavg()[0], time.process_time(), _cpu_children()
    t0 = time.perf_counter()
    loop = QEventLoop()
    window.manager.training_finished.connect(lambda *a: loop.quit())
    window.manager.training_failed.connect(lambda *a: loop.quit())
    run_id = panel.start()
    if not done:
        loop.exec()
    wall = time.perf_counter() - t0
    for _ in range(20):  # the last signals and a redraw
        app.processEvents()
        time.sleep(0.05)
    shot("training-columns-end")
    timer.stop()
    window.manager.shutdown(wait=True)
    result = done.get("result")
    return {"route": "Training tab", "run_id": run_id, "wall_s": round(wall, 1),
            "cpu_window_s": round(time.process_time() - cpu0, 1),
            "cpu_child_s": round(_cpu_children() - cpuc0, 1),
            "load_start": round(load0, 1), "load_end": round(os.getloadavg()[0], 1),
            "exact_match": getattr(result, "metrics", {}).get("exact_match"),
            "rounds": getattr(result, "best_epoch", None), "failed": done.get("failed"),
            "status": panel.status.text(), "shots": state["shots"]}


def run_cli() -> dict:
    out = tempfile.mkdtemp(prefix="cli-general-")
    load0, cpuc0 = os.getloadavg()[0], _cpu_children()
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "calcapp", "train", "--recipe", "general",
                           "--out", out], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    tail = [line for line in proc.stdout.splitlines() if line.strip()][-3:]
    return {"route": "CLI", "wall_s": round(wall, 1), "cpu_child_s": round(_cpu_children() - cpuc0, 1),
            "load_start": round(load0, 1), "load_end": round(os.getloadavg()[0], 1),
            "rc": proc.returncode, "tail": tail}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cli", action="store_true", help="also time calcapp train --recipe general")
    p.add_argument("--shots", type=Path, help="save screenshots of the tab here")
    args = p.parse_args(argv)
    os.environ.setdefault("CALCAPP_HOME", tempfile.mkdtemp(prefix="calcapp-home-"))
    print(run_tab(args.shots), flush=True)
    if args.cli:
        print(run_cli(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
