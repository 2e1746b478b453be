"""What the Training tab checks before it acts: a fresh name per run, and a warning
before a weaker model takes over the calculator.

Why: two runs with the default name would share a folder, and the second would silently
overwrite the first; and "Make active model" on a half-trained run would make the
calculator answer 3+4 = 1 without a word.
"""

from __future__ import annotations

import random

from calcapp.expr.tasks import TaskSpec, goal


def fresh_config(config, run_names, model_names):
    """``config`` under a name that no user model folder, recorded run or known model
    has (``add1-attention-2``), so a run never overwrites another."""
    from dataclasses import replace

    from calcapp.nets.registry import next_free_name

    name = next_free_name(config.name, taken=set(run_names) | set(model_names))
    return config if name == config.name else replace(config, name=name)


def sample_inputs(spec: TaskSpec, n: int = 5) -> list[str]:
    """A few inputs of the task, to ask which model answers them now."""
    from calcapp.expr.datagen import random_expression

    rng = random.Random(0)
    return [random_expression(spec, rng) for _ in range(n)]


def activation_warning(info, models) -> str | None:
    """Why making ``info`` the active model may make the calculator worse, or None:
    it is less accurate than the model that answers its task's inputs now, or it has not
    reached its task's goal."""
    from calcapp.nets.registry import best_for

    acc = info.exact_match
    others = [m for m in models if m.name != info.name]
    current = None
    for text in sample_inputs(info.task):
        current = best_for(text, others)
        if current is not None:
            break
    mine = "an unmeasured accuracy" if acc is None else f"{100 * acc:.1f}% exact on its test set"
    if current is not None and (acc or 0.0) < (current.exact_match or 0.0):
        return (f"{info.name} has {mine}; {current.name}, which answers its task now, has "
                f"{100 * (current.exact_match or 0.0):.1f}%. The calculator would answer "
                "worse. Make it active anyway?")
    wanted = goal(info.task)
    if (acc or 0.0) < wanted:
        return (f"{info.name} has {mine}, below its task's goal of {100 * wanted:.1f}%. "
                "Make it active anyway?")
    return None
