"""Step maps (issue 20, "the Inside tab can open any step's attention"): the general
model's read maps record which input digits each cell read; a rewriting model's passes
each have their own attention; and the calculator opens a step in the Inside tab."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor

from calcapp.arithmetic.columns.reads import THROUGH
from calcapp.arithmetic.predictor import load_predictor
from calcapp.arithmetic.step_maps import pass_maps
from calcapp.nets.registry import find_model

X = "\u00d7"


@pytest.fixture(scope="module")
def general():
    return load_predictor(find_model("general"))


def _maps(pred, text):
    return {m.step: m for m in pred.step_maps(text).maps}


def _rows(m):
    """Per written digit: the input characters marked, with their weights."""
    return [(ch, {m.input_chars[j]: float(v) for j, v in enumerate(row) if v})
            for ch, row in zip(m.output_chars, m.values)]


def test_the_partial_products_of_12x34_read_the_right_digits(general):
    maps = _maps(general, "12*34")
    row4 = maps[f"12{X}4 = 48"]
    assert row4.kind == "reads" and row4.input_chars == ["1", "2", X, "4", "carry"]
    # 8 = 2×4 (first column: no carry in); 4 = 1×4 + the carry from 2×4
    assert row4.output_chars == ["4", "8"]
    assert row4.values.tolist() == [[1, 0, 0, 1, 1], [0, 1, 0, 1, 0]]
    assert row4.cells[1].startswith("mul 2\u00d74+carry 0 \u2192 8")
    row30 = maps[f"12{X}30 = 360"]
    assert _rows(row30) == [("3", {"1": 1.0, "3": 1.0, "carry": 1.0}),
                            ("6", {"2": 1.0, "3": 1.0}),
                            ("0", {})]  # the zero for the tens place: the procedure's
    assert row30.cells[2].startswith("written by the procedure")
    total = maps["48+360 = 408"]
    assert total.input_chars == ["4", "8", "+", "3", "6", "0", "carry"]
    assert total.values.tolist() == [[0, 0, 0, 1, 0, 0, 1], [1, 0, 0, 0, 1, 0, 1],
                                     [0, 1, 0, 0, 0, 1, 0]]


def test_the_product_line_reaches_the_operands_through_the_partial_products(general):
    m = _maps(general, "12*34")[f"12{X}34 = 408"]
    assert m.input_chars == ["1", "2", X, "3", "4", "carry"]
    t = THROUGH
    # long multiplication's anti-diagonals: 8 from 2·4, 0 from 1·4 and 2·3, 4 from 1·3
    assert _rows(m) == [("4", {"1": t, "3": t, "carry": 1.0}),
                        ("0", {"1": t, "2": t, "3": t, "4": t, "carry": 1.0}),
                        ("8", {"2": t, "4": t})]


def test_a_long_division_row_reads_the_remainder_and_the_divisor(general):
    maps = _maps(general, "2.5/0.4")
    row = maps[f"25 = 6{X}4+1"]
    assert row.input_chars == ["2", "5", "\u00f7", "4"]
    assert row.output_chars == ["6", "1"]
    # the quo cell read 25 and 4; the remainder's digit: 5 less 6×4's last digit
    assert _rows(row) == [("6", {"2": 1.0, "5": 1.0, "4": 1.0}),
                          ("1", {"2": THROUGH, "5": 1.0, "4": THROUGH})]
    assert row.cells[0].startswith("quo 250\u00f740 \u2192 6")
    assert maps["2.5\u00f70.4 = 25\u00f74"].kind == "none"  # the point moved: no cell ran


def test_subtraction_reads_columns_and_borrows(general):
    m = _maps(general, "1234-987")["1234\u2212987 = 247"]
    assert _rows(m) == [("2", {"2": 1.0, "9": 1.0, "carry": 1.0}),
                        ("4", {"3": 1.0, "8": 1.0, "carry": 1.0}),
                        ("7", {"4": 1.0, "7": 1.0})]


def test_maps_follow_the_answer_working_and_occlusion_stays_on_what_was_read(general):
    for text in ["12*34", "2.5/0.4+1", "7/3*3", "-(3-10)*2", "1/0", "99999*99"]:
        pred = general.predict([text])[0]
        maps = general.step_maps(text).maps
        assert [m.step for m in maps] == list(pred.steps)
        for m in maps:
            if m.kind != "reads":
                continue
            assert m.values.shape == (len(m.output_chars), len(m.input_chars))
            assert len(m.confidence) == len(m.cells) == len(m.output_chars)
            assert np.all((m.occlusion >= 0) & (m.occlusion <= 1))
            assert not m.occlusion[m.values == 0].any()
    m = _maps(general, "12*34")[f"12{X}4 = 48"]
    assert m.occlusion[1, 1] > 0.3 and m.occlusion[1, 3] > 0.3  # 2 and 4 matter to the 8


def test_each_pass_of_the_rewriter_has_its_own_attention():
    expr = load_predictor(find_model("expr"))
    maps = pass_maps(expr, "(12+3)*4-5")
    assert [m.step for m in maps.maps] == list(expr.predict(["(12+3)*4-5"])[0].steps)
    assert all(m.kind == "attention" for m in maps.maps)
    first, second = maps.maps[0], maps.maps[1]
    assert "".join(first.input_chars) == "(12+3)*4-5"
    assert "".join(second.input_chars) == first.step  # a pass reads what the last wrote
    assert second.values.shape == (len(second.output_chars), len(second.input_chars))
    assert np.allclose(second.values.sum(axis=1), 1.0, atol=1e-3)


def _answered(qtbot, typed: str, neural: str):
    """The real window after typing ``typed`` and Enter, once the network answered ``neural``."""
    from calcapp.engine.manager import ModelManager
    from calcapp.ui.main_window import MainWindow

    window = MainWindow(ModelManager(warm=False), start_tf=False, confirm=lambda *a: True)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    _type(qtbot, window, typed, neural)
    return window


def _type(qtbot, window, typed: str, neural: str) -> None:
    qtbot.keyClicks(window.display.edit, typed)
    qtbot.keyClick(window.display.edit, Qt.Key_Return)
    qtbot.waitUntil(lambda: getattr(window.display.answer, "neural", None) == neural, timeout=30000)


def test_the_calculator_opens_a_step_in_the_inside_tab(qtbot):
    window = _answered(qtbot, "12*34", "408")
    working = window.display.working
    assert working.steps[1] == f"12{X}4 = 48"
    # double-click the partial product 12×4 = 48
    block = working.document().findBlockByNumber(1)
    rect = working.cursorRect(QTextCursor(block))
    qtbot.mouseDClick(working.viewport(), Qt.LeftButton, pos=rect.center())
    panel = window.panel("Inside the model")
    assert window.tabs.currentWidget() is panel.parentWidget()
    qtbot.waitUntil(lambda: panel.steps.current_map() is not None, timeout=30000)
    assert panel.steps.current() == 1
    assert panel.attention.data.tolist() == [[1, 0, 0, 1, 1], [0, 1, 0, 1, 0]]
    assert "cells' reads" in panel.attention.plot.getPlotItem().titleLabel.text
    assert panel.confidence.values == pytest.approx(panel.steps.current_map().confidence)
    # the picker opens another step: the product line, and its occlusion map
    panel.steps.select(4)
    assert panel.attention.data.shape == (3, 6)
    panel.steps.which.setCurrentIndex(1)
    assert "occlusion" in panel.attention.plot.getPlotItem().titleLabel.text
    # back on the calculator: the keyboard opens a step too (arrow to it, Enter)
    window.tabs.setCurrentIndex(0)
    working.setFocus()
    cursor = working.textCursor()
    cursor.setPosition(working.document().findBlockByNumber(3).position())
    working.setTextCursor(cursor)
    qtbot.keyClick(working, Qt.Key_Return)
    qtbot.waitUntil(lambda: panel.steps.current() == 3, timeout=30000)
    assert window.tabs.currentWidget() is panel.parentWidget()
    window.close()


def test_ctrl_i_opens_the_first_wrong_step_marked_in_the_picker(qtbot):
    """A broken multiply cell (digits 4 and 5 swapped): Ctrl+I on the calculator opens the
    first step the exact evaluator rejects, and the step list marks it."""
    from calcapp.arithmetic.columns import cells as C
    from calcapp.arithmetic.columns.predictor import ColumnsPredictor
    from calcapp.engine.manager import ModelManager
    from calcapp.ui.inside.steps import CROSS
    from calcapp.ui.main_window import MainWindow

    info = find_model("general")
    weights = dict(C.read_weights(info.keras_path))
    k, b = (a.copy() for a in weights["mul_head0"])
    k[:, [4, 5]], b[[4, 5]] = k[:, [5, 4]], b[[5, 4]]
    weights["mul_head0"] = (k, b)
    broken = ColumnsPredictor(C.CellTables(weights))
    manager = ModelManager(warm=False, predictor_for=lambda i: broken if i.name == "general"
                           else load_predictor(i))
    window = MainWindow(manager, start_tf=False, confirm=lambda *a: True)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    qtbot.keyClicks(window.display.edit, "1234*56")
    qtbot.keyClick(window.display.edit, Qt.Key_Return)
    qtbot.waitUntil(lambda: getattr(window.display.answer, "wrong_step", None) is not None,
                    timeout=30000)
    wrong = window.display.answer.wrong_step
    assert window.display.working.steps[wrong] == f"1234{X}6 = 7505"
    qtbot.keyClick(window.display.edit, Qt.Key_I, Qt.ControlModifier)
    panel = window.panel("Inside the model")
    qtbot.waitUntil(lambda: panel.steps.current_map() is not None, timeout=30000)
    assert panel.steps.current() == wrong
    qtbot.waitUntil(lambda: CROSS in panel.steps.combo.currentText(), timeout=30000)
    m = panel.steps.current_map()
    # the wrong digit: the 5 of 7505 came from the broken cell, reading 4 and 6 and a carry
    assert m.output_chars == list("7505") and "mul 4\u00d76+carry 0 \u2192 5" in m.cells[3]
    window.close()


def test_the_working_opens_a_step_by_context_menu_double_click_and_enter(qtbot):
    from types import SimpleNamespace

    from calcapp.ui.calculator.working import Working

    working = Working()
    qtbot.addWidget(working)
    working.show_answer(SimpleNamespace(neural="7", wrong_step=None,
                                        steps=["3+4", "3+4 = 7", "7"]))
    working.show()
    opened = []
    working.step_opened.connect(opened.append)
    assert working.current_step() == 1  # nothing chosen yet: the first step after the input
    pos = working.cursorRect(QTextCursor(working.document().findBlockByNumber(2))).center()
    menu = working.step_menu(pos)
    [action] = [a for a in menu.actions() if a.text().startswith("Open step")]
    assert action.text() == "Open step 2 in the Inside tab" and menu.actions()[0] is action
    action.trigger()
    pos = working.cursorRect(QTextCursor(working.document().findBlockByNumber(0))).center()
    qtbot.mouseDClick(working.viewport(), Qt.LeftButton, pos=pos)
    working.setFocus()
    qtbot.keyClick(working, Qt.Key_Down)
    qtbot.keyClick(working, Qt.Key_Return)
    assert opened == [2, 0, 1]


def test_opening_the_inside_tab_shows_the_calculators_answer_unless_the_user_wrote_there(qtbot):
    from calcapp.ui.main_window import INSIDE

    window = _answered(qtbot, "12*34", "408")
    answer = window.display.answer
    inside = [window.tabs.tabText(i) for i in range(window.tabs.count())].index(INSIDE)
    window.tabs.setCurrentIndex(inside)
    panel = window.panel(INSIDE)
    assert panel.expression.text() == (answer.expression or answer.input)
    qtbot.waitUntil(lambda: panel.steps.current_map() is not None, timeout=30000)
    assert panel.step_maps.text == panel.expression.text()
    panel.expression.selectAll()
    qtbot.keyClicks(panel.expression, "3+4")  # the user's own expression there
    window.tabs.setCurrentIndex(0)
    _type(qtbot, window, "+1", "409")
    window.tabs.setCurrentIndex(inside)
    assert panel.expression.text() == "3+4"
