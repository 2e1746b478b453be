"""Task specs: coverage, the task's own answer semantics, sizes and serialisation."""

from __future__ import annotations

import pytest

from calcapp.expr.datagen import generate
from calcapp.expr.tasks import PRESETS, TaskSpec, preset


def test_target_uses_truncating_division_and_nan():
    spec = preset("arith3")
    assert spec.target("7/2") == "3"
    assert spec.target("5/0") == "NaN"
    assert spec.target("999*999") == "998001"
    expr = preset("expr")
    assert expr.target("-7/2") == "-3"  # toward zero, not floor
    assert expr.target("7/-2") == "-3"
    assert expr.target("-(13+-89)") == "76"
    assert expr.target("1+2/(3-3)") == "NaN"


@pytest.mark.parametrize(
    "name, text, covered",
    [
        ("add3", "123+456", True),
        ("add3", "1234+1", False),
        ("add3", "12-3", False),
        ("add3", "1+2+3", False),
        ("add3", "-1+2", False),
        ("add3", "1.5+2", False),
        ("add3", "(1+2)", False),
        ("add3", "007+1", True),  # leading zeros are dropped for a task without them
        ("arith3", "3 0-647", True),
        ("arith3", "093+400", True),
        ("arith3", "5/0", True),
        ("expr", "-(13+-89)", True),
        ("expr", "66+-19", True),
        ("expr", "((1+2))*3", False),
        ("expr", "1+2+3+4+5", False),
        ("add-long", "1234567890+9876543210", True),
    ],
)
def test_covers(name, text, covered):
    assert preset(name).covers(text) is covered


def test_why_not_reads_like_a_sentence():
    assert preset("add3").why_not("12*3") == "the task's operators are +"
    assert preset("add3").why_not("1+") == "a number is missing after '+' at 2"


def test_model_input_spelling():
    assert preset("add3").model_input("0 12 + 3") == "12+3"
    assert preset("arith3").model_input("3 0-647") == "3 0-647"
    assert preset("arith3").model_input("093+400") == "093+400"


def test_sizes_bound_every_generated_example():
    for spec in PRESETS.values():
        digits = min(spec.max_digits, 4)
        for ex in generate(spec, 300, seed=3, max_digits=digits):
            assert len(ex.model_input) <= spec.max_input_len
            assert len(ex.target) <= spec.max_output_len
            assert spec.covers(ex.text), ex.text


def test_round_trip_through_dict():
    spec = TaskSpec("t", max_digits=2, operators="+*", reverse_input=True)
    assert TaskSpec.from_dict(spec.to_dict()) == spec
    assert TaskSpec.from_dict({**spec.to_dict(), "future_field": 1}) == spec


def test_invalid_specs_are_refused():
    with pytest.raises(ValueError):
        TaskSpec(operators="^")
    with pytest.raises(ValueError):
        TaskSpec(min_operands=3, max_operands=2)
