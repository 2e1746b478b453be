"""Application start-up (placeholder until the window lands)."""

from __future__ import annotations


def run_app(argv: list[str]) -> int:
    from PySide6.QtWidgets import QApplication, QLabel

    app = QApplication(argv)
    label = QLabel("calcapp: the window is under construction")
    label.setWindowTitle("calcapp")
    label.resize(420, 120)
    label.show()
    return app.exec()
