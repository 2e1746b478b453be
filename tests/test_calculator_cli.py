"""``calcapp train`` and ``calcapp compute`` with calculator models, end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from calcapp.arithmetic.recipes import list_recipes, load_recipe

BUNDLED = {"add1-tiny", "add3", "arith3", "expr", "add-long"}
COMPARE = {"keras-example", "blog-lstm256", "seed-brackets"}


def _run(*args, env=None):
    return subprocess.run([sys.executable, "-m", "calcapp", *args], capture_output=True,
                          text=True, env={**os.environ, **(env or {})})


def test_every_recipe_loads_and_builds_a_valid_config():
    from calcapp.arithmetic.model.weights import parameter_count
    from calcapp.arithmetic.data import model_cfg

    recipes = {r.name: r for r in list_recipes()}
    assert BUNDLED | COMPARE <= set(recipes)
    for r in recipes.values():
        if r.config.architecture == "columns":  # the general model: digit cells, no seq2seq cfg
            continue
        cfg = model_cfg(r.config.task, r.config.architecture, r.config.hp())
        assert parameter_count(cfg) > 0
    tiny = recipes["add1-tiny"].config
    assert parameter_count(model_cfg(tiny.task, tiny.architecture, tiny.hp())) <= 100
    keras_example = recipes["keras-example"].config
    assert keras_example.task.reverse_input and keras_example.hp()["units"] == 128
    assert keras_example.hp()["batch_size"] == 32


def test_unknown_recipe_is_a_usage_error():
    with pytest.raises(LookupError):
        load_recipe("no-such-recipe")
    proc = _run("train", "--recipe", "no-such-recipe")
    assert proc.returncode == 2 and "no recipe named" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_recipe_whose_starting_model_is_missing_is_a_usage_error():
    """The arith3 chain's later stages warm-start from an earlier stage's model by name."""
    proc = _run("train", "--recipe", "arith3-quotients")  # CALCAPP_HOME: an empty temp dir
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "arith3-longdiv" in proc.stderr and "train that first" in proc.stderr


def test_bundled_arith3_is_the_end_of_its_recipe_chain():
    chain, name = [], "arith3"
    while name:
        chain.append(name)
        hp = load_recipe(name).config.hp()
        name = hp.get("init_from") or {"arith3-settle": "arith3-base"}.get(name)
    assert chain == ["arith3", "arith3-quotients", "arith3-longdiv", "arith3-settle", "arith3-base"]


def test_bundled_expr_is_the_end_of_its_recipe_chain():
    chain, name = [], "expr"
    while name:
        chain.append(name)
        name = load_recipe(name).config.hp().get("init_from")
    assert chain == ["expr", "expr-sizes", "expr-quotients", "expr-wide", "expr-rewrite"]
    assert load_recipe("expr").bundled and not any(load_recipe(n).bundled for n in chain[1:])


def test_train_list():
    proc = _run("train", "--list")
    assert proc.returncode == 0
    assert "add3" in proc.stdout and "keras-example" in proc.stdout


def test_compute_uses_a_bundled_model_and_says_when_none_covers():
    # (issue 20: the general model covers what people type, so "none covers" needs a
    # product past its reach)
    huge = "9" * 120 + "*" + "9" * 120
    proc = _run("compute", "--json", "12+34", huge)
    assert proc.returncode == 0, proc.stderr
    first, second = [json.loads(line) for line in proc.stdout.splitlines()]
    assert first["exact"] == "46" and first["neural"] is not None and first["model"]
    assert second["exact"] == str(int("9" * 120) ** 2) and second["neural"] is None


def test_compute_with_an_explicit_model_folder(tmp_path):
    from calcapp.paths import bundled_models_dir

    folder = bundled_models_dir() / "add3"
    if not folder.is_dir():
        pytest.skip("add3 is not bundled in this checkout")
    proc = _run("compute", "--model", str(folder), "--json", "123+456")
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["neural"] == "579"
