"""Columns models of the seed tasks (issue 22): the bundled general cells, driven by the
written procedure with every quotient cut toward zero, answer arith3 and expr as
``task_answer`` defines them; the recipes load; a card's task is what Auto goes by."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from calcapp.arithmetic.answering import answer_many
from calcapp.arithmetic.columns.predictor import ColumnsPredictor
from calcapp.arithmetic.columns.task_metrics import (compared_recipe, fresh_sample, measure,
                                                     recipe_split)
from calcapp.arithmetic.predictor import load_predictor
from calcapp.arithmetic.recipes import load_recipe
from calcapp.arithmetic.trainer import TrainConfig
from calcapp.expr.parser import parse
from calcapp.expr.tasks import preset, task_answer
from calcapp.nets.registry import best_for, find_model, load_info


@pytest.fixture(scope="module")
def general():
    return find_model("general")


@pytest.fixture(scope="module")
def whole(general):
    return ColumnsPredictor(load_predictor(general).tables, "whole", whole_quotients=True)


@pytest.mark.parametrize("text", ["-7/2", "7/-2", "-7/-2", "-3/7", "0/5", "7/0", "1-8/0*3",
                                  "-(3-10)/2", "-99/-(1-98)", "498/1 2", "007/ 02", "99*99/7/3"])
def test_quotients_are_cut_toward_zero_and_nan_on_zero(whole, text):
    assert whole.predict([text])[0].text == task_answer(parse(text))


@pytest.mark.parametrize("task", ["arith3", "expr"])
def test_random_inputs_of_the_task_match_task_answer(whole, task):
    examples = fresh_sample(preset(task), 300, seed="columns-tasks-test")
    assert len(examples) == 300
    got = whole.predict([e.model_input for e in examples])
    wrong = [(e.model_input, e.target, g.text) for e, g in zip(examples, got) if g.text != e.target]
    assert not wrong, wrong[:5]
    assert any("/" in e.model_input for e in examples)


def test_the_general_model_keeps_real_quotients(general):
    assert load_predictor(general).predict(["7/2"])[0].text == "3.5"


def test_the_recipes_load_and_name_their_comparison():
    for name, task in (("arith3-columns", "arith3"), ("expr-columns", "expr")):
        config = load_recipe(name).config
        assert config.architecture == "columns" and config.task.name == task
        assert compared_recipe(config).name == task
    bare = TrainConfig("x", preset("arith3"), "columns", {})
    with pytest.raises(ValueError, match="compare_with"):
        compared_recipe(bare)
    with pytest.raises(ValueError, match="of task expr"):
        compared_recipe(TrainConfig("x", preset("arith3"), "columns", {"compare_with": "expr"}))


def test_the_card_metrics_use_the_seq2seq_recipes_test_split(whole):
    test = recipe_split(load_recipe("arith3"), "test", 50)
    assert [e.model_input for e in test] == \
        [e.model_input for e in recipe_split(load_recipe("arith3"), "test", 60)[:50]]
    metrics = measure(whole, test)
    assert metrics["n"] == 50 and metrics["exact_match"] == 1.0


@pytest.fixture()
def arith3_columns(tmp_path, general):
    """A columns model whose card says arith3 (the general cells, copied: not a new file)."""
    folder = tmp_path / "arith3-columns"
    folder.mkdir()
    shutil.copy(general.keras_path, folder / "model.keras")
    card = {"name": "arith3-columns", "kind": "calculator", "task": preset("arith3").to_dict(),
            "architecture": "columns", "metrics": {"n": 10000, "exact_match": 1.0}}
    (folder / "card.json").write_text(json.dumps(card))
    return load_info(folder)


def test_auto_treats_a_task_card_as_that_task_only(arith3_columns, general):
    assert best_for("7/2", [arith3_columns]) is arith3_columns
    assert best_for("2.5/2", [arith3_columns]) is None
    assert best_for("1+2+3", [arith3_columns]) is None
    assert best_for("7/2", [arith3_columns, general]) is general  # real quotients first
    answers = answer_many(["7/2", "12-345", "7/0", "007/ 02", "2.5/2"], model=arith3_columns)
    assert [a.neural for a in answers[:4]] == ["3", "-333", "NaN", "3"]
    assert all(a.neural == a.target and a.model == "arith3-columns" for a in answers[:4])
    assert answers[0].match is False and answers[0].task_note()  # 3 is not 3.5, and says so
    assert answers[4].neural is None and "outside arith3-columns" in answers[4].outside


def test_a_cut_quotient_has_its_read_map(whole):
    maps = whole.step_maps("-99/-(1-98)").maps
    cut = [m for m in maps if "whole part" in m.step]
    assert len(cut) == 1 and cut[0].kind != "none" and maps[-1].step == "-1"


def _cli(recipe_path, out, *more):
    return subprocess.run([sys.executable, "-m", "calcapp", "train", "--recipe", str(recipe_path),
                           "--out", str(out), *more], capture_output=True, text=True)


def test_the_cli_names_a_columns_run_and_refuses_what_it_cannot_do(tmp_path):
    """--name is the folder a columns run would write, refused when taken (with the way
    out), and --distribute is refused for one-device cells, both before anything trains."""
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "card.json").write_text("{}")
    proc = _cli("arith3-columns", tmp_path, "--name", "mine")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "mine" in proc.stderr and "--overwrite" in proc.stderr
    proc = _cli("arith3-columns", tmp_path, "--distribute", "cpu:2")
    assert proc.returncode == 2 and "one device" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "arith3-columns").exists()
    assert (tmp_path / "mine" / "card.json").read_text() == "{}"  # untouched


def test_one_command_trains_and_measures_a_task_model(tmp_path):
    """Cells trained for one short round (not to 100%): the point is the card."""
    hparams = {"max_rounds": 1, "round_size": 200, "weak_copies": 0, "batch_size": 1024,
               "fresh_size": 200}
    recipe = {"name": "tiny-arith3", "task": {"preset": "arith3"}, "architecture": "columns",
              "goal": {"exact_match": 0.99}, "hparams": hparams}
    path = tmp_path / "tiny-arith3.json"
    path.write_text(json.dumps(recipe))
    proc = _cli(path, tmp_path)  # no compare_with: refused before anything trains
    assert proc.returncode == 2 and "compare_with" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "tiny-arith3").exists()
    path.write_text(json.dumps({**recipe, "hparams": {**hparams, "compare_with": "arith3"}}))
    proc = _cli(path, tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "goal exact_match >= 0.99" in proc.stdout
    card = json.loads((tmp_path / "tiny-arith3" / "card.json").read_text())
    assert card["task"]["name"] == "arith3" and card["architecture"] == "columns"
    assert card["metrics"]["n"] == 10000 and card["metrics"]["fresh"]["n"] == 200
    assert "recipe arith3" in card["metrics"]["test_split"]
