"""Answers from a saved model, without TensorFlow on the interactive path.

``load_predictor(info)`` returns a cached ``Predictor`` whose ``predict`` and ``inspect`` run
a NumPy forward pass (``calcapp.arithmetic.model.architectures`` with NumPy ops) over the weights read
from ``model.keras``: no TensorFlow import, and milliseconds per expression.
``keras_predict`` runs the identical math through Keras (batches, GPU); tests prove the
two agree. Big batches go in sorted chunks on two threads (``Predictor._answer_logits``).
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from calcapp.expr.tasks import TaskSpec
from calcapp.arithmetic.model import architectures as A
from calcapp.arithmetic import notation as N
from calcapp.arithmetic.model import numpy_routes as NR
from calcapp.arithmetic import data as D
from calcapp.nets.numpy_ops import ops as np_ops
from calcapp.arithmetic.model.config import NetConfig
from calcapp.arithmetic.model.weights import read_keras_file
from calcapp.nets.numpy_ops import single_thread_blas, softmax
from calcapp.nets.registry import ModelInfo, check_model_file, load_keras_model

BATCH = 512  # rows per NumPy forward pass (chosen by measurement: benchmarks/results/calculator.md)
WORKERS = min(2, os.cpu_count() or 1)  # chunks decoded at once on a big batch


@dataclass(frozen=True)
class Prediction:
    text: str
    confidence: list[float]  # one per output character, in reading order
    steps: tuple[str, ...] = ()  # a rewriting model's working texts, the answer last


@dataclass(frozen=True)
class Inspection:
    input_chars: list[str]  # as the encoder read them (after any reversal), pads dropped
    encoder_states: np.ndarray  # (input steps, units)
    attention: np.ndarray | None  # (output steps, input steps), heads averaged
    output_chars: list[str]  # as the decoder wrote them (before undoing reversal)
    confidence: list[float]  # per output step, same order as output_chars


class Predictor:
    """A loaded calculator model: NumPy weights plus its task and alphabets."""

    def __init__(self, spec: TaskSpec, cfg: dict[str, Any], weights: dict[str, np.ndarray],
                 name: str = "model"):
        self.spec, self.weights, self.name = spec, weights, name
        self.cfg = D.inference_cfg(spec, cfg)  # the saved form, which the data functions read
        self.net = NetConfig.from_dict(self.cfg)  # the same, typed, which the maths reads
        self._cache: dict = {}  # what the NumPy encoder works out once (architectures.encode)

    @classmethod
    def from_folder(cls, info: ModelInfo) -> "Predictor":
        single_thread_blas()
        cfg, weights = read_keras_file(info.keras_path)
        return cls(info.task, cfg, weights, info.name)

    def encode(self, texts: list[str]) -> np.ndarray:
        return D.encode_inputs(self.spec, self.cfg, [self.spec.model_input(t) for t in texts])

    def logits(self, ids: np.ndarray, early_stop: bool = True, attention: bool = True) -> dict[str, Any]:
        """NumPy greedy decoding; stops once every row has written the end marker. The
        encoder reads only up to the longest row, so states and attention may be shorter
        than ``ids``; ``attention=False`` may leave attention out (answers only)."""
        stop = _all_ended if early_stop else None
        return A.forward(np_ops, self.weights, self.net, ids, stop=stop, cache=self._cache,
                         attention=attention)

    def predict(self, texts: list[str]) -> list[Prediction]:
        """Raw user texts (inside the task) -> answers with per-character confidence."""
        return self.predict_spelled([self.spec.model_input(t) for t in texts])

    def predict_spelled(self, inputs: list[str]) -> list[Prediction]:
        """``predict`` for inputs already spelled as the network reads them
        (``TaskSpec.spell`` of a parsed tree): the caller that parsed them parses nothing twice."""
        answers, confs, steps = D.answers(self.spec, self.cfg, self._answer_logits, inputs)
        return [Prediction(a, c, tuple(s)) for a, c, s in zip(answers, confs, steps)]

    def _answer_logits(self, ids: np.ndarray) -> np.ndarray:
        """Logits for every row, BATCH rows at a time, the rows sorted by length first.
        Why: a chunk's encoder reads up to its longest row and its decoder runs until its
        longest answer ends, so rows of like length waste little; and chunking each pass
        (not the texts) keeps a rewriting model's later passes in full batches."""
        if len(ids) <= BATCH:
            return self.logits(ids, attention=False)["logits"]
        order = np.argsort((ids != 0).sum(axis=1), kind="stable")
        chunks = [order[i:i + BATCH] for i in range(0, len(ids), BATCH)]
        with ThreadPoolExecutor(WORKERS) as pool:  # NumPy lets go of the GIL in its loops
            pieces = list(zip(chunks, pool.map(lambda rows: self.logits(ids[rows], attention=False)["logits"],
                                               chunks)))
        steps = max(p.shape[1] for _, p in pieces)
        # a chunk that ended sooner: the rest of its rows is the end marker
        out = NR.end_filled((len(ids), steps, pieces[0][1].shape[2]), A.end_id(self.net))
        for rows, p in pieces:
            out[rows, :p.shape[1]] = p
        return out

    def inspect(self, text: str) -> Inspection:
        """One input's encoder state per step and attention, for the inside-the-model view."""
        ids = self.encode([text])
        res = self.logits(ids)
        n_in = int((ids[0] != 0).sum())
        tokens = self.cfg["in_tokens"]
        probs = softmax(np.asarray(res["logits"][0], dtype=np.float64))
        out_ids = probs.argmax(-1)
        out_tokens = self.cfg["out_tokens"]
        chars, conf = [], []
        for i, p in zip(out_ids, probs.max(-1)):
            tok = out_tokens[int(i)]
            if tok == "</s>":
                break
            if tok in ("<pad>", "<s>"):
                continue
            chars.append(N.token_text(tok))  # a column total shows as its number
            conf.append(float(p))
        att = res["attention"]
        if att is not None:
            att = np.asarray(att[0])[: max(len(chars), 1), :n_in]
        return Inspection(
            input_chars=[tokens[int(i)] for i in ids[0][:n_in]],
            encoder_states=np.asarray(res["states"][0])[:n_in],
            attention=att,
            output_chars=chars,
            confidence=conf,
        )


def _all_ended(prev: np.ndarray) -> np.ndarray:
    return prev <= 2  # pad, start or end ids: nothing more will be written


_CACHE: dict[tuple[str, float, bool], Predictor] = {}
_LOCK = threading.Lock()


def load_predictor(info: ModelInfo) -> Predictor:
    """The Predictor of a model folder, loaded once (reloaded if ``model.keras`` changes);
    a ``columns`` model (the general one) has its own (``calcapp.arithmetic.columns``)."""
    path = check_model_file(Path(info.keras_path))  # BadModelError for a missing or odd file
    # (the task too: one file of digit cells answers real or whole quotients by its card)
    key = (str(path.resolve()), path.stat().st_mtime, info.task.exact_quotients)
    with _LOCK:
        pred = _CACHE.get(key)
        if pred is None:
            if info.architecture == "columns":
                from calcapp.arithmetic.columns.predictor import ColumnsPredictor

                pred = ColumnsPredictor.from_folder(info)
            else:
                pred = Predictor.from_folder(info)
            _CACHE[key] = pred
        return pred


def keras_predict(model_or_info, texts: list[str], spec: TaskSpec | None = None,
                  batch_size: int = 8192) -> list[Prediction]:
    """The same answers through Keras ops (TensorFlow or JAX): for big batches and GPUs.

    Accepts a ``ModelInfo`` (loads ``model.keras`` with ``safe_mode=True``) or a built
    Keras model plus its ``spec``.
    """
    from calcapp.arithmetic.keras_layer import keras_forward, net_of

    if isinstance(model_or_info, ModelInfo):
        import keras

        import calcapp.arithmetic.keras_layer  # noqa: F401  (registers the custom layer)

        spec = model_or_info.task
        model = load_keras_model(model_or_info.keras_path, compile=False)
    else:
        model = model_or_info
    if spec is None:
        raise ValueError("keras_predict needs the task spec with a bare model")
    cfg = D.inference_cfg(spec, net_of(model).cfg)
    out: list[Prediction] = []
    for start in range(0, len(texts), batch_size):
        chunk = [spec.model_input(t) for t in texts[start:start + batch_size]]
        answers, confs, steps = D.answers(spec, cfg, lambda ids: keras_forward(model, ids, cfg)["logits"],
                                          chunk)
        out.extend(Prediction(a, c, tuple(s)) for a, c, s in zip(answers, confs, steps))
    return out


class KerasPredictor:
    """A saved model answering through Keras (``keras_predict``): for big batches on a GPU
    (``calcapp.nets.devices.pick_inference`` decides). Same answers as ``Predictor``."""

    def __init__(self, info: ModelInfo):
        import keras

        import calcapp.arithmetic.keras_layer  # noqa: F401  (registers the custom layer)

        self.spec, self.name = info.task, info.name
        self.model = keras.saving.load_model(info.keras_path, safe_mode=True, compile=False)

    def predict(self, texts: list[str]) -> list[Prediction]:
        return keras_predict(self.model, texts, self.spec)


_KERAS_CACHE: dict[tuple[str, float], KerasPredictor] = {}


def load_keras_predictor(info: ModelInfo) -> KerasPredictor:
    """The KerasPredictor of a model folder, loaded once (reloaded if it changes)."""
    path = Path(info.keras_path)
    key = (str(path.resolve()), path.stat().st_mtime)
    with _LOCK:
        pred = _KERAS_CACHE.get(key)
        if pred is None:
            pred = _KERAS_CACHE[key] = KerasPredictor(info)
        return pred
