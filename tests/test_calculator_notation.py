"""Notations: what the network writes for an answer, and the answer that writing spells."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from calcapp.expr.tasks import preset
from calcapp.arithmetic import notation as N
from calcapp.arithmetic import data as D

SPEC = preset("arith3").with_(reverse_output=True)
BOTH = {"units": 8, "heads": 2, "align": True, "pairs": 3, "pair_dim": 8, "div_msd": 1, "mul_columns": 1}


def test_columns_are_long_multiplication_with_carries():
    assert N.columns("47", "38") == [56, 58, 17, 1]  # 7*8; 4*8+7*3+5; 4*3+5; 1
    assert N.columns("999", "999") == [81, 170, 260, 188, 99, 9]
    assert N.columns("000", "5") == [0]
    assert N.columns("093", "400") == [0, 0, 12, 37, 3]
    assert N.max_column(3) == 260
    assert len(N.column_tokens(3)) == 251


@given(st.text("0123456789", min_size=1, max_size=3), st.text("0123456789", min_size=1, max_size=3))
def test_column_totals_spell_the_product(a, b):
    cols = N.columns(a, b)
    assert "".join(N.token_char(f"c{v}") for v in reversed(cols)) == str(int(a) * int(b))
    assert cols[-1] < 10  # the top token is a plain digit


def test_written_and_read_for_each_operator():
    cfg = D.model_cfg(SPEC, "attention", BOTH)
    cases = {  # model input -> (target, written tokens)
        "47*38": ("1786", ["c56", "c58", "c17", "1"]),
        "9 83/81": ("12", ["0", "1", "2"]),
        "093/4": ("23", ["0", "2", "3"]),
        "5/0": ("NaN", ["N", "a", "N"]),
        "12+34": ("46", ["6", "4"]),
        "3 0-647": ("-617", ["7", "1", "6", "-"]),
    }
    for text, (target, tokens) in cases.items():
        assert SPEC.target(text) == target
        assert N.written(cfg, target, SPEC.model_input(text), True) == tokens
        chars, _ = N.read(tokens, "/" in text and target != "NaN", True)
        assert "".join(chars) == target


def test_encode_then_decode_round_trips_in_both_notations():
    texts = ["47*38", "999*999", "000*5", "093*400", "093/4", "9 83/81", "0/0", "12*34", "3 0-647", "1 2+9"]
    cfg = D.model_cfg(SPEC, "attention", BOTH)
    inputs = [SPEC.model_input(t) for t in texts]
    targets = [SPEC.target(t) for t in texts]
    _, y = D.encode_targets(SPEC, cfg, targets, inputs)
    logits = np.eye(cfg["vout"])[y] * 20.0
    answers, confs, steps = D.decode_logits(SPEC, cfg, logits, D.encode_inputs(SPEC, cfg, inputs))
    assert answers == targets
    assert [len(c) for c in confs] == [len(t) for t in targets]
    assert steps[0] == ["c56", "c58", "c17", "1"]
    assert steps[5] == ["0", "1", "2"]


def test_notations_need_the_inputs():
    import pytest

    cfg = D.model_cfg(SPEC, "attention", BOTH)
    with pytest.raises(ValueError):
        D.encode_targets(SPEC, cfg, ["12"])
    with pytest.raises(ValueError):
        D.decode_logits(SPEC, cfg, np.zeros((1, cfg["tout"], cfg["vout"])))
    with pytest.raises(ValueError):  # long division is for least-significant-first models
        D.model_cfg(preset("arith3"), "attention", BOTH)


def test_warm_start_keeps_old_tokens_when_the_output_alphabet_grows(tmp_path):
    import keras

    from calcapp.arithmetic.keras_layer import build_model, net_of
    from calcapp.arithmetic.trainer import warm_start

    plain = {k: v for k, v in BOTH.items() if k != "mul_columns"}
    old_cfg = D.model_cfg(SPEC, "attention", plain)
    keras.utils.set_random_seed(2)
    old = build_model(old_cfg)
    folder = tmp_path / "old"
    folder.mkdir()
    old.save(folder / "model.keras")
    new = build_model(D.model_cfg(SPEC, "attention", BOTH))
    copied = warm_start(new, folder)
    before = {k: keras.ops.convert_to_numpy(v) for k, v in net_of(old).weight_dict().items()}
    after = {k: keras.ops.convert_to_numpy(v) for k, v in net_of(new).weight_dict().items()}
    assert sorted(copied) == sorted(after)
    v0, v1 = old_cfg["vout"], net_of(new).cfg["vout"]
    np.testing.assert_array_equal(after["out/kernel"][:, :v0], before["out/kernel"])
    np.testing.assert_array_equal(after["dec0/kernel"][:v0], before["dec0/kernel"][:v0])
    np.testing.assert_array_equal(after["dec0/kernel"][v1:], before["dec0/kernel"][v0:])
    np.testing.assert_array_equal(after["combine/kernel"], before["combine/kernel"])
