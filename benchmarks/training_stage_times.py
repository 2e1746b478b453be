"""What each stage of a staged recipe costs an epoch here, and the whole recipe's estimate.

    python benchmarks/training_stage_times.py arith3 expr [--steps 40]

A full arith3 or expr run takes hours on 2 cores, so this times the pieces of one epoch
of every stage instead: making the epoch's data (a tenth of it, times ten), a training
step (``--steps`` steady steps after the first, which traces), and one validation pass.
An epoch = data + steps an epoch x step time + validation; a stage = its epochs (or its
``max_minutes`` of training, plus its validations) x that. The CPU estimate uses CPU
seconds for the steps and validations (what a run alone on the machine would pay at one
core's worth). Stages are timed from fresh weights (a warm start changes the values, not
the cost).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def stage_cost(config, steps: int) -> dict:
    """Seconds: data for an epoch, a steady step, a validation; and the stage's estimate."""
    import calcapp.arithmetic.keras_layer as L
    from calcapp.arithmetic import data as D
    from calcapp.arithmetic import trainer as T

    hp = {**config.hp(), "init_from": None}
    n, batch = int(hp["samples_per_epoch"]), int(hp["batch_size"])
    t = time.perf_counter()
    tenth = T._epoch_examples(config.task, {**hp, "samples_per_epoch": max(batch, n // 10)}, 0)
    data_s = (time.perf_counter() - t) * n / len(tenth)
    cfg = D.model_cfg(config.task, config.architecture, hp)
    model = L.build_model(cfg)
    T._compile(model, hp)
    x, y = T.arrays(config.task, cfg, tenth[:batch * (steps + 1)])
    t = time.perf_counter()
    model.fit(_rows(x, batch), y[:batch], batch_size=batch, epochs=1, verbose=0)  # traces
    trace_s = time.perf_counter() - t
    t, c = time.perf_counter(), time.process_time()
    model.fit(x, y, batch_size=batch, epochs=1, verbose=0, shuffle=False)
    step_s = (time.perf_counter() - t) / -(-len(y) // batch)
    step_cpu = (time.process_time() - c) / -(-len(y) // batch)
    val = T._fixed_split(config.task, hp, "val", int(hp["val_size"]), hp["train_max_digits"])
    val_x, val_y = T.arrays(config.task, cfg, list(T._step_pairs(val, 0)) if cfg.get("rewrite") else val)
    T._warm_validation(model, config.task, val, val_x, val_y)
    t, c = time.perf_counter(), time.process_time()
    T._validate(model, config.task, val, val_x, val_y, __import__("random").Random(0))
    val_s, val_cpu = time.perf_counter() - t, time.process_time() - c
    steps_per_epoch = -(-n // batch)
    epoch_s = data_s + steps_per_epoch * step_s + val_s
    epochs = int(hp["epochs"])
    train_s = epochs * steps_per_epoch * step_s
    if hp.get("max_minutes"):  # the stage stops after this much training (not validation)
        capped = min(epochs, int(60 * float(hp["max_minutes"]) // (steps_per_epoch * step_s)) + 1)
        epochs = capped
    return {"stage": config.name, "epochs": epochs, "steps_per_epoch": steps_per_epoch,
            "data_s": data_s, "trace_s": trace_s, "step_ms": 1000 * step_s, "val_s": val_s,
            "step_cpu_ms": 1000 * step_cpu, "val_cpu_s": val_cpu,
            "cpu_stage_s": epochs * (data_s + steps_per_epoch * step_cpu + val_cpu),
            "epoch_s": epoch_s, "stage_s": epochs * epoch_s, "uncapped_train_s": train_s}


def _rows(x, k):
    return tuple(a[:k] for a in x) if isinstance(x, tuple) else x[:k]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("recipes", nargs="+")
    ap.add_argument("--steps", type=int, default=40)
    args = ap.parse_args()
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(2)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    from calcapp.arithmetic import curriculum
    from calcapp.arithmetic.recipes import load_recipe

    print("| recipe | stage | epochs | steps/epoch | data s | trace s | step ms (CPU ms) "
          "| validation s (CPU s) | epoch s | stage: wall estimate | stage: CPU estimate | load |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name in args.recipes:
        total = cpu_total = 0.0
        for stage in curriculum.plan(load_recipe(name)):
            cfg = replace(stage.config, stage=None)
            c = stage_cost(cfg, args.steps)
            total, cpu_total = total + c["stage_s"], cpu_total + c["cpu_stage_s"]
            print(f"| {name} | {c['stage']} | {c['epochs']} | {c['steps_per_epoch']} "
                  f"| {c['data_s']:.1f} | {c['trace_s']:.1f} | {c['step_ms']:.0f} ({c['step_cpu_ms']:.0f}) "
                  f"| {c['val_s']:.1f} ({c['val_cpu_s']:.1f}) | {c['epoch_s']:.0f} "
                  f"| {c['stage_s'] / 60:.0f} min | {c['cpu_stage_s'] / 60:.0f} min "
                  f"| {os.getloadavg()[0]:.1f} |", flush=True)
        print(f"| {name} | **all stages** | | | | | | | | **{total / 3600:.1f} h** "
              f"| **{cpu_total / 3600:.1f} h** | |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
