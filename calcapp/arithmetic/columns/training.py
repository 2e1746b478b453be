"""Trains the digit cells (Keras) and writes a columns model folder: the ``general`` model,
or a model of a seed task (arith3, expr) whose quotients are cut to whole numbers. The
cells are the same for every task; the card's task decides how the procedure divides.

The facts: every column fact that written arithmetic on operands of up to 5 digits needs.
For ``add``, ``sub`` and ``mul`` these are all digit pairs with every carry; for ``quo``
every leading-three-digit remainder against every leading-two-digit divisor (a 5-digit
divisor already shows all of them). So the facts are each cell's whole finite domain, and
longer numbers need no new fact: length is the procedure's business.
Each cell trains until it is right on its whole domain (checked on the NumPy path, the
one the app answers with), or its epoch budget ends.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from calcapp.arithmetic.columns import cells as C

DEFAULTS: dict[str, Any] = {"seed": 0, "batch_size": 128, "learning_rate": 0.01,
                            "round_size": 25000, "max_rounds": 80, "min_confidence": 0.9,
                            "weak_copies": 20, "decay": 0.93, "min_learning_rate": 2e-4}


def build_model(seed: int = 0):
    """One Keras model holding every cell: per cell one Dense-ReLU layer and softmax heads."""
    import keras

    keras.utils.set_random_seed(seed)
    inputs, outputs = [], []
    for cell, (fields, heads, hidden) in C.CELLS.items():
        inp = keras.Input(shape=(sum(fields),), name=f"{cell}_in")
        names = C.layer_names(cell)
        h = keras.layers.Dense(hidden, activation="relu", name=names[0])(inp)
        inputs.append(inp)
        outputs += [keras.layers.Dense(w, activation="softmax", name=n)(h)
                    for w, n in zip(heads, names[1:])]
    return keras.Model(inputs, outputs, name="columns")


def cell_model(model, cell: str):
    """The sub-model of one cell (sharing the layers of ``model``)."""
    import keras

    names = C.layer_names(cell)
    inp = model.get_layer(f"{cell}_in").output
    return keras.Model(inp, [model.get_layer(n).output for n in names[1:]])


def weights_of(model) -> dict:
    return {layer.name: tuple(np.asarray(w) for w in layer.get_weights())
            for layer in model.layers if layer.get_weights()}


def cell_report(model, cell: str) -> dict[str, float]:
    """Accuracy (all heads right) and the weakest winning probability over the domain."""
    rows = C.domain(cell)
    probs = C.numpy_forward(weights_of(model), cell, C.one_hot(cell, rows))
    want = C.truth(cell, rows)
    ok = np.all([p.argmax(1) == w for p, w in zip(probs, want)], axis=0)
    return {"accuracy": float(ok.mean()), "domain": int(len(rows)),
            "min_confidence": float(min(p.max(1).min() for p in probs))}


def _weak_rows(model, cell: str, rows: np.ndarray, floor: float) -> np.ndarray:
    """Indices of the facts a cell gets wrong or answers with less than ``floor``."""
    probs = C.numpy_forward(weights_of(model), cell, C.one_hot(cell, rows))
    want = C.truth(cell, rows)
    bad = np.zeros(len(rows), dtype=bool)
    for p, w in zip(probs, want):
        bad |= (p.argmax(1) != w) | (p[np.arange(len(w)), w] < floor)
    return np.flatnonzero(bad)


def train_cells(hp: dict[str, Any], log: Callable[[str], None] = print,
                on_round: Callable[[Any], None] | None = None, fit_callbacks: tuple = ()):
    """Train every cell to 100% on its domain; returns the model and per-cell reports.

    Each round sees the whole domain about ``round_size`` times over, plus extra copies of
    the facts still wrong or unsure (a finite table is learned fastest where it is weak),
    with a learning rate that decays round by round. ``on_round(model)`` after each round
    (a benchmark's curve: the whole model as it stands) and ``fit_callbacks`` (Keras
    callbacks) in every round: how a run reports and stops."""
    import keras

    hp = {**DEFAULTS, **hp}
    model = build_model(hp["seed"])
    reports = {}
    for cell in C.CELLS:
        sub = cell_model(model, cell)
        opt = keras.optimizers.Adam(hp["learning_rate"])
        sub.compile(optimizer=opt, loss=["sparse_categorical_crossentropy"] * len(C.CELLS[cell][1]))
        rows = C.domain(cell)
        reps = max(1, hp["round_size"] // len(rows))
        start = time.time()
        weak = np.arange(len(rows))
        for rnd in range(hp["max_rounds"]):
            pick = np.concatenate([np.tile(np.arange(len(rows)), reps), np.tile(weak, hp["weak_copies"])])
            x, y = C.one_hot(cell, rows[pick]), C.truth_table(cell, rows)
            sub.fit(x, [t[pick] for t in y], batch_size=hp["batch_size"], epochs=1, shuffle=True, verbose=0,
                    callbacks=list(fit_callbacks))
            opt.learning_rate.assign(max(hp["min_learning_rate"], float(opt.learning_rate) * hp["decay"]))
            rep = cell_report(model, cell)
            weak = _weak_rows(model, cell, rows, hp["min_confidence"])
            log(f"{cell}: round {rnd + 1}, accuracy {100 * rep['accuracy']:.3f}%, "
                f"weakest {rep['min_confidence']:.3f}, unsure {len(weak)}")
            if on_round is not None:
                on_round(model)
            if rep["accuracy"] == 1.0 and rep["min_confidence"] >= hp["min_confidence"]:
                break
        rep["rounds"] = rnd + 1
        rep["seconds"] = round(time.time() - start, 1)
        reports[cell] = rep
    return model, reports


TEST_SEED = "general-test"  # the card's test mix; the benchmark draws with another seed


def test_metrics(model_folder: Path, n_per_kind: int = 400) -> dict[str, Any]:
    """Exact match of the written model on a fresh people's mix, per kind (NumPy path)."""
    from calcapp.arithmetic.columns.mix import people_mix
    from calcapp.arithmetic.columns.predictor import ColumnsPredictor
    from calcapp.expr.errors import CalcError
    from calcapp.expr.parser import parse
    from calcapp.expr.tasks import same_answer, task_answer

    pred = ColumnsPredictor(C.tables_from_file(model_folder / "model.keras"))
    by_kind: dict[str, list[int]] = {}
    for kind, text in people_mix(n_per_kind, TEST_SEED):
        try:
            want = task_answer(parse(text), exact=True)
        except CalcError:
            continue
        got = pred.predict([text])[0].text
        by_kind.setdefault(kind, []).append(int(same_answer(got, want)))
    right = [v for vs in by_kind.values() for v in vs]
    return {"n": len(right), "exact_match": sum(right) / len(right),
            "by_kind": {k: {"n": len(v), "exact_match": sum(v) / len(v)} for k, v in by_kind.items()}}


def write_model(config, out: Path, log: Callable[[str], None] = print,
                on_round: Callable[[Any], None] | None = None, fit_callbacks: tuple = ()) -> Path:
    """Train the cells from ``config`` (a recipe's ``TrainConfig``) and write the model
    folder ``out/<name>`` (refusing to replace one that exists); returns the folder. The
    card's metrics: the people's mix for the general model, else ``task_metrics``."""
    from calcapp.arithmetic.columns.task_metrics import compared_recipe, task_metrics
    from calcapp.nets.registry import write_json_atomic, writing_model_folder

    folder = Path(out) / config.name
    if folder.exists():
        raise FileExistsError(f"{folder} exists; remove it or choose another --out")
    whole = not config.task.exact_quotients
    if whole:
        compared_recipe(config)  # (a missing comparison is refused before training)
    import keras

    start = time.time()
    model, reports = train_cells(config.hparams, log, on_round, fit_callbacks)
    seconds = round(time.time() - start, 1)
    with writing_model_folder(folder) as tmp:
        model.save(tmp / "model.keras")
        card = {
            "name": config.name, "kind": "calculator", "task": config.task.to_dict(),
            "architecture": "columns", "hparams": {**DEFAULTS, **config.hparams},
            "cells": {c: {"inputs": list(f), "heads": list(h), "hidden": u}
                      for c, (f, h, u) in C.CELLS.items()},
            "data": "generated column facts from <=5-digit problems: every digit fact "
                    "(each cell's whole finite domain) that written +, -, x and long "
                    "division on operands of up to 5 digits needs",
            "parameters": int(model.count_params()),
            "cell_metrics": reports,
            "training": {"train_time_s": seconds},
            "versions": _versions(keras),
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        write_json_atomic(tmp / "card.json", card)
        card["metrics"] = task_metrics(tmp, config) if whole else test_metrics(tmp)
        log(f"test {'split' if whole else 'mix'}: {100 * card['metrics']['exact_match']:.2f}% right"
            f" of {card['metrics']['n']}")
        write_json_atomic(tmp / "card.json", card)
    return folder


def _versions(keras) -> dict[str, str]:
    import platform

    return {"python": platform.python_version(), "numpy": np.__version__,
            "keras": keras.__version__, "backend": keras.backend.backend()}
