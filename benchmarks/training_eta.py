"""How far the Training tab's ETA is from the truth on a real run.

    python benchmarks/training_eta.py record TRACE.json [--task add3 --arch lstm --epochs 5 --samples 2000]
    python benchmarks/training_eta.py replay TRACE.json

``record`` trains with the Training tab's default settings and writes every event's time;
``replay`` feeds them to ``calcapp.ui.training.eta.EtaClock`` and to the old estimate
(time since start / steps done x steps left) and prints each one's largest relative error
against the true time to the end of the last epoch, after epoch 1 and after epoch 2,
at every event while at least one (steady) epoch's time is still to go.
"""

from __future__ import annotations

import argparse
import json
import time


def record(path: str, task: str, arch: str, epochs: int, samples: int) -> None:
    t0 = time.time()
    from calcapp.engine.tf_runtime import init_tensorflow

    init_tensorflow()
    import tempfile

    from calcapp.arithmetic.trainer import TrainConfig, train
    from calcapp.expr.tasks import preset
    from calcapp.nets.events import TrainingCallback

    events = []

    class Recorder(TrainingCallback):
        def on_start(self, info):
            events.append(("started", time.time() - t0, (info["epochs"], info["steps_per_epoch"])))

        def on_batch(self, epoch, step, loss):
            events.append(("batch", time.time() - t0, (step,)))

        def on_epoch(self, report):
            events.append(("epoch", time.time() - t0, (report.epoch,)))

    spec = preset(task)
    hp = {"units": 32, "layers": 1, "samples_per_epoch": samples, "batch_size": 64,
          "learning_rate": 0.005, "epochs": epochs, "seed": 0,
          "holdout": 0.0 if spec.max_digits == 1 else 0.05}
    with tempfile.TemporaryDirectory() as out:
        train(TrainConfig("eta", spec, arch, hp), out, callback=Recorder())
    events.append(("end", time.time() - t0, ()))
    with open(path, "w") as f:
        json.dump(events, f)


def replay(path: str) -> None:
    from calcapp.ui.training.eta import EtaClock

    events = json.load(open(path))
    epochs, steps = events[0][2]
    ends = [e[1] for e in events if e[0] == "epoch"]
    end, per_epoch = ends[-1], (ends[-1] - ends[0]) / max(1, len(ends) - 1)
    for after in (1, 2):
        clock, done, step, new, old = EtaClock(), 0, 0, 0.0, 0.0
        for kind, t, args in events:
            if kind == "started":
                clock.started(t, epochs, steps)
            elif kind == "batch":
                clock.batch(t, *args)
                step = args[0]
            elif kind == "epoch":
                clock.epoch(t, *args)
                done += 1
            # where the ETA matters: at least an epoch's time still to go
            if kind != "end" and done >= after and end - t >= per_epoch:
                true = end - t
                new = max(new, abs(clock.eta(t) - true) / true)
                old = max(old, abs(t / max(1, step) * (epochs * steps - step) - true) / true)
        print(f"after epoch {after}: worst error {100 * new:.0f}% (old estimate {100 * old:.0f}%)")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("what", choices=("record", "replay"))
    p.add_argument("trace")
    p.add_argument("--task", default="add3")
    p.add_argument("--arch", default="lstm")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--samples", type=int, default=2000, help="per epoch (the form's default)")
    a = p.parse_args()
    record(a.trace, a.task, a.arch, a.epochs, a.samples) if a.what == "record" else replay(a.trace)


if __name__ == "__main__":
    main()
