"""The Training tab through the real ModelManager, with a fake trainer (no TensorFlow)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from calcapp.engine.manager import ModelManager
from calcapp.engine.runs_store import RunsStore
from calcapp.nets.events import EpochReport, Sample
from calcapp.nets.registry import find_model, load_info
from calcapp.ui.training.plots import ema
from calcapp.ui.training.panel import TrainingPanel, format_eta
from test_training_gui_fakes import FakeInsidePredictor, fake_train


@pytest.fixture
def manager(qtbot):
    m = ModelManager(train_fn=fake_train, predictor_for=FakeInsidePredictor, warm=False)
    yield m
    m.shutdown(wait=True)


@pytest.fixture
def panel(qtbot, manager):
    p = TrainingPanel(manager, confirm=lambda *a: True)  # yes to "less accurate" warnings
    qtbot.addWidget(p)
    p.form.task.setCurrentText("add1")
    p.form.architecture.setCurrentText("lstm")
    p.form.units.setValue(8)
    p.form.epochs.setValue(2)
    p.form.name.setText("gui-add1")
    return p


def _run_to_end(qtbot, panel, manager):
    with qtbot.waitSignal(manager.training_finished, timeout=20000) as blocker:
        run_id = panel.start()
        assert run_id
    return run_id, blocker.args[1]


# -- the store ------------------------------------------------------------------------------
def test_store_keeps_runs_across_connections_and_exports_csv(tmp_path):
    path = tmp_path / "runs.sqlite"
    store = RunsStore(path)
    store.start_run("r1", "m1", config={"hparams": {"units": 8}})
    store.add_batches("r1", [(1, 1, 2.0, 100.0), (2, 1, 1.5, 100.5)])
    report = EpochReport(1, 2, 2, 1.7, 1.8, 0.6, 0.25, (Sample("1+2", "3", "4"),))
    store.add_epoch("r1", report, t=101.0)
    store.finish_run("r1", "stopped", {"metrics": {"exact_match": 0.25}}, model_dir="/x")
    store.close()

    again = RunsStore(path)
    rec = again.get_run("r1")
    assert (rec.name, rec.status, rec.model_dir, rec.test_exact_match) == ("m1", "stopped",
                                                                           "/x", 0.25)
    assert rec.config["hparams"]["units"] == 8
    assert rec.epochs[0]["samples"] == [{"question": "1+2", "target": "3", "answer": "4"}]
    steps, losses, _ = again.batch_curve("r1")
    assert (steps, losses) == ([1, 2], [2.0, 1.5])
    rows = list(csv.DictReader(open(again.export_csv("r1", tmp_path / "r1.csv"))))
    assert [r["kind"] for r in rows] == ["batch", "batch", "epoch"]
    assert float(rows[2]["exact_match"]) == 0.25 and rows[2]["val_loss"] == "1.8"
    assert again._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_store_marks_orphaned_runs_interrupted(tmp_path):
    store = RunsStore(tmp_path / "runs.sqlite")
    store.start_run("r1", "m1")
    assert store.mark_interrupted() == 1
    assert store.get_run("r1").status == "interrupted"


# -- small pure helpers ---------------------------------------------------------------------
def test_ema_is_debiased_and_flat_on_constants():
    assert np.allclose(ema([3.0] * 5, 0.9), 3.0)
    assert ema([1.0, 0.0], 0.5)[1] == pytest.approx(1 / 3)
    assert list(ema([1.0, 2.0], 0.0)) == [1.0, 2.0]


def test_eta_text():
    assert format_eta(None) == "ETA -"
    assert format_eta(42) == "ETA 42s"
    assert format_eta(125) == "ETA 2m05s"


# -- the panel ------------------------------------------------------------------------------
def test_a_run_from_the_panel_draws_curves_fills_samples_and_is_stored(qtbot, panel, manager):
    run_id, result = _run_to_end(qtbot, panel, manager)
    qtbot.waitUntil(lambda: panel.store.get_run(run_id).status == "finished", timeout=5000)
    panel.flush()
    assert panel.curves.point_count(run_id) > 0
    assert len(panel.curves.series[run_id].epochs) == 2
    assert panel.samples.rowCount() == 2
    marks = {panel.samples.item(r, 3).text() for r in range(2)}
    assert marks <= {"\u2611", "\u2612"} and "\u2611" in marks
    rec = panel.store.get_run(run_id)
    assert rec.config["architecture"] == "lstm" and rec.config["hparams"]["units"] == 8
    assert len(panel.store.batch_curve(run_id)[0]) > 0 and len(rec.epochs) == 2
    assert panel.progress.value() == panel.progress.maximum()
    assert panel.activate_button.isEnabled()
    assert run_id in panel.runs.checked_runs()


def test_pause_resume_and_stop_keep_a_loadable_checkpoint(qtbot, panel, manager):
    panel.form.epochs.setValue(50)
    with qtbot.waitSignal(manager.training_epoch, timeout=20000):
        run_id = panel.start()
    panel.pause()
    assert manager.is_paused(run_id) and panel.resume_button.isEnabled()
    panel.resume()
    assert not manager.is_paused(run_id)
    with qtbot.waitSignal(manager.training_finished, timeout=20000) as blocker:
        panel.stop()
    result = blocker.args[1]
    assert result.stopped
    info = load_info(Path(result.model_dir))
    assert info.name == "gui-add1" and info.task.name == "add1"
    assert panel.store.get_run(run_id).status == "stopped"
    assert panel.start_button.isEnabled() and not panel.stop_button.isEnabled()


def test_finished_run_can_be_made_the_active_model(qtbot, panel, manager):
    run_id, result = _run_to_end(qtbot, panel, manager)
    panel.runs.select(run_id)
    with qtbot.waitSignal(panel.model_activated, timeout=5000) as blocker:
        with qtbot.waitSignal(manager.models_changed, timeout=5000):
            panel.activate_button.click()
    name = blocker.args[0]
    assert find_model(name).path == Path(result.model_dir)
    with qtbot.waitSignal(manager.answered, timeout=5000) as answered:
        manager.request_answer("3+4", model_name=name)
    assert answered.args[1].neural == "7" and answered.args[1].model == name


def test_runs_reopen_after_a_restart_and_overlay(qtbot, panel, manager):
    first, _ = _run_to_end(qtbot, panel, manager)
    panel.form.name.setText("gui-add1-b")
    second, _ = _run_to_end(qtbot, panel, manager)
    panel.close()

    again = TrainingPanel(manager)
    qtbot.addWidget(again)
    ids = [again.runs.list.item(i).data(Qt.UserRole) for i in range(again.runs.list.count())]
    assert set(ids) >= {first, second}
    for i in range(again.runs.list.count()):
        again.runs.list.item(i).setCheckState(Qt.Checked)
    assert set(again.curves.series) >= {first, second}
    assert again.curves.point_count(first) > 0
    again.runs.select(first)
    assert again.samples.rowCount() == 2
    # the curve controls redraw without losing data
    again.curves.log_scale.setChecked(True)
    again.curves.x_axis.setCurrentIndex(1)
    again.curves.smoothing.setValue(0)
    assert again.curves.point_count(first) > 0


def test_a_bad_custom_task_is_refused_with_a_message(qtbot, panel):
    panel.form.task.setCurrentText("custom")
    for box in panel.form.operators.values():
        box.setChecked(False)
    assert panel.start() is None
    assert "operator" in panel.status.text()


def test_failure_is_shown_and_recorded(qtbot, manager):
    def broken(*_a, **_k):
        raise ValueError("no such architecture")

    manager.trainings.train_fn = broken
    p = TrainingPanel(manager)
    qtbot.addWidget(p)
    with qtbot.waitSignal(manager.training_failed, timeout=10000):
        run_id = p.start()
    assert "no such architecture" in p.status.text()
    assert p.store.get_run(run_id).status == "failed"


def test_a_damaged_runs_file_is_said_and_training_goes_on(qtbot, manager, calcapp_home):
    from calcapp.engine.runs_store import DB_NAME

    (calcapp_home / DB_NAME).write_bytes(b"\x00not a database" * 100)
    p = TrainingPanel(manager)
    qtbot.addWidget(p)
    assert "runs file was damaged" in p.status.text() and f"{DB_NAME}.damaged-" in p.status.text()
    assert p.store.set_aside.exists()


def test_a_recipe_fills_the_form(qtbot, panel):
    from calcapp.arithmetic.recipes import list_recipes

    recipes = {r.name: r for r in list_recipes()}
    if "keras-example" not in recipes:
        pytest.skip("recipe not bundled")
    index = panel.form.recipe.findText("keras-example")
    panel.form.recipe.setCurrentIndex(index)
    cfg = panel.form.config()
    want = recipes["keras-example"].config
    assert (cfg.name, cfg.architecture, cfg.task) == (want.name, want.architecture, want.task)
    assert cfg.hparams["units"] == want.hparams["units"]
    assert cfg.hparams["clipnorm"] is None  # keys the form has no field for survive


def test_the_finetune_job_runs_through_the_manager(qtbot, manager):
    from calcapp.nets.events import TrainResult

    def fake_finetune(callback=None, control=None, epochs=5):
        callback.on_start({"name": "recognizer-personal", "epochs": epochs,
                           "steps_per_epoch": 3})
        for step in range(1, 4):
            callback.on_batch(1, step, 1.0 / step)
        return TrainResult(None, False, 1, {"accuracy": 0.9})

    manager.trainings.finetune_fn = fake_finetune
    p = TrainingPanel(manager)
    qtbot.addWidget(p)
    p.form.job.setCurrentIndex(1)
    assert not p.form.architecture.isEnabled()
    with qtbot.waitSignal(manager.training_finished, timeout=10000):
        run_id = p.start()
    rec = p.store.get_run(run_id)
    assert rec.kind == "recognizer" and rec.status == "finished"
    p.runs.select(run_id)
    assert not p.activate_button.isEnabled()  # a recognizer is not a calculator model


def test_incremental_smoothing_matches_the_full_ema(qtbot):
    from calcapp.ui.training.plots import CurvesView

    view = CurvesView()
    qtbot.addWidget(view)
    view.add_run("r", "r")
    losses = list(np.linspace(3, 0.1, 50) + np.sin(np.arange(50)))
    view.append_batches("r", [(i, 1, v, 0.1 * i) for i, v in enumerate(losses[:20], 1)])
    view.redraw()
    view.append_batches("r", [(i, 1, v, 0.1 * i) for i, v in enumerate(losses[20:], 21)])
    view.redraw()
    s = view.series["r"]
    assert np.allclose(s.smoothed(0.8), ema(losses, 0.8))
    view.smoothing.setValue(50)
    assert np.allclose(s.smoothed(0.5), ema(losses, 0.5))
    _x, y = s.items["smooth"].getData()
    assert np.allclose(y, ema(losses, 0.5))


def test_activation_selects_the_model_in_the_main_window(qtbot, manager):
    main_window = pytest.importorskip("calcapp.ui.main_window")
    window = main_window.MainWindow(manager=manager, start_tf=False, confirm=lambda *a: True)
    qtbot.addWidget(window)
    panel = window.panel("Training")
    assert isinstance(panel, TrainingPanel)
    assert window.panel("Inside the model") is not None
    panel.form.task.setCurrentText("add1")
    panel.form.epochs.setValue(1)
    panel.form.name.setText("gui-window-add1")
    with qtbot.waitSignal(manager.training_finished, timeout=20000):
        run_id = panel.start()
    panel.runs.select(run_id)
    panel.activate_button.click()
    assert window.picker.current_model() == "gui-window-add1"
    window.panel("Inside the model").wait_for_jobs()


def test_export_and_delete_buttons(qtbot, panel, manager, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    run_id, _ = _run_to_end(qtbot, panel, manager)
    qtbot.waitUntil(lambda: panel.store.get_run(run_id).status == "finished", timeout=5000)
    panel.runs.select(run_id)
    target = tmp_path / "run.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(target), "CSV (*.csv)")))
    panel.runs.export_button.click()
    rows = list(csv.DictReader(open(target)))
    assert {r["kind"] for r in rows} == {"batch", "epoch"}
    panel.runs.delete_button.click()
    assert panel.store.get_run(run_id) is None
    assert panel.runs.list.count() == 0 and run_id not in panel.curves.series
