"""The About dialog: what this is and the versions of everything it runs on.

TensorFlow's version is read from package metadata (not by importing it: that takes
seconds) unless the app has already imported it.
"""

from __future__ import annotations

import platform
import sys

from PySide6.QtWidgets import QMessageBox


def _dist_version(name: str) -> str:
    try:
        from importlib.metadata import version

        return version(name)
    except Exception:
        return "not installed"


def versions(tf_version: str | None = None) -> dict[str, str]:
    import numpy
    import PySide6
    from PySide6.QtCore import qVersion

    from calcapp import __version__

    tf = sys.modules.get("tensorflow")
    return {
        "calcapp": __version__,
        "Python": platform.python_version(),
        "Qt": qVersion(),
        "PySide6": PySide6.__version__,
        "NumPy": numpy.__version__,
        "TensorFlow": (tf_version or getattr(tf, "__version__", None)
                       or _dist_version("tensorflow")),
        "Keras": _dist_version("keras"),
        "system": f"{platform.system()} {platform.release()} ({platform.machine()})",
    }


def about_html(tf_state: str | None = None, tf_version: str | None = None) -> str:
    rows = "".join(f"<tr><td>{k}</td><td>&nbsp;&nbsp;{v}</td></tr>"
                   for k, v in versions(tf_version).items())
    state = f"<p>TensorFlow sees: {tf_state}</p>" if tf_state else ""
    return (
        "<h3>calcapp</h3>"
        "<p>A calculator whose arithmetic is done by neural networks, beside the exact "
        "answer, and whose input can be handwritten.</p>"
        f"<table>{rows}</table>{state}"
    )


def show_about(parent, tf_state: str | None = None, tf_version: str | None = None) -> None:
    QMessageBox.about(parent, "About calcapp", about_html(tf_state, tf_version))
