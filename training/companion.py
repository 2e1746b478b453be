"""Training a companion network (pen view, piece network, pair network) and writing it into a recognizer folder.

Each companion is an ``.npz`` of weights beside the recognizer plus an entry in its card; both
are written to a temporary file and renamed, so a folder the app reads is never half written.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import numpy as np


def called(script: str, argv) -> str:
    """The command line a recipe was called with (``argv``; the process's where ``None``), for
    its data and card: called in-process (a test, a notebook), the process's is someone else's."""
    return f"python training/{script} " + " ".join(sys.argv[1:] if argv is None else argv)


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


def training_sets(paths, seed: int):
    """(x, y, training rows, a tenth kept aside, the recipes that wrote them) of the collected
    ``.npz`` files; ``x`` gains the channel axis the networks take."""
    files = [np.load(f) for f in paths]
    x = np.concatenate([d["x"] for d in files]).astype(np.float32)[..., None]
    y = np.concatenate([d["y"] for d in files]).astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(x))
    cut = int(0.9 * len(x))
    return x, y, order[:cut], order[cut:], [str(d["recipe"]) for d in files if "recipe" in d.files]


def fit_epochs(model, x, y, tr, va, epochs: int, vary=None) -> list[dict]:
    """Fit one epoch at a time (``vary`` may redraw the training inputs each time), printing
    and returning each epoch's figures."""
    t0, history = time.time(), []
    for epoch in range(epochs):
        h = model.fit(vary(x[tr]) if vary else x[tr], y[tr], batch_size=128, epochs=1, verbose=0,
                      validation_data=(x[va], y[va]))
        history.append({k: round(float(v[-1]), 4) for k, v in h.history.items()})
        print(epoch + 1, history[-1], f"{time.time() - t0:.0f} s", flush=True)
    return history


def use_threads(tf, threads: int) -> None:
    """Train on this many CPU threads, or on those TensorFlow already runs with when a recipe is
    called in a process that has used it (a test, a notebook): they can no longer change."""
    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:
        pass
