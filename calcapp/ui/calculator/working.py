"""The working a model wrote on its way to the answer, one step a line, the first step the
exact evaluator rejects marked (issue 20: the network shows its working as a person would)."""

from __future__ import annotations

import html

from PySide6.QtWidgets import QTextBrowser

from calcapp.ui import theme

CROSS = "\u2717"
LINES = 7  # shown at once; the rest scrolls


class Working(QTextBrowser):
    """Read-only, scrollable, hidden while there is no working to show."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("working")
        self.setAccessibleName("the network's working")
        self.setOpenLinks(False)
        self.setFixedHeight(self.fontMetrics().lineSpacing() * LINES + 10)
        self.hide()

    def show_answer(self, answer) -> None:
        steps = list(getattr(answer, "steps", []) or [])
        if answer is None or answer.neural is None or len(steps) <= 1:
            self.clear()
            self.hide()
            return
        wrong = getattr(answer, "wrong_step", None)
        bad = theme.colour(theme.BAD)
        rows = []
        for i, step in enumerate(steps):
            text = html.escape(step)
            if i == wrong:
                text = f"<b style='color:{bad}'>{CROSS} {text} &nbsp;(first wrong step)</b>"
            rows.append(text)
        self.setHtml("<div style='font-family:monospace'>" + "<br>".join(rows) + "</div>")
        self.show()
