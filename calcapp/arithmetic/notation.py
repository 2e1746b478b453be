"""How a network writes its answer: the written tokens of an answer, and the answer they spell.

Why notations: the order and form an answer is written in decide what each output step has
to compute. Plain notation writes the answer's characters (least-significant first for the
aligned models), which suits sums and differences: one digit pair and a carry per step.
Products and quotients are hard that way; the opt-in notations below write them the way
people do on paper:

- ``div_msd`` (long division): a quotient is written most significant digit first, one
  digit per digit of the dividend, leading zeros included (``983/81`` -> ``012``). Each
  step then needs the running remainder only; least-significant first, the very first
  character needs the whole quotient.
- ``mul_columns`` (column totals): a product is written least-significant first as the
  totals of its long-multiplication columns, carry included (``47*38`` -> 56, 58, 17, 1:
  7*8 = 56; 4*8 + 7*3 + carry 5 = 58; 4*3 + 5 = 17; 1). A total of 10 or more is one token
  of its own (``c58``), read as its last digit, so a step adds its column to the carry
  it just wrote down instead of taking a remainder of a number up to 260.
- ``div_remainders`` (long division with its remainders): each quotient step but the
  last also writes the remainder it carries down (``493/6`` -> ``q0r4, q8r1, 2``), as a
  person writes it under the line, so the next step reads it instead of recomputing it.

Reading stays trivial in all of them (drop leading zeros; keep a total's last digit): the
arithmetic is the network's, and what it wrote stays visible in the inside-the-model view.
"""

from __future__ import annotations

import functools

from typing import Any, Sequence

END, START, PAD = "</s>", "<s>", "<pad>"


def _operands(model_input: str, op: str) -> tuple[str, str]:
    a, b = model_input.split(op)
    return "".join(c for c in a if c.isdigit()), "".join(c for c in b if c.isdigit())


def columns(a: str, b: str) -> list[int]:
    """Long-multiplication column totals of ``a*b``, carry included, least significant
    first, up to the product's top digit: ``columns("47", "38") == [56, 58, 17, 1]``, whose
    last digits spell 1786 = 47*38 backwards."""
    da = [int(c) for c in reversed(a)]
    db = [int(c) for c in reversed(b)]
    out, carry, t = [], 0, 0
    while t < len(da) + len(db) - 1 or carry:
        total = carry + sum(da[i] * db[t - i] for i in range(len(da)) if 0 <= t - i < len(db))
        out.append(total)
        carry, t = total // 10, t + 1
    while len(out) > 1 and out[-1] == 0:  # leading zeros of the operands
        out.pop()
    return out


def max_column(max_digits: int) -> int:
    """The largest column total two operands of ``max_digits`` digits can make."""
    nines = "9" * max_digits
    return max(columns(nines, nines))


def column_tokens(max_digits: int) -> list[str]:
    """The extra output tokens of ``mul_columns``: one per total from 10 up."""
    return [f"c{v}" for v in range(10, max_column(max_digits) + 1)]


def remainder_tokens(max_digits: int) -> list[str]:
    """The extra output tokens of ``div_remainders``: a quotient digit with the remainder it
    leaves, for every step but the last (whose remainder nobody needs): ``q8r1``."""
    return [f"q{d}r{r}" for d in range(10) for r in range(10 ** (max_digits - 1))]


def long_division_steps(a: str, b: str) -> list[str]:
    """Long division of ``a`` by ``b`` (digits), one token per digit of ``a``: the quotient
    digit and the remainder carried to the next step, then the last quotient digit alone
    (``long_division_steps("493", "6") == ["q0r4", "q8r1", "2"]``)."""
    divisor, rem, out = int(b), 0, []
    for i, digit in enumerate(a):
        partial = 10 * rem + int(digit)
        q, rem = divmod(partial, divisor)
        out.append(str(q) if i == len(a) - 1 else f"q{q}r{rem}")
    return out


@functools.lru_cache(maxsize=4096)
def token_char(token: str) -> str:
    """The answer character a written token stands for (cached: decoding a file asks ~100,000 times)."""
    if token.startswith("c") and len(token) > 1:  # a column total: its last digit
        return str(int(token[1:]) % 10)
    if token.startswith("q") and "r" in token:  # a quotient digit with its remainder
        return token[1:token.index("r")]
    return token


def token_text(token: str) -> str:
    """How the inside-the-model view shows a written token (a column total as its number,
    a long-division step as its digit and remainder)."""
    if token.startswith("c") and len(token) > 1:
        return token[1:]
    if token.startswith("q") and "r" in token:
        return f"{token[1:token.index('r')]} r{token[token.index('r') + 1:]}"
    return token


def long_division(cfg: dict[str, Any], model_input: str) -> bool:
    return bool(cfg.get("div_msd")) and "/" in model_input


def column_product(cfg: dict[str, Any], model_input: str) -> bool:
    return bool(cfg.get("mul_columns")) and "*" in model_input


def written(cfg: dict[str, Any], target: str, model_input: str | None, reverse: bool) -> list[str]:
    """The tokens the network writes for ``target`` (no end marker), in writing order."""
    needs_input = cfg.get("div_msd") or cfg.get("mul_columns")
    if needs_input and model_input is None:
        raise ValueError("this model's notation depends on the input; pass the inputs")
    if model_input is not None and long_division(cfg, model_input):
        if target == "NaN":  # division by zero: written as it reads
            return list(target)
        if cfg.get("div_remainders"):
            return long_division_steps(*_operands(model_input, "/"))
        return list(target.zfill(len(_operands(model_input, "/")[0])))
    if model_input is not None and column_product(cfg, model_input):
        return [str(v) if v < 10 else f"c{v}" for v in columns(*_operands(model_input, "*"))]
    return list(target[::-1] if reverse else target)


def read(tokens: Sequence[str], msd_first: bool, reverse: bool) -> tuple[list[str], list[int]]:
    """Written tokens -> (answer characters in reading order, index of each one's token)."""
    chars = [token_char(t) for t in tokens]
    idx = list(range(len(tokens)))
    if msd_first:
        while len(chars) > 1 and chars[0] == "0":
            chars, idx = chars[1:], idx[1:]
    elif reverse:
        chars, idx = chars[::-1], idx[::-1]
    return chars, idx
