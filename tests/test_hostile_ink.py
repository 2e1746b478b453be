"""Issue 19: ink and images cost time in proportion to their size and are capped, and in
``calcapp recognize`` one bad file gets its own error line while the others are read."""

from __future__ import annotations

import json
import random
import struct
import zlib

import numpy as np
import pytest

from calcapp.cli import main
from calcapp.ink import segment
from calcapp.ink.imagenorm import MAX_PIXELS, load_image
from calcapp.ink.strokes import (MAX_POINTS, MAX_STROKES, InkFormatError, Point, Stroke, ink_from_json,
                                 ink_to_json, save_ink_json)
from calcapp.ink.synth import synth_line


def _reference_group_boxes(boxes, height):
    """The grouping rule as it was written before issue 19 (cubic time), kept to check that
    the linear version groups exactly alike."""
    groups = [([i], tuple(b)) for i, b in enumerate(boxes)]
    changed = True
    while changed:
        changed = False
        for i in range(len(groups)):
            for j in range(i + 1, len(groups)):
                if segment._overlaps(groups[i][1], groups[j][1], height):
                    groups[i] = (groups[i][0] + groups[j][0],
                                 segment._union_box([groups[i][1], groups[j][1]]))
                    del groups[j]
                    changed = True
                    break
            if changed:
                break
    groups.sort(key=lambda g: g[1][0] + g[1][2] / 2)
    return [sorted(ids) for ids, _ in groups]


def test_grouping_is_the_same_as_before_on_lines_and_random_boxes():
    rng = np.random.default_rng(3)
    for _ in range(40):
        strokes, _ = synth_line("12+(3*4)-5/6=.7"[: int(rng.integers(1, 16))], rng)
        boxes = [s.bbox() for s in strokes]
        h = segment.line_height(boxes)
        assert segment.group_boxes(boxes, h) == _reference_group_boxes(boxes, h)
    r = random.Random(5)
    for _ in range(300):  # crowded, overlapping, chained: merges in every order
        boxes = [(r.uniform(0, 200), r.uniform(0, 40), r.expovariate(1 / 12), r.expovariate(1 / 25))
                 for _ in range(r.randint(1, 40))]
        h = segment.line_height(boxes)
        assert segment.group_boxes(boxes, h) == _reference_group_boxes(boxes, h)


def test_grouping_a_long_line_is_linear(monkeypatch):
    calls = []
    real = segment._overlaps
    monkeypatch.setattr(segment, "_overlaps", lambda a, b, h: calls.append(1) or real(a, b, h))
    for n in (1000, 10_000):
        calls.clear()
        boxes = [(30.0 * i, 0.0, 20.0, 40.0) for i in range(n)]  # separate symbols
        boxes += [(30.0 * i + 5, 45.0, 10.0, 3.0) for i in range(0, n, 7)]  # some two-stroke ones
        groups = segment.group_boxes(boxes)
        assert len(groups) == n
        assert len(calls) < 3 * len(boxes)  # was ~n²/2 comparisons per merge pass


def test_a_reading_has_a_cap_on_strokes_and_points():
    from calcapp.handwriting.recognizer import load_recognizer

    rec = load_recognizer()
    many = [Stroke.from_xy([(i * 3.0, 0.0), (i * 3.0 + 1, 5.0)]) for i in range(MAX_STROKES + 1)]
    with pytest.raises(InkFormatError, match="strokes; one reading takes at most"):
        rec.read_strokes(many)
    long = [Stroke.from_xy([(i * 0.01, (i % 7) * 1.0) for i in range(MAX_POINTS + 1)])]
    with pytest.raises(InkFormatError, match="points; one reading takes at most"):
        rec.read_strokes(long)
    with pytest.raises(InkFormatError, match="strokes"):
        ink_from_json(ink_to_json(many))


def test_deeply_nested_json_ink_is_a_format_error():
    with pytest.raises(InkFormatError, match="nested too deeply"):
        ink_from_json("[" * 100_000 + "]" * 100_000)


def _png_header_only(path, width, height):
    """A small PNG that claims to be ``width`` x ``height`` (a decompression bomb's header)."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (width + 1) * 4)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", rows)
                     + chunk(b"IEND", b""))


def _digit_png(path):
    from PIL import Image

    img = np.zeros((60, 40), dtype=np.uint8)
    img[8:52, 18:23] = 255  # a '1'
    Image.fromarray(img).save(path)


def test_an_image_over_the_pixel_cap_is_refused_from_its_header(tmp_path):
    bomb = tmp_path / "bomb.png"
    _png_header_only(bomb, 13000, 13000)
    assert bomb.stat().st_size < 100_000 and 13000 * 13000 > MAX_PIXELS
    with pytest.raises(ValueError, match="megapixels"):
        load_image(bomb)


def test_an_image_of_too_many_marks_is_refused():
    img = np.zeros((400, 400), dtype=np.float32)
    img[::8, ::8] = 1.0
    img[1::8, ::8] = 1.0
    img[::8, 1::8] = 1.0
    img[1::8, 1::8] = 1.0  # 2,500 separate 2x2 dots
    with pytest.raises(ValueError, match="separate marks"):
        segment.segment_image(img)


def test_ink_past_any_page_is_moved_into_range_and_read():
    from calcapp.handwriting.recognizer import load_recognizer
    from calcapp.ink.synth import shift_strokes

    rec = load_recognizer()
    # squares of coordinates past 1e154 overflow: such ink once raised OverflowError
    wild = [Stroke([Point(0, 0), Point(1e300, 5)]), Stroke([Point(-1e300, 1e300), Point(3, 3), Point(2e299, -1e300)])]
    assert len(rec.read_strokes(wild).symbols) >= 1
    line = synth_line("12+34", np.random.default_rng(2))[0]
    far = shift_strokes(line, 1e12, -1e12)  # far away, not wide: moved, never shrunk
    assert rec.read_strokes(far).expression == rec.read_strokes(line).expression


def test_a_speckled_image_is_refused_before_it_costs_seconds():
    checker = (np.indices((2000, 2000)).sum(0) % 2).astype(np.float32)  # a million runs of ink
    with pytest.raises(ValueError, match="too speckled"):
        segment.connected_components(checker > 0.5)


def test_components_are_labelled_as_by_the_pairwise_rule():
    rng = np.random.default_rng(0)
    for _ in range(100):
        mask = rng.random(tuple(rng.integers(1, 40, 2))) < rng.uniform(0.05, 0.7)
        got = sorted(sorted(map(tuple, c)) for c in segment.connected_components(mask))
        assert got == _reference_components(mask)


def _reference_components(mask):
    """8-connected components by a flood fill over pixels (slow and plain)."""
    seen, out = np.zeros_like(mask), []
    for y0, x0 in zip(*np.nonzero(mask)):
        if seen[y0, x0]:
            continue
        seen[y0, x0], stack, comp = True, [(y0, x0)], []
        while stack:
            y, x = stack.pop()
            comp.append((int(y), int(x)))
            for dy in (-1, 0, 1):
                for dx in (-1, 0, 1):
                    v, u = y + dy, x + dx
                    if 0 <= v < mask.shape[0] and 0 <= u < mask.shape[1] and mask[v, u] and not seen[v, u]:
                        seen[v, u] = True
                        stack.append((v, u))
        out.append(sorted(comp))
    return sorted(out)


def test_a_file_the_reader_fails_on_gets_its_own_error_and_the_rest_are_read(tmp_path, capsys, monkeypatch):
    from calcapp.handwriting.recognizer import Recognizer

    files = []
    for name, xs in (("bad", [0, 40]), ("good", [0])):  # the fake fault below strikes ink of two strokes
        files.append(tmp_path / f"{name}.json")
        save_ink_json(files[-1], [Stroke([Point(x, 10.0 * k) for k in range(4)]) for x in xs])
    real = Recognizer.read_prepared

    def faulty(self, prepared):
        if any(sum(len(s.ids) for s in segs) == 2 for segs, _ in prepared):
            raise OverflowError("(34, 'Numerical result out of range')")
        return real(self, prepared)

    monkeypatch.setattr(Recognizer, "read_prepared", faulty)
    assert main(["recognize", "--json", "--no-answer", *map(str, files)]) == 2
    rows = [json.loads(t) for t in capsys.readouterr().out.splitlines()]
    assert rows[0]["error"].startswith("cannot read: OverflowError") and rows[0]["expression"] is None
    assert rows[1]["error"] is None and rows[1]["expression"] == "1"


def test_one_bad_file_does_not_sink_the_batch(tmp_path, capsys):
    good = tmp_path / "a.png"
    _digit_png(good)
    bomb = tmp_path / "bomb.png"
    _png_header_only(bomb, 13000, 13000)
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 50)
    files = [good, bomb, deep, junk, tmp_path / "missing.png", tmp_path]
    code = main(["recognize", "--json", "--no-answer", *map(str, files)])
    out, err = capsys.readouterr()
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 2 and [r["file"] for r in rows] == [str(f) for f in files]
    assert rows[0]["error"] is None and rows[0]["expression"]
    assert all(r["error"] and r["error"].startswith("cannot read") for r in rows[1:])
    assert "megapixels" in rows[1]["error"] and "nested too deeply" in rows[2]["error"]
    assert "no such file" in rows[4]["error"] and "a folder or a device" in rows[5]["error"]
    assert "internal error" not in err and "5 of 6" in err
