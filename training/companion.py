"""Writing a companion network (pen view, piece network, pair network) into a recognizer folder.

Each companion is an ``.npz`` of weights beside the recognizer plus an entry in its card; both
are written to a temporary file and renamed, so a folder the app reads is never half written.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np


def save_companion(folder, name: str, arrays: dict, key: str, entry: dict) -> None:
    """``arrays`` as ``folder/name`` and ``entry`` as the card's ``key``."""
    folder = Path(folder)
    tmp = folder / (name + ".tmp")
    with open(tmp, "wb") as fh:
        np.savez(fh, **arrays)
    os.replace(tmp, folder / name)
    card = json.loads((folder / "card.json").read_text(encoding="utf-8"))
    card[key] = entry
    tmp = folder / "card.json.tmp"
    tmp.write_text(json.dumps(card, indent=2, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, folder / "card.json")
