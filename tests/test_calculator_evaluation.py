"""Evaluation breakdowns and the error grid, checked on hand-made predictions."""

from __future__ import annotations

import pytest

from calcapp.expr.tasks import preset
from calcapp.arithmetic.evaluation import char_matches, error_grid, score


def test_score_breakdowns():
    inputs = ["1+2", "10+20", "3*4", "99*9", "7-9"]
    targets = ["3", "30", "12", "891", "-2"]
    preds = ["3", "31", "12", "881", "-2"]
    s = score(inputs, targets, preds)
    assert s["n"] == 5
    assert s["exact_match"] == pytest.approx(3 / 5)
    # characters: 1/1, 1/2, 2/2, 2/3, 2/2 -> 8/10
    assert s["char_accuracy"] == pytest.approx(8 / 10)
    assert s["by_operator"]["+"]["exact_match"] == pytest.approx(0.5)
    assert s["by_operator"]["*"]["exact_match"] == pytest.approx(0.5)
    assert s["by_operator"]["-"]["exact_match"] == 1.0
    assert s["by_operand_length"]["1"]["n"] == 3
    assert s["by_operand_length"]["2"]["exact_match"] == 0.0
    assert s["by_answer_length"]["3"]["exact_match"] == 0.0
    assert {e["input"] for e in s["errors"]} == {"10+20", "99*9"}


def test_char_matches_counts_missing_characters():
    assert char_matches("12", "123") == (2, 3)
    assert char_matches("", "") == (0, 1)


def test_score_rejects_ragged_inputs():
    with pytest.raises(ValueError):
        score(["1+1"], ["2"], [])


def test_error_grid_marks_wrong_cells():
    spec = preset("add1")

    def predict(texts):  # wrong exactly when a == 3
        return [str(eval_sum(t) + (1 if t.startswith("3+") else 0)) for t in texts]

    grid = error_grid(predict, spec)
    assert grid.correct.shape == (10, 10)
    assert not grid.correct[3].any() and grid.correct[[0, 1, 2, 4]].all()
    assert grid.wrong[(3, 4)] == ("8", "7")
    assert grid.accuracy == pytest.approx(0.9)


def test_error_grid_needs_two_operands():
    with pytest.raises(ValueError):
        error_grid(lambda t: t, preset("expr"))


def eval_sum(text: str) -> int:
    a, b = text.split("+")
    return int(a) + int(b)
