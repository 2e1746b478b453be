"""Issue 18: the calculator with the keyboard alone, Esc as one "new expression", one undo
stack for ink and corrections, readable symbol labels, and the theme switch."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from calcapp.ui import theme
from calcapp.ui.calculator.canvas import place_labels
from calcapp.ui.calculator.keyboard import unnamed_controls
from test_ui_window import line, make_window, wait_summary, window  # noqa: F401 (window: the fixture)


def _tab_walk(window, steps=60):
    seen = []
    window.display.edit.setFocus()
    for _ in range(steps):
        seen.append(QApplication.focusWidget())
        window.focusNextChild()
    return seen


def test_tab_reaches_every_calculator_control_in_reading_order(qtbot, window):
    seen = _tab_walk(window)
    wanted = ([window.display.edit, window.picker] + list(window.keypad.buttons.values())
              + [window.history.list, window.canvas_panel.canvas])
    for widget in wanted:
        assert widget in seen, widget.accessibleName()
    order = [seen.index(w) for w in wanted]
    assert order == sorted(order)
    # buttons that are disabled now (nothing to undo, an empty history) can still be tabbed to later
    for button in (window.canvas_panel.undo_button, window.history.copy_button):
        assert button.focusPolicy() & Qt.TabFocus


def test_every_control_has_an_accessible_name(qtbot, window):
    assert unnamed_controls(window.calculator_tab) == []
    assert window.keypad.buttons["\u00f7"].accessibleName() == "key divide"


def test_keys_work_wherever_focus_is(qtbot, window):
    window.picker.setFocus()
    qtbot.keyClicks(window.picker, "1")
    assert window.display.text() == "1"  # the combo box did not search for a model
    button = window.keypad.buttons["7"]
    button.setFocus()
    qtbot.keyClick(button, "2")  # the key goes to the expression, and so does the focus
    qtbot.keyClicks(QApplication.focusWidget(), "+3")
    assert window.display.text() == "12+3"
    window.history.list.setFocus()
    qtbot.keyClick(window.history.list, Qt.Key_Backspace)
    assert window.display.text() == "12+"
    window.picker.setFocus()
    qtbot.keyClick(window.picker, Qt.Key_4)
    assert window.display.text() == "12+4"
    window.picker.setFocus()  # Tab back to the picker: Enter still computes
    qtbot.keyClick(window.picker, Qt.Key_Return)
    qtbot.waitUntil(lambda: window.history.list.count() == 1, timeout=5000)
    window.history.list.setFocus()
    qtbot.keyClick(window.history.list, Qt.Key_Escape)
    assert window.display.text() == ""
    bar = window.tabs.tabBar()
    bar.setFocus()  # on the tab bar, while the calculator shows
    qtbot.keyClick(bar, "9")
    assert window.display.text() == "9"
    qtbot.keyClick(bar, Qt.Key_Right)  # arrows still switch tabs
    assert window.tabs.currentIndex() == 1


def test_escape_clears_display_and_ink_as_one_new_expression(qtbot, window):
    canvas = window.canvas
    canvas.add_stroke(line(20, 20, 22, 80))
    qtbot.waitUntil(lambda: window.display.text() == "1", timeout=5000)
    qtbot.keyClick(window.display.edit, Qt.Key_Escape)
    assert window.display.text() == "" and canvas.strokes == []
    canvas.add_stroke(line(60, 20, 62, 80))  # the old '1' does not come back
    qtbot.waitUntil(lambda: window.display.text() == "1", timeout=5000)
    assert len(canvas.strokes) == 1


def test_undo_after_a_correction_undoes_the_correction(qtbot, window):
    canvas = window.canvas
    canvas.add_stroke(line(20, 20, 22, 80))
    canvas.add_stroke(line(50, 30, 80, 60))
    canvas.add_stroke(line(110, 20, 112, 80))
    qtbot.waitUntil(lambda: window.display.text() == "1+1", timeout=5000)
    canvas.correct_symbol(2, "9")  # what "Retype…" does with the typed label
    assert window.display.text() == "1+9"
    assert canvas.label_tags()[2] == "9 (fixed)"
    canvas.undo()
    assert len(canvas.strokes) == 3 and window.display.text() == "1+1"
    canvas.redo()
    assert window.display.text() == "1+9"
    canvas.undo()
    canvas.undo()  # now the last stroke
    assert len(canvas.strokes) == 2
    assert canvas.undo_stack.count() == 4  # three strokes and the correction


def test_labels_of_tight_symbols_do_not_overlap(qtbot, window):
    canvas = window.canvas
    for x in (20, 27, 34, 41):  # four strokes 7 px apart: each label is wider than that
        canvas.add_stroke(line(x, 20, x + 1, 80))
    qtbot.waitUntil(lambda: window.display.text() == "1111", timeout=5000)
    rects = canvas.label_rects()
    for i, a in enumerate(rects):
        for b in rects[i + 1:]:
            assert not a.intersects(b)
    boxes = [(0, 50, 5, 40), (6, 50, 5, 40)]
    first, second = place_labels(boxes, [(30, 12), (30, 12)])
    assert first.bottom() <= 50 and not first.intersects(second)


def test_view_menu_switches_the_theme(qtbot, window, monkeypatch):
    monkeypatch.delenv("CALCAPP_THEME", raising=False)
    assert {"system", "light", "dark"} <= set(window.theme_actions)
    try:
        window.theme_actions["dark"].trigger()
        assert theme.scheme() == "dark"
        assert QApplication.instance().palette().window().color().lightness() < 100
        window.theme_actions["light"].trigger()
        assert theme.scheme() == "light"
        assert QApplication.instance().palette().window().color().lightness() > 150
    finally:
        window.set_theme("system")


def test_error_map_ticks_are_readable_and_one_wrong_cell_is_marked(qtbot):
    import numpy as np

    from calcapp.ui.inside.grids import ErrorGrid
    from calcapp.ui.inside.views import TICK_PX, ErrorMapView, tick_step

    assert tick_step(10, 300) == 1 and tick_step(100, 200) == 20 and tick_step(100, 300) == 10
    ok = np.ones((100, 100), dtype=bool)
    ok[37, 64] = False
    answers = [["0"] * 100 for _ in range(100)]
    view = ErrorMapView()
    qtbot.addWidget(view)
    view.resize(300, 360)
    view.show()
    view.set_data(ErrorGrid("+", ok, answers, answers))
    qtbot.wait(20)
    ticks = view.plot.getAxis("bottom")._tickLevels[0]
    length = min(view.plot.width(), view.plot.height()) - 60
    assert len(ticks) * TICK_PX <= length  # labels have room: "0 10 20", not "0 1020"
    xs, ys = view.marks.getData()
    assert list(xs) == [64.5] and list(ys) == [37.5]  # the one wrong cell has its marker


def test_the_other_tabs_controls_have_accessible_names(qtbot, window):
    from calcapp.engine.manager import ModelManager
    from calcapp.ui.calculator.keyboard import name_unnamed
    from calcapp.ui.inside.panel import InsidePanel
    from test_training_gui_fakes import FakeInsidePredictor

    training = window.panel("Training")
    assert unnamed_controls(training) == []
    assert training.form.epochs.accessibleName() == "epochs"
    manager = ModelManager(predictor_for=FakeInsidePredictor, warm=False)
    try:
        inside = InsidePanel(manager)
        qtbot.addWidget(inside)
        name_unnamed(inside)  # what the window does to each tab it builds
        assert unnamed_controls(inside) == []
        inside.close()
    finally:
        manager.shutdown(wait=True)
