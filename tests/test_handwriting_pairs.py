"""The pair network: two digits whose ink runs into one piece are read as two digits, each
framed on its own; a piece that is not two digits keeps its own reading."""

from __future__ import annotations

import numpy as np
import pytest

from calcapp.handwriting import line_decoder
from calcapp.handwriting.pairs import (HEIGHT, N_CLASSES, NOT_PAIR, PAIR_TOP, PAIRS_NAME, WIDTH, PairNet, label_of,
                                      normalise_pair, split_pair)
from calcapp.ink.segment import Segment
from test_handwriting_image_lines import _components, _image, _touching


@pytest.fixture(scope="module")
def rec():
    from calcapp.handwriting.recognizer import load_recognizer

    return load_recognizer()


def test_the_bundled_recognizer_carries_a_pair_network_and_its_card_names_the_data(rec):
    assert isinstance(rec.pairs, PairNet)
    card = rec.card["pairs"]
    assert "CROHME training writer" in card["data"] and card["recipe"]
    assert (rec.folder / PAIRS_NAME).stat().st_size < 5_000_000
    out = rec.pairs.probabilities(np.zeros((2, HEIGHT, WIDTH), np.float32))
    assert out.shape == (2, N_CLASSES) and np.allclose(out.sum(1), 1.0, atol=1e-4)


def test_classes_name_two_digits_and_the_last_names_none():
    assert label_of(0) == "00" and label_of(7) == "07" and label_of(93) == "93"
    assert label_of(NOT_PAIR) == ""


def test_a_pair_is_framed_with_its_aspect_kept():
    ink = np.zeros((40, 80), np.float32)
    ink[10:30, 5:75] = 1.0  # 20 tall, 70 wide
    out = normalise_pair(ink)
    assert out.shape == (HEIGHT, WIDTH) and out.max() == pytest.approx(1.0)
    rows, cols = np.nonzero(out > 0.5)
    width, height = cols.max() - cols.min() + 1, rows.max() - rows.min() + 1
    assert width / height == pytest.approx(3.5, rel=0.25)
    assert abs((cols.min() + cols.max()) / 2 - WIDTH / 2) <= 1.5
    assert not normalise_pair(np.zeros((5, 5))).any()


@pytest.mark.parametrize("text, k, seeds", [("20+1", 1, (1, 2, 5)), ("5+91", 3, (3, 6)), ("48+2", 1, (7,))])
def test_touching_digits_are_read_as_two_and_each_gets_its_own_box(rec, text, k, seeds):
    net = rec.pairs
    for seed in seeds:
        img = _image(_touching(text, k, seed))
        assert _components(img) < len(text)  # the pair is one piece of ink
        reading = rec.read_image(img)
        assert reading.expression == text, seed
        boxes = [s.box for s in reading.symbols]
        assert len(boxes) == len(text)
        assert all(a[0] < b[0] for a, b in zip(boxes, boxes[1:]))  # left to right, a frame for each digit
        for sym, want in zip(reading.symbols, text):  # each digit offers its own alternatives to correct
            assert want in dict(sym.alternatives)
        rec.pairs = None
        try:  # without the pair network the piece is read as one digit, or cut badly
            assert rec.read_image(img).expression != text, seed
        finally:
            rec.pairs = net


def test_pairs_are_offered_only_for_image_pieces_that_may_hold_several(rec):
    ink = np.zeros((40, 70), np.float32)
    ink[5:35, 5:65] = 1.0
    seg = Segment([0], (0.0, 0.0, 70.0, 40.0), image=ink, rel_size=1.0)
    seg.extra["kinds"] = np.array([0.99, 0.01, 0.0])
    assert line_decoder.pair_options(rec, seg) == []
    seg.extra["kinds"] = np.array([0.2, 0.8, 0.0])
    opts = line_decoder.pair_options(rec, seg)
    assert 0 < len(opts) <= PAIR_TOP and all(len(lab) == 2 and lab.isdigit() for lab, _ in opts)
    pen = Segment([0], (0.0, 0.0, 70.0, 40.0), rel_size=1.0)
    pen.extra["kinds"] = np.array([0.2, 0.8, 0.0])
    assert line_decoder.pair_options(rec, pen) == []


def test_a_pair_is_parted_at_its_thinnest_middle_column():
    ink = np.zeros((20, 41), np.float32)
    ink[2:18, 2:18] = 1.0
    ink[9:11, 18:24] = 1.0  # a thin bridge
    ink[2:18, 24:39] = 1.0
    seg = Segment([3], (100.0, 50.0, 41.0, 20.0), image=ink, rel_size=1.0)
    left, right = split_pair(seg, 20.0)
    assert left.box[0] == 102.0 and right.box[0] + right.box[2] == 139.0
    assert 18 <= left.box[0] + left.box[2] - 100 <= 24 and 18 <= right.box[0] - 100 <= 24
    assert left.extra["drawn"].shape == (28, 28) and right.image.any()


def test_each_digit_of_a_pair_offers_the_alternatives_of_its_place():
    from calcapp.handwriting.pairs import digit_alternatives

    opts = [("20", 0.6), ("70", 0.2), ("26", 0.2), ("2", 0.01)]
    left, right = digit_alternatives(opts, 0), digit_alternatives(opts, 1)
    assert left[0][0] == "2" and dict(left) == pytest.approx({"2": 0.8, "7": 0.2})
    assert dict(right) == pytest.approx({"0": 0.8, "6": 0.2})


def test_a_scanned_line_that_ends_on_a_small_mark_reads_it_as_equals():
    opts = line_decoder._end_equals([("\u00b7", 0.9), (".", 0.1)])
    assert dict(opts)["="] == line_decoder.END_EQUALS and opts[0] == ("\u00b7", 0.9)
    # the grammar then prefers the finished line: '12+3=' over '12+3\u00b7'
    seq = [[("1", 0.9)], [("2", 0.9)], [("+", 0.9)], [("3", 0.9)], opts]
    labels, _, _ = line_decoder.decode(len(seq), lambda a, b: seq[a] if b == a + 1 else None)
    assert "".join(labels) == "12+3="


@pytest.mark.slow  # reads every CROHME training writer and the image sets' training parts
def test_the_recipe_collects_pairs_and_trains_a_network_the_recognizer_loads(tmp_path, rec):
    pytest.importorskip("keras")
    import shutil
    import sys
    from pathlib import Path

    from calcapp.handwriting.data import default_data_root
    from calcapp.handwriting.recognizer import Recognizer

    if not (default_data_root() / "crohme_ink").is_dir():
        pytest.skip("no CROHME ink beside the project")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from training import pairs as recipe

    ink, images = tmp_path / "ink.npz", tmp_path / "img.npz"
    assert recipe.main(["collect", "--out", str(ink), "--n", "40"]) == 0
    assert recipe.main(["images", "--out", str(images), "--n", "20"]) == 0
    got = np.load(ink)
    assert got["x"].shape == (40, HEIGHT, WIDTH) and set(got["y"]) <= set(range(N_CLASSES))
    folder = tmp_path / "rec"
    shutil.copytree(rec.folder, folder)
    (folder / PAIRS_NAME).unlink()
    assert recipe.main(["train", "--data", str(ink), str(images), "--model", str(folder), "--epochs", "1",
                        "--width", "4", "--dense", "8", "--threads", "1"]) == 0
    assert recipe.main(["train", "--data", str(ink), "--model", str(folder), "--epochs", "1", "--width", "4",
                        "--dense", "8", "--threads", "1", "--init-from", str(folder)]) == 0
    mine = Recognizer(folder)
    assert isinstance(mine.pairs, PairNet) and len(mine.card["pairs"]["recipe"]) == 2
    assert mine.card["pairs"]["recipe"][-1].startswith("python training/pairs.py train --data")  # as called
    assert mine.pairs.probabilities(np.zeros((1, HEIGHT, WIDTH), np.float32)).shape == (1, N_CLASSES)
