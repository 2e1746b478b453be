"""The exact evaluator against an independent oracle written here.

Hypothesis builds random expression trees; the oracle computes their value straight from
the tree, and the text handed to calcapp is rendered with only the brackets precedence
needs, random spaces (also inside numbers) and random operator spellings. So the parser's
precedence, associativity and unary handling are tested along with the arithmetic.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calcapp.expr.errors import DivisionByZero
from calcapp.expr.evaluator import evaluate, format_value

SPELLINGS = {"+": ["+"], "-": ["-", "\u2212"], "*": ["*", "x", "\u00d7"], "/": ["/", "\u00f7"]}
PREC = {"+": 1, "-": 1, "*": 2, "/": 2}


def numbers():
    ints = st.integers(0, 10**30).map(lambda n: ("num", Fraction(n), str(n)))
    decimals = st.tuples(st.integers(0, 9999), st.integers(0, 999)).map(
        lambda t: ("num", Fraction(f"{t[0]}.{t[1]:03d}"), f"{t[0]}.{t[1]:03d}")
    )
    return st.one_of(ints, decimals)


def trees():
    return st.recursive(
        numbers(),
        lambda kids: st.one_of(
            st.tuples(st.sampled_from("+-*/"), kids, kids).map(lambda t: ("bin",) + t),
            kids.map(lambda k: ("neg", k)),
        ),
        max_leaves=12,
    )


class Oracle:
    """Values straight from the tree: no parsing involved."""

    @staticmethod
    def value(t):
        if t[0] == "num":
            return t[1]
        if t[0] == "neg":
            v = Oracle.value(t[1])
            return None if v is None else -v
        _, op, a, b = t
        x, y = Oracle.value(a), Oracle.value(b)
        if x is None or y is None:
            return None
        if op == "+":
            return x + y
        if op == "-":
            return x - y
        if op == "*":
            return x * y
        return None if y == 0 else x / y


def render(t, draw_choice) -> str:
    if t[0] == "num":
        return t[2]
    if t[0] == "neg":
        inner = render(t[1], draw_choice)
        return "-" + (f"({inner})" if t[1][0] == "bin" else inner)
    _, op, a, b = t
    left, right = render(a, draw_choice), render(b, draw_choice)
    if a[0] == "bin" and PREC[a[1]] < PREC[op]:
        left = f"({left})"
    if b[0] == "bin" and PREC[b[1]] <= PREC[op]:
        right = f"({right})"
    return left + draw_choice(SPELLINGS[op]) + right


@settings(max_examples=300, deadline=None)
@given(trees(), st.randoms(use_true_random=False))
def test_evaluator_matches_oracle(tree, rnd):
    text = render(tree, rnd.choice)
    # sprinkle spaces anywhere, even inside numbers
    chars = []
    for ch in text:
        chars.append(ch)
        if rnd.random() < 0.15:
            chars.append(" ")
    spaced = "".join(chars)
    if len(spaced) > 256:
        return
    expected = Oracle.value(tree)
    if expected is None:
        with pytest.raises(DivisionByZero):
            evaluate(spaced)
    else:
        assert evaluate(spaced).value == expected


@given(st.integers(-(10**60), 10**60), st.integers(-(10**60), 10**60))
def test_big_integers_are_exact(a, b):
    assert evaluate(f"{a}*{b}".replace("*-", "*(-") + (")" if b < 0 else "")).text() == str(a * b)


@given(st.integers(-(10**6), 10**6), st.integers(1, 10**6))
def test_decimal_rendering_is_exact_or_marked(n, d):
    text = format_value(Fraction(n, d))
    if "\u2026" in text:  # 12 significant digits (issue 18): the bound is relative
        shown = Fraction(text.replace("\u2026", ""))
        assert shown != Fraction(n, d)
        assert abs(shown - Fraction(n, d)) < abs(Fraction(n, d)) / 10**11
    else:
        assert Fraction(text) == Fraction(n, d)


@pytest.mark.parametrize("text, shown", [
    ("4416/831/9964", "0.000533327922760\u2026"),  # 12 significant digits, not 9
    ("1/7000", "0.000142857142857\u2026"),
    ("1/70000", "1.42857142857\u2026e-5"),  # scientific below 10**-4
    ("-1/300000", "-3.33333333333\u2026e-6"),
    ("10000000000000/7", "1.42857142857\u2026e12"),  # a fraction too long to write out
    ("100000000001/10", "10000000000.1"),
    ("1/80000", "1.25e-5"),
])
def test_twelve_significant_digits(text, shown):
    assert evaluate(text).text() == shown


@pytest.mark.parametrize(
    "text, shown, fraction",
    [
        ("1 23 + 3 12", "435", "435"),
        ("7/2", "3.5", "7/2"),
        ("-7/2", "-3.5", "-7/2"),
        ("1/3", "0.333333333333\u2026", "1/3"),
        ("2*(3-5)", "-4", "-4"),
        ("48*-60", "-2880", "-2880"),
        ("-17--82", "65", "65"),
        ("0.1+0.2", "0.3", "3/10"),
        ("10-2-3", "5", "5"),
        ("64/4/2", "8", "8"),
        ("2+3*4", "14", "14"),
        ("(2+3)*4=", "20", "20"),
        ("007 + .5", "7.5", "15/2"),
        ("99999999999999999999*99999999999999999999",
         "9999999999999999999800000000000000000001", None),
    ],
)
def test_known_values(text, shown, fraction):
    result = evaluate(text)
    assert result.text() == shown
    if fraction is not None:
        assert result.text(fraction=True) == fraction


def test_division_by_zero_is_a_calc_error_with_position():
    with pytest.raises(DivisionByZero) as info:
        evaluate("1+5/(3-3)")
    assert info.value.pos == 3
    assert str(info.value) == "division by zero at 4"


def test_deep_nesting_does_not_overflow():
    text = "(" * 120 + "1" + ")" * 120
    assert evaluate(text).text() == "1"
    assert evaluate("-" * 200 + "5").text() == "5"
