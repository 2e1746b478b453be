"""The on-screen keypad: every key a person might click instead of type.

Keys only emit what they stand for; the main window decides what that does to the
expression, so clicking and typing go through the same code.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QGridLayout, QPushButton, QSizePolicy, QWidget


BACKSPACE, CLEAR, EQUALS = "\u232b", "C", "="
LAYOUT = [
    ["7", "8", "9", "\u00f7", "("],
    ["4", "5", "6", "\u00d7", ")"],
    ["1", "2", "3", "\u2212", BACKSPACE],
    ["0", ".", EQUALS, "+", CLEAR],
]
TOOLTIPS = {BACKSPACE: "Delete (Backspace)",
            CLEAR: "New expression: clears the display and the ink (Esc)",
            EQUALS: "Compute (Enter or =)"}


class Keypad(QWidget):
    pressed = Signal(str)  # the key's text: a digit, an operator, ( ) . or ⌫ C =

    def __init__(self, parent=None):
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setSpacing(4)
        grid.setContentsMargins(0, 0, 0, 0)
        self.buttons: dict[str, QPushButton] = {}
        for r, row in enumerate(LAYOUT):
            for c, key in enumerate(row):
                button = QPushButton(key)
                button.setObjectName(f"key-{key}")
                button.setFocusPolicy(Qt.NoFocus)  # keep the keyboard on the expression
                button.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
                button.setMinimumSize(44, 38)
                font = QFont(button.font())
                font.setPointSizeF(font.pointSizeF() * 1.4)
                button.setFont(font)
                if key in TOOLTIPS:
                    button.setToolTip(TOOLTIPS[key])
                if key == EQUALS:
                    button.setDefault(True)
                button.clicked.connect(lambda _=False, k=key: self.pressed.emit(k))
                grid.addWidget(button, r, c)
                self.buttons[key] = button
