"""Issue 22's rule for the columns recipes: a run stopped or killed leaves its last
checkpoint loadable (the run's folder, its card marked unfinished: which cells are done,
how far the cell at work has come), the runs database stays intact, and ``--resume``
trains only what is left and writes the whole model folder."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from processes import assert_runs_database_intact, python, runs_writer, wait_for

from calcapp.arithmetic.columns import checkpoint
from calcapp.arithmetic.columns.runs import train_columns
from calcapp.arithmetic.predictor import load_predictor
from calcapp.arithmetic.recipes import load_recipe
from calcapp.nets.events import RunControl, TrainingCallback
from calcapp.nets.registry import best_for, load_info, read_card

TINY = {"round_size": 1, "max_rounds": 2, "weak_copies": 0, "batch_size": 2048}


def tiny(name="general-tiny", **hp):
    return replace(load_recipe("general").with_overrides(**{**TINY, **hp}), name=name)


class Rounds(TrainingCallback):
    """The rounds a run reports as (cell, its round); Stop pressed after ``stop_after``."""

    def __init__(self, control=None, stop_after=None):
        self.control, self.stop_after = control, stop_after
        self.info, self.seen, self.epochs, self.ends = None, [], [], []

    def on_start(self, info):
        self.info = info

    def on_epoch(self, report):
        self.seen.append((report.extra["cell"], report.extra["cell_round"]))
        self.epochs.append(report.epoch)
        if self.seen[-1] == self.stop_after:
            self.control.stop()

    def on_end(self, result):
        self.ends.append(result)


def stopped_at(out, where, **hp):
    control = RunControl()
    cb = Rounds(control, where)
    result = train_columns(tiny(**hp), out, callback=cb, control=control)
    assert result.stopped and cb.ends == [result] and cb.seen[-1] == where
    return result, cb


def test_a_run_stopped_after_its_first_cell_keeps_a_loadable_checkpoint(tmp_path):
    out = tmp_path / "out"
    result, cb = stopped_at(out, ("add", 2))
    folder = out / "general-tiny"
    assert result.model_dir == str(folder) and result.best_epoch == 2
    card = read_card(folder)
    training = card["training"]
    assert training["finished"] is False and training["cells_done"] == ["add"]
    assert training["cell"] is None and training["rounds"] == 2 and training["stopped"]
    assert card["cell_metrics"]["add"]["rounds"] == 2 and "metrics" not in card
    info = load_info(folder)
    assert load_predictor(info).predict(["12+34"])[0].steps  # it loads and answers
    assert best_for("12+34", [info]) is None  # unmeasured: Auto never picks it
    assert sorted(p.name for p in out.iterdir()) == ["general-tiny"]  # no temp folder left
    weights, progress = checkpoint.read(folder)
    assert list(progress["done"]) == ["add"] and progress["cell"] is None
    add_report = card["cell_metrics"]["add"]

    control = RunControl()  # resumed in place: only the cells not done train
    cb = Rounds(control)
    result = train_columns(tiny(), out, callback=cb, control=control, resume_from=str(folder))
    assert not result.stopped and result.model_dir == str(folder)
    assert cb.seen == [("sub", 1), ("sub", 2), ("mul", 1), ("mul", 2), ("quo", 1), ("quo", 2)]
    assert cb.info["start_epoch"] == 3 and cb.epochs == [3, 4, 5, 6, 7, 8]
    assert cb.info["last_round"] == {"cell": "add", "cell_index": 1, "cell_round": 1,
                                     "cell_done": True}
    card = read_card(folder)
    assert card["training"]["finished"] is True and card["training"]["rounds"] == 8
    assert list(card["cell_metrics"]) == ["add", "sub", "mul", "quo"]
    assert card["cell_metrics"]["add"] == add_report  # (not trained again)
    assert 0 <= card["metrics"]["exact_match"] <= 1 and result.best_epoch == 8
    assert sorted(p.name for p in out.iterdir()) == ["general-tiny"]
    with pytest.raises(ValueError, match="a finished columns model"):
        train_columns(tiny(), out, resume_from=str(folder))


def test_a_finished_model_is_replaced_only_when_asked(tmp_path):
    out = tmp_path / "out"
    (out / "general-tiny").mkdir(parents=True)
    (out / "general-tiny" / "card.json").write_text('{"name": "general-tiny"}')
    with pytest.raises(FileExistsError):
        train_columns(tiny(), out)
    control = RunControl()
    cb = Rounds(control, ("add", 1))
    result = train_columns(tiny(), out, callback=cb, control=control, overwrite=True)
    assert result.stopped and result.model_dir == str(out / "general-tiny")
    assert read_card(out / "general-tiny")["training"]["finished"] is False  # replaced
    assert sorted(p.name for p in out.iterdir()) == ["general-tiny"]


def test_a_cell_stopped_mid_way_goes_on_at_its_next_round_elsewhere(tmp_path):
    out = tmp_path / "out"
    stopped_at(out, ("sub", 1))
    folder = out / "general-tiny"
    training = read_card(folder)["training"]
    assert training["cells_done"] == ["add"] and training["cell"] == "sub"
    assert training["cell_round"] == 1 and training["learning_rate"] == pytest.approx(0.0093)
    before = (folder / "model.keras").read_bytes()

    control = RunControl()  # into another folder (the checkpoint stays as it was), stopped
    cb = Rounds(control, ("mul", 1))  # again once the sub cell is done: no test pass here
    result = train_columns(tiny(), tmp_path / "again", callback=cb, control=control,
                           resume_from=str(folder))
    assert cb.seen == [("sub", 2), ("mul", 1)] and cb.epochs == [4, 5]
    assert cb.info["last_round"]["cell"] == "sub" and cb.info["start_epoch"] == 4
    assert (folder / "model.keras").read_bytes() == before
    training = read_card(Path(result.model_dir))["training"]
    assert training["cells_done"] == ["add", "sub"] and training["cell"] == "mul"
    assert read_card(Path(result.model_dir))["cell_metrics"]["sub"]["rounds"] == 2


def test_what_is_not_a_columns_checkpoint_is_refused_in_one_line(tmp_path):
    out = tmp_path / "out"
    other = tmp_path / "seq2seq"
    other.mkdir()
    (other / "card.json").write_text(json.dumps({"architecture": "attention", "task": {}}))
    for folder, why in ((other, "not a columns checkpoint .architecture 'attention'"),
                        (tmp_path / "nowhere", "it holds no card.json")):
        with pytest.raises(ValueError, match=f"cannot resume {folder}: {why}") as err:
            train_columns(tiny(), out, resume_from=str(folder))
        assert "\n" not in str(err.value)
    card = {"architecture": "columns", "training": {"finished": False, "cells_done": ["sub"],
                                                    "cell": None, "cell_round": 0,
                                                    "learning_rate": None}}
    (other / "card.json").write_text(json.dumps(card))
    with pytest.raises(ValueError, match="cells done \\['sub'\\]"):
        train_columns(tiny(), out, resume_from=str(other))
    assert not out.exists()


def test_the_engine_reports_a_killed_columns_run_by_its_checkpoint(tmp_path):
    from calcapp.engine import worker_process as W
    from calcapp.engine.protocol import Finished, TrainingSpec

    out = tmp_path / "out"
    stopped_at(out, ("add", 2))
    spec = TrainingSpec("train", tiny(), str(out), resume_from=str(out / "general-tiny"))
    folder = W.checkpoint_folder(spec)
    assert folder == out / "general-tiny"
    message = W.forced_end(folder, 999999, 1.0)
    assert isinstance(message, Finished) and message.result.stopped
    assert message.result.model_dir == str(folder) and message.result.best_epoch == 2


# -- a real SIGKILL of `calcapp train`, beside a runs database being written ------------
RECIPE = {"name": "killed-columns", "task": "general", "architecture": "columns",
          "hparams": {"round_size": 30000, "max_rounds": 2, "weak_copies": 0,
                      "batch_size": 1024}}

WRITER = runs_writer('killed-columns')



@pytest.mark.slow  # (two processes import TensorFlow; the resumed one tests the model)
def test_sigkill_after_the_first_cell_keeps_its_checkpoint_and_resume_finishes(tmp_path):

    recipe = tmp_path / "killed-columns.json"
    recipe.write_text(json.dumps(RECIPE))
    db = tmp_path / "runs.sqlite"
    out = tmp_path / "out"
    writer = python("-c", WRITER, str(db))
    training = python("-m", "calcapp", "train", "--recipe", str(recipe), "--out", str(out))
    try:
        wait_for(writer, "ready")
        wait_for(training, "checkpoint: add done")  # the add cell's checkpoint: kill now
    finally:
        for proc in (training, writer):
            proc.send_signal(signal.SIGKILL)
            proc.wait()

    folder = out / "killed-columns"
    training_card = read_card(folder)["training"]
    assert training_card["finished"] is False and training_card["cells_done"][0] == "add"
    done = training_card["cells_done"]
    assert load_predictor(load_info(folder)).predict(["1+2"])[0].steps  # it loads, runs
    assert_runs_database_intact(db)

    resumed = subprocess.run(
        [sys.executable, "-m", "calcapp", "train", "--recipe", str(recipe), "--out", str(out),
         "--resume", str(folder)], capture_output=True, text=True, env=dict(os.environ),
        timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    trained = {line.split(":")[0] for line in resumed.stdout.splitlines() if ": round " in line}
    assert trained and not trained & set(done)  # the cells done were not trained again
    assert f"wrote {folder}" in resumed.stdout
    card = read_card(folder)
    assert card["training"]["finished"] is True and list(card["cell_metrics"]) == [
        "add", "sub", "mul", "quo"] and card["metrics"]["n"] > 0
    assert sorted(p.name for p in out.iterdir()) == ["killed-columns"]
