"""The general model (issue 20): digit cells verified on their whole domains, the written
procedure on hand-checked cases, NumPy and Keras paths agreeing, and a broken cell that
makes the answer wrong and marks the first wrong step."""

from __future__ import annotations

import numpy as np
import pytest

from calcapp.arithmetic.answering import answer_many
from calcapp.arithmetic.columns import cells as C
from calcapp.arithmetic.columns.checking import first_wrong_step
from calcapp.arithmetic.columns.predictor import ColumnsPredictor
from calcapp.arithmetic.predictor import load_predictor
from calcapp.arithmetic.recipes import load_recipe
from calcapp.expr.tasks import preset
from calcapp.nets.registry import best_for, find_model, list_models


@pytest.fixture(scope="module")
def info():
    return find_model("general")


@pytest.fixture(scope="module")
def pred(info):
    return load_predictor(info)


def test_every_cell_is_right_on_its_whole_domain(pred):
    assert isinstance(pred, ColumnsPredictor)
    assert pred.tables.verify() == {"add": 1.0, "sub": 1.0, "mul": 1.0, "quo": 1.0}


def _steps(pred, text):
    p = pred.predict([text])[0]
    return p.text, list(p.steps)


def test_long_multiplication_shows_partial_products(pred):
    text, steps = _steps(pred, "1234*56")
    assert text == "69104"
    assert steps[:4] == ["1234*56", "1234\u00d76 = 7404", "1234\u00d750 = 61700", "7404+61700 = 69104"]


def test_decimal_point_moves_and_quotients_are_real(pred):
    text, steps = _steps(pred, "2.5*4")
    assert text == "10" and "2.5\u00d74 = 25\u00d74\u00f710" in steps
    text, steps = _steps(pred, "7/2")
    assert text == "3.5" and steps[1:3] == ["7 = 3\u00d72+1", "10 = 5\u00d72+0"]
    text, steps = _steps(pred, "1/3")
    assert text == "0.333333333333333" and steps[-1] == "0.333333333333333\u2026"
    text, steps = _steps(pred, "7.5/3")
    assert text == "2.5" and "7.5\u00f73 = 75\u00f730" in steps


def test_operands_brackets_signs_and_zero_division(pred):
    text, steps = _steps(pred, "12+34+56+78")
    assert text == "180" and steps[:3] == ["12+34+56+78", "12+34 = 46", "46+56+78"]
    text, steps = _steps(pred, "-(3-10)*2")
    assert text == "14" and "-(-7)*2" in steps
    text, steps = _steps(pred, "5/0")
    assert text == "NaN" and steps[-2] == "5\u00f70 = NaN"
    assert _steps(pred, "7/3*3")[0] == "7"  # a quotient kept as a fraction comes out whole


def test_auto_picks_general_and_every_step_checks(info):
    models = list_models()
    assert best_for("7/2", models).name == "general"
    assert best_for("2.5*4", models).name == "general"
    answers = answer_many(["7/2", "1/3", "5/0", "1234*56", "-(3-10)*2", "0.1+0.2"])
    for a in answers:
        assert a.model == "general" and a.match is True, a
        assert first_wrong_step(a.input, a.steps) is None, (a.input, a.steps)
    assert [a.neural for a in answers[:2]] == ["3.5", "0.333333333333333"]


def test_seed_models_stay_selectable_by_name():
    answers = answer_many(["7/2"], model=find_model("arith3"))
    assert answers[0].model == "arith3"
    assert preset("expr").covers("1+2") and not preset("expr").covers("2.5*4")


def test_numpy_and_keras_paths_agree(info):
    keras = pytest.importorskip("keras")
    model = keras.saving.load_model(info.keras_path, safe_mode=True, compile=False)
    weights = C.read_weights(info.keras_path)
    for cell in C.CELLS:
        x = C.one_hot(cell, C.domain(cell))
        sub = keras.Model(model.get_layer(f"{cell}_in").output,
                          [model.get_layer(n).output for n in C.layer_names(cell)[1:]])
        by_keras = sub.predict(x, batch_size=8192, verbose=0)
        by_keras = by_keras if isinstance(by_keras, list) else [by_keras]
        for k, n in zip(by_keras, C.numpy_forward(weights, cell, x)):
            np.testing.assert_allclose(k, n, atol=1e-5)
            assert np.array_equal(k.argmax(1), n.argmax(1))


def test_a_broken_cell_gives_a_wrong_answer_and_marks_the_first_wrong_step(info):
    weights = dict(C.read_weights(info.keras_path))
    k, b = weights["mul_head0"]
    k, b = k.copy(), b.copy()
    k[:, [4, 5]], b[[4, 5]] = k[:, [5, 4]], b[[5, 4]]  # the product digits 4 and 5 swapped
    weights["mul_head0"] = (k, b)
    broken = ColumnsPredictor(C.CellTables(weights))
    assert broken.tables.verify()["mul"] < 1.0
    [a] = answer_many(["1234*56"], model=info, predictor_for=lambda _: broken)
    assert a.exact == "69104" and a.neural != "69104" and a.match is False
    assert a.steps[a.wrong_step] == "1234\u00d76 = 7505"  # the network's own (wrong) work
    assert a.to_json()["wrong_step"] == a.wrong_step


def test_past_reach_is_a_reason_not_a_crash(info):
    huge = "9" * 120 + "*" + "9" * 120
    [a] = answer_many([huge], model=info)
    assert a.neural is None and "reach" in a.outside


def test_checker_reads_cut_quotients_and_nan():
    assert first_wrong_step("1/3", ["1/3", "1\u00f73 = 0.333\u2026", "0.333\u2026"]) is None
    assert first_wrong_step("1/3", ["1/3", "1\u00f73 = 0.334\u2026"]) == 1
    assert first_wrong_step("5/0", ["5/0", "5\u00f70 = NaN", "NaN"]) is None


def test_the_recipe_builds_the_general_model():
    recipe = load_recipe("general")
    assert recipe.config.architecture == "columns" and recipe.config.task.name == "general"


def test_the_display_shows_the_working_and_marks_the_first_wrong_step(qtbot, info):
    from calcapp.ui.calculator.display import Display

    weights = dict(C.read_weights(info.keras_path))
    k, b = (a.copy() for a in weights["mul_head0"])
    k[:, [4, 5]], b[[4, 5]] = k[:, [5, 4]], b[[5, 4]]
    weights["mul_head0"] = (k, b)
    broken = ColumnsPredictor(C.CellTables(weights))
    display = Display()
    qtbot.addWidget(display)
    [good] = answer_many(["7.5/3"])
    display.show_answer(good)
    assert display.working.isVisibleTo(display)
    assert "7.5\u00f73 = 75\u00f730" in display.working.toPlainText()
    assert "\u2717" not in display.working.toPlainText()
    [bad] = answer_many(["1234*56"], model=info, predictor_for=lambda _: broken)
    display.show_answer(bad)
    assert "\u2717 1234\u00d76 = 7505" in display.working.toPlainText()
    display.clear_answer()
    assert not display.working.isVisibleTo(display)
