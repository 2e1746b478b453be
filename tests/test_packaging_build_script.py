"""Issue 19: packaging/build-linux.sh freezes from the interpreter calcapp is installed in.

Fast checks (default run); the real build is in test_packaging.py (marked ``packaging``).
"""

from __future__ import annotations

import os
import platform
import re
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


def _fake_checkout(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A copy of what build-linux.sh reads, and an interpreter that has no PyInstaller and
    cannot install it (it logs every call and hands the rest to this test's Python)."""
    root = tmp_path / "checkout"
    shutil.copytree(ROOT / "packaging", root / "packaging",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "resources" / "icons", root / "resources" / "icons")
    shutil.copy2(ROOT / "resources" / "calcapp.desktop", root / "resources" / "calcapp.desktop")
    (root / "calcapp").mkdir()
    shutil.copy2(ROOT / "calcapp" / "__init__.py", root / "calcapp" / "__init__.py")
    calls = tmp_path / "calls.log"
    python = tmp_path / "python3"
    python.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> "{calls}"\n'
        'case "$1 $2" in "-m PyInstaller"|"-m pip") echo "no such module" >&2; exit 1 ;; esac\n'
        f'exec "{sys.executable}" "$@"\n')
    python.chmod(0o755)
    return root, python, calls


needs_build_tools = pytest.mark.skipif(
    sys.platform != "linux" or platform.machine() != "x86_64"
    or not (shutil.which("dpkg-deb") and shutil.which("objdump")),
    reason="build-linux.sh runs on x86_64 Linux with dpkg-deb and objdump")


@needs_build_tools
def test_reuse_packages_without_pyinstaller(tmp_path):
    pytest.importorskip("h5py")  # the script first checks the interpreter has the app's deps
    pytest.importorskip("pyqtgraph")
    root, python, calls = _fake_checkout(tmp_path)
    app = root / "build" / "pyi-lite" / "dist" / "calcapp"
    (app / "_internal").mkdir(parents=True)
    (app / "calcapp").write_text("#!/bin/sh\necho calcapp\n")
    (app / "calcapp").chmod(0o755)
    proc = subprocess.run(
        ["bash", str(root / "packaging" / "build-linux.sh"), "--flavour", "lite", "--reuse",
         "--no-self-test"],
        cwd=tmp_path, env={**os.environ, "PYTHON": str(python)},
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "PyInstaller" not in calls.read_text() and "-m pip" not in calls.read_text()
    version = re.search(r'__version__\s*=\s*"([^"]+)"',
                        (ROOT / "calcapp" / "__init__.py").read_text()).group(1)
    assert sorted(p.name for p in (root / "dist").glob("calcapp-lite*")) == [
        f"calcapp-lite-{version}-linux-x86_64.tar.gz", f"calcapp-lite_{version}_amd64.deb"]


@needs_build_tools
def test_a_pyinstaller_that_cannot_be_installed_says_what_to_do(tmp_path):
    pytest.importorskip("h5py")
    pytest.importorskip("pyqtgraph")
    root, python, calls = _fake_checkout(tmp_path)
    proc = subprocess.run(
        ["bash", str(root / "packaging" / "build-linux.sh"), "--flavour", "lite"],
        cwd=tmp_path, env={**os.environ, "PYTHON": str(python)},
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert f"install it yourself: {python} -m pip install 'pyinstaller>=6.10'" in proc.stderr
    assert "--target build/pyinstaller" in calls.read_text()  # tried the interpreter's own pip
    assert not list((root / "dist").glob("*.deb"))
