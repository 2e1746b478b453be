"""The trainer runs under a tf.distribute MirroredStrategy over two logical CPU devices.

Logical devices must be configured before TensorFlow initialises, so this runs in a fresh
interpreter.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

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
