"""The model manager answers, recognises, reports errors, trains and shuts down."""

from types import SimpleNamespace

import pytest

from calcapp.ink.strokes import Point, Stroke
from calcapp.engine.manager import ModelManager
from test_ui_fakes import FakePredictor, FakeRecognizer, FakeTrainer, fake_model


@pytest.fixture
def manager(qtbot, tmp_path):
    info = fake_model(tmp_path)
    predictors = {}

    def predictor_for(i):
        predictors.setdefault(i.name, FakePredictor(i, wrong={"100+3": "1903"}))
        return predictors[i.name]

    m = ModelManager(predictor_for=predictor_for, recognizer_loader=FakeRecognizer,
                     models_loader=lambda: [info], train_fn=FakeTrainer(),
                     finetune_fn=None)
    m.predictors = predictors
    yield m
    m.shutdown(wait=True)


def test_answers_typed_input_with_both_answers(qtbot, manager):
    with qtbot.waitSignal(manager.answered, timeout=5000) as blocker:
        rid = manager.request_answer("100+3")
    got_id, ans = blocker.args
    assert got_id == rid
    assert (ans.exact, ans.neural, ans.model, ans.match) == ("103", "1903", "add3-fake", False)


def test_answer_outside_every_task_still_has_the_exact_value(qtbot, manager):
    with qtbot.waitSignal(manager.answered, timeout=5000) as blocker:
        manager.request_answer("1.5*2")
    ans = blocker.args[1]
    assert ans.exact == "3" and ans.neural is None and "no model" in ans.outside


def test_a_parse_error_is_an_answer_with_a_position(qtbot, manager):
    with qtbot.waitSignal(manager.answered, timeout=5000) as blocker:
        manager.request_answer("12+)")
    ans = blocker.args[1]
    assert ans.error and ans.error_pos == 3


def test_an_unknown_model_fails_with_words_and_the_thread_survives(qtbot, manager):
    with qtbot.waitSignal(manager.failed, timeout=5000) as blocker:
        rid = manager.request_answer("1+2", model_name="nope")
    assert blocker.args[0] == rid and "no model named 'nope'" in blocker.args[1]
    with qtbot.waitSignal(manager.answered, timeout=5000) as blocker:
        manager.request_answer("1+2")
    assert blocker.args[1].neural == "3"


def test_latest_wins_among_pending_typing_requests(qtbot, tmp_path):
    info = fake_model(tmp_path)
    m = ModelManager(predictor_for=FakePredictor, models_loader=lambda: [info],
                     recognizer_loader=FakeRecognizer, start=False, warm=False)
    try:
        ids = [m.request_answer(t) for t in ("1", "1+", "1+2")]
        got = []
        m.answered.connect(lambda rid, ans: got.append((rid, ans.input)))
        m.start()
        qtbot.waitUntil(lambda: bool(got), timeout=5000)
        qtbot.wait(100)
        assert got == [(ids[-1], "1+2")]
    finally:
        m.shutdown()


def test_recognises_strokes(qtbot, manager):
    strokes = [Stroke([Point(0, 0), Point(1, 30)]), Stroke([Point(10, 15), Point(40, 16)])]
    with qtbot.waitSignal(manager.recognized, timeout=5000) as blocker:
        manager.request_recognize(strokes)
    assert blocker.args[1].expression == "1-"


def test_a_broken_recognizer_is_reported(qtbot, tmp_path):
    def broken():
        raise ImportError("no recognizer", name="calcapp.handwriting.recognizer")

    m = ModelManager(recognizer_loader=broken, models_loader=list, warm=False)
    try:
        with qtbot.waitSignal(m.failed, timeout=5000) as blocker:
            m.request_recognize([])
        assert "not installed" in blocker.args[1]
    finally:
        m.shutdown()


def test_inspect_uses_the_covering_model(qtbot, manager):
    with qtbot.waitSignal(manager.inspected, timeout=5000) as blocker:
        manager.request_inspect("12+3")
    assert blocker.args[1] == {"input_chars": list("12+3")}


def test_training_reports_progress_and_refreshes_models(qtbot, manager):
    config = SimpleNamespace(name="tiny")
    epochs = []
    manager.training_epoch.connect(lambda rid, rep: epochs.append(rep.epoch))
    with qtbot.waitSignals([manager.training_started, manager.training_finished,
                            manager.models_changed], timeout=10000):
        run_id = manager.start_training(config)
    assert epochs == [1, 2, 3]
    assert run_id not in manager.running_trainings()


def test_pause_resume_and_stop_keep_the_best_checkpoint(qtbot, manager):
    trainer = FakeTrainer(epochs=100, steps=4, delay=0.01)
    manager.trainings.train_fn = trainer
    epochs = []
    manager.training_epoch.connect(lambda rid, rep: epochs.append(rep.epoch))
    run_id = manager.start_training(SimpleNamespace(name="long"))
    qtbot.waitUntil(lambda: len(epochs) >= 1, timeout=5000)
    manager.pause_training(run_id)
    assert manager.is_paused(run_id)
    assert run_id in manager.running_trainings()
    manager.resume_training(run_id)
    with qtbot.waitSignal(manager.training_finished, timeout=10000) as blocker:
        manager.stop_training(run_id)
    result = blocker.args[1]
    assert result.stopped and result.best_epoch >= 1
    assert manager.wait_training(run_id, 5)


def test_a_failing_training_is_a_signal(qtbot, manager):
    manager.trainings.train_fn = FakeTrainer(fail=True)
    with qtbot.waitSignal(manager.training_failed, timeout=5000) as blocker:
        manager.start_training(SimpleNamespace(name="bad"))
    assert "empty" in blocker.args[1]


def test_shutdown_stops_a_running_training(qtbot, manager):
    manager.trainings.train_fn = FakeTrainer(epochs=10_000, steps=10, delay=0.01)
    run_id = manager.start_training(SimpleNamespace(name="endless"))
    qtbot.waitUntil(lambda: run_id in manager.running_trainings(), timeout=5000)
    manager.shutdown(wait=True)
    assert manager.running_trainings() == []
    assert not manager.serving.is_running()


def test_recognise_and_answer_in_one_request(qtbot, manager):
    strokes = [Stroke([Point(0, 0), Point(1, 30)]), Stroke([Point(10, 0), Point(40, 30)]),
               Stroke([Point(50, 0), Point(51, 30)])]
    order = []
    manager.recognized.connect(lambda rid, r: order.append(("read", rid, r.expression)))
    manager.answered.connect(lambda rid, a: order.append(("answer", rid, a.exact)))
    rid = manager.request_recognize(strokes, and_answer=True)
    qtbot.waitUntil(lambda: len(order) == 2, timeout=5000)
    assert order == [("read", rid, "1+1"), ("answer", rid, "2")]
