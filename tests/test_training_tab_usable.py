"""Issue 18: the Training tab as a first-timer finds it. Every control in view at 980x680
and 800x600 (only the hyperparameters scroll), nothing moves when a run starts, Stop
disables the other buttons and ends at once, runs never share a name, and "Make active
model" asks before a weaker model takes over."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractButton, QAbstractItemView, QAbstractSpinBox, QComboBox, QLineEdit, QProgressBar,
    QWidget,
)

from calcapp.nets.registry import next_free_name
from calcapp.ui.training.activation import activation_warning
from calcapp.ui.training.form import SetupForm
from test_ui_fakes import fake_model
from test_ui_window import make_window, window  # noqa: F401 (window: the fixture)

CONTROLS = (QAbstractButton, QComboBox, QAbstractSpinBox, QLineEdit, QProgressBar,
            QAbstractItemView)


def _training(qtbot, window, size):
    window.resize(*size)
    panel = window.panel("Training")
    window.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: panel.isVisible() and panel.width() > 100, timeout=5000)
    qtbot.wait(50)
    return panel


def _clipped(panel) -> list[str]:
    """Controls outside the hyperparameter scroll area that are not wholly on screen."""
    scroll = panel.form.scroll
    out = []
    for w in panel.findChildren(QWidget):
        if not isinstance(w, CONTROLS) or not w.isVisibleTo(panel) or scroll.isAncestorOf(w):
            continue
        if isinstance(w.parent(), (QComboBox, QAbstractSpinBox, QAbstractItemView)):
            continue  # a combo box's or a table's own parts
        if not w.isVisible():
            continue
        if w.visibleRegion().boundingRect().size() != w.size():
            out.append(f"{type(w).__name__} {getattr(w, 'text', lambda: '')()!r}")
    return out


@pytest.mark.parametrize("size", [(980, 680), (800, 600)])
def test_every_control_is_in_view_and_chart_titles_fit(qtbot, window, size):
    panel = _training(qtbot, window, size)
    assert _clipped(panel) == []
    for button in (panel.stop_button, panel.runs.export_button, panel.runs.delete_button,
                   panel.activate_button):
        assert button.isVisible()
    for plot in (panel.curves.loss_plot, panel.curves.acc_plot, panel.curves.batch_plot):
        title = plot.plotItem.titleLabel.item.boundingRect().width()
        assert title < plot.width() - 10


def test_nothing_moves_when_a_run_starts_and_stop_disables_the_rest(qtbot, window):
    panel = _training(qtbot, window, (800, 600))
    watched = [panel.start_button, panel.pause_button, panel.resume_button, panel.stop_button,
               panel.progress, panel.activate_button, panel.runs, panel.form.epochs]
    before = [w.mapTo(window, w.rect().topLeft()) for w in watched]
    with qtbot.waitSignal(window.manager.training_epoch, timeout=10000):
        run_id = panel.start()
    qtbot.wait(250)  # progress text, status and curves have changed
    after = [w.mapTo(window, w.rect().topLeft()) for w in watched]
    assert after == before
    with qtbot.waitSignal(window.manager.training_finished, timeout=5000):
        panel.stop()
        assert not any(b.isEnabled() for b in (panel.start_button, panel.pause_button,
                                               panel.resume_button, panel.stop_button))
    assert panel.store.get_run(run_id).status == "stopped"
    assert panel.start_button.isEnabled()


def test_two_runs_never_share_a_name(qtbot, window, tmp_path):
    panel = _training(qtbot, window, (980, 680))
    names = []
    for _ in range(2):
        with qtbot.waitSignal(window.manager.training_finished, timeout=10000):
            run_id = panel.start()
            panel.stop()
        names.append(panel.store.get_run(run_id).name)
    assert names == ["add1-attention", "add1-attention-2"]
    assert next_free_name("m", tmp_path, {"m", "m-2"}) == "m-3" and next_free_name("m", tmp_path, set()) == "m"


def test_defaults_are_the_benchmarked_ones():
    form = SetupForm()
    config = form.config()
    assert (config.task.name, config.architecture) == ("add1", "attention")
    assert config.hparams["target_exact"] == 1.0 and config.hparams["epochs"] >= 10


def test_make_active_asks_before_a_weaker_model(qtbot, tmp_path):
    strong = fake_model(tmp_path, name="add1-tiny", preset="add1", accuracy=1.0)
    weak = fake_model(tmp_path / "w", name="mine", preset="add1", accuracy=0.06)
    weak.card.pop("goal")
    warning = activation_warning(weak, [strong, weak])
    assert "6.0%" in warning and "add1-tiny" in warning and "100.0%" in warning
    alone = activation_warning(weak, [weak])
    assert "below its task's goal of 100.0%" in alone
    assert activation_warning(strong, [strong, weak]) is None

    from calcapp.engine.manager import ModelManager
    from calcapp.ui.training.panel import TrainingPanel
    from test_training_gui_fakes import fake_train

    manager = ModelManager(train_fn=fake_train, models_loader=lambda: [strong], warm=False)
    asked = []
    panel = TrainingPanel(manager, confirm=lambda parent, title, q: asked.append(q) or False)
    qtbot.addWidget(panel)
    try:
        panel.form.epochs.setValue(1)
        with qtbot.waitSignal(manager.training_finished, timeout=10000):
            run_id = panel.start()
        with qtbot.assertNotEmitted(panel.model_activated):
            assert panel.activate(run_id) is None  # the fake run's model: 30% exact
        assert "add1-tiny" in asked[0] and "30.0%" in asked[0]
        panel.confirm = lambda *a: True  # "yes, anyway"
        with qtbot.waitSignal(panel.model_activated, timeout=5000):
            assert panel.activate(run_id) == "add1-attention"
    finally:
        manager.shutdown(wait=True)


def _plot_colours(plot) -> tuple[str, str, str, str]:
    """(background, left axis pen, bottom axis text pen, title colour) of a PlotWidget."""
    item = plot.getPlotItem()
    return (plot.backgroundBrush().color().name(), item.getAxis("left").pen().color().name(),
            item.getAxis("bottom").textPen().color().name(),
            item.titleLabel.opts.get("color") or "")


def test_charts_built_before_a_theme_switch_follow_it(qtbot, window, monkeypatch):
    from calcapp.ui.inside.views import ErrorMapView, HeatmapView

    monkeypatch.delenv("CALCAPP_THEME", raising=False)
    try:
        window.set_theme("light")
        curves = window.panel("Training").curves  # built in the light theme
        inside = [HeatmapView("attention", "input", "output"), ErrorMapView()]
        for view in inside:
            qtbot.addWidget(view)
        plots = [curves.batch_plot, curves.loss_plot, curves.acc_plot] + [v.plot for v in inside]
        light = [_plot_colours(p) for p in plots]
        window.set_theme("dark")  # the palette change reaches the charts as an event
        qtbot.waitUntil(lambda: [_plot_colours(p) for p in plots] != light, timeout=5000)
        qtbot.wait(50)
        for before, after in zip(light, [_plot_colours(p) for p in plots]):
            assert all(b != a for b, a in zip(before, after)), (before, after)
            assert QColor(after[0]).lightness() < 100 < QColor(after[1]).lightness()
        window.set_theme("light")
        qtbot.waitUntil(lambda: [_plot_colours(p) for p in plots] == light, timeout=5000)
    finally:
        window.set_theme("system")
