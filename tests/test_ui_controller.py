"""The calculator controller, without widgets: which replies reach the display and the
history, driven by a scripted manager."""

from __future__ import annotations

from types import SimpleNamespace

from PySide6.QtCore import QObject, Signal

from calcapp.ui.calculator.controller import CalculatorController


class ScriptedManager(QObject):
    answered = Signal(int, object)
    recognized = Signal(int, object)
    failed = Signal(int, str)

    def __init__(self):
        super().__init__()
        self.requests = []

    def request_answer(self, text, model_name=None, channel="typing"):
        self.requests.append(("answer", text, channel))
        return len(self.requests)

    def request_recognize(self, strokes, and_answer=False, model_name=None):
        self.requests.append(("recognize", len(strokes), and_answer))
        return len(self.requests)


def answer(text, error=None):
    return SimpleNamespace(input=text, error=error)


def make(qtbot):
    manager = ScriptedManager()
    controller = CalculatorController(manager, lambda: None)
    shown, kept, cleared = [], [], []
    controller.answer_ready.connect(lambda a, final: shown.append((a.input, final)))
    controller.answer_kept.connect(lambda a, source: kept.append((a.input, source)))
    controller.answer_cleared.connect(lambda: cleared.append(True))
    return manager, controller, shown, kept, cleared


def test_only_the_newest_inputs_answer_is_shown(qtbot):
    manager, controller, shown, _kept, _ = make(qtbot)
    controller.text_changed("1")
    controller.text_changed("1+2")
    manager.answered.emit(2, answer("1+2"))
    manager.answered.emit(1, answer("1"))  # late: an older input's answer
    assert shown == [("1+2", False)]


def test_an_enter_lands_in_the_history_even_after_more_typing(qtbot):
    manager, controller, shown, kept, _ = make(qtbot)
    controller.came_from("history")
    controller.compute("5+6")
    controller.typed()
    controller.text_changed("7+")
    assert [r[2] for r in manager.requests] == ["enter-1", "typing"]
    manager.answered.emit(1, answer("5+6"))
    manager.answered.emit(2, answer("7+"))
    assert kept == [("5+6", "history")]
    assert shown == [("7+", False)]


def test_an_empty_input_clears_the_answer_and_ignores_late_replies(qtbot):
    manager, controller, shown, _kept, cleared = make(qtbot)
    controller.text_changed("3")
    controller.text_changed(" ")
    manager.answered.emit(1, answer("3"))
    assert cleared == [True] and shown == []


def test_ink_read_with_its_answer_needs_no_second_request(qtbot):
    manager, controller, shown, _kept, _ = make(qtbot)
    readings = []
    controller.reading_ready.connect(lambda rid, r, version: readings.append((rid, version)))
    controller.ink_changed([object(), object()], version=4)
    manager.recognized.emit(1, SimpleNamespace(expression="1+1"))
    assert readings == [(1, 4)]
    controller.ink_text_shown(1, "1+1", "1+1", shown="")
    controller.text_changed("1+1")  # the window shows the reading's text
    assert len(manager.requests) == 1
    manager.answered.emit(1, answer("1+1"))
    assert shown == [("1+1", False)]


def test_failures_go_to_the_display_or_the_canvas(qtbot):
    manager, controller, *_ = make(qtbot)
    answer_errors, ink_errors = [], []
    controller.answer_failed.connect(answer_errors.append)
    controller.reading_failed.connect(ink_errors.append)
    controller.text_changed("1+")
    controller.ink_changed([object()], version=1)
    manager.failed.emit(1, "no model named 'x'")
    manager.failed.emit(2, "the recognizer is not installed")
    manager.failed.emit(99, "someone else's request")
    assert answer_errors == ["no model named 'x'"]
    assert ink_errors == ["the recognizer is not installed"]


def test_history_steps_stay_inside_the_list(qtbot):
    _manager, controller, *_ = make(qtbot)
    assert [controller.step_history(+1, 2) for _ in range(3)] == [0, 1, 1]
    assert [controller.step_history(-1, 2) for _ in range(3)] == [0, -1, -1]
