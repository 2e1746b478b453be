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
from test_handwriting_image_lines import _image, _touching


@pytest.fixture(scope="module")
def rec():
    from calcapp.handwriting.recognizer import load_recognizer

    return load_recognizer()


def test_the_bundled_recognizer_carries_a_piece_network_and_its_card_names_the_data(rec):
    assert isinstance(rec.pieces, PieceNet)
    card = rec.card["pieces"]
    assert card["kinds"] == list(KINDS) and "CROHME training writers" in card["data"]
    assert (rec.folder / PIECES_NAME).stat().st_size < 5_000_000


def test_two_touching_digits_are_several_and_each_alone_is_not(rec):
    img = _image(_touching("24", 1, 10))
    (seg,) = image_units(img)  # the pair is one piece of ink
    assert rec.pieces.not_several(normalise_ink(seg.image)[None])[0] < 0.2
    for seed in range(3):
        for digit in "24":
            (alone,) = image_units(_image(synth_line(digit, np.random.default_rng(seed))[0]))
            assert rec.pieces.not_several(normalise_ink(alone.image)[None])[0] > 0.8, (digit, seed)


@pytest.mark.parametrize("text, seeds", [("24", (1, 10)), ("47", (2, 9, 10)), ("12", (1, 10)), ("93", (4, 6))])
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


def test_only_image_pieces_are_weighed_and_readings_scale_by_the_share(rec):
    ink = Segment([0], (0.0, 0.0, 10.0, 30.0))
    ink.extra["strokes"] = []
    pic = Segment([0], (0.0, 0.0, 40.0, 40.0), image=np.pad(np.ones((30, 30), np.float32), 5))
    line_decoder.weigh_pieces(rec, [ink, pic])
    assert "single" not in ink.extra and 0.0 <= pic.extra["single"] <= 1.0

    class NoNet:
        pieces = None

    bare = Segment([0], pic.box, image=pic.image)
    line_decoder.weigh_pieces(NoNet(), [bare])
    assert "single" not in bare.extra

    digit = Segment([0], (0.0, 0.0, 24.0, 40.0), image=np.ones((40, 24), np.float32), rel_size=1.0)
    top = [("8", 0.9), ("3", 0.1)]
    plain = dict(line_decoder.symbol_options(digit, top, 40.0, (0.0, 40.0)))
    digit.extra["single"] = 0.5
    weighed = dict(line_decoder.symbol_options(digit, top, 40.0, (0.0, 40.0)))
    assert weighed["8"] == pytest.approx(plain["8"] * 0.5 ** line_decoder.PIECE_WEIGHT)
    digit.extra["single"] = 0.0  # the network errs too: a reading keeps at least the floor
    assert dict(line_decoder.symbol_options(digit, top, 40.0, (0.0, 40.0)))["8"] > 0


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
