"""The window and its answers never import TensorFlow or Keras (that costs ~5 s here):
checked in a fresh interpreter, with the real manager and whatever models are bundled."""

import subprocess
import sys

CHILD = r"""
import sys, time
from calcapp.ui.app import make_app
app = make_app(["calcapp"])
from calcapp.ui.main_window import MainWindow
w = MainWindow(start_tf=False)
w.show()
got = []
w.answerShown.connect(got.append)
w.display.edit.setText("12+34")
end = time.time() + 30
while not got and time.time() < end:
    app.processEvents()
    time.sleep(0.01)
w.canvas.add_stroke(__import__("calcapp.ink.strokes", fromlist=["x"]).Stroke.from_xy(
    [(10, 10), (11, 40), (12, 70)]))
end = time.time() + 5
while time.time() < end and w.canvas.reading is None and not w.canvas_panel.status.text():
    app.processEvents()
    time.sleep(0.01)
heavy = sorted(m for m in ("tensorflow", "keras") if m in sys.modules)
print("ANSWER", got[0].exact if got else None, "HEAVY", heavy)
w.close()
"""


def test_window_answers_and_ink_without_tensorflow():
    out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True,
                         timeout=120)
    assert "ANSWER 46 HEAVY []" in out.stdout, out.stdout + out.stderr[-2000:]
