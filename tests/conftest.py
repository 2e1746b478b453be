"""Every test runs with CALCAPP_HOME in a temp dir and Qt offscreen.

The environment is set at import time too, so subprocesses started by tests (the CLI) and
Qt objects created during collection see the same settings.
"""

from __future__ import annotations

import os
import tempfile

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
_SESSION_HOME = tempfile.mkdtemp(prefix="calcapp-test-home-")
os.environ["CALCAPP_HOME"] = _SESSION_HOME


@pytest.fixture(autouse=True)
def calcapp_home(tmp_path, monkeypatch):
    """A fresh, empty per-user data home for each test."""
    home = tmp_path / "calcapp-home"
    home.mkdir()
    monkeypatch.setenv("CALCAPP_HOME", str(home))
    return home


@pytest.fixture(scope="session", autouse=True)
def gui_collector(qapp):
    """Garbage collection on the GUI thread's timer, as the app runs it (calcapp/ui/collector.py)."""
    from calcapp.ui import collector

    return collector.install(qapp)


@pytest.fixture(autouse=True)
def collect_after_each_test(gui_collector):
    """Tests that never run the event loop still have their garbage collected between them."""
    yield
    gui_collector.tick()
