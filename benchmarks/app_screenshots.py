"""Takes the README's screenshots of the real window on a display (Xvfb on a server).

It drives the app the way a person would - key events into the expression, mouse strokes
on the canvas (written from the synthetic-ink templates), Enter to keep answers in the
history - and saves PNGs of the window as the screen shows it.

    Xvfb :99 -screen 0 1280x900x24 &
    DISPLAY=:99 python benchmarks/app_screenshots.py --home DIR --out resources/screenshots

``--home`` should hold a trained calculator model (user models) unless models are bundled.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--home", help="CALCAPP_HOME with user models")
    p.add_argument("--out", default="resources/screenshots")
    p.add_argument("--theme", choices=["light", "dark"], default=None)
    args = p.parse_args()
    home = Path(tempfile.mkdtemp(prefix="calcapp-shots-"))
    if args.home:  # a copy: the screenshots' history must not land in a real home
        import shutil

        shutil.copytree(Path(args.home) / "models", home / "models", dirs_exist_ok=True)
    os.environ["CALCAPP_HOME"] = str(home)
    if args.theme:
        os.environ["CALCAPP_THEME"] = args.theme
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    import numpy as np
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtTest import QTest

    from calcapp.ink.synth import synth_line
    from calcapp.ui.app import make_app

    app = make_app(["calcapp"])
    from calcapp.ui.main_window import MainWindow

    w = MainWindow(tf_delay_ms=0)
    w.resize(1000, 700)
    w.show()

    def spin(seconds):
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            app.processEvents()
            time.sleep(0.005)

    def shot(name):
        spin(0.3)
        screen = w.windowHandle().screen()
        pix = screen.grabWindow(w.winId())
        path = out / f"{name}{'-' + args.theme if args.theme else ''}.png"
        pix.save(str(path), "PNG")
        print(f"saved {path} ({path.stat().st_size // 1024} KB)")

    spin(1.0)
    edit = w.display.edit
    for text in ["500+500", "77+44", "123+456"]:
        edit.clear()
        QTest.keyClicks(edit, text)
        spin(0.3)
        QTest.keyClick(edit, Qt.Key_Return)
        spin(0.3)
    QTest.keyClick(edit, Qt.Key_Escape)
    QTest.keyClicks(edit, "974+59")
    spin(5.0)  # the device probe reports in the status bar
    shot("calculator")

    edit.clear()
    strokes, _ = synth_line("12+34", np.random.default_rng(3), height=90.0, strength=0.7)
    for stroke in strokes:
        pts = [QPoint(int(40 + p.x), int(50 + p.y)) for p in stroke.points]
        QTest.mousePress(w.canvas, Qt.LeftButton, Qt.NoModifier, pts[0])
        for pt in pts[1:]:
            QTest.mouseMove(w.canvas, pt)
        QTest.mouseRelease(w.canvas, Qt.LeftButton, Qt.NoModifier, pts[-1])
        spin(0.15)
    spin(0.5)
    shot("handwriting")

    w.clear()  # a new expression: display and ink
    w.picker.select("arith3")  # a seed model chosen by name; Auto would take the general one
    QTest.keyClicks(edit, "2.5*4")
    spin(0.5)
    shot("outside-task")
    w.clear()
    QTest.keyClicks(edit, "511/7")  # one of arith3's test errors (72, not 73): the app must show it
    spin(0.5)
    shot("network-wrong")
    w.clear()
    w.picker.select(None)
    QTest.keyClicks(edit, "12+(3")
    QTest.keyClick(edit, Qt.Key_Return)
    spin(0.5)
    shot("error")
    w.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
