"""Do the Training tab's defaults work for a first-timer? (issue 18: 100% on their task in
about a minute on the development machine).

Builds the config exactly as a fresh Training tab would (``SetupForm().config()``, offscreen)
and trains it with the real trainer in this process, then prints the wall and CPU time
(user+sys; TensorFlow's import included: ``train`` imports it), the load average and the
test exact match. ``--set key=value`` overrides a hyperparameter, to compare candidates.

    python benchmarks/training_defaults.py
    python benchmarks/training_defaults.py --architecture lstm --set learning_rate=0.01
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--architecture", help="instead of the form's default")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = ap.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("CALCAPP_HOME", tempfile.mkdtemp(prefix="calcapp-defaults-"))
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])  # noqa: F841 (the form needs one)
    from calcapp.arithmetic.trainer import TrainConfig, train
    from calcapp.ui.training.form import SetupForm

    form = SetupForm()
    config = form.config()
    hp = dict(config.hparams)
    for item in args.set:
        key, _, value = item.partition("=")
        hp[key] = json.loads(value)
    config = TrainConfig(config.name, config.task, args.architecture or config.architecture, hp)
    t0, cpu0 = time.perf_counter(), time.process_time()
    result = train(config, tempfile.mkdtemp(prefix="calcapp-defaults-out-"))
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    card = result.card or {}
    print(json.dumps({
        "task": config.task.name, "architecture": config.architecture, "hparams": hp,
        "wall_s": round(wall, 1), "cpu_s": round(cpu, 1),  # user+sys, all threads
        "load_average": [round(x, 1) for x in os.getloadavg()], "epochs_done": card.get("training", {}).get("epochs_done"),
        "test_exact_match": result.metrics.get("exact_match"), "test_n": result.metrics.get("n"),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
