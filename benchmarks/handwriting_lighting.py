"""Held-out writers' lines as people photograph and write them: under uneven light, and
askew; read with and without the app's remedy for each (``calcapp/ink/paper.py``, the
paper's light divided out; ``calcapp/ink/level.py``, the line turned level), side by side
in one run.

    python benchmarks/handwriting_lighting.py [--n 300] [--out FILE]

The lines are ``handwriting_real.py``'s spliced lines of the held-out CROHME writers, rendered
as it renders them (40 px a line height), then lit: the paper's brightness times (1 - ink),
the ink 0.15 dark. Lightings: even white paper (the benchmark's own images), even grey paper
with noise, a lamp to one side (0.85 to 0.55 across the line), a shadow over a corner (0.45
at the corner, 0.9 away from it), and the corner's shadow on a line shot at 120 px a line
height with a thinner pen (a phone's photo). *Without* reads each line with the paper's light
taken from the border alone, as the app did before. Askew: the same lines written uphill
(each symbol moved up by the slope at its middle and kept upright, as a hand writes a line
that climbs; pen strokes) and turned 6, -6 and 10 degrees (each symbol turned with them, as
a photo taken askew shows them; pen strokes and images); *without* reads them as they come.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from benchmarks.handwriting_real import line_image, real_gaps, spliced_lines  # noqa: E402
from benchmarks.results_sections import replace_section  # noqa: E402
from calcapp.handwriting import crohme  # noqa: E402
from calcapp.handwriting.data import default_data_root  # noqa: E402
from calcapp.handwriting.recognizer import load_recognizer  # noqa: E402
from calcapp.ink import image_units, level, paper  # noqa: E402
from calcapp.ink.strokes import Point, Stroke  # noqa: E402

HEADING = "## Lines under uneven light and askew (held-out writers)"


def lit(clean: np.ndarray, kind: str, rng) -> np.ndarray:
    """The clean line (dark ink on white) photographed under ``kind`` of light."""
    h, w = clean.shape
    yy, xx = np.mgrid[0:h, 0:w]
    light = {
        "even white paper": lambda: np.ones((h, w)),
        "even grey paper, noise": lambda: 0.8 + rng.normal(0.0, 0.04, (h, w)),
        "a lamp to one side": lambda: 0.85 - 0.3 * xx / w,
        "a shadow over a corner": lambda: 0.9 - 0.45 * np.clip(1 - np.hypot(yy / h, xx / w) / 1.2, 0, 1) ** 2,
    }[kind.replace(", 120 px", "")]()
    ink = 1.0 - clean
    return np.clip(light * (1.0 - ink) + 0.15 * ink, 0.0, 1.0).astype(np.float32)


KINDS = ["even white paper", "even grey paper, noise", "a lamp to one side", "a shadow over a corner",
         "a shadow over a corner, 120 px"]


def turned(strokes, degrees: float):
    a = math.radians(degrees)
    c, s = math.cos(a), math.sin(a)
    return [Stroke([Point(p.x * c - p.y * s, p.x * s + p.y * c, p.t) for p in st.points]) for st in strokes]


def uphill(strokes, counts, degrees: float):
    """Each symbol (``counts`` strokes each, in order) moved up by the slope at its middle and
    kept upright, as a hand writes a line that climbs."""
    slope, out, i = math.tan(math.radians(degrees)), [], 0
    for c in counts:
        sym = strokes[i:i + c]
        i += c
        x = np.concatenate([s.xy() for s in sym])[:, 0]
        dy = -slope * float(x.min() + x.max()) / 2
        out += [Stroke([Point(p.x, p.y + dy, p.t) for p in st.points]) for st in sym]
    return out


def _read(rec, items, without) -> tuple[int, float]:
    """(lines read exactly, CPU ms a line) with the remedy (``without`` None) or without it."""
    saved = [(mod, name, getattr(mod, name)) for mod, name, _ in without or []]
    for mod, name, fn in without or []:
        setattr(mod, name, fn)
    try:
        t0 = time.process_time()
        ok = sum((rec.read_image(x) if isinstance(x, np.ndarray) else rec.read_strokes(x)).expression == t
                 for t, x in items)
        return ok, 1000 * (time.process_time() - t0) / max(len(items), 1)
    finally:
        for mod, name, fn in saved:
            setattr(mod, name, fn)


def measure(n: int) -> dict:
    rec = load_recognizer()
    exprs = list(crohme.read_expressions(default_data_root(), "test"))
    lines = spliced_lines(exprs, real_gaps(exprs), n, np.random.default_rng(21), sizes=True)
    want = [t.replace("\u00b7", "\u00d7") for t, *_ in lines]
    flat = [(paper, "paper_light", lambda grey: None)]
    level_off = [(level, "line_slope", lambda boxes: 0.0), (image_units, "line_slope", lambda boxes: 0.0)]
    out = {}
    for kind in KINDS:
        px, pen = (120.0, 0.35) if "120 px" in kind else (40.0, 1.0)
        rng = np.random.default_rng(7)
        photos = [(t, lit(line_image(s, h, px, pen), kind, rng)) for t, (_, s, h, *_) in zip(want, lines)]
        out[kind + ", image"] = {"remedied": sum(paper.paper_light(p) is not None for _, p in photos),
                                 **_rows(rec, photos, flat)}
    for degrees in (6, -6, 10):
        ink = [(t, turned(s, degrees)) for t, (_, s, *_) in zip(want, lines)]
        images = [(t, line_image(s, lines[k][2])) for k, (t, s) in enumerate(ink)]
        climbing = [(t, uphill(s, ln[-1], degrees)) for t, (_, s, *_), ln in zip(want, lines, lines)]
        for name, items in ((f"written uphill {degrees} degrees, symbols upright, pen strokes", climbing),
                            (f"turned {degrees} degrees, pen strokes", ink), (f"turned {degrees} degrees, image", images)):
            out[name] = {"remedied": None, **_rows(rec, items, level_off)}
    for k, v in out.items():
        print(k, v, flush=True)
    return {"n": len(lines), "rows": out}


def _rows(rec, items, without) -> dict:
    ok, ms = _read(rec, items, None)
    before, _ = _read(rec, items, without)
    return {"with": ok, "with_ms": ms, "without": before}


def write_section(res: dict, path: Path) -> None:
    n = res["n"]
    lines = [HEADING, "",
             f"Produced by `python benchmarks/handwriting_lighting.py` ({time.strftime('%Y-%m-%d')}; see its "
             f"docstring). {n} spliced lines of the held-out writers, read exactly. *Remedied*: lines whose paper "
             "the app found unevenly lit and divided out (the askew rows are turned level where their slope is "
             "clear).", "",
             "| lines | remedied | without the remedy | with it (the app) | CPU per line, with |",
             "|---|---|---|---|---|"]
    for kind, r in res["rows"].items():
        lines.append(f"| {kind} | {'-' if r['remedied'] is None else r['remedied']} "
                     f"| {r['without']} ({100 * r['without'] / n:.2f}%) "
                     f"| **{r['with']}** ({100 * r['with'] / n:.2f}%) | {r['with_ms']:.0f} ms |")
    replace_section(path, HEADING, lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--out", default=str(ROOT / "benchmarks/results/handwriting.md"))
    args = ap.parse_args(argv)
    write_section(measure(args.n), Path(args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
