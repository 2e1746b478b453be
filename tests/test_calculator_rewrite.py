"""The rewriting model: passes until an answer, its confidences, and a tiny training."""

from __future__ import annotations

from calcapp.core.steps import next_step, steps
from calcapp.core.tasks import NAN, preset
from calcapp.ml.rewriter import work_out


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
    from calcapp.ml.inference import load_predictor
    from calcapp.ml.registry import load_info
    from calcapp.ml.training import TrainConfig, train

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
