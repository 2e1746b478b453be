"""A photographed line whose paper is lit unevenly reads as a clean scan of it does
(``ink/paper.py``): shade is divided out, never taken for ink; even paper passes unchanged."""

from __future__ import annotations

import numpy as np
import pytest

from calcapp.ink.image_units import image_units
from calcapp.ink.imagenorm import ink_polarity, rasterise
from calcapp.ink.paper import flatten, paper_light
from calcapp.ink.strokes import strokes_bbox
from calcapp.ink.synth import synth_line


@pytest.fixture(scope="module")
def rec():
    from calcapp.handwriting.recognizer import load_recognizer

    return load_recognizer()


def _scan(text: str, seed: int, pen: float = 1.0) -> np.ndarray:
    strokes, _ = synth_line(text, np.random.default_rng(seed))
    x, y, w, h = strokes_bbox(strokes)
    k, pad = 0.4, 6
    shape = (int(h * k) + 2 * pad, int(w * k) + 2 * pad)
    return 1.0 - rasterise(strokes, k, (x - pad / k, y - pad / k), shape, 0.5 * 0.11 * 40 * pen)


def _lit(clean: np.ndarray, light: np.ndarray) -> np.ndarray:
    """The page under ``light`` (paper that bright), its ink 0.15 dark."""
    ink = 1.0 - clean
    return light * (1.0 - ink) + 0.15 * ink


def _shades(shape):
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w]
    return {"a lamp to one side": 0.85 - 0.3 * xx / w,
            "a shadow over a corner": 0.9 - 0.45 * np.clip(1 - np.hypot(yy / h, xx / w) / 1.2, 0, 1) ** 2}


@pytest.mark.parametrize("text, seed", [("12+34=46", 1), ("(7-5)×8", 2), ("905/5.2", 3)])
def test_a_line_under_uneven_light_reads_as_its_clean_scan(rec, text, seed):
    clean = _scan(text, seed)
    want = rec.read_image(clean).expression
    for name, light in _shades(clean.shape).items():
        photo = _lit(clean, light)
        assert len(image_units(photo)) == len(image_units(clean)), name  # the shade is no mark
        assert rec.read_image(photo).expression == want, name


def test_the_shade_itself_would_be_ink_without_it():
    """What the flattening prevents: the border's median taken as the paper everywhere."""
    clean = _scan("12+34", 4)
    photo = _lit(clean, _shades(clean.shape)["a lamp to one side"])
    a = 1.0 - photo.astype(np.float32)
    bg = float(np.median(np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]])))
    naive = np.clip((a - bg) / (a.max() - bg), 0.0, 1.0)
    clean_ink = (ink_polarity(clean) > 0.2).mean()
    assert (naive > 0.2).mean() > 1.4 * clean_ink  # the shaded paper would be ink
    assert (ink_polarity(photo) > 0.2).mean() < 1.2 * clean_ink


@pytest.mark.parametrize("pen", [1.0, 2.0])
def test_even_paper_passes_unchanged(pen):
    clean = _scan("84-19=65", 5, pen).astype(np.float32)
    grey_paper = 0.2 + 0.6 * clean  # evenly grey paper, lighter than the ink
    for img in (clean, grey_paper):
        assert paper_light(img) is None
        assert flatten(img) is img
    assert paper_light(np.ones((3, 3), np.float32)) is None  # too small to have a shade
    assert paper_light(np.full((40, 40), np.nan, np.float32)) is None
