"""A columns run the way every other training runs: from the Training tab, in the engine's
training process, through one callback protocol.

Why its own module: the digit cells train in rounds, one cell after another, not in the
epochs of a seq2seq model, yet the tab, the runs database and the engine speak
``TrainingCallback``/``RunControl``/``TrainResult``. So a round is reported as an epoch:
``on_start`` gets the whole rounds budget (every cell's ``max_rounds``; a cell usually ends
far sooner, once it is right on its whole domain), and each round an ``EpochReport`` whose
exact match (and char accuracy) is the cell's accuracy over its domain, with a few of its
facts as samples. After every round the run's folder holds a checkpoint (``columns.checkpoint``:
marked unfinished, never picked by Auto); Stop ends the run at the next batch and keeps
the last one (none before the first round ends), and ``resume_from`` goes on from one,
training only the cells not done.
"""

from __future__ import annotations

import math
import random
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from calcapp.arithmetic.columns import cells as C
from calcapp.arithmetic.columns.checkpoint import read as read_checkpoint, rounds_done
from calcapp.arithmetic.columns.training import DEFAULTS, cell_report, write_model
from calcapp.arithmetic.hparams_check import ONE_DEVICE, check_training
from calcapp.nets.events import EpochReport, RunControl, Sample, TrainingCallback, TrainResult

SAMPLES = 8

# how a cell's fact and its answer read in the samples table (fields, then heads)
_ASKED = {"add": "{0}+{1} carry {2}", "sub": "{0}-{1} borrow {2}",
          "mul": "{0}\u00d7{1} carry {2}", "quo": "{0}{1}{2}\u00f7{3}{4}"}
_SAID = {"add": "{0} carry {1}", "sub": "{0} borrow {1}", "mul": "{0} carry {1}", "quo": "{0}"}


class RunStopped(Exception):
    """Stop was pressed: raised out of Keras' ``fit`` so the run ends at once."""


def parameter_count() -> int:
    """The weights of every cell: a Dense-ReLU layer and its softmax heads (no Keras)."""
    total = 0
    for fields, heads, hidden in C.CELLS.values():
        total += (sum(fields) + 1) * hidden + sum((hidden + 1) * w for w in heads)
    return total


def steps_per_round(hp: dict[str, Any]) -> int:
    """Batches in a cell's usual round (its domain repeated to about ``round_size``),
    averaged over the cells; the first round of a cell also repeats every fact it has
    not learned yet, so it is longer."""
    per = []
    for cell in C.CELLS:
        n = len(C.domain(cell))
        per.append(math.ceil(max(1, int(hp["round_size"]) // n) * n / int(hp["batch_size"])))
    return max(1, round(sum(per) / len(per)))


class _Rounds:
    """Follows the rounds from inside ``train_cells``: the Keras callback sees each round
    begin and every batch; ``round_done`` is its ``on_round`` hook."""

    def __init__(self, hp: dict[str, Any], cb: TrainingCallback, control: RunControl | None):
        self.hp, self.cb, self.control = hp, cb, control
        self.budget = len(C.CELLS) * int(hp["max_rounds"])
        self.rounds = self.step = self.cell_round = 0
        self.loss = float("nan")  # the round's running mean, as Keras reports it per batch
        self.cell: str | None = None
        self.sub = None  # the Keras model of the cell being trained
        self.rng = random.Random(f"{hp['seed']}:samples")
        self.t0 = time.perf_counter()

    def resume_at(self, progress: dict) -> None:
        """Count on from a checkpoint: its rounds done, the cell at work and its round."""
        self.rounds = rounds_done(progress)
        self.cell, self.cell_round = progress["cell"], int(progress["cell_round"])

    def where(self, progress: dict) -> dict:
        """Where a resumed run stands, as a round's ``extra`` says it (the tab's line)."""
        cells, done = list(C.CELLS), list(progress["done"])
        if progress["cell"] is not None:
            return {"cell": self.cell, "cell_index": cells.index(self.cell) + 1,
                    "cell_round": self.cell_round, "cell_done": False}
        if not done:
            return {}
        return {"cell": done[-1], "cell_index": len(done), "cell_round": 1, "cell_done": True}

    def checkpoint(self) -> None:
        """Block while paused; end the run if stopped."""
        if self.control is not None and self.control.checkpoint():
            raise RunStopped()

    def round_begins(self, sub) -> None:
        cell = next(layer.name[:-len("_hidden")] for layer in sub.layers
                    if layer.name.endswith("_hidden"))
        self.cell_round = self.cell_round + 1 if cell == self.cell else 1
        self.cell, self.sub = cell, sub
        self.checkpoint()

    def batch_done(self, loss: float) -> None:
        self.step, self.loss = self.step + 1, loss
        self.cb.on_batch(self.rounds + 1, self.step, loss)
        self.checkpoint()

    def round_done(self, model) -> None:
        self.rounds += 1
        rep = cell_report(model, self.cell)
        done = (rep["accuracy"] == 1.0 and rep["min_confidence"] >= self.hp["min_confidence"]) \
            or self.cell_round >= int(self.hp["max_rounds"])
        cells = list(C.CELLS)
        extra = {"cell": self.cell, "cell_index": cells.index(self.cell) + 1,
                 "cells": len(cells), "cell_round": self.cell_round, "cell_done": done,
                 "min_confidence": rep["min_confidence"], "domain": rep["domain"]}
        self.cb.on_epoch(EpochReport(self.rounds, self.budget, self.step, self.loss, None,
                                     rep["accuracy"], rep["accuracy"], self.samples(),
                                     time.perf_counter() - self.t0, extra))
        self.checkpoint()

    def samples(self) -> tuple[Sample, ...]:
        """A few of the cell's facts as it answers them now."""
        rows = C.domain(self.cell)
        picks = rows[sorted(self.rng.sample(range(len(rows)), min(SAMPLES, len(rows))))]
        got = self.sub.predict_on_batch(C.one_hot(self.cell, picks))
        got = [np.asarray(g).argmax(1) for g in (got if isinstance(got, (list, tuple)) else [got])]
        want = C.truth(self.cell, picks)
        return tuple(Sample(_ASKED[self.cell].format(*row),
                            _SAID[self.cell].format(*(int(w[i]) for w in want)),
                            _SAID[self.cell].format(*(int(g[i]) for g in got)))
                     for i, row in enumerate(picks))


def _keras_callback(rounds: _Rounds):
    import keras

    class Watch(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            rounds.round_begins(self.model)

        def on_train_batch_end(self, batch, logs=None):
            rounds.batch_done(float((logs or {}).get("loss", float("nan"))))

    return Watch()


def train_columns(config, out_dir, callback: TrainingCallback | None = None,
                  control: RunControl | None = None, resume_from=None, strategy=None,
                  log: Callable[[str], None] | None = None, overwrite: bool = False) -> TrainResult:
    """Train a columns recipe's cells and write ``out_dir/<name>`` whole, refusing one that
    exists before anything starts (unless ``resume_from`` is that folder, or ``overwrite``:
    the user asked to replace it). ``resume_from``:
    a columns checkpoint (ValueError, one line, for anything else). A stopped run returns
    a result marked stopped, with the last checkpoint if a round had ended; ``log`` gets
    the per-round lines ``calcapp train`` prints."""
    from calcapp.arithmetic.trainer import check_free, same_folder, stopped_result
    from calcapp.nets.registry import CARD_NAME, read_card, safe_model_name

    if strategy is not None:
        raise ValueError(ONE_DEVICE)
    check_training(config)
    folder = Path(out_dir) / safe_model_name(config.name)
    resume = None if resume_from is None else read_checkpoint(Path(resume_from))
    in_place = resume is not None and same_folder(resume_from, folder)
    check_free(folder, in_place or overwrite)
    cb = callback or TrainingCallback()
    hp = {**DEFAULTS, **config.hparams}
    rounds = _Rounds(hp, cb, control)
    info = {"name": config.name, "epochs": rounds.budget,
            "steps_per_epoch": steps_per_round(hp), "parameters": parameter_count(),
            "architecture": "columns", "task": config.task.name, "start_epoch": 1,
            "cells": list(C.CELLS), "max_rounds": int(hp["max_rounds"])}
    if resume is not None:
        rounds.resume_at(resume[1])
        info.update(start_epoch=rounds.rounds + 1, last_round=rounds.where(resume[1]))
    first = rounds.rounds
    cb.on_start(info)
    t0 = time.perf_counter()
    try:
        write_model(config, Path(out_dir), log or (lambda line: None),
                    on_round=rounds.round_done, fit_callbacks=(_keras_callback(rounds),),
                    resume=resume, may_replace=in_place or overwrite)
    except RunStopped:
        kept = (in_place or rounds.rounds > first) and (folder / CARD_NAME).is_file()
        result = (stopped_result(folder, time.perf_counter() - t0) if kept
                  else TrainResult(None, True, rounds.rounds or None, {}, {}))
    else:  # (a Stop during the final write and test: the model is whole, so it stays)
        card = read_card(folder)
        stopped = control is not None and control.stopped
        result = TrainResult(str(folder), stopped, rounds.rounds, dict(card.get("metrics") or {}),
                             card)
    cb.on_end(result)
    return result
