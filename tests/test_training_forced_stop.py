"""Issue 18: Stop ends a training within a second wherever its process is. A child that
has not stopped by itself ``STOP_GRACE_S`` after Stop is killed, and its best checkpoint
(swapped in atomically) is reported, the card marked stopped; a kill that fell between a
checkpoint's two renames is repaired."""

from __future__ import annotations

import json

import pytest

from calcapp.engine import worker_process as W
from calcapp.engine.protocol import Finished, TrainingSpec
from calcapp.nets.registry import read_card, recover_model_folder


def _card(folder, best_epoch=3):
    folder.mkdir(parents=True)
    (folder / "card.json").write_text(json.dumps(
        {"name": folder.name, "metrics": {"exact_match": 0.5}, "val_metrics": {"exact_match": 0.5},
         "training": {"epochs_done": 3, "best_epoch": best_epoch, "stopped": False}}))


def test_a_kill_between_the_renames_puts_the_last_checkpoint_back(tmp_path):
    tmp_path = tmp_path / "models"
    _card(tmp_path / ".m.old-4242-17")  # the kill came after the old one moved aside
    (tmp_path / ".m.abcd1234.tmp").mkdir()  # the half-written new one
    (tmp_path / ".m2.abcd1234.tmp").mkdir()  # another model's: left alone
    recover_model_folder(tmp_path / "m", 4242)
    assert read_card(tmp_path / "m")["training"]["best_epoch"] == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == [".m2.abcd1234.tmp", "m"]


def test_the_forced_end_reports_the_checkpoint_marked_stopped(tmp_path):
    tmp_path = tmp_path / "models"
    _card(tmp_path / "m")
    (tmp_path / "m" / "card.jsonq1w2e3r4.tmp").write_text("{")  # a card write cut short
    end = W.forced_end(tmp_path / "m", 4242, 12.3)
    assert isinstance(end, Finished) and end.result.stopped
    assert end.result.model_dir == str(tmp_path / "m") and end.result.best_epoch == 3
    card = read_card(tmp_path / "m")
    assert card["training"]["stopped"] is True and card["training"]["wall_time_s"] == 12.3
    assert [p.name for p in (tmp_path / "m").iterdir()] == ["card.json"]
    nothing = W.forced_end(tmp_path / "none", 4242, 1.0)  # stopped before any checkpoint
    assert isinstance(nothing, Finished) and nothing.result.model_dir is None


def test_only_a_calculator_training_into_its_own_folder_is_ended_by_force(tmp_path):
    config = type("C", (), {"name": "m"})()
    assert W.checkpoint_folder(TrainingSpec("train", config, str(tmp_path))) == tmp_path / "m"
    assert W.checkpoint_folder(TrainingSpec("finetune")) is None
    (tmp_path / "m").mkdir()  # someone else's model: the training refuses it by itself
    assert W.checkpoint_folder(TrainingSpec("train", config, str(tmp_path))) is None
    resumed = TrainingSpec("train", config, str(tmp_path), resume_from=str(tmp_path / "m"))
    assert W.checkpoint_folder(resumed) == tmp_path / "m"


@pytest.mark.slow
def test_a_child_busy_after_stop_is_ended_and_its_checkpoint_kept(qtbot, tmp_path, monkeypatch):
    from calcapp.arithmetic.recipes import load_recipe
    from calcapp.engine.manager import ModelManager
    from calcapp.nets.registry import load_info

    monkeypatch.setattr(W, "STOP_GRACE_S", 0.0)  # no time to stop by itself: always killed
    config = load_recipe("add1-tiny").with_overrides(
        epochs=500, samples_per_epoch=320, val_size=50, test_size=50, target_exact=None)
    manager = ModelManager(models_loader=list, warm=False)
    try:
        epochs = []
        manager.training_epoch.connect(lambda rid, rep: epochs.append(rep.epoch))
        out = tmp_path / "models"
        run_id = manager.start_training(config, out_dir=str(out))
        qtbot.waitUntil(lambda: len(epochs) >= 2, timeout=180_000)
        with qtbot.waitSignal(manager.training_finished, timeout=10_000) as blocker:
            manager.stop_training(run_id)
        result = blocker.args[1]
        assert result.stopped and result.model_dir == str(out / "add1-tiny")
        card = read_card(out / "add1-tiny")
        assert card["training"]["stopped"] is True and card["training"]["epochs_done"] >= 1
        load_info(out / "add1-tiny")  # whole and loadable
        assert [p.name for p in out.iterdir()] == ["add1-tiny"]  # no temp left
        assert run_id not in manager.running_trainings()
    finally:
        manager.shutdown()
