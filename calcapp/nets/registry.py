"""Finds models (bundled and user-trained) by their JSON cards, without importing Keras.

A model is a folder holding ``model.keras`` and ``card.json``. The card says what the
model was trained for (its task spec), how, and how well; the registry uses it to pick the
best model that covers an input, so the CLI and the GUI never load a model in vain.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import tempfile
import time
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Iterator

from calcapp.paths import bundled_models_dir, user_models_dir
from calcapp.expr.tasks import TaskSpec, goal

CARD_NAME = "card.json"
MODEL_NAME = "model.keras"
MAX_NAME_LENGTH = 64
MAX_CARD_BYTES = 1 << 20  # the largest bundled card is 8 KB
MAX_MODEL_BYTES = 512 << 20  # the largest bundled model is 5 MB
_PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\Z")


class BadModelError(ValueError):
    """A model folder that cannot be used; the message names the file and what is wrong."""


def safe_model_name(name: Any) -> str:
    """``name`` itself if it is a plain folder name; ValueError otherwise.

    Why: a model's name becomes a folder (``<models>/<name>``) that training replaces, so
    ``../victim`` or ``/home/me`` must never get that far. Letters, digits, ``-``, ``_``
    and ``.``, starting with a letter or digit, at most ``MAX_NAME_LENGTH`` characters.
    """
    if not isinstance(name, str) or not name:
        raise ValueError("a model name cannot be empty")
    if len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"a model name has at most {MAX_NAME_LENGTH} characters")
    if not _PLAIN_NAME.match(name):
        raise ValueError(f"model name {name[:MAX_NAME_LENGTH]!r} is not a plain name: use letters, "
                         "digits, '-', '_' and '.', starting with a letter or digit")
    return name


def next_free_name(base: str, folder: Path | None = None, taken=()) -> str:
    """``base``, or ``base-2``, ``base-3``... : the first name with no folder in ``folder``
    (default: the user models folder) and not in ``taken`` (say, recorded runs' names), so a
    new run never lands on an existing model."""
    safe_model_name(base)
    folder = Path(folder) if folder is not None else user_models_dir()
    taken = set(taken)

    def free(name: str) -> bool:
        return name not in taken and not (folder / name).exists()

    if free(base):
        return base
    stem = base[:MAX_NAME_LENGTH - 6]
    for i in range(2, 100_000):
        name = f"{stem}-{i}"
        if free(name):
            return name
    raise ValueError(f"no free model name left for {base!r} in {folder}")


def check_model_file(path: Path, limit: int = MAX_MODEL_BYTES) -> Path:
    """``path`` if it is a regular file of a sane size; BadModelError otherwise.

    Checked before anything is read: a link to ``/dev/zero`` or a huge file would
    otherwise be read whole into memory.
    """
    path = Path(path)
    try:
        st = os.stat(path)
    except OSError as exc:
        raise BadModelError(f"{path}: cannot read the model file ({exc.strerror or exc})") from None
    if not stat.S_ISREG(st.st_mode):
        raise BadModelError(f"{path}: not a regular file")
    if st.st_size > limit:
        raise BadModelError(f"{path}: {st.st_size:,} bytes; a model file has at most {limit:,}")
    return path


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
    """The card as a dict; BadModelError for one that is too big, not JSON or not an object."""
    path = check_model_file(Path(folder) / CARD_NAME, MAX_CARD_BYTES)
    try:
        with open(path, encoding="utf-8") as fh:
            card = json.load(fh)
    except (ValueError, RecursionError) as exc:
        why = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)[:120]
        raise BadModelError(f"{path}: not a valid card ({why})") from None
    if not isinstance(card, dict):
        raise BadModelError(f"{path}: a card is a JSON object, not {type(card).__name__}")
    return card


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


class ModelExistsError(FileExistsError):
    """Training would replace a model folder that the run did not create."""


@contextmanager
def writing_model_folder(folder: Path, replace: bool = True) -> Iterator[Path]:
    """Yield a temp folder beside ``folder``; when the block succeeds, swap it into place.

    A model folder is never seen half-written: readers find the old model or the new one.
    On failure the temp folder is removed and the old model stays. ``replace=False``
    refuses (ModelExistsError) when ``folder`` already exists, before and after the block.
    """
    folder = Path(folder)
    safe_model_name(folder.name)
    if not replace and os.path.lexists(folder):
        raise ModelExistsError(f"{folder} already exists")
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".tmp", dir=folder.parent))
    try:
        yield tmp
        os.chmod(tmp, 0o755)  # mkdtemp makes a private folder; models are shareable
        old = None
        if not replace and os.path.lexists(folder):
            raise ModelExistsError(f"{folder} already exists")
        if folder.exists():
            old = folder.parent / f".{folder.name}.old-{os.getpid()}-{time.time_ns()}"
            os.replace(folder, old)
        os.replace(tmp, folder)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def recover_model_folder(folder: Path, pid: int) -> None:
    """Tidy ``folder`` after process ``pid`` was killed while writing it (a training that
    did not stop in time): put the previous model back if the kill fell between the two
    renames of ``writing_model_folder``, and remove the temp files and folders it left
    (matched exactly: another model's are left alone)."""
    folder = Path(folder)
    name = re.escape(safe_model_name(folder.name))  # a plain name: nothing glob reads
    olds = sorted(folder.parent.glob(f".{folder.name}.old-{pid}-*"))
    if not os.path.lexists(folder) and olds:
        os.replace(olds[-1], folder)
    for old in olds:
        shutil.rmtree(old, ignore_errors=True)
    temp = re.compile(rf"\.{name}\.[a-z0-9_]{{8}}\.tmp")
    for path in folder.parent.glob(f".{folder.name}.*.tmp"):
        if temp.fullmatch(path.name) and path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
    if folder.is_dir() and not folder.is_symlink():
        for path in folder.glob(f"{CARD_NAME}*.tmp"):
            path.unlink(missing_ok=True)


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


def check_keras_archive(path: Path) -> Path:
    """``path`` if it is a sane file and a zip holding a Keras config; BadModelError if not
    (random bytes, a file cut short)."""
    check_model_file(path)
    try:
        with zipfile.ZipFile(path) as zf:
            zf.getinfo("config.json")
            unpacked = sum(info.file_size for info in zf.infolist())
    except (zipfile.BadZipFile, KeyError, OSError, EOFError) as exc:
        raise BadModelError(f"{path}: not a Keras model file ({str(exc)[:120]})") from None
    if unpacked > MAX_MODEL_BYTES:  # a zip bomb: Keras would unpack it whole
        raise BadModelError(f"{path}: unpacks to {unpacked:,} bytes; a model has at most "
                            f"{MAX_MODEL_BYTES:,}")
    return path


def load_keras_model(path: Path, **kwargs):
    """``keras.saving.load_model(path, safe_mode=True)`` that answers a broken file with a
    BadModelError naming it (Keras says "File not found" or raises zip errors)."""
    import keras

    check_keras_archive(path)
    try:
        return keras.saving.load_model(path, safe_mode=True, **kwargs)
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError, EOFError,
            RecursionError, AttributeError, IndexError) as exc:
        raise BadModelError(f"{path}: not a readable model "
                            f"({type(exc).__name__}: {str(exc)[:120]})") from None


def load_info(folder: Path, source: str = "path") -> ModelInfo:
    folder = Path(folder)
    if not (folder / CARD_NAME).is_file():
        raise FileNotFoundError(f"{folder} holds no {CARD_NAME}")
    card = read_card(folder)
    name = card.get("name", folder.name)
    if "name" in card:  # a card's name is how other runs refer to (and write) the model
        try:
            safe_model_name(name)
        except ValueError as exc:
            raise BadModelError(f"{folder / CARD_NAME}: {exc}") from None
    if card.get("kind", "calculator") == "calculator":
        try:
            TaskSpec.from_dict(card["task"])
        except KeyError:
            raise BadModelError(f"{folder / CARD_NAME}: the card has no 'task'") from None
        except (TypeError, ValueError, AttributeError) as exc:
            raise BadModelError(f"{folder / CARD_NAME}: the card's task is not valid ({exc})") from None
    return ModelInfo(name, folder, card, source)


def _scan(root: Path, source: str, broken: list | None = None) -> list[ModelInfo]:
    """The models in ``root``; a folder whose card cannot be read goes to ``broken`` as
    (folder, why) instead: a broken card must not hide the other models."""
    if not root.is_dir():
        return []
    found = []
    for sub in sorted(root.iterdir()):
        if (sub / CARD_NAME).is_file():
            try:
                found.append(load_info(sub, source))
            except (OSError, ValueError) as exc:
                if broken is not None:
                    broken.append((sub, str(exc)[:200]))
    return found


def unreadable_models() -> list[tuple[Path, str]]:
    """The user's model folders whose card cannot be read, with why (``calcapp models`` says so
    rather than leave a model the user trained silently missing from the list)."""
    broken: list[tuple[Path, str]] = []
    _scan(user_models_dir(create=False), "user", broken)
    return broken


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
    try:
        safe_model_name(name_or_dir)
    except ValueError as exc:
        raise LookupError(f"{name_or_dir[:80]!r} is neither a model folder nor a model name "
                          f"({exc})") from None
    for info in list_models(kind=None):
        if info.name == name_or_dir:
            return info
    raise LookupError(f"no model named {name_or_dir!r} (see 'calcapp models')")


def best_for(text: str, models: list[ModelInfo] | None = None) -> ModelInfo | None:
    """The most accurate calculator model whose task covers ``text`` and that reached its
    task's goal on its test set (``meets_goal``), or ``None``: a half-trained model is
    picked only by name. A model with real quotients (the general one) comes first, as it
    answers what the others truncate."""
    models = list_models() if models is None else models
    covering = [m for m in models
                if m.kind == "calculator" and meets_goal(m) and m.task.covers(text)]
    if not covering:
        return None
    return max(covering, key=lambda m: (m.task.exact_quotients, m.exact_match or 0.0,
                                        -m.task.max_input_len))


def meets_goal(info: ModelInfo) -> bool:
    """Whether a model's measured exact match reaches its goal (unmeasured: no): the one
    its card states (the recipe's it was trained to), else its task's."""
    try:
        wanted = (info.card.get("goal") or {}).get("exact_match")
        return (info.exact_match or 0.0) >= (goal(info.task) if wanted is None else wanted)
    except (TypeError, ValueError, KeyError):  # an odd card is never picked automatically
        return False
