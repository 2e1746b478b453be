"""An 800x600 screen: the window opens no larger than the screen, and an answer with its
working (the model's steps) still leaves every keypad row whole; a taller window shows more of
the working."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from calcapp.ui.calculator.working import LINES, MIN_LINES


def _answered(qtbot, size):
    from calcapp.engine.manager import ModelManager
    from calcapp.ui.main_window import MainWindow

    window = MainWindow(ModelManager(warm=False), start_tf=False, confirm=lambda *a: True)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.resize(*size)
    qtbot.keyClicks(window.display.edit, "12*34")
    qtbot.keyClick(window.display.edit, Qt.Key_Return)
    qtbot.waitUntil(lambda: window.display.working.isVisible() and len(window.display.working.steps) > 3,
                    timeout=30000)
    qtbot.waitUntil(lambda: window.size().toTuple() == size, timeout=3000)
    return window


def _lines(working) -> int:
    return round((working.height() - 10) / working.fontMetrics().lineSpacing())


def test_at_800x600_the_working_takes_only_the_room_the_keypad_leaves(qtbot):
    window = _answered(qtbot, (800, 600))
    assert window.minimumSizeHint().height() <= 600
    assert _lines(window.display.working) == MIN_LINES
    keypad = window.keypad
    assert keypad.height() >= keypad.minimumSizeHint().height()
    for button in keypad.findChildren(QPushButton):  # no row hidden under the history
        assert button.height() >= button.minimumSizeHint().height(), button.text()
        assert keypad.rect().contains(button.geometry()), button.text()
    window.close()


def test_a_taller_window_shows_more_of_the_working(qtbot):
    window = _answered(qtbot, (980, 680))
    assert _lines(window.display.working) == LINES
    window.close()


def test_the_first_window_is_no_larger_than_the_screen(qtbot):
    from calcapp.engine.manager import ModelManager
    from calcapp.ui.main_window import MainWindow

    window = MainWindow(ModelManager(warm=False), start_tf=False, confirm=lambda *a: True)
    qtbot.addWidget(window)
    screen = window.screen().availableGeometry()
    assert window.size().toTuple() == (min(980, screen.width()), min(680, screen.height()))
    window.close()


def test_a_long_answer_is_set_smaller_not_wider_than_an_800_pixel_window(qtbot):
    """'73/6' answers 12.166666666666666: sixteen digits of 26 pt with their confidences
    widened the window past the screen and cut off the exact answer."""
    import re

    from calcapp.arithmetic.answering import Answer

    window = _answered(qtbot, (800, 600))
    digits = "12.1666666666666"
    window.display.show_answer(Answer("73/6", expression="73/6", neural=digits, exact="12.16666666666667",
                                      confidence=[0.9] * len(digits), match=False, model="m"))
    html = window.display.answer_label.text()
    assert window.minimumSizeHint().width() <= 800 and window.width() <= 800
    assert "12.16666666666667" in html and html.count("6</td>") >= 12  # every digit shown
    assert max(float(v) for v in re.findall(r"font-size:([\d.]+)pt", html)) < 26  # only smaller
    window.display.show_answer(Answer("12*3", expression="12×3", neural="36", exact="36", confidence=[0.9, 0.9],
                                      match=True, model="m"))
    assert "font-size:26pt" in window.display.answer_label.text()  # a short answer at full size
    window.close()


def test_the_canvas_stays_put_whether_or_not_an_answer_has_working(qtbot):
    """Writing '1' answers in one step and '12+3' with working: the working's box showing and
    hiding moved the canvas 53 px up and down under the pen (seen under Xvfb at 800x600)."""
    from calcapp.arithmetic.answering import Answer

    window = _answered(qtbot, (800, 600))
    canvas = window.canvas_panel.canvas
    with_working = canvas.mapTo(window, canvas.rect().topLeft()), canvas.size()
    window.display.show_answer(Answer("1", expression="1", neural="1", exact="1", confidence=[0.9],
                                      match=True, model="m", steps=["1"]))
    assert not window.display.working.isVisible()
    qtbot.wait(50)  # any relayout is posted
    assert (canvas.mapTo(window, canvas.rect().topLeft()), canvas.size()) == with_working
    assert window.size().toTuple() == (800, 600)
    window.close()
