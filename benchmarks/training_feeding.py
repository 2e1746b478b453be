"""How steady an epoch is, by how the trainer feeds the model (the ETA's fourth round).

    python benchmarks/training_feeding.py fit|dataset|slices [--samples 20000] [--epochs 8]

One process per way (run them one after another, on a quiet machine): add3, LSTM 32,
batch 64, fresh data each epoch as the trainer makes it. ``fit``: Keras' ``fit`` on the
arrays, one call an epoch (the trainer before the fourth round); ``dataset``: ``fit`` on
our own tf.data pipeline with autotune and its private threads off; ``slices``: NumPy
slices into ``train_on_batch`` (``calcapp.nets.epoch_loop``, the trainer now). Prints each
epoch's wall/CPU seconds; the spread of epochs 2-N is what an ETA has to live with.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _dataset(x, y, batch: int, seed: int):
    import tensorflow as tf

    options = tf.data.Options()
    options.autotune.enabled = False
    options.threading.private_threadpool_size = 1
    options.experimental_optimization.apply_default_optimizations = False
    data = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(len(y), seed=seed).batch(batch)
    return data.with_options(options)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("way", choices=("fit", "dataset", "slices"))
    p.add_argument("--samples", type=int, default=20000)
    p.add_argument("--epochs", type=int, default=8)
    a = p.parse_args()
    from calcapp.engine.tf_runtime import init_tensorflow

    init_tensorflow()
    import keras
    import numpy as np

    import calcapp.arithmetic.trainer as T
    from calcapp.expr.tasks import preset
    from calcapp.nets.epoch_loop import train_epoch

    spec = preset("add3")
    hp = {**T.DEFAULT_HPARAMS, "units": 32, "samples_per_epoch": a.samples, "batch_size": 64,
          "learning_rate": 0.005, "holdout": 0.05}
    keras.utils.set_random_seed(0)
    model, cfg, _ = T._model_for(T.TrainConfig("feeding", spec, "lstm", hp), hp, None)
    rows = []
    for epoch in range(a.epochs):
        x, y = T._epoch_data(spec, cfg, hp, epoch, None)
        t0, c0 = time.time(), time.process_time()
        if a.way == "fit":
            model.fit(x, y, batch_size=64, epochs=1, verbose=0, shuffle=True)
        elif a.way == "dataset":
            model.fit(_dataset(x, y, 64, epoch), epochs=1, verbose=0)
        else:
            train_epoch(model, x, y, 64, np.random.default_rng(epoch), lambda loss: False)
        rows.append((time.time() - t0, time.process_time() - c0))
    later = [w for w, _ in rows[1:]]
    print(f"{a.way} load {os.getloadavg()[0]:.1f}: "
          + " ".join(f"{w:.2f}/{c:.2f}" for w, c in rows)
          + f"  epochs 2-{a.epochs} max/min {max(later) / min(later):.2f}")


if __name__ == "__main__":
    main()
