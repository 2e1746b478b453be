"""Garbage collection runs on the GUI thread's timer, never inside a worker thread."""

from __future__ import annotations

import gc
import threading
import time
import weakref

from calcapp.ui import collector


class _Cycle:
    died_on: list = []

    def __init__(self):
        self.me = self  # only the cyclic collector frees it

    def __del__(self):
        _Cycle.died_on.append(threading.current_thread().name)


def test_a_cycle_made_in_a_worker_thread_is_freed_by_the_gui_thread(qtbot, qapp):
    collector.install(qapp)
    assert not gc.isenabled()
    _Cycle.died_on.clear()
    probe = []

    def worker():
        probe.append(weakref.ref(_Cycle()))
        for _ in range(20):  # far past every threshold: automatic collection would run here
            [[] for _ in range(1000)]
            [_Cycle() for _ in range(100)]

    thread = threading.Thread(target=worker, name="worker")
    thread.start()
    thread.join()
    assert "worker" not in _Cycle.died_on
    qtbot.waitUntil(lambda: probe[0]() is None, timeout=5000)
    assert set(_Cycle.died_on) == {threading.current_thread().name}


def test_a_full_collection_waits_out_its_own_cost(qapp, monkeypatch):
    gc_collector = collector.install(qapp)
    assert collector.install(qapp) is gc_collector  # one per application
    collected = []
    monkeypatch.setattr(gc, "get_count", lambda: (800, 20, 20))  # every threshold passed
    monkeypatch.setattr(gc, "collect", lambda g=2: collected.append(g) or 0)
    monkeypatch.setattr(gc_collector, "_full_cost", 0.0)
    monkeypatch.setattr(gc_collector, "_last_full", time.monotonic())
    assert gc_collector.tick() == 1  # a full one ran a moment ago
    gc_collector._last_full -= collector.FULL_EVERY_S
    assert gc_collector.tick() == 2
    gc_collector._full_cost = 0.1
    gc_collector._last_full = time.monotonic() - 2 * collector.FULL_EVERY_S
    assert gc_collector.tick() == 1  # that one took 0.1 s: the next waits 50 s
    monkeypatch.setattr(gc, "get_count", lambda: (10, 0, 0))
    assert gc_collector.tick() is None
    assert collected == [1, 2, 1]


def test_answering_in_process_leaves_collection_as_it_found_it(qapp, capsys):
    """The CLI's answering pauses collection while it works; in a process whose collection the
    GUI thread owns it must not switch it back on afterwards (it did: every test after the first
    in-process ``calcapp compute`` ran with automatic collection, and the suite stalled now
    and then inside the GUI's event filter)."""
    from calcapp.cli import main

    collector.install(qapp)
    assert main(["compute", "12+34"]) == 0
    assert "46" in capsys.readouterr().out
    assert not gc.isenabled()
