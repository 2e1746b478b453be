"""The personal memory: corrections are kept (capped, atomically), read back as a vote that is
flat far from them, and a correction made in the window changes the next reading of the same hand."""

from __future__ import annotations

import numpy as np
import pytest

from calcapp.handwriting import memory as hm
from calcapp.ink.strokes import Point, Stroke


def line(x0, y0, x1, y1, n=20):
    return Stroke([Point(x0 + (x1 - x0) * t / (n - 1), y0 + (y1 - y0) * t / (n - 1)) for t in range(n)])


def test_newest_corrections_of_a_class_win_the_cap(monkeypatch):
    monkeypatch.setattr(hm, "MAX_PER_CLASS", 2)
    assert hm._newest_per_class(["1", "7", "1", "1", "7", "1"]) == [1, 3, 4, 5]


def test_a_memory_is_kept_on_disk_capped_and_readable(tmp_path, monkeypatch):
    monkeypatch.setattr(hm, "MAX_PER_CLASS", 3)
    mem = hm.PersonalMemory(tmp_path / "personal")
    assert mem.stamp() is None and mem.load()[2] == []
    for k in range(5):
        mem.add([line(20 + k, 20, 20, 80)], "1", line_h=60)
    mem.add([line(10, 50, 60, 50)], "\u2212", line_h=60)  # a typed minus sign is the '-' class
    mem.add([line(10, 20, 60, 80)], "x", line_h=60)  # retyped 'x' means times
    images, pens, labels = mem.load()
    assert labels == ["1", "1", "1", "-", "\u00d7"]
    assert images.shape == (5, 28, 28) and pens.shape[0] == 5
    assert not list((tmp_path / "personal").glob("*.tmp"))  # written whole, then renamed
    with pytest.raises(ValueError):
        mem.add([line(0, 0, 5, 5)], "q")
    with pytest.raises(ValueError):
        mem.add([], "1")


def test_a_broken_memory_file_reads_as_empty_and_is_kept_aside_not_overwritten(tmp_path):
    mem = hm.PersonalMemory(tmp_path)
    mem.path.write_bytes(b"not an npz")
    assert mem.load()[2] == []
    mem.add([line(20, 20, 20, 80)], "1", line_h=60)
    kept = list(tmp_path.glob("memory.npz.unreadable-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == b"not an npz" and mem.load()[2] == ["1"]


def test_a_memory_of_another_pen_view_is_kept_aside_when_a_correction_replaces_it(tmp_path):
    mem = hm.PersonalMemory(tmp_path)
    mem._save(np.zeros((2, 28, 28), np.float32), np.zeros((2, 5), np.float32), ["1", "7"])
    before = mem.path.read_bytes()
    mem.add([line(20, 20, 20, 80)], "1", line_h=60)
    kept = list(tmp_path.glob("memory.npz.older-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == before and mem.load()[2] == ["1"]


def test_the_vote_is_flat_far_from_the_memory_and_decides_close_to_it():
    params = hm.MemoryParams()
    p = np.array([[0.6, 0.4, 0.0], [0.6, 0.4, 0.0]], np.float32)
    keys = np.array([[1.0, 0.0]], np.float32)
    queries = np.array([[1.0, 0.01], [-1.0, 0.0]], np.float32)  # near the key, far from it
    out = hm.personalise(p, queries, keys, np.array([1]), params)
    assert out[0].argmax() == 1  # the remembered label wins near its sample
    assert np.allclose(out[1], p[1], atol=1e-4)  # far away nothing changes
    assert hm.personalise(p, queries, keys[:0], np.array([], int), params) is p


def two_slant_three(dx: float) -> list:
    """'2', a stroke slanted by ``dx`` (of a 100-high line), '3': read '2/3' when it slants enough."""
    from calcapp.ink.synth import symbol_strokes

    rng = np.random.default_rng(0)
    return (symbol_strokes("2", rng, strength=0) + [line(95 + dx, 0, 95, 100)]
            + symbol_strokes("3", rng, strength=0, origin=(180, 0)))


def test_a_correction_in_the_window_changes_the_next_reading(qtbot, tmp_path, calcapp_home):
    """The window's correction path feeds the memory; the default recognizer (the engine's)
    then reads the writer's next, slightly different slanted '1' as a '1'."""
    from test_ui_window import make_window

    from calcapp.handwriting.recognizer import load_recognizer
    from calcapp.ui.main_window import _save_sample

    assert load_recognizer().read_strokes(two_slant_three(42)).expression == "2/3"
    window = make_window(qtbot, tmp_path, recognizer=load_recognizer)
    window.sample_saver = _save_sample
    try:
        window.canvas.set_strokes(two_slant_three(40))
        qtbot.waitUntil(lambda: window.display.text() == "2/3", timeout=10000)
        window.canvas.correct_symbol(1, "1")
        assert window.display.text() == "213"
    finally:
        window.close()
    assert load_recognizer().read_strokes(two_slant_three(42)).expression == "213"
    assert load_recognizer().read_strokes(two_slant_three(90)).expression == "2/3"  # a real '/' stays


def test_without_corrections_the_reading_is_the_networks_and_images_read_too(tmp_path):
    from calcapp.handwriting.recognizer import Recognizer
    from calcapp.ink.imagenorm import render_strokes
    from calcapp.paths import bundled_models_dir

    folder = bundled_models_dir() / "recognizer"
    plain, remembering = Recognizer(folder), Recognizer(folder, hm.PersonalMemory(tmp_path))
    ink = two_slant_three(30)
    assert remembering.read_strokes(ink).symbols[1].alternatives == plain.read_strokes(ink).symbols[1].alternatives
    remembering.memory.add(ink[-1:], "3", line=ink)
    image = render_strokes(ink, 100)
    assert remembering.read_image(image).expression == plain.read_image(image).expression  # picture view only


def test_a_correction_on_a_sloping_line_is_remembered_as_the_reader_drew_it():
    """The reader moves a sloping line's strokes level before drawing its symbols; a correction
    must be kept as that picture, or the next reading compares with another one."""
    import math

    from calcapp.handwriting.recognizer import load_recognizer
    from calcapp.handwriting.trajectory import features
    from calcapp.ink.synth import synth_line

    rec = load_recognizer()
    turn = math.radians(10)
    c, s = math.cos(turn), math.sin(turn)
    strokes, _ = synth_line("12+34=46-(7×5)", np.random.default_rng(3))
    drawn = [Stroke([Point(p.x * c - p.y * s, p.x * s + p.y * c) for p in st.points]) for st in strokes]
    segs, images = rec.prepare_strokes(drawn)
    moved = 0
    for seg, image in zip(segs, images):
        ink = [drawn[i] for i in seg.ids]
        picture, pen = hm.symbol_inputs(ink, line=drawn)
        np.testing.assert_allclose(picture, image, atol=1e-6)
        np.testing.assert_allclose(pen, features(seg.extra["strokes"], seg.extra["line_h"]), atol=1e-6)
        moved += not np.allclose(picture, hm.symbol_inputs(ink, line_h=seg.extra["line_h"])[0], atol=1e-3)
    assert moved  # the line does slope: drawn as written, some symbols would differ
