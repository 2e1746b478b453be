"""Working an expression out one operation at a time (calcapp.expr.steps)."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calcapp.expr.datagen import random_expression
from calcapp.expr.steps import is_final, next_step, operation, steps
from calcapp.expr.tasks import NAN, preset, task_answer
from calcapp.expr.parser import parse


@pytest.mark.parametrize("text,expected", [
    ("6--(12+56)+62", ["6--(12+56)+62", "6--68+62", "74+62", "136"]),
    ("-(13+-89)", ["-(13+-89)", "76"]),  # the bracket goes and its minus folds in
    ("-(6+-6)", ["-(6+-6)", "0"]),  # never "-0"
    ("1+2*3-4", ["1+2*3-4", "1+6-4", "7-4", "3"]),  # x before +, then left to right
    ("-88/2*2", ["-88/2*2", "-44*2", "-88"]),
    ("-7/2+1", ["-7/2+1", "-3+1", "-2"]),  # quotients truncate toward zero
    ("5/(3-3)", ["5/(3-3)", "5/0", NAN]),
    ("(5)+3", ["(5)+3", "5+3", "8"]),  # a typed bracket round one number is a step too
    ("012+3", ["12+3", "15"]),
])
def test_steps_of_hand_picked_expressions(text, expected):
    assert steps(text) == expected


def test_is_final_and_nothing_left():
    assert is_final("136") and is_final("-5") and is_final(NAN) and is_final("0")
    assert not is_final("1+2") and not is_final("--5") and not is_final("007")
    with pytest.raises(ValueError):
        next_step("42")


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 10**9))
def test_every_step_keeps_the_answer_and_does_one_operation(seed):
    text = random_expression(preset("expr"), random.Random(seed))
    work = steps(text)
    assert work[-1] == task_answer(parse(text))
    operators = sum(ch in "+-*/" for ch in text)
    assert len(work) - 1 <= operators + 1
    for before, after in zip(work, work[1:-1]):
        assert task_answer(parse(after)) == work[-1]  # a step never changes the value
        assert len(after) <= len(text) + 4  # the rewriting model's room (model_cfg)
        assert sum(ch.isdigit() for ch in after) < sum(ch.isdigit() for ch in before) + 4


def test_operation_names_what_a_step_did():
    assert operation("6--(12+56)+62", "6--68+62") == "+"
    assert operation("2+3*4", "2+12") == "*"
    assert operation("7+-66/4", "7+-16") == "/"
    assert operation("-5911--55", "-5856") == "-"
    assert operation("(7)", "7") == "()"


def test_operand_digits_measures_the_next_operation():
    from calcapp.expr.steps import operand_digits

    assert operand_digits("3+9801/7") == 4  # ÷ comes first; its dividend has 4 digits
    assert operand_digits("-(13+-89)*2") == 2
    assert operand_digits("(5)*3") == 0  # the next step only drops the brackets
    assert operand_digits("12") == 0
