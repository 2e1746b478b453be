"""Data parallel under JAX (``keras.distribution.DataParallel``): two logical CPU devices
in one process, and two processes on localhost joined by ``keras.distribution.initialize``.

Skipped where JAX is not installed (as in CI, which has TensorFlow only); run with a JAX
environment: ``pip install "jax[cpu]"`` then pytest this file. Each side runs in a fresh
interpreter, since devices and the distribution must be set before JAX starts.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from processes import finish, free_ports

pytestmark = pytest.mark.skipif(importlib.util.find_spec("jax") is None,
                                reason="JAX is not installed")

# ``rows``: for each batch fed to a train step, the rows on each of this process's devices
# then the global batch's rows (read off the sharded arrays Keras builds).
PROBE = textwrap.dedent("""
    import json, sys
    from calcapp.nets.distribution import from_name, output_dir, replicas
    strategy = from_name(sys.argv[2])
    from keras.src.backend.jax import trainer as jax_trainer
    rows, original, fitting = [], jax_trainer._distribute_data, []
    def spy(data, layouts=None):
        out = original(data, layouts)
        y = out[1]
        if fitting and hasattr(y, "addressable_shards"):
            rows.append([int(s.data.shape[0]) for s in y.addressable_shards] + [int(y.shape[0])])
        return out
    jax_trainer._distribute_data = spy
    from calcapp.expr.tasks import preset
    from calcapp.arithmetic.trainer import TrainConfig, train
    from calcapp.nets.events import TrainingCallback
    losses = []
    class Losses(TrainingCallback):
        def on_start(self, info):  # after the validation warm-up: count training batches
            fitting.append(True)
        def on_batch(self, epoch, step, loss):
            losses.append(loss)
    cfg = TrainConfig("dist", preset("add1"), "tiny-rnn",
                      {"units": 8, "batch_size": 32, "samples_per_epoch": 192, "epochs": 1,
                       "learning_rate": 0.01, "holdout": 0, "val_size": 20, "test_size": 20})
    result = train(cfg, output_dir(strategy, sys.argv[1]), callback=Losses(), strategy=strategy)
    print(json.dumps({"replicas": replicas(strategy), "rows": rows[:6], "losses": losses,
                      "dir": str(result.model_dir)}))
""")


def _start(out, name: str, **env) -> subprocess.Popen:
    root = str(Path(__file__).resolve().parents[1])
    path = os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path, "KERAS_BACKEND": "jax",
           "TF_CPP_MIN_LOG_LEVEL": "3", **env}
    return subprocess.Popen([sys.executable, "-c", PROBE, str(out), name], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)




@pytest.mark.slow
def test_two_jax_devices_split_each_batch_and_match_one_device(tmp_path):
    two_cpus = {"XLA_FLAGS": "--xla_force_host_platform_device_count=2"}
    one, two = finish([_start(tmp_path / "one", "none", **two_cpus),
                        _start(tmp_path / "two", "jax-data-parallel", **two_cpus)], timeout=300)
    assert one["replicas"] == 1 and two["replicas"] == 2
    assert two["rows"] == [[16, 16, 32]] * 6  # each batch: half on each device
    assert two["losses"] == pytest.approx(one["losses"], rel=1e-4)  # gradients reduced
    assert (tmp_path / "two" / "dist" / "model.keras").is_file()




@pytest.mark.slow
def test_two_jax_processes_on_localhost_finish_the_same_run(tmp_path):
    addresses = ",".join(f"127.0.0.1:{p}" for p in free_ports(2))
    procs = [_start(tmp_path / "out", "jax-data-parallel",
                    KERAS_DISTRIBUTION_JOB_ADDRESSES=addresses,
                    KERAS_DISTRIBUTION_NUM_PROCESSES="2", KERAS_DISTRIBUTION_PROCESS_ID=str(i))
             for i in range(2)]
    first, second = finish(procs, timeout=300)
    assert first["replicas"] == second["replicas"] == 2  # one device per host, one mesh
    assert first["rows"] == second["rows"] == [[16, 32]] * 6  # each host feeds half a batch
    assert first["losses"] == pytest.approx(second["losses"], rel=1e-6)  # one run, in step
    assert first["dir"] == str(tmp_path / "out" / "dist")  # only process 0 writes there
    assert (tmp_path / "out" / "dist" / "model.keras").is_file()
    assert not second["dir"].startswith(str(tmp_path / "out"))
    shutil.rmtree(Path(second["dir"]).parent, ignore_errors=True)
