"""Recipe: train the pair network (which two digits a piece of touching ink holds) into a recognizer folder.

    python training/pairs.py collect --out /tmp/pairs.npz --n 50000 --seed 12
    python training/pairs.py train --data /tmp/pairs.npz --model resources/models/recognizer
    python training/pairs.py images --out /tmp/pairs_img.npz
    python training/pairs.py train --data /tmp/pairs.npz /tmp/pairs_img.npz --model resources/models/recognizer \
        --init-from resources/models/recognizer --epochs 4 --lr 3e-4

Two digits of one *fitting* writer (the training side of the writer split, less the validation
writers of ``training/trajectory.py``, whose lines choose the decoder's settings) are set on one
line as ``benchmarks/handwriting_real.spliced_lines`` sets them, close enough to overlap, and
drawn as ``line_image`` draws a scan (28-56 px a line, 0.75-1.35x the pen). Only pairs whose
ink runs into one piece are kept: those are the pieces the decoder asks about. The class
``NOT_PAIR`` is taught with what else such a piece can be: one digit alone, and a digit touching
an operator or a point, either side. The second run adds the image sets' digits (``images``):
trained on pen writers alone, the network read a lone scanned '6' or '0' as two digits.
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
from calcapp.handwriting.pairs import HEIGHT, N_CLASSES, NOT_PAIR, PAIRS_NAME, WIDTH, normalise_pair  # noqa: E402
from calcapp.handwriting.pieces import MASK_THRESHOLD  # noqa: E402
from calcapp.ink.segment import connected_components  # noqa: E402

OTHERS = "+-\u00d7\u00f7/=.()"


def writers_symbols(exprs):
    """{writer: {label: [(symbol, expression height)]}} of line-sized calculator symbols."""
    from benchmarks.handwriting_real import CALC, _line_sized

    out: dict = {}
    for e in exprs:
        for s in e.symbols:
            lab = "." if s.label in crohme.DOTS else s.label
            if (lab in CALC or lab == ".") and _line_sized(s, e.height):
                out.setdefault(e.writer, {}).setdefault(lab, []).append((s, e.height))
    return {w: d for w, d in out.items() if sum(k.isdigit() for k in d) >= 4}


def place(syms, rng, gap, height: float = 100.0):
    """The symbols' strokes set left to right as a line, ``gap`` line heights apart."""
    from benchmarks.handwriting_real import _moved

    strokes, x = [], 0.0
    for s, h in syms:
        k = height / h
        bx, by, bw, bh = (v * k for v in s.box)
        if s.label.isdigit() or s.label in crohme.DOTS or s.label == ".":
            top = height - bh
        else:
            top = height / 2 - bh / 2
        top += rng.normal(0, 0.04 * height)
        strokes += _moved(s.strokes, x - bx, top - by, k)
        x += bw + height * gap
    return strokes


def one_piece(img: np.ndarray) -> np.ndarray | None:
    """The ink of a drawing that is one piece (specks aside), else ``None``."""
    ink = 1.0 - img
    comps = [c for c in connected_components(ink > MASK_THRESHOLD) if len(c) >= 4]
    return ink if len(comps) == 1 else None


def collect(args) -> int:
    from benchmarks.handwriting_real import line_image
    from calcapp.handwriting.data import default_data_root

    rng = np.random.default_rng(args.seed)
    exprs = [e for e in crohme.read_expressions(default_data_root(), "train") if not crohme.validation_writer(e.writer)]
    by_writer = writers_symbols(exprs)
    writers = sorted(by_writer)
    xs, ys, t0, tries = [], [], time.time(), 0
    want_not = int(args.n * args.not_share)
    n_not = 0
    while len(xs) < args.n:
        tries += 1
        have = by_writer[writers[rng.integers(len(writers))]]
        digits = sorted(k for k in have if k.isdigit())
        others = sorted(k for k in have if k in OTHERS)
        pick = lambda lab: have[lab][rng.integers(len(have[lab]))]  # noqa: E731
        kind = "pair" if n_not >= want_not or rng.random() > args.not_share else "not"
        if kind == "pair":
            a, b = digits[rng.integers(len(digits))], digits[rng.integers(len(digits))]
            syms, y = [pick(a), pick(b)], 10 * int(a) + int(b)
        elif rng.random() < args.single_share or not others:
            syms, y = [pick(digits[rng.integers(len(digits))])], NOT_PAIR
        else:
            d, o = pick(digits[rng.integers(len(digits))]), pick(others[rng.integers(len(others))])
            syms, y = ([d, o] if rng.random() < 0.5 else [o, d]), NOT_PAIR
        px, pen = float(rng.choice([28, 34, 40, 48, 56])), float(rng.uniform(0.75, 1.35))
        strokes = place(syms, rng, float(rng.uniform(-0.35, 0.05)))
        ink = one_piece(line_image(strokes, 100.0, px, pen))
        if ink is None:
            continue
        xs.append(normalise_pair(ink))
        ys.append(y)
        n_not += y == NOT_PAIR
        if len(xs) % 5000 == 0:
            print(f"{len(xs)} pieces ({n_not} not pairs) from {tries} tries, {time.time() - t0:.0f} s", flush=True)
    np.savez_compressed(args.out, x=np.stack(xs).astype(np.float16), y=np.array(ys, np.int16),
                        recipe=np.array(args.command))
    print(f"{len(xs)} pieces, {time.time() - t0:.0f} s", flush=True)
    return 0


def collect_images(args) -> int:
    """Digits of the image sets' training parts (MNIST 0-3999, bhmsds' first 85%): each alone as
    ``NOT_PAIR`` (a wide '6' or '0' written alone is one digit), and two overlapped until their
    ink touches as a pair, so the pairs of scanned digits are read in their own style."""
    from calcapp.handwriting import data as hd
    from calcapp.handwriting.data import default_data_root

    rng = np.random.default_rng(args.seed)
    root = default_data_root()
    x, y = [], []
    for load in (hd.load_mnist_sample, hd.load_bhmsds):
        xi, yi = load(root, "train")[:2]
        keep = np.array([hd.LABELS[int(v)].isdigit() for v in yi], bool)
        x.append(xi[keep])
        y.append(np.array([int(hd.LABELS[int(v)]) for v in yi[keep]]))
    x, y = np.concatenate(x), np.concatenate(y)
    xs, ys = [], []
    while len(xs) < args.n:
        i = int(rng.integers(len(x)))
        if rng.random() < args.not_share:
            xs.append(normalise_pair(x[i]))
            ys.append(NOT_PAIR)
            continue
        j = int(rng.integers(len(x)))
        shift = int(rng.integers(12, 21))
        canvas = np.zeros((28, 28 + shift), np.float32)
        canvas[:, :28] = x[i]
        np.maximum(canvas[:, shift:], x[j], out=canvas[:, shift:])
        if len([c for c in connected_components(canvas > MASK_THRESHOLD) if len(c) >= 4]) != 1:
            continue
        xs.append(normalise_pair(canvas))
        ys.append(10 * int(y[i]) + int(y[j]))
    np.savez_compressed(args.out, x=np.stack(xs).astype(np.float16), y=np.array(ys, np.int16),
                        recipe=np.array(args.command))
    print(f"{len(xs)} pieces ({sum(v == NOT_PAIR for v in ys)} not pairs)", flush=True)
    return 0


def build(width: int, dense: int):
    import keras
    from keras import layers

    inp = keras.Input((HEIGHT, WIDTH, 1), name="image")
    x = layers.Conv2D(width, 3, activation="relu")(inp)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Conv2D(2 * width, 3, activation="relu")(x)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.4)(x)
    x = layers.Dense(dense, activation="relu")(x)
    x = layers.Dropout(0.3)(x)
    return keras.Model(inp, layers.Dense(N_CLASSES, activation="softmax")(x), name="pairs")


def train(args) -> int:
    import tensorflow as tf

    from calcapp.handwriting.cnn import _export_layers
    from training.companion import fit_epochs, save_companion, training_sets, use_threads

    use_threads(tf, args.threads)
    tf.keras.utils.set_random_seed(args.seed)
    x, y, tr, va, recipes = training_sets(args.data, args.seed)
    model = build(args.width, args.dense)
    if args.init_from:  # go on from an exported pair network (same shape)
        exported = [layer for layer in model.layers if type(layer).__name__ not in ("InputLayer", "Dropout")]
        with np.load(Path(args.init_from) / PAIRS_NAME) as z:  # numbered as cnn._export_layers numbers them
            for i, layer in enumerate(exported):
                if layer.get_weights():
                    layer.set_weights([z[f"q{i}_0"], z[f"q{i}_1"]])
    model.compile(optimizer=tf.keras.optimizers.Adam(args.lr), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    t0 = time.time()
    history = fit_epochs(model, x, y, tr, va, args.epochs)
    p = model.predict(x[va], verbose=0).argmax(1)
    folder = Path(args.model)
    arrays: dict = {}
    spec = _export_layers(model, arrays, "q")
    entry = {
        "layers": spec, "classes": "10 x first digit + second digit; 100: not two digits",
        "architecture": f"conv{args.width}-pool-conv{2 * args.width}-pool-dense{args.dense}-{N_CLASSES}, "
                        f"input {HEIGHT}x{WIDTH}",
        "data": "pairs of digits of one CROHME training writer (less the validation writers, sha256[0] in "
                "[51, 77)) set close enough that their ink runs into one piece, drawn at 28-56 px a line and "
                "0.75-1.35x the pen; not pairs: one digit, a digit touching an operator or a point",
        "n": int(len(y)), "not_pairs": int((y == NOT_PAIR).sum()),
        "recipe": recipes + [args.command],
        "history": history,
        "validation": {"accuracy": round(float((p == y[va]).mean()), 4),
                       "pairs": round(float((p == y[va])[y[va] != NOT_PAIR].mean()), 4),
                       "not_pairs": round(float((p == y[va])[y[va] == NOT_PAIR].mean()), 4)},
        "seconds": round(time.time() - t0)}
    save_companion(folder, PAIRS_NAME, arrays, "pairs", entry)
    print(f"wrote {folder}/{PAIRS_NAME}: {entry['validation']}", flush=True)
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("collect")
    c.add_argument("--out", required=True)
    c.add_argument("--n", type=int, default=50000)
    c.add_argument("--not-share", type=float, default=0.5)
    c.add_argument("--single-share", type=float, default=0.2, help="of the not-pairs, one digit alone")
    c.add_argument("--seed", type=int, default=12)
    t = sub.add_parser("train")
    t.add_argument("--data", required=True, nargs="+", help="one or more files that collect wrote")
    t.add_argument("--model", required=True)
    t.add_argument("--epochs", type=int, default=14)
    t.add_argument("--width", type=int, default=32)
    t.add_argument("--dense", type=int, default=128)
    t.add_argument("--threads", type=int, default=2)
    t.add_argument("--seed", type=int, default=3)
    t.add_argument("--lr", type=float, default=1e-3)
    t.add_argument("--init-from", default=None, help="a folder whose pair network to go on from")
    m = sub.add_parser("images")
    m.add_argument("--out", required=True)
    m.add_argument("--n", type=int, default=12000)
    m.add_argument("--not-share", type=float, default=0.5)
    m.add_argument("--seed", type=int, default=13)
    from training.companion import called

    args = ap.parse_args(argv)
    args.command = called("pairs.py", argv)
    return {"collect": collect, "images": collect_images, "train": train}[args.cmd](args)


if __name__ == "__main__":
    raise SystemExit(main())
