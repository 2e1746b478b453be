"""The end-to-end image-sequence model: its sequences, codes and assembled shape."""

from __future__ import annotations

import numpy as np
import pytest

import importlib.util
import sys
from pathlib import Path

# the seed's experiment lives beside its recipe in training/, not in the app
_SPEC = importlib.util.spec_from_file_location(
    "e2e_sum_model", Path(__file__).resolve().parents[1] / "training" / "e2e_sum_model.py")
E = sys.modules.setdefault("e2e_sum_model", importlib.util.module_from_spec(_SPEC))
_SPEC.loader.exec_module(E)


def test_sum_codes_round_trip():
    for v in (0, 7, 355, 1998):
        probs = np.eye(len(E.OUT_VOCAB))[E.encode_sum(v)][None]
        assert E.decode(probs) == [str(v)]


def test_index_sequences_spell_the_operands():
    rng = np.random.default_rng(0)
    pools = {d: np.array([100 + d]) for d in range(10)}
    pairs = [(294, 61), (0, 5)]
    idx = E.make_index_sequences(pairs, pools, np.array([99]), rng, blank=-1)
    assert idx.shape == (2, E.SEQ_LEN)
    assert list(idx[0]) == [102, 109, 104, 99, 106, 101, -1]
    assert list(idx[1][:3]) == [100, 99, 105] and (idx[1][3:] == -1).all()
    lengths = {len(str(a)) for a, _ in E.sample_texts(300, rng)}
    assert lengths == {1, 2, 3}


def test_assembled_model_reads_image_sequences():
    pytest.importorskip("keras")
    from calcapp.handwriting.cnn import build_model

    from calcapp.ink.synth import LABELS

    trunk = E.trunk_of(build_model(width=4, dense=16))  # reads each image's class probabilities
    assert trunk.output.shape[-1] == len(LABELS)
    model = E.assemble(trunk, E.build_head(len(LABELS), units=8))
    out = model.predict(np.zeros((2, E.SEQ_LEN, 28, 28, 1), np.float32), verbose=0)
    assert out.shape == (2, E.OUT_LEN, len(E.OUT_VOCAB))
    assert len(E.predict_sums(model, np.zeros((3, E.SEQ_LEN, 28, 28), np.float32))) == 3
