"""Screenshots of the calculator display answering with the general model (issue 20): a
long multiplication and a decimal division with their working, and a deliberately broken
multiply cell whose first wrong step is marked. Offscreen; no window manager needed.

    QT_QPA_PLATFORM=offscreen PYTHONPATH=. python benchmarks/general_screenshots.py
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def main(out: Path = Path("resources/screenshots")) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from calcapp.arithmetic.answering import answer_many
    from calcapp.arithmetic.columns import cells as C
    from calcapp.arithmetic.columns.predictor import ColumnsPredictor
    from calcapp.nets.registry import find_model
    from calcapp.ui.app import make_app
    from calcapp.ui.calculator.display import Display

    app = make_app(["calcapp"])
    info = find_model("general")
    weights = dict(C.read_weights(info.keras_path))
    k, b = (a.copy() for a in weights["mul_head0"])
    k[:, [4, 5]], b[[4, 5]] = k[:, [5, 4]], b[[5, 4]]  # product digits 4 and 5 swapped
    weights["mul_head0"] = (k, b)
    broken = ColumnsPredictor(C.CellTables(weights), "general (broken mul cell)")
    shots = [("general-long-multiplication", answer_many(["1234*56"])[0]),
             ("general-decimal-division", answer_many(["7.5/3"])[0]),
             ("general-wrong-step", answer_many(["1234*56"], model=info,
                                                predictor_for=lambda _: broken)[0])]
    out.mkdir(parents=True, exist_ok=True)
    for name, answer in shots:
        display = Display()
        display.set_text(answer.input)
        display.show_answer(answer, final=True)
        display.resize(640, 330)
        display.show()
        app.processEvents()
        path = out / f"{name}.png"
        display.grab().save(str(path), "PNG")
        print(f"saved {path} ({path.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
