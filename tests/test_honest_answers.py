"""Issue 18: a ✓ means the network's answer is the exact answer, nothing else; numbers are
written plainly; every model says why it leaves an input out; Auto trusts only models that
reached their goal."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from calcapp.arithmetic.answering import answer_many, equals_exact, plain_number
from calcapp.nets.registry import best_for
from calcapp.ui.calculator.display import Display, grouped_reasons
from test_ui_fakes import FakePredictor, fake_model

ROOT = Path(__file__).resolve().parent.parent


def _answer(tmp_path, text, preset="arith3", wrong=None, accuracy=0.99):
    info = fake_model(tmp_path, name=f"{preset}-fake", preset=preset, accuracy=accuracy)
    return answer_many([text], models=[info],
                       predictor_for=lambda i: FakePredictor(i, wrong=wrong))[0]


def test_integer_quotient_is_a_cross_with_a_plain_line(tmp_path):
    ans = _answer(tmp_path, "7/2")
    assert (ans.neural, ans.target, ans.exact, ans.match) == ("3", "3", "3.5", False)
    assert ans.task_note() == "arith3-fake answers integer quotients: 3"
    assert ans.to_json()["target"] == "3" and ans.to_json()["match"] is False
    third = _answer(tmp_path, "1/3")
    assert third.match is False and third.neural == "0"


def test_exact_quotient_and_division_by_zero_match(tmp_path):
    assert _answer(tmp_path, "8/2").match is True
    nan = _answer(tmp_path, "5/0")
    assert nan.neural == "NaN" and nan.match is True and nan.exact is None
    assert _answer(tmp_path, "5/0", wrong={"5/0": "0"}).match is False


def test_equals_exact_at_twelve_significant_digits():
    from fractions import Fraction

    assert equals_exact("0.333333333333", Fraction(1, 3), False)
    assert not equals_exact("0.33333", Fraction(1, 3), False)
    assert equals_exact("-4", Fraction(-4), False)
    assert not equals_exact("4-", Fraction(4), False)
    assert not equals_exact("NaN", Fraction(4), False)


def test_leading_zeros_are_dropped_with_their_confidences(tmp_path):
    assert plain_number("00", [0.7, 0.9]) == ("0", [0.9])
    assert plain_number("-007", [0.1, 0.2, 0.3, 0.4]) == ("-7", [0.1, 0.4])
    assert plain_number("0-7", [1, 2, 3]) == ("0-7", [1, 2, 3])  # malformed stays visible
    ans = _answer(tmp_path, "0+0", preset="add3", wrong={"0+0": "00"}, accuracy=1.0)
    assert (ans.neural, len(ans.confidence), ans.match) == ("0", 1, True)
    wrong = _answer(tmp_path, "0+7", preset="add3", wrong={"0+7": "008"}, accuracy=1.0)
    assert (wrong.neural, wrong.match) == ("8", False)  # a wrong answer is not hidden


def test_every_model_says_why_it_leaves_an_input_out(tmp_path):
    models = [fake_model(tmp_path, name=n, preset=p) for n, p in
              [("a1", "add1"), ("a3", "add3"), ("ar", "arith3"), ("ex", "expr"), ("al", "add-long")]]
    ans = answer_many(["4416/831/9964"], models=models, predictor_for=FakePredictor)[0]
    assert ans.outside == "no model covers this input"
    assert [r.split(":")[0] for r in ans.reasons] == ["a1", "a3", "ar", "ex", "al"]
    text = grouped_reasons(ans.reasons)
    assert "a3, ar: operands have at most 3 digits" in text and "a1: operands have at most 1 digit;" in text


def test_auto_never_picks_a_model_below_its_goal(tmp_path):
    weak = fake_model(tmp_path, name="mine", preset="add1", accuracy=0.06)
    weak.card.pop("goal")  # trained in the GUI: the task's goal (100% for add1) applies
    strong = fake_model(tmp_path, name="add3", preset="add3", accuracy=1.0)
    strong.card.pop("goal")
    assert best_for("3+4", [weak, strong]) is strong
    assert best_for("3+4", [weak]) is None
    alone = answer_many(["3+4"], models=[weak], predictor_for=FakePredictor)[0]
    assert alone.neural is None and alone.reasons == [
        "mine: 6.0% exact, below its goal (choose it by name to use it)"]
    weak.card["metrics"]["exact_match"] = 1.0
    assert best_for("3+4", [weak, strong]).name in {"mine", "add3"}


def test_display_shows_a_cross_and_the_task_line(qtbot, tmp_path):
    display = Display()
    qtbot.addWidget(display)
    display.show_answer(_answer(tmp_path, "7/2"), final=True)
    assert display.summary() == "network 3 \u2717 exact 3.5"
    assert "arith3-fake answers integer quotients: 3" in display.model_label.text()
    display.show_answer(_answer(tmp_path, "4416/831/9964"), final=True)
    assert display.summary() == "network - exact 0.000533327922760\u2026"
    assert "arith3-fake: operands have at most 3 digits" in display.model_label.text()


def test_cli_json_seven_halves_is_not_a_match():
    proc = subprocess.run([sys.executable, "-m", "calcapp", "compute", "--json", "7/2"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    row = json.loads(proc.stdout)
    # ✓ only for the exact answer: the general model answers 3.5 (a match); a model of
    # integer quotients answers 3, which must not match
    assert row["exact"] == "3.5" and "target" in row
    assert row["match"] is (row["neural"] == "3.5")
    # arith3, chosen by name, answers the integer quotient: never a ✓
    proc = subprocess.run([sys.executable, "-m", "calcapp", "compute", "--json", "--model", "arith3", "7/2"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    row = json.loads(proc.stdout)
    assert row["match"] is False and row["target"] == "3" and row["exact"] == "3.5"
    human = subprocess.run([sys.executable, "-m", "calcapp", "compute", "--model", "arith3", "7/2"],
                           capture_output=True, text=True, cwd=ROOT, timeout=120).stdout
    if row["neural"] == row["target"]:
        assert "answers integer quotients: 3" in human and "\u2713" not in human
