"""A recipe's stages, run in order in one command: each starts from the one before.

Why: arith3 and expr were made by five hand-run stages (a recipe each, chained by
``init_from`` names), which a person had to start one after another. A recipe's
``stages`` now list them; ``run`` trains each stage into its own folder (``NAME-LABEL``:
``arith3-base``, ``arith3-settle``, ...; the recipe's own config, last, into ``NAME``),
warm-starts every stage from the folder before (or resumes it: ``"continue": true``),
stops at once when a stage was stopped, and records in every card which stage of which
recipe it is, so ``--resume FOLDER`` picks up mid-stage, or at the next stage when that
one had finished. No TensorFlow here until ``run`` trains.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from calcapp.arithmetic.trainer import TrainConfig, check_free
from calcapp.nets.registry import safe_model_name


@dataclass(frozen=True)
class Stage:
    label: str  # "base": its folder is NAME-base (the last stage's is NAME)
    config: TrainConfig  # named after its folder
    resume: bool = False  # continue the stage before (optimizer, epochs) instead of a warm start


def _label(recipe_name: str, stage: dict) -> str:
    name = stage.get("name") or stage["recipe"]
    prefix = f"{recipe_name}-"
    return name[len(prefix):] if name.startswith(prefix) and len(name) > len(prefix) else name


def plan(recipe, name: str | None = None, epochs: int | None = None,
         load: Callable | None = None) -> list[Stage]:
    """The stages of ``recipe`` as configs (its own config last), named after ``name`` (the
    model's, default the recipe's). ``epochs`` replaces every stage's epochs; a continuing
    stage then trains that many more. LookupError or ValueError for a bad stage."""
    if load is None:
        from calcapp.arithmetic.recipes import load_recipe as load
    final = safe_model_name(name or recipe.config.name)
    stages = []
    for i, raw in enumerate(recipe.stages, 1):
        if "recipe" in raw:
            other = load(raw["recipe"])
            if other.stages:
                raise ValueError(f"stage {i}: {other.name!r} has stages of its own")
            base = other.config
        else:
            base = recipe.config
        label = _label(recipe.name, raw)
        config = TrainConfig(safe_model_name(f"{final}-{label}"), base.task, base.architecture,
                             {**base.hparams, **raw.get("hparams", {})})
        stages.append(Stage(label, config, bool(raw.get("continue"))))
    stages.append(Stage("", replace(recipe.config, name=final), False))
    if stages[0].resume:
        raise ValueError("the first stage has no stage before it to continue")
    out, before = [], 0
    for i, stage in enumerate(stages, 1):
        hp = dict(stage.config.hparams)
        if epochs is not None:  # (a continuing stage counts on from the epochs before it)
            hp["epochs"] = epochs + (before if stage.resume else 0)
        before = int(hp.get("epochs", 0))
        info = {"recipe": recipe.name, "stage": i, "of": len(stages), "label": stage.label}
        out.append(replace(stage, config=replace(stage.config, hparams=hp, stage=info)))
    return out


def where_to_resume(stages: list[Stage], folder) -> tuple[int, bool]:
    """(index of the stage to run, whether ``folder`` is that stage's unfinished run to
    resume in place) for ``--resume folder``; ValueError when the folder is no stage of
    this curriculum."""
    from calcapp.nets.registry import read_card

    card = read_card(Path(folder))
    info = (card.get("config") or {}).get("stage") or {}
    recipe = stages[-1].config.stage["recipe"]
    if info.get("recipe") != recipe or not 1 <= int(info.get("stage") or 0) <= len(stages):
        raise ValueError(f"{folder} is not a stage of the recipe {recipe!r}")
    k = int(info["stage"]) - 1
    training = card.get("training") or {}
    if training.get("finished") and not training.get("stopped"):
        if k + 1 == len(stages):
            raise ValueError(f"{folder} is the recipe's last stage, and it has finished")
        return k + 1, False
    return k, True


def check_folders(stages: list[Stage], out, first: int = 0, overwrite: bool = False) -> None:
    """Refuse (ModelExistsError) before anything trains when a stage's folder is taken."""
    for stage in stages[first:]:
        check_free(Path(out) / stage.config.name, overwrite)


def run(stages: list[Stage], out, callback=None, control=None, resume_from=None,
        strategy=None, overwrite: bool = False, on_stage: Callable | None = None):
    """Train the stages in order; the last stage's ``TrainResult`` (or the first stopped
    one's: a Stop ends the whole curriculum)."""
    from calcapp.arithmetic.trainer import train

    first, in_place = (0, False) if resume_from is None else where_to_resume(stages, resume_from)
    before = Path(resume_from) if resume_from is not None and not in_place else None
    result = None
    for i in range(first, len(stages)):
        stage = stages[i]
        config, resume = stage.config, None
        if i == first and in_place:
            resume = resume_from
        elif stage.resume and before is not None:
            resume = before
        elif before is not None:
            config = replace(config, hparams={**config.hparams, "init_from": str(before)})
        if on_stage is not None:
            on_stage(stage, Path(out) / config.name)
        result = train(config, out, callback, control, resume_from=resume, strategy=strategy,
                       overwrite=overwrite)
        if result.stopped:
            break
        before = Path(result.model_dir)
    return result

