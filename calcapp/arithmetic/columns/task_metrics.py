"""A columns model of a seed task (arith3, expr): its card's exact match, measured where
the seq2seq models of that task are measured, so that the two cards compare.

``test``: the test split of the task's seq2seq recipe (the recipe's ``compare_with``),
drawn exactly as its trainer draws it (``trainer._fixed_split``: that recipe's seed,
holdout and size). ``fresh``: a sample of the whole task drawn with another seed (every
expression of the task, whatever its split), a second look that no recipe chose.
"""

from __future__ import annotations

from pathlib import Path

from calcapp.arithmetic.evaluation import score
from calcapp.expr import fastgen
from calcapp.expr.datagen import Example

FRESH_SEED = "columns-fresh"
FRESH_SIZE = 5000
MAX_ERRORS = 10  # wrong answers kept in the card, as the seq2seq cards keep


def compared_recipe(config):
    """The seq2seq recipe whose test split this model is measured on, checked before any
    training: ValueError (a plain line) when it is missing or of another task."""
    from calcapp.arithmetic.recipes import load_recipe

    name = config.hparams.get("compare_with")
    if not isinstance(name, str):
        raise ValueError(f"recipe {config.name}: a columns model of task {config.task.name} "
                         "needs 'compare_with' (the seq2seq recipe whose test split it is measured on)")
    try:
        other = load_recipe(name)
    except LookupError as exc:
        raise ValueError(f"recipe {config.name}: compare_with: {exc}") from None
    if other.config.task.name != config.task.name:
        raise ValueError(f"recipe {config.name}: compare_with {name} is of task "
                         f"{other.config.task.name}, not {config.task.name}")
    return other


def recipe_split(recipe, split: str, n: int | None = None) -> list[Example]:
    """A split of a seq2seq recipe's task as its trainer draws it (``n``: the first n)."""
    from calcapp.arithmetic.trainer import _fixed_split

    hp = recipe.config.hp()
    return _fixed_split(recipe.config.task, hp, split, int(n or hp[f"{split}_size"]))


def fresh_sample(spec, n: int = FRESH_SIZE, seed: str = FRESH_SEED) -> list[Example]:
    """``n`` distinct expressions of the whole task (no split held out), from ``seed``."""
    return fastgen.sample(spec, n, seed=seed, split="train", holdout=0)


def measure(predictor, examples: list[Example]) -> dict:
    """Exact match (with the seq2seq cards' breakdowns) of a predictor on examples, each
    read as the task writes it (``model_input``: spaces, leading zeros)."""
    inputs = [e.model_input for e in examples]
    got = [p.text for p in predictor.predict(inputs)]
    metrics = score(inputs, [e.target for e in examples], got)
    return {**metrics, "errors": metrics["errors"][:MAX_ERRORS]}


def task_metrics(folder: Path, config) -> dict:
    """The card's metrics: the compared recipe's test split, then a fresh sample."""
    from calcapp.arithmetic.columns.cells import tables_from_file
    from calcapp.arithmetic.columns.predictor import ColumnsPredictor

    pred = ColumnsPredictor(tables_from_file(Path(folder) / "model.keras"), config.name,
                            whole_quotients=True)
    other = compared_recipe(config)
    metrics = measure(pred, recipe_split(other, "test"))
    metrics["test_split"] = (f"the test split of recipe {other.name} (its trainer's seed "
                             f"{other.config.hp()['seed']}, holdout {other.config.hp()['holdout']})")
    fresh = measure(pred, fresh_sample(config.task, int(config.hparams.get("fresh_size", FRESH_SIZE))))
    metrics["fresh"] = {"n": fresh["n"], "exact_match": fresh["exact_match"],
                        "seed": FRESH_SEED, "errors": fresh["errors"]}
    return metrics
