"""A tiny recognizer trained on synthetic ink: it learns, NumPy agrees with Keras, the
CLI reads files the test makes itself, and personal samples fine-tune it."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from calcapp.ink.imagenorm import rasterise
from calcapp.ink.strokes import save_ink_json, strokes_bbox
from calcapp.ink.inkml import save_inkml
from calcapp.ink.synth import LABELS, symbol_strokes, synth_line


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """Trains once per module (a few seconds) and saves like the real recipe does."""
    keras = pytest.importorskip("keras")
    from calcapp.handwriting import data as hd
    from calcapp.handwriting import cnn as rm

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x, y, _ = hd.synth_set(40, rng)
    xv, yv, _ = hd.synth_set(10, np.random.default_rng(1))
    model = rm.build_model(width=8, dense=48)
    before = float((model.predict(xv[..., None], verbose=0).argmax(1) == yv).mean())
    run = rm.train(model, x, y, xv, yv, epochs=5, batch_size=32, lr=3e-3)
    after = run["history"][run["best_epoch"] - 1]["val_accuracy"]
    folder = rm.save(model, tmp_path_factory.mktemp("models") / "recognizer",
                     {"name": "tiny-recognizer", "task": {"name": "test"}})
    return {"folder": folder, "model": model, "before": before, "after": after, "xv": xv, "yv": yv}


def test_tiny_training_learns(tiny):
    assert tiny["before"] < 0.2  # chance is 1/19
    assert tiny["after"] > 0.6


def test_numpy_forward_agrees_with_keras(tiny):
    import keras

    from calcapp.handwriting.recognizer import Recognizer

    card = json.loads((tiny["folder"] / "card.json").read_text())
    assert card["kind"] == "recognizer" and card["labels"] == LABELS
    reloaded = keras.saving.load_model(tiny["folder"] / "model.keras", safe_mode=True)
    xv = tiny["xv"][:64]
    want = reloaded.predict(xv[..., None], verbose=0)
    got = Recognizer(tiny["folder"]).probabilities(xv)
    assert np.abs(got - want).max() < 1e-4


def test_an_ensemble_averages_its_members_in_both_paths(tiny, tmp_path):
    import keras

    from calcapp.handwriting import cnn as rm
    from calcapp.handwriting.recognizer import Recognizer

    first = keras.saving.load_model(tiny["folder"] / "model.keras", safe_mode=True)
    second = rm.build_model(width=8, dense=48)  # untrained: its guesses differ from the first's
    folder = rm.save(rm.build_ensemble([first, second]), tmp_path / "ens", {"name": "ens", "task": {}})
    card = json.loads((folder / "card.json").read_text())
    assert card["numpy_members"] == 2
    xv = tiny["xv"][:64]
    want = (first.predict(xv[..., None], verbose=0) + second.predict(xv[..., None], verbose=0)) / 2
    reloaded = keras.saving.load_model(folder / "model.keras", safe_mode=True)
    assert np.abs(reloaded.predict(xv[..., None], verbose=0) - want).max() < 1e-5
    assert np.abs(Recognizer(folder).probabilities(xv) - want).max() < 1e-4


def test_read_strokes_gives_symbols_in_order(tiny):
    from calcapp.handwriting.recognizer import load_recognizer

    rec = load_recognizer(tiny["folder"])
    assert load_recognizer(tiny["folder"]) is rec  # cached
    strokes, truth = synth_line("12+3=", np.random.default_rng(3))
    reading = rec.read_strokes(strokes)
    assert len(reading.symbols) == 5
    assert [s.stroke_ids for s in reading.symbols] == [t[1] for t in truth]
    for s in reading.symbols:
        assert len(s.alternatives) == 3 and s.alternatives[0][0] in LABELS
        assert 0.0 <= s.confidence <= 1.0 and s.box[2] >= 0
    assert reading.expression == "".join(
        "\u00d7" if s.label == "\u00b7" else s.label for s in reading.symbols)
    top = rec.classify(tiny["xv"][:3])
    assert len(top) == 3 and all(len(t) == 3 for t in top)


def _line_png(path, text, seed, negative=False):
    from PIL import Image

    strokes, _ = synth_line(text, np.random.default_rng(seed))
    x, y, w, h = strokes_bbox(strokes)
    img = rasterise(strokes, 0.6, (x - 15, y - 15), (int(h * 0.6) + 18, int(w * 0.6) + 18), 2.5)
    arr = img if negative else 1.0 - img
    Image.fromarray((arr * 255).astype(np.uint8)).save(path)
    return strokes


def _run_cli(argv, capsys):
    from calcapp.cli import main

    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_reads_images_and_ink_and_reports_bad_files(tiny, tmp_path, capsys):
    line = tmp_path / "line.png"
    strokes = _line_png(line, "12+34", 5)
    single = tmp_path / "seven.png"
    _line_png(single, "7", 6, negative=True)
    ink = tmp_path / "ink.inkml"
    save_inkml(ink, strokes)
    js = tmp_path / "ink.json"
    save_ink_json(js, strokes)
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"not a png at all")
    files = [str(line), str(single), str(ink), str(js), str(bad), str(tmp_path / "missing.png")]
    code, out, err = _run_cli(["recognize", "--json", "--model", str(tiny["folder"])] + files, capsys)
    rows = [json.loads(r) for r in out.splitlines()]
    assert code == 2 and "could not be read" in err
    assert [r["file"] for r in rows] == files
    for r in rows:
        assert set(r) >= {"file", "expression", "symbols", "exact", "neural", "model", "error"}
    assert len(rows[0]["symbols"]) == 5 and len(rows[1]["symbols"]) == 1
    assert rows[2]["expression"] == rows[3]["expression"]
    assert len(rows[2]["symbols"]) == 5
    for r in rows[:4]:
        assert r["expression"] == "".join(s["label"] for s in r["symbols"]).replace("\u00b7", "\u00d7")
        s = r["symbols"][0]
        assert len(s["box"]) == 4 and len(s["alternatives"]) == 3
    assert rows[4]["error"].startswith("cannot read") and rows[4]["symbols"] == []
    assert rows[5]["error"].startswith("cannot read")
    # human form names each file and each symbol
    code, out, _ = _run_cli(["recognize", "--model", str(tiny["folder"]), str(line)], capsys)
    assert out.startswith(f"{line}: ") and out.count("box ") == 5


def test_cli_does_not_import_tensorflow(tiny, tmp_path):
    import subprocess

    p = tmp_path / "one.png"
    _line_png(p, "4", 9)
    code = ("import sys; from calcapp.cli import main; "
            f"main(['recognize', '--no-answer', '--model', {str(tiny['folder'])!r}, {str(p)!r}]); "
            "print('TF' if 'tensorflow' in sys.modules else 'noTF')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip().endswith("noTF"), out.stderr


def test_sample_store_and_fine_tune(tiny, calcapp_home):
    from calcapp.nets.events import TrainingCallback
    from calcapp.handwriting.personal import SampleStore, fine_tune
    from calcapp.handwriting.recognizer import default_recognizer_dir, load_recognizer

    store = SampleStore()
    assert store.root == calcapp_home / "samples" and store.count() == 0
    rng = np.random.default_rng(11)
    for _ in range(6):
        store.add(symbol_strokes("(", rng), "(")
        store.add(1.0 - np.pad(np.ones((30, 6)), 10), "1")  # a black bar on white paper
    assert store.count() == 12 and store.by_label() == {"(": 6, "1": 6}
    with pytest.raises(ValueError):
        store.add(np.zeros((5, 5)), "1")
    with pytest.raises(ValueError):
        store.add(symbol_strokes("1", rng), "a")

    epochs = []

    class Spy(TrainingCallback):
        def on_epoch(self, report):
            epochs.append(report.epoch)

    result = fine_tune(store, callback=Spy(), epochs=2, base=tiny["folder"], replay_per_class=5)
    assert epochs == [1, 2] and result.model_dir and not result.stopped
    assert default_recognizer_dir() == calcapp_home / "models" / "recognizer-personal"
    assert load_recognizer().name == "recognizer-personal"
    assert result.metrics["samples"] == 12


def test_fine_tune_stops_cooperatively(tiny):
    from calcapp.nets.events import RunControl
    from calcapp.handwriting.personal import SampleStore, fine_tune

    store = SampleStore()
    store.add(symbol_strokes("=", np.random.default_rng(2)), "=")
    control = RunControl()
    control.stop()
    result = fine_tune(store, control=control, epochs=3, base=tiny["folder"], replay_per_class=2)
    assert result.stopped and result.model_dir is None


def test_repair_picks_alternatives_until_the_line_parses():
    from benchmarks.legacy_assembly import repair

    tops = [[("1", 0.9), ("7", 0.05), ("/", 0.01)], [("+", 0.9), ("-", 0.05), ("1", 0.01)],
            [("/", 0.6), ("1", 0.35), ("7", 0.02)], [("2", 0.9), ("7", 0.05), ("1", 0.01)]]
    labels, conf = repair(["1", "+", "/", "2"], [0.9, 0.9, 0.6, 0.9], tops)
    assert labels == ["1", "+", "1", "2"] and conf[2] == 0.35
    assert repair(["1", "/", "2"], [0.9, 0.6, 0.9], tops[:1] + tops[2:])[0] == ["1", "/", "2"]
    # a unary plus parses but nobody writes one: "3/+6" is a slanted 1, "+1+13" a 7
    tops = [[("3", 0.99)], [("/", 0.89), ("1", 0.11)], [("+", 0.99)], [("6", 0.99)]]
    assert repair(["3", "/", "+", "6"], [0.99, 0.89, 0.99, 0.99], tops)[0] == ["3", "1", "+", "6"]
    tops = [[("+", 0.94), ("7", 0.06)], [("1", 0.99)], [("+", 0.99)], [("1", 0.99)], [("3", 0.99)]]
    assert repair(["+", "1", "+", "1", "3"], [0.94, 0.99, 0.99, 0.99, 0.99], tops)[0] == list("71+13")


def test_reading_many_lines_survives_cache_turnover(tiny):
    from calcapp.handwriting.recognizer import Recognizer

    rec = Recognizer(tiny["folder"])
    rec.cache_limit = 15
    rng = np.random.default_rng(12)
    for _ in range(6):  # > 15 symbols: the caches are emptied and refilled on the way
        strokes, _ = synth_line("1234567890", rng)
        assert len(rec.read_strokes(strokes).symbols) == 10
    again = rec.read_strokes(strokes)
    rec._ink_cache.clear()
    rec._top_cache.clear()
    assert [s.label for s in rec.read_strokes(strokes).symbols] == [s.label for s in again.symbols]


def test_a_line_read_again_draws_no_piece_again(tiny, monkeypatch):
    """The canvas re-reads the whole line after every stroke: a piece the decoder weighed
    before (here the '7' pushed into the '4', read whole and apart) is remembered by its
    strokes and the line height, not drawn again."""
    from calcapp.handwriting.recognizer import Recognizer
    from calcapp.ink import imagenorm
    from calcapp.ink.strokes import Point, Stroke

    rec = Recognizer(tiny["folder"])
    line, truth = synth_line("47+1", np.random.default_rng(0))
    four, seven = (strokes_bbox([line[i] for i in truth[k][1]]) for k in (0, 1))
    dx = seven[0] - (four[0] + 0.6 * four[2])
    line = [Stroke([Point(p.x - dx, p.y, p.t, p.pressure) for p in st.points]) if i in truth[1][1] else st
            for i, st in enumerate(line)]
    strokes = line[:-1]
    drawn = []
    real = imagenorm.rasterise
    monkeypatch.setattr(imagenorm, "rasterise", lambda ss, *a: drawn.append(list(ss)) or real(ss, *a))
    first = rec.read_strokes(strokes)
    assert any(len(ss) < 3 for ss in drawn)  # the 4 and the 7 (three strokes) read apart too
    drawn.clear()
    assert [s.label for s in rec.read_strokes(strokes).symbols] == [s.label for s in first.symbols]
    assert drawn == []  # nothing changed: nothing drawn


def test_a_cut_is_kept_only_when_the_pieces_read_more_surely(tiny):
    from calcapp.ink.segment import Segment
    from calcapp.handwriting.recognizer import Recognizer

    rec = Recognizer(tiny["folder"])
    pieces = [Segment([0], (0, 0, 20, 40), extra={"joined": (2, Segment([0, 1], (0, 0, 40, 40)), None)}),
              Segment([1], (20, 0, 20, 40)), Segment([2], (50, 0, 20, 40))]
    tops = [[("(", 0.95)], [(")", 0.95)], [("2", 0.99)]]
    segs, got = rec.settle_splits(pieces, tops, [[("0", 0.99)]])  # 0.99 > 0.9 x 0.95 x 0.95
    assert [s.ids for s in segs] == [[0, 1], [2]] and [t[0][0] for t in got] == ["0", "2"]
    segs, got = rec.settle_splits(pieces, tops, [[("8", 0.6)]])  # two sure zeros touching
    assert [s.ids for s in segs] == [[0], [1], [2]] and [t[0][0] for t in got] == ["(", ")", "2"]


def test_bundled_recognizer_reads_a_wide_zero_whole_and_touching_zeros_apart():
    from calcapp.handwriting.recognizer import load_recognizer

    rec = load_recognizer()  # the bundled weights: this is about the decision, not training
    yy, xx = np.mgrid[0:60, 0:84]
    ring = lambda cx, rx: np.clip(1 - np.abs(np.hypot((yy - 30) / 20, (xx - cx) / rx) - 0.93) / 0.08, 0, 1)  # noqa: E731
    assert rec.read_image(1.0 - ring(42, 32)).expression == "0"
    two = np.maximum(ring(25, 14), ring(54, 14))  # two zeros whose rims touch
    assert rec.read_image(1.0 - two).expression == "00"


def test_a_line_reads_the_same_stroke_by_stroke_as_fresh(tiny):
    """The canvas reads after every stroke and remembers what it drew; a symbol drawn while the
    line was a little shorter must not keep that picture (its pen width follows line height),
    or the window would read otherwise than a fresh read of the same ink."""
    from calcapp.handwriting.recognizer import Recognizer
    from calcapp.ink.strokes import Point, Stroke

    line, truth = synth_line("12+3", np.random.default_rng(3))
    last = truth[-1][1]
    tall = [Stroke([Point(p.x, p.y * 1.04, p.t, p.pressure) for p in line[i].points]) for i in last]
    line = [st for i, st in enumerate(line) if i not in last] + tall  # the last digit 4% taller
    rec = Recognizer(tiny["folder"])
    for k in range(1, len(line) + 1):
        canvas = rec.read_strokes(line[:k])
    fresh = Recognizer(tiny["folder"]).read_strokes(line)
    assert [s.label for s in canvas.symbols] == [s.label for s in fresh.symbols]
    for a, b in zip(canvas.symbols, fresh.symbols):  # the same pictures; a batch's rounding aside
        assert [lab for lab, _ in a.alternatives] == [lab for lab, _ in b.alternatives]
        assert np.allclose([p for _, p in a.alternatives], [p for _, p in b.alternatives], atol=1e-5)
