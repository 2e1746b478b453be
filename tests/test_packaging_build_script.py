"""Issue 19: packaging/build-linux.sh freezes from the interpreter calcapp is installed in.

Fast checks (default run); the real build is in test_packaging.py (marked ``packaging``).
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "packaging" / "build-linux.sh"


def test_pyinstaller_fallback_keeps_the_project_interpreter():
    text = SCRIPT.read_text()
    assert "--system-site-packages" not in text  # a venv's python would lose the venv's packages
    assert "--target build/pyinstaller" in text
    assert 'PYI=(env "PYTHONPATH=$ROOT/build/pyinstaller' in text


@pytest.mark.skipif(sys.platform != "linux" or platform.machine() != "x86_64"
                    or not (shutil.which("dpkg-deb") and shutil.which("objdump")),
                    reason="build-linux.sh runs on x86_64 Linux with dpkg-deb and objdump")
def test_an_interpreter_without_the_dependencies_is_refused_up_front(tmp_path):
    fake = tmp_path / "python3"
    fake.write_text("#!/bin/sh\n# a python3 that has none of calcapp's dependencies\nexit 1\n")
    fake.chmod(0o755)
    env = {**os.environ, "PYTHON": str(fake)}
    proc = subprocess.run(["bash", str(SCRIPT), "--flavour", "lite"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert "lacks calcapp's dependencies" in proc.stderr and "PYTHON=" in proc.stderr
