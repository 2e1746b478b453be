"""The calculator with the keyboard alone: Tab order, keys wherever focus is, and names.

Why: a person who cannot or will not use a mouse must reach every control with Tab, in
the order the eye reads them, and typing a digit, an operator, Enter, Esc or Backspace
must act on the expression wherever the focus is on the calculator tab (a keypad key,
the model picker, the history). Each control also gets an accessible name, so a screen
reader says what it does, not "button".
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractButton, QApplication, QLineEdit, QWidget

from calcapp.ui.calculator.keypad import BACKSPACE, CLEAR, EQUALS

# The keys that belong to the expression wherever focus is on the calculator tab.
EXPRESSION_TEXT = set("0123456789.+-*/()=xX\u00d7\u00f7\u2212")
EXPRESSION_KEYS = {Qt.Key_Return, Qt.Key_Enter, Qt.Key_Escape, Qt.Key_Backspace}
KEY_NAMES = {
    "\u00f7": "divide", "\u00d7": "multiply", "\u2212": "minus", "+": "plus",
    "(": "open bracket", ")": "close bracket", ".": "decimal point",
    BACKSPACE: "delete last character", CLEAR: "clear: new expression", EQUALS: "equals: compute",
}


class KeyRouter(QObject):
    """An application event filter: a calculator key pressed while focus is on another
    control of the calculator tab goes to the expression, which answers it as typed."""

    def __init__(self, tab: QWidget, edit: QLineEdit, tab_bar: QWidget | None = None):
        super().__init__(tab)
        self.tab, self.edit, self.tab_bar = tab, edit, tab_bar

    def _routes(self, focus: QWidget) -> bool:
        """Focus on the calculator tab, or on the tab bar while it shows that tab."""
        if self.tab.isAncestorOf(focus):
            return True
        return focus is self.tab_bar and self.tab.isVisible()

    def eventFilter(self, obj, event):
        if event.type() != QEvent.KeyPress or obj is self.edit:
            return False
        focus = QApplication.focusWidget()
        if obj is not focus or focus is None or not self._routes(focus):
            return False
        if isinstance(focus, QLineEdit):  # another text field keeps its own keys
            return False
        if event.key() in getattr(focus, "own_keys", ()):  # e.g. Enter opens a working step
            return False
        mods = event.modifiers() & (Qt.ControlModifier | Qt.AltModifier | Qt.MetaModifier)
        if mods or not (event.key() in EXPRESSION_KEYS or event.text() in EXPRESSION_TEXT):
            return False
        self.edit.setFocus(Qt.OtherFocusReason)  # Tab/shortcut focus would select all
        QApplication.sendEvent(self.edit, QKeyEvent(event.type(), event.key(), event.modifiers(),
                                                    event.text()))
        return True


def setup(window) -> KeyRouter:
    """Tab order, accessible names and the key router for the main window's controls."""
    edit, keypad, history, panel = (window.display.edit, window.keypad, window.history,
                                    window.canvas_panel)
    chain: list[QWidget] = [edit, window.display.working, window.picker]
    for row_keys in keypad.buttons:  # dict order is the keypad's row order
        chain.append(keypad.buttons[row_keys])
    chain += [history.list, history.copy_button, history.clear_button, panel.canvas,
              panel.undo_button, panel.redo_button, panel.clear_button]
    for widget in chain:
        if widget.focusPolicy() == Qt.NoFocus:
            # reachable by Tab; a click still leaves the keyboard on the expression
            widget.setFocusPolicy(Qt.TabFocus)
    chain.append(window.tabs.tabBar())
    for first, second in zip(chain, chain[1:]):
        QWidget.setTabOrder(first, second)
    _name_controls(window)
    router = KeyRouter(window.calculator_tab, edit, window.tabs.tabBar())
    QApplication.instance().installEventFilter(router)
    return router


def _name_controls(window) -> None:
    names = [
        (window.display.edit, "expression", "Type an expression; Enter computes, Esc starts anew"),
        (window.display.answer_label, "answers", "The network's answer and the exact answer"),
        (window.display.model_label, "model note", "Which model answered, or why none did"),
        (window.display.error_label, "error", "What is wrong with the expression"),
        (window.picker, "model", "Which network answers"),
        (window.history.list, "history", "Earlier expressions; click one to use it again"),
        (window.history.copy_button, "copy history entry", ""),
        (window.history.clear_button, "clear history", ""),
        (window.canvas_panel.canvas, "handwriting canvas",
         "Write an expression with a mouse or a pen; the arrow keys select a symbol, Enter corrects it"),
        (window.canvas_panel.undo_button, "undo ink", ""),
        (window.canvas_panel.redo_button, "redo ink", ""),
        (window.canvas_panel.clear_button, "clear ink", ""),
        (window.canvas_panel.status, "handwriting status", ""),
        (window.tabs.tabBar(), "tabs", ""),
    ]
    for key, button in window.keypad.buttons.items():
        names.append((button, f"key {KEY_NAMES.get(key, key)}", button.toolTip()))
    for widget, name, description in names:
        widget.setAccessibleName(name)
        if description:
            widget.setAccessibleDescription(description)


def unnamed_controls(root: QWidget) -> list[QWidget]:
    """Buttons and inputs under ``root`` that a screen reader could only call by type
    (a button's own text counts as its name)."""
    from PySide6.QtWidgets import QAbstractItemView, QAbstractSpinBox, QComboBox

    kinds = (QAbstractButton, QLineEdit, QComboBox, QAbstractSpinBox, QAbstractItemView)
    out = []
    for widget in root.findChildren(QWidget):
        if not isinstance(widget, kinds) or widget.accessibleName():
            continue
        if isinstance(widget, QAbstractButton) and widget.text().strip("&"):
            continue
        if _inside(widget, (QComboBox, QAbstractSpinBox, QAbstractItemView)):
            continue  # a combo box's, spin box's or table's own inner parts
        out.append(widget)
    return out


def _inside(widget: QWidget, kinds: tuple) -> bool:
    parent = widget.parent()
    while parent is not None:
        if isinstance(parent, kinds):
            return True
        parent = parent.parent()
    return False


def name_unnamed(root: QWidget) -> None:
    """Accessible names for a tab's controls from what a sighted person reads beside them:
    a form row's label, a label's buddy, else the tooltip or the placeholder text."""
    from PySide6.QtWidgets import QFormLayout, QLabel, QLayout

    for layout in root.findChildren(QLayout):
        if not isinstance(layout, QFormLayout):
            continue
        for row in range(layout.rowCount()):
            label = layout.itemAt(row, QFormLayout.LabelRole)
            field = layout.itemAt(row, QFormLayout.FieldRole)
            if label is None or field is None or field.widget() is None:
                continue
            if isinstance(label.widget(), QLabel) and not field.widget().accessibleName():
                field.widget().setAccessibleName(label.widget().text().replace("&", ""))
    for label in root.findChildren(QLabel):
        buddy = label.buddy()
        if buddy is not None and not buddy.accessibleName():
            buddy.setAccessibleName(label.text().replace("&", ""))
    for widget in unnamed_controls(root):
        text = widget.toolTip() or getattr(widget, "placeholderText", lambda: "")()
        widget.setAccessibleName(text or widget.objectName() or type(widget).__name__)
