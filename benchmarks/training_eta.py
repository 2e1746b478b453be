"""How far the Training tab's ETA is from the truth on a real run.

    python benchmarks/training_eta.py record TRACE.json [--task add3 --arch lstm --epochs 5
                                                         --samples 2000 | --recipe add3]
    python benchmarks/training_eta.py replay TRACE.json [TRACE.json ...]

``record`` trains with the Training tab's default settings (or a recipe's, its early stop
off so that every epoch runs) and writes every event's time, what each part of an epoch
cost and the load average (``eta_trace``: a few KB). ``replay`` feeds each trace to
``calcapp.ui.training.eta.EtaClock``, to the estimate before it (``eta_before``) and to
the first one (time since start / steps done x steps left) and prints each one's largest
relative error against the true time to the end of the last epoch, after epoch 1 and
after epoch 2, at every event while at least one (steady) epoch's time is still to go.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import eta_trace  # noqa: E402

from calcapp.ui.training.eta import EtaClock  # noqa: E402


def _probe(phases: list, t0: float, epoch: list):
    """Wrap the trainer's parts so that each call's time lands in ``phases``."""
    import keras

    import calcapp.arithmetic.trainer as T

    def timed(name, fn):
        def wrapper(*args, **kwargs):
            start, cpu = time.time(), time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                phases.append([name, epoch[0], round(1000 * (start - t0)),
                               round(1000 * (time.time() - start)),
                               round(1000 * (time.process_time() - cpu))])
        return wrapper

    for name, attr in (("data", "_epoch_data"), ("warm", "_warm_validation"),
                       ("decode", "greedy_texts"), ("score", "score"),
                       ("save", "save_model_folder"), ("fit", "train_epoch"),
                       ("evaluate", "validation_loss")):
        setattr(T, attr, timed(name, getattr(T, attr)))
    keras.Model.evaluate = timed("evaluate", keras.Model.evaluate)
    keras.Model.fit = timed("fit", keras.Model.fit)
    started = {}

    def on_gc(phase, info):
        if phase == "start":
            started["t"] = time.time()
        elif "t" in started and (info["generation"] == 2 or time.time() - started["t"] > 0.005):
            phases.append([f"gc{info['generation']}", epoch[0],
                           round(1000 * (started["t"] - t0)),
                           round(1000 * (time.time() - started["t"]))])

    gc.callbacks.append(on_gc)


def _config(a):
    from calcapp.arithmetic.recipes import load_recipe
    from calcapp.arithmetic.trainer import TrainConfig
    from calcapp.expr.tasks import preset

    if a.recipe:
        config = load_recipe(a.recipe).config
        hp = {**config.hparams, "target_exact": None, "max_minutes": None}
        if a.epochs:
            hp["epochs"] = a.epochs
        return TrainConfig("eta", config.task, config.architecture, hp)
    spec = preset(a.task)
    hp = {"units": 32, "layers": 1, "samples_per_epoch": a.samples, "batch_size": a.batch,
          "learning_rate": 0.005, "epochs": a.epochs or 5, "seed": 0,
          "holdout": 0.0 if spec.max_digits == 1 else 0.05}
    return TrainConfig("eta", spec, a.arch, hp)


def record(path: str, a) -> None:
    t0, cpu0, load0 = time.time(), time.process_time(), os.getloadavg()
    from calcapp.engine.tf_runtime import init_tensorflow

    init_tensorflow()
    import tempfile

    from calcapp.arithmetic.trainer import train
    from calcapp.nets.events import TrainingCallback

    events, phases, cpu, epoch, reported = [], [], [], [1], []
    _probe(phases, t0, epoch)

    class Recorder(TrainingCallback):
        def on_start(self, info):
            events.append(("started", time.time() - t0, (info["epochs"], info["steps_per_epoch"])))

        def on_batch(self, epoch_, step, loss):
            events.append(("batch", time.time() - t0, (step,)))

        def on_epoch(self, report):
            events.append(("epoch", time.time() - t0, (report.epoch,)))
            extra = report.extra or {}
            if "validation_s" in extra and "data_s" in extra:
                reported.append((extra["validation_s"], extra["data_s"]))
            cpu.append(round(1000 * (time.process_time() - cpu0)))
            epoch[0] = report.epoch + 1

    config = _config(a)
    with tempfile.TemporaryDirectory() as out:
        train(config, out, callback=Recorder())
    events.append(("end", time.time() - t0, ()))
    meta = {"config": config.to_dict(), "recorded": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "load_before": [round(x, 2) for x in load0],
            "load_after": [round(x, 2) for x in os.getloadavg()],
            "wall_s": round(time.time() - t0, 1), "cpu_s": round(time.process_time() - cpu0, 1)}
    eta_trace.save(path, eta_trace.from_events(events, meta, phases, cpu, reported))


def thinned(events: list, interval: float = 0.05) -> list:
    """The events as the tab gets them: batch events at most one per ``interval``
    (``calcapp.engine.protocol``), started and epoch events all."""
    out, last = [], float("-inf")
    for kind, t, args in events:
        if kind == "batch":
            if t - last < interval:
                continue
            last = t
        out.append([kind, t, args])
    return out


def _drive(clock, events, after: int, true_end: float, per_epoch: float):
    """The largest relative error of ``clock`` (None: the first estimate) after epoch ``after``."""
    epochs, steps = events[0][2]
    done, step, worst = 0, 0, 0.0
    for kind, t, args in events:
        if clock is not None and kind in ("started", "batch", "epoch"):
            if kind == "epoch" and not isinstance(clock, EtaClock):
                args = args[:1]  # (the estimate before this round took no reported times)
            getattr(clock, kind)(t, *([epochs, steps] if kind == "started" else args))
        step = args[0] if kind == "batch" else step
        done += kind == "epoch"
        # where the ETA matters: at least an epoch's time still to go
        if kind != "end" and done >= after and true_end - t >= per_epoch:
            eta = clock.eta(t) if clock is not None else t / max(1, step) * (epochs * steps - step)
            worst = max(worst, abs(eta - (true_end - t)) / (true_end - t))
    return worst


def epoch_seconds(events: list) -> list[float]:
    out, mark = [], events[0][1]
    for kind, t, _ in events:
        if kind == "epoch":
            out.append(t - mark)
            mark = t
    return out


def row(path: str, errors: dict) -> str:
    """A markdown table row: trace, load, epochs' seconds and their spread, the errors."""
    trace = eta_trace.load(path)
    meta = trace.get("meta", {}) if isinstance(trace, dict) else {}
    load = " → ".join(str(meta[k][0]) for k in ("load_before", "load_after") if k in meta)
    secs = epoch_seconds(eta_trace.to_events(trace))
    later = sorted(secs[1:])
    spread = f"{later[0]:.1f}-{later[-1]:.1f} (max/min {later[-1] / later[0]:.2f})"
    pct = lambda x: f"{100 * x:.0f}%"  # noqa: E731
    return (f"| `{Path(path).name}` | {load or '-'} | {', '.join(f'{x:.1f}' for x in secs)} "
            f"| {spread} | {pct(errors[1][1])} / **{pct(errors[1][0])}** "
            f"| {pct(errors[2][1])} / **{pct(errors[2][0])}** |")


def replay(path: str, markdown: bool = False) -> dict:
    """{after: (new, before, first)} worst errors, and prints them."""
    import eta_before

    events = thinned(eta_trace.to_events(eta_trace.load(path)))
    ends = [e[1] for e in events if e[0] == "epoch"]
    end, per_epoch = ends[-1], (ends[-1] - ends[0]) / max(1, len(ends) - 1)
    out = {}
    for after in (1, 2):
        out[after] = (_drive(EtaClock(), events, after, end, per_epoch),
                      _drive(eta_before.EtaClock(), events, after, end, per_epoch),
                      _drive(None, events, after, end, per_epoch))
        new, before, first = (f"{100 * x:.0f}%" for x in out[after])
        if not markdown:
            print(f"{Path(path).name}: after epoch {after}: worst error {new} "
                  f"(before this round {before}, first estimate {first})")
    if markdown:
        print(row(path, out))
    return out


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("what", choices=("record", "replay"))
    p.add_argument("trace", nargs="+", help="(record: one; a run in a fresh process)")
    p.add_argument("--task", default="add3")
    p.add_argument("--arch", default="lstm")
    p.add_argument("--epochs", type=int, default=None, help="5, or the recipe's")
    p.add_argument("--samples", type=int, default=2000, help="per epoch (the form's default)")
    p.add_argument("--batch", type=int, default=64, help="(the form's default)")
    p.add_argument("--recipe", default=None, help="a recipe's settings (early stop off)")
    p.add_argument("--markdown", action="store_true", help="replay: one table row a trace")
    a = p.parse_args()
    if a.what == "record" and len(a.trace) != 1:
        p.error("record writes one trace (each run in a fresh process, as the tab's are)")
    for path in a.trace:
        record(path, a) if a.what == "record" else replay(path, a.markdown)


if __name__ == "__main__":
    main()
