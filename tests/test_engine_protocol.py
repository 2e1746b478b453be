"""The messages between a training and the engine: picklable (they cross a process
boundary), and one dispatch for training and fine-tuning whatever the route."""

from __future__ import annotations

import pickle
from types import SimpleNamespace

import pytest

from calcapp.engine.protocol import (
    DeviceReady,
    EpochDone,
    Failed,
    Finished,
    Pause,
    Progress,
    Resume,
    Started,
    Stop,
    TrainingSpec,
    is_last,
)
from calcapp.engine.worker_process import perform
from calcapp.arithmetic.recipes import load_recipe
from calcapp.nets.events import EpochReport, RunControl, Sample, TrainResult
from test_ui_fakes import FakeTrainer

MESSAGES = [
    Started({"name": "m", "epochs": 2, "steps_per_epoch": 5, "parameters": 10}),
    Progress(1, 3, 0.25),
    EpochDone(EpochReport(1, 2, 5, 0.5, 0.6, 0.7, 0.25, (Sample("1+2", "3", "4"),))),
    DeviceReady("GPU 0", "2.21.0"),
    Finished(TrainResult("/models/m", False, 2, {"exact_match": 0.5})),
    Failed("the data set is empty"),
    Pause(),
    Resume(),
    Stop(),
    TrainingSpec("train", config=load_recipe("add1-tiny").config, out_dir="/models",
                 resume_from="/models/old"),
    TrainingSpec("finetune", epochs=3),
]


@pytest.mark.parametrize("message", MESSAGES, ids=lambda m: type(m).__name__)
def test_every_message_round_trips_through_pickle(message):
    assert pickle.loads(pickle.dumps(message)) == message


def test_only_finished_and_failed_end_a_stream():
    assert [type(m).__name__ for m in MESSAGES if is_last(m)] == ["Finished", "Failed"]


def test_commands_act_on_the_run_control():
    control = RunControl()
    Pause().apply(control)
    assert control.paused
    Resume().apply(control)
    assert not control.paused
    Stop().apply(control)
    assert control.stopped


def test_a_spec_of_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown training kind"):
        TrainingSpec("dance")


def test_perform_trains_and_posts_every_step_in_order():
    posted = []
    spec = TrainingSpec("train", config=SimpleNamespace(name="tiny"), out_dir="/x")
    perform(spec, posted.append, RunControl(), train=FakeTrainer(epochs=2, steps=3))
    kinds = [type(m).__name__ for m in posted]
    assert kinds[0] == "Started" and kinds[-1] == "Finished"
    assert kinds.count("EpochDone") == 2 and "DeviceReady" not in kinds  # a stand-in: no TF
    assert posted[-1].result.best_epoch == 2


def test_perform_fine_tunes_with_the_same_dispatch():
    posted, seen = [], {}

    def finetune(callback=None, control=None, epochs=5):
        seen["epochs"] = epochs
        callback.on_start({"name": "recognizer-personal"})
        return TrainResult(None, False, 1, {"accuracy": 0.9})

    perform(TrainingSpec("finetune", epochs=3), posted.append, RunControl(), finetune=finetune)
    assert seen == {"epochs": 3}
    assert isinstance(posted[0], Started) and posted[-1].result.metrics == {"accuracy": 0.9}


def test_perform_turns_a_failure_into_one_failed_message():
    posted = []
    spec = TrainingSpec("train", config=SimpleNamespace(name="bad"))
    perform(spec, posted.append, RunControl(), train=FakeTrainer(fail=True))
    assert posted[-1] == Failed("the data set is empty")
    assert sum(is_last(m) for m in posted) == 1
