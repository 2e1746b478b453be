"""Tiny trainings: learning happens, events flow, checkpoints save, load, stop and resume."""

from __future__ import annotations

import json

import pytest

from calcapp.expr.tasks import preset
from calcapp.nets.events import RunControl, TrainingCallback
from calcapp.arithmetic.trainer import TrainConfig, train

TINY = {"units": 24, "heads": 1, "places": 2, "batch_size": 16, "learning_rate": 0.01, "holdout": 0,
        "samples_per_epoch": 1600, "epochs": 3, "val_size": 100, "test_size": 100, "seed": 1}


class Recorder(TrainingCallback):
    def __init__(self, stop_after: int | None = None, control: RunControl | None = None):
        self.starts, self.batches, self.epochs, self.ends = [], [], [], []
        self.stop_after, self.control = stop_after, control

    def on_start(self, info):
        self.starts.append(info)

    def on_batch(self, epoch, step, loss):
        self.batches.append((epoch, step, loss))
        if self.stop_after is not None and step >= self.stop_after:
            self.control.stop()

    def on_epoch(self, report):
        self.epochs.append(report)

    def on_end(self, result):
        self.ends.append(result)


def _config(**hp):
    spec = preset("add1").with_(reverse_output=True)
    return TrainConfig("t-add1", spec, "attention", {**TINY, **hp})


def test_learns_one_digit_addition(tmp_path):
    rec = Recorder()
    result = train(_config(), tmp_path, rec)
    losses = [b[2] for b in rec.batches]
    assert len(losses) == 300 and [b[1] for b in rec.batches] == list(range(1, 301))
    assert sum(losses[-20:]) / 20 < 0.6 * sum(losses[:20]) / 20  # the loss falls
    assert len(rec.epochs) == 3 and rec.epochs[-1].exact_match > 0.3  # chance is ~0.05
    assert all(s.line().startswith("Q ") for s in rec.epochs[-1].samples)
    assert result.metrics["exact_match"] > 0.3 and not result.stopped
    assert rec.ends == [result]

    card = json.loads((tmp_path / "t-add1" / "card.json").read_text())
    for key in ("task", "architecture", "hparams", "data_seed", "metrics", "training",
                "versions", "parameters"):
        assert key in card
    assert card["metrics"]["n"] == 100 and "by_answer_length" in card["metrics"]

    # save/load round trip: the registry finds it and the NumPy predictor answers
    from calcapp.arithmetic.answering import answer_many
    from calcapp.arithmetic.predictor import keras_predict, load_predictor
    from calcapp.nets.registry import load_info

    info = load_info(tmp_path / "t-add1")
    texts = [f"{a}+{b}" for a in range(10) for b in range(10)]
    np_answers = [p.text for p in load_predictor(info).predict(texts)]
    assert np_answers == [p.text for p in keras_predict(info, texts)]
    right = sum(p == str(eval_pair(t)) for p, t in zip(np_answers, texts)) / 100
    assert right == pytest.approx(card["metrics"]["exact_match"])
    ans = answer_many(["3+4", "12+34"], model=info)  # below add1's goal: Auto skips it (issue 18)
    assert ans[0].model == "t-add1" and ans[0].neural is not None and ans[0].exact == "7"
    assert ans[1].neural is None and ans[1].outside


def test_stop_keeps_a_checkpoint_and_resume_continues(tmp_path):
    control = RunControl()
    rec = Recorder(stop_after=65, control=control)
    first = train(_config(epochs=4, samples_per_epoch=800), tmp_path, rec, control=control)
    assert first.stopped
    assert rec.batches[-1][1] == 65 and len(rec.epochs) == 1  # stopped inside epoch 2
    from calcapp.nets.registry import load_info, read_card

    folder = tmp_path / "t-add1"
    assert read_card(folder)["training"]["epochs_done"] == 1
    load_info(folder)  # a loadable model folder with a card

    rec2 = Recorder()
    second = train(_config(epochs=3, samples_per_epoch=800), tmp_path / "resumed", rec2,
                   resume_from=folder)
    assert rec2.starts[0]["start_epoch"] == 2
    assert [r.epoch for r in rec2.epochs] == [2, 3]
    assert rec2.batches[0][1] == 51  # global steps continue
    assert not second.stopped
    assert read_card(tmp_path / "resumed" / "t-add1")["training"]["epochs_done"] == 3


def test_pause_blocks_until_resumed(tmp_path):
    import threading
    import time

    control = RunControl()

    class PauseOnce(Recorder):
        def on_batch(self, epoch, step, loss):
            super().on_batch(epoch, step, loss)
            if step == 5:
                control.pause()
                threading.Timer(0.3, control.resume).start()
                self.paused_at = time.perf_counter()

    rec = PauseOnce()
    result = train(_config(epochs=1, samples_per_epoch=160), tmp_path, rec, control=control)
    assert not result.stopped and len(rec.batches) == 10


def eval_pair(text: str) -> int:
    a, b = text.split("+")
    return int(a) + int(b)


def test_stop_in_the_first_epoch_ends_at_that_batch(tmp_path):
    """Issue 18: Stop ends the run at the batch, with no validation pass, no other epoch
    and no test pass; what there is is kept as a loadable checkpoint."""
    control = RunControl()
    rec = Recorder(stop_after=5, control=control)
    result = train(_config(epochs=4, samples_per_epoch=800), tmp_path, rec, control=control)
    assert result.stopped and rec.batches[-1][1] == 5 and rec.epochs == []
    assert len(rec.ends) == 1 and result.metrics == {}
    from calcapp.nets.registry import load_info, read_card

    card = read_card(tmp_path / "t-add1")
    assert card["training"]["stopped"] is True
    load_info(tmp_path / "t-add1")


def test_stop_while_the_next_epoch_is_made_sets_up_no_fit(tmp_path, monkeypatch):
    """Issue 18: Stop that arrives as an epoch ends (here while the next epoch's data is
    made) ends the run before Keras sets up another epoch."""
    import calcapp.arithmetic.trainer as T

    control = RunControl()
    made = T._epoch_examples

    def make_then_stop(spec, hp, epoch):
        examples = made(spec, hp, epoch)
        if epoch == 1:
            control.stop()
        return examples

    monkeypatch.setattr(T, "_epoch_examples", make_then_stop)
    rec = Recorder(control=control)
    result = train(_config(epochs=4, samples_per_epoch=160), tmp_path, rec, control=control)
    assert result.stopped and [r.epoch for r in rec.epochs] == [1]
    assert {epoch for epoch, _, _ in rec.batches} == {1}  # no batch of epoch 2
    from calcapp.nets.registry import read_card

    assert read_card(tmp_path / "t-add1")["training"]["stopped"] is True
