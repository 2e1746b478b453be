"""Exact match against wall time: add3's recipe beside the Keras addition example, one run.

    python benchmarks/training_time_to_accuracy.py [--keras-minutes 5] [--out benchmarks/results]
    python benchmarks/training_time_to_accuracy.py --recipes arith3-columns expr-columns \
        --name training-time-to-accuracy-columns

Each recipe trains in a fresh interpreter (so each pays for importing TensorFlow, making
its data and tracing its step), one after the other on the same machine. Every epoch
records the wall seconds since that interpreter started, its CPU seconds, the load
average and the validation exact match; the end records the test exact match of the best
checkpoint. The Keras example is capped (``max_minutes``, stated in the output), since it
needs more than ten minutes here. A columns recipe of a seed task (arith3-columns,
expr-columns) has no epochs: each round of its cell training is a point, whose exact match
is the whole model as it stands on the first ``COLUMNS_VAL`` expressions of the compared
seq2seq recipe's validation split (measuring it is inside the timeline, as a seq2seq
recipe's validation is); the end is its card's test split. Writes ``training-time-to-accuracy.json`` and ``.csv``
and, through pyqtgraph (offscreen), ``training-time-to-accuracy.png`` (against wall
seconds) and ``-cpu.png`` (against CPU seconds); ``--replot`` redraws them from the JSON.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

T0 = time.perf_counter()
ROOT = Path(__file__).resolve().parents[1]
NAME = "training-time-to-accuracy"
COLUMNS_VAL = 1000
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e")


def _cpu() -> float:
    import resource

    me = resource.getrusage(resource.RUSAGE_SELF)
    return me.ru_utime + me.ru_stime


def one(recipe_name: str, minutes: float | None, out_json: str) -> None:
    """Train one recipe here and write its curve (the child's side)."""
    sys.path.insert(0, str(ROOT))
    import keras
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(2)
    tf.config.threading.set_inter_op_parallelism_threads(2)
    from calcapp.arithmetic.recipes import load_recipe

    rows = []
    recipe = load_recipe(recipe_name)
    config = recipe.with_overrides(**({"max_minutes": minutes} if minutes else {}))
    run = _columns_run if config.architecture == "columns" else _seq2seq_run
    metrics = run(config, lambda epoch, exact: rows.append(_point(recipe_name, epoch, exact)))
    end = {**_point(recipe_name, None, None), "test_exact": metrics.get("exact_match"),
           "test_n": metrics.get("n"), "fresh_exact": (metrics.get("fresh") or {}).get("exact_match"),
           "max_minutes": config.hp().get("max_minutes"), "keras": keras.__version__}
    del end["epoch"], end["val_exact"]
    Path(out_json).write_text(json.dumps({"epochs": rows, "end": end}))


def _point(recipe_name: str, epoch, exact) -> dict:
    return {"recipe": recipe_name, "epoch": epoch, "wall_s": round(time.perf_counter() - T0, 2),
            "cpu_s": round(_cpu(), 2), "load1": round(os.getloadavg()[0], 2), "val_exact": exact}


def _seq2seq_run(config, add) -> dict:
    """The seq2seq trainer; ``add(epoch, val_exact)`` every epoch; the test metrics."""
    from calcapp.arithmetic.trainer import train
    from calcapp.nets.events import TrainingCallback

    class Curve(TrainingCallback):
        def on_epoch(self, r):
            add(r.epoch, r.exact_match)

    with tempfile.TemporaryDirectory() as folder:
        return train(config, folder, Curve()).metrics


def _columns_run(config, add) -> dict:
    """The columns trainer; ``add(round, val_exact)`` after every round of any cell (the
    whole model as it stands, its quotients cut as the task's); the card's metrics."""
    from calcapp.arithmetic.columns.cells import CellTables
    from calcapp.arithmetic.columns.predictor import ColumnsPredictor
    from calcapp.arithmetic.columns.task_metrics import compared_recipe, measure, recipe_split
    from calcapp.arithmetic.columns.training import weights_of, write_model
    from calcapp.nets.registry import read_card

    val = recipe_split(compared_recipe(config), "val", COLUMNS_VAL)
    rounds = itertools.count(1)

    def on_round(model):
        pred = ColumnsPredictor(CellTables(weights_of(model)), whole_quotients=True)
        add(next(rounds), measure(pred, val)["exact_match"])

    with tempfile.TemporaryDirectory() as folder:
        return read_card(write_model(config, folder, lambda line: None, on_round))["metrics"]


def _plot(runs: dict, path: Path, axis: str = "wall_s") -> bool:
    """A PNG of the curves through pyqtgraph's exporter (no matplotlib here), against wall
    seconds or (``axis="cpu_s"``) CPU seconds, which a loaded machine does not stretch."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    try:
        import pyqtgraph as pg
        import pyqtgraph.exporters
        from PySide6.QtWidgets import QApplication
    except ImportError:
        return False
    app = QApplication.instance() or QApplication([])
    pg.setConfigOption("background", "w")
    pg.setConfigOption("foreground", "k")
    what = "wall" if axis == "wall_s" else "CPU"
    plot = pg.PlotWidget(title=f"validation exact match against {what} time (2 shared cores)")
    plot.addLegend(offset=(-10, 10))
    plot.setLabel("bottom", f"{what} seconds since the interpreter started")
    plot.setLabel("left", "validation exact match (%)")
    plot.showGrid(x=True, y=True, alpha=0.3)
    for (name, run), colour in zip(runs.items(), COLOURS):
        xs = [0.0] + [r[axis] for r in run["epochs"]]
        ys = [0.0] + [100 * (r["val_exact"] or 0.0) for r in run["epochs"]]
        plot.plot(xs, ys, pen=pg.mkPen(colour, width=2), symbol="o", symbolSize=5,
                  symbolBrush=colour, name=name)
    plot.resize(900, 520)
    plot.show()  # laid out before the export, so the axis title clears the tick labels
    app.processEvents()
    exporter = pg.exporters.ImageExporter(plot.getPlotItem())
    exporter.parameters()["width"] = 900
    exporter.export(str(path))
    return path.is_file()


def _time_to(run: dict, goal: float) -> float | None:
    for r in run["epochs"]:
        if (r["val_exact"] or 0.0) >= goal:
            return r["wall_s"]
    return None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--recipes", nargs="+", default=["add3", "keras-example"])
    ap.add_argument("--keras-minutes", type=float, default=5.0,
                    help="cap on the Keras example's training time (max_minutes)")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    ap.add_argument("--name", default=NAME, help="the output files' name (without suffix)")
    ap.add_argument("--replot", action="store_true", help="only redraw from the JSON in --out")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--minutes", type=float, help=argparse.SUPPRESS)
    ap.add_argument("--json", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        one(args.one, args.minutes, args.json)
        return 0
    if args.replot:
        runs = json.loads((args.out / f"{args.name}.json").read_text())
        _plot(runs, args.out / f"{args.name}.png")
        return 0 if _plot(runs, args.out / f"{args.name}-cpu.png", "cpu_s") else 1
    runs = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.recipes:
            path = Path(tmp) / f"{name}.json"
            cmd = [sys.executable, __file__, "--one", name, "--json", str(path)]
            if name == "keras-example":
                cmd += ["--minutes", str(args.keras_minutes)]
            env = {**os.environ, "PYTHONPATH": str(ROOT), "CALCAPP_HOME": tmp,
                   "TF_CPP_MIN_LOG_LEVEL": "2"}
            subprocess.run(cmd, check=True, env=env, stderr=subprocess.DEVNULL)
            runs[name] = json.loads(path.read_text())
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{args.name}.json").write_text(json.dumps(runs, indent=1))
    with open(args.out / f"{args.name}.csv", "w", newline="") as f:
        w = csv.DictWriter(f, ["recipe", "epoch", "wall_s", "cpu_s", "load1", "val_exact"])
        w.writeheader()
        for run in runs.values():
            w.writerows(run["epochs"])
    plotted = _plot(runs, args.out / f"{args.name}.png") and _plot(runs, args.out / f"{args.name}-cpu.png", "cpu_s")
    print("| recipe | epochs (rounds) | wall s | CPU s | load (1 min, end) | val 97% at | val 99% at "
          "| val 99.9% at | best val | test exact (n) | cap |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, run in runs.items():
        end, eps = run["end"], run["epochs"]
        best = max((r["val_exact"] or 0.0) for r in eps) if eps else 0.0
        at = [_time_to(run, goal) for goal in (0.97, 0.99, 0.999)]
        print(f"| {name} | {len(eps)} | {end['wall_s']:.0f} | {end['cpu_s']:.0f} | {end['load1']} | "
              + " | ".join("-" if t is None else f"{t:.0f} s" for t in at) +
              f" | {100 * best:.2f}% | {100 * (end['test_exact'] or 0):.2f}% ({end['test_n']}) "
              f"| {end['max_minutes'] or '-'} min |")
    print(f"plot: {'written' if plotted else 'not written (no pyqtgraph)'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
