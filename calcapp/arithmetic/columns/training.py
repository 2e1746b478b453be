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


def set_weights(model, weights: dict) -> None:
    """Put a checkpoint's weights (``checkpoint.read``) into the model, layer by layer."""
    for cell in C.CELLS:
        for name in C.layer_names(cell):
            model.get_layer(name).set_weights(list(weights[name]))


def train_cells(hp: dict[str, Any], log: Callable[[str], None] = print,
                on_round: Callable[[Any], None] | None = None, fit_callbacks: tuple = (),
                start: tuple[dict, dict] | None = None,
                on_checkpoint: Callable[[Any, dict], None] | None = None):
    """Train every cell to 100% on its domain; returns the model, per-cell reports and
    the run's progress (``checkpoint.fresh``).

    Each round sees the whole domain about ``round_size`` times over, plus extra copies of
    the facts still wrong or unsure (a finite table is learned fastest where it is weak),
    with a learning rate that decays round by round. ``on_round(model)`` after each round
    (a benchmark's curve: the whole model as it stands) and ``fit_callbacks`` (Keras
    callbacks) in every round: how a run reports and stops. ``start``: a checkpoint's
    ``(weights, progress)`` (``checkpoint.read``): its finished cells are not trained
    again and the cell at work goes on at its next round. ``on_checkpoint(model,
    progress)`` after each round, before ``on_round``: a run stopped there has kept it."""
    from calcapp.arithmetic.columns import checkpoint

    hp = {**DEFAULTS, **hp}
    model = build_model(hp["seed"])
    weights, progress = start if start is not None else (None, checkpoint.fresh())
    if weights is not None:
        set_weights(model, weights)
    t0, before = time.time(), progress["train_time_s"]

    def clock() -> float:
        return before + time.time() - t0

    for cell in C.CELLS:
        if cell not in progress["done"]:
            _train_cell(model, cell, hp, progress, clock, log, on_round, fit_callbacks,
                        on_checkpoint)
    progress["train_time_s"] = clock()
    return model, dict(progress["done"]), progress


def _train_cell(model, cell: str, hp: dict[str, Any], progress: dict, clock, log, on_round,
                fit_callbacks, on_checkpoint) -> None:
    """One cell's rounds until it is right and sure on its whole domain or its budget ends;
    its report goes to ``progress["done"]``. A cell the checkpoint left at work starts at
    its next round, with its learning rate, and its weak facts found again from its
    weights (they were found from the same weights before)."""
    import keras

    going_on = progress["cell"] == cell
    first = int(progress["cell_round"]) if going_on else 0
    rate = progress["learning_rate"] if going_on and progress["learning_rate"] else hp["learning_rate"]
    spent = float(progress["cell_seconds"]) if going_on else 0.0
    sub = cell_model(model, cell)
    opt = keras.optimizers.Adam(rate)
    sub.compile(optimizer=opt, loss=["sparse_categorical_crossentropy"] * len(C.CELLS[cell][1]))
    rows = C.domain(cell)
    reps = max(1, hp["round_size"] // len(rows))
    start = time.time()
    weak = _weak_rows(model, cell, rows, hp["min_confidence"]) if first else np.arange(len(rows))
    rnd, rep = first, None
    while rnd < hp["max_rounds"]:
        pick = np.concatenate([np.tile(np.arange(len(rows)), reps), np.tile(weak, hp["weak_copies"])])
        x, y = C.one_hot(cell, rows[pick]), C.truth_table(cell, rows)
        sub.fit(x, [t[pick] for t in y], batch_size=hp["batch_size"], epochs=1, shuffle=True, verbose=0,
                callbacks=list(fit_callbacks))
        opt.learning_rate.assign(max(hp["min_learning_rate"], float(opt.learning_rate) * hp["decay"]))
        rnd += 1
        rep = cell_report(model, cell)
        weak = _weak_rows(model, cell, rows, hp["min_confidence"])
        log(f"{cell}: round {rnd}, accuracy {100 * rep['accuracy']:.3f}%, "
            f"weakest {rep['min_confidence']:.3f}, unsure {len(weak)}")
        finished = rep["accuracy"] == 1.0 and rep["min_confidence"] >= hp["min_confidence"]
        progress.update(cell=cell, cell_round=rnd, learning_rate=float(opt.learning_rate),
                        cell_seconds=spent + time.time() - start, train_time_s=clock())
        if finished or rnd >= hp["max_rounds"]:
            _done(progress, cell, rep, rnd)
        if on_checkpoint is not None:
            on_checkpoint(model, progress)
        if on_round is not None:
            on_round(model)
        if finished:
            return
    if cell not in progress["done"]:  # resumed with a budget it had already spent
        _done(progress, cell, cell_report(model, cell), rnd)


def _done(progress: dict, cell: str, rep: dict, rounds: int) -> None:
    progress["done"][cell] = {**rep, "rounds": rounds, "seconds": round(progress["cell_seconds"], 1)}
    progress.update(cell=None, cell_round=0, learning_rate=None, cell_seconds=0.0)


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
                on_round: Callable[[Any], None] | None = None, fit_callbacks: tuple = (),
                resume: tuple[dict, dict] | None = None, may_replace: bool = False) -> Path:
    """Train the cells from ``config`` (a recipe's ``TrainConfig``) and write the model
    folder ``out/<name>``; returns the folder. It refuses one that exists unless
    ``may_replace`` (a run resumed in that folder). After every round the folder holds a
    checkpoint (``checkpoint``); ``resume``, a checkpoint's ``(weights, progress)``, goes
    on from one. The last write replaces it whole with the finished model. The card's
    metrics: the people's mix for the general model, else ``task_metrics``."""
    from calcapp.arithmetic.columns import checkpoint
    from calcapp.arithmetic.columns.task_metrics import compared_recipe, task_metrics
    from calcapp.nets.registry import (CARD_NAME, MODEL_NAME, safe_model_name, write_json_atomic,
                                       writing_model_folder)

    folder = Path(out) / safe_model_name(config.name)  # (the folder train_columns checked)
    if folder.exists() and not may_replace:
        raise FileExistsError(f"{folder} exists; remove it or choose another --out")
    whole = not config.task.exact_quotients
    if whole:
        compared_recipe(config)  # (a missing comparison is refused before training)
    hp = {**DEFAULTS, **config.hparams}
    owned = [may_replace]  # (after the first checkpoint the folder is this run's)

    def save(model, progress: dict) -> None:
        checkpoint.write(folder, config, model, hp, progress, replace=owned[0])
        owned[0] = True
        if progress["cell"] is None:  # a cell just finished
            log(f"checkpoint: {', '.join(progress['done'])} done ({folder})")

    model, reports, progress = train_cells(config.hparams, log, on_round, fit_callbacks,
                                           start=resume, on_checkpoint=save)
    with writing_model_folder(folder, replace=owned[0]) as tmp:
        model.save(tmp / MODEL_NAME)
        card = {**checkpoint.card_base(config, model, hp), "cell_metrics": reports,
                "training": {"train_time_s": round(progress["train_time_s"], 1),
                             "rounds": checkpoint.rounds_done(progress), "finished": True}}
        write_json_atomic(tmp / CARD_NAME, card)
        card["metrics"] = task_metrics(tmp, config) if whole else test_metrics(tmp)
        log(f"test {'split' if whole else 'mix'}: {100 * card['metrics']['exact_match']:.2f}% right"
            f" of {card['metrics']['n']}")
        write_json_atomic(tmp / CARD_NAME, card)
    return folder
