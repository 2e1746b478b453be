"""Fakes for the training-GUI tests: a trainer and a predictor that need no TensorFlow.

``fake_train`` has the real ``calcapp.arithmetic.trainer.train`` signature and honours the
``RunControl`` (pause blocks, stop ends early and still writes the best "checkpoint": a
card folder), so the panel's controls are tested through the real ``ModelManager``.
``FakeInsidePredictor`` returns deterministic inspection arrays shaped like the real ones.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from calcapp.nets.events import EpochReport, Sample, TrainResult


def fake_train(config, out_dir, callback=None, control=None, resume_from=None, strategy=None,
               steps_per_epoch=20, delay_s=0.005):
    hp = dict(config.hparams)
    epochs = int(hp.get("epochs", 2))
    callback.on_start({"name": config.name, "epochs": epochs,
                       "steps_per_epoch": steps_per_epoch, "parameters": 77})
    step, best, stopped = 0, None, False
    t0 = time.perf_counter()
    for epoch in range(1, epochs + 1):
        for _ in range(steps_per_epoch):
            if control is not None and control.checkpoint():
                stopped = True
                break
            step += 1
            callback.on_batch(epoch, step, 2.0 / step**0.5)
            time.sleep(delay_s)
        if stopped:
            break
        exact = min(1.0, 0.3 * epoch)
        samples = (Sample("3+4", "7", "7"), Sample("9+9", "18", "17" if exact < 1 else "18"))
        callback.on_epoch(EpochReport(epoch, epochs, step, 1.0 / epoch, 1.1 / epoch,
                                      0.5 + exact / 2, exact, samples,
                                      time.perf_counter() - t0))
        best = epoch
    model_dir = None
    if best is not None:
        folder = Path(out_dir) / config.name  # like train(): <out_dir>/<name>
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "model.keras").write_bytes(b"fake")
        card = {"name": folder.name, "kind": "calculator", "architecture": config.architecture,
                "task": config.task.to_dict(), "metrics": {"exact_match": 0.3 * best},
                "parameters": 77}
        (folder / "card.json").write_text(json.dumps(card))
        model_dir = str(folder)
    result = TrainResult(model_dir, stopped, best, {"exact_match": 0.3 * (best or 0)})
    callback.on_end(result)
    return result


@dataclass
class FakePrediction:
    text: str
    confidence: list


@dataclass
class FakeInspection:
    input_chars: list
    encoder_states: np.ndarray
    attention: np.ndarray | None
    output_chars: list
    confidence: list


class FakeInsidePredictor:
    """Right except where ``a == b`` and a > 5 (so the error map has red cells)."""

    units = 4

    def __init__(self, info):
        self.info = info

    def _answer(self, text: str) -> str:
        target = self.info.task.target(text)
        a, _, b = text.partition("+")
        if a == b and a.isdigit() and int(a) > 5:
            return str(int(target) + 1)
        return target

    def predict(self, texts):
        return [FakePrediction(self._answer(t), [0.9] * len(self._answer(t))) for t in texts]

    def inspect(self, text):
        chars = list(text)
        n = len(chars)
        digits = [int(c) if c.isdigit() else 0 for c in chars]
        total = sum(digits)
        states = np.array([[np.tanh((d + total) / (u + 3.0)) for u in range(self.units)]
                           for d in digits])
        out = list(self._answer(text))
        attention = np.full((len(out), n), 1.0 / n)
        return FakeInspection(chars, states, attention, out, [0.95] * len(out))


def test_fake_train_writes_a_card_folder(tmp_path):
    from types import SimpleNamespace

    from calcapp.expr.tasks import PRESETS
    from calcapp.nets.events import TrainingCallback

    cfg = SimpleNamespace(name="m", task=PRESETS["add1"], architecture="lstm",
                          hparams={"epochs": 1})
    result = fake_train(cfg, tmp_path, TrainingCallback(), delay_s=0)
    assert Path(result.model_dir) == tmp_path / "m"
    assert Path(result.model_dir, "card.json").is_file()
