"""The trainer: a task, an architecture and hyperparameters in; a model folder out.

Why it looks like this:
- Fresh samples every epoch come from ``calcapp.expr.datagen`` (seeded per epoch, so a
  resumed run sees the same data it would have seen); validation and test splits are
  fixed and disjoint from training by construction.
- One epoch at a time, so stop/pause (``RunControl.checkpoint`` between batches),
  per-batch loss events, greedy-decoded validation and best-checkpoint saving all live in
  this plain loop. An epoch is ``nets.epoch_loop.train_epoch``: on one device NumPy
  batches into ``train_on_batch`` (steady epochs); under a ``tf.distribute`` strategy,
  which just wraps model building, Keras' ``fit``, which splits each batch across the
  replicas it was built for and all-reduces the gradients (``calcapp.nets.distribution``
  says how; a test proves it).
- Nothing prints: the CLI and the GUI consume the same ``TrainingCallback`` events.
"""

from __future__ import annotations

import itertools
import os
import platform
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from calcapp.expr import fastgen
from calcapp.expr.datagen import Example, canonical_key, split_of
from calcapp.expr.parser import parse
from calcapp.expr.steps import operand_digits, operation, steps
from calcapp.expr.tasks import TaskSpec, preset
from calcapp.arithmetic.model import architectures as A
from calcapp.arithmetic.model.weights import parameter_count
from calcapp.arithmetic import data as D
from calcapp.arithmetic.evaluation import operator_of, score
from calcapp.arithmetic.warm_start import init_folder, warm_start  # noqa: F401 (init_folder: the CLI's)
from calcapp.nets.epoch_loop import train_epoch, validation_loss, warm_validation
from calcapp.nets.events import (EpochReport, RunControl, Sample, TrainingCallback,
                               TrainResult)
from calcapp.nets.registry import (CARD_NAME, MODEL_NAME, ModelExistsError, load_keras_model,
                                   next_free_name, read_card, safe_model_name,
                                   write_json_atomic, writing_model_folder)

DEFAULT_HPARAMS: dict[str, Any] = {
    "units": 64,
    "layers": 1,
    "batch_size": 128,
    "learning_rate": 1e-3,
    "lr_decay": 1.0,  # learning rate multiplied by this after every epoch
    "clipnorm": 1.0,
    "samples_per_epoch": 20000,
    "epochs": 10,
    "seed": 0,
    "holdout": 0.05,  # share of expression space kept for each of val and test (0: exhaustive)
    "val_size": 2000,
    "test_size": 10000,
    "train_max_digits": None,  # train on shorter operands than the task allows (add-long)
    "eval_digits": [],  # also report test exact match at these operand lengths
    "target_exact": None,  # stop early once validation exact match reaches this
    "max_minutes": None,  # stop early after this much training time
    "operator_weights": None,  # e.g. {"/": 3}: oversample an operator in training (see _weighted)
    "init_from": None,  # warm start from this model folder or model name (see warm_start)
    "rewrite": False,  # one operation per pass (calcapp.arithmetic.model.rewriter); trains on the steps
    "step_weights": None,  # rewrite only: e.g. {"*": 2, "/": 3, "/4": 6}, per step (see _step_pairs)
}


@dataclass
class TrainConfig:
    name: str
    task: TaskSpec
    architecture: str
    hparams: dict[str, Any] = field(default_factory=dict)
    # which stage of a curriculum this is (calcapp.arithmetic.curriculum): recipe, stage, of, label
    stage: dict[str, Any] | None = None

    def hp(self) -> dict[str, Any]:
        return {**DEFAULT_HPARAMS, **self.hparams}

    def to_dict(self) -> dict[str, Any]:
        out = {"name": self.name, "task": self.task.to_dict(),
               "architecture": self.architecture, "hparams": dict(self.hparams)}
        return {**out, "stage": dict(self.stage)} if self.stage else out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TrainConfig":
        task = data["task"]
        spec = preset(task) if isinstance(task, str) else TaskSpec.from_dict(task)
        if isinstance(task, dict) and "preset" in task:
            spec = preset(task["preset"]).with_(**{k: v for k, v in task.items() if k != "preset"})
        return cls(data["name"], spec, data["architecture"], dict(data.get("hparams", {})),
                   data.get("stage") if isinstance(data.get("stage"), dict) else None)


# ----------------------------------------------------------------------------- data
def _epoch_examples(spec: TaskSpec, hp: dict, epoch: int) -> list[Example]:
    n = int(hp["samples_per_epoch"])
    stream = fastgen.stream(spec, f"{hp['seed']}:epoch{epoch}", "train", hp["holdout"],
                            hp["train_max_digits"], max_attempts=60 * n + 2000)
    if hp["operator_weights"]:
        stream = _weighted(stream, hp["operator_weights"], random.Random(f"{hp['seed']}:mix{epoch}"))
    if hp.get("rewrite"):
        stream = _step_pairs(stream, hp["holdout"], hp.get("step_weights") or {},
                             random.Random(f"{hp['seed']}:steps{epoch}"))
    got = list(itertools.islice(stream, n))
    if not got:
        raise ValueError("the task's training split is empty")
    if len(got) < n:  # tiny exhaustive tasks (1-digit addition): repeat the whole set
        rng = random.Random(epoch)
        got = [got[rng.randrange(len(got))] for _ in range(n - len(got))] + got
    return got


def _weighted(stream, weights: dict[str, float], rng: random.Random):
    """Keep each example with probability (its operators' largest weight) / (the largest
    weight): ``{"/": 3}`` trains on three quotients for every sum once the other operators
    are learnt. Validation and test keep the task's own mix."""
    top = max([1.0, *weights.values()])
    for ex in stream:
        w = max(float(weights.get(op, 1.0)) for op in operator_of(ex.text))
        if rng.random() * top < w:
            yield ex


def _step_pairs(stream, holdout: float, weights: dict | None = None, rng=None):
    """A rewriting model learns passes: each training expression gives one example per
    step (``6--68+62`` -> ``74+62``). A step that is itself a validation or test
    expression is left out, so those splits stay unseen. ``weights`` ({"/": 3}) keeps a
    step with probability (its operation's weight) / (the largest weight), like
    ``operator_weights`` but per step: the hard operations get more of the epoch."""
    top = max([1.0, *(weights or {}).values()])
    for ex in stream:
        work = steps(ex.model_input)
        for i, (before, after) in enumerate(zip(work, work[1:])):
            if i and split_of(canonical_key(parse(before)), holdout) != "train":
                continue
            if weights and rng.random() * top >= _step_weight(weights, before, after):
                continue
            yield Example(ex.text, before, after)


def _step_weight(weights: dict, before: str, after: str) -> float:
    """A step's weight: its operation's (``"/"``), or, where given, that of its operation
    with the larger operand's digit count (``"/4"``: 9801/7)."""
    op = operation(before, after)
    w = float(weights.get(op, 1.0))
    if op != "()" and any(k[1:].isdigit() for k in weights):
        w = float(weights.get(f"{op}{operand_digits(before)}", w))
    return w


def _fixed_split(spec: TaskSpec, hp: dict, split: str, n: int, max_digits=None) -> list[Example]:
    """Validation or test examples (``fastgen``: drawn as arrays where the task allows)."""
    if hp["holdout"] <= 0:  # exhaustive: validate and test on everything there is
        return fastgen.sample(spec, n, seed=hp["seed"], split="train", holdout=0,
                              max_digits=max_digits)
    return fastgen.sample(spec, n, seed=hp["seed"], split=split, holdout=hp["holdout"],
                          max_digits=max_digits)


def _epoch_data(spec: TaskSpec, cfg: dict, hp: dict, epoch: int, control):
    """The epoch's arrays, or None when Stop came before or while they were made: no
    ``fit`` is set up for a run that is stopping."""
    if control is not None and control.stopped:
        return None
    data = arrays(spec, cfg, _epoch_examples(spec, hp, epoch))
    return None if control is not None and control.stopped else data


def arrays(spec: TaskSpec, cfg: dict, examples: list[Example]):
    x = D.encode_inputs(spec, cfg, [e.model_input for e in examples])
    dec_in, y = D.encode_targets(spec, cfg, [e.target for e in examples],
                                 [e.model_input for e in examples])
    return ((x, dec_in) if A.teacher_forced(cfg["arch"]) else x), y


# ----------------------------------------------------------------------------- saving
def versions() -> dict[str, str]:
    import keras

    out = {"python": platform.python_version(), "numpy": np.__version__,
           "keras": keras.__version__, "backend": keras.backend.backend()}
    try:
        import tensorflow as tf

        out["tensorflow"] = tf.__version__
    except ImportError:
        pass
    return out


def save_model_folder(model, card: dict, folder: Path, replace: bool = True) -> Path:
    """Write ``model.keras`` + ``card.json`` and swap the folder in atomically
    (``replace=False``: refuse if the folder exists)."""
    with writing_model_folder(folder, replace=replace) as tmp:
        model.save(tmp / MODEL_NAME)
        write_json_atomic(tmp / CARD_NAME, card)
    return Path(folder)


def greedy_texts(model, spec: TaskSpec, model_inputs: list[str], batch: int = 4096):
    """Greedy answers through Keras ops for already model-spelled inputs."""
    from calcapp.arithmetic.keras_layer import keras_forward, net_of

    cfg = D.inference_cfg(spec, net_of(model).cfg)
    texts: list[str] = []
    for s in range(0, len(model_inputs), batch):
        texts += D.answers(spec, cfg, lambda ids: keras_forward(model, ids, cfg)["logits"],
                           model_inputs[s:s + batch])[0]
    return texts


def evaluate_examples(model, spec: TaskSpec, examples: list[Example]) -> dict:
    preds = greedy_texts(model, spec, [e.model_input for e in examples])
    return score([e.text for e in examples], [e.target for e in examples], preds)


# ----------------------------------------------------------------------------- training
def _train_epoch(model, strategy, data, hp: dict, epoch: int, step: int, cb, control):
    """(mean loss, steps so far, stopped) after one epoch, each step reported and a
    checkpoint for stop/pause between steps."""
    count = [step]

    def on_batch(loss: float) -> bool:
        count[0] += 1
        cb.on_batch(epoch + 1, count[0], loss)
        return control is not None and control.checkpoint()

    seed = np.random.default_rng([int(hp["seed"]), epoch])
    loss, stopped = train_epoch(model, *data, int(hp["batch_size"]), seed, on_batch, strategy)
    return loss, count[0], stopped


def _compile(model, hp):
    import keras

    opt = keras.optimizers.Adam(learning_rate=float(hp["learning_rate"]),
                                clipnorm=hp["clipnorm"] or None)
    model.compile(optimizer=opt,
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))


def train(
    config: TrainConfig,
    out_dir,
    callback: TrainingCallback | None = None,
    control: RunControl | None = None,
    resume_from=None,
    strategy=None,
    overwrite: bool = False,
) -> TrainResult:
    """Train ``config``; the best checkpoint is ``out_dir/<name>`` (a loadable model folder),
    replacing an existing folder only with ``overwrite`` or when resuming that very folder
    (ModelExistsError before any work, see ``_target``)."""
    folder, may_replace = _target(config, out_dir, resume_from, overwrite)
    import keras

    cb = callback or TrainingCallback()
    hp = config.hp()
    spec = config.task
    keras.utils.set_random_seed(int(hp["seed"]))
    scope = strategy.scope() if strategy is not None else _nullcontext()

    with scope:
        model, cfg, (start_epoch, step, best, best_epoch, spent) = _model_for(config, hp, resume_from)
    epochs = int(hp["epochs"])
    params = parameter_count(cfg)
    val = _fixed_split(spec, hp, "val", int(hp["val_size"]), hp["train_max_digits"])
    # a rewriting model's loss is over passes: every step of the validation expressions
    val_x, val_y = arrays(spec, cfg, list(_step_pairs(val, 0)) if cfg.get("rewrite") else val)
    _warm_validation(model, spec, val, val_x, val_y, strategy)
    steps_per_epoch = -(-int(hp["samples_per_epoch"]) // int(hp["batch_size"]))
    cb.on_start({"name": config.name, "epochs": epochs, "steps_per_epoch": steps_per_epoch,
                 "parameters": params, "architecture": config.architecture,
                 "task": spec.name, "start_epoch": start_epoch + 1,
                 "may_stop_early": hp["target_exact"] is not None or hp["max_minutes"] is not None})

    def card(metrics: dict, val_metrics: dict, stopped: bool) -> dict:
        return _card(config, params, metrics, val_metrics, {
            "epochs_done": epoch_done, "steps": step, "best_epoch": best_epoch,
            "train_time_s": round(spent, 1), "stopped": stopped})

    stopped, saved, epoch_done = False, False, start_epoch
    rng, t_start = random.Random(hp["seed"]), time.perf_counter()
    for epoch in range(start_epoch, epochs):
        t0 = time.perf_counter()
        data, t_data = _epoch_data(spec, cfg, hp, epoch, control), time.perf_counter()
        if data is None:  # Stop, pressed during the last evaluation or the data making
            stopped = True
            break
        lr = float(hp["learning_rate"]) * float(hp["lr_decay"]) ** epoch
        model.optimizer.learning_rate.assign(lr)
        train_loss, step, stopped = _train_epoch(model, strategy, data, hp, epoch, step, cb, control)
        t_fit = time.perf_counter()
        spent += t_fit - t0
        if stopped or (control is not None and control.stopped):
            stopped = True  # at once: no validation pass, no other epoch
            break
        epoch_done = epoch + 1
        val_loss, vm, samples = _validate(model, spec, val, val_x, val_y, rng, strategy)
        better = vm["exact_match"] > best or not saved
        if better:
            best, best_epoch = vm["exact_match"], epoch + 1
            save_model_folder(model, card({**_brief(vm), "split": "val"}, _brief(vm), stopped),
                              folder, replace=may_replace or saved)
            saved = True
        cb.on_epoch(EpochReport(epoch + 1, epochs, step, train_loss, val_loss,
                                vm["char_accuracy"], vm["exact_match"], samples,
                                time.perf_counter() - t_start, _extra(lr, t0, t_data, t_fit)))
        if stopped:
            break
        if _enough(hp, vm, spent):
            break

    if not saved:  # stopped before the first epoch ended: keep what there is
        save_model_folder(model, card({}, {}, True), folder, replace=may_replace)
    if stopped:
        return _end_stopped(folder, cb, time.perf_counter() - t_start)
    return _end_tested(folder, spec, hp, cb, stopped, t_start)


def _extra(lr: float, t0: float, t_data: float, t_fit: float) -> dict:
    """An epoch report's extras: the rate, and the seconds of the epoch's validation
    (checkpoint included) and data making, which the tab's ETA tells apart from the stalls
    at the end of Keras' ``fit``."""
    return {"learning_rate": lr, "validation_s": time.perf_counter() - t_fit,
            "data_s": t_data - t0}


def same_folder(a, b) -> bool:
    """Whether two paths name one folder: a run resumed in place may replace its own model."""
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return False


def check_free(folder: Path, may_replace: bool = False) -> None:
    """ModelExistsError, naming a free name, when ``folder`` holds something already."""
    folder = Path(folder)
    if may_replace or not os.path.lexists(folder):
        return
    free = next_free_name(folder.name, folder.parent)
    raise ModelExistsError(f"a model named {folder.name!r} already exists in {folder.parent} "
                           f"(a free name: {free!r})")


def _end_stopped(folder: Path, cb: TrainingCallback, wall_s: float) -> TrainResult:
    result = stopped_result(folder, wall_s)
    cb.on_end(result)
    return result


def stopped_result(folder: Path, wall_s: float) -> TrainResult:
    """A stopped run's result: its best checkpoint, the card marked stopped. Stop must end
    a run at once: no test pass (it costs seconds on a big task), so the checkpoint keeps
    its validation metrics, marked ``"split": "val"``. Also what the engine reports when
    it ends a training process that did not stop in time (no TensorFlow needed here)."""
    final = read_card(folder)
    final.setdefault("training", {})["stopped"] = True
    final["training"]["wall_time_s"] = round(wall_s, 1)
    write_json_atomic(folder / CARD_NAME, final)
    return TrainResult(str(folder), True, final["training"].get("best_epoch"),
                       dict(final.get("metrics") or {}), final)


def _target(config: TrainConfig, out_dir, resume_from, overwrite: bool) -> tuple[Path, bool]:
    """(the model folder, whether the run may replace it), refused before TensorFlow loads
    when something else is there: a refusal costs nothing."""
    folder = Path(out_dir) / safe_model_name(config.name)
    may_replace = overwrite or (resume_from is not None and same_folder(resume_from, folder))
    check_free(folder, may_replace)
    return folder, may_replace


def _enough(hp: dict, vm: dict, spent: float) -> bool:
    """Whether the run has reached its goal (``target_exact``) or its time (``max_minutes``)."""
    goal = hp["target_exact"]
    if goal is not None and vm["exact_match"] >= goal:
        return True
    return hp["max_minutes"] is not None and spent > 60 * float(hp["max_minutes"])


def _card(config: TrainConfig, params: int, metrics: dict, val_metrics: dict, training: dict) -> dict:
    """A checkpoint's card: task, architecture, hyperparameters, metrics, training state."""
    hp = config.hp()
    return {
        "name": config.name, "kind": "calculator", "task": config.task.to_dict(),
        "architecture": config.architecture, "hparams": hp, "config": config.to_dict(),
        "data_seed": hp["seed"], "parameters": params,
        "metrics": metrics, "val_metrics": val_metrics, "training": training,
        "versions": versions(),
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def _model_for(config: TrainConfig, hp: dict, resume_from):
    """(model, its cfg, (start epoch, step, best exact match, best epoch, seconds spent)):
    resumed from a checkpoint's card, or built new (warm-started if asked)."""
    import calcapp.arithmetic.keras_layer as L

    if resume_from is None:
        cfg = D.model_cfg(config.task, config.architecture, hp)
        model = L.build_model(cfg)
        if hp["init_from"]:
            warm_start(model, hp["init_from"])
        _compile(model, hp)
        return model, cfg, (0, 0, -1.0, None, 0.0)
    prev = read_card(Path(resume_from))
    model = load_keras_model(Path(resume_from) / MODEL_NAME)
    state = prev.get("training", {})
    best = float((prev.get("val_metrics") or {}).get("exact_match") or -1.0)
    return model, L.net_of(model).cfg, (int(state.get("epochs_done", 0)), int(state.get("steps", 0)), best,
                                        state.get("best_epoch"), float(state.get("train_time_s", 0.0)))


def _warm_validation(model, spec, val, val_x, val_y, strategy=None, batch: int = 1024) -> None:
    """Trace validation before the clock starts (an ETA after epoch 1 would count tracing in
    every epoch): the loss's step (``epoch_loop.warm_validation``) and greedy decoding."""
    warm_validation(model, val_x, val_y, batch, strategy)
    if val:
        greedy_texts(model, spec, [e.model_input for e in val[:2]])


def _validate(model, spec, val, val_x, val_y, rng, strategy=None):
    """(validation loss, metrics, a few sample predictions) after an epoch."""
    val_loss = validation_loss(model, val_x, val_y, strategy=strategy)
    preds = greedy_texts(model, spec, [e.model_input for e in val])
    vm = score([e.text for e in val], [e.target for e in val], preds)
    picks = rng.sample(range(len(val)), min(8, len(val)))  # shown as they were answered
    return val_loss, vm, tuple(Sample(val[i].text, val[i].target, preds[i]) for i in picks)


def _end_tested(folder: Path, spec, hp: dict, cb: TrainingCallback, stopped: bool,
                t_start: float) -> TrainResult:
    """The best checkpoint measured on the test split; its card completed."""
    import keras

    best_model = keras.saving.load_model(folder / MODEL_NAME, safe_mode=True)
    final = read_card(folder)
    test = _fixed_split(spec, hp, "test", int(hp["test_size"]))
    metrics = evaluate_examples(best_model, spec, test)
    metrics = {**_brief(metrics), "by_operator": metrics["by_operator"],
               "by_operand_length": metrics["by_operand_length"],
               "by_answer_length": metrics["by_answer_length"], "errors": metrics["errors"][:10]}
    for digits in hp["eval_digits"] or []:
        sub = _digits_examples(spec, hp, int(digits))
        metrics.setdefault("exact_by_max_digits", {})[str(digits)] = \
            evaluate_examples(best_model, spec, sub)["exact_match"]
    final["metrics"] = metrics
    final["training"]["stopped"] = stopped
    final["training"]["finished"] = True  # (a curriculum's --resume goes on to the next stage)
    final["training"]["wall_time_s"] = round(time.perf_counter() - t_start, 1)
    write_json_atomic(folder / CARD_NAME, final)
    result = TrainResult(str(folder), stopped, final["training"]["best_epoch"], _brief(metrics), final)
    cb.on_end(result)
    return result


def _digits_examples(spec: TaskSpec, hp: dict, digits: int, n: int = 2000) -> list[Example]:
    """Test expressions whose operands all have exactly ``digits`` digits."""
    rng = random.Random(f"{hp['seed']}:digits{digits}")
    out = []
    for _ in range(n):
        a = rng.randint(10 ** (digits - 1), 10 ** digits - 1)
        b = rng.randint(10 ** (digits - 1), 10 ** digits - 1)
        op = rng.choice(spec.operators)
        text = f"{a}{op}{b}"
        out.append(Example(text, spec.model_input(text), spec.target(text)))
    return out


def _brief(metrics: dict) -> dict:
    return {k: metrics.get(k) for k in ("n", "exact_match", "char_accuracy")}


class _nullcontext:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False
