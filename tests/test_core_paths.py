"""The per-user data home: CALCAPP_HOME wins, otherwise the platform's place."""

from __future__ import annotations

import sys
from pathlib import Path

from calcapp import paths


def test_calcapp_home_overrides(tmp_path, monkeypatch):
    monkeypatch.setenv("CALCAPP_HOME", str(tmp_path / "h"))
    assert paths.data_home() == tmp_path / "h"
    assert (tmp_path / "h").is_dir()
    assert paths.user_models_dir() == tmp_path / "h" / "models"


def test_platform_defaults(tmp_path, monkeypatch):
    monkeypatch.delenv("CALCAPP_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    assert paths.data_home(create=False) == Path(tmp_path) / ".local" / "share" / "calcapp"
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert paths.data_home(create=False) == tmp_path / "xdg" / "calcapp"
    monkeypatch.setattr(sys, "platform", "darwin")
    assert paths.data_home(create=False) == Path(tmp_path) / "Library" / "Application Support" / "calcapp"
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setenv("APPDATA", str(tmp_path / "roaming"))
    assert paths.data_home(create=False) == tmp_path / "roaming" / "calcapp"


def test_resources_found_in_checkout():
    assert (paths.resources_dir() / "models").is_dir()
