"""PySide6 widgets and windows.

Importing any of them first guards against a PySide6 6.12 bug on Python 3.11 (each
Python-side signal emit drops a reference to ``True``; see calcapp.engine.qt_signals):
the windows, their tests and pyqtgraph all emit, so the guard must be in place before
any of them runs, not only when ``calcapp`` starts the app.
"""

from calcapp.engine.qt_signals import protect_bools as _protect_bools

_protect_bools()
