"""``emit(signal, *args)``: emit a Qt signal from Python without a known PySide6 bug.

With PySide6 6.12.0 on CPython 3.11, every ``SignalInstance.emit()`` call from Python
drops one reference to ``True`` that it never took (``emit`` returns a borrowed ``True``).
Python 3.11's ``True`` is not immortal, so after a few thousand emits - a training
reports a batch every 50 ms - its count reaches zero and the interpreter aborts with
"Fatal Python error: bool_dealloc". We probe for the bug once, on a private signal, and
when it is there we give the reference back after each emit. On a fixed PySide6, or on
Python >= 3.12 where ``True`` is immortal, the probe sees nothing and ``emit`` is plain.
Every Python-side emit in calcapp should go through here.

Libraries emit too (pyqtgraph on every mouse move), so ``protect_bools()``, called once
when the app starts, also gives ``True``, ``False`` and ``None`` a reserve of references far larger
than any session can wear away. It only acts where the probe found the bug, on CPython
before 3.12 (where the count is a plain field at the start of the object).
"""

from __future__ import annotations

import ctypes
import sys
import threading

from PySide6.QtCore import QObject, Signal

_lock = threading.Lock()
_leaks: bool | None = None
_incref = ctypes.pythonapi.Py_IncRef
_incref.argtypes = [ctypes.py_object]
_incref.restype = None


class _Probe(QObject):
    ping = Signal()


def emit_leaks_true() -> bool:
    """Whether this PySide6 drops a reference to ``True`` on each emit (probed once)."""
    global _leaks
    with _lock:
        if _leaks is None:
            probe = _Probe()
            n = 64
            before = sys.getrefcount(True)
            results = [probe.ping.emit() for _ in range(n)]
            after = sys.getrefcount(True)
            holds = sum(r is True for r in results)  # references our list holds
            del results
            lost = before + holds - after
            _leaks = lost >= n - 4
            if _leaks:
                for _ in range(n):  # repay what the probe itself took
                    _incref(True)
        return _leaks


_RESERVE = 1 << 40
_protected = False


def protect_bools() -> bool:
    """Give ``True``/``False``/``None`` a huge reserve of references if emits wear
    ``True`` away (the same family of C-extension bugs)."""
    global _protected
    if _protected:
        return True
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return False
    if not emit_leaks_true():
        return False
    with _lock:
        if not _protected:
            # None too: a run with TensorFlow training under the window once ended in
            # "none_dealloc" at exit; the culprit was not pinned down, the reserve holds.
            for obj in (True, False, None):
                ctypes.c_ssize_t.from_address(id(obj)).value += _RESERVE
            _protected = True
    return True


def emit(signal, *args) -> None:
    """``signal.emit(*args)``, repaying the reference the buggy emit steals."""
    result = signal.emit(*args)
    if _leaks is None:
        emit_leaks_true()
    if _leaks and result is True:
        _incref(True)
