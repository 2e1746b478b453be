"""The calculator's display: the expression being edited and the two answers.

The point of the app is the comparison, so the network's answer is drawn character by
character, each coloured and labelled by the network's confidence, beside the exact
answer, with a plain ✓ or ✗ between them. When the input lies outside the answering
model's task the exact answer still shows and the reason is spelled out. Errors name the
problem in words and the offending character is highlighted in place.
"""

from __future__ import annotations

import html
import re

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QGuiApplication, QKeySequence, QTextDocument
from PySide6.QtWidgets import QFrame, QLabel, QLineEdit, QSizePolicy, QVBoxLayout

from calcapp.ui import theme
from calcapp.ui.calculator.working import Working

CHECK, CROSS = "\u2713", "\u2717"
# What a key types into the expression: the typeset operators read better.
PRETTY_KEYS = {"*": "\u00d7", "/": "\u00f7", "-": "\u2212", "x": "\u00d7", "X": "\u00d7"}
GOES_ON = "+\u2212\u00d7\u00f7"  # operators that continue an answer just kept
_NUMBER = re.compile(r"[0-9.]+")


class ExpressionEdit(QLineEdit):
    """A one-line editor that speaks calculator: Enter/= compute, Esc clears, Up/Down walk
    the history, Ctrl+C copies the result when nothing is selected.

    After an answer is kept, its expression stays in sight, selected: what is typed next
    starts a new expression, except an operator, which goes on from the answer, as on a
    pocket calculator (typing on after ``12+34=`` must not make ``12+3447``)."""

    computeRequested = Signal()
    clearRequested = Signal()
    historyStep = Signal(int)  # +1 older, -1 newer
    copyResultRequested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self._computed: str | None = None  # the expression whose answer was just kept
        self.selectionChanged.connect(self._forget_computed)

    def mark_computed(self) -> None:
        """Select the expression whose answer was just kept (see the class docstring)."""
        if self.text():
            self._computed = self.text()
            self.selectAll()

    def just_computed(self) -> bool:
        """Whether the text on screen is still the kept expression, whole and selected."""
        return self._computed is not None and self.selectedText() == self.text() == self._computed

    def _forget_computed(self) -> None:
        if not self.just_computed():
            self._computed = None

    def focusOutEvent(self, event):
        kept = self._computed
        super().focusOutEvent(event)  # Qt drops the selection on the way out; the state stays
        if kept is not None and self.text() == kept:
            self._computed = kept

    def focusInEvent(self, event):
        super().focusInEvent(event)  # keys typed elsewhere on the tab come back here
        if self._computed is not None and self.text() == self._computed:
            self.selectAll()

    def type_text(self, text: str) -> None:
        """Insert ``text`` as typed (keyboard or keypad); just after an answer an operator
        continues it: ``+``/``−`` after the expression, ``×``/``÷`` after it in brackets."""
        if len(text) == 1 and text in GOES_ON and self.just_computed():
            base = self.text()
            if text in "+\u2212" or _NUMBER.fullmatch(base):
                self.end(False)
            else:
                text = f"({base}){text}"
        self.insert(text)

    def erase_back(self) -> None:
        """Backspace: just after an answer, the last character, not the whole expression."""
        if self.just_computed():
            self.end(False)
        self.backspace()

    def keyPressEvent(self, event):
        key, text = event.key(), event.text()
        plain = not event.modifiers() & (Qt.ControlModifier | Qt.AltModifier)
        if key in (Qt.Key_Return, Qt.Key_Enter) or text == "=":
            self.computeRequested.emit()
        elif key == Qt.Key_Escape:
            self.clearRequested.emit()
        elif key == Qt.Key_Up:
            self.historyStep.emit(+1)
        elif key == Qt.Key_Down:
            self.historyStep.emit(-1)
        elif event.matches(QKeySequence.Copy) and (not self.hasSelectedText() or self.just_computed()):
            self.copyResultRequested.emit()
        elif event.matches(QKeySequence.Paste):
            self.paste_expression(QGuiApplication.clipboard().text())
        elif key == Qt.Key_Backspace and plain and self.just_computed():
            self.erase_back()
        elif plain and len(text) == 1 and (text in PRETTY_KEYS or text in GOES_ON):
            self.type_text(PRETTY_KEYS.get(text, text))
        else:
            super().keyPressEvent(event)

    def paste_expression(self, text: str) -> None:
        """Paste the first line, without a trailing '=' (pasting "12+3=" is common)."""
        lines = [line for line in text.splitlines() if line.strip()]
        if lines:
            self.insert(lines[0].strip().rstrip("=").strip())


def grouped_reasons(reasons: list[str]) -> str:
    """``["a: r1", "b: r1", "c: r2"]`` -> ``"a, b: r1; c: r2"``: one reason per model, each
    reason said once, so five models fit the display's two lines."""
    by_reason: dict[str, list[str]] = {}
    for line in reasons:
        name, _, why = line.partition(": ")
        by_reason.setdefault(why, []).append(name)
    return "; ".join(f"{', '.join(names)}: {why}" for why, names in by_reason.items())


ANSWER_SCALES = (1.0, 0.85, 0.7, 0.55, 0.45, 0.35)  # the answer row's type, largest first


def _scaled(text: str, scale: float) -> str:
    """Rich text with every ``font-size:Npt`` times ``scale``."""
    if scale == 1.0:
        return text
    return re.sub(r"font-size:(\d+(?:\.\d+)?)pt",
                  lambda m: f"font-size:{max(6.0, float(m.group(1)) * scale):.1f}pt", text)


class Display(QFrame):
    """Shows an ``Answer`` (calcapp.arithmetic.answering); ``summary()`` is the same in words."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setFrameShape(QFrame.StyledPanel)
        self.setObjectName("display")
        self.edit = ExpressionEdit()
        self.edit.setObjectName("expression")
        self.edit.setPlaceholderText("type, click or write an expression, e.g. 123+456")
        big = QFont(self.edit.font())
        big.setPointSizeF(big.pointSizeF() * 1.8)
        self.edit.setFont(big)
        self.edit.setAlignment(Qt.AlignRight)
        self.edit.setFrame(False)

        self.error_label = QLabel()
        self.error_label.setObjectName("error")
        self.error_label.setTextFormat(Qt.RichText)
        self.error_label.setAlignment(Qt.AlignRight)
        self.answer_label = QLabel()
        self.answer_label.setObjectName("answer")
        self.answer_label.setTextFormat(Qt.RichText)
        self.answer_label.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
        self.answer_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.model_label = QLabel()
        self.model_label.setObjectName("model")
        self.model_label.setAlignment(Qt.AlignRight)
        self.model_label.setWordWrap(True)
        self.model_label.setTextFormat(Qt.RichText)
        for label in (self.error_label, self.answer_label, self.model_label):
            label.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Fixed)
        # A long answer is set smaller (``_set_answer``), never wider than the display: its
        # width must not push the window past an 800-pixel screen.
        self.answer_label.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Fixed)
        self._answer_html_source = ""
        # Fixed rows: the display must not jump when an error comes and goes.
        line = self.error_label.fontMetrics().height() + 4
        self.error_label.setFixedHeight(line)
        self.model_label.setFixedHeight(2 * line - 4)  # room for a reason that wraps
        self.model_label.setAlignment(Qt.AlignRight | Qt.AlignTop)
        self.answer_label.setFixedHeight(76)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 6)
        layout.setSpacing(2)
        layout.addWidget(self.edit)
        layout.addWidget(self.error_label)
        layout.addWidget(self.answer_label)
        layout.addWidget(self.model_label)
        self.working = Working()  # a model's steps, one a line (hidden when it wrote none)
        layout.addWidget(self.working)
        self.answer = None
        self._summary = ""
        self.clear_answer()

    # -- what is shown -----------------------------------------------------------------
    def text(self) -> str:
        return self.edit.text()

    def set_text(self, text: str) -> None:
        self.edit.setText(text)
        self.edit.setCursorPosition(len(text))

    def summary(self) -> str:
        """The display in one line of words, e.g. ``network 1903 ✗ exact 1003``."""
        return self._summary

    def result_text(self) -> str | None:
        """What Ctrl+C copies: the exact answer, else the network's."""
        if self.answer is None:
            return None
        return self.answer.exact if self.answer.exact is not None else self.answer.neural

    def clear_answer(self) -> None:
        self.answer = None
        self._summary = ""
        self.error_label.clear()
        self._set_answer("")
        self.model_label.setText("")
        if hasattr(self, "working"):
            self.working.show_answer(None)

    def show_message(self, message: str) -> None:
        """A failure from the model manager, in words."""
        self.model_label.setText(html.escape(message))

    def show_answer(self, answer, final: bool = False) -> None:
        """Draw an Answer. ``final`` (after Enter/=) shows errors in full colour; while the
        person is still typing an unfinished expression they are shown muted."""
        self.answer = answer
        if self._show_equation_check(answer.input):
            return
        if answer.error:
            self._show_error(answer, final)
        else:
            self.error_label.clear()
        unreadable = answer.error is not None and answer.exact is None and answer.neural is None
        self._set_answer("" if unreadable else self._answer_html(answer))
        self.model_label.setText(self._model_text(answer))
        self.model_label.setToolTip("\n".join(getattr(answer, "reasons", ()) or ()))
        self.working.show_answer(answer)
        self._summary = self._summary_text(answer)

    def _show_equation_check(self, text) -> bool:
        """'a=b' is marked like homework, as large as an answer: the right side that holds in the
        good colour, or struck out beside the answer it should be. In words, not ✓ or ✗, which
        say only whether the network's answer is the exact one. The working
        of an earlier input must not stay under it."""
        from calcapp.expr.equation import check_equation, verdict

        check = check_equation(text) if isinstance(text, str) else None
        if check is None or check["holds"] is None:
            return False
        self.error_label.clear()
        self._set_answer(self._check_html(check))
        self.model_label.setText(html.escape(verdict(check) + ", checked exactly", quote=False))
        self.model_label.setToolTip("")
        self.working.show_answer(None)
        self._summary = verdict(check)
        return True

    @staticmethod
    def _check_html(check: dict) -> str:
        good, bad, muted = (theme.colour(k) for k in (theme.GOOD, theme.BAD, theme.MUTED))
        right = html.escape(check["right"])
        cells = [f"<td style='color:{muted}; font-size:14pt' valign='middle'>"
                 f"{html.escape(check['left'])}&nbsp;=&nbsp;</td>"]
        if check["holds"]:
            cells += [f"<td style='color:{good}; font-size:26pt'>{right}</td>",
                      f"<td style='color:{good}; font-size:12pt' valign='middle'>&nbsp;holds</td>"]
        else:
            cells += [f"<td style='color:{bad}; font-size:26pt'><s>{right}</s></td>",
                      f"<td style='color:{muted}; font-size:10pt' valign='middle'>"
                      f"&nbsp;&nbsp;should be&nbsp;</td>",
                      f"<td style='font-size:26pt'>{html.escape(check['answer'])}</td>"]
        return f"<table cellspacing='0' cellpadding='1' align='right'><tr>{''.join(cells)}</tr></table>"

    def _set_answer(self, text: str) -> None:
        """The answer row, its type scaled down until it fits the label's width: a long
        answer (16 digits with their confidences) is shown whole, only smaller."""
        self._answer_html_source = text
        width = self.answer_label.width()
        shown = text
        if text and width > 0:
            doc = QTextDocument()
            doc.setDefaultFont(self.answer_label.font())
            for scale in ANSWER_SCALES:
                shown = _scaled(text, scale)
                doc.setHtml(shown)
                if doc.idealWidth() <= width:
                    break
        self.answer_label.setText(shown)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        if self._answer_html_source:
            self._set_answer(self._answer_html_source)

    # -- pieces --------------------------------------------------------------------------
    def _show_error(self, answer, final: bool) -> None:
        colour = theme.colour(theme.BAD) if final else theme.colour(theme.MUTED)
        text = answer.input
        pos = answer.error_pos
        if pos is not None and 0 <= pos < len(text):
            shown = (html.escape(text[:pos])
                     + f"<span style='background:{colour}; color:white'>&nbsp;"
                       f"{html.escape(text[pos])}&nbsp;</span>"
                     + html.escape(text[pos + 1:]))
        else:
            shown = html.escape(text)
        self.error_label.setText(
            f"<span style='color:{colour}'>{html.escape(answer.error)}</span>"
            + (f"&nbsp;&nbsp;<tt>{shown}</tt>" if text.strip() else "")
        )

    def _answer_html(self, a) -> str:
        muted = theme.colour(theme.MUTED)
        cells, confs = [], []
        if a.neural is not None:
            for ch, conf in zip(a.neural, list(a.confidence) + [None] * len(a.neural)):
                c = theme.confidence_colour(conf if conf is not None else 0.0)
                cells.append(f"<td align='center' style='color:{c}; font-size:26pt'>"
                             f"{html.escape(ch)}</td>")
                pct = "" if conf is None else f"{round(100 * conf)}"
                confs.append(f"<td align='center' style='color:{c}; font-size:8pt'>{pct}</td>")
            good = a.match is True
            mark_colour = theme.colour(theme.GOOD if good else theme.BAD)
            mark = (f"<td style='color:{mark_colour}; font-size:22pt'>"
                    f"&nbsp;{CHECK if good else CROSS}&nbsp;</td>")
        else:
            cells = [f"<td style='color:{muted}; font-size:20pt'>&ndash;</td>"]
            confs = ["<td></td>"]
            mark = "<td>&nbsp;&nbsp;</td>"
        exact = "&ndash;" if a.exact is None else html.escape(a.exact)
        label = f"<td style='color:{muted}; font-size:10pt' valign='middle'>network&nbsp;</td>"
        exact_cells = (f"<td style='color:{muted}; font-size:10pt' valign='middle'>"
                       f"&nbsp;exact&nbsp;</td><td style='font-size:26pt'>{exact}</td>")
        row1 = label + "".join(cells) + mark + exact_cells
        row2 = "<td></td>" + "".join(confs) + "<td></td><td></td><td></td>"
        return (f"<table cellspacing='0' cellpadding='1' align='right'><tr>{row1}</tr>"
                f"<tr>{row2}</tr></table>")

    def _model_text(self, a) -> str:
        if a.error and a.expression is None:
            return ""
        if a.neural is not None:
            # the task's other answer in plain words; the mark stays the exact comparison
            text = html.escape(a.task_note() or f"answered by {a.model}", quote=False)
            if len(a.steps) > 1:  # its working, wrong steps included, one a line below
                text += f"; its working ({len(a.steps)} steps) below"
            return text
        if a.outside:
            why = grouped_reasons(a.reasons)
            why = f": {why}" if why else ""
            return html.escape(f"{a.outside}{why}; the exact answer is shown", quote=False)
        return ""

    def _summary_text(self, a) -> str:
        if a.error and a.exact is None:
            return f"error: {a.error}"
        exact = a.exact if a.exact is not None else "-"
        if a.neural is None:
            return f"network - exact {exact}"
        mark = CHECK if a.match else CROSS
        return f"network {a.neural} {mark} exact {exact}"
