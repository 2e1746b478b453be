"""The window with a real model manager and fake models: typing, clicking, history,
ink from synthetic strokes and tablet events, corrections, errors and closing."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QGuiApplication, QInputDevice, QPointingDevice, QTabletEvent
from PySide6.QtWidgets import QApplication

from calcapp.ink.strokes import Point, Stroke
from calcapp.engine.history import HistoryStore
from calcapp.engine.manager import ModelManager
from calcapp.ui.main_window import MainWindow
from test_ui_fakes import FakePredictor, FakeRecognizer, FakeTrainer, fake_model


def make_window(qtbot, tmp_path, saved=None, confirm=None, recognizer=FakeRecognizer):
    info = fake_model(tmp_path)
    manager = ModelManager(
        predictor_for=lambda i: FakePredictor(i, wrong={"100+3": "1903"}),
        recognizer_loader=recognizer, models_loader=lambda: [info],
        train_fn=FakeTrainer(epochs=10_000, steps=10, delay=0.01),
    )
    saved = saved if saved is not None else []
    window = MainWindow(manager, start_tf=False,
                        sample_saver=lambda strokes, label, line=None: saved.append((strokes, label)),
                        confirm=confirm or (lambda *a: True))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


@pytest.fixture
def window(qtbot, tmp_path):
    w = make_window(qtbot, tmp_path)
    yield w
    if not w.manager.closed:
        w.close()


def wait_summary(qtbot, window, expected):
    qtbot.waitUntil(lambda: window.display.summary() == expected, timeout=5000)


def test_typing_shows_both_answers_and_marks_a_difference(qtbot, window):
    qtbot.keyClicks(window.display.edit, "100+3")
    wait_summary(qtbot, window, "network 1903 \u2717 exact 103")
    assert "answered by add3-fake" in window.display.model_label.text()
    assert window.model_label.text() == "model: add3-fake (auto)"


def test_the_status_names_the_chosen_model_even_when_nothing_answers(qtbot, window):
    qtbot.keyClicks(window.display.edit, "100+3")
    wait_summary(qtbot, window, "network 1903 \u2717 exact 103")
    qtbot.keyClicks(window.display.edit, "+(")  # a parse error: no answer comes
    window.picker.select("add3-fake")
    assert window.model_label.text() == "model: add3-fake"
    window.picker.select(None)
    assert window.model_label.text() == "model: auto"


def test_typed_operators_are_typeset(qtbot, window):
    qtbot.keyClicks(window.display.edit, "6*7")
    assert window.display.text() == "6\u00d77"
    wait_summary(qtbot, window, "network - exact 42")  # add3 does not cover ×


def test_clicking_keys_produces_the_same_display(qtbot, window):
    for key in ["1", "2", "+", "3", "4"]:
        qtbot.mouseClick(window.keypad.buttons[key], Qt.LeftButton)
    assert window.display.text() == "12+34"
    wait_summary(qtbot, window, "network 46 \u2713 exact 46")
    qtbot.mouseClick(window.keypad.buttons["\u232b"], Qt.LeftButton)
    assert window.display.text() == "12+3"
    qtbot.mouseClick(window.keypad.buttons["C"], Qt.LeftButton)
    assert window.display.text() == "" and window.display.summary() == ""


def test_outside_the_task_still_shows_the_exact_answer(qtbot, window):
    qtbot.keyClicks(window.display.edit, "1.5+2")
    wait_summary(qtbot, window, "network - exact 3.5")
    assert "exact answer is shown" in window.display.model_label.text()


def test_errors_are_words_with_the_position(qtbot, window):
    qtbot.keyClicks(window.display.edit, "12+)")
    qtbot.keyClick(window.display.edit, Qt.Key_Return)
    qtbot.waitUntil(lambda: "at 4" in window.display.error_label.text(), timeout=5000)
    assert "at 4" in window.display.error_label.text()
    assert window.history.entries() == []


def test_enter_equals_escape_backspace_and_history_keys(qtbot, window):
    edit = window.display.edit
    qtbot.keyClicks(edit, "1+1")
    qtbot.keyClick(edit, Qt.Key_Return)
    qtbot.waitUntil(lambda: len(window.history.entries()) == 1, timeout=5000)
    qtbot.keyClick(edit, Qt.Key_Escape)
    assert edit.text() == ""
    qtbot.keyClicks(edit, "2+22")
    qtbot.keyClick(edit, Qt.Key_Backspace)
    assert edit.text() == "2+2"
    qtbot.keyClicks(edit, "=")  # '=' computes, it is not typed
    qtbot.waitUntil(lambda: len(window.history.entries()) == 2, timeout=5000)
    assert edit.text() == "2+2"
    entry = window.history.entries()[0]
    assert (entry.expression, entry.exact, entry.neural, entry.model) == ("2+2", "4", "4",
                                                                          "add3-fake")
    qtbot.keyClick(edit, Qt.Key_Escape)
    qtbot.keyClick(edit, Qt.Key_Up)
    assert edit.text() == "2+2"
    qtbot.keyClick(edit, Qt.Key_Up)
    assert edit.text() == "1+1"
    qtbot.keyClick(edit, Qt.Key_Down)
    assert edit.text() == "2+2"


def test_after_enter_a_digit_starts_afresh_and_an_operator_goes_on(qtbot, window):
    edit = window.display.edit

    def enter(text):
        qtbot.keyClicks(edit, text)
        qtbot.keyClick(edit, Qt.Key_Return)
        qtbot.waitUntil(edit.just_computed, timeout=5000)

    enter("12+34")
    assert edit.selectedText() == "12+34"  # still in sight, marked as what the next key replaces
    qtbot.keyClicks(edit, "47")  # not 12+3447
    assert edit.text() == "47"
    qtbot.keyClick(edit, Qt.Key_Escape)
    enter("12+34")
    qtbot.keyClicks(edit, "+5")
    assert edit.text() == "12+34+5"
    qtbot.keyClick(edit, Qt.Key_Escape)
    enter("12+34")
    qtbot.keyClicks(edit, "*2")  # × binds tighter: the answer goes on in brackets
    assert edit.text() == "(12+34)\u00d72"
    wait_summary(qtbot, window, "network - exact 92")
    qtbot.keyClick(edit, Qt.Key_Escape)
    enter("12+34")
    qtbot.keyClick(edit, Qt.Key_C, Qt.ControlModifier)  # the result, as when nothing is selected
    assert QGuiApplication.clipboard().text() == "46"
    qtbot.keyClick(edit, Qt.Key_Backspace)  # one character, not the whole expression
    assert edit.text() == "12+3"
    qtbot.keyClick(edit, Qt.Key_Escape)
    enter("12+34")
    window.history.list.setFocus()  # keys typed elsewhere on the tab come to the expression
    qtbot.waitUntil(window.history.list.hasFocus, timeout=2000)
    qtbot.keyClick(window.history.list, "4")
    assert edit.text() == "4"
    qtbot.keyClick(edit, Qt.Key_Escape)
    enter("42")
    qtbot.mouseClick(window.keypad.buttons["\u00f7"], Qt.LeftButton)  # the keypad alike
    qtbot.mouseClick(window.keypad.buttons["7"], Qt.LeftButton)
    assert edit.text() == "42\u00f77"


def test_after_an_error_typing_goes_on_where_it_was(qtbot, window):
    edit = window.display.edit
    qtbot.keyClicks(edit, "12+")
    qtbot.keyClick(edit, Qt.Key_Return)
    qtbot.waitUntil(lambda: window.display.answer is not None and window.display.answer.input == "12+",
                    timeout=5000)
    qtbot.keyClicks(edit, "3")
    assert edit.text() == "12+3" and not edit.just_computed()


def test_ctrl_c_copies_the_result_and_ctrl_v_pastes(qtbot, window):
    edit = window.display.edit
    QGuiApplication.clipboard().setText("12+30=\nsecond line")
    qtbot.keyClick(edit, Qt.Key_V, Qt.ControlModifier)
    assert edit.text() == "12+30"
    wait_summary(qtbot, window, "network 42 \u2713 exact 42")
    qtbot.keyClick(edit, Qt.Key_C, Qt.ControlModifier)
    assert QGuiApplication.clipboard().text() == "42"


def test_history_click_reuses_and_clear_empties(qtbot, window):
    edit = window.display.edit
    qtbot.keyClicks(edit, "7+8")
    qtbot.keyClick(edit, Qt.Key_Return)
    qtbot.waitUntil(lambda: window.history.list.count() == 1, timeout=5000)
    qtbot.keyClick(edit, Qt.Key_Escape)
    item = window.history.list.item(0)
    assert "7+8 = 15" in item.text() and "add3-fake" in item.text()
    window.history.list.itemClicked.emit(item)
    assert edit.text() == "7+8"
    window.history.copy_selected()
    assert "7+8 = 15" in QGuiApplication.clipboard().text()
    window.history.clear()
    assert window.history.list.count() == 0 and window.history_store.count() == 0


def test_history_persists_across_a_restart(qtbot, tmp_path):
    first = make_window(qtbot, tmp_path)
    qtbot.keyClicks(first.display.edit, "100+3")
    qtbot.keyClick(first.display.edit, Qt.Key_Return)
    qtbot.waitUntil(lambda: first.history.list.count() == 1, timeout=5000)
    first.close()
    assert first.manager.closed
    second = make_window(qtbot, tmp_path)
    try:
        entries = second.history.entries()
        assert [(e.expression, e.neural, e.exact, e.match) for e in entries] == [
            ("100+3", "1903", "103", False)]
        assert HistoryStore().journal_mode.lower() == "wal"
    finally:
        second.close()


def line(x0, y0, x1, y1, n=12):
    return Stroke([Point(x0 + (x1 - x0) * i / (n - 1), y0 + (y1 - y0) * i / (n - 1), i * 0.01)
                   for i in range(n)])


def test_synthetic_strokes_are_recognised_and_answered(qtbot, window):
    canvas = window.canvas
    canvas.add_stroke(line(20, 20, 22, 80))       # '1'
    canvas.add_stroke(line(50, 30, 80, 60))       # '+' (the fake reads a diagonal as '+')
    canvas.add_stroke(line(110, 20, 112, 80))     # '1'
    qtbot.waitUntil(lambda: window.display.text() == "1+1", timeout=5000)
    wait_summary(qtbot, window, "network 2 \u2713 exact 2")
    assert [s.label for s in canvas.reading.symbols] == ["1", "+", "1"]
    qtbot.keyClick(window.display.edit, Qt.Key_Return)
    qtbot.waitUntil(lambda: window.history.list.count() == 1, timeout=5000)
    assert window.history.entries()[0].source == "ink"


def test_a_correction_is_saved_as_a_sample_and_changes_the_expression(qtbot, tmp_path):
    saved = []
    window = make_window(qtbot, tmp_path, saved=saved)
    try:
        canvas = window.canvas
        canvas.add_stroke(line(20, 20, 22, 80))
        canvas.add_stroke(line(50, 30, 80, 60))
        canvas.add_stroke(line(110, 20, 112, 80))
        qtbot.waitUntil(lambda: window.display.text() == "1+1", timeout=5000)
        menu = canvas.symbol_menu(2)
        labels = [a.text().split()[0] for a in menu.actions() if a.text()]
        assert labels[:3] == ["1", "7", "4"] and "Retype\u2026" in labels
        next(a for a in menu.actions() if a.text().startswith("7")).trigger()
        assert window.display.text() == "1+7"
        assert saved and saved[0][1] == "7" and saved[0][0][0].points[0].x == 110
        wait_summary(qtbot, window, "network 8 \u2713 exact 8")
        # the correction sticks when more ink arrives
        canvas.add_stroke(line(140, 50, 170, 51))
        qtbot.waitUntil(lambda: window.display.text() == "1+7-", timeout=5000)
    finally:
        window.close()


def test_scratch_out_undo_redo_and_clear(qtbot, window):
    canvas = window.canvas
    canvas.add_stroke(line(20, 20, 22, 80))
    canvas.add_stroke(line(60, 20, 62, 80))
    qtbot.waitUntil(lambda: window.display.text() == "11", timeout=5000)
    zigzag = Stroke([Point(45 + (25 if i % 2 else 0), 30 + 4 * i, i * 0.01) for i in range(12)])
    canvas.add_stroke(zigzag)
    assert len(canvas.strokes) == 1 and canvas.strokes[0].points[0].x == 20
    qtbot.waitUntil(lambda: window.display.text() == "1", timeout=5000)
    canvas.undo()
    assert len(canvas.strokes) == 2
    canvas.redo()
    assert len(canvas.strokes) == 1
    assert window.canvas_panel.undo_button.isEnabled()
    canvas.clear()
    assert canvas.strokes == [] and not window.canvas_panel.clear_button.isEnabled()


def _tablet(canvas, kind, x, y, pressure, pointer=QPointingDevice.PointerType.Pen):
    device = QPointingDevice("test pen", 7, QInputDevice.DeviceType.Stylus, pointer,
                             QInputDevice.Capability.Position | QInputDevice.Capability.Pressure,
                             1, 2)
    pos = QPointF(x, y)
    button = Qt.NoButton if kind == QEvent.TabletMove else Qt.LeftButton
    event = QTabletEvent(kind, device, pos, canvas.mapToGlobal(pos), pressure, 0, 0, 0, 0, 0,
                         Qt.NoModifier, button, Qt.LeftButton)
    QApplication.sendEvent(canvas, event)


def test_tablet_pen_draws_with_pressure_and_the_eraser_erases(qtbot, window):
    canvas = window.canvas
    _tablet(canvas, QEvent.TabletPress, 30, 20, 0.2)
    for i in range(1, 10):
        _tablet(canvas, QEvent.TabletMove, 30, 20 + 7 * i, 0.2 + 0.08 * i)
    _tablet(canvas, QEvent.TabletRelease, 30, 83, 0.0)
    assert len(canvas.strokes) == 1
    pressures = [p.pressure for p in canvas.strokes[0].points]
    assert pressures[0] == pytest.approx(0.2) and max(pressures) > 0.9
    qtbot.waitUntil(lambda: window.display.text() == "1", timeout=5000)
    eraser = QPointingDevice.PointerType.Eraser
    _tablet(canvas, QEvent.TabletPress, 31, 50, 0.5, eraser)
    _tablet(canvas, QEvent.TabletRelease, 31, 50, 0.0, eraser)
    assert canvas.strokes == []


def test_mouse_drawing_makes_a_stroke(qtbot, window):
    canvas = window.canvas
    qtbot.mousePress(canvas, Qt.LeftButton, pos=QPointF(40, 20).toPoint())
    for y in range(25, 90, 5):
        qtbot.mouseMove(canvas, QPointF(41, y).toPoint())
    qtbot.mouseRelease(canvas, Qt.LeftButton, pos=QPointF(41, 90).toPoint())
    assert len(canvas.strokes) == 1 and len(canvas.strokes[0].points) > 5
    qtbot.waitUntil(lambda: window.display.text() == "1", timeout=5000)


def test_a_missing_recognizer_is_said_in_words(qtbot, tmp_path):
    def missing():
        raise ImportError("no module", name="calcapp.handwriting.recognizer")

    window = make_window(qtbot, tmp_path, recognizer=missing)
    try:
        window.canvas.add_stroke(line(20, 20, 22, 80))
        qtbot.waitUntil(lambda: "not installed" in window.canvas_panel.status.text(),
                        timeout=5000)
    finally:
        window.close()


def test_model_picker_lists_models_and_forces_one(qtbot, window):
    assert window.picker.model_names() == ["add3-fake"]
    assert "task add3" in window.picker.itemText(1) and "99.0%" in window.picker.itemText(1)
    window.picker.select("add3-fake")
    qtbot.keyClicks(window.display.edit, "1234+1")
    qtbot.waitUntil(lambda: "outside add3-fake's task" in window.display.model_label.text(),
                    timeout=5000)


def test_closing_asks_before_abandoning_a_training(qtbot, tmp_path):
    answers = [False, True]
    window = make_window(qtbot, tmp_path, confirm=lambda *a: answers.pop(0))
    run_id = window.manager.start_training(type("C", (), {"name": "t"})())
    qtbot.waitUntil(lambda: "training t" in window.training_label.text(), timeout=5000)
    window.close()
    assert window.isVisible() and run_id in window.manager.running_trainings()
    with qtbot.waitSignal(window.manager.training_finished, timeout=10000) as blocker:
        window.close()
    assert blocker.args[1].stopped and window.manager.closed
    assert window.manager.running_trainings() == []


def test_geometry_and_model_choice_are_remembered(qtbot, tmp_path):
    first = make_window(qtbot, tmp_path)
    first.resize(720, 600)
    first.picker.select("add3-fake")
    first.close()
    second = make_window(qtbot, tmp_path)
    try:
        assert second.picker.current_model() == "add3-fake"
        assert (second.width(), second.height()) == (720, 600)
    finally:
        second.close()


def test_no_covering_model_says_why_the_models_do_not_cover_it(qtbot, window):
    qtbot.keyClicks(window.display.edit, "1234+5")
    qtbot.waitUntil(lambda: "add3-fake: operands have at most 3 digits"
                    in window.display.model_label.text(), timeout=5000)
    assert window.display.summary() == "network - exact 1239"


def _unstarted(qtbot, tmp_path):
    """A window whose manager serves nothing until ``manager.start()``: requests wait in order."""
    info = fake_model(tmp_path)
    manager = ModelManager(predictor_for=FakePredictor, models_loader=lambda: [info],
                           recognizer_loader=FakeRecognizer, start=False, warm=False)
    window = MainWindow(manager, start_tf=False, confirm=lambda *a: True)
    qtbot.addWidget(window)
    return window, manager


def test_enter_then_typing_at_once_still_keeps_the_entry(qtbot, tmp_path):
    window, manager = _unstarted(qtbot, tmp_path)
    try:
        edit = window.display.edit
        qtbot.keyClicks(edit, "5+6")
        qtbot.keyClick(edit, Qt.Key_Return)
        qtbot.keyClick(edit, Qt.Key_Escape)
        qtbot.keyClicks(edit, "7+")  # the manager has served nothing yet
        manager.start()
        qtbot.waitUntil(lambda: window.history.list.count() == 1, timeout=5000)
        assert window.history.entries()[0].expression == "5+6"
        qtbot.waitUntil(lambda: window.display.answer is not None
                        and window.display.answer.input == "7+", timeout=5000)
    finally:
        window.close()


def test_a_reading_that_arrives_after_typing_keeps_what_was_typed(qtbot, tmp_path):
    window, manager = _unstarted(qtbot, tmp_path)
    try:
        window.canvas.add_stroke(line(20, 20, 22, 80))  # read as '1', but not before the typing
        edit = window.display.edit
        qtbot.keyClicks(edit, "12+30")
        qtbot.keyClick(edit, Qt.Key_Return)
        manager.start()
        qtbot.waitUntil(lambda: window.canvas.reading is not None, timeout=5000)  # the canvas shows it
        qtbot.waitUntil(lambda: window.history.list.count() == 1, timeout=5000)
        qtbot.wait(200)
        assert window.display.text() == "12+30" and window.history.entries()[0].expression == "12+30"
        window.canvas.add_stroke(line(50, 50, 80, 51))  # new ink: its reading is the input again
        qtbot.waitUntil(lambda: window.display.text() == "1-", timeout=5000)
    finally:
        window.close()


def test_a_damaged_history_and_unreadable_models_are_said_and_the_window_opens(qtbot, tmp_path, calcapp_home):
    (calcapp_home / "history.sqlite3").write_bytes(b"\x00not a database" * 100)
    (calcapp_home / "models" / "mine").mkdir(parents=True)
    (calcapp_home / "models" / "mine" / "card.json").write_text("[]")
    window = make_window(qtbot, tmp_path)
    try:
        message, tip = window.statusBar().currentMessage(), window.statusBar().toolTip()
        assert "history damaged and kept aside" in message and "history.sqlite3.damaged-" in tip
        assert "unreadable model card left out: mine" in message
        assert "a new history has begun" in tip
        qtbot.keyClicks(window.display.edit, "5+6")
        qtbot.keyClick(window.display.edit, Qt.Key_Return)
        qtbot.waitUntil(lambda: window.history.list.count() == 1, timeout=5000)
    finally:
        window.close()


def test_a_correction_lands_in_the_personal_sample_store(qtbot, tmp_path, calcapp_home):
    from calcapp.handwriting.personal import SampleStore
    from calcapp.ui.main_window import _save_sample

    window = make_window(qtbot, tmp_path)
    window.sample_saver = _save_sample  # the real store, in this test's data home
    try:
        window.canvas.add_stroke(line(20, 20, 22, 80))
        qtbot.waitUntil(lambda: window.display.text() == "1", timeout=5000)
        window.canvas.correct_symbol(0, "7")
        assert SampleStore().by_label() == {"7": 1}
        assert window.display.text() == "7"
    finally:
        window.close()


def test_copy_and_paste_work_with_the_focus_elsewhere(qtbot, window):
    QGuiApplication.clipboard().setText("40+2")
    window.picker.setFocus()
    qtbot.waitUntil(window.picker.hasFocus, timeout=2000)
    qtbot.keyClick(window.picker, Qt.Key_V, Qt.ControlModifier)
    assert window.display.text() == "40+2"
    wait_summary(qtbot, window, "network 42 \u2713 exact 42")
    window.picker.setFocus()
    qtbot.waitUntil(window.picker.hasFocus, timeout=2000)
    QGuiApplication.clipboard().setText("")
    qtbot.keyClick(window.picker, Qt.Key_C, Qt.ControlModifier)
    assert QGuiApplication.clipboard().text() == "42"
