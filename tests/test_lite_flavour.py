"""The lite build has no TensorFlow: training is refused in words, everything else works."""

from __future__ import annotations


from calcapp.cli import main
from calcapp.nets import availability


def test_full_install_can_train():
    assert availability.training_unavailable() is None


def test_cli_train_refuses_without_tensorflow(monkeypatch, capsys):
    monkeypatch.setattr(availability.importlib.util, "find_spec", lambda name: None)
    assert main(["train", "--recipe", "add1-tiny", "--epochs", "1"]) == 2
    err = capsys.readouterr().err
    assert "training needs TensorFlow" in err and "Traceback" not in err


def test_training_tab_disables_start_without_tensorflow(qtbot, monkeypatch):
    from calcapp.engine.manager import ModelManager
    from calcapp.ui.training import panel as training_panel

    monkeypatch.setattr(training_panel, "training_unavailable", lambda: availability.NO_TENSORFLOW)
    manager = ModelManager(warm=False)
    try:
        panel = training_panel.TrainingPanel(manager)
        qtbot.addWidget(panel)
        assert not panel.start_button.isEnabled()
        assert "TensorFlow" in panel.start_button.toolTip()
    finally:
        manager.shutdown(wait=True)


def test_answers_need_no_tensorflow(monkeypatch, capsys):
    monkeypatch.setattr(availability.importlib.util, "find_spec", lambda name: None)
    assert main(["compute", "--json", "12+34"]) == 0
    assert '"neural": "46"' in capsys.readouterr().out
