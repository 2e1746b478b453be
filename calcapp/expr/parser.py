"""A recursive-descent parser for calculator expressions (never Python's eval).

Grammar, with the usual precedence and left associativity::

    expr    := term (("+" | "-") term)*
    term    := unary (("*" | "/") unary)*
    unary   := ("+" | "-") unary | primary
    primary := NUMBER | "(" expr ")"

Unary signs may follow another operator, as in ``48*-60`` and ``-17--82``.
"""

from __future__ import annotations

from fractions import Fraction

from calcapp.expr.errors import ParseError
from calcapp.expr.lexer import PRETTY, Token, tokenize
from calcapp.expr.nodes import Binary, Group, Node, Num, Unary

def _describe(tok: Token) -> str:
    if tok.kind == "END":
        return "the end"
    if tok.kind == "OP":
        return f"'{tok.raw or tok.text}'"
    if tok.kind == "NUM":
        return f"number '{tok.text}'"
    return f"'{tok.text}'"


class _Parser:
    """Recursive descent over the token list. The loops read ``self.tokens[self.i]`` directly
    (no property or method per token): a file of 10,000 lines parses each line up to three
    times (as read, as the network reads it, and each working text a rewriting model writes)."""

    __slots__ = ("tokens", "i")

    def __init__(self, tokens: list[Token]):
        self.tokens = tokens
        self.i = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def advance(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def parse(self) -> Node:
        if self.tok.kind == "END":
            raise ParseError("the expression is empty")
        node = self.expr()
        if self.tok.kind != "END":
            tok = self.tok
            if tok.kind == "RPAR":
                raise ParseError("unexpected ')'", tok.pos)
            raise ParseError(f"expected an operator before {_describe(tok)}", tok.pos)
        return node

    def expr(self) -> Node:
        return self._left_associative(self.term, "+-")

    def term(self) -> Node:
        return self._left_associative(self.unary, "*/")

    def _left_associative(self, operand, operators: str) -> Node:
        """``operand (op operand)*`` for the ``operators`` of one precedence level."""
        node = operand()
        tokens = self.tokens
        while True:
            op = tokens[self.i]
            if op.kind != "OP" or op.text not in operators:
                return node
            self.i += 1
            node = Binary(op.text, node, operand(), op.pos)

    def unary(self) -> Node:
        op = self.tokens[self.i]
        if op.kind == "OP" and op.text in "+-":
            self.i += 1
            return Unary(op.text, self.unary(), op.pos)
        return self.primary()

    def primary(self) -> Node:
        tok = self.tokens[self.i]
        if tok.kind == "NUM":
            self.i += 1
            text = tok.text  # a whole number as an int: exact, and ~5x quicker to add or multiply
            return Num(int(text) if text.isdigit() else Fraction(text), text, tok.raw, tok.pos)
        if tok.kind == "LPAR":
            self.advance()
            if self.tok.kind == "RPAR":
                raise ParseError("empty brackets", self.tok.pos)
            inner = self.expr()
            if self.tok.kind != "RPAR":
                if self.tok.kind == "END":
                    raise ParseError("missing ')' for the '(' opened", tok.pos)
                raise ParseError(f"expected ')' before {_describe(self.tok)}", self.tok.pos)
            self.advance()
            return Group(inner, tok.pos)
        if tok.kind == "END":
            prev = self.tokens[self.i - 1] if self.i else None
            if prev is not None and prev.kind == "OP":
                sym = PRETTY.get(prev.text, prev.text)
                raise ParseError(f"a number is missing after '{sym}'", prev.pos)
            raise ParseError("the expression ends too early", tok.pos)
        raise ParseError(f"unexpected {_describe(tok)}", tok.pos)


def parse(text: str) -> Node:
    """Parse calculator input into a syntax tree; raises ``ParseError``/``InputTooLong``."""
    return _Parser(tokenize(text)).parse()


def render(node: Node, number=lambda n: n.text, pretty: bool = False) -> str:
    """Write a tree back as compact text; ``number`` chooses how each Num is spelled."""
    if isinstance(node, Num):
        return number(node)
    if isinstance(node, Unary):
        op = PRETTY[node.op] if pretty else node.op
        return op + render(node.operand, number, pretty)
    if isinstance(node, Binary):
        op = PRETTY[node.op] if pretty else node.op
        return render(node.left, number, pretty) + op + render(node.right, number, pretty)
    return "(" + render(node.inner, number, pretty) + ")"


def normalise(text: str, pretty: bool = False) -> str:
    """The expression without spaces and with canonical operators: ``1 23 + 3 12`` -> ``123+312``."""
    return render(parse(text), pretty=pretty)
