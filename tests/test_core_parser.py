"""Parser and lexer: accepted spellings, normalisation, and errors with positions."""

from __future__ import annotations

import pytest

from calcapp.expr.errors import CalcError, InputTooLong, ParseError
from calcapp.expr.lexer import MAX_INPUT_LENGTH, tokenize
from calcapp.expr.parser import normalise, parse


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1 23 + 3 12", "123+312"),
        ("12 \u00d7 3", "12*3"),
        ("12 x 3", "12*3"),
        ("8 \u00f7 2", "8/2"),
        ("8 \u2212 2", "8-2"),
        ("48*-60", "48*-60"),
        ("-17--82", "-17--82"),
        ("+5", "+5"),
        ("(1+2)*3 =", "(1+2)*3"),
        ("1.5 + .25 + 3.", "1.5+.25+3."),
        ("0 0 7", "007"),
    ],
)
def test_normalise(text, expected):
    assert normalise(text) == expected


def test_pretty_normalise_uses_typeset_operators():
    assert normalise("2*3-4/5", pretty=True) == "2\u00d73\u22124\u00f75"


@pytest.mark.parametrize(
    "text, message, pos",
    [
        ("", "the expression is empty", None),
        ("   ", "the expression is empty", None),
        ("1+2)", "unexpected ')'", 3),
        ("((1)", "missing ')' for the '(' opened", 0),
        ("1+", "a number is missing after '+'", 1),
        ("2*(3", "missing ')' for the '(' opened", 2),
        ("2(3)", "expected an operator before '('", 1),
        ("()", "empty brackets", 1),
        ("1..2", "a number has a second '.'", 2),
        ("1+a", "unexpected character 'a'", 2),
        ("1=2", "'=' may only end the expression", 1),
        ("*3", "unexpected '*'", 0),
        ("1+*3", "unexpected '*'", 2),
        ("12 34 (", "expected an operator before '('", 6),
        ("\u0663+1", "unexpected character '\u0663'", 0),  # Arabic-Indic three: not ASCII
        ("１+1", "unexpected character '１'", 0),  # full-width one
    ],
)
def test_errors_have_message_and_position(text, message, pos):
    with pytest.raises(ParseError) as info:
        parse(text)
    assert info.value.message == message
    assert info.value.pos == pos
    if pos is not None:
        assert str(info.value) == f"{message} at {pos + 1}"


def test_all_errors_are_calc_errors():
    assert issubclass(ParseError, CalcError) and issubclass(InputTooLong, CalcError)


def test_input_cap_has_its_own_error():
    parse("1+" * 127 + "1")  # 255 characters: fine
    with pytest.raises(InputTooLong) as info:
        parse("1" * (MAX_INPUT_LENGTH + 1))
    assert "limit is 256" in str(info.value)


def test_spaces_continue_numbers_only_before_more_digits():
    toks = tokenize("1 2 + 3")
    assert [(t.kind, t.text) for t in toks] == [("NUM", "12"), ("OP", "+"), ("NUM", "3"), ("END", "")]
    assert toks[0].raw == "1 2"


def test_left_associativity_and_precedence_in_tree():
    tree = parse("8-4-2")
    assert tree.op == "-" and tree.left.op == "-"  # (8-4)-2
    tree = parse("1+2*3")
    assert tree.op == "+" and tree.right.op == "*"


def test_plain_input_tokenizes_as_the_scanner_does():
    """The regular-expression route for plain ASCII input gives the scanner's tokens."""
    import random

    from calcapp.expr.lexer import _PLAIN, _scan, _tokenize_plain

    rng = random.Random(0)
    for _ in range(3000):
        text = "".join(rng.choice("0123456789+-*/()") for _ in range(rng.randint(0, 16)))
        assert _PLAIN.fullmatch(text)
        assert _tokenize_plain(text) == _scan(text), text
    assert not _PLAIN.fullmatch("1 2+3") and not _PLAIN.fullmatch("1.5") and not _PLAIN.fullmatch("2×3")
