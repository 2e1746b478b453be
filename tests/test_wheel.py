"""Issue 19: the wheel carries the bundled models, icons and desktop entry as package data,
and an installed copy finds them (``calcapp --self-test`` needs them).

Built from a copy of the sources with the test environment's own setuptools (no network,
no build isolation), so the checkout gets no build/ or egg-info folders.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    pytest.importorskip("setuptools")
    pytest.importorskip("wheel")
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    skip = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "calcapp", src / "calcapp", ignore=skip)
    for name in ("models", "icons"):
        shutil.copytree(ROOT / "resources" / name, src / "resources" / name, ignore=skip)
    shutil.copy2(ROOT / "resources" / "calcapp.desktop", src / "resources" / "calcapp.desktop")
    out = tmp_path_factory.mktemp("wheel")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", str(src), "--no-deps",
                           "--no-build-isolation", "--no-index", "-q", "-w", str(out)],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return next(out.glob("calcapp-*.whl"))


def test_the_wheel_carries_models_icons_and_the_desktop_entry(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    res = "calcapp/resources/"
    for model in sorted(p.name for p in (ROOT / "resources" / "models").iterdir() if p.is_dir()):
        assert f"{res}models/{model}/card.json" in names
        assert f"{res}models/{model}/model.keras" in names
    assert f"{res}models/recognizer/weights.npz" in names
    assert f"{res}calcapp.desktop" in names and f"{res}icons/calcapp.png" in names
    assert f"{res}icons/hicolor/256x256/apps/calcapp.png" in names
    assert not any("screenshots" in n for n in names)
    assert "calcapp/cli/__init__.py" in names and "calcapp/paths.py" in names


def test_an_installed_copy_finds_its_resources(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALCAPP_RESOURCES")}
    env["PYTHONPATH"] = str(site)  # the unpacked wheel first, not the checkout
    code = ("import calcapp.paths as p, calcapp.nets.registry as r; "
            "print(p.resources_dir()); print(sorted(m.name for m in r.list_models(None)))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr
    where, models = proc.stdout.splitlines()
    assert Path(where) == site / "calcapp" / "resources"
    assert "recognizer" in models and "add3" in models
