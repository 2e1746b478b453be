"""Emitting through calcapp.engine.qt_signals never wears ``True`` away.

PySide6 6.12.0 on Python 3.11 drops a reference to ``True`` on every Python-side emit;
tens of thousands of emits (a long training) would abort the interpreter."""

import sys
import threading

from PySide6.QtCore import QObject, Signal

from calcapp.engine.qt_signals import emit, emit_leaks_true


class _Source(QObject):
    tick = Signal(int, object)


def test_many_emits_from_two_threads_keep_true_alive(qtbot):
    source = _Source()
    got = []
    source.tick.connect(lambda i, _: got.append(i))
    emit_leaks_true()
    before = sys.getrefcount(True)
    for i in range(5000):
        emit(source.tick, i, None)
    worker = threading.Thread(target=lambda: [emit(source.tick, i, None) for i in range(5000)])
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: len(got) == 10_000, timeout=10_000)
    assert abs(sys.getrefcount(True) - before) < 100


def test_protect_bools_survives_plain_emits_as_libraries_do_them(qtbot):
    from calcapp.engine.qt_signals import protect_bools

    protect_bools()
    source = _Source()
    source.tick.connect(lambda *a: None)
    for i in range(20_000):  # more than True's whole count without the reserve
        source.tick.emit(i, None)
    assert sys.getrefcount(True) > 0
