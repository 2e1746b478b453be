"""Turns calculator input into tokens.

Calculator input is forgiving: spaces may stand anywhere, even inside a number
(``1 23`` is 123), and both the typeset operators (``× ÷ −``) and their ASCII forms
(``* / x -``) are accepted. Only ASCII digits count as digits.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from calcapp.expr.errors import InputTooLong, ParseError

MAX_INPUT_LENGTH = 256

DIGITS = frozenset("0123456789")
SPACES = frozenset(" \t")
# Every accepted spelling of an operator, mapped to its canonical ASCII form.
OPERATORS = {
    "+": "+",
    "-": "-",
    "\u2212": "-",  # − minus sign
    "*": "*",
    "x": "*",
    "X": "*",
    "\u00d7": "*",  # ×
    "/": "/",
    "\u00f7": "/",  # ÷
}
PRETTY = {"+": "+", "-": "\u2212", "*": "\u00d7", "/": "\u00f7"}


class Token(NamedTuple):
    """One lexical unit. ``kind`` is NUM, OP, LPAR, RPAR or END.

    For NUM, ``text`` holds the digits as typed without spaces (``"093"``, ``"1.5"``) and
    ``raw`` the span as typed, inner spaces included (``"3 0"``). For OP, ``text`` is the
    canonical ASCII operator. A named tuple: a file of 10,000 lines makes ~100,000 of
    them (a frozen dataclass took 4x as long to build).
    """

    kind: str
    text: str
    pos: int
    raw: str = ""


def _scan_number(src: str, i: int) -> tuple[Token, int]:
    start = i
    digits: list[str] = []
    seen_point = False
    last = i  # index just past the last digit or point consumed
    n = len(src)
    while i < n:
        ch = src[i]
        if ch in DIGITS:
            digits.append(ch)
            i += 1
            last = i
        elif ch == ".":
            if seen_point:
                raise ParseError("a number has a second '.'", i)
            seen_point = True
            digits.append(ch)
            i += 1
            last = i
        elif ch in SPACES:
            # A space continues the number only if more of the number follows it.
            j = i
            while j < n and src[j] in SPACES:
                j += 1
            if j < n and (src[j] in DIGITS or (src[j] == "." and not seen_point)):
                i = j
            else:
                break
        else:
            break
    text = "".join(digits)
    if text == ".":
        raise ParseError("a '.' without digits", start)
    return Token("NUM", text, start, src[start:last]), last


# Input in plain ASCII digits, operators and brackets (what the networks write, and most of
# what people type) splits on one regular expression, ~3x faster than the scanner below;
# anything else (spaces, points, other spellings, errors) takes the scanner.
_PLAIN = re.compile(r"[0-9+\-*/()]*")
_PLAIN_TOKEN = re.compile(r"[0-9]+|[^0-9]")
_PLAIN_KIND = {"+": "OP", "-": "OP", "*": "OP", "/": "OP", "(": "LPAR", ")": "RPAR"}


def _tokenize_plain(src: str) -> list[Token]:
    tokens = [Token(_PLAIN_KIND.get(m.group(), "NUM"), m.group(), m.start(), m.group())
              for m in _PLAIN_TOKEN.finditer(src)]
    tokens.append(Token("END", "", len(src)))
    return tokens


def tokenize(src: str) -> list[Token]:
    """Split ``src`` into tokens, ending with an END token.

    A trailing ``=`` (optionally followed by spaces) is accepted and dropped.
    """
    if len(src) > MAX_INPUT_LENGTH:
        raise InputTooLong(
            f"the input is {len(src)} characters long; the limit is {MAX_INPUT_LENGTH}"
        )
    return _tokenize_plain(src) if _PLAIN.fullmatch(src) else _scan(src)


def _scan(src: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(src)
    while i < n:
        ch = src[i]
        if ch in SPACES:
            i += 1
        elif ch in DIGITS or ch == ".":
            tok, i = _scan_number(src, i)
            tokens.append(tok)
        elif ch in OPERATORS:
            tokens.append(Token("OP", OPERATORS[ch], i, ch))
            i += 1
        elif ch == "(":
            tokens.append(Token("LPAR", "(", i, ch))
            i += 1
        elif ch == ")":
            tokens.append(Token("RPAR", ")", i, ch))
            i += 1
        elif ch == "=":
            if src[i + 1 :].strip(" \t\r\n"):
                raise ParseError("'=' may only end the expression", i)
            break
        elif ch in "\r\n":
            i += 1
        else:
            shown = ch if ch.isprintable() else f"U+{ord(ch):04X}"
            raise ParseError(f"unexpected character '{shown}'", i)
    tokens.append(Token("END", "", i if i <= n else n))
    return tokens
