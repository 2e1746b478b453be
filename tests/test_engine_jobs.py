"""The latest-wins queue and the training-event bridge."""

import threading
from collections import namedtuple

from calcapp.engine.protocol import EpochDone, MessageCallback, Progress, Started
from calcapp.engine.trainings import new_run_id
from calcapp.engine.workers import LatestWinsQueue

Request = namedtuple("Request", "id kind channel payload")  # any item with a channel


def test_latest_request_on_a_channel_replaces_the_pending_one():
    q = LatestWinsQueue()
    q.put(Request(1, "answer", "typing", {"text": "1"}))
    q.put(Request(2, "recognize", "ink", {}))
    dropped = q.put(Request(3, "answer", "typing", {"text": "12"}))
    assert dropped.id == 1
    assert q.get(0).id == 2
    assert q.get(0).payload["text"] == "12"
    assert q.get(0) is None


def test_close_wakes_a_waiting_reader():
    q = LatestWinsQueue()
    got = []
    t = threading.Thread(target=lambda: got.append(q.get()))
    t.start()
    q.close()
    t.join(5)
    assert got == [None]


def test_bridge_thins_batches_but_keeps_epochs():
    seen = {"batch": 0, "epoch": 0, "started": 0}
    names = {Progress: "batch", EpochDone: "epoch", Started: "started"}
    post = lambda msg: seen.__setitem__(names[type(msg)], seen[names[type(msg)]] + 1)  # noqa: E731
    cb = MessageCallback(post, batch_interval_s=3600)
    cb.on_start({})
    for step in range(100):
        cb.on_batch(1, step, 0.1)
    cb.on_epoch(object())
    assert seen == {"batch": 1, "epoch": 1, "started": 1}


def test_run_ids_are_readable():
    assert new_run_id("add 3/x").startswith("add-3-x-")
