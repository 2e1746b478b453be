"""Every test runs with CALCAPP_HOME in a temp dir and Qt offscreen.

The environment is set at import time too, so subprocesses started by tests (the CLI) and
Qt objects created during collection see the same settings.
"""

from __future__ import annotations

import atexit
import gc
import os
import shutil
import tempfile

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
_SESSION_HOME = tempfile.mkdtemp(prefix="calcapp-test-home-")
os.environ["CALCAPP_HOME"] = _SESSION_HOME
atexit.register(shutil.rmtree, _SESSION_HOME, True)  # each run (and xdist worker) left one behind


def pytest_xdist_auto_num_workers(config):
    """``-n auto`` (the README's test command): a worker per core, at least two (tests wait on
    threads and subprocesses, so two overlap even on one core) and at most four (each worker
    loads Qt and TensorFlow)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return min(4, max(2, cores))


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
    """Tests that never run the event loop still have their garbage collected between them,
    and none may switch automatic collection back on: it would start wherever an allocation
    crossed a threshold, in a worker thread too, for every later test (ui/collector.py)."""
    yield
    if gc.isenabled():
        gc.disable()
        pytest.fail("this test left automatic garbage collection switched on")
    gui_collector.tick()
