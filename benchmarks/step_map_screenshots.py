"""Screenshots of the Inside tab opening one step of the working (issue 20), offscreen, the
whole window at 980x680: a long multiplication's partial product and its product line
(the general model's read maps), the same product line's occlusion map, and a pass of the
expr rewriter with its own attention. Each step is opened the way a person does it: a
double-click on the step in the calculator's working.

    QT_QPA_PLATFORM=offscreen PYTHONPATH=. python benchmarks/step_map_screenshots.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path


def spin(app, seconds: float, until=None) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end and not (until is not None and until()):
        app.processEvents()
        time.sleep(0.005)


def save(widget, path: Path) -> None:
    widget.grab().save(str(path), "PNG")
    print(f"saved {path} ({path.stat().st_size // 1024} KB)")


def open_step(app, w, text: str, model: str | None, index: int):
    """Type ``text`` on the calculator, Enter, double-click step ``index`` of the working."""
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtGui import QMouseEvent, QTextCursor

    w.tabs.setCurrentIndex(0)
    w.picker.select(model)
    w.clear()
    w.display.edit.insert(text)
    w.compute()
    spin(app, 30, lambda: w.display.answer is not None and len(w.display.working.steps) > index)
    working = w.display.working
    rect = working.cursorRect(QTextCursor(working.document().findBlockByNumber(index)))
    pos = rect.center()
    event = QMouseEvent(QMouseEvent.MouseButtonDblClick, pos, working.viewport().mapToGlobal(pos),
                        Qt.LeftButton, Qt.LeftButton, Qt.NoModifier)
    working.mouseDoubleClickEvent(event)
    panel = w.panel("Inside the model")
    spin(app, 30, lambda: panel.steps.current() == index and panel.inspection is not None)
    spin(app, 1.0)
    return panel


def inside_add3(app, w, out: Path) -> None:
    """A one-pass seq2seq model in the Inside tab: its encoder, attention, states and the
    error map of one operator, as a first-timer finds them."""
    panel = w.panel("Inside the model")
    w.tabs.setCurrentWidget(panel)
    panel.select_model("add3")
    panel.expression.setText("974+59")
    panel.inspect_now()
    spin(app, 30, lambda: panel.inspection is not None)
    panel.compute_maps()
    panel.wait_for_jobs()
    spin(app, 1.0)
    save(w, out / "inside_add3.png")


def main(out: Path = Path("resources/screenshots")) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("CALCAPP_HOME", tempfile.mkdtemp(prefix="calcapp-shots-"))
    from calcapp.ui.app import make_app
    from calcapp.ui.main_window import MainWindow

    app = make_app(["calcapp"])
    out.mkdir(parents=True, exist_ok=True)
    w = MainWindow(start_tf=False, confirm=lambda *a: True)
    w.resize(980, 680)
    w.show()
    spin(app, 1.0)
    panel = open_step(app, w, "1234*56", None, 1)
    save(w, out / "inside-step-partial-product.png")
    panel = open_step(app, w, "1234*56", None, 4)
    save(w, out / "inside-step-long-multiplication.png")
    panel.steps.which.setCurrentIndex(1)
    spin(app, 0.5)
    save(w, out / "inside-step-occlusion.png")
    panel.steps.which.setCurrentIndex(0)
    open_step(app, w, "(12+3)*4-5", "expr", 1)
    save(w, out / "inside-step-expr-pass.png")
    inside_add3(app, w, out)
    w.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
