"""The Training and Inside tabs with the real trainer and the real NumPy predictor.

Slow (TensorFlow import plus a few seconds of training on 2 cores): run with ``-m slow``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from calcapp.engine.manager import ModelManager
from calcapp.ui.inside.panel import InsidePanel
from calcapp.ui.training.panel import TrainingPanel

pytestmark = pytest.mark.slow

TF_TIMEOUT_MS = 240_000  # first run imports TensorFlow


@pytest.fixture
def manager(qtbot):
    pytest.importorskip("calcapp.arithmetic.trainer")
    m = ModelManager(warm=False)
    yield m
    m.shutdown(wait=True)


@pytest.fixture
def panel(qtbot, manager):
    p = TrainingPanel(manager, confirm=lambda *a: True)
    qtbot.addWidget(p)
    f = p.form
    f.task.setCurrentText("add1")
    f.architecture.setCurrentText("lstm")
    f.units.setValue(8)
    f.samples.setValue(300)
    f.batch.setValue(32)
    f.epochs.setValue(2)
    f.name.setText("gui-real-add1")
    f.extra_hparams = {"val_size": 50, "test_size": 50}
    return p


def test_real_run_draws_stores_activates_and_answers(qtbot, panel, manager):
    with qtbot.waitSignal(manager.training_finished, timeout=TF_TIMEOUT_MS) as done:
        run_id = panel.start()
    result = done.args[1]
    panel.flush()
    assert panel.curves.point_count(run_id) > 0
    assert len(panel.curves.series[run_id].epochs) == 2
    assert panel.samples.rowCount() > 0
    assert Path(result.model_dir, "model.keras").is_file()

    panel.runs.select(run_id)
    with qtbot.waitSignal(panel.model_activated, timeout=10000) as activated:
        panel.activate_button.click()
    name = activated.args[0]
    with qtbot.waitSignal(manager.answered, timeout=30000) as answered:
        manager.request_answer("3+4", model_name=name)
    ans = answered.args[1]
    assert ans.model == name and ans.neural is not None and ans.exact == "7"

    inside = InsidePanel(manager)
    qtbot.addWidget(inside)
    assert inside.select_model(name)
    qtbot.waitUntil(lambda: inside.inspection is not None, timeout=30000)
    inside.wait_for_jobs(120_000)
    qtbot.waitUntil(lambda: inside.errors.grid is not None and inside.states.map is not None,
                    timeout=120_000)
    assert inside.encoder.data.shape[0] == len(inside.inspection.input_chars)
    assert inside.errors.grid.ok.shape == (10, 10)
    assert len(inside.states.map.texts) == 100


def test_real_stop_keeps_a_checkpoint_that_loads(qtbot, panel, manager):
    panel.form.epochs.setValue(40)
    with qtbot.waitSignal(manager.training_epoch, timeout=TF_TIMEOUT_MS):
        run_id = panel.start()
    with qtbot.waitSignal(manager.training_finished, timeout=60_000) as done:
        panel.stop()
    result = done.args[1]
    assert result.stopped and result.model_dir
    from calcapp.arithmetic.predictor import load_predictor
    from calcapp.nets.registry import load_info

    predictor = load_predictor(load_info(Path(result.model_dir)))
    assert len(predictor.predict(["1+2", "9+9"])) == 2
    assert panel.store.get_run(run_id).status == "stopped"
