"""Held-out writers' image lines photographed under uneven light, read with and without the
paper's light divided out (``calcapp/ink/paper.py``), side by side in one run.

    python benchmarks/handwriting_lighting.py [--n 300] [--out FILE]

The lines are ``handwriting_real.py``'s spliced lines of the held-out CROHME writers, rendered
as it renders them (40 px a line height), then lit: the paper's brightness times (1 - ink),
the ink 0.15 dark. Lightings: even white paper (the benchmark's own images), even grey paper
with noise, a lamp to one side (0.85 to 0.55 across the line), a shadow over a corner (0.45
at the corner, 0.9 away from it), and the corner's shadow on a line shot at 120 px a line
height with a thinner pen (a phone's photo). *Without* reads each line with the paper's light
taken from the border alone, as the app did before.
"""

from __future__ import annotations

import argparse
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
from calcapp.ink import paper  # noqa: E402

HEADING = "## Image lines under uneven light (held-out writers)"


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


def measure(n: int) -> dict:
    rec = load_recognizer()
    exprs = list(crohme.read_expressions(default_data_root(), "test"))
    lines = spliced_lines(exprs, real_gaps(exprs), n, np.random.default_rng(21))
    keep = paper.paper_light
    out = {}
    for kind in KINDS:
        px, pen = (120.0, 0.35) if "120 px" in kind else (40.0, 1.0)
        rng = np.random.default_rng(7)
        photos = [(t.replace("\u00b7", "\u00d7"), lit(line_image(s, h, px, pen), kind, rng)) for t, s, h, *_ in lines]
        row = {"flattened": sum(keep(p) is not None for _, p in photos)}
        for name, fn in (("with", keep), ("without", lambda grey: None)):
            paper.paper_light = fn
            t0 = time.process_time()
            row[name] = sum(rec.read_image(p).expression == t for t, p in photos)
            row[name + "_ms"] = 1000 * (time.process_time() - t0) / max(len(photos), 1)
        paper.paper_light = keep
        out[kind] = row
        print(kind, row, flush=True)
    return {"n": len(lines), "rows": out}


def write_section(res: dict, path: Path) -> None:
    n = res["n"]
    lines = [HEADING, "",
             f"Produced by `python benchmarks/handwriting_lighting.py` ({time.strftime('%Y-%m-%d')}; see its "
             f"docstring). {n} spliced lines of the held-out writers, read exactly; *flattened*: lines whose paper "
             "the app found uneven and divided out.", "",
             "| light | flattened | without (border's median as the paper) | with the paper's light divided out "
             "| CPU per line, with |",
             "|---|---|---|---|---|"]
    for kind, r in res["rows"].items():
        lines.append(f"| {kind} | {r['flattened']} | {r['without']} ({100 * r['without'] / n:.2f}%) "
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
