"""A mix shaped like what people type into a calculator (issue 20's benchmark and the
general model's test set): each kind is a generator of input lines from a seed."""

from __future__ import annotations

import random
from typing import Callable

OPS = "+-*/"


def _int(rng: random.Random, lo: int, hi: int) -> str:
    digits = rng.randint(lo, hi)
    if digits == 1:
        return str(rng.randint(0, 9))
    return str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(digits - 1))


def _decimal(rng: random.Random) -> str:
    whole = _int(rng, 1, 6)
    frac = "".join(str(rng.randint(0, 9)) for _ in range(rng.randint(1, 4)))
    return f"{whole}.{frac}"


def everyday(rng: random.Random) -> str:
    return f"{_int(rng, 1, 3)}{rng.choice(OPS)}{_int(rng, 1, 3)}"


def integers(rng: random.Random) -> str:
    return f"{_int(rng, 1, 12)}{rng.choice(OPS)}{_int(rng, 1, 12)}"


def decimals(rng: random.Random) -> str:
    a = _decimal(rng) if rng.random() < 0.8 else _int(rng, 1, 6)
    b = _decimal(rng) if rng.random() < 0.8 else _int(rng, 1, 6)
    return f"{a}{rng.choice(OPS)}{b}"


def operands(rng: random.Random) -> str:
    n = rng.randint(3, 6)
    parts = [_int(rng, 1, 4)]
    for _ in range(n - 1):
        parts += [rng.choice(OPS), _int(rng, 1, 4)]
    return "".join(parts)


def _term(rng: random.Random, depth: int) -> str:
    if depth < 2 and rng.random() < 0.35:
        inner = _expr(rng, depth + 1, rng.randint(2, 3))
        return ("-" if rng.random() < 0.3 else "") + f"({inner})"
    return ("-" if rng.random() < 0.2 else "") + _int(rng, 1, 4)


def _expr(rng: random.Random, depth: int, n: int) -> str:
    parts = [_term(rng, depth)]
    for _ in range(n - 1):
        parts += [rng.choice(OPS), _term(rng, depth)]
    return "".join(parts)


def brackets(rng: random.Random) -> str:
    while True:
        text = _expr(rng, 0, rng.randint(2, 4))
        if "(" in text or text.startswith("-"):
            return text


KINDS: dict[str, Callable[[random.Random], str]] = {
    "everyday 1-3 digit pairs": everyday,
    "1-12 digit integers, any operation": integers,
    "decimals (6.4 digits)": decimals,
    "3-6 operands": operands,
    "brackets and unary minus": brackets,
}


def people_mix(n_per_kind: int, seed: str) -> list[tuple[str, str]]:
    """``n_per_kind`` lines of each kind, as (kind, text), from ``seed``."""
    out = []
    for kind, make in KINDS.items():
        rng = random.Random(f"{seed}:{kind}")
        out += [(kind, make(rng)) for _ in range(n_per_kind)]
    return out
