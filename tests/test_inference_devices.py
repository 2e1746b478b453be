"""Big batches go to Keras on a GPU, single expressions stay on NumPy; the answer says
which device answered. GPU detection is mocked: there is no GPU here."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from calcapp.nets import devices
from calcapp.nets.devices import KERAS_MIN_ROWS, pick_inference


def _never():
    raise AssertionError("a small batch must not look for a GPU")


def test_pick_by_batch_size_and_device(monkeypatch):
    monkeypatch.delenv("CALCAPP_INFERENCE", raising=False)
    assert pick_inference(1, gpu=_never) == "numpy"
    assert pick_inference(KERAS_MIN_ROWS - 1, gpu=_never) == "numpy"
    assert pick_inference(KERAS_MIN_ROWS, gpu=lambda: True) == "keras-gpu"
    assert pick_inference(KERAS_MIN_ROWS, gpu=lambda: False) == "numpy"


def test_forcing_either_engine(monkeypatch):
    monkeypatch.setenv("CALCAPP_INFERENCE", "numpy")
    assert pick_inference(10**6, gpu=_never) == "numpy"
    monkeypatch.setenv("CALCAPP_INFERENCE", "keras")
    assert pick_inference(1, gpu=lambda: False) == "keras-cpu"
    assert pick_inference(1, gpu=lambda: True) == "keras-gpu"
    monkeypatch.setenv("CALCAPP_INFERENCE", "cuda")
    with pytest.raises(ValueError, match="numpy or keras"):
        pick_inference(1)


def test_gpu_detection_is_cheap_and_safe(monkeypatch):
    monkeypatch.setattr(devices, "_gpu", None)
    monkeypatch.setattr(devices, "_device_nodes", lambda: False)
    monkeypatch.setitem(sys.modules, "keras", None)  # any import of it would fail
    assert devices.backend_sees_gpu() is False  # decided without importing the backend
    monkeypatch.setattr(devices, "_gpu", None)
    monkeypatch.setattr(devices, "_device_nodes", lambda: True)
    assert devices.backend_sees_gpu() is False  # a broken backend: NumPy answers


def test_a_big_batch_on_a_gpu_answers_through_keras(monkeypatch):
    """With the GPU mocked the Keras path answers (on this CPU) what NumPy answers."""
    from calcapp.arithmetic import answering
    from calcapp.nets.registry import find_model

    model = find_model("add3")
    texts = [f"{a}+{b}" for a in range(0, 999, 37) for b in range(0, 999, 91)]
    numpy_answers = answering.answer_many(texts, model=model)
    assert {a.device for a in numpy_answers} == {"numpy"}
    monkeypatch.setattr(devices, "KERAS_MIN_ROWS", 100)
    monkeypatch.setattr(devices, "backend_sees_gpu", lambda: True)
    monkeypatch.setattr(answering, "pick_inference",
                        lambda rows: devices.pick_inference(rows, gpu=lambda: True))
    keras_answers = answering.answer_many(texts, model=model)
    assert {a.device for a in keras_answers} == {"keras-gpu"}
    assert [a.neural for a in keras_answers] == [a.neural for a in numpy_answers]
    assert keras_answers[0].to_json()["device"] == "keras-gpu"


def test_compute_json_says_which_device_answered():
    env = {**os.environ, "CALCAPP_INFERENCE": ""}
    proc = subprocess.run([sys.executable, "-m", "calcapp", "compute", "--json", "12+34"],
                          capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["device"] == "numpy"
    env["CALCAPP_INFERENCE"] = "gpu"
    proc = subprocess.run([sys.executable, "-m", "calcapp", "compute", "1+2"],
                          capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 2 and "CALCAPP_INFERENCE must be numpy or keras" in proc.stderr
