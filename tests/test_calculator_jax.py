"""The model code is written in keras.ops, so it must also train under the JAX backend
(the GPU machine has JAX, not TensorFlow). Skipped where JAX is not installed, as in CI;
run it with a JAX environment: ``pip install "jax[cpu]"`` then pytest this file."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

TRAIN = """
import sys
from pathlib import Path
from calcapp.expr.tasks import preset
from calcapp.arithmetic.trainer import TrainConfig, train
hp = {"units": 16, "heads": 1, "places": 2, "batch_size": 16, "learning_rate": 0.01, "holdout": 0,
      "samples_per_epoch": 800, "epochs": 1, "val_size": 50, "test_size": 100, "seed": 1}
train(TrainConfig("jax-add1", preset("add1").with_(reverse_output=True), "attention", hp), Path(sys.argv[1]))
"""


@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="JAX is not installed")
def test_trains_under_jax_and_the_numpy_path_reads_the_result(tmp_path):
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "KERAS_BACKEND": "jax", "PYTHONPATH": path}
    subprocess.run([sys.executable, "-c", TRAIN, str(tmp_path)], env=env, check=True, cwd=ROOT,
                   capture_output=True, timeout=300)
    card = json.loads((tmp_path / "jax-add1" / "card.json").read_text())
    assert card["versions"]["backend"] == "jax"
    from calcapp.arithmetic.predictor import load_predictor
    from calcapp.nets.registry import load_info

    info = load_info(tmp_path / "jax-add1")
    texts = [f"{a}+{b}" for a in range(10) for b in range(10)]
    answers = [p.text for p in load_predictor(info).predict(texts)]
    right = sum(ans == str(a + b) for ans, (a, b) in zip(answers, [(a, b) for a in range(10) for b in range(10)]))
    assert right / 100 == pytest.approx(card["metrics"]["exact_match"])
