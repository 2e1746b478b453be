"""Application start-up: what ``calcapp`` with no arguments runs.

Nothing on this path imports TensorFlow (the window must be up within a second, and
answers are NumPy); the manager imports it in a side thread once the window shows.
The application and X11 resource names are "calcapp" so the desktop entry's
``StartupWMClass=calcapp`` matches the window.
"""

from __future__ import annotations

import os
import sys


# The window's NumPy work is many tiny forward passes (a reading, an answer). OpenBLAS
# would start a thread per core for each and spin them; on a busy 2-core machine that
# made a reading 4-10x slower (median 8 ms with one thread, 32-106 ms without) and took
# CPU from the event loop. Set before NumPy is first imported in this process.
SINGLE_THREAD_BLAS = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def make_app(argv: list[str]):
    """The QApplication, named and styled; reuses one that already exists."""
    for var in SINGLE_THREAD_BLAS:
        os.environ.setdefault(var, "1")
    os.environ.setdefault("RESOURCE_NAME", "calcapp")  # X11 WM_CLASS instance name
    from PySide6.QtGui import QGuiApplication, QIcon
    from PySide6.QtWidgets import QApplication

    from calcapp import __version__
    from calcapp.paths import resources_dir
    from calcapp.ui import collector, theme

    app = QApplication.instance()
    if app is None:
        QApplication.setApplicationName("calcapp")  # WM_CLASS class name
        QApplication.setOrganizationName("calcapp")
        QApplication.setApplicationVersion(__version__)
        QGuiApplication.setDesktopFileName("calcapp")
        app = QApplication(list(argv) or ["calcapp"])
        theme.apply(app)
        icon = resources_dir() / "icons" / "calcapp.png"
        if icon.is_file():
            app.setWindowIcon(QIcon(str(icon)))
    collector.install(app)
    return app


def no_display_reason() -> str | None:
    """Why a window cannot open here (Linux without a display), else None. Qt would abort
    the process with a core dump; a sentence and exit status 2 are kinder."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return None
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    return ("no display to open the window on (DISPLAY and WAYLAND_DISPLAY are unset); "
            "try 'calcapp compute EXPR' or 'calcapp --self-test'")


def run_app(argv: list[str]) -> int:
    reason = no_display_reason()
    if reason:
        print(f"calcapp: {reason}", file=sys.stderr)
        return 2
    app = make_app(argv)
    from calcapp.ui.main_window import MainWindow

    window = MainWindow()
    window.show()
    return finish(app.exec())


def finish(code: int) -> int:
    """Leave at once when a worker thread outlived the window (an Inside-tab grid, TensorFlow
    still loading): the interpreter's shutdown frees objects whose libraries take locks such a
    thread may hold, and the process then hangs with no window (seen: a process that ended
    while the engine's worker read a model's weights waited forever on h5py's lock).
    The window's close already saved settings, closed the history and waited for the answers
    and trainings, so nothing is left that shutdown would write."""
    import threading

    if not any(t.is_alive() for t in threading.enumerate() if t is not threading.main_thread()):
        return code
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    sys.exit(run_app(sys.argv))
