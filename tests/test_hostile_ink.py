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
from calcapp.ink.strokes import (MAX_POINTS, MAX_STROKES, InkFormatError, Stroke, ink_from_json,
                                 ink_to_json)
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


def test_one_bad_file_does_not_sink_the_batch(tmp_path, capsys):
    good = tmp_path / "a.png"
    _digit_png(good)
    bomb = tmp_path / "bomb.png"
    _png_header_only(bomb, 13000, 13000)
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 50)
    files = [good, bomb, deep, junk, tmp_path / "missing.png"]
    code = main(["recognize", "--json", "--no-answer", *map(str, files)])
    out, err = capsys.readouterr()
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 2 and [r["file"] for r in rows] == [str(f) for f in files]
    assert rows[0]["error"] is None and rows[0]["expression"]
    assert all(r["error"] and r["error"].startswith("cannot read") for r in rows[1:])
    assert "megapixels" in rows[1]["error"] and "nested too deeply" in rows[2]["error"]
    assert "internal error" not in err and "4 of 5" in err
