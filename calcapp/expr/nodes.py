"""The syntax tree of an expression: numbers, unary and binary operations, and brackets.

Brackets are kept as ``Group`` nodes (they do not change the value) so that task specs
can check bracket depth and so that the expression can be written back as typed.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Iterator, NamedTuple, Union


class Num(NamedTuple):
    """Named tuples, not frozen dataclasses: as immutable, and built in half the time
    (every line of a file is parsed up to three times)."""

    value: Fraction  # an int for a whole number ("093" -> 93), a Fraction for "1.5"
    text: str  # digits as typed, spaces removed ("093", "1.5")
    raw: str  # as typed, inner spaces kept ("3 0")
    pos: int

    @property
    def is_integer(self) -> bool:
        return "." not in self.text


class Unary(NamedTuple):
    op: str  # "+" or "-"
    operand: "Node"
    pos: int


class Binary(NamedTuple):
    op: str  # "+", "-", "*", "/"
    left: "Node"
    right: "Node"
    pos: int


class Group(NamedTuple):
    inner: "Node"
    pos: int


Node = Union[Num, Unary, Binary, Group]


def walk(node: Node) -> Iterator[Node]:
    """Every node, parents before children, left to right."""
    yield node
    if isinstance(node, Unary):
        yield from walk(node.operand)
    elif isinstance(node, Binary):
        yield from walk(node.left)
        yield from walk(node.right)
    elif isinstance(node, Group):
        yield from walk(node.inner)


def bracket_depth(node: Node) -> int:
    if isinstance(node, Num):
        return 0
    if isinstance(node, Unary):
        return bracket_depth(node.operand)
    if isinstance(node, Binary):
        return max(bracket_depth(node.left), bracket_depth(node.right))
    return 1 + bracket_depth(node.inner)


def numbers(node: Node) -> list[Num]:
    return [n for n in walk(node) if isinstance(n, Num)]
