"""Smaller parts of the window: About, theme, the symbol menu from a tap, pen proximity."""

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QInputDevice, QPointingDevice, QTabletEvent
from PySide6.QtWidgets import QApplication, QMenu

from calcapp.ui import about, theme
from calcapp.ui.calculator.canvas import InkCanvas
from test_ui_fakes import FakeRecognizer
from test_ui_window import line


def test_about_names_every_version():
    html = about.about_html("CPU", "2.21.0")
    for name in ("calcapp", "Python", "Qt", "PySide6", "NumPy", "TensorFlow", "Keras"):
        assert name in html
    assert "2.21.0" in html and "TensorFlow sees: CPU" in html


def test_theme_follows_the_override(monkeypatch, qapp):
    monkeypatch.setenv("CALCAPP_THEME", "dark")
    assert theme.scheme() == "dark"
    assert theme.confidence_colour(0.95) != theme.confidence_colour(0.2)
    monkeypatch.setenv("CALCAPP_THEME", "light")
    assert theme.scheme() == "light"


def _read(canvas):
    canvas.set_reading(FakeRecognizer().read_strokes(canvas.strokes), canvas.version)


def test_a_tap_on_a_symbol_opens_its_menu_and_elsewhere_makes_a_dot(qtbot):
    canvas = InkCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(400, 200)
    canvas.show()
    canvas.add_stroke(line(40, 20, 42, 80))
    _read(canvas)
    qtbot.mouseClick(canvas, Qt.LeftButton, pos=QPoint(41, 50))
    menus = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMenu) and w.isVisible()]
    assert menus and any(a.text().startswith("7") for a in menus[-1].actions())
    for menu in menus:
        menu.close()
    assert len(canvas.strokes) == 1  # the tap was not ink
    qtbot.mouseClick(canvas, Qt.LeftButton, pos=QPoint(200, 150))
    assert len(canvas.strokes) == 2  # a tap on empty paper is a dot


def test_the_pen_leaving_the_tablet_reads_pending_ink(qtbot):
    canvas = InkCanvas()
    qtbot.addWidget(canvas)
    got = []
    canvas.inkChanged.connect(got.append)
    canvas.strokes.append(line(0, 0, 1, 30))  # ink that was never announced
    canvas.version += 1
    device = QPointingDevice("pen", 9, QInputDevice.DeviceType.Stylus,
                             QPointingDevice.PointerType.Pen,
                             QInputDevice.Capability.Position, 1, 2)
    leave = QTabletEvent(QEvent.TabletLeaveProximity, device, QPointF(), QPointF(), 0, 0, 0,
                         0, 0, 0, Qt.NoModifier, Qt.NoButton, Qt.NoButton)
    QApplication.sendEvent(QApplication.instance(), leave)
    assert len(got) == 1 and len(got[0]) == 1


def test_no_display_is_a_sentence_and_status_2(monkeypatch, capsys):
    import sys

    from calcapp.ui import app

    monkeypatch.setattr(sys, "platform", "linux")
    for var in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(var, raising=False)
    assert app.run_app(["calcapp"]) == 2
    assert "no display" in capsys.readouterr().err


def test_the_app_keeps_blas_to_one_thread_unless_told_otherwise(monkeypatch, qapp):
    from calcapp.ui import app

    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    monkeypatch.setenv("MKL_NUM_THREADS", "3")
    assert app.make_app(["calcapp"]) is qapp
    import os

    assert os.environ["OPENBLAS_NUM_THREADS"] == "1" and os.environ["MKL_NUM_THREADS"] == "3"


def test_the_app_leaves_at_once_when_a_worker_outlived_the_window():
    """A thread still holding a lock that the interpreter's shutdown needs (h5py's, while the
    engine's worker read a model's weights) left a process hanging as it ended."""
    import subprocess
    import sys

    code = """
import os, sys, threading, time, types
from calcapp.ui.app import finish
lock = threading.Lock()
class Needs:  # what h5py's objects do as the interpreter clears its modules
    def __init__(self):
        self.lock = lock
    def __del__(self):
        self.lock.acquire()
mod = types.ModuleType("held_at_exit")
mod.held = Needs()
sys.modules["held_at_exit"] = mod
threading.Thread(target=lambda: (lock.acquire(), time.sleep(60)), daemon=True).start()
time.sleep(0.2)
print("closed", flush=True)
sys.exit(finish(3))
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 3 and proc.stdout == "closed\n"
