"""The "Inside the model" tab renders a model's data (fake predictor: no TensorFlow)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from calcapp.paths import user_models_dir
from calcapp.expr.tasks import PRESETS
from calcapp.engine.manager import ModelManager
from calcapp.ui.inside.grids import error_grid, pca, state_inputs, state_map
from calcapp.ui.inside.panel import InsidePanel
from test_training_gui_fakes import FakeInsidePredictor


def _install(name: str, preset: str) -> None:
    folder = user_models_dir() / name
    folder.mkdir(parents=True)
    (folder / "model.keras").write_bytes(b"fake")
    card = {"name": name, "kind": "calculator", "architecture": "attention",
            "task": PRESETS[preset].to_dict(), "metrics": {"exact_match": 0.9}}
    (folder / "card.json").write_text(json.dumps(card))


@pytest.fixture
def manager(qtbot):
    _install("tiny-add1", "add1")
    _install("tiny-add3", "add3")
    m = ModelManager(predictor_for=FakeInsidePredictor, warm=False)
    yield m
    m.shutdown(wait=True)


# -- pure computations ----------------------------------------------------------------------
def test_error_grid_marks_exactly_the_wrong_cells():
    spec = PRESETS["add1"]
    grid = error_grid(FakeInsidePredictor(type("I", (), {"task": spec})()), spec)
    assert grid.ok.shape == (10, 10)
    wrong = {(a, b) for a in range(10) for b in range(10) if not grid.ok[a, b]}
    assert wrong == {(6, 6), (7, 7), (8, 8), (9, 9)}
    assert grid.describe(7, 7) == "7+7 → 15   wrong (should be 14)"
    assert grid.accuracy == pytest.approx(0.96)


def test_state_map_uses_all_100_inputs_for_one_digit_addition():
    spec = PRESETS["add1"]
    m = state_map(FakeInsidePredictor(type("I", (), {"task": spec})()), spec)
    assert m.kind == "sum" and len(m.texts) == 100
    assert sorted(set(m.x)) == list(range(19))  # a+b from 0 to 18


def test_larger_tasks_get_a_pca_projection_coloured_by_answer():
    spec = PRESETS["add3"]
    texts = state_inputs(spec, n=40)
    assert len(set(texts)) == 40
    m = state_map(FakeInsidePredictor(type("I", (), {"task": spec})()), spec, texts)
    assert m.kind == "pca" and m.x.shape == (40,) and np.isfinite(m.values).all()


def test_pca_finds_the_main_direction():
    rng = np.random.default_rng(0)
    t = rng.normal(size=200)
    data = np.stack([t, 2 * t, 0.01 * rng.normal(size=200)], axis=1)
    proj, share = pca(data, 2)
    assert share[0] > 0.99
    assert abs(np.corrcoef(proj[:, 0], t)[0, 1]) > 0.999


# -- the panel ------------------------------------------------------------------------------
def test_panel_renders_a_tiny_models_views(qtbot, manager):
    panel = InsidePanel(manager)
    qtbot.addWidget(panel)
    panel.resize(1200, 800)
    panel.show()
    with qtbot.waitSignal(manager.inspected, timeout=5000):
        assert panel.select_model("tiny-add1")
    qtbot.waitUntil(lambda: panel.inspection is not None, timeout=5000)
    panel.wait_for_jobs()
    qtbot.waitUntil(lambda: panel.errors.grid is not None and panel.states.map is not None,
                    timeout=10000)
    ins = panel.inspection
    assert panel.encoder.data.shape == (len(ins.input_chars), FakeInsidePredictor.units)
    assert panel.attention.data.shape == (len(ins.output_chars), len(ins.input_chars))
    assert panel.confidence.values == pytest.approx(list(ins.confidence))
    assert panel.states.map.kind == "sum"
    assert panel.errors.grid.ok.shape == (10, 10)
    assert panel.errors.describe_at(7.5, 7.5).startswith("7+7 → 15")
    image = panel.grab().toImage()
    assert image.width() > 0

    # a new expression is inspected again through the manager
    with qtbot.waitSignal(manager.inspected, timeout=5000):
        panel.expression.setText("9+9")
    qtbot.waitUntil(lambda: "".join(panel.inspection.input_chars) == "9+9", timeout=5000)
    assert "".join(panel.inspection.output_chars) == "19"


def test_a_three_digit_model_gets_the_projection_and_a_100x100_map(qtbot, manager):
    panel = InsidePanel(manager)
    qtbot.addWidget(panel)
    assert panel.select_model("tiny-add3")
    panel.wait_for_jobs()
    qtbot.waitUntil(lambda: panel.states.map is not None and panel.errors.grid is not None,
                    timeout=20000)
    assert panel.states.map.kind == "pca"
    assert panel.errors.grid.ok.shape == (100, 100)


def test_an_expression_outside_the_task_is_reported_not_raised(qtbot, manager):
    panel = InsidePanel(manager)
    qtbot.addWidget(panel)
    panel.select_model("tiny-add1")
    with qtbot.waitSignal(manager.failed, timeout=5000):
        panel.expression.setText("2*(3")
    qtbot.waitUntil(lambda: panel.status.text() != "", timeout=5000)
    panel.wait_for_jobs()


def test_views_follow_a_training_run_of_the_selected_model(qtbot, manager):
    from calcapp.nets.events import EpochReport

    panel = InsidePanel(manager)
    qtbot.addWidget(panel)
    panel.show()
    manager.training_started.emit("run-1", {"name": "fresh-add1"})
    _install("fresh-add1", "add1")  # the trainer's first checkpoint
    manager.training_epoch.emit("run-1", EpochReport(1, 3, 10, 1.0, 1.0, 0.5, 0.1))
    assert panel.model.findText("fresh-add1") >= 0
    assert panel.select_model("fresh-add1")
    panel.wait_for_jobs()
    panel.inspection = None
    with qtbot.waitSignal(panel.grids_done, timeout=10000):
        manager.training_epoch.emit("run-1", EpochReport(2, 3, 20, 0.5, 0.5, 0.9, 0.6))
    qtbot.waitUntil(lambda: panel.inspection is not None, timeout=5000)
    panel.wait_for_jobs()


def test_hovering_the_error_map_reads_the_cell(qtbot):
    from PySide6.QtCore import QPointF

    from calcapp.ui.inside.views import ErrorMapView

    spec = PRESETS["add1"]
    view = ErrorMapView()
    qtbot.addWidget(view)
    view.set_data(error_grid(FakeInsidePredictor(type("I", (), {"task": spec})()), spec))

    class Hover:
        def isExit(self):
            return False

        def pos(self):
            return QPointF(8.4, 8.9)  # b = 8, a = 8

    with qtbot.waitSignal(view.hovered, timeout=1000) as blocker:
        view.image.hoverEvent(Hover())
    assert blocker.args[0] == "8+8 → 17   wrong (should be 16)"
    assert view.image.toolTip() == blocker.args[0]


def test_status_shows_the_answer_and_the_written_order(qtbot, manager):
    panel = InsidePanel(manager)
    qtbot.addWidget(panel)
    panel.select_model("tiny-add1")
    with qtbot.waitSignal(manager.answered, timeout=5000):
        panel.expression.setText("8+8")
    qtbot.waitUntil(lambda: panel.answer is not None and panel.inspection is not None
                    and "".join(panel.inspection.input_chars) == "8+8", timeout=5000)
    assert "8+8 → 17" in panel.status.text() and "\u2612" in panel.status.text()
    panel.wait_for_jobs()


def test_the_grids_are_computed_off_the_gui_thread_by_the_engine(qtbot):
    import threading

    _install("tiny-add1", "add1")
    threads = set()

    class Recording(FakeInsidePredictor):
        def predict(self, texts):
            threads.add(threading.current_thread().name)
            return super().predict(texts)

        def inspect(self, text):
            threads.add(threading.current_thread().name)
            return super().inspect(text)

    m = ModelManager(predictor_for=Recording, warm=False)
    try:
        panel = InsidePanel(m)  # no predictor of its own: the engine lends it one
        qtbot.addWidget(panel)
        assert panel.select_model("tiny-add1")
        panel.wait_for_jobs()
        qtbot.waitUntil(lambda: panel.errors.grid is not None and panel.states.map is not None,
                        timeout=10000)
        assert threads and threading.main_thread().name not in threads
        assert {job.thread_name.rsplit("-", 1)[0] for job in panel.jobs.values()} == {
            "calcapp-views"}
    finally:
        m.shutdown(wait=True)


def test_the_error_map_reads_answers_as_the_calculator_shows_them():
    """A leading zero is dropped before judging, as the ✓ does (issue 18): 0+0 written 00 is
    right in both places, and a wrong digit stays wrong."""
    spec = PRESETS["add1"]

    class Zeros:
        def predict(self, texts):
            out = {"0+0": "00", "1+1": "03"}
            return [type("P", (), {"text": out.get(t, str(sum(map(int, t.split("+")))))})()
                    for t in texts]

    grid = error_grid(Zeros(), spec)
    assert grid.ok[0, 0] and not grid.ok[1, 1]
    assert grid.describe(1, 1) == "1+1 → 3   wrong (should be 2)"
