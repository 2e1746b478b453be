"""The piece network: an image piece holding two touching symbols is weighed down, so the line
decoder's cut wins over the symbol network's sure reading of the pair as one digit."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from calcapp.handwriting import line_decoder
from calcapp.handwriting.pieces import KINDS, PIECES_NAME, PieceNet
from calcapp.ink.image_units import image_units
from calcapp.ink.imagenorm import normalise_ink
from calcapp.ink.segment import Segment
from calcapp.ink.synth import synth_line
from test_handwriting_image_lines import _components, _image, _touching


@pytest.fixture(scope="module")
def rec():
    from calcapp.handwriting.recognizer import load_recognizer

    return load_recognizer()


def test_the_bundled_recognizer_carries_a_piece_network_and_its_card_names_the_data(rec):
    assert isinstance(rec.pieces, PieceNet)
    card = rec.card["pieces"]
    assert card["kinds"] == list(KINDS) and "CROHME training writers" in card["data"]
    assert (rec.folder / PIECES_NAME).stat().st_size < 5_000_000


def _kinds(rec, seg) -> dict:
    return dict(zip(KINDS, rec.pieces.probabilities(normalise_ink(seg.image)[None])[0]))


def test_two_touching_digits_are_several_and_each_alone_is_one(rec):
    img = _image(_touching("24", 1, 10))
    (seg,) = image_units(img)  # the pair is one piece of ink
    assert _kinds(rec, seg)["several"] > 0.8
    for seed in range(3):
        for digit in "24":
            (alone,) = image_units(_image(synth_line(digit, np.random.default_rng(seed))[0]))
            assert _kinds(rec, alone)["one"] > 0.8, (digit, seed)


@pytest.mark.parametrize("text, seeds", [("24+1", (1, 10)), ("47+1", (2, 9, 10)), ("12+1", (1,)), ("93+1", (4, 6))])
def test_touching_digits_the_symbol_network_reads_as_one_are_read_apart(rec, text, seeds):
    net = rec.pieces
    for seed in seeds:
        img = _image(_touching(text, 1, seed))
        assert rec.read_image(img).expression == text, seed
        rec.pieces = None
        try:  # without the piece network the pair's sure one-digit reading wins
            assert rec.read_image(img).expression != text, seed
        finally:
            rec.pieces = net


@pytest.mark.parametrize("text, k, seed", [("3-45", 2, 6), ("7-1", 2, 11)])
def test_a_minus_run_into_the_digit_beside_it_is_read_apart(rec, text, k, seed):
    img = _image(_touching(text, k, seed))
    assert _components(img) == len(text) - 1  # the minus and its digit are one ink
    assert rec.read_image(img).expression == text
    net, rec.pieces = rec.pieces, None
    try:  # without the piece network the digit's sure reading swallows the minus
        assert rec.read_image(img).expression == text.replace("-", "")
    finally:
        rec.pieces = net


def test_pieces_are_weighed_by_the_network_and_without_it_not_at_all(rec):
    ink = Segment([0], (0.0, 0.0, 10.0, 30.0))
    ink.extra["strokes"] = []
    pic = Segment([0], (0.0, 0.0, 40.0, 40.0), image=np.pad(np.ones((30, 30), np.float32), 5))
    pic.extra["drawn"] = normalise_ink(pic.image)  # as image_units' reader keeps it
    drawn = Segment([1], ink.box)
    drawn.extra.update(strokes=[], drawn=normalise_ink(pic.image))  # ink as the recognizer drew it
    line_decoder.weigh_pieces(rec, [ink, pic, drawn])
    assert "kinds" not in ink.extra and pic.extra["kinds"].sum() == pytest.approx(1.0)
    assert drawn.extra["kinds"] == pytest.approx(pic.extra["kinds"])

    class NoNet:
        pieces = None

    bare = Segment([0], pic.box, image=pic.image)
    line_decoder.weigh_pieces(NoNet(), [bare])
    assert "kinds" not in bare.extra and line_decoder.piece_prior(bare) == 0.0


def test_several_symbols_always_pay_and_part_of_one_where_ink_was_cut_or_pen_strokes_but_a_bar():
    img = np.zeros((10, 10), np.float32)
    seg = Segment([0], (0.0, 0.0, 10.0, 10.0), image=img)  # a whole piece of a scanned line
    seg.extra["kinds"] = np.array([0.3, 0.5, 0.2])
    w, pw, pen = line_decoder.PIECE_WEIGHT, line_decoder.PART_WEIGHT, line_decoder.PEN_PART_WEIGHT
    assert line_decoder.piece_prior(seg) == pytest.approx(w * np.log(0.5))
    seg.extra["partial"] = True  # the arcs of a '6' cut at its neck are parts, a whole minus is not
    assert line_decoder.piece_prior(seg) == pytest.approx(w * np.log(0.5) + pw * np.log(0.8))
    bar = Segment([0], (0.0, 0.0, 20.0, 4.0), image=img)  # a minus cut off the digit it touched
    bar.extra.update(kinds=seg.extra["kinds"], partial=True)
    assert line_decoder.piece_prior(bar) == pytest.approx(w * np.log(0.5))
    strokes = Segment([0], (0.0, 0.0, 10.0, 10.0))  # pen strokes: the bent bar of a two-stroke '4'
    strokes.extra["kinds"] = seg.extra["kinds"]
    assert line_decoder.piece_prior(strokes) == pytest.approx(w * np.log(0.5) + pen * np.log(0.8))
    dash = Segment([0], (0.0, 0.0, 20.0, 4.0))  # a pen minus, the bar of a '+' to the network
    dash.extra["kinds"] = seg.extra["kinds"]
    assert line_decoder.piece_prior(dash) == pytest.approx(w * np.log(0.5))
    dot = Segment([0], (0.0, 0.0, 3.0, 3.0), rel_size=0.1)  # a decimal point: the dot rules settle it
    dot.extra["kinds"] = seg.extra["kinds"]
    assert line_decoder.piece_prior(dot) == pytest.approx(w * np.log(0.5))
    seg.extra["kinds"] = np.array([0.0, 1.0, 0.0])  # the network errs too: the prior stops at the floor
    assert np.isfinite(line_decoder.piece_prior(seg))


def test_a_cut_piece_knows_it_was_cut(rec):
    img = _image(_touching("85+1", 1, 3))
    seg = image_units(img)[0]
    parts = seg.extra["parts"]
    assert len(parts) >= 2 and len(set(seg.extra["comp"])) == 1  # one component, cut
    from calcapp.ink.image_units import part_segment

    assert part_segment(seg, [0]).extra["partial"] and not part_segment(seg, list(range(len(parts)))).extra["partial"]


# MNIST training images 0-3999 (the held-out ones are not tuned on) that split in two without
# the part prior: the arcs of a '6' cut at its neck read '10' (two '4's that did so read right
# without it since a wide digit of one ink is as plausible as any wide digit, layout.WIDEST_DIGIT)
SPLIT_WITHOUT_PARTS = {164: "6", 445: "6"}


def test_a_digit_cut_in_two_pays_for_its_parts_and_a_lone_one_is_not_cut(rec, monkeypatch):
    from calcapp.handwriting.data import default_data_root

    f = default_data_root() / "mnist" / "mnist_test_0-4999.npz"
    if not f.is_file():
        pytest.skip("no MNIST sample beside the project")
    d = np.load(f)
    one = d["x"][int(np.flatnonzero(d["y"][:4000] == 1)[0])]
    lines = {i: 1.0 - np.concatenate([d["x"][i], one], axis=1) / 255.0 for i in SPLIT_WITHOUT_PARTS}
    for i, digit in SPLIT_WITHOUT_PARTS.items():
        assert str(d["y"][i]) == digit
        assert rec.read_image(lines[i]).expression == digit + "1", i
    monkeypatch.setattr(line_decoder, "PART_WEIGHT", 0.0)
    rec._top_cache.clear()
    assert all(rec.read_image(lines[i]).expression != digit + "1" for i, digit in SPLIT_WITHOUT_PARTS.items())
    # written alone, a digit is one mark and is not cut at all (image_units)
    assert all(rec.read_image(1.0 - d["x"][i] / 255.0).expression == digit for i, digit in SPLIT_WITHOUT_PARTS.items())


def test_a_personal_fine_tune_keeps_the_piece_network(tmp_path, calcapp_home, rec):
    pytest.importorskip("keras")
    from calcapp.handwriting import cnn
    from calcapp.handwriting.data import synth_set
    from calcapp.handwriting.personal import SampleStore, fine_tune
    from calcapp.handwriting.recognizer import load_recognizer

    x, y, _ = synth_set(10, np.random.default_rng(0))
    base = cnn.save(cnn.build_model(width=4, dense=8), tmp_path / "base", {"name": "tiny", "task": {"name": "t"}})
    shutil.copyfile(rec.folder / PIECES_NAME, base / PIECES_NAME)
    card = json.loads((base / "card.json").read_text())
    card["pieces"] = rec.card["pieces"]
    (base / "card.json").write_text(json.dumps(card))
    store = SampleStore()
    for im in x[:4]:
        store.add(1.0 - im, "1")
    result = fine_tune(store, epochs=1, base=base, replay_per_class=2)
    assert (result.model_dir and (calcapp_home / "models" / "recognizer-personal" / PIECES_NAME).is_file())
    assert isinstance(load_recognizer().pieces, PieceNet)


def test_the_piece_judgements_are_remembered_and_a_full_memory_starts_over(rec, monkeypatch):
    rng = np.random.default_rng(0)
    images = [rng.random((28, 28)).astype(np.float32) for _ in range(6)]
    first = rec.piece_kinds(images[:4])
    calls = []
    real = rec.pieces.probabilities
    monkeypatch.setattr(rec.pieces, "probabilities", lambda x: calls.append(len(x)) or real(x))
    monkeypatch.setattr(rec, "cache_limit", 3)
    again = rec.piece_kinds(images)  # four remembered, two new; the memory overflows
    assert calls == [2] and np.allclose(again[:4], first)
    assert np.allclose(rec.piece_kinds(images[4:]), again[4:])


@pytest.mark.slow  # reads every CROHME training writer
def test_the_recipe_adds_operators_touching_digits_and_trains_on_both_files(tmp_path, rec):
    pytest.importorskip("keras")
    import sys
    from pathlib import Path

    from calcapp.handwriting.data import default_data_root
    from calcapp.handwriting.recognizer import Recognizer

    if not (default_data_root() / "crohme_ink").is_dir():
        pytest.skip("no CROHME ink beside the project")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from training import pieces as recipe

    lines, touching = tmp_path / "lines.npz", tmp_path / "touching.npz"
    assert recipe.main(["collect", "--out", str(lines), "--lines", "0", "--composed", "3"]) == 0
    assert recipe.main(["touching", "--out", str(touching), "--n", "40"]) == 0
    got = np.load(touching)
    several, one = KINDS.index("several"), KINDS.index("one")
    assert got["x"].shape == (40, 28, 28) and set(got["y"]) == {one, several}
    folder = tmp_path / "rec"
    shutil.copytree(rec.folder, folder)
    (folder / PIECES_NAME).unlink()
    assert recipe.main(["train", "--data", str(lines), str(touching), "--model", str(folder), "--epochs", "1",
                        "--width", "4", "--dense", "8"]) == 0
    mine = Recognizer(folder)
    assert isinstance(mine.pieces, PieceNet) and len(mine.card["pieces"]["recipe"]) == 3
    assert mine.card["pieces"]["recipe"][-1].startswith("python training/pieces.py train --data")  # as called


@pytest.mark.parametrize("breaker", ["file", "card"])
def test_a_broken_companion_network_is_a_model_error_that_names_it(tmp_path, rec, breaker):
    import json

    from calcapp.handwriting.recognizer import Recognizer
    from calcapp.nets.registry import BadModelError

    folder = tmp_path / "rec"
    shutil.copytree(rec.folder, folder)
    if breaker == "file":
        (folder / PIECES_NAME).write_bytes(b"not an npz at all")
    else:
        card = json.loads((folder / "card.json").read_text(encoding="utf-8"))
        del card["pieces"]["layers"]
        (folder / "card.json").write_text(json.dumps(card), encoding="utf-8")
    with pytest.raises(BadModelError, match="pieces"):
        Recognizer(folder)
