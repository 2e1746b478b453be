"""The trainer: a task, an architecture and hyperparameters in; a model folder out.

Why it looks like this:
- Fresh samples every epoch come from ``calcapp.expr.datagen`` (seeded per epoch, so a
  resumed run sees the same data it would have seen); validation and test splits are
  fixed and disjoint from training by construction.
- Keras ``fit`` runs one epoch at a time, so stop/pause (``RunControl.checkpoint`` between
  batches), per-batch loss events, greedy-decoded validation and best-checkpoint saving
  all live in this plain loop, and a ``tf.distribute`` strategy just wraps model building:
  Keras' ``fit`` splits each batch across the replicas it was built for and all-reduces
  the gradients (``calcapp.nets.distribution`` says how; a test proves it).
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

from calcapp.expr.datagen import Example, canonical_key, generate, iter_examples, split_of
from calcapp.expr.parser import parse
from calcapp.expr.steps import operand_digits, operation, steps
from calcapp.expr.tasks import TaskSpec, preset
from calcapp.arithmetic.model import architectures as A
from calcapp.arithmetic.model.weights import parameter_count
from calcapp.arithmetic import data as D
from calcapp.arithmetic.evaluation import operator_of, score
from calcapp.nets.distribution import local_batch
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

    def hp(self) -> dict[str, Any]:
        return {**DEFAULT_HPARAMS, **self.hparams}

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "task": self.task.to_dict(),
                "architecture": self.architecture, "hparams": dict(self.hparams)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TrainConfig":
        task = data["task"]
        spec = preset(task) if isinstance(task, str) else TaskSpec.from_dict(task)
        if isinstance(task, dict) and "preset" in task:
            spec = preset(task["preset"]).with_(**{k: v for k, v in task.items() if k != "preset"})
        return cls(data["name"], spec, data["architecture"], dict(data.get("hparams", {})))


# ----------------------------------------------------------------------------- data
def _epoch_examples(spec: TaskSpec, hp: dict, epoch: int) -> list[Example]:
    n = int(hp["samples_per_epoch"])
    stream = iter_examples(spec, f"{hp['seed']}:epoch{epoch}", "train", hp["holdout"],
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
    if hp["holdout"] <= 0:  # exhaustive: validate and test on everything there is
        return generate(spec, n, seed=hp["seed"], split="train", holdout=0, max_digits=max_digits)
    return generate(spec, n, seed=hp["seed"], split=split, holdout=hp["holdout"],
                    max_digits=max_digits)


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
class _Bridge:
    """Keras callback -> our events and cooperative stop/pause."""

    def __new__(cls, *args, **kwargs):
        import keras

        class Bridge(keras.callbacks.Callback):
            def __init__(self, epoch, step, callback, control):
                super().__init__()
                self.epoch, self.step, self.cb, self.control = epoch, step, callback, control
                self.stopped = False

            def on_train_batch_end(self, batch, logs=None):
                self.step += 1
                loss = float((logs or {}).get("loss", float("nan")))
                self.cb.on_batch(self.epoch, self.step, loss)
                if self.control is not None and self.control.checkpoint():
                    self.stopped = True
                    self.model.stop_training = True

        return Bridge(*args, **kwargs)


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
    """Train ``config``; the best checkpoint is ``out_dir/<name>`` (a loadable model folder).

    An existing ``out_dir/<name>`` is never replaced unless ``overwrite`` or the run resumes
    that very folder (ModelExistsError before any work); within the run, the best
    checkpoint replaces the previous one.
    """
    folder = Path(out_dir) / safe_model_name(config.name)
    own = resume_from is not None and _same_folder(resume_from, folder)
    may_replace = overwrite or own
    check_free(folder, may_replace)  # before TensorFlow loads: a refusal costs nothing
    import keras

    import calcapp.arithmetic.keras_layer as L

    cb = callback or TrainingCallback()
    hp = config.hp()
    spec = config.task
    keras.utils.set_random_seed(int(hp["seed"]))
    scope = strategy.scope() if strategy is not None else _nullcontext()

    start_epoch, step, best, best_epoch, spent = 0, 0, -1.0, None, 0.0
    with scope:
        if resume_from is not None:
            prev = read_card(Path(resume_from))
            model = load_keras_model(Path(resume_from) / MODEL_NAME)
            state = prev.get("training", {})
            start_epoch = int(state.get("epochs_done", 0))
            step = int(state.get("steps", 0))
            best = float((prev.get("val_metrics") or {}).get("exact_match") or -1.0)
            best_epoch, spent = state.get("best_epoch"), float(state.get("train_time_s", 0.0))
            cfg = L.net_of(model).cfg
        else:
            cfg = D.model_cfg(spec, config.architecture, hp)
            model = L.build_model(cfg)
            if hp["init_from"]:
                warm_start(model, hp["init_from"])
            _compile(model, hp)
    epochs = int(hp["epochs"])
    params = parameter_count(cfg)
    val = _fixed_split(spec, hp, "val", int(hp["val_size"]), hp["train_max_digits"])
    # a rewriting model's loss is over passes: every step of the validation expressions
    val_x, val_y = arrays(spec, cfg, list(_step_pairs(val, 0)) if cfg.get("rewrite") else val)
    steps_per_epoch = -(-int(hp["samples_per_epoch"]) // int(hp["batch_size"]))
    cb.on_start({"name": config.name, "epochs": epochs, "steps_per_epoch": steps_per_epoch,
                 "parameters": params, "architecture": config.architecture,
                 "task": spec.name, "start_epoch": start_epoch + 1})

    def card(metrics: dict, val_metrics: dict, stopped: bool) -> dict:
        return {
            "name": config.name, "kind": "calculator", "task": spec.to_dict(),
            "architecture": config.architecture, "hparams": hp, "config": config.to_dict(),
            "data_seed": hp["seed"], "parameters": params,
            "metrics": metrics, "val_metrics": val_metrics,
            "training": {"epochs_done": epoch_done, "steps": step, "best_epoch": best_epoch,
                         "train_time_s": round(spent, 1), "stopped": stopped},
            "versions": versions(),
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }

    stopped, saved, epoch_done = False, False, start_epoch
    rng = random.Random(hp["seed"])
    t_start = time.perf_counter()
    for epoch in range(start_epoch, epochs):
        if control is not None and control.stopped:  # pressed during the last evaluation
            stopped = True
            break
        t0 = time.perf_counter()
        lr = float(hp["learning_rate"]) * float(hp["lr_decay"]) ** epoch
        model.optimizer.learning_rate.assign(lr)
        x, y = arrays(spec, cfg, _epoch_examples(spec, hp, epoch))
        x, y, batch = local_batch(strategy, x, y, int(hp["batch_size"]))  # (multi-host JAX)
        bridge = _Bridge(epoch + 1, step, cb, control)
        hist = model.fit(x, y, batch_size=batch, epochs=1, verbose=0,
                         shuffle=True, callbacks=[bridge])
        step = bridge.step
        spent += time.perf_counter() - t0
        if bridge.stopped or (control is not None and control.stopped):
            stopped = True  # at once: no validation pass, no other epoch
            break
        epoch_done = epoch + 1
        train_loss = float(hist.history["loss"][-1]) if hist.history.get("loss") else float("nan")
        val_loss = float(model.evaluate(val_x, val_y, batch_size=1024, verbose=0))
        vm = evaluate_examples(model, spec, val)
        picks = rng.sample(range(len(val)), min(8, len(val)))
        preds = greedy_texts(model, spec, [val[i].model_input for i in picks])
        samples = tuple(Sample(val[i].text, val[i].target, p) for i, p in zip(picks, preds))
        better = vm["exact_match"] > best or not saved
        if better:
            best, best_epoch = vm["exact_match"], epoch + 1
            save_model_folder(model, card({**_brief(vm), "split": "val"}, _brief(vm), stopped),
                              folder, replace=may_replace or saved)
            saved = True
        cb.on_epoch(EpochReport(epoch + 1, epochs, step, train_loss, val_loss,
                                vm["char_accuracy"], vm["exact_match"], samples,
                                time.perf_counter() - t_start, {"learning_rate": lr}))
        if stopped:
            break
        goal = hp["target_exact"]
        if goal is not None and vm["exact_match"] >= goal:
            break
        if hp["max_minutes"] is not None and spent > 60 * float(hp["max_minutes"]):
            break

    if not saved:  # stopped before the first epoch ended: keep what there is
        save_model_folder(model, card({}, {}, True), folder, replace=may_replace)
    if stopped:
        return _end_stopped(folder, cb, time.perf_counter() - t_start)
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
    final["training"]["wall_time_s"] = round(time.perf_counter() - t_start, 1)
    write_json_atomic(folder / CARD_NAME, final)
    result = TrainResult(str(folder), stopped, final["training"]["best_epoch"], _brief(metrics), final)
    cb.on_end(result)
    return result


def _same_folder(a, b) -> bool:
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
    """Stop must end a run at once: no test pass (it costs seconds on a big task), so the
    best checkpoint keeps its validation metrics, marked ``"split": "val"``."""
    final = read_card(folder)
    final["training"]["stopped"] = True
    final["training"]["wall_time_s"] = round(wall_s, 1)
    write_json_atomic(folder / CARD_NAME, final)
    result = TrainResult(str(folder), True, final["training"]["best_epoch"],
                         dict(final.get("metrics") or {}), final)
    cb.on_end(result)
    return result


def init_folder(where) -> Path:
    """Where a warm start (``init_from``) starts: a folder path (absolute, or relative to
    here or to the checkout) or a model's name; a clear LookupError when there is none."""
    from calcapp.nets.registry import find_model

    path = Path(where)
    for candidate in (path, Path(__file__).resolve().parents[2] / path):
        if (candidate / MODEL_NAME).is_file():
            return candidate
    try:
        return Path(find_model(str(where)).path)
    except LookupError:
        raise LookupError(f"this recipe starts from the model {str(where)!r} (init_from), which is "
                          f"not in your models; train that first (calcapp train --recipe {where})") from None


def warm_start(model, folder) -> list[str]:
    """Copy every weight of the model in ``folder`` whose name and shape match; the names
    copied come back. Why: a new notation or feature (same weights, new meaning for a few
    inputs) retrains in minutes from a model that already reads the task, instead of hours.

    An output alphabet that only grew at its end (``mul_columns`` adds column tokens) keeps
    the old tokens' rows and columns, and decoder inputs added after the old ones
    (``divisor_digits``) keep the old rows, as do context features appended after the old
    ones (the rewriter's sign flags). Rows for new inputs start at zero, so the warm model
    begins exactly where the old one was; other new weights start from their initialisation.
    """
    import keras

    from calcapp.arithmetic.keras_layer import net_of
    from calcapp.arithmetic.model.weights import read_keras_file

    old_cfg, old = read_keras_file(init_folder(folder) / MODEL_NAME)
    net = net_of(model)
    v0, v1 = old_cfg["vout"], net.cfg["vout"]
    grown = v1 > v0 and net.cfg["out_tokens"][:v0] == old_cfg["out_tokens"]
    copied = []
    for name, var in net.weight_dict().items():
        if name not in old:
            continue
        w, new = old[name], None
        if tuple(w.shape) == tuple(var.shape):
            new = w
        elif grown and name in ("out/kernel", "out/bias"):
            new = np.array(keras.ops.convert_to_numpy(var))
            new[..., :v0] = w
        elif (name == "dec0/kernel" and w.shape[1] == var.shape[1]
              and var.shape[0] - v1 >= w.shape[0] - v0 and (grown or v0 == v1)):
            # rows: previous token one-hot, then the old inputs, then any new feature rows
            new = np.array(keras.ops.convert_to_numpy(var))
            new[:v0], new[v1:v1 + w.shape[0] - v0] = w[:v0], w[v0:]
            new[v1 + w.shape[0] - v0:] = 0.0
        elif (name == "combine/kernel" and w.shape[1] == var.shape[1]
              and var.shape[0] > w.shape[0]):
            # rows: decoder state, then the context, new context features last (rewriter)
            new = np.zeros(var.shape, dtype="float32")
            new[:w.shape[0]] = w
        if new is not None:
            var.assign(new)
            copied.append(name)
    return copied


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
