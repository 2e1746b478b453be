"""Bad training settings get one clear message before anything starts, from the one check
(``calcapp.arithmetic.hparams_check.check_training``) that the CLI and the Training tab share."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from calcapp.arithmetic.hparams_check import check_training
from calcapp.arithmetic.recipes import list_recipes
from calcapp.arithmetic.trainer import TrainConfig
from calcapp.expr.tasks import preset
from calcapp.nets.distribution import backend_problem, check_name, tf_config_problem

BAD = [
    ({"units": 0}, "units must be from 1"),
    ({"learning_rate": -0.01}, "learning_rate must be above 0"),
    ({"learning_rate": float("nan")}, "learning_rate must be a number"),
    ({"batch_size": 5000, "samples_per_epoch": 1000}, "larger than the data of an epoch"),
    ({"epochs": 0}, "epochs must be from 1"),
    ({"epochs": -3}, "epochs must be from 1"),
    ({"layers": 2.5}, "layers must be a whole number"),
    ({"units": True}, "units must be a whole number"),
    ({"holdout": 0.9}, "holdout must be"),
    ({"lr_decay": 0}, "lr_decay must be above 0"),
    ({"val_size": 0}, "val_size must be from 1"),
]


def _config(arch="lstm", **hp):
    return TrainConfig("t", preset("add1"), arch, hp)


@pytest.mark.parametrize("hp,message", BAD)
def test_each_bad_setting_is_named(hp, message):
    with pytest.raises(ValueError, match=message):
        check_training(_config(**hp))


def test_unknown_architecture_and_devices():
    with pytest.raises(ValueError, match="unknown architecture 'gru'"):
        check_training(_config("gru"))
    with pytest.raises(ValueError, match="unknown --distribute"):
        check_training(_config(), "tpu")
    with pytest.raises(ValueError, match="smaller than the 8 devices"):
        check_training(_config(batch_size=4, samples_per_epoch=100), "cpu:8")
    check_training(_config(batch_size=8, samples_per_epoch=100), "cpu:8")


def test_every_recipe_passes_the_check():
    for recipe in list_recipes():
        check_training(recipe.config)


def test_distribute_names_and_backends():
    assert [check_name(n) for n in ("", None, "Mirrored", "cpu:2")] == \
        ["none", "none", "mirrored", "cpu:2"]
    for bad in ("cpu:0", "cpu:x", "cpu:1000", "gpu"):
        with pytest.raises(ValueError):
            check_name(bad)
    assert backend_problem("jax-data-parallel", "tensorflow").startswith("jax-data-parallel needs")
    assert "under JAX use jax-data-parallel" in backend_problem("mirrored", "jax")
    assert backend_problem("cpu:2", "tensorflow") is None
    assert "needs TF_CONFIG" in tf_config_problem(None)
    assert "not valid" in tf_config_problem("{oops")
    two = {"cluster": {"worker": ["127.0.0.1:1", "127.0.0.1:2"]}}
    assert "outside" in tf_config_problem(json.dumps({**two, "task": {"type": "worker", "index": 2}}))
    assert tf_config_problem(json.dumps({**two, "task": {"type": "worker", "index": 1}})) is None


def _train(*args):
    return subprocess.run([sys.executable, "-m", "calcapp", "train", *args],
                          capture_output=True, text=True, env=dict(os.environ), timeout=120)


def test_cli_refuses_bad_settings_before_anything_starts(tmp_path):
    recipe = {"name": "bad", "task": "add1", "architecture": "lstm",
              "hparams": {"units": 0, "epochs": 1}}
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(recipe))
    proc = _train("--recipe", str(path), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip() == "calcapp: units must be from 1 to 8,192 (got 0)"
    assert not (tmp_path / "out").exists()
    proc = _train("--recipe", "add1-tiny", "--distribute", "cpu:0")
    assert proc.returncode == 2 and "cpu:N must be 1 to" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_the_form_names_the_problem_in_place(qtbot):
    from calcapp.ui.training.form import SetupForm

    form = SetupForm()
    qtbot.addWidget(form)
    assert form.check() == "" and form.problem.isHidden()
    form.samples.setValue(100)
    form.batch.setValue(500)  # a batch larger than an epoch's data
    assert "larger than the data of an epoch" in form.problem.text()
    assert not form.problem.isHidden()
    with pytest.raises(ValueError, match="larger than the data"):
        form.config()
    form.batch.setValue(50)
    assert form.problem.text() == "" and form.problem.isHidden()
    form.devices.setCurrentIndex(form.devices.findData("cpu:2"))
    assert form.distribute_name() == "cpu:2"


def test_each_jax_host_feeds_its_own_share_of_every_batch(monkeypatch):
    import numpy as np

    from calcapp.nets import distribution

    x, dec, y = np.arange(12), np.arange(12) + 100, np.arange(12) + 200
    assert distribution.local_batch(None, (x, dec), y, 8)[2] == 8  # one process: unchanged
    monkeypatch.setattr(distribution, "process_share", lambda strategy: (1, 2))
    (lx, ldec), ly, batch = distribution.local_batch(object(), (x, dec), y, 8)
    assert list(lx) == [1, 3, 5, 7, 9, 11] and list(ldec) == [101, 103, 105, 107, 109, 111]
    assert list(ly) == [201, 203, 205, 207, 209, 211] and batch == 4
    assert distribution.is_chief(object()) is False  # process 1 does not write the model
