"""The engine's one worker abstraction: jobs run off the GUI thread, latest wins per
channel, and a cancelled or superseded job never delivers."""

from __future__ import annotations

import threading

import pytest

from calcapp.engine.workers import Executor, Job


@pytest.fixture
def executor(qtbot):
    ex = Executor("test-workers", 2)
    yield ex
    ex.shutdown(wait=True, timeout=10)


def _delivered(qtbot, job, got, timeout=5000):
    assert job.wait(timeout / 1000)
    qtbot.waitUntil(lambda: job.id in got, timeout=timeout)


def test_a_job_runs_on_a_named_worker_thread_and_delivers_on_the_gui_thread(qtbot, executor):
    got = {}

    def work():
        return threading.current_thread().name

    def done(job, value):
        got[job.id] = (value, threading.current_thread() is threading.main_thread())

    job = executor.submit(Job(work).then(done=done))
    _delivered(qtbot, job, got)
    ran_on, delivered_on_main = got[job.id]
    assert ran_on.startswith("test-workers-") and ran_on == job.thread_name
    assert delivered_on_main


def test_a_failure_is_one_readable_line_and_the_worker_survives(qtbot, executor):
    got = {}

    def broken():
        raise LookupError("no model named 'x'")

    job = executor.submit(Job(broken).then(error=lambda j, m: got.__setitem__(j.id, m)))
    _delivered(qtbot, job, got)
    assert got[job.id] == "no model named 'x'"
    ok = executor.submit(Job(lambda: 42).then(done=lambda j, v: got.__setitem__(j.id, v)))
    _delivered(qtbot, ok, got)
    assert got[ok.id] == 42


def test_a_superseded_pending_job_never_runs(qtbot):
    ex = Executor("test-serial", 1)
    gate, ran, got = threading.Event(), [], {}
    try:
        blocker = ex.submit(Job(gate.wait, 5, channel="busy"))
        jobs = [ex.submit(Job(ran.append, text, channel="typing").then(
            done=lambda j, v: got.__setitem__(j.id, v))) for text in ("1", "1+", "1+2")]
        assert jobs[0].cancelled and jobs[1].cancelled and jobs[0].ended
        gate.set()
        _delivered(qtbot, jobs[-1], got)
        assert ran == ["1+2"] and list(got) == [jobs[-1].id]
        assert blocker.ended
    finally:
        gate.set()
        ex.shutdown(wait=True, timeout=10)


def test_a_superseded_running_job_runs_on_but_never_delivers(qtbot, executor):
    started, gate, got = threading.Event(), threading.Event(), []

    def slow():
        started.set()
        gate.wait(5)
        return "old"

    old = executor.submit(Job(slow, channel="grid").then(done=lambda j, v: got.append(v)))
    assert started.wait(5)
    new = executor.submit(Job(lambda: "new", channel="grid").then(
        done=lambda j, v: got.append(v)))
    qtbot.waitUntil(lambda: got == ["new"], timeout=5000)
    gate.set()
    assert old.wait(5)
    qtbot.wait(50)  # the old outcome would arrive now
    assert got == ["new"] and old.cancelled and not new.cancelled


def test_a_job_cancelled_after_its_work_ended_still_never_delivers(qtbot, executor):
    got = []
    job = executor.submit(Job(lambda: 1).then(done=lambda j, v: got.append(v)))
    assert job.wait(5)
    job.cancel()  # its outcome is queued for the GUI thread but not yet delivered
    qtbot.wait(50)
    assert got == []


def test_a_generator_posts_each_value_then_returns_its_result(qtbot, executor):
    posts, done = [], []

    def steps():
        yield "reading"
        yield "more"
        return "answer"

    job = executor.submit(Job(steps).then(post=lambda j, v: posts.append(v),
                                          done=lambda j, v: done.append(v)))
    qtbot.waitUntil(lambda: done == ["answer"], timeout=5000)
    assert posts == ["reading", "more"] and job.ended


def test_idle_jobs_wait_until_nothing_else_does(qtbot):
    ex = Executor("test-idle", 1, start=False)
    order = []
    try:
        ex.submit(Job(order.append, "warm", channel="warm", idle=True))
        ex.submit(Job(order.append, "answer", channel="typing"))
        last = ex.submit(Job(order.append, "inspect", channel="inspect"))
        ex.start()
        qtbot.waitUntil(lambda: len(order) == 3, timeout=5000)
        assert order == ["answer", "inspect", "warm"] and last.ended
    finally:
        ex.shutdown(wait=True, timeout=10)


def test_shutdown_drops_pending_jobs_or_drains_them(qtbot):
    for drain, expected in ((False, ["first"]), (True, ["first", "second"])):
        ex = Executor("test-shutdown", 1)
        gate, ran = threading.Event(), []

        def first(ran=ran, gate=gate):
            gate.wait(5)
            ran.append("first")

        ex.submit(Job(first))
        second = ex.submit(Job(ran.append, "second"))
        ex.shutdown(wait=False, drain=drain)
        gate.set()
        assert ex.shutdown(wait=True, timeout=10, drain=drain)
        assert ran == expected and second.ended
        assert second.cancelled is not drain
        assert not ex.is_running()


def test_a_job_subclass_overrides_work_and_posts_from_its_thread(qtbot, executor):
    class Count(Job):
        def work(self):
            for i in range(3):
                self.post(i)
            return "done"

    posts, done = [], []
    executor.submit(Count().then(post=lambda j, v: posts.append(v),
                                 done=lambda j, v: done.append(v)))
    qtbot.waitUntil(lambda: done == ["done"], timeout=5000)
    assert posts == [0, 1, 2]
