"""Issue 21's symbol work: weighing the rare dot class up, and the side-by-side symbol benchmark."""

from __future__ import annotations

import gzip
import json

import numpy as np

from calcapp.handwriting import crohme


def _fake_crohme(root, writer: str) -> None:
    """One expression '2·3' (a multiplication dot) in CROHME's file layout."""
    strokes = [[[0, 0], [0, 10], [5, 10]], [[12, 5], [12.5, 5.2]], [[20, 0], [25, 5], [20, 10]]]
    line = {"id": "e1", "writer": writer, "strokes": strokes, "truth": "$2 \\cdot 3$",
            "symbols": [{"label": "2", "strokes": [0]}, {"label": ".", "strokes": [1]},
                        {"label": "3", "strokes": [2]}]}
    crohme.lines_path(root).parent.mkdir(parents=True)
    with gzip.open(crohme.lines_path(root), "wt", encoding="utf-8") as fh:
        fh.write(json.dumps(line) + "\n")


def test_load_crohme_can_keep_only_the_dots_with_more_variants(tmp_path):
    from calcapp.handwriting.data import INDEX, load_crohme

    writer = next(f"W{i}" for i in range(100) if not crohme.held_out(f"W{i}"))
    _fake_crohme(tmp_path, writer)
    x, y, _ = load_crohme(tmp_path, "train", np.random.default_rng(0), copies=3, only={"."})
    assert x.shape == (3, 28, 28) and set(y.tolist()) == {INDEX["."]}  # the '·' trains as the dot class
    x_all, y_all, _ = load_crohme(tmp_path, "train")
    assert len(y_all) == 3 and load_crohme(tmp_path, "test")[0].shape[0] == 0


def test_symbol_benchmark_writes_every_tag_as_a_column(tmp_path):
    from benchmarks.handwriting_symbols import ROWS, SECTION, write_section

    conf = ["| true \\ read | - | n | accuracy |", "|---|---|---|---|", "| **-** | 3 | 3 | 100.00% |"]
    store = {tag: {**{r[1]: 0.9 + k / 100 for r in ROWS}, "image_ops_confusion": conf, "crohme_ops_confusion": conf}
             for k, tag in enumerate(("old", "new"))}
    out = tmp_path / "h.md"
    out.write_text("# H\n\n## Other\nkept\n", encoding="utf-8")
    write_section(store, out)
    text = out.read_text(encoding="utf-8")
    assert SECTION in text and "kept" in text and "| old | new |" in text
    assert "90.00% | 91.00%" in text


def test_symbol_benchmark_refuses_a_model_without_a_folder(capsys):
    from benchmarks.handwriting_symbols import main

    assert main(["--model", "nofolder"]) == 2
    assert "TAG=FOLDER" in capsys.readouterr().out


def test_pen_view_training_weighs_the_dots_up(tmp_path, monkeypatch):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "training" / "trajectory.py"
    spec = importlib.util.spec_from_file_location("training_trajectory", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    monkeypatch.setattr(mod, "SYNTH", {})  # no synthetic ink: only the fake writer's three symbols
    writer = next(f"W{i}" for i in range(200) if not crohme.held_out(f"W{i}") and not crohme.validation_writer(f"W{i}"))
    _fake_crohme(tmp_path, writer)
    x, y, _, _ = mod.build(tmp_path, np.random.default_rng(0), copies=2, dot_copies=3)
    dot = mod.LABELS.index(".")
    assert (y == dot).sum() == 5 and len(y) == 9 and x.shape[1] == mod.N_FEATURES


def test_composed_benchmark_can_compose_from_the_validation_writers_alone(tmp_path):
    """``--writers val``: ink rows for tuning the networks that never saw those writers."""
    from benchmarks.handwriting_composed import crohme_banks

    names = (f"w{k}" for k in range(1000))
    val = next(w for w in names if crohme.validation_writer(w) and not crohme.held_out(w))
    train = next(w for w in names if not crohme.validation_writer(w) and not crohme.held_out(w))
    _fake_crohme(tmp_path, val)
    with gzip.open(crohme.lines_path(tmp_path), "rt", encoding="utf-8") as fh:
        line = json.loads(fh.read())
    with gzip.open(crohme.lines_path(tmp_path), "at", encoding="utf-8") as fh:
        fh.write(json.dumps({**line, "id": "e2", "writer": train}) + "\n")
    assert set(crohme_banks(tmp_path, "train")[0]) == {val, train}
    assert set(crohme_banks(tmp_path, "val")[0]) == {val}
    assert crohme_banks(tmp_path, "test")[0] == {}
