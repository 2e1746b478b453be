"""Python's cyclic garbage collection, run by the GUI thread between events.

Why: left automatic, a collection starts wherever an allocation crosses the threshold. In a
worker thread it may free a widget caught in a reference cycle, and a Qt object must die on
its own thread. In the GUI thread it may start in the middle of Qt's C++ work, since an
application-wide event filter runs Python for every event, and a wrapper freed there may
wait on a lock that work holds: a CI run of the suite stalled once with the GUI thread
"Garbage-collecting" inside the canvas's event filter. Here automatic collection is
switched off and a timer on the GUI thread collects when the allocation counts pass the
thresholds Python would have used, so objects die at a quiet moment and on the right
thread. (calibre and pyqtgraph do the same.)
"""

from __future__ import annotations

import gc
import time

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 250  # how often the counts are looked at
FULL_SHARE = 0.002  # at most this share of the GUI thread's time in full collections
FULL_EVERY_S = 10.0  # and at most one full collection in this many seconds


class GuiCollector(QObject):
    """Collects on its thread's event loop, a generation at a time, as Python would.

    Python also holds a full collection back until the objects that survived the younger
    ones grew by a quarter; that count is not readable (listing the oldest generation costs a
    third of collecting it), so the full collection here is spaced by its own cost instead: a
    full pass takes tens of milliseconds with the window open and grows with the heap (a
    training loads TensorFlow), and at every threshold it would stall the window."""

    def __init__(self, parent: QObject, interval_ms: int = INTERVAL_MS):
        super().__init__(parent)
        self._full_cost = 0.0
        self._last_full = time.monotonic()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.tick)
        gc.disable()
        self._timer.start()

    def tick(self) -> int | None:
        """Collect the oldest generation whose count passed its threshold (the full one only
        when its spacing allows); which one, or None when none did."""
        counts, thresholds = gc.get_count(), gc.get_threshold()
        generation = None
        for g in range(3):
            if not (thresholds[g] and counts[g] > thresholds[g]):
                break
            generation = g
        if generation == 2 and not self._full_due():
            generation = 1
        if generation is None:
            return None
        start = time.monotonic()
        gc.collect(generation)
        if generation == 2:
            self._last_full = time.monotonic()
            self._full_cost = self._last_full - start
        return generation

    def _full_due(self) -> bool:
        wait = max(FULL_EVERY_S, self._full_cost / FULL_SHARE)
        return time.monotonic() - self._last_full >= wait


def install(app: QObject) -> GuiCollector:
    """The application's collector (made once; a second call returns the first)."""
    for child in app.children():
        if isinstance(child, GuiCollector):
            return child
    return GuiCollector(app)
