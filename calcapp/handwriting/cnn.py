"""The recognizer's Keras side: architecture, training loop, evaluation and saving.

Only training imports Keras. The architecture is kept to layers the NumPy forward pass in
``recognizer.py`` understands (Conv2D, MaxPooling2D, Flatten, Dense, Dropout), so a
saved model serves the app without TensorFlow. The default shape follows Keras'
mnist_convnet, small enough to train on a laptop CPU in minutes; ``convs`` stacks others (the
GPU recipe, ``training/recognizer_gpu.py``, compares such shapes).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from calcapp.ink.synth import LABELS
from calcapp.nets.events import EpochReport, RunControl, TrainingCallback, TrainResult
from calcapp.handwriting.recognizer import member_prefix
from calcapp.nets.registry import (CARD_NAME, MODEL_NAME, without_optimizer, write_json_atomic,
                                 writing_model_folder)


def build_model(n_classes: int = len(LABELS), width: int = 32, dense: int = 128, convs: str = ""):
    """``convs`` lists the 3x3 convolutions' filters and the 2x2 poolings ("32,32,p,64,64,p");
    by default conv``width``-pool-conv``2*width``-pool."""
    import keras
    from keras import layers

    inp = keras.Input((28, 28, 1), name="image")
    x, n_conv, n_pool = inp, 0, 0
    for tok in (convs or f"{width},p,{2 * width},p").split(","):
        if tok == "p":
            n_pool += 1
            x = layers.MaxPooling2D(2, name=f"pool{n_pool}")(x)
        else:
            n_conv += 1
            x = layers.Conv2D(int(tok), 3, activation="relu", name=f"conv{n_conv}")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dropout(0.4, name="drop1")(x)
    x = layers.Dense(dense, activation="relu", name="dense1")(x)
    x = layers.Dropout(0.3, name="drop2")(x)
    out = layers.Dense(n_classes, activation="softmax", name="classes")(x)
    model = keras.Model(inp, out, name="recognizer")
    return model


def confusion(y_true: np.ndarray, y_pred: np.ndarray, n: int = len(LABELS)) -> np.ndarray:
    m = np.zeros((n, n), dtype=np.int64)
    np.add.at(m, (y_true, y_pred), 1)
    return m


def report(y_true, y_pred, top: int = 8) -> dict:
    """Accuracy, per-class accuracy and the main confusions, as a card wants them."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    m = confusion(y_true, y_pred)
    per = {LABELS[i]: round(float(m[i, i] / m[i].sum()), 4) for i in range(len(LABELS)) if m[i].sum()}
    off = [(int(m[i, j]), LABELS[i], LABELS[j]) for i in range(len(LABELS)) for j in range(len(LABELS))
           if i != j and m[i, j]]
    off.sort(reverse=True)
    return {
        "accuracy": round(float((y_true == y_pred).mean()), 4) if len(y_true) else None,
        "n": int(len(y_true)),
        "per_class": per,
        "confusions": [{"true": t, "read": p, "count": c} for c, t, p in off[:top]],
    }


def train(model, x, y, x_val=None, y_val=None, epochs: int = 8, batch_size: int = 128,
          lr: float = 1e-3, callback: TrainingCallback | None = None,
          control: RunControl | None = None, seed: int = 0, name: str = "recognizer",
          augment_fn=None) -> dict:
    """A plain loop over ``train_on_batch`` so that stop/pause and events work between batches.

    Returns ``{"stopped", "best_epoch", "history"}``; the model keeps the best weights
    (by validation accuracy when validation data is given).
    """
    import keras

    callback = callback or TrainingCallback()
    rng = np.random.default_rng(seed)
    model.compile(optimizer=keras.optimizers.Adam(lr), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    steps = max(1, int(np.ceil(len(x) / batch_size)))
    callback.on_start({"name": name, "epochs": epochs, "steps_per_epoch": steps,
                       "parameters": int(model.count_params())})
    best, best_epoch, best_w, history = -1.0, None, None, []
    stopped, step, t0 = False, 0, time.perf_counter()
    for epoch in range(1, epochs + 1):
        if epochs >= 4 and epoch == int(0.7 * epochs) + 1:  # settle: a smaller step for the last epochs
            model.optimizer.learning_rate.assign(lr * 0.2)
        order = rng.permutation(len(x))
        xe = x if augment_fn is None else augment_fn(x, rng)
        losses = []
        for b in range(steps):
            if control is not None and control.checkpoint():
                stopped = True
                break
            idx = order[b * batch_size:(b + 1) * batch_size]
            out = model.train_on_batch(xe[idx][..., None], y[idx], return_dict=True)
            step += 1
            losses.append(float(out["loss"]))
            callback.on_batch(epoch, step, losses[-1])
        if stopped and not losses:
            break
        val_loss = acc = None
        if x_val is not None and len(x_val):
            probs = model.predict(x_val[..., None], batch_size=512, verbose=0)
            acc = float((probs.argmax(1) == y_val).mean())
            val_loss = float(-np.log(np.clip(probs[np.arange(len(y_val)), y_val], 1e-7, 1)).mean())
        score = acc if acc is not None else -float(np.mean(losses))
        if score > best:
            best, best_epoch, best_w = score, epoch, model.get_weights()
        history.append({"epoch": epoch, "loss": float(np.mean(losses)), "val_accuracy": acc})
        callback.on_epoch(EpochReport(epoch, epochs, step, float(np.mean(losses)), val_loss, acc, acc,
                                      elapsed_s=time.perf_counter() - t0))
        if stopped:
            break
    if best_w is not None:
        model.set_weights(best_w)
    return {"stopped": stopped, "best_epoch": best_epoch, "history": history}


WEIGHTS_NAME = "weights.npz"


def build_ensemble(members):
    """One model averaging the probabilities of several recognizers.

    Independently trained networks err partly on different images, so their mean is surer
    where they agree and hedges where they do not (benchmarks/results/handwriting.md has
    the figures: small members gain less, their errors being mostly the same ambiguous
    images). Each member keeps its own weights.
    """
    import keras
    from keras import layers

    inp = keras.Input((28, 28, 1), name="image")
    outs = []
    for k, m in enumerate(members):
        twin = keras.models.clone_model(m, input_tensors=None)
        twin.set_weights(m.get_weights())
        outs.append(keras.Model(twin.inputs[0], twin.outputs[0], name=f"member{k}")(inp))
    return keras.Model(inp, layers.Average(name="mean")(outs), name="recognizer")


def _export_layers(model, arrays: dict, prefix: str) -> list[dict]:
    spec = []
    for layer in model.layers:
        kind = type(layer).__name__
        cfg = layer.get_config()
        if kind == "InputLayer" or kind == "Dropout":
            continue
        i = len(spec)
        if kind == "Conv2D":
            if cfg.get("padding") != "valid" or tuple(cfg.get("strides", (1, 1))) != (1, 1):
                raise ValueError("the NumPy recognizer needs stride-1 'valid' convolutions")
            spec.append({"op": "conv", "activation": cfg["activation"]})
        elif kind == "MaxPooling2D":
            spec.append({"op": "maxpool", "size": int(cfg["pool_size"][0])})
        elif kind == "Flatten":
            spec.append({"op": "flatten"})
        elif kind == "Dense":
            spec.append({"op": "dense", "activation": cfg["activation"]})
        else:
            raise ValueError(f"the NumPy recognizer cannot run a {kind} layer")
        for j, w in enumerate(layer.get_weights()):
            arrays[f"{prefix}{i}_{j}"] = np.asarray(w, dtype=np.float32)
    return spec


def export_numpy(model, path: Path) -> tuple[list[dict], int]:
    """The layers as a plain spec plus their weights in an ``.npz``, for the NumPy forward pass.

    Returns ``(spec, members)``: an ensemble's members share one spec.
    """
    import keras

    members = [m for m in model.layers if isinstance(m, keras.Model)] or [model]
    arrays: dict = {}
    specs = [_export_layers(m, arrays, member_prefix(k)) for k, m in enumerate(members)]
    if any(sp != specs[0] for sp in specs):
        raise ValueError("ensemble members must share one architecture")
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)
    return specs[0], len(members)


def save(model, folder: Path, card: dict) -> Path:
    """Write ``model.keras`` (no optimizer state), the NumPy weights and ``card.json``; swap
    the folder in atomically."""
    with writing_model_folder(folder) as tmp:
        without_optimizer(model).save(tmp / MODEL_NAME)
        card = dict(card)
        card["numpy_layers"], card["numpy_members"] = export_numpy(model, tmp / WEIGHTS_NAME)
        card.setdefault("kind", "recognizer")
        card.setdefault("labels", LABELS)
        card.setdefault("parameters", int(model.count_params()))
        write_json_atomic(tmp / CARD_NAME, card)
    return Path(folder)


def as_result(folder, run: dict, metrics: dict, card: dict) -> TrainResult:
    return TrainResult(str(folder) if folder else None, run["stopped"], run["best_epoch"], metrics, card)
