"""Finds models (bundled and user-trained) by their JSON cards, without importing Keras.

A model is a folder holding ``model.keras`` and ``card.json``. The card says what the
model was trained for (its task spec), how, and how well; the registry uses it to pick the
best model that covers an input, so the CLI and the GUI never load a model in vain.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Iterator

from calcapp.paths import bundled_models_dir, user_models_dir
from calcapp.expr.tasks import TaskSpec

CARD_NAME = "card.json"
MODEL_NAME = "model.keras"


@dataclass(frozen=True)
class ModelInfo:
    name: str
    path: Path  # the model's folder
    card: dict[str, Any]
    source: str  # "bundled", "user" or "path"

    @cached_property
    def task(self) -> TaskSpec:
        # cached: routing 10,000 inputs asks for it once per input and model
        return TaskSpec.from_dict(self.card["task"])

    @property
    def kind(self) -> str:
        """``calculator`` (seq2seq) or another kind such as ``recognizer``."""
        return self.card.get("kind", "calculator")

    @property
    def architecture(self) -> str:
        return self.card.get("architecture", "?")

    @property
    def exact_match(self) -> float | None:
        return (self.card.get("metrics") or {}).get("exact_match")

    @property
    def keras_path(self) -> Path:
        return self.path / MODEL_NAME

    def summary(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "source": self.source,
            "kind": self.kind,
            "architecture": self.architecture,
            "task": self.card.get("task", {}).get("name"),
            "exact_match": self.exact_match,
            "parameters": self.card.get("parameters"),
            "path": str(self.path),
        }


def read_card(folder: Path) -> dict[str, Any]:
    with open(folder / CARD_NAME, encoding="utf-8") as fh:
        return json.load(fh)


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON to a temp file in the same folder, then rename over the target."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2, sort_keys=False, ensure_ascii=False)
            fh.write("\n")
        os.chmod(tmp, 0o644)  # mkstemp makes private files; cards and history are shareable
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def writing_model_folder(folder: Path) -> Iterator[Path]:
    """Yield a temp folder beside ``folder``; when the block succeeds, swap it into place.

    A model folder is never seen half-written: readers find the old model or the new one.
    On failure the temp folder is removed and the old model stays.
    """
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".tmp", dir=folder.parent))
    try:
        yield tmp
        os.chmod(tmp, 0o755)  # mkdtemp makes a private folder; models are shareable
        old = None
        if folder.exists():
            old = folder.parent / f".{folder.name}.old-{os.getpid()}-{time.time_ns()}"
            os.replace(folder, old)
        os.replace(tmp, folder)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def without_optimizer(model):
    """A copy of a Keras model with its weights and no optimizer state, for saving.

    Why: Adam's moments double or treble a ``.keras`` file and nothing reuses them (resumed
    and fine-tuning runs compile a fresh optimizer). ``clone_model`` would keep it.
    Keras is imported here, not at module level: the registry is on the no-TensorFlow path.
    """
    import keras

    bare = keras.Model.from_config(model.get_config())
    bare.set_weights(model.get_weights())
    return bare


def load_info(folder: Path, source: str = "path") -> ModelInfo:
    folder = Path(folder)
    if not (folder / CARD_NAME).is_file():
        raise FileNotFoundError(f"{folder} holds no {CARD_NAME}")
    card = read_card(folder)
    return ModelInfo(card.get("name", folder.name), folder, card, source)


def _scan(root: Path, source: str) -> list[ModelInfo]:
    if not root.is_dir():
        return []
    found = []
    for sub in sorted(root.iterdir()):
        if (sub / CARD_NAME).is_file():
            try:
                found.append(load_info(sub, source))
            except (OSError, ValueError):
                continue  # a broken card must not hide the other models
    return found


def list_models(kind: str | None = "calculator") -> list[ModelInfo]:
    """Bundled then user models (a user model of the same name shadows a bundled one)."""
    by_name: dict[str, ModelInfo] = {}
    for info in _scan(bundled_models_dir(), "bundled") + _scan(user_models_dir(), "user"):
        by_name[info.name] = info
    models = list(by_name.values())
    if kind is not None:
        models = [m for m in models if m.kind == kind]
    return models


def find_model(name_or_dir: str) -> ModelInfo:
    """A model by registry name, or by the path of its folder."""
    path = Path(name_or_dir)
    if path.is_dir():
        return load_info(path, "path")
    for info in list_models(kind=None):
        if info.name == name_or_dir:
            return info
    raise LookupError(f"no model named {name_or_dir!r} (see 'calcapp models')")


def best_for(text: str, models: list[ModelInfo] | None = None) -> ModelInfo | None:
    """The most accurate calculator model whose task covers ``text``, or ``None``; a model
    with real quotients (the general one) first, as it answers what the others truncate."""
    models = list_models() if models is None else models
    covering = [m for m in models if m.kind == "calculator" and m.task.covers(text)]
    if not covering:
        return None
    return max(covering, key=lambda m: (m.task.exact_quotients, m.exact_match or 0.0,
                                        -m.task.max_input_len))
