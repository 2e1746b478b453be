"""Image lines of the *training* writers, with each misread put down to its cause.

    python benchmarks/handwriting_image_tune.py [--n 300] [--pen] [--show N] [--composed] [--model DIR]

The held-out writers of benchmarks/handwriting_real.py are only for reporting; image-line
constants are chosen here, on spliced lines and real runs on the line of training writers (the
recipe of ``handwriting_pen_tune.py``). Each misread line is compared with the truth symbol by
symbol: every truth symbol is drawn alone into the line's frame and each read symbol owns the
truth symbols most of whose ink it holds. A line whose grouping is right but whose labels are
not is a *symbol* misread (which confusion); otherwise a *grouping* misread: two truth symbols
in one read symbol (*merged*; their ink touching or apart), one truth symbol in several
(*split*; one piece of ink or several), or a truth symbol no read symbol holds (*lost*).

A cut can also break a clean symbol (a '0' into two arcs), so ``--composed`` reads, instead,
300 lines and 400 'a+b' lines composed (``handwriting_bench.compose_line``) from the *training*
parts of MNIST, bhmsds, mdas and pendigits: clean digits that must not fall.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from benchmarks.handwriting_real import line_image, real_gaps, real_runs, spliced_lines  # noqa: E402
from calcapp.handwriting import crohme  # noqa: E402
from calcapp.handwriting.data import default_data_root  # noqa: E402
from calcapp.handwriting.recognizer import TO_EXPRESSION, load_recognizer  # noqa: E402
from calcapp.ink.imagenorm import PEN_FRACTION, rasterise  # noqa: E402


def training_lines(n: int):
    """(spliced lines, real runs on the line) of training writers, each with its symbols' stroke counts."""
    exprs = list(crohme.read_expressions(default_data_root(), "train"))
    rng = np.random.default_rng(21)
    return (spliced_lines(exprs, real_gaps(exprs), n, rng, sizes=True),
            real_runs(exprs, top_only=True, sizes=True))


def truth_masks(strokes, counts, height: float, shape, px: float = 40.0, pen: float = 1.0) -> list[np.ndarray]:
    """Each truth symbol's ink drawn alone in the frame ``line_image`` draws the line in."""
    a = np.concatenate([s.xy() for s in strokes])
    x0, y0 = a.min(axis=0)
    k, pad = px / height, 6
    out, i = [], 0
    for c in counts:
        ink = rasterise(strokes[i:i + c], k, (x0 - pad / k, y0 - pad / k), shape, 0.5 * PEN_FRACTION * px * pen)
        out.append(ink > 0.2)
        i += c
    return out


def read_segments(rec, image):
    """(segments, labels) of an image line as the app reads it (``Recognizer.read_image``)."""
    from calcapp.handwriting.line_decoder import read_line

    segs, ims = rec.prepare_image(image)
    tops = rec._classify_cached(ims) if ims else []
    segs, tops = rec.settle_splits(segs, tops, [])
    segs, _, labels, _ = read_line(rec, segs, tops)
    return segs, labels


def _held(seg, shape) -> np.ndarray:
    m = np.zeros(shape, dtype=bool)
    x, y = int(seg.box[0]), int(seg.box[1])
    ys, xs = np.nonzero(seg.image > 0)
    m[ys + y, xs + x] = True
    return m


def _touch(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two inks touch as ``connected_components`` joins pixels (8 neighbours)."""
    grown = a.copy()
    grown[1:] |= a[:-1]
    grown[:-1] |= a[1:]
    wide = grown.copy()
    wide[:, 1:] |= grown[:, :-1]
    wide[:, :-1] |= grown[:, 1:]
    return bool((wide & b).any())


def _pieces(m: np.ndarray) -> int:
    from calcapp.ink.segment import connected_components

    return len(connected_components(m))


def diagnose(text: str, masks, segs, labels) -> list[str]:
    """The causes of one misread line (see the module's docstring)."""
    shape = masks[0].shape
    held = [_held(s, shape) for s in segs]
    share = np.array([[(h & m).sum() / max(m.sum(), 1) for m in masks] for h in held]).reshape(len(held), len(masks))
    owner = share.argmax(0) if len(held) else np.full(len(masks), -1)
    causes = []
    for t, m in enumerate(masks):
        if not len(held) or share[:, t].sum() < 0.5:
            causes.append(f"lost {text[t]}")
        elif np.sort(share[:, t])[-2:][0] >= 0.25 if len(held) > 1 else False:
            others = [r for r in range(len(held)) if share[r, t] >= 0.25 and r != owner[t]]
            if all((owner == r).sum() == 0 for r in others):  # the other piece owns nothing
                kind = "one piece of ink" if _pieces(m) == 1 else "apart"
                causes.append(f"split {text[t]} ({kind}) -> " + "".join(labels[r] for r in sorted([owner[t]] + others)))
    for r in range(len(held)):
        mine = [t for t in range(len(masks)) if owner[t] == r]
        if len(mine) >= 2:
            touching = any(_touch(masks[a], masks[b]) for a, b in zip(mine, mine[1:]))
            causes.append(f"merged {''.join(text[t] for t in mine)} ({'touching' if touching else 'apart'}) "
                          f"-> {labels[r]}")
    if causes:
        return causes
    if len(held) == len(masks) and list(owner) == list(range(len(masks))):
        return [f"symbol {text[t]} -> {TO_EXPRESSION.get(labels[t], labels[t])}" for t in range(len(masks))
                if TO_EXPRESSION.get(labels[t], labels[t]) != text[t].replace("\u00b7", "\u00d7")]
    return ["grouping, other"]


def run(rec, lines, name: str, pen: bool, show: int):
    ok_img = ok_pen = 0
    causes: Counter = Counter()
    cpu = []
    for text, strokes, h, _, counts in lines:
        want = text.replace("\u00b7", "\u00d7")
        if pen:
            ok_pen += rec.read_strokes(strokes).expression == want
        img = line_image(strokes, h)
        t0 = time.process_time()
        got = rec.read_image(img).expression
        cpu.append(time.process_time() - t0)
        if got == want:
            ok_img += 1
            continue
        segs, labels = read_segments(rec, img)
        if segs and segs[0].extra.get("unturn") is not None:  # read turned level: other frame
            found = ["turned level, not diagnosed"]
        else:
            found = diagnose(text, truth_masks(strokes, counts, h, img.shape), segs, labels)
        kinds = {c.split(" ")[0] for c in found}
        causes["line: " + ("grouping" if kinds - {"symbol"} else "symbol")] += 1
        causes.update(found)
        if show > 0:
            print(f"  {name}: {want} \u2192 {got}: " + "; ".join(found))
            show -= 1
    n = max(len(lines), 1)
    print(f"{name}: image {ok_img}/{len(lines)} = {100 * ok_img / n:.2f}%"
          + (f", pen {ok_pen}/{len(lines)} = {100 * ok_pen / n:.2f}%" if pen else "")
          + f"; image line median {1000 * float(np.median(cpu)):.1f} ms CPU")
    return causes, ok_img, ok_pen, len(lines)


def composed_lines(n_lines: int = 300, n_ab: int = 400):
    """(text, image) lines composed from the training parts of the symbol sets."""
    from benchmarks.handwriting_bench import SymbolBank, compose_line, random_line
    from benchmarks.handwriting_composed import line_text
    from calcapp.handwriting import data as hd

    root = default_data_root()
    rng = np.random.default_rng(2021)
    sets = {"mnist_train": hd.load_mnist_sample(root, "train")[:2], "bhmsds_train": hd.load_bhmsds(root, "train")[:2],
            "mdas_train": hd.load_mdas(root, "train")[:2], "pendigits_train": hd.load_pendigits(root, "train", rng)[:2]}
    bank = SymbolBank(sets, rng, split="train")
    lines = [(t, compose_line(t, bank, rng)) for t in (random_line(rng) for _ in range(n_lines))]
    ab_bank = SymbolBank(sets, np.random.default_rng(2022), digit_sources=("mnist", "bhmsds"), split="train")
    ab = [(t, compose_line(t, ab_bank, rng)) for t in (line_text(rng, "a+b") for _ in range(n_ab))]
    return lines, ab


def run_composed(rec, show: int) -> None:
    """Lines of clean training symbols read exactly: what a cut that breaks clean digits costs."""
    for name, lines in zip(("composed lines", "a+b lines"), composed_lines()):
        ok, cpu, bad = 0, [], []
        for text, img in lines:
            t0 = time.process_time()
            got = rec.read_image(img).expression
            cpu.append(time.process_time() - t0)
            want = text.replace("\u00b7", "\u00d7")
            ok += got == want
            if got != want:
                bad.append(f"{want} \u2192 {got}")
        print(f"{name} (training images): {ok}/{len(lines)} = {100 * ok / len(lines):.2f}%; "
              f"median {1000 * float(np.median(cpu)):.1f} ms CPU")
        if show:
            print("  " + "; ".join(bad[:show]))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--pen", action="store_true", help="also read the lines as pen strokes")
    ap.add_argument("--show", type=int, default=0, help="print this many misreads with their causes")
    ap.add_argument("--composed", action="store_true",
                    help="read lines composed from the symbol sets' training images instead")
    ap.add_argument("--model", default=None, help="a recognizer folder (default: the app's)")
    args = ap.parse_args(argv)
    rec = load_recognizer(args.model)
    if args.composed:
        run_composed(rec, args.show)
        return 0
    spliced, runs = training_lines(args.n)
    total: Counter = Counter()
    for name, lines in (("spliced", spliced), ("runs on the line", runs)):
        causes, *_ = run(rec, lines, name, args.pen, args.show)
        total.update(causes)
    by_kind: Counter = Counter()
    for c, k in total.items():
        if not c.startswith("line:"):
            how = c.split(" (")[1].split(")")[0] if " (" in c else ""
            by_kind[c.split(" ")[0] + (f" ({how})" if how else "")] += k
    print("\nmisread lines by cause:", dict(sorted((k, v) for k, v in total.items() if k.startswith("line:"))))
    print("causes by kind:", dict(by_kind.most_common()))
    print("causes:")
    for c, k in total.most_common(60):
        if not c.startswith("line:"):
            print(f"  {k:4d}  {c}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
