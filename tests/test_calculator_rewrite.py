"""The rewriting model: passes until an answer, its confidences, and a tiny training."""

from __future__ import annotations

from calcapp.expr.steps import next_step, steps
from calcapp.expr.tasks import NAN, preset
from calcapp.arithmetic.working import work_out


def _exact_pass(texts):
    outs = [next_step(t) for t in texts]
    return outs, [[0.9] * len(o) for o in outs]


def test_work_out_repeats_passes_until_every_text_is_an_answer():
    texts = ["6--(12+56)+62", "2*3", "5/(3-3)", "9*9*9*9"]
    answers, confs, written = work_out(_exact_pass, texts, max_len=22)
    assert answers == ["136", "6", NAN, "6561"]
    assert written[0] == steps(texts[0])[1:]
    assert [len(c) for c in confs] == [len(a) for a in answers]


def test_a_chain_is_as_sure_as_its_weakest_pass():
    calls = []

    def one_pass(texts):
        calls.append(list(texts))
        outs = [next_step(t) for t in texts]
        sure = 0.6 if len(calls) == 1 else 0.99
        return outs, [[sure] * len(o) for o in outs]

    answers, confs, _ = work_out(one_pass, ["1+2+3"], max_len=22)
    assert answers == ["6"] and confs == [[0.6]]
    assert calls == [["1+2+3"], ["3+3"]]


def test_a_pass_that_writes_nonsense_or_nothing_new_ends_the_row():
    def broken(texts):
        outs = ["1+)" if t.startswith("1") else t for t in texts]
        return outs, [[0.5] * len(o) for o in outs]

    answers, _, written = work_out(broken, ["1+2", "3+4"], max_len=22)
    assert answers == ["1+)", "3+4"]  # shown as written, and so marked wrong
    assert written == [["1+)"], ["3+4"]]


def test_a_tiny_rewriting_model_trains_on_steps_and_answers_through_passes(tmp_path):
    from calcapp.arithmetic.predictor import load_predictor
    from calcapp.nets.registry import load_info
    from calcapp.arithmetic.trainer import TrainConfig, train

    spec = preset("expr").with_(max_digits=1, operators="+", max_operands=3, brackets=False,
                                negatives=False, reverse_output=True, name="tiny-sums")
    hp = {"units": 32, "places": 2, "rewrite": True, "batch_size": 32, "learning_rate": 0.01,
          "samples_per_epoch": 640, "epochs": 2, "val_size": 40, "test_size": 40, "seed": 2}
    result = train(TrainConfig("t-rewrite", spec, "attention", hp), tmp_path)
    card = result.card
    assert card["hparams"]["rewrite"] and card["metrics"]["n"] == 40
    pred = load_predictor(load_info(tmp_path / "t-rewrite"))
    out = pred.predict(["1+2+3", "4+5"])
    for p in out:
        assert 1 <= len(p.steps) <= 8 and p.text == p.steps[-1]
        assert len(p.confidence) == len(p.text)


def test_a_warm_start_into_new_options_begins_as_the_old_model(tmp_path):
    """New inputs start with zero rows and the residual layer with zero output weights, so
    the wider model answers exactly as the one it starts from (training/recipes/expr-wide)."""
    import keras
    import numpy as np

    from calcapp.arithmetic import data as D
    from calcapp.arithmetic.keras_layer import build_model, keras_forward, net_of
    from calcapp.arithmetic.trainer import warm_start

    spec = preset("expr").with_(reverse_output=True)
    base = {"units": 16, "places": 3, "rewrite": True, "pairs": 1, "pair_dim": 8}
    keras.utils.set_random_seed(3)
    old = build_model(D.model_cfg(spec, "attention", base))
    (tmp_path / "old").mkdir()
    old.save(tmp_path / "old" / "model.keras")
    new = build_model(D.model_cfg(spec, "attention", {**base, "wide": 1, "deep": 8, "quotients": 4,
                                                           "long_division": 4}))
    copied = warm_start(new, tmp_path / "old")
    assert "combine/kernel" in copied and "dec0/kernel" in copied
    ids = D.encode_inputs(spec, net_of(old).cfg, ["6--(12+56)+62", "-(13+-89)", "99+-113", "1914/33",
                                                        "4+9801/7"])
    logits = [keras.ops.convert_to_numpy(keras_forward(m, ids, net_of(m).cfg)["logits"])
              for m in (old, new)]
    np.testing.assert_allclose(logits[0], logits[1], atol=1e-5)


def test_each_digit_is_worth_its_place_for_the_operand_comparison():
    from calcapp.arithmetic.model import features
    from calcapp.arithmetic.model.config import NetConfig
    from calcapp.arithmetic import data as D
    from calcapp.nets.numpy_ops import ops
    from calcapp.arithmetic.model.rewriter import _magnitude

    spec = preset("expr").with_(reverse_output=True)
    cfg = D.model_cfg(spec, "attention", {"units": 8, "places": 3, "rewrite": True, "wide": 1})
    ids = D.encode_inputs(spec, cfg, ["1724+-38"])
    enc = {"chars": ops.one_hot(ids, cfg["vin"]), "place": features.place_value(ops, ids, NetConfig.from_dict(cfg))}
    assert _magnitude(ops, enc)[0, :8].tolist() == [1000, 700, 20, 4, 0, 0, 30, 8]


def test_step_weights_give_the_hard_operations_more_of_an_epoch():
    import random

    from calcapp.expr.datagen import iter_examples
    from calcapp.expr.steps import operation
    from calcapp.arithmetic.trainer import _step_pairs

    spec = preset("expr")
    counts = []
    for weights in ({}, {"/": 4}):
        stream = _step_pairs(iter_examples(spec, 1, "train", 0.1), 0.1, weights, random.Random(0))
        got = [operation(ex.model_input, ex.target) for ex, _ in zip(stream, range(3000))]
        counts.append(got.count("/") / len(got))
    assert counts[1] > 2 * counts[0] > 0


def test_step_weights_by_operand_size_give_the_long_operands_more():
    import random

    from calcapp.expr.datagen import iter_examples
    from calcapp.expr.steps import operand_digits, operation
    from calcapp.arithmetic.trainer import _step_pairs

    spec = preset("expr")
    counts = []
    for weights in ({"/": 2}, {"/": 2, "/3": 8, "/4": 8}):
        stream = _step_pairs(iter_examples(spec, 1, "train", 0.1), 0.1, weights, random.Random(0))
        got = [(operation(ex.model_input, ex.target), operand_digits(ex.model_input))
               for ex, _ in zip(stream, range(3000))]
        counts.append(sum(op == "/" and n >= 3 for op, n in got) / len(got))
    assert counts[1] > 2 * counts[0] > 0


def test_long_division_remainders_are_taught_only_where_a_one_digit_divisor_divides():
    """In training the long-division cell's remainders get their own lesson (a loss beside
    the answer's); a batch without a division adds nothing, and a 2-digit divisor (where an
    untrained copy head is not yet sure which numbers are the operands) much less."""
    import keras

    from calcapp.arithmetic import data as D
    from calcapp.arithmetic.keras_layer import build_model

    spec = preset("expr").with_(reverse_output=True)
    cfg = D.model_cfg(spec, "attention", {"units": 16, "places": 3, "rewrite": True, "pairs": 1,
                                          "pair_dim": 8, "wide": 1, "long_division": 4})
    keras.utils.set_random_seed(0)
    model = build_model(cfg)
    lessons = []
    for text, after in (("4+981/7", "4+140"), ("12+3*4", "12+12"), ("4+981/17", "4+57")):
        x = D.encode_inputs(spec, cfg, [text])
        dec, _ = D.encode_targets(spec, cfg, [after], [text])
        model([x, dec])
        lessons.append(sum(float(v) for v in model.losses))
    assert lessons[0] > 0.01 and lessons[1] == 0.0 and lessons[2] < lessons[0] / 3


def test_the_lesson_carries_the_remainders_long_division_writes():
    """9801 / 7: 9 -> 2, 28 -> 0, 0 -> 0, 1 -> 1; digits gathered as 6.99999 count as 7."""
    import numpy as np

    from calcapp.nets.numpy_ops import ops
    from calcapp.arithmetic.model.rewriter import _as_number, carried_remainders

    def soft(d):  # a one-hot digit as a softmax anchor gathers it: slightly short of sure
        row = np.full((1, 10), 1e-6, dtype="float32")
        row[0, d] = 1.0 - 9e-6
        return row

    seven = _as_number(ops, soft(7))
    assert seven.tolist() == [[7.0]]
    got = carried_remainders(ops, seven, [_as_number(ops, soft(d)) for d in (0, 9, 8, 0, 1)])
    assert [float(r[0, 0]) for r in got] == [0.0, 2.0, 0.0, 0.0, 1.0]
    assert [float(r[0, 0]) for r in carried_remainders(ops, np.zeros((1, 1)), [np.full((1, 1), 5.0)])] == [0.0]


def test_the_fast_numpy_routes_give_the_plain_maths_numbers():
    """``rewriter_fast`` (the encoder's cache, projected context, one-row tables, long
    division on dividing rows only) against ``rewriter``'s plain form on the bundled expr
    model: a batch and single rows; every step writes the same character, and the logits
    (up to ~50 in size) agree to float32 rounding of sums taken in another order."""
    import numpy as np

    from calcapp.arithmetic.model import architectures as A
    from calcapp.arithmetic.predictor import load_predictor
    from calcapp.expr.datagen import generate
    from calcapp.nets.numpy_ops import ops
    from calcapp.nets.registry import find_model

    pred = load_predictor(find_model("expr"))
    net = pred.net
    texts = [e.model_input for e in generate(pred.spec, 40, seed=11, split="test")]
    texts += ["9801/7", "-(12+56)*3", "4416/8-9*7"]
    batches = [pred.encode(texts)] + [pred.encode([t]) for t in texts[-6:]]
    for ids in batches:
        plain = A.forward(ops, pred.weights, net, ids)["logits"]
        for attention in (True, False):  # one row without attention takes ``_one_row``
            fast = A.forward(ops, pred.weights, net, ids, cache={}, attention=attention)["logits"]
            steps = min(plain.shape[1], fast.shape[1])
            np.testing.assert_allclose(fast[:, :steps], plain[:, :steps], rtol=1e-5, atol=1e-4)
            assert (fast[:, :steps].argmax(-1) == plain[:, :steps].argmax(-1)).all()
