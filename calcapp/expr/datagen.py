"""Training data for a task spec: deterministic, balanced, deduplicated, and split-safe.

- Deterministic: the same (spec, seed, split) always yields the same examples.
- Balanced: each operand's digit count is drawn uniformly first, so 1- and 2-digit operands
  are as common as 3-digit ones (the seeds drew values uniformly and so rarely showed the
  network a short operand, their main source of errors).
- Deduplicated by value structure: ``093+400`` and ``93+400`` are the same example.
- Split-safe: an expression's split is a hash of its canonical key, and ``a+b``/``b+a``
  (and ``a*b``/``b*a``) share a key, so train, validation and test never share an
  expression nor its commuted twin, however many samples each epoch draws.
"""

from __future__ import annotations

import hashlib
import itertools
import random
from dataclasses import dataclass
from typing import Iterator

from calcapp.expr.nodes import Binary, Node, Num
from calcapp.expr.parser import parse, render
from calcapp.expr.tasks import TaskSpec, task_answer

SPLITS = ("train", "val", "test")
DRY_MIN = 2000  # draws without a new example before a split counts as used up


@dataclass(frozen=True)
class Example:
    text: str  # as a person might type it (spaces, leading zeros)
    model_input: str  # as the network reads it (before reversal)
    target: str  # the answer under task semantics


def _canon(num: Num) -> str:
    return num.text.lstrip("0") or "0"


def value_key(node: Node) -> str:
    """Value structure of an expression: ``093+400`` and ``93+400`` share it."""
    return render(node, _canon)


def canonical_key(node: Node) -> str:
    """``value_key`` with commuted two-operand ``+``/``*`` folded: ``a+b`` ~ ``b+a``."""
    if (
        isinstance(node, Binary)
        and node.op in "+*"
        and isinstance(node.left, Num)
        and isinstance(node.right, Num)
    ):
        a, b = sorted([_canon(node.left), _canon(node.right)], key=lambda s: (len(s), s))
        return f"{a}{node.op}{b}"
    return value_key(node)


def split_of(key: str, holdout: float = 0.05) -> str:
    """``test`` for the first ``holdout`` of hash space, then ``val``, then ``train``."""
    if holdout <= 0:
        return "train"
    h = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big")
    u = h / 2**64
    if u < holdout:
        return "test"
    if u < 2 * holdout:
        return "val"
    return "train"


def styled(spec: TaskSpec, text: str, max_digits: int, rng: random.Random) -> str:
    """An operand as a person might type it, in the task's styles: plain, leading zeros,
    or spaces inside, within a field of ``max_digits``."""
    styles = ["plain"]
    if spec.leading_zeros:
        styles.append("zeros")
    if spec.spaces:
        styles.append("spaces")
    style = rng.choice(styles)
    room = max_digits - len(text)
    if style == "zeros" and room > 0:
        return "0" * rng.randint(1, room) + text
    if style == "spaces" and room > 0 and len(text) > 1:
        chars = list(text)
        for _ in range(rng.randint(1, room)):
            chars.insert(rng.randint(1, len(chars) - 1), " ")
        return "".join(chars)
    return text


def _operand(spec: TaskSpec, rng: random.Random, max_digits: int) -> str:
    length = rng.randint(1, max_digits)
    value = rng.randint(0 if length == 1 else 10 ** (length - 1), 10**length - 1)
    text = str(value)
    text = styled(spec, text, max_digits, rng)
    if spec.negatives and rng.random() < 0.25:
        text = "-" + text
    return text


def random_expression(spec: TaskSpec, rng: random.Random, max_digits: int | None = None) -> str:
    """One random expression inside ``spec`` (``max_digits`` may narrow the operands)."""
    digits = max_digits or spec.max_digits
    count = rng.randint(spec.min_operands, spec.max_operands)
    parts = [_operand(spec, rng, digits) for _ in range(count)]
    ops = [rng.choice(spec.operators) for _ in range(count - 1)]
    if spec.brackets and count >= 2 and rng.random() < 0.5:
        i = rng.randint(0, count - 2)
        j = rng.randint(i + 1, count - 1)
        parts[i] = "(" + parts[i]
        parts[j] = parts[j] + ")"
        if spec.negatives and rng.random() < 0.3:
            parts[i] = "-" + parts[i]
    out = parts[0]
    for op, part in zip(ops, parts[1:]):
        out += op + part
    return out


def iter_examples(
    spec: TaskSpec,
    seed: int | str = 0,
    split: str = "train",
    holdout: float = 0.05,
    max_digits: int | None = None,
    max_attempts: int | None = None,
) -> Iterator[Example]:
    """A deduplicated stream of one split's examples (endless unless ``max_attempts``, or
    until the split looks used up: see ``_used_up``).

    ``holdout`` is the share of expression space kept for each of test and validation
    (0 for exhaustive tiny tasks such as 1-digit addition, trained and tested on all pairs).
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}")
    rng = random.Random(f"{seed}:{split}")
    seen: set[str] = set()
    attempts = last_new = 0
    while max_attempts is None or attempts < max_attempts:
        if _used_up(attempts, last_new):
            return
        attempts += 1
        text = random_expression(spec, rng, max_digits)
        node = parse(text)
        key = value_key(node)
        if key in seen or split_of(canonical_key(node), holdout) != split:
            continue
        seen.add(key)
        last_new = attempts
        yield Example(text, spec.spell(node), task_answer(node))


def _used_up(attempts: int, last_new: int) -> bool:
    """Whether a stream has drawn nothing new for so long that its split is used up: more
    than ``DRY_MIN`` draws and more than twice all the draws it took to find what it has.
    Why: a tiny task (1-digit addition, 100 sums) was otherwise drawn ``max_attempts``
    times for every epoch, validation and test split, most of a default run's time. A
    split with examples left finds the next one long before that, so larger tasks draw
    exactly what they drew before."""
    return attempts - last_new > max(DRY_MIN, 2 * last_new)


def generate(
    spec: TaskSpec,
    n: int,
    seed: int | str = 0,
    split: str = "train",
    holdout: float = 0.05,
    max_digits: int | None = None,
) -> list[Example]:
    """``n`` distinct examples of one split (fewer if the task has fewer)."""
    stream = iter_examples(spec, seed, split, holdout, max_digits, max_attempts=60 * n + 2000)
    return list(itertools.islice(stream, n))
