"""A real (tiny) training in a child process, driven through the manager: progress
signals, pause, stop keeping the best checkpoint, and the device probe. Slow: the child
imports TensorFlow."""

import pytest

from calcapp.engine.manager import ModelManager

pytestmark = pytest.mark.slow


def tiny_config(epochs=30):
    from calcapp.arithmetic.recipes import load_recipe

    return load_recipe("add1-tiny").with_overrides(
        epochs=epochs, samples_per_epoch=640, val_size=50, test_size=50, target_exact=None)


def test_child_training_reports_pauses_and_stops_with_a_checkpoint(qtbot, tmp_path):
    manager = ModelManager(models_loader=list, warm=False)
    try:
        epochs = []
        manager.training_epoch.connect(lambda rid, rep: epochs.append(rep.epoch))
        with qtbot.waitSignal(manager.training_started, timeout=120_000):
            run_id = manager.start_training(tiny_config(), out_dir=str(tmp_path))
        assert manager.tf_state in ("CPU",) or manager.tf_state.startswith("GPU")
        qtbot.waitUntil(lambda: len(epochs) >= 2, timeout=120_000)
        manager.pause_training(run_id)
        assert manager.is_paused(run_id)
        qtbot.wait(500)
        paused_at = len(epochs)
        qtbot.wait(1500)
        assert len(epochs) <= paused_at + 1  # at most the epoch that was running
        manager.resume_training(run_id)
        with qtbot.waitSignal(manager.training_finished, timeout=120_000) as blocker:
            manager.stop_training(run_id)
        result = blocker.args[1]
        assert result.stopped and result.model_dir
        assert (tmp_path / "add1-tiny" / "card.json").is_file()
        assert run_id not in manager.running_trainings()
    finally:
        manager.shutdown()


def test_the_device_probe_names_cpu_or_gpu(qtbot):
    manager = ModelManager(models_loader=list, warm=False)
    try:
        states = []
        manager.tf_status.connect(states.append)
        manager.start_tf()
        qtbot.waitUntil(lambda: len(states) >= 2, timeout=120_000)
        assert states[0] == "loading"
        assert states[-1] == "CPU" or states[-1].startswith("GPU")
    finally:
        manager.shutdown()
