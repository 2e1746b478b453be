"""The NumPy and Keras inference paths agree, for every architecture, on saved models."""

from __future__ import annotations

import numpy as np
import pytest

from calcapp.expr.datagen import generate
from calcapp.expr.tasks import preset
from calcapp.arithmetic.model import architectures as A
from calcapp.arithmetic.model import attention, encoder, features
from calcapp.arithmetic.model.config import NetConfig
from calcapp.arithmetic.model import weights as W_
from calcapp.arithmetic import data as D
from calcapp.nets.numpy_ops import ops as np_ops

CASES = [
    ("tiny-rnn", "add1", {"units": 1, "dec_units": 3, "end_marker": False}),
    ("lstm", "add3", {"units": 16, "layers": 2}),
    ("bilstm", "add3", {"units": 16}),
    ("attention", "arith3", {"units": 16, "heads": 2}),
    ("attention", "add3", {"units": 16, "heads": 2, "places": 4}),
    ("attention", "add-long", {"units": 16, "heads": 1, "align": True}),
    ("attention", "add-long", {"units": 16, "heads": 1, "align": True, "char_values": True}),
    ("attention", "add-long", {"units": 16, "heads": 2, "align": True, "char_values": True,
                               "length_free": True, "train_max_digits": 3, "mask_pad": True}),
    ("attention", "add-long", {"units": 16, "heads": 2, "align": True, "char_values": True,
                               "length_free": True, "train_max_digits": 3, "stateless": True}),
    ("attention", "arith3", {"units": 16, "heads": 2, "align": True, "pairs": 3, "pair_dim": 8}),
    ("attention", "arith3", {"units": 16, "heads": 2, "align": True, "pairs": 3, "pair_dim": 8,
                             "div_msd": 1, "mul_columns": 1, "divisor_digits": 3}),
    ("transformer", "expr", {"units": 16, "layers": 1, "heads": 2}),
    ("attention", "expr", {"units": 16, "places": 3, "rewrite": True}),
    ("attention", "expr", {"units": 16, "places": 3, "rewrite": True, "pairs": 1, "pair_dim": 8}),
    ("attention", "expr", {"units": 16, "places": 3, "rewrite": True, "pairs": 1, "pair_dim": 8,
                           "wide": 1, "deep": 8, "quotients": 4, "long_division": 4}),
]


def _save(tmp_path, arch, task, hp):
    import keras

    from calcapp.arithmetic.keras_layer import build_model
    from calcapp.nets.registry import load_info, write_json_atomic

    spec = preset(task).with_(reverse_output=arch == "attention")
    cfg = D.model_cfg(spec, arch, hp)
    keras.utils.set_random_seed(1)
    model = build_model(cfg)
    folder = tmp_path / arch
    folder.mkdir()
    model.save(folder / "model.keras")
    write_json_atomic(folder / "card.json", {"name": arch, "kind": "calculator",
                                             "task": spec.to_dict(), "architecture": arch})
    return load_info(folder), model, spec, cfg


@pytest.mark.parametrize("arch,task,hp", CASES)
def test_numpy_and_keras_agree(tmp_path, arch, task, hp):
    from calcapp.arithmetic.predictor import keras_predict, load_predictor
    from calcapp.arithmetic.keras_layer import keras_forward

    info, model, spec, cfg = _save(tmp_path, arch, task, hp)
    texts = [e.text for e in generate(spec, 40, seed=3)]
    pred = load_predictor(info)
    assert pred is load_predictor(info)  # cached per folder
    ids = pred.encode(texts)
    np_out = pred.logits(ids, early_stop=False)
    k_out = keras_forward(model, ids, pred.cfg)
    np.testing.assert_allclose(np_out["logits"], k_out["logits"], atol=1e-4)
    # the NumPy encoder stops at the longest row (architectures._cut): up to there, the same
    n = np_out["states"].shape[1]
    assert n == max(len(spec.model_input(t)) for t in texts) or n == ids.shape[1]
    np.testing.assert_allclose(np_out["states"], k_out["states"][:, :n], atol=1e-5)
    if A.teacher_forced(arch):
        np.testing.assert_allclose(np_out["attention"], k_out["attention"][..., :n], atol=1e-5)
        np.testing.assert_allclose(np.asarray(k_out["attention"])[..., n:], 0.0, atol=1e-6)
    for i in range(0, len(texts), 8):  # one expression alone: the routes a few rows take
        one = pred.logits(ids[i:i + 1], early_stop=False, attention=False)["logits"]
        np.testing.assert_allclose(one, np.asarray(k_out["logits"])[i:i + 1], atol=1e-4)
    full = A.forward(np_ops, pred.weights, pred.cfg, ids)  # no cache: nothing cut or fused
    np.testing.assert_allclose(full["logits"], k_out["logits"], atol=1e-4)
    np.testing.assert_allclose(full["states"], k_out["states"], atol=1e-5)
    a = pred.predict(texts)
    b = keras_predict(info, texts)
    assert [p.text for p in a] == [p.text for p in b]
    for p in a:
        assert len(p.confidence) == len(p.text)
        assert all(0.0 < c <= 1.0 for c in p.confidence)


@pytest.mark.parametrize("arch,task,hp", CASES)
def test_inspect_shapes(tmp_path, arch, task, hp):
    from calcapp.arithmetic.predictor import load_predictor

    info, _, spec, cfg = _save(tmp_path, arch, task, hp)
    text = generate(spec, 1, seed=5)[0].text
    ins = load_predictor(info).inspect(text)
    n_in = len(spec.model_input(text))
    assert len(ins.input_chars) == n_in
    assert ins.encoder_states.shape == (n_in, cfg["units"])
    assert len(ins.output_chars) <= pred_tout(info)
    if A.teacher_forced(arch):
        assert ins.attention.shape[1] == n_in
        np.testing.assert_allclose(ins.attention.sum(-1), 1.0, atol=1e-5)
    else:
        assert ins.attention is None
    assert len(ins.confidence) == len(ins.output_chars)


def test_tiny_rnn_fits_in_100_parameters():
    cfg = D.model_cfg(preset("add1"), "tiny-rnn", {"units": 1, "dec_units": 3, "end_marker": False})
    assert W_.parameter_count(cfg) <= 100


def pred_tout(info):
    from calcapp.arithmetic.predictor import load_predictor

    return load_predictor(info).cfg["tout"]


def test_length_free_model_runs_longer_than_it_was_built(tmp_path):
    from calcapp.arithmetic.predictor import load_predictor

    hp = {"units": 16, "heads": 2, "align": True, "char_values": True, "length_free": True,
          "train_max_digits": 3}
    info, model, spec, cfg = _save(tmp_path, "attention", "add-long", hp)
    assert cfg["tin"] == 7 and model.inputs[0].shape[1] == 7
    pred = load_predictor(info)
    assert pred.cfg["tin"] == spec.max_input_len == 21
    assert len(pred.predict(["1234567890+9876543210"])) == 1


def test_masked_encoder_ignores_padding(tmp_path):
    from calcapp.arithmetic.predictor import Predictor
    from calcapp.arithmetic.model.weights import read_keras_file

    info, _, spec, cfg = _save(tmp_path, "attention", "add3",
                               {"units": 16, "heads": 2, "align": True, "mask_pad": True})
    cfg, weights = read_keras_file(info.keras_path)
    short = Predictor(spec, cfg, weights)
    longer = Predictor(spec, {**cfg, "tin": cfg["tin"] + 9}, weights)
    texts = ["12+345", "7+8", "999+1"]
    a, b = short.logits(short.encode(texts), False), longer.logits(longer.encode(texts), False)
    np.testing.assert_allclose(a["logits"], b["logits"], atol=1e-5)


def test_pair_column_sums_the_digit_pairs_of_each_place():
    """Column t of 'ab×cd' sees exactly the pairs whose places add up to t."""
    import numpy as np

    from calcapp.expr.tasks import preset
    from calcapp.nets.numpy_ops import ops

    spec = preset("arith3").with_(reverse_output=True)
    cfg = D.model_cfg(spec, "attention", {"units": 8, "heads": 2, "align": True, "pairs": 3, "pair_dim": 100})
    ids = D.encode_inputs(spec, cfg, [spec.model_input("47*306")])
    enc = encoder.encode(ops, {k: np.zeros(s, np.float32) for k, s, _ in W_.weight_specs(cfg)}, cfg, ids)
    W = {"pairs/embed/kernel": np.eye(100, dtype=np.float32), "pairs/embed/bias": np.zeros(100, np.float32)}

    def cells(t):  # which (a digit, b digit) cells column t lights up
        col = attention.pair_column(ops, W, NetConfig.from_dict(cfg), enc, t)[0].reshape(10, 10)
        return sorted((int(i), int(j)) for i, j in zip(*np.nonzero(col)))

    # a = 47 (places: 7, 4), b = 306 (places: 6, 0, 3)
    assert cells(0) == [(7, 6)]
    assert cells(1) == sorted([(7, 0), (4, 6)])
    assert cells(2) == sorted([(7, 3), (4, 0)])
    assert cells(3) == [(4, 3)]
    assert cells(4) == []


def test_spaces_inside_a_number_keep_its_places():
    """'3 0' is thirty in the spaced task: the 3 is the tens digit, not a second units digit."""
    from calcapp.nets.numpy_ops import ops

    spec = preset("arith3").with_(reverse_output=True)
    cfg = D.model_cfg(spec, "attention", {"units": 8, "heads": 2, "align": True})
    ids = D.encode_inputs(spec, cfg, ["3 0-6 4", " 62/4 4", "30-647"])
    place = features.place_value(ops, ids, NetConfig.from_dict(cfg))
    assert place[0].tolist() == [1, -1, 0, -1, 1, -1, 0]
    assert place[1].tolist() == [-1, 1, 0, -1, 1, -1, 0]
    assert place[2].tolist()[:6] == [1, 0, -1, 2, 1, 0]


def test_long_division_rows_align_with_the_dividend_from_its_top_digit():
    """A quotient row's step t looks at place len(a)-1-t of the dividend (long division);
    other rows keep place t."""
    from calcapp.nets.numpy_ops import ops

    spec = preset("arith3").with_(reverse_output=True)
    cfg = D.model_cfg(spec, "attention", {"units": 8, "heads": 2, "align": True, "div_msd": 1})
    ids = D.encode_inputs(spec, cfg, ["0 93/4", "12*34"])
    enc = encoder.encode(ops, {k: np.zeros(s, np.float32) for k, s, _ in W_.weight_specs(cfg)}, cfg, ids)
    assert enc["div"].ravel().tolist() == [1.0, 0.0]
    assert enc["len_a"].ravel().tolist() == [3.0, 2.0]


def test_divisor_register_holds_the_divisor_by_place_on_quotient_rows_only():
    from calcapp.nets.numpy_ops import ops

    spec = preset("arith3").with_(reverse_output=True)
    cfg = D.model_cfg(spec, "attention", {"units": 8, "heads": 2, "align": True, "div_msd": 1,
                                          "divisor_digits": 3})
    ids = D.encode_inputs(spec, cfg, ["983/8 1", "12*34"])
    enc = encoder.encode(ops, {k: np.zeros(s, np.float32) for k, s, _ in W_.weight_specs(cfg)}, cfg, ids)
    reg = attention.divisor_register(ops, NetConfig.from_dict(cfg), enc).reshape(2, 3, 10)
    assert [int(np.argmax(d)) for d in reg[0][:2]] == [1, 8]  # 81: units 1, tens 8
    assert reg[0][2].sum() == 0  # no hundreds digit
    assert reg[1].sum() == 0  # a product row sees nothing


@pytest.mark.parametrize("hp", [CASES[-1][2], {"units": 16, "heads": 2, "places": 4}])
def test_dropping_ended_rows_and_chunking_change_no_answer(tmp_path, monkeypatch, hp):
    """Decoding drops rows that wrote their end marker, and big batches go in sorted
    chunks on two threads: the answers are those of one plain full-length pass."""
    from calcapp.arithmetic import predictor

    task = "expr" if hp.get("rewrite") else "add3"
    info, _, spec, cfg = _save(tmp_path, "attention", task, hp)
    pred = predictor.load_predictor(info)
    texts = [e.text for e in generate(spec, 60, seed=4)]
    ids = pred.encode(texts)
    short, full = pred.logits(ids), pred.logits(ids, early_stop=False)
    assert D.decode_logits(spec, pred.cfg, short["logits"], ids)[0] == \
        D.decode_logits(spec, pred.cfg, full["logits"], ids)[0]
    whole = pred.predict(texts)
    monkeypatch.setattr(predictor, "BATCH", 7)
    chunked = pred.predict(texts)
    assert [p.text for p in chunked] == [p.text for p in whole]
    assert [p.steps for p in chunked] == [p.steps for p in whole]
    for a, b in zip(chunked, whole):
        np.testing.assert_allclose(a.confidence, b.confidence, atol=1e-4)
