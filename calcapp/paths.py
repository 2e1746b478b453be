"""Where calcapp keeps things: the per-user data home and the bundled resources.

One function each, so that every part of the app (history, user models, personal
handwriting samples, training runs) agrees on the location, and tests can redirect all of
it with ``CALCAPP_HOME``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_NAME = "calcapp"


def data_home(create: bool = True) -> Path:
    """The per-user data folder.

    ``CALCAPP_HOME`` wins; otherwise the platform's usual place:
    Linux ``$XDG_DATA_HOME/calcapp`` (``~/.local/share/calcapp``), macOS
    ``~/Library/Application Support/calcapp``, Windows ``%APPDATA%\\calcapp``.
    """
    override = os.environ.get("CALCAPP_HOME")
    if override:
        home = Path(override).expanduser()
    elif sys.platform.startswith("win"):
        base = os.environ.get("APPDATA") or str(Path.home() / "AppData" / "Roaming")
        home = Path(base) / APP_NAME
    elif sys.platform == "darwin":
        home = Path.home() / "Library" / "Application Support" / APP_NAME
    else:
        base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
        home = Path(base) / APP_NAME
    if create:
        home.mkdir(parents=True, exist_ok=True)
    return home


def user_models_dir(create: bool = True) -> Path:
    """Models the user trained (from the GUI or ``calcapp train``)."""
    path = data_home(create) / "models"
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


def resources_dir() -> Path:
    """The bundled resources (icons, models and their cards, the desktop entry).

    Looked up, in order: ``CALCAPP_RESOURCES``; a frozen app's bundle; the source checkout's
    ``resources/`` (also what an editable install sees); the copy an installed wheel holds
    inside the package (``calcapp/resources``, see setup.py).
    """
    override = os.environ.get("CALCAPP_RESOURCES")
    if override:
        return Path(override)
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    package = Path(__file__).resolve().parent
    checkout = package.parent / "resources"
    if (checkout / "calcapp.desktop").is_file():  # ours, not some other "resources" folder
        return checkout
    return package / "resources"


def bundled_models_dir() -> Path:
    return resources_dir() / "models"


def set_aside(path: Path, why: str) -> Path:
    """Rename a file calcapp cannot use (damaged, or from another version) to
    ``<name>.<why>-<time>`` beside it, never deleting it, so that a fresh one can take its
    place; its SQLite ``-wal``/``-shm`` companions go with it. Returns the new path."""
    import time

    path = Path(path)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    kept, n = path.with_name(f"{path.name}.{why}-{stamp}"), 1
    while kept.exists():
        n += 1
        kept = path.with_name(f"{path.name}.{why}-{stamp}-{n}")
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            side.replace(kept.with_name(kept.name + suffix))
    path.replace(kept)
    return kept
