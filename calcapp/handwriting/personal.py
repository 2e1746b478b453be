"""The user's own handwriting: a sample store and a fine-tune that adapts the recognizer.

Corrections made in the GUI call ``SampleStore().add``; the training panel calls
``fine_tune``. Samples are kept as normalised 28x28 PNGs in one folder per class under the
per-user data home, so they survive model upgrades and can be looked at. The fine-tuned
model is saved as the user model ``recognizer-personal``, which ``load_recognizer()``
prefers. Synthetic ink is replayed beside the user's samples so that a few dozen samples
sharpen the classes the user wrote without the rest being forgotten.
"""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np

from calcapp.handwriting.pairs import PAIRS_NAME
from calcapp.handwriting.pieces import PIECES_NAME
from calcapp.ink.imagenorm import normalise, normalise_strokes
from calcapp.paths import data_home, user_models_dir
from calcapp.ink.synth import LABELS
from calcapp.nets.events import RunControl, TrainingCallback, TrainResult

FOLDER_OF = {"+": "plus", "-": "minus", "\u00d7": "times", "\u00f7": "divide", "/": "slash",
             "(": "lparen", ")": "rparen", ".": "dot", "=": "equals", "\u00b7": "dot",
             "\u2212": "minus", "*": "times", "x": "times"}
LABEL_OF = {"plus": "+", "minus": "-", "times": "\u00d7", "divide": "\u00f7", "slash": "/",
            "lparen": "(", "rparen": ")", "dot": ".", "equals": "="}


def _folder_name(label: str) -> str:
    if label in FOLDER_OF:
        return FOLDER_OF[label]
    if label in LABELS and label.isdigit():
        return label
    raise ValueError(f"{label!r} is not a symbol the recognizer knows")


class SampleStore:
    """Labelled 28x28 samples in ``data_home()/samples/<class>/<id>.png``."""

    def __init__(self, root: Path | None = None):
        self.root = Path(root) if root is not None else data_home() / "samples"

    def add(self, sample, label: str) -> Path:
        """Add one sample: a list of strokes, or an image (any size and polarity)."""
        folder = self.root / _folder_name(label)
        if isinstance(sample, (list, tuple)) and (not sample or hasattr(sample[0], "points")):
            image = normalise_strokes(list(sample))
        else:
            image = normalise(np.asarray(sample))
        if image.max() <= 0:
            raise ValueError("the sample holds no ink")
        from PIL import Image

        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{uuid.uuid4().hex}.png"
        fd, tmp = tempfile.mkstemp(suffix=".png.tmp", dir=folder)
        os.close(fd)
        try:
            Image.fromarray((np.clip(image, 0, 1) * 255).astype(np.uint8)).save(tmp, format="PNG")
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    def _files(self):
        if not self.root.is_dir():
            return []
        return [(LABEL_OF.get(d.name, d.name), f) for d in sorted(self.root.iterdir()) if d.is_dir()
                for f in sorted(d.glob("*.png"))]

    def count(self) -> int:
        return len(self._files())

    def by_label(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for lab, _ in self._files():
            out[lab] = out.get(lab, 0) + 1
        return out

    def load(self) -> tuple[np.ndarray, np.ndarray]:
        """All samples as (N, 28, 28) float32 and class indices."""
        from PIL import Image

        xs, ys = [], []
        for lab, f in self._files():
            if lab not in LABELS:
                continue
            with Image.open(f) as im:
                xs.append(np.asarray(im.convert("L"), dtype=np.float32) / 255.0)
            ys.append(LABELS.index(lab))
        if not xs:
            return np.zeros((0, 28, 28), np.float32), np.zeros((0,), np.int64)
        return np.stack(xs), np.array(ys, np.int64)


PERSONAL_NAME = "recognizer-personal"
# Files beside a recognizer's picture network, by their card entry: the pen view and the piece
# network, which a personal fine-tune of the picture network leaves as they are.
COMPANIONS = {"trajectory": "trajectory.npz", "pieces": PIECES_NAME, "pairs": PAIRS_NAME}


def copy_companions(base_dir: Path, folder: Path, names) -> None:
    """Copy the companion files ``names`` (``COMPANIONS``) from ``base_dir`` into a saved model
    folder, each written beside its final name and renamed over it."""
    import shutil

    for name in names:
        shutil.copyfile(Path(base_dir) / name, Path(folder) / (name + ".tmp"))
        os.replace(Path(folder) / (name + ".tmp"), Path(folder) / name)


def fine_tune(store: SampleStore | None = None, callback: TrainingCallback | None = None,
              control: RunControl | None = None, epochs: int = 6, base=None, out_dir=None,
              replay_per_class: int = 60, seed: int = 0) -> TrainResult:
    """Adapt the current recognizer to the user's samples and save it as the user model."""
    import keras

    from calcapp.handwriting import data as hd
    from calcapp.handwriting import cnn as rm
    from calcapp.handwriting.recognizer import default_recognizer_dir

    store = store or SampleStore()
    xu, yu = store.load()
    if len(xu) == 0:
        raise ValueError("no personal samples yet: correct a few symbols first")
    base_dir = Path(base) if base is not None else default_recognizer_dir()
    model = keras.saving.load_model(base_dir / "model.keras", safe_mode=True)
    rng = np.random.default_rng(seed)
    xr, yr, _ = hd.synth_set(replay_per_class, rng)
    reps = max(1, int(np.ceil(len(xr) / max(len(xu), 1) / 2)))  # the user's samples weigh half
    x = np.concatenate([np.repeat(xu, reps, axis=0), xr]).astype(np.float32)
    y = np.concatenate([np.repeat(yu, reps), yr])
    t0 = time.perf_counter()
    run = rm.train(model, x, y, xu, yu, epochs=epochs, batch_size=64, lr=3e-4, callback=callback,
                   control=control, seed=seed, name=PERSONAL_NAME,
                   augment_fn=lambda a, r: hd.augment(a, r, 0.7))
    probs = model.predict(xu[..., None], verbose=0)
    metrics = {"personal_accuracy": round(float((probs.argmax(1) == yu).mean()), 4),
               "samples": int(len(xu))}
    from calcapp.nets.registry import read_card

    base_card = read_card(base_dir)
    card = {"name": PERSONAL_NAME, "kind": "recognizer", "architecture": base_card.get("architecture"),
            "task": base_card.get("task"), "base": base_card.get("name"),
            "data": {"personal_samples": store.by_label(), "replay": f"synthetic, {replay_per_class}/class"},
            "training": {"epochs": epochs, "best_epoch": run["best_epoch"], "lr": 3e-4,
                         "seconds": round(time.perf_counter() - t0, 1)},
            "metrics": metrics}
    # The pen view and the piece network are not fine-tuned: they travel as they are.
    companions = {key: name for key, name in COMPANIONS.items()
                  if base_card.get(key) and (base_dir / name).is_file()}
    for key in companions:
        card[key] = base_card[key]
    folder = None
    if not (run["stopped"] and run["best_epoch"] is None):
        folder = rm.save(model, Path(out_dir) if out_dir else user_models_dir() / PERSONAL_NAME, card)
        copy_companions(base_dir, folder, companions.values())
    result = rm.as_result(folder, run, metrics, card)
    if callback is not None:
        callback.on_end(result)
    return result
