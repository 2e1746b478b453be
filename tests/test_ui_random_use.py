"""The window under random use (keys, keypad, ink of any shape, tabs, sizes) still answers what
is typed next. A run like this found typed input overwritten by a late ink reading."""

from __future__ import annotations

import math
import random

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from calcapp.ink.strokes import Point, Stroke

CHARS = list("0123456789+-*/().=xX ") + ["\u00f7", "\u00d7", "\u2212", "\u00b7", "\u00e9", "1e9", "\t"]
KEYS = [Qt.Key_Return, Qt.Key_Backspace, Qt.Key_Escape, Qt.Key_Delete, Qt.Key_Up, Qt.Key_Down, Qt.Key_Left,
        Qt.Key_Tab]


def _stroke(rng: random.Random) -> Stroke:
    x, y = rng.uniform(20, 300), rng.uniform(20, 150)
    kind = rng.choice(["pen", "dot", "level", "huge", "nan", "long"])
    pts = {
        "pen": lambda: [(x + rng.uniform(-20, 20), y + rng.uniform(-40, 40)) for _ in range(rng.randint(2, 30))],
        "dot": lambda: [(x, y)],
        "level": lambda: [(x + 5 * i, y) for i in range(rng.randint(2, 20))],
        "huge": lambda: [(rng.uniform(-1e300, 1e300), rng.uniform(-1e300, 1e300)) for _ in range(5)],
        "nan": lambda: [(math.nan, 1.0), (2.0, math.inf), (3.0, 4.0)],
        "long": lambda: [(i * 0.5, 50 + 10 * math.sin(i / 10)) for i in range(3000)],
    }[kind]()
    return Stroke([Point(float(a), float(b)) for a, b in pts])


def test_the_window_still_answers_after_random_use(qtbot):
    from calcapp.engine.manager import ModelManager
    from calcapp.ui.main_window import MainWindow

    rng = random.Random(3)
    window = MainWindow(ModelManager(warm=False), start_tf=False, confirm=lambda *a: True)
    qtbot.addWidget(window)
    window.resize(800, 600)
    window.show()
    qtbot.waitExposed(window)
    buttons = window.keypad.findChildren(QPushButton)
    edit = window.display.edit
    try:
        for step in range(250):
            r = rng.random()
            if r < 0.35:
                text = "".join(rng.choice(CHARS) for _ in range(rng.randint(1, 6)))
                if text.isascii():
                    qtbot.keyClicks(edit, text)
                else:  # QTest types ASCII only; the rest arrives as a paste would
                    edit.insert(text)
            elif r < 0.5:
                qtbot.keyClick(edit, rng.choice(KEYS))
            elif r < 0.65:
                qtbot.mouseClick(rng.choice(buttons), Qt.LeftButton)
            elif r < 0.85:
                window.canvas.add_stroke(_stroke(rng))
            elif r < 0.9:
                window.tabs.setCurrentIndex(rng.randrange(window.tabs.count()))
            elif r < 0.95:
                window.resize(rng.randint(200, 1200), rng.randint(150, 900))
            else:
                qtbot.wait(rng.randint(1, 200))
            if step % 25 == 0:
                qtbot.wait(50)
        window.tabs.setCurrentIndex(0)
        window.resize(800, 600)
        edit.setFocus()
        edit.selectAll()
        qtbot.keyClicks(edit, "12+30")
        qtbot.keyClick(edit, Qt.Key_Return)
        qtbot.waitUntil(lambda: getattr(window.display.answer, "neural", None) == "42", timeout=30000)
        assert window.display.text() == "12+30"
    finally:
        window.close()
