"""Recipes: a named ``TrainConfig`` plus the goal it must reach, kept as JSON in ``training/``.

Why files: the CLI (``calcapp train --recipe NAME``), the GUI's training tab and whoever
re-trains a bundled model all read the same recipe, so each bundled model card can be
reproduced from its recipe, and new comparisons are added without code.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from calcapp.arithmetic.trainer import TrainConfig
from calcapp.nets.registry import safe_model_name


def recipes_dir() -> Path:
    """``CALCAPP_RECIPES`` wins; otherwise the checkout's ``training/recipes``."""
    override = os.environ.get("CALCAPP_RECIPES")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2] / "training" / "recipes"


@dataclass(frozen=True)
class Recipe:
    name: str
    config: TrainConfig
    description: str = ""
    goal: dict[str, Any] = field(default_factory=dict)  # e.g. {"exact_match": 0.999}
    anchor: str = ""  # what the seed reached, for the comparison table
    bundled: bool = False  # trains a model shipped in resources/models
    path: Path | None = None
    # what trains before this recipe's own config, in order (calcapp.arithmetic.curriculum)
    stages: tuple[dict[str, Any], ...] = ()

    def with_overrides(self, **hparams: Any) -> TrainConfig:
        """The recipe's config with some hyperparameters replaced (``None`` is a value:
        ``target_exact=None`` turns early stopping off)."""
        cfg = self.config
        return TrainConfig(cfg.name, cfg.task, cfg.architecture, {**cfg.hparams, **hparams})


MAX_RECIPE_BYTES = 1 << 20  # recipes are a few KB
MAX_STAGES = 20


def _stages(data: dict) -> tuple[dict[str, Any], ...]:
    """The recipe's ``stages``, checked: each names another recipe (``{"recipe": NAME}``)
    or is this one's settings with some replaced (``{"name": N, "hparams": {...}}``);
    ``"continue": true`` resumes the stage before (its optimizer and epoch count) instead
    of a warm start from its weights."""
    stages = data.get("stages", [])
    if not isinstance(stages, list) or len(stages) > MAX_STAGES:
        raise ValueError(f"'stages' is a list of at most {MAX_STAGES} stages")
    labels = []
    for i, stage in enumerate(stages, 1):
        if not isinstance(stage, dict) or ("recipe" in stage) == ("name" in stage):
            raise ValueError(f"stage {i} needs either 'recipe' (another recipe) or 'name'")
        for key in ("recipe", "name"):
            if key in stage and not isinstance(stage[key], str):
                raise ValueError(f"stage {i}: '{key}' is a name")
        if not isinstance(stage.get("hparams", {}), dict) or \
                not isinstance(stage.get("continue", False), bool):
            raise ValueError(f"stage {i}: 'hparams' is an object and 'continue' true or false")
        labels.append(safe_model_name(stage.get("name") or stage["recipe"]))
    if len(set(labels)) != len(labels):
        raise ValueError("two stages share a name")
    return tuple(stages)


def load_recipe_file(path: Path) -> Recipe:
    """A recipe from its JSON file; ValueError naming the file for a bad one (its model
    name must be a plain name: it becomes the model's folder)."""
    path = Path(path)
    if path.stat().st_size > MAX_RECIPE_BYTES:
        raise ValueError(f"{path}: a recipe has at most {MAX_RECIPE_BYTES:,} bytes")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except RecursionError:
        raise ValueError(f"{path}: nested too deeply") from None
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        raise ValueError(f"{path}: a recipe is a JSON object with a 'name'")
    try:
        safe_model_name(data.get("model_name", data["name"]))
        stages = _stages(data)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None
    config = TrainConfig.from_dict({**data, "name": data.get("model_name", data["name"])})
    return Recipe(data["name"], config, data.get("description", ""), data.get("goal", {}),
                  data.get("anchor", ""), bool(data.get("bundled", False)), Path(path), stages)


def list_recipes(folder: Path | None = None) -> list[Recipe]:
    folder = folder or recipes_dir()
    if not folder.is_dir():
        return []
    return [load_recipe_file(p) for p in sorted(folder.glob("*.json"))]


def load_recipe(name: str) -> Recipe:
    """A recipe by name, or by the path of its JSON file."""
    if name.endswith(".json") and Path(name).is_file():
        return load_recipe_file(Path(name))
    for recipe in list_recipes():
        if recipe.name == name:
            return recipe
    known = ", ".join(r.name for r in list_recipes()) or "none"
    raise LookupError(f"no recipe named {name!r}; known: {known}")
