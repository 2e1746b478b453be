"""The trainer runs data-parallel: two logical CPU devices, and two worker processes.

Logical devices and collectives must be configured before TensorFlow initialises, so each
side runs in a fresh interpreter.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from processes import finish, free_ports

SCRIPT = textwrap.dedent("""
    import json, sys
    from calcapp.nets.distribution import make_strategy
    strategy = make_strategy("mirrored", cpu_devices=2)
    from calcapp.expr.tasks import preset
    from calcapp.arithmetic.trainer import TrainConfig, train
    cfg = TrainConfig("dist", preset("add1"), "lstm",
                      {"units": 8, "batch_size": 32, "samples_per_epoch": 320, "epochs": 2,
                       "holdout": 0, "val_size": 100, "test_size": 100})
    result = train(cfg, sys.argv[1], strategy=strategy)
    print(json.dumps({"replicas": strategy.num_replicas_in_sync,
                      "exact": result.metrics["exact_match"], "dir": result.model_dir}))
""")


@pytest.mark.slow
def test_mirrored_strategy_on_two_cpu_devices(tmp_path):
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["replicas"] == 2
    assert (tmp_path / "dist" / "model.keras").is_file()


# -- proof that batches are split and gradients reduced ---------------------------------
# Each side runs in a fresh interpreter: logical CPUs and collectives must be configured
# before TensorFlow touches a device. ``rows`` counts the rows each replica's train step
# sees (traced into the step with a py_function), ``losses`` are the per-batch losses.
PROBE = textwrap.dedent("""
    import json, sys
    from calcapp.nets.distribution import from_name, output_dir, replicas
    strategy = from_name(sys.argv[2])
    import tensorflow as tf
    from keras.src.backend.tensorflow.trainer import TensorFlowTrainer
    rows, orig = [], TensorFlowTrainer.train_step
    def train_step(self, data):
        tf.py_function(lambda n: rows.append(int(n)) or 0, [tf.shape(data[1])[0]], tf.int32)
        return orig(self, data)
    TensorFlowTrainer.train_step = train_step
    from calcapp.expr.tasks import preset
    from calcapp.arithmetic.trainer import TrainConfig, train
    from calcapp.nets.events import TrainingCallback
    losses = []
    class Losses(TrainingCallback):
        def on_batch(self, epoch, step, loss):
            losses.append(loss)
    cfg = TrainConfig("dist", preset("add1"), "tiny-rnn",
                      {"units": 8, "batch_size": 32, "samples_per_epoch": 192, "epochs": 1,
                       "learning_rate": 0.01, "holdout": 0, "val_size": 20, "test_size": 20})
    out = output_dir(strategy, sys.argv[1])
    result = train(cfg, out, callback=Losses(), strategy=strategy)
    print(json.dumps({"replicas": replicas(strategy), "rows": rows, "losses": losses,
                      "dir": result.model_dir}))
""")


def _env(**extra) -> dict:
    root = str(Path(__file__).resolve().parents[1])
    path = os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, "TF_CPP_MIN_LOG_LEVEL": "3", **extra}


def _start(out, name: str, **env) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", PROBE, str(out), name], env=_env(**env),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)




def test_two_cpu_replicas_split_each_batch_and_match_one_device(tmp_path):
    one, two = finish([_start(tmp_path / "one", "none"), _start(tmp_path / "two", "cpu:2")])
    assert one["replicas"] == 1 and two["replicas"] == 2
    assert one["rows"] == [32] * 6  # 192 samples, batch 32: six steps
    assert two["rows"] == [16] * 12  # each step: two replicas of half a batch
    # gradients are reduced to the one-device step: the same seed gives the same losses
    assert two["losses"] == pytest.approx(one["losses"], rel=1e-4)
    assert (tmp_path / "two" / "dist" / "model.keras").is_file()




def test_two_workers_on_localhost_finish_the_same_run(tmp_path):
    workers = [f"127.0.0.1:{p}" for p in free_ports(2)]
    procs = []
    for i in range(2):
        conf = {"cluster": {"worker": workers}, "task": {"type": "worker", "index": i}}
        procs.append(_start(tmp_path / "out", "multiworker", TF_CONFIG=json.dumps(conf)))
    chief, other = finish(procs)
    assert chief["replicas"] == other["replicas"] == 2
    assert chief["rows"] == other["rows"] == [16] * 6  # each worker: half of every batch
    assert chief["losses"] == pytest.approx(other["losses"], rel=1e-5)  # one run, in step
    assert chief["dir"] == str(tmp_path / "out" / "dist")  # only the chief writes there
    assert (tmp_path / "out" / "dist" / "model.keras").is_file()
    assert not other["dir"].startswith(str(tmp_path / "out"))
    shutil.rmtree(Path(other["dir"]).parent, ignore_errors=True)  # the worker's private copy
