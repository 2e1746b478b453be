"""Small fakes shared by the app's tests: models, predictors and a recognizer that train
nothing and load nothing, so the UI and the manager can be tested before (and without)
the real networks."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from calcapp.expr.tasks import PRESETS
from calcapp.nets.registry import ModelInfo


@dataclass
class FakePrediction:
    text: str
    confidence: list


class FakePredictor:
    """Answers like a perfect model, except for inputs listed in ``wrong``."""

    def __init__(self, info, wrong=None):
        self.info = info
        self.wrong = wrong or {}
        self.calls = 0

    def predict(self, texts):
        self.calls += 1
        out = []
        for text in texts:
            answer = self.wrong.get(text) or self.info.task.target(text)
            out.append(FakePrediction(answer, [0.9] * len(answer)))
        return out

    def inspect(self, text):
        return {"input_chars": list(text)}


def fake_model(tmp: Path, name="add3-fake", preset="add3", accuracy=0.99) -> ModelInfo:
    folder = Path(tmp) / name
    folder.mkdir(parents=True, exist_ok=True)
    card = {"name": name, "kind": "calculator", "architecture": "lstm",
            "task": PRESETS[preset].to_dict(), "metrics": {"exact_match": accuracy},
            "goal": {"exact_match": 0.5}}  # Auto picks only a model that met its goal
    return ModelInfo(name, folder, card, "user")


@dataclass
class FakeSymbol:
    label: str
    confidence: float
    alternatives: list
    box: tuple
    stroke_ids: list = field(default_factory=list)


@dataclass
class FakeReading:
    expression: str
    symbols: list


class FakeRecognizer:
    """Reads each stroke as one symbol: a mostly vertical stroke is '1', a flat one '-',
    anything else '+' (enough to check that ink flows through the app)."""

    def read_strokes(self, strokes):
        symbols = []
        for i, stroke in enumerate(strokes):
            xs = [p.x for p in stroke.points]
            ys = [p.y for p in stroke.points]
            w, h = max(xs) - min(xs), max(ys) - min(ys)
            label = "1" if h > 2 * w else "-" if w > 2 * h else "+"
            alts = [(label, 0.8), ("7", 0.15), ("4", 0.05)]
            symbols.append(FakeSymbol(label, 0.8, alts, (min(xs), min(ys), w, h), [i]))
        symbols.sort(key=lambda s: s.box[0])
        return FakeReading("".join(s.label for s in symbols), symbols)


class FakeTrainer:
    """A 'training' of ``epochs`` x ``steps`` batches that honours RunControl."""

    def __init__(self, epochs=3, steps=5, fail=False, delay=0.0):
        self.epochs, self.steps, self.fail, self.delay = epochs, steps, fail, delay
        self.gate = threading.Event()  # set it to let batches run
        self.gate.set()

    def __call__(self, config, out_dir, callback=None, control=None, resume_from=None):
        from calcapp.nets.events import EpochReport, TrainResult

        callback.on_start({"name": config.name, "epochs": self.epochs,
                           "steps_per_epoch": self.steps, "parameters": 10})
        if self.fail:
            raise ValueError("the data set is empty")
        step = 0
        stopped = False
        best = None
        for epoch in range(1, self.epochs + 1):
            for _ in range(self.steps):
                self.gate.wait(5)
                time.sleep(self.delay)
                if control.checkpoint(0.01):
                    stopped = True
                    break
                step += 1
                callback.on_batch(epoch, step, 1.0 / step)
            if stopped:
                break
            best = epoch
            callback.on_epoch(EpochReport(epoch, self.epochs, step, 1.0 / step, None, None, None))
        result = TrainResult(out_dir, stopped, best, {"exact_match": 0.5})
        callback.on_end(result)
        return result
