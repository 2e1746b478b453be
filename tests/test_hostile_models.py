"""Issue 19: model names never escape their folder, training never replaces a model it did
not create, and broken model folders get a one-line message with exit status 2."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from calcapp.cli import main
from calcapp.nets.registry import (BadModelError, ModelExistsError, load_info, next_free_name,
                                   safe_model_name, writing_model_folder)
from calcapp.paths import bundled_models_dir

TINY = {"name": "tiny", "task": {"preset": "add1"}, "architecture": "tiny-rnn",
        "hparams": {"units": 4, "epochs": 1, "samples_per_epoch": 64, "batch_size": 32,
                    "val_size": 20, "test_size": 20, "seed": 0}}


def _recipe(tmp_path, **changes) -> str:
    path = tmp_path / "recipe.json"
    path.write_text(json.dumps({**TINY, **changes}), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("name", ["add3", "add1-attention-2", "my_model.v2", "A" * 64])
def test_plain_names_pass(name):
    assert safe_model_name(name) == name


@pytest.mark.parametrize("name", ["", ".", "..", "../victim", "/abs/path", "a/b", "a\\b",
                                  ".hidden", "-x", "a b", "a\x00b", "A" * 65, None, 3])
def test_names_that_would_be_paths_are_refused(name):
    with pytest.raises(ValueError):
        safe_model_name(name)


def test_next_free_name_never_lands_on_an_existing_folder(tmp_path):
    assert next_free_name("add1-attention", tmp_path) == "add1-attention"
    (tmp_path / "add1-attention").mkdir()
    (tmp_path / "add1-attention-2").mkdir()
    assert next_free_name("add1-attention", tmp_path) == "add1-attention-3"


@pytest.mark.parametrize("bad", ["../victim", "/tmp/calcapp-victim-abs"])
def test_a_recipe_model_name_cannot_escape_out(tmp_path, capsys, bad):
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("mine")
    code = main(["train", "--recipe", _recipe(tmp_path, model_name=bad), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and "not a plain name" in err and "internal error" not in err
    assert (victim / "keep.txt").read_text() == "mine"
    assert not Path("/tmp/calcapp-victim-abs").exists()


def test_train_refuses_an_existing_model_and_names_a_free_one(tmp_path, capsys):
    out = tmp_path / "models"
    (out / "tiny").mkdir(parents=True)
    (out / "tiny" / "card.json").write_text("{}")
    (out / "tiny" / "notes.txt").write_text("mine")
    code = main(["train", "--recipe", _recipe(tmp_path), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and "already exists" in err and "--overwrite" in err and "tiny-2" in err
    assert (out / "tiny" / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in out.iterdir()) == ["tiny"]
    code = main(["train", "--recipe", _recipe(tmp_path), "--out", str(out), "--name", "../x"])
    assert code == 2 and "not a plain name" in capsys.readouterr().err


@pytest.mark.parametrize("threads", ["0", "-3", "100000"])
def test_train_refuses_thread_counts_that_would_thrash(tmp_path, capsys, threads):
    out = tmp_path / "models"
    code = main(["train", "--recipe", _recipe(tmp_path), "--out", str(out), "--threads", threads])
    assert code == 2 and f"--threads must be 1 to 256 (got {threads})" in capsys.readouterr().err
    assert not out.exists() or not any(out.iterdir())


def test_the_trainer_itself_refuses_before_any_work(tmp_path):
    from calcapp.arithmetic.recipes import load_recipe_file
    from calcapp.arithmetic.trainer import train

    (tmp_path / "tiny").mkdir()
    with pytest.raises(ModelExistsError):
        train(load_recipe_file(Path(_recipe(tmp_path))).config, tmp_path)


def test_a_model_folder_appearing_meanwhile_is_not_replaced(tmp_path):
    tmp_path = tmp_path / "models"
    tmp_path.mkdir()
    target = tmp_path / "m"
    with pytest.raises(ModelExistsError):
        with writing_model_folder(target, replace=False) as tmp:
            (tmp / "card.json").write_text("{}")
            target.mkdir()  # another run took the name while this one wrote
            (target / "theirs.txt").write_text("theirs")
    assert (target / "theirs.txt").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["m"]  # the temp folder is gone
    with pytest.raises(ValueError):
        with writing_model_folder(tmp_path / ".."):
            pass


# -- broken model folders ------------------------------------------------------------------
def _model(tmp_path) -> Path:
    folder = tmp_path / "broken"
    shutil.copytree(bundled_models_dir() / "add1-tiny", folder)
    return folder


def _breakers():
    def random_bytes(f):
        (f / "model.keras").write_bytes(os.urandom(4096))

    def truncated(f):
        data = (f / "model.keras").read_bytes()
        (f / "model.keras").write_bytes(data[: len(data) // 2])

    def card_empty(f):
        (f / "card.json").write_text("{}")

    def card_list(f):
        (f / "card.json").write_text("[1, 2]")

    def card_deep(f):
        (f / "card.json").write_text("[" * 100_000 + "]" * 100_000)

    def card_name_escapes(f):
        card = json.loads((f / "card.json").read_text())
        (f / "card.json").write_text(json.dumps({**card, "name": "../up"}))

    def dev_zero(f):
        (f / "model.keras").unlink()
        (f / "model.keras").symlink_to("/dev/zero")

    def missing(f):
        (f / "model.keras").unlink()

    return [random_bytes, truncated, card_empty, card_list, card_deep, card_name_escapes,
            dev_zero, missing]


@pytest.mark.parametrize("breaker", _breakers(), ids=lambda f: f.__name__)
def test_compute_with_a_broken_model_says_what_is_wrong(tmp_path, capsys, breaker):
    folder = _model(tmp_path)
    breaker(folder)
    code = main(["compute", "--model", str(folder), "1+2"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "internal error" not in err and "Traceback" not in err
    assert err.count("\n") == 1 and str(folder) in err


@pytest.mark.parametrize("breaker", _breakers()[:3] + _breakers()[-2:], ids=lambda f: f.__name__)
def test_resume_from_a_broken_model_says_what_is_wrong(tmp_path, capsys, breaker):
    folder = _model(tmp_path)
    breaker(folder)
    code = main(["train", "--recipe", _recipe(tmp_path), "--out", str(tmp_path / "o"),
                 "--resume", str(folder)])
    err = capsys.readouterr().err
    assert code == 2 and "--resume" in err and "internal error" not in err, err
    assert "File not found" not in err


def test_a_broken_card_among_the_users_models_hides_nothing(calcapp_home):
    from calcapp.nets.registry import list_models

    bad = calcapp_home / "models" / "bad"
    bad.mkdir(parents=True)
    (bad / "card.json").write_text("[]")
    with pytest.raises(BadModelError):
        load_info(bad)
    assert "add3" in [m.name for m in list_models()]


def test_calcapp_models_says_which_of_the_users_models_it_left_out(calcapp_home, capsys):
    bad = calcapp_home / "models" / "bad"
    bad.mkdir(parents=True)
    (bad / "card.json").write_text("[]")
    assert main(["models"]) == 0
    out, err = capsys.readouterr()
    assert "add3" in out and "bad: left out, its card cannot be read (" in err and "not list" in err


def test_the_gui_name_field_refuses_a_path(qtbot):
    from calcapp.ui.training.form import SetupForm

    form = SetupForm()
    qtbot.addWidget(form)
    form.task.setCurrentText("add1")
    for bad in ("..", ".hidden", "x" * 80):
        form.name.setText(bad)
        with pytest.raises(ValueError):
            form.config()
    form.name.setText("my model")
    assert form.config().name == "my-model"


def test_overwrite_replaces_and_name_goes_beside(tmp_path, capsys):
    """Trains a tiny model for real (seconds): only --overwrite replaces the old folder,
    and --name puts the model beside it."""
    out = tmp_path / "models"
    (out / "tiny").mkdir(parents=True)
    (out / "tiny" / "notes.txt").write_text("mine")
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "CALCAPP_DEBUG"}
    proc = subprocess.run([sys.executable, "-m", "calcapp", "train", "--recipe", _recipe(tmp_path),
                           "--out", str(out), "--overwrite", "--name", "tiny"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]  # (its own process: TensorFlow's threads)
    assert not (out / "tiny" / "notes.txt").exists() and load_info(out / "tiny").name == "tiny"
    assert [p.name for p in out.iterdir()] == ["tiny"]  # no temp folders left


def test_model_option_is_a_folder_or_a_plain_name(tmp_path, capsys):
    code = main(["compute", "--model", str(tmp_path / "no" / ".." / "..x"), "1+1"])
    err = capsys.readouterr().err
    assert code == 2 and "neither a model folder nor a model name" in err
    assert main(["compute", "--model", "add3", "1+1"]) == 0


def test_a_zip_bomb_model_is_refused_before_unpacking(tmp_path, monkeypatch):
    import zipfile

    from calcapp.nets import registry
    from calcapp.arithmetic.model.weights import read_keras_file

    path = tmp_path / "model.keras"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("config.json", "{}")
        zf.writestr("model.weights.h5", b"\0" * 3_000_000)  # a few KB packed
    monkeypatch.setattr(registry, "MAX_MODEL_BYTES", 1_000_000)
    with pytest.raises(BadModelError, match="unpacks to"):
        registry.check_keras_archive(path)
    with pytest.raises(BadModelError, match="unpacks to more than"):
        read_keras_file(path)
