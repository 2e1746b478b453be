"""The calculator tab's request bookkeeping: which reply belongs to the input on screen.

Every keystroke, key click, history step and pen-up asks the engine for an answer or a
reading, and the replies come back later, out of step with the input. This controller keeps
the ids in flight and decides which replies still matter, so the window never shows an
answer to an older input, and every Enter lands in the history even when typing goes on
before its answer comes. It holds no widgets: the window feeds it input events and draws
what its signals say.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QObject, Signal


class CalculatorController(QObject):
    """Posts the calculator's requests to the manager and filters its replies."""

    answer_ready = Signal(object, bool)  # the answer to the input on screen; True after Enter
    answer_kept = Signal(object, str)  # an Enter's answer for the history, with its source
    answer_cleared = Signal()  # the input is empty: no answer to show
    answer_failed = Signal(str)  # the input on screen could not be answered
    reading_ready = Signal(int, object, int)  # id, reading of the newest ink, its ink version
    reading_failed = Signal(str)

    def __init__(self, manager, current_model: Callable[[], str | None],
                 parent: QObject | None = None):
        super().__init__(parent)
        self.manager = manager
        self.current_model = current_model  # the model picker's choice (None: automatic)
        self.source = "typing"  # where the text on screen came from: typing, ink, history
        self.history_pos = -1  # the history entry on screen; -1 when not stepping
        self._answer_rid = -1  # the request whose answer the display waits for
        self._prefetched: int | None = None  # ink read with its answer already on its way
        self._final_rids: dict[int, str] = {}  # Enter requests in flight -> input source
        self._final_count = 0
        self._ink_rid = -1  # the newest recognition request
        self._ink_version = -1  # the canvas version that request reads
        self._moved_on = -1  # an ink request after whose ink the text was typed, keyed or recalled
        manager.answered.connect(self._on_answered)
        manager.recognized.connect(self._on_recognized)
        manager.failed.connect(self._on_failed)

    # -- input ---------------------------------------------------------------------------
    def came_from(self, source: str) -> None:
        self.source = source
        if source != "ink":
            self._moved_on = self._ink_rid

    def typed(self) -> None:
        """The person typed (or cleared): a new input, no longer a history entry."""
        self.came_from("typing")
        self.history_pos = -1

    def reading_may_set_text(self, rid: int) -> bool:
        """Whether request ``rid``'s reading may replace the text: not if the person typed,
        keyed or recalled the text after its ink was drawn. That reading still goes to the
        canvas, but what was typed since is kept (a slow reading of much ink arrived after
        'typed 12+30, Enter' and put its own expression in their place)."""
        return rid != self._moved_on

    def step_history(self, step: int, count: int) -> int:
        """Move through ``count`` history entries; the new position (-1: a fresh input)."""
        self.history_pos = max(-1, min(count - 1, self.history_pos + step))
        return self.history_pos

    def text_changed(self, text: str) -> None:
        """The display's text changed, whatever the source: ask for its answer."""
        if self._prefetched is not None:  # ink whose answer is already on its way
            rid, self._prefetched = self._prefetched, None
            self._answer_rid = rid
            return
        if not text.strip():
            self._answer_rid = -1
            self.answer_cleared.emit()
            return
        self.request(text)

    def request(self, text: str) -> None:
        if text.strip():
            self._answer_rid = self.manager.request_answer(text, self.current_model())

    def compute(self, text: str) -> None:
        """Enter / =: answer now and keep the answer in the history.

        The request has a channel of its own, so a later keystroke can neither replace it
        in the manager's queue nor, by making it stale, keep it out of the history."""
        if not text.strip():
            return
        self._final_count += 1
        rid = self.manager.request_answer(text, self.current_model(),
                                          channel=f"enter-{self._final_count}")
        self._final_rids[rid] = self.source
        self._answer_rid = rid

    def ink_changed(self, strokes: list, version: int) -> None:
        """Read the ink (and answer its expression in the same request)."""
        if not strokes:
            self._ink_rid = -1
            return
        self._ink_version = version
        self._ink_rid = self.manager.request_recognize(
            strokes, and_answer=True, model_name=self.current_model())

    def ink_text_shown(self, rid: int, expression: str, text: str, shown: str) -> None:
        """The window is about to show ``text``, read by request ``rid`` (whose expression
        the manager answers with the same id). If it is that expression and new on screen,
        the coming text change needs no request of its own."""
        if text == expression and text and text != shown:
            self._prefetched = rid

    # -- replies from the manager ---------------------------------------------------------
    def _on_answered(self, rid: int, answer) -> None:
        source = self._final_rids.pop(rid, None)
        final = source is not None
        if final and not answer.error:
            self.history_pos = -1
            self.answer_kept.emit(answer, source)
        if rid == self._answer_rid:  # else: an older input's answer
            self.answer_ready.emit(answer, final)

    def _on_recognized(self, rid: int, reading) -> None:
        if rid == self._ink_rid:
            self.reading_ready.emit(rid, reading, self._ink_version)

    def _on_failed(self, rid: int, message: str) -> None:
        if rid == self._answer_rid:
            self.answer_failed.emit(message)
        elif rid == self._ink_rid:
            self.reading_failed.emit(message)
