"""A columns run's checkpoint, so a run killed or stopped mid-way can go on (``--resume``).

Where: the run's own model folder, as for the seq2seq trainer, so the engine and
``--resume`` find it where the finished model will be. After every round the whole folder
is written anew (temp folder, then rename: a kill leaves the last whole one), and the end
of the run replaces it with the finished model. Why it is never taken for a finished
model: its card has no ``metrics`` (Auto picks only a model measured at its goal,
``registry.best_for``) and its ``training`` says ``"finished": false``, which cells are
done (with their reports in ``cell_metrics``) and how far the cell at work has come (its
rounds and learning rate). It loads like any columns model; its unfinished cells answer
wrong. No TensorFlow here: ``read`` needs only the card and the weights' file.
"""

from __future__ import annotations

import math
import time
import zipfile
from pathlib import Path
from typing import Any

from calcapp.arithmetic.columns import cells as C
from calcapp.nets.registry import (CARD_NAME, MODEL_NAME, check_keras_archive, read_card,
                                   write_json_atomic, writing_model_folder)

DATA = ("generated column facts from <=5-digit problems: every digit fact (each cell's whole "
        "finite domain) that written +, -, x and long division on operands of up to 5 "
        "digits needs")


def fresh() -> dict[str, Any]:
    """A run's progress before its first round: no cell done, none at work."""
    return {"done": {}, "cell": None, "cell_round": 0, "learning_rate": None,
            "cell_seconds": 0.0, "train_time_s": 0.0}


def rounds_done(progress: dict[str, Any]) -> int:
    """Rounds trained so far, over every cell (a run reports them as its epochs)."""
    before = sum(int(rep["rounds"]) for rep in progress["done"].values())
    return before + (int(progress["cell_round"]) if progress["cell"] else 0)


def card_base(config, model, hp: dict[str, Any]) -> dict[str, Any]:
    """What a checkpoint's card and the finished model's card share."""
    import platform

    import keras
    import numpy as np

    return {
        "name": config.name, "kind": "calculator", "task": config.task.to_dict(),
        "architecture": "columns", "hparams": hp,
        "cells": {c: {"inputs": list(f), "heads": list(h), "hidden": u}
                  for c, (f, h, u) in C.CELLS.items()},
        "data": DATA, "parameters": int(model.count_params()),
        "versions": {"python": platform.python_version(), "numpy": np.__version__,
                     "keras": keras.__version__, "backend": keras.backend.backend()},
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def write(folder: Path, config, model, hp: dict[str, Any], progress: dict[str, Any],
          replace: bool) -> None:
    """The folder swapped in whole, holding the weights so far and a card marked unfinished
    (``replace=False``: refuse one that exists)."""
    rounds = rounds_done(progress)
    card = {**card_base(config, model, hp), "cell_metrics": dict(progress["done"]),
            "training": {"finished": False, "cells_done": list(progress["done"]),
                         "cell": progress["cell"], "cell_round": progress["cell_round"],
                         "learning_rate": progress["learning_rate"],
                         "cell_seconds": round(progress["cell_seconds"], 1),
                         "rounds": rounds, "best_epoch": rounds,
                         "train_time_s": round(progress["train_time_s"], 1)}}
    with writing_model_folder(folder, replace=replace) as tmp:
        model.save(tmp / MODEL_NAME)
        write_json_atomic(tmp / CARD_NAME, card)


def read(folder: Path) -> tuple[dict, dict[str, Any]]:
    """(the weights by layer name, the progress) of a checkpoint; ValueError, one line
    naming the folder, for anything else (a finished model, another architecture, a card
    or weights that do not fit)."""
    folder = Path(folder)
    try:
        if not (folder / CARD_NAME).is_file():
            raise ValueError(f"it holds no {CARD_NAME}")
        card = read_card(folder)
        progress = _progress(card)
        weights = C.read_weights(check_keras_archive(folder / MODEL_NAME))
        _check_shapes(weights)
    except (OSError, KeyError, TypeError, ValueError, zipfile.BadZipFile) as exc:
        why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if isinstance(exc, KeyError):
            why = f"not a columns checkpoint (its card has no {exc})"
        raise ValueError(f"cannot resume {folder}: {why[:200]}") from None
    return weights, progress


def _progress(card: dict) -> dict[str, Any]:
    """The progress a checkpoint's card records, checked against the cells' order."""
    if card.get("architecture") != "columns":
        raise ValueError(f"not a columns checkpoint (architecture {card.get('architecture')!r})")
    training = card.get("training")
    if not isinstance(training, dict) or training.get("finished") is not False:
        raise ValueError("a finished columns model, not a checkpoint: nothing to resume")
    order, done = list(C.CELLS), list(training["cells_done"])
    cell, cell_round, rate = training["cell"], int(training["cell_round"]), training["learning_rate"]
    if done != order[:len(done)] or cell not in (None, *order[len(done):len(done) + 1]):
        raise ValueError(f"not a columns checkpoint (cells done {done}, at work {cell!r})")
    if cell_round < 0 or (rate is not None and not (math.isfinite(rate) and rate > 0)):
        raise ValueError("not a columns checkpoint (a bad round or learning rate)")
    reports = {c: dict(card["cell_metrics"][c]) for c in done}
    if any(int(rep["rounds"]) < 1 for rep in reports.values()):
        raise ValueError("not a columns checkpoint (a done cell without rounds)")
    return {"done": reports, "cell": cell, "cell_round": cell_round if cell else 0,
            "learning_rate": float(rate) if rate is not None else None,
            "cell_seconds": float(training.get("cell_seconds") or 0.0),
            "train_time_s": float(training.get("train_time_s") or 0.0)}


def _check_shapes(weights: dict) -> None:
    """Every cell's layers in the shapes ``CELLS`` gives (another model's would not load)."""
    for cell, (fields, heads, hidden) in C.CELLS.items():
        names = C.layer_names(cell)
        want = [(sum(fields), hidden)] + [(hidden, w) for w in heads]
        for name, shape in zip(names, want):
            kernel, bias = weights[name]
            if kernel.shape != shape or bias.shape != shape[1:]:
                raise ValueError(f"not a columns checkpoint (layer {name} is {kernel.shape})")
