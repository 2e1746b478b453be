"""Issue 21's screenshots: real writers' ink written into the window's canvas, read by the
bundled recognizer and answered by the bundled models.

    QT_QPA_PLATFORM=offscreen python benchmarks/handwriting_screenshots.py --out resources/screenshots

The digits, '+' and '=' are those of CROHME writers the recognizer never trained on (held out by
calcapp/handwriting/crohme.py), laid out as ``handwriting_composed.write_ink`` lays them out; the
obelus is synthetic ink (calcapp/ink/synth.py: no held-out writer wrote a '÷'). Strokes are
played into the canvas as mouse drags, a pen-up after each, as a person writes them. Shots:
a '÷' obelus read with its confidence, an equation checked right and one checked wrong (also at
800x600), and a misread symbol corrected from the keyboard through the symbol's own menu.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]
from usable_screenshots import run_shots, spin  # noqa: E402 (shared by the screenshot scripts)

WRITER = "MathBrush:200922-1017"  # a held-out writer with every symbol the shots need
OTHER = "MathBrush:2009213-139"  # another one, one of whose '3's reads as '2'
HEIGHT, ORIGIN, MAX_WIDTH = 80.0, (40.0, 80.0), 440.0  # the canvas is 540 px wide at 980x680


def wait_for(app, test, timeout: float = 20.0) -> bool:
    end = time.perf_counter() + timeout
    while time.perf_counter() < end:
        app.processEvents()
        if test():
            return True
        time.sleep(0.01)
    return False


def save(pixmap, path: Path) -> None:
    pixmap.save(str(path), "PNG")
    print(f"saved {path} ({path.stat().st_size // 1024} KB)")


def ink_for(text: str, writer: str, seed: int, max_width: float = MAX_WIDTH):
    """``text`` in ``writer``'s held-out symbols (a synthetic obelus), canvas coordinates."""
    import numpy as np

    from benchmarks.handwriting_composed import _box, crohme_banks, write_ink
    from calcapp.handwriting.data import default_data_root
    from calcapp.ink.synth import shift_strokes, symbol_strokes

    if not hasattr(ink_for, "banks"):
        ink_for.banks = crohme_banks(default_data_root())[0]
    have = ink_for.banks[writer]
    rng = np.random.default_rng(seed)

    def pick(ch):
        if ch == "\u00f7":
            ink = symbol_strokes("\u00f7", rng, 0.6, scale=1.0)
            return ink, _box(ink), 1.0
        s, h = have[ch][rng.integers(len(have[ch]))]
        return s.strokes, s.box, h

    strokes = write_ink(text, pick, np.array([0.3]), rng, HEIGHT)
    width = max(p.x for s in strokes for p in s.points)
    k = min(1.0, max_width / max(width, 1e-6))  # the whole line on the canvas
    return shift_strokes(strokes, ORIGIN[0], ORIGIN[1] + (1 - k) * HEIGHT / 2, k)


def one_misread(text: str, writer: str):
    """The first seed whose ink of ``text`` reads with exactly one symbol wrong, the right
    label among that symbol's alternatives: (strokes, index of the misread symbol)."""
    from calcapp.handwriting.recognizer import load_recognizer

    rec = load_recognizer()
    for seed in range(40):
        strokes = ink_for(text, writer, seed)
        r = rec.read_strokes(strokes)
        labels = [s.label for s in r.symbols]
        if len(labels) != len(text):
            continue
        wrong = [i for i, (a, b) in enumerate(zip(text, labels)) if a != b]
        if len(wrong) == 1 and text[wrong[0]] in [a for a, _ in r.symbols[wrong[0]].alternatives]:
            return strokes, wrong[0]
    raise SystemExit(f"no single misread of {text} by {writer} in 40 seeds")


def write(app, canvas, strokes) -> None:
    """Mouse drags on the canvas, one per stroke, with a pen-up (and a reading) after each."""
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtTest import QTest

    for stroke in strokes:
        pts = [QPoint(round(p.x), round(p.y)) for p in stroke.points]
        QTest.mousePress(canvas, Qt.LeftButton, Qt.NoModifier, pts[0])
        for pt in pts[1:]:
            QTest.mouseMove(canvas, pt)
        if len(pts) < 3:
            spin(app, 0.4)  # a dot held a moment, so it is ink and not a tap
        QTest.mouseRelease(canvas, Qt.LeftButton, Qt.NoModifier, pts[-1])
        spin(app, 0.05)


def written(app, w, strokes, reading: str) -> None:
    """A new expression, ``strokes`` written, and the window's answer to ``reading`` shown."""
    w.clear()
    spin(app, 0.2)
    write(app, w.canvas, strokes)
    ok = wait_for(app, lambda: w.display.text() == reading and w.display.summary()
                  and w.canvas.reading_version == w.canvas.version)
    if not ok:
        raise SystemExit(f"the window shows {w.display.text()!r} ({w.display.summary()!r}), "
                         f"not {reading!r}")
    spin(app, 0.5)


def with_menu(w, menu):
    """The window as the screen shows it with ``menu`` open over it."""
    from PySide6.QtGui import QPainter

    pix = w.grab()
    painter = QPainter(pix)
    painter.drawPixmap(w.mapFromGlobal(menu.pos()), menu.grab())
    painter.end()
    return pix


def shots(app, out: Path) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QMenu

    from calcapp.ui.main_window import MainWindow

    w = MainWindow(start_tf=False, confirm=lambda *a: True)
    w.tabs.setCurrentIndex(0)
    w.show()
    spin(app, 1.0)
    written(app, w, ink_for("84\u00f77", WRITER, 0), "84\u00f77")
    save(w.grab(), out / "handwriting-obelus.png")
    written(app, w, ink_for("12+34=46", WRITER, 0), "12+34=46")
    save(w.grab(), out / "handwriting-equation-right.png")
    written(app, w, ink_for("12+34=47", WRITER, 0), "12+34=47")
    save(w.grab(), out / "handwriting-equation-wrong.png")
    size = w.size()
    w.resize(800, 600)  # a person at a small window writes within its canvas
    spin(app, 1.0)
    written(app, w, ink_for("12+34=47", WRITER, 0, w.canvas.width() - 80), "12+34=47")
    save(w.grab(), out / "handwriting-equation-wrong_800x600.png")
    w.resize(size)
    spin(app, 0.5)

    strokes, index = one_misread("12+34=46", OTHER)
    w.clear()
    spin(app, 0.2)
    write(app, w.canvas, strokes)
    wait_for(app, lambda: w.canvas.reading is not None and w.canvas.reading_version == w.canvas.version
             and w.display.summary())
    spin(app, 0.5)
    misread = w.canvas.reading.symbols[index].label
    print(f"symbol {index} of 12+34=46 read as {misread}")
    w.canvas.setFocus(Qt.TabFocusReason)  # the keyboard: Tab to the canvas, arrows, Enter
    for _ in range(index + 1):
        QTest.keyClick(w.canvas, Qt.Key_Right)
    QTest.keyClick(w.canvas, Qt.Key_Return)
    spin(app, 0.5)
    menu = next(m for m in QApplication.topLevelWidgets() if isinstance(m, QMenu) and m.isVisible())
    for _ in range(len(menu.actions())):  # down the alternatives to '3'
        QTest.keyClick(menu, Qt.Key_Down)
        if (menu.activeAction() and menu.activeAction().text().split()[:1] == ["3"]):
            break
    spin(app, 0.3)
    save(with_menu(w, menu), out / "handwriting-correction-menu.png")
    QTest.keyClick(menu, Qt.Key_Return)
    wait_for(app, lambda: w.display.text() == "12+34=46" and "holds" in w.display.summary())
    spin(app, 0.8)
    save(w.grab(), out / "handwriting-corrected.png")
    w.close()


def main() -> int:
    return run_shots(__doc__, shots)


if __name__ == "__main__":
    sys.exit(main())
