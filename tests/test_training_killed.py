"""A training killed with SIGKILL (here a data-parallel one, on 2 logical CPUs) leaves its
best checkpoint loadable and the runs database intact, and ``--resume`` continues from it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

from processes import assert_runs_database_intact, python, runs_writer, wait_for

RECIPE = {"name": "killed", "task": "add1", "architecture": "tiny-rnn",
          "hparams": {"units": 8, "batch_size": 32, "samples_per_epoch": 192, "epochs": 500,
                      "learning_rate": 0.01, "holdout": 0, "val_size": 20, "test_size": 20}}

WRITER = runs_writer('killed')



def test_sigkill_keeps_the_checkpoint_and_the_runs_database(tmp_path):
    recipe = tmp_path / "killed.json"
    recipe.write_text(json.dumps(RECIPE))
    db = tmp_path / "runs.sqlite"
    writer = python("-c", WRITER, str(db))
    training = python("-m", "calcapp", "train", "--recipe", str(recipe), "--out",
                      str(tmp_path / "out"), "--distribute", "cpu:2")
    try:
        wait_for(writer, "ready")
        wait_for(training, "epoch 2/500")  # two checkpoints written: now kill mid-run
    finally:
        for proc in (training, writer):
            proc.send_signal(signal.SIGKILL)
            proc.wait()

    from calcapp.arithmetic.predictor import load_predictor
    from calcapp.nets.registry import load_info, read_card

    folder = tmp_path / "out" / "killed"
    done = read_card(folder)["training"]["epochs_done"]
    assert done >= 1  # the best so far (saved only when validation improves)
    assert len(load_predictor(load_info(folder)).predict(["1+2", "3+4"])) == 2  # it loads, runs
    assert_runs_database_intact(db)

    resumed = subprocess.run(
        [sys.executable, "-m", "calcapp", "train", "--recipe", str(recipe), "--out",
         str(tmp_path / "again"), "--resume", str(folder), "--epochs", str(done + 1)],
        capture_output=True, text=True, env=dict(os.environ), timeout=240)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert f"epoch {done + 1}/{done + 1}" in resumed.stdout
    assert read_card(tmp_path / "again" / "killed")["training"]["epochs_done"] == done + 1
