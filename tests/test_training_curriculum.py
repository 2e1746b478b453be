"""A recipe's stages: planned, run in order in one call, stopped, and resumed across stages."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from calcapp.arithmetic import curriculum
from calcapp.arithmetic.recipes import load_recipe, load_recipe_file
from calcapp.nets.events import RunControl, TrainingCallback
from calcapp.nets.registry import read_card

TINY = {"units": 8, "heads": 1, "places": 2, "batch_size": 32, "learning_rate": 0.01,
        "holdout": 0, "samples_per_epoch": 256, "epochs": 1, "val_size": 40, "test_size": 40,
        "seed": 1}


def _recipe(tmp_path, stages, name="tiny"):
    folder = tmp_path / "recipes"
    folder.mkdir(exist_ok=True)
    (folder / f"{name}-first.json").write_text(json.dumps({
        "name": f"{name}-first", "task": {"preset": "add1", "reverse_output": True},
        "architecture": "attention", "hparams": {**TINY, "learning_rate": 0.02}}))
    path = folder / f"{name}.json"
    path.write_text(json.dumps({
        "name": name, "task": {"preset": "add1", "reverse_output": True},
        "architecture": "attention", "hparams": {**TINY, "epochs": 2}, "stages": stages}))
    return path


class Stopper(TrainingCallback):
    def __init__(self, control, stage_name, step):
        self.control, self.stage_name, self.step, self.names = control, stage_name, step, []

    def on_start(self, info):
        self.names.append(info["name"])

    def on_batch(self, epoch, step, loss):
        if self.names[-1] == self.stage_name and step >= self.step:
            self.control.stop()


def test_plan_names_merges_and_counts(tmp_path, monkeypatch):
    path = _recipe(tmp_path, [{"recipe": "tiny-first"},
                              {"name": "more", "continue": True, "hparams": {"epochs": 3}}])
    monkeypatch.setenv("CALCAPP_RECIPES", str(path.parent))
    stages = curriculum.plan(load_recipe_file(path))
    assert [s.config.name for s in stages] == ["tiny-first", "tiny-more", "tiny"]
    assert [s.resume for s in stages] == [False, True, False]
    assert stages[0].config.hp()["learning_rate"] == 0.02  # the other recipe's settings
    assert stages[1].config.hp()["epochs"] == 3 and stages[1].config.hp()["learning_rate"] == 0.01
    assert [s.config.stage["stage"] for s in stages] == [1, 2, 3]
    assert {s.config.stage["of"] for s in stages} == {3}
    # --epochs N: N for each stage, N more for a continuing one; --name renames them all
    again = curriculum.plan(load_recipe_file(path), name="mine", epochs=2)
    assert [s.config.hp()["epochs"] for s in again] == [2, 4, 2]
    assert [s.config.name for s in again] == ["mine-first", "mine-more", "mine"]


def test_bundled_chains_are_one_recipe_each():
    arith3 = curriculum.plan(load_recipe("arith3"))
    assert [s.config.name for s in arith3] == ["arith3-base", "arith3-settle", "arith3-longdiv",
                                               "arith3-quotients", "arith3"]
    assert [s.resume for s in arith3] == [False, True, False, False, False]
    assert arith3[2].config.hp()["div_msd"] == 1 and "div_msd" not in arith3[0].config.hp()
    expr = curriculum.plan(load_recipe("expr"))
    assert [s.config.name for s in expr] == ["expr-rewrite", "expr-wide", "expr-quotients",
                                             "expr-sizes", "expr"]


@pytest.mark.parametrize("stages,message", [
    ([{"name": "a"}, {"name": "a"}], "share a name"),
    ([{"recipe": "x", "name": "y"}], "either"),
    ([{"name": "a", "hparams": []}], "'hparams' is an object"),
    ("nope", "list"),
])
def test_bad_stages_are_named(tmp_path, stages, message):
    with pytest.raises(ValueError, match=message):
        load_recipe_file(_recipe(tmp_path, stages))


def test_a_continuing_first_stage_is_refused(tmp_path):
    with pytest.raises(ValueError, match="first stage"):
        curriculum.plan(load_recipe_file(_recipe(tmp_path, [{"name": "a", "continue": True}])))


def test_stages_run_in_order_stop_and_resume_across_stages(tmp_path, monkeypatch):
    path = _recipe(tmp_path, [{"recipe": "tiny-first"}, {"name": "more", "continue": True}])
    monkeypatch.setenv("CALCAPP_RECIPES", str(path.parent))
    stages = curriculum.plan(load_recipe_file(path))
    out = tmp_path / "models"
    control = RunControl()
    stopper = Stopper(control, "tiny-more", 10**9)
    # a Stop inside stage 2 ends the whole run: no stage 3
    stopper.step = 12  # stage 2 continues stage 1, so its steps count on from 8
    result = curriculum.run(stages, out, stopper, control)
    assert result.stopped and stopper.names == ["tiny-first", "tiny-more"]
    assert not (out / "tiny").exists()
    first = read_card(out / "tiny-first")
    assert first["training"]["finished"] and first["config"]["stage"]["stage"] == 1
    assert curriculum.where_to_resume(stages, out / "tiny-first") == (1, False)
    assert curriculum.where_to_resume(stages, out / "tiny-more") == (1, True)
    # --resume the stopped stage: it finishes in place, then the last stage warm-starts from it
    seen = []
    result = curriculum.run(stages, out, Stopper(RunControl(), "", 0), RunControl(),
                            resume_from=out / "tiny-more",
                            on_stage=lambda stage, folder: seen.append(folder.name))
    assert seen == ["tiny-more", "tiny"] and not result.stopped
    more, last = read_card(out / "tiny-more"), read_card(out / "tiny")
    assert more["training"]["epochs_done"] == 2  # one epoch in stage 1, one more here
    assert last["hparams"]["init_from"] == str(out / "tiny-more")
    assert last["config"]["stage"] == {"recipe": "tiny", "stage": 3, "of": 3, "label": ""}
    with pytest.raises(ValueError, match="last stage"):
        curriculum.where_to_resume(stages, out / "tiny")


def test_cli_runs_every_stage_in_one_command(tmp_path):
    path = _recipe(tmp_path, [{"name": "warm", "hparams": {"epochs": 1}}])
    env = {**os.environ, "CALCAPP_RECIPES": str(path.parent)}
    out = tmp_path / "models"
    (out / "tiny-warm").mkdir(parents=True)  # taken: refused before anything trains
    run = [sys.executable, "-m", "calcapp", "train", "--recipe", "tiny", "--out", str(out)]
    proc = subprocess.run(run, capture_output=True, text=True, env=env)
    assert proc.returncode == 2 and "tiny-warm" in proc.stderr and "Traceback" not in proc.stderr
    (out / "tiny-warm").rmdir()
    proc = subprocess.run(run, capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "stage 1/2 warm" in proc.stdout and "stage 2/2 (final)" in proc.stdout
    assert read_card(out / "tiny")["hparams"]["init_from"] == str(out / "tiny-warm")
