"""Recipe: train the piece network (one symbol, several, or part of one) into a recognizer folder.

    python training/pieces.py collect --out /tmp/pieces.npz [--lines 2500] [--composed 600]
    python training/pieces.py touching --out /tmp/touching.npz [--n 8000]
    python training/pieces.py train --data /tmp/pieces.npz /tmp/touching.npz [...] --model resources/models/recognizer

The line decoder reads an image line's touching ink whole or cut, and the symbol network
reads two touching digits whole as one digit, surely ('24' as '8' at 0.997), so the cut never
wins. This network is asked the other question: is this piece one whole symbol? Its data are
the very pieces the decoder weighs, taken while it reads lines of the *fitting* writers (the
training side of the writer split, less the validation writers of ``training/trajectory.py``),
each labelled by the truth symbols whose ink it holds. Lines are spliced from one writer's
symbols with real gaps and drawn at several sizes and pen widths; real runs and lines composed
from the image sets' training parts (clean digits that must stay whole) join them.
``touching`` adds what real lines hold too few of: a digit and an operator, bracket or point of
one such writer run into one piece. ``train`` fits a small CNN, writes ``pieces.npz`` and a
``pieces`` entry in the folder's card.
The bundled data were collected with a recognizer without a piece network (``--model`` a copy
of the folder without its ``pieces`` entry): the decoder's beam, and so the pieces it weighs,
would otherwise follow the network being replaced; they are collected again whenever the
decoder's cuts change (its pieces are what the network judges).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

from calcapp.handwriting import crohme  # noqa: E402
from calcapp.handwriting import line_decoder  # noqa: E402
from calcapp.handwriting.pieces import KINDS, MASK_THRESHOLD, PIECES_NAME  # noqa: E402
from calcapp.ink.imagenorm import normalise_ink  # noqa: E402
from calcapp.ink.segment import connected_components  # noqa: E402

SINGLE, JOINED, PART = (KINDS.index(k) for k in ("one", "several", "part"))


def label(seg, masks, whole) -> int | None:
    """Which kind this piece is, by the truth symbols' ink it holds; ``None`` when unclear
    (a symbol and a sliver of its neighbour). A part is only a piece of a symbol drawn in one
    piece of ink: a bar of an '=' or a dot of a '÷' alone is also a minus or a dot."""
    x, y = int(seg.box[0]), int(seg.box[1])
    h, w = seg.image.shape
    ink = seg.image > MASK_THRESHOLD
    n = int(ink.sum())
    if n < 3:
        return None
    inter = np.array([(m[y:y + h, x:x + w] & ink).sum() for m in masks], dtype=float)
    sizes = np.array([max(m.sum(), 1) for m in masks], dtype=float)
    share, cover = inter / n, inter / sizes
    main = int(share.argmax())
    others = [k for k in range(len(masks)) if k != main and (cover[k] >= 0.5 or (share[k] >= 0.1 and cover[k] >= 0.3))]
    if others and cover[main] >= 0.5:
        return JOINED
    if share[main] >= 0.9 and cover[main] >= 0.9:
        return SINGLE
    if share[main] >= 0.9 and cover[main] < 0.6 and whole[main]:
        return PART
    return None


class Catcher:
    """Records every image piece the line decoder weighs (``symbol_options``)."""

    def __init__(self):
        self.seen: list = []
        self._orig = line_decoder.symbol_options

    def __enter__(self):
        def spy(seg, *a, **k):
            if seg.image is not None:
                self.seen.append(seg)
            return self._orig(seg, *a, **k)

        line_decoder.symbol_options = spy
        return self

    def __exit__(self, *exc):
        line_decoder.symbol_options = self._orig


def pieces_of(rec, image, masks, whole, bias: dict):
    """(normalised images, kinds) of the pieces the decoder weighs while reading ``image``."""
    with Catcher() as c:
        rec.read_image(image)
    if any("unturn" in seg.extra for seg in c.seen):  # read turned level: its pieces are not where the truth is
        return [], []
    xs, ys, keys = [], [], set()
    for seg in c.seen:
        key = (seg.box, seg.image.shape, float(seg.image.sum()))
        if key in keys:
            continue
        keys.add(key)
        kind = label(seg, masks, whole)
        if kind is None:
            continue
        xs.append(normalise_ink(seg.image))
        ys.append(kind)
        bias[kind] = bias.get(kind, 0) + 1
    return xs, ys


def composed(n: int, rng):
    """(text, image, masks) lines composed from the image sets' training parts: symbols stand
    apart, so each one's ink is a run of inked columns."""
    from benchmarks.handwriting_bench import SymbolBank, compose_line, random_line
    from calcapp.handwriting import data as hd
    from calcapp.handwriting.data import default_data_root

    root = default_data_root()
    sets = {"mnist_train": hd.load_mnist_sample(root, "train")[:2], "bhmsds_train": hd.load_bhmsds(root, "train")[:2],
            "mdas_train": hd.load_mdas(root, "train")[:2], "pendigits_train": hd.load_pendigits(root, "train", rng)[:2]}
    bank = SymbolBank(sets, rng, split="train")
    out = []
    for _ in range(n):
        text = random_line(rng)
        img = compose_line(text, bank, rng, height=int(rng.integers(28, 56)))
        ink = (1.0 - img) > MASK_THRESHOLD
        cols = ink.any(axis=0)
        edges = np.flatnonzero(np.diff(np.r_[0, cols.astype(int), 0]))
        runs = list(zip(edges[::2], edges[1::2]))
        if len(runs) != len(text):
            continue
        masks = []
        for a, b in runs:
            m = np.zeros_like(ink)
            m[:, a:b] = ink[:, a:b]
            masks.append(m)
        out.append((text, img, masks))
    return out


def collect(args) -> int:
    from benchmarks.handwriting_image_tune import truth_masks
    from benchmarks.handwriting_real import line_image, real_gaps, real_runs, spliced_lines
    from calcapp.handwriting.data import default_data_root
    from calcapp.handwriting.recognizer import load_recognizer

    rng = np.random.default_rng(args.seed)
    rec = load_recognizer(args.model)
    exprs = [e for e in crohme.read_expressions(default_data_root(), "train") if not crohme.validation_writer(e.writer)]
    lines = spliced_lines(exprs, real_gaps(exprs), args.lines, rng, sizes=True) + real_runs(exprs, sizes=True) \
        if args.lines else []  # --lines 0: composed lines only
    xs, ys, bias, t0 = [], [], {}, time.time()
    for n, (text, strokes, h, _, counts) in enumerate(lines):
        px, pen = float(rng.choice([28, 34, 40, 48, 56])), float(rng.uniform(0.75, 1.35))
        img = line_image(strokes, h, px, pen)
        masks = truth_masks(strokes, counts, h, img.shape, px, pen)
        whole = [len(connected_components(m)) == 1 for m in masks]
        a, b = pieces_of(rec, img, masks, whole, bias)
        xs += a
        ys += b
        if n % 250 == 0:
            print(f"{n}/{len(lines)} lines, {len(xs)} pieces {bias}, {time.time() - t0:.0f} s", flush=True)
    for text, img, masks in composed(args.composed, rng):
        whole = [len(connected_components(m)) == 1 for m in masks]
        a, b = pieces_of(rec, img, masks, whole, bias)
        xs += a
        ys += b
    print(f"{len(xs)} pieces {bias}, {time.time() - t0:.0f} s", flush=True)
    np.savez_compressed(args.out, x=np.stack(xs).astype(np.float16), y=np.array(ys, np.int8),
                        recipe=np.array(args.command))
    return 0


TOUCHING = "+-\u00d7=()."  # what runs into a digit beside it in real writers' scans


def collect_touching(args) -> int:
    """A digit and an operator, bracket or point of one fitting writer run into one piece of
    ink, as *several*, and each such symbol alone as *one*. The pieces of real lines hold few of
    them, and the network said *one* at 0.7-0.98 to a minus or point touching a digit, so the
    decoder never cut them off ('641-322' read '64+322', '5.7' read '57')."""
    from benchmarks.handwriting_real import line_image
    from calcapp.handwriting.data import default_data_root
    from training.pairs import one_piece, place, writers_symbols

    rng = np.random.default_rng(args.seed)
    exprs = [e for e in crohme.read_expressions(default_data_root(), "train") if not crohme.validation_writer(e.writer)]
    by_writer = writers_symbols(exprs)
    writers = sorted(by_writer)
    xs, ys, t0 = [], [], time.time()
    while len(xs) < args.n:
        have = by_writer[writers[rng.integers(len(writers))]]
        digits = sorted(k for k in have if k.isdigit())
        others = sorted(k for k in have if k in TOUCHING)
        if not others:
            continue
        pick = lambda lab: have[lab][rng.integers(len(have[lab]))]  # noqa: E731
        d, o = pick(digits[rng.integers(len(digits))]), others[rng.integers(len(others))]
        if rng.random() < args.single_share:
            syms, kind = [d if rng.random() < 0.5 else pick(o)], SINGLE
        else:
            first = {"(": True, ")": False}.get(o, rng.random() < 0.5)  # '(' before a digit, ')' after
            syms, kind = ([pick(o), d] if first else [d, pick(o)]), JOINED
        px, pen = float(rng.choice([28, 34, 40, 48, 56])), float(rng.uniform(0.75, 1.35))
        strokes = place(syms, rng, float(rng.uniform(-0.1, 0.04)) if kind == JOINED else 0.0)  # touching, not crossed
        ink = one_piece(line_image(strokes, 100.0, px, pen))
        if ink is None:
            continue
        xs.append(normalise_ink(ink))
        ys.append(kind)
    np.savez_compressed(args.out, x=np.stack(xs).astype(np.float16), y=np.array(ys, np.int8),
                        recipe=np.array(args.command))
    print(f"{len(xs)} pieces ({sum(y == JOINED for y in ys)} several), {time.time() - t0:.0f} s", flush=True)
    return 0


def train(args) -> int:
    import tensorflow as tf

    from calcapp.handwriting.cnn import _export_layers, build_model
    from calcapp.handwriting.data import augment
    from training.companion import fit_epochs, save_companion, training_sets, use_threads

    use_threads(tf, args.threads)
    tf.keras.utils.set_random_seed(args.seed)
    x, y, tr, va, recipes = training_sets(args.data, args.seed)
    rng = np.random.default_rng(args.seed + 1)
    model = build_model(len(KINDS), args.width, args.dense)
    model.compile(optimizer=tf.keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    t0 = time.time()
    vary = (lambda xs: augment(xs[..., 0], rng, strength=0.5)[..., None]) if args.augment else None
    history = fit_epochs(model, x, y, tr, va, args.epochs, vary)
    p = model.predict(x[va], verbose=0)
    conf = np.zeros((len(KINDS), len(KINDS)), int)
    np.add.at(conf, (y[va], p.argmax(1)), 1)
    folder = Path(args.model)
    arrays: dict = {}
    spec = _export_layers(model, arrays, "p")
    entry = {
        "layers": spec, "kinds": list(KINDS),
        "architecture": f"conv{args.width}-pool-conv{2 * args.width}-pool-dense{args.dense}-{len(KINDS)}",
        "data": "pieces the line decoder weighs in image lines of CROHME training writers (less the validation "
                "writers, sha256[0] in [51, 77)): spliced lines and real runs drawn at 28-56 px a line and "
                "0.75-1.35x the pen, and lines composed from the MNIST/bhmsds/mdas/pendigits training parts; "
                "each piece labelled by the truth symbols whose ink it holds"
                + ("; and a digit with an operator, bracket or point of one such writer run into one piece "
                   "(several), or one of them alone (one)" if any(" touching " in r for r in recipes) else ""),
        "counts": {k: int((y == i).sum()) for i, k in enumerate(KINDS)},
        "recipe": recipes + [args.command],
        "history": history, "validation_confusion": conf.tolist(), "seconds": round(time.time() - t0)}
    save_companion(folder, PIECES_NAME, arrays, "pieces", entry)
    print(f"wrote {folder}/{PIECES_NAME}; validation confusion (rows true {KINDS}):\n{conf}", flush=True)
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("collect")
    c.add_argument("--out", required=True)
    c.add_argument("--lines", type=int, default=2500)
    c.add_argument("--composed", type=int, default=600)
    c.add_argument("--model", default=None)
    c.add_argument("--seed", type=int, default=7)
    o = sub.add_parser("touching")
    o.add_argument("--out", required=True)
    o.add_argument("--n", type=int, default=8000)
    o.add_argument("--single-share", type=float, default=0.3)
    o.add_argument("--seed", type=int, default=21)
    t = sub.add_parser("train")
    t.add_argument("--data", required=True, nargs="+", help="one or more files that collect wrote")
    t.add_argument("--model", required=True)
    t.add_argument("--epochs", type=int, default=6)
    t.add_argument("--width", type=int, default=16)
    t.add_argument("--dense", type=int, default=64)
    t.add_argument("--augment", action="store_true")
    t.add_argument("--threads", type=int, default=1)
    t.add_argument("--seed", type=int, default=3)
    from training.companion import called

    args = ap.parse_args(argv)
    args.command = called("pieces.py", argv)
    return {"collect": collect, "touching": collect_touching, "train": train}[args.cmd](args)


if __name__ == "__main__":
    raise SystemExit(main())
