"""Issue 22: a columns recipe (the general model's digit cells) trains from the Training tab
like any other run. ``train_columns`` reports rounds through the training callbacks,
honours Pause and Stop (a run stopped inside its first round keeps nothing; later, its
checkpoint: ``test_columns_resume``), the engine's training
process routes columns configs to it (one device only), and the tab lists every columns
recipe with only the settings that apply."""

from __future__ import annotations

import json
import shutil
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from calcapp.arithmetic.columns.runs import parameter_count, train_columns
from calcapp.arithmetic.hparams_check import check_training
from calcapp.arithmetic.recipes import list_recipes, load_recipe, recipes_dir
from calcapp.engine import worker_process as W
from calcapp.engine.manager import ModelManager
from calcapp.engine.protocol import TrainingSpec
from calcapp.nets.events import EpochReport, RunControl, Sample, TrainingCallback, TrainResult
from calcapp.ui.training.form import SetupForm
from calcapp.ui.training.live import Live

TINY = {"round_size": 1, "max_rounds": 1, "weak_copies": 0, "batch_size": 2048}


def tiny(name="general-tiny", **hp):
    return replace(load_recipe("general").with_overrides(**{**TINY, **hp}), name=name)


class Recorder(TrainingCallback):
    def __init__(self, on_batch=None):
        self.info, self.batches, self.reports, self.ends = None, 0, [], []
        self._on_batch = on_batch

    def on_start(self, info):
        self.info = info

    def on_batch(self, epoch, step, loss):
        self.batches += 1
        if self._on_batch:
            self._on_batch(self.batches)

    def on_epoch(self, report):
        self.reports.append(report)

    def on_end(self, result):
        self.ends.append(result)


# -- the trainer --------------------------------------------------------------------------
def test_a_tiny_run_reports_its_rounds_pauses_and_loads_as_a_predictor(tmp_path):
    tmp_path = tmp_path / "out"  # (CALCAPP_HOME is in tmp_path)
    from calcapp.arithmetic.columns.predictor import ColumnsPredictor
    from calcapp.arithmetic.predictor import load_predictor
    from calcapp.nets.registry import load_info

    control = RunControl()
    paused = []

    def pause_once(n):  # a pause on the first batch holds the run until resumed
        if n == 1:
            control.pause()
            paused.append(threading.Timer(0.5, control.resume))
            paused[0].start()

    cb = Recorder(pause_once)
    result = train_columns(tiny(), tmp_path, callback=cb, control=control)
    assert cb.info["epochs"] == 4 and cb.info["cells"] == ["add", "sub", "mul", "quo"]
    assert cb.info["parameters"] == parameter_count() and cb.info["architecture"] == "columns"
    assert [r.extra["cell"] for r in cb.reports] == ["add", "sub", "mul", "quo"]
    assert all(r.extra["cell_done"] for r in cb.reports)  # (one round each: the budget)
    assert [r.epoch for r in cb.reports] == [1, 2, 3, 4] and cb.reports[-1].step == cb.batches
    for r in cb.reports:
        assert 0 <= r.exact_match <= 1 and r.exact_match == r.char_accuracy and r.val_loss is None
        assert len(r.samples) == 8 and all(isinstance(s, Sample) for s in r.samples)
    assert cb.ends == [result] and not result.stopped and result.best_epoch == 4
    assert result.model_dir == str(tmp_path / "general-tiny")
    assert 0 <= result.metrics["exact_match"] <= 1 and result.metrics["n"] > 0
    pred = load_predictor(load_info(Path(result.model_dir)))
    assert isinstance(pred, ColumnsPredictor) and pred.predict(["12+34"])[0].text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["general-tiny"]
    with pytest.raises(FileExistsError, match="a free name: 'general-tiny-2'"):
        train_columns(tiny(), tmp_path)  # refused before anything starts


def test_stop_ends_the_run_at_once_and_writes_nothing(tmp_path):
    tmp_path = tmp_path / "out"
    control = RunControl()
    cb = Recorder(lambda n: control.stop() if n == 2 else None)
    result = train_columns(tiny(max_rounds=5, batch_size=64), tmp_path, callback=cb,
                           control=control)  # (4 batches a round of the add cell)
    assert result.stopped and result.model_dir is None and cb.ends == [result]
    assert cb.batches == 2 and cb.reports == []  # not one more batch, no round report
    assert not tmp_path.exists()  # no folder, no temp folder


def test_bad_columns_settings_and_devices_are_refused_before_anything_starts(tmp_path):
    tmp_path = tmp_path / "out"
    with pytest.raises(ValueError, match="batch_size must be from 1"):
        check_training(tiny(batch_size=0))
    with pytest.raises(ValueError, match="decay must be above 0"):
        check_training(tiny(decay=0))
    with pytest.raises(ValueError, match="one device"):
        check_training(tiny(), "cpu:2")
    check_training(load_recipe("general").config)
    with pytest.raises(ValueError, match="one device"):
        train_columns(tiny(), tmp_path, strategy=object())
    with pytest.raises(ValueError, match="cannot resume"):
        train_columns(tiny(), tmp_path, resume_from=str(tmp_path))
    manager = ModelManager(models_loader=list, warm=False)
    try:  # the engine refuses it before a training process starts
        with pytest.raises(ValueError, match="one device"):
            manager.start_training(tiny(), out_dir=str(tmp_path), distribute="cpu:2")
        assert manager.running_trainings() == []
    finally:
        manager.shutdown()
    assert not tmp_path.exists()


def test_the_training_process_routes_columns_to_train_columns(monkeypatch, tmp_path):
    seen = []

    def stand_in(config, out_dir, callback=None, control=None, resume_from=None, **more):
        seen.append((config.name, out_dir, more))
        return TrainResult(None, False, 1, {"exact_match": 1.0})

    monkeypatch.setattr("calcapp.arithmetic.columns.runs.train_columns", stand_in)
    result = W._dispatch(TrainingSpec("train", tiny(), str(tmp_path)), TrainingCallback(),
                         RunControl(), None, None)
    assert seen == [("general-tiny", str(tmp_path), {})] and result.metrics["exact_match"] == 1.0
    with pytest.raises(ValueError, match="one device"):  # (perform posts it as Failed)
        W._dispatch(TrainingSpec("train", tiny(), str(tmp_path), distribute="cpu:2"),
                    TrainingCallback(), RunControl(), None, None)
    assert len(seen) == 1


# -- the Training tab ---------------------------------------------------------------------
def test_the_tab_lists_columns_recipes_and_shows_only_their_settings(qtbot, tmp_path, monkeypatch):
    folder = tmp_path / "recipes"
    shutil.copytree(recipes_dir(), folder)
    data = json.loads((folder / "general.json").read_text())
    (folder / "my-columns.json").write_text(json.dumps({**data, "name": "my-columns",
                                                        "hparams": {"seed": 3, "max_rounds": 7}}))
    monkeypatch.setenv("CALCAPP_RECIPES", str(folder))
    form = SetupForm()
    qtbot.addWidget(form)
    listed = [form.recipe.itemText(i) for i in range(form.recipe.count())]
    columns = [r.name for r in list_recipes() if r.config.architecture == "columns"]
    assert {"general", "my-columns"} <= set(columns) and set(columns) <= set(listed)
    assert "add3" in listed

    form.recipe.setCurrentText("my-columns")
    assert form.is_columns and form.columns.isVisibleTo(form) and not form.hp.isVisibleTo(form)
    for hidden in (form.task, form.architecture, form.epochs):
        assert not hidden.isVisibleTo(form)
    assert "4 digit cells" in form.columns.fixed.text()
    config = form.config()
    assert (config.name, config.architecture, config.task.name) == ("my-columns", "columns",
                                                                     "general")
    assert config.hparams["seed"] == 3 and config.hparams["max_rounds"] == 7
    assert "units" not in config.hparams and "epochs" not in config.hparams
    form.columns.boxes["batch_size"].setValue(256)
    assert form.config().hparams["batch_size"] == 256
    form.devices.setCurrentIndex(1)  # anything but one device
    assert "one device" in form.check() and form.problem.isVisibleTo(form)
    form.devices.setCurrentIndex(0)
    assert form.check() == ""

    form.recipe.setCurrentText("add3")  # a seq2seq recipe: its own fields again
    assert not form.is_columns and form.hp.isVisibleTo(form) and form.task.isVisibleTo(form)
    assert not form.columns.isVisibleTo(form) and form.config().architecture != "columns"


GATE = threading.Event()


def fake_columns_train(config, out_dir, callback=None, control=None, resume_from=None, **_):
    """The shape of a columns run: cells in turn, two rounds each, reported as epochs;
    it waits for ``GATE`` after round 5 (the mul cell's first)."""
    cells = ["add", "sub", "mul", "quo"]
    callback.on_start({"name": config.name, "epochs": 8, "steps_per_epoch": 3,
                       "parameters": 10, "architecture": "columns", "cells": cells})
    step, n = 0, 0
    for i, cell in enumerate(cells, 1):
        for r in (1, 2):
            for _ in range(3):
                step += 1
                if control.checkpoint():
                    result = TrainResult(None, True, n or None, {})
                    callback.on_end(result)
                    return result
                callback.on_batch(n + 1, step, 1.0 / step)
            n += 1
            callback.on_epoch(EpochReport(n, 8, step, 0.5, None, 0.5 * r, 0.5 * r,
                                          (Sample("7+8 carry 1", "6 carry 1", "6 carry 1"),),
                                          0.1, {"cell": cell, "cell_index": i, "cell_round": r,
                                                "cell_done": r == 2}))
            if n == 5:
                GATE.wait(10)
    result = TrainResult(None, False, n, {"exact_match": 1.0})
    callback.on_end(result)
    return result


def test_a_columns_run_in_the_tab_counts_cells_and_rounds(qtbot, tmp_path):
    from calcapp.engine.runs_store import RunsStore
    from calcapp.ui.training.panel import TrainingPanel

    manager = ModelManager(train_fn=fake_columns_train, models_loader=list, warm=False)
    panel = TrainingPanel(manager, store=RunsStore(tmp_path / "runs.sqlite"))
    qtbot.addWidget(panel)
    try:
        panel.form.recipe.setCurrentText("general")
        rounds = []
        manager.training_epoch.connect(lambda rid, rep: rounds.append(rep.epoch))
        GATE.clear()
        run_id = panel.start()
        qtbot.waitUntil(lambda: len(rounds) >= 5, timeout=20000)
        panel.flush()
        assert panel.progress_label.text().startswith("cell 3/4 (mul), round 2")
        assert panel.progress.format() == "%v/%m cells" and panel.progress.value() == 2
        assert panel.samples_title.text() == "mul cell: some of its facts after round 1"
        with qtbot.waitSignal(manager.training_finished, timeout=20000):
            GATE.set()
        assert "finished: 8 rounds; test exact match 100.00%" in panel.status.text()
        rec = panel.store.get_run(run_id)
        assert rec.status == "finished" and rec.config["architecture"] == "columns"
        assert [e["epoch"] for e in rec.epochs] == list(range(1, 9))
        panel.load_run_curves(run_id)  # the runs database gives the curves back (compare)
        assert len(panel.curves.series[run_id].epochs) == 8
    finally:
        GATE.set()
        manager.shutdown(wait=True)


def test_the_progress_line_names_the_cell_at_work():
    live = Live("r", "general")
    live.cells = ["add", "sub", "mul", "quo"]
    assert live.cells_progress()[1].startswith("cell 1/4 (add), round 1")
    live.last_round = {"cell": "add", "cell_index": 1, "cell_round": 3, "cell_done": False}
    assert live.cells_progress()[:1] == (0,) and "cell 1/4 (add), round 4" in live.cells_progress()[1]
    live.last_round = {"cell": "mul", "cell_index": 3, "cell_round": 9, "cell_done": True}
    assert live.cells_progress()[0] == 3 and "cell 4/4 (quo), round 1" in live.cells_progress()[1]
    live.last_round["cell_index"] = 4
    assert live.cells_progress() == (4, "writing the model and testing it on a people's mix\u2026")
    assert live.best_text(28) == "28 rounds" and Live("r", "m").best_text(3) == "best epoch 3"


# -- through the engine's training process (slow: the child imports TensorFlow) -----------
@pytest.mark.slow
def test_the_engine_trains_a_columns_config_in_its_child_and_stop_keeps_its_checkpoint(
        qtbot, tmp_path):
    from calcapp.arithmetic.columns.predictor import ColumnsPredictor
    from calcapp.arithmetic.predictor import load_predictor
    from calcapp.nets.registry import load_info, read_card

    manager = ModelManager(models_loader=list, warm=False)
    try:
        infos, rounds = [], []
        manager.training_started.connect(lambda rid, info: infos.append(info))
        manager.training_epoch.connect(lambda rid, rep: rounds.append(rep.extra["cell"]))
        with qtbot.waitSignal(manager.training_finished, timeout=300_000) as done:
            manager.start_training(tiny(), out_dir=str(tmp_path / "a"))
        result = done.args[1]
        assert infos[0]["epochs"] == 4 and rounds == ["add", "sub", "mul", "quo"]
        assert not result.stopped and result.model_dir == str(tmp_path / "a" / "general-tiny")
        pred = load_predictor(load_info(Path(result.model_dir)))
        assert isinstance(pred, ColumnsPredictor)

        batches = []
        manager.training_batch.connect(lambda rid, e, s, loss: batches.append(s))
        run_id = manager.start_training(tiny(max_rounds=50), out_dir=str(tmp_path / "b"))
        qtbot.waitUntil(lambda: len(batches) >= 1, timeout=300_000)
        with qtbot.waitSignal(manager.training_finished, timeout=30_000) as stopped:
            manager.stop_training(run_id)
        kept = stopped.args[1].model_dir
        assert stopped.args[1].stopped
        if kept is None:  # stopped inside the first round: nothing is kept
            assert not (tmp_path / "b").exists() or list((tmp_path / "b").iterdir()) == []
        else:  # the last round's checkpoint (issue 22: Stop and a kill keep it)
            assert read_card(Path(kept))["training"]["finished"] is False
    finally:
        manager.shutdown()
