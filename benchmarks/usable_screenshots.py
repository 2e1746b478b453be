"""Issue 18's screenshots, offscreen: the Training tab at 980x680 and 800x600 (a fake
run in progress: layout, not learning, is what they show), the dark theme with a real
integer-quotient answer, tightly written symbols' labels (real recognizer), an error
map with a single wrong cell, and the calculator at 800x600 with an answer's working.

    QT_QPA_PLATFORM=offscreen python benchmarks/usable_screenshots.py --out resources/screenshots
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # the tests' fake trainer drives the run


def spin(app, seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.005)


def save(widget, path: Path) -> None:
    widget.grab().save(str(path), "PNG")
    print(f"saved {path} ({path.stat().st_size // 1024} KB)")


def training(app, out: Path) -> None:
    from calcapp.engine.manager import ModelManager
    from calcapp.ui.main_window import MainWindow
    from test_ui_fakes import FakeRecognizer, FakeTrainer

    manager = ModelManager(recognizer_loader=FakeRecognizer,
                           train_fn=FakeTrainer(epochs=40, steps=25, delay=0.01))
    w = MainWindow(manager, start_tf=False, confirm=lambda *a: True)
    w.show()
    panel = w.panel("Training")
    w.tabs.setCurrentIndex(1)
    panel.start()
    for size in [(980, 680), (800, 600)]:
        w.resize(*size)
        spin(app, 2.0)
        save(w, out / f"training_{size[0]}x{size[1]}.png")
    panel.stop()
    spin(app, 0.5)
    w.close()


def dark_and_canvas(app, out: Path) -> None:
    import numpy as np

    from calcapp.ink.synth import shift_strokes, synth_line
    from calcapp.ui.main_window import MainWindow

    w = MainWindow(start_tf=False, confirm=lambda *a: True)
    w.set_theme("dark")
    w.tabs.setCurrentIndex(0)
    w.resize(980, 680)
    w.show()
    spin(app, 1.0)
    strokes, _ = synth_line("12+35", np.random.default_rng(4), height=70.0, strength=0.6)
    strokes = shift_strokes(strokes, 40.0, 60.0)
    tight = []
    for s in strokes:  # squeeze the line to 60% of its width: symbols written tightly
        tight.append(type(s)([type(p)(40 + 0.6 * (p.x - 40), p.y, p.t, p.pressure)
                              for p in s.points]))
    w.canvas.set_strokes(tight)
    spin(app, 3.0)
    if w.canvas.reading is not None and len(w.canvas.reading.symbols) > 1:
        w.canvas.correct_symbol(len(w.canvas.reading.symbols) - 1, "6")  # a correction
    spin(app, 1.0)
    save(w.canvas_panel, out / "canvas_labels.png")
    w.clear()
    w.picker.select("arith3")  # a seed model by name: it answers integer quotients
    w.display.edit.insert("7/2")
    spin(app, 2.0)
    save(w, out / "dark.png")
    w.set_theme("system")
    w.close()


def error_map(app, out: Path) -> None:
    import numpy as np

    from calcapp.ui.inside.grids import ErrorGrid
    from calcapp.ui.inside.views import ErrorMapView

    side = 100
    ok = np.ones((side, side), dtype=bool)
    ok[37, 64] = False  # one wrong cell among 10,000
    answers = [[str(a + b) for b in range(side)] for a in range(side)]
    targets = [row[:] for row in answers]
    answers[37][64] = "111"
    view = ErrorMapView()
    view.resize(360, 420)
    view.show()
    view.set_data(ErrorGrid("+", ok, answers, targets))
    spin(app, 1.0)
    save(view, out / "error_map.png")


def working_800x600(app, out: Path) -> None:
    """The whole calculator at 800x600 with a long multiplication's working: the working
    takes what the keypad leaves (3 lines, scrolling), every keypad row stays whole."""
    from calcapp.ui.main_window import MainWindow

    w = MainWindow(start_tf=False, confirm=lambda *a: True)
    w.show()
    w.resize(800, 600)
    w.display.edit.insert("12*34")
    end = time.perf_counter() + 30
    while time.perf_counter() < end and getattr(w.display.answer, "neural", None) is None:
        spin(app, 0.1)
    spin(app, 0.5)
    save(w, out / "calculator-working_800x600.png")
    w.close()


def run_shots(doc: str, *makers) -> int:
    """The screenshot scripts' one command: ``--out``, an offscreen app on a fresh data
    folder, then ``make(app, out)`` for each maker."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "resources" / "screenshots"))
    args = ap.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["CALCAPP_HOME"] = tempfile.mkdtemp(prefix="calcapp-shots-")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    from calcapp.ui.app import make_app

    app = make_app(["calcapp"])
    for make in makers:
        make(app, out)
    return 0


def main() -> int:
    return run_shots(__doc__, training, dark_and_canvas, error_map, working_800x600)


if __name__ == "__main__":
    sys.exit(main())
