"""Pen lines of the *training* writers, for choosing the line decoder's constants.

    python benchmarks/handwriting_pen_tune.py [--show N] [--n 300]

The held-out writers of benchmarks/handwriting_real.py are only for reporting; constants are
chosen here, on 300 spliced lines of training writers (the same recipe) and their real runs on
the line itself. With ``--show`` each misread line prints the decoder's readings per symbol.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from benchmarks.handwriting_real import real_gaps, real_runs, spliced_lines  # noqa: E402
from calcapp.handwriting import crohme  # noqa: E402
from calcapp.handwriting.data import default_data_root  # noqa: E402
from calcapp.handwriting.recognizer import load_recognizer  # noqa: E402


def training_lines(n: int):
    """(spliced lines, real runs on the line) of training writers (never the held-out ones)."""
    exprs = list(crohme.read_expressions(default_data_root(), "train"))
    rng = np.random.default_rng(21)
    return spliced_lines(exprs, real_gaps(exprs), n, rng), real_runs(exprs, top_only=True)


def show(rec, strokes) -> None:
    """Each segment's network readings, its readings in the line (``symbol_options``) and its
    box in units of the line's digits (height, width, middle: 0 top, 1 baseline)."""
    from calcapp.handwriting import line_decoder as ld

    segs, images = rec.prepare_strokes(strokes)
    pens = rec._pen_features([(segs, images)], 0)
    tops = rec._classify_cached(images, pens)
    line, top, base = ld._line_frame(segs, tops)
    layout = ld._digit_frame(segs, tops, line)
    unit, ltop, lbase = layout or (line, top, base)
    for seg, t in zip(segs, tops):
        x, y, w, h = seg.box
        opts = ld.symbol_options(seg, t, line, (top, base), layout)
        net = ", ".join(f"{lab}:{p:.3f}" for lab, p in t[:3])
        got = ", ".join(f"{lab}:{p:.3f}" for lab, p in opts[:4])
        print(f"      h={h / unit:.2f} w={w / unit:.2f} mid={(y + h / 2 - ltop) / (lbase - ltop):.2f} "
              f"n={len(seg.ids)}  net[{net}]  line[{got}]")
    r = rec.read_strokes(strokes)
    print("      chosen: " + " ".join(s.label for s in r.symbols))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--show", type=int, default=0, help="print the readings of this many misreads")
    args = ap.parse_args(argv)
    rec = load_recognizer()
    spliced, runs = training_lines(args.n)
    t0 = time.process_time()
    for name, lines in (("spliced", spliced), ("runs on the line", runs)):
        ok, shown = 0, 0
        for text, strokes, _, _ in lines:
            got = rec.read_strokes(strokes).expression
            want = text.replace("\u00b7", "\u00d7")
            if got == want:
                ok += 1
                continue
            print(f"  {name}: {want} \u2192 {got}")
            if shown < args.show:
                show(rec, strokes)
                shown += 1
        print(f"{name}: {ok}/{len(lines)} = {100 * ok / max(len(lines), 1):.2f}%")
    print(f"cpu {time.process_time() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
