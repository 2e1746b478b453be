"""What Keras' ``fit`` costs after an epoch's last batch, as the trainer calls it (one epoch
a call, fresh arrays each time): the stall the Training tab's ETA sees between the last
batch and the validation.

    python benchmarks/training_fit_tail.py [--samples 20000] [--epochs 6] [--no-spare]

Per epoch: fit's wall seconds, then the tail (last batch's end to fit's return) in wall ms
and the process's CPU ms in it. ``--no-spare`` patches Keras' epoch iterator (here only,
never in calcapp) so that it does not make an iterator for a next epoch that a one-epoch
``fit`` never runs: what the tail costs without it.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _no_spare() -> None:
    from keras.src.trainers import epoch_iterator as EI

    def enumerate_once(self):
        self.data_adapter.on_epoch_begin()
        self._current_iterator = iter(self._get_iterator())
        for step in range(0, self._num_batches, self.steps_per_execution):
            self._steps_seen += self.steps_per_execution
            yield step, step + self.steps_per_execution - 1, self._current_iterator
        self.data_adapter.on_epoch_end()

    EI.EpochIterator._enumerate_iterator = enumerate_once


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--samples", type=int, default=20000)
    p.add_argument("--epochs", type=int, default=6)
    p.add_argument("--no-spare", action="store_true")
    a = p.parse_args()
    from calcapp.engine.tf_runtime import init_tensorflow

    init_tensorflow()
    import keras

    import calcapp.arithmetic.trainer as T
    from calcapp.expr.tasks import preset

    if a.no_spare:
        _no_spare()
    spec = preset("add3")
    hp = {**T.DEFAULT_HPARAMS, "units": 32, "samples_per_epoch": a.samples, "batch_size": 64,
          "learning_rate": 0.005, "holdout": 0.05}
    model, cfg, _ = T._model_for(T.TrainConfig("tail", spec, "lstm", hp), hp, None)

    class Last(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            float(logs["loss"])  # the step is done
            self.t, self.cpu = time.time(), time.process_time()

    rows = []
    for epoch in range(a.epochs):
        x, y = T._epoch_data(spec, cfg, hp, epoch, None)
        last, t0 = Last(), time.time()
        model.fit(x, y, batch_size=64, epochs=1, verbose=0, shuffle=True, callbacks=[last])
        t1 = time.time()
        rows.append(f"{t1 - t0:.2f}s/{1000 * (t1 - last.t):.0f}ms"
                    f"(cpu {1000 * (time.process_time() - last.cpu):.0f})")
    print(f"{'no spare' if a.no_spare else 'stock'} load {os.getloadavg()[0]:.1f}: " + " ".join(rows))


if __name__ == "__main__":
    main()
