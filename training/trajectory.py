"""Recipe: train the pen-trajectory network and add it to a recognizer folder.

    python training/trajectory.py --model resources/models/recognizer --threads 1

Trains on CROHME training writers' symbols (writer-style variants too), pendigits' training
part and synthetic ink; chooses the fusion weight on validation writers (training side of the
writer split, kept out of this network's training: sha256(writer)[0] in [51, 77)); measures
on the held-out writers. Writes ``trajectory.npz`` into the folder and a ``trajectory`` entry
into its card (the image network's files are left as they are).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

from calcapp.handwriting import crohme  # noqa: E402
from calcapp.handwriting import data as hd  # noqa: E402
from calcapp.handwriting.trajectory import N_FEATURES, features, fuse  # noqa: E402
from calcapp.ink.imagenorm import normalise_strokes  # noqa: E402
from calcapp.ink.synth import LABELS, pendigit_strokes, symbol_strokes  # noqa: E402
from training.companion import save_companion, use_threads  # noqa: E402

SYNTH = {**{lab: 60 for lab in LABELS}, "(": 600, ")": 600, "=": 600, ".": 600, "\u00f7": 600, "\u00d7": 300,
         "/": 300}


def build(root: Path, rng, copies: int, dot_copies: int = 0):
    """(features, labels) for train; (features, images, labels) for validation and test;
    ``dot_copies`` more writer-style variants of each training dot (a rare class whose
    dash-like multiplication dots are otherwise outvoted by short minus signs)."""
    tr_x, tr_y = [], []
    val, test = ([], [], []), ([], [], [])
    for lab, strokes, h, w in crohme.calculator_symbols(root, "all"):
        y = LABELS.index("." if lab in crohme.DOTS else lab)
        if crohme.held_out(w) or crohme.validation_writer(w):
            dest = test if crohme.held_out(w) else val
            dest[0].append(features(strokes, h))
            dest[1].append(normalise_strokes(strokes, h))
            dest[2].append(y)
            continue
        for k in range(copies + (dot_copies if lab in crohme.DOTS else 0)):
            ink = strokes if k == 0 else hd.writer_augment(strokes, rng)
            tr_x.append(features(ink, h * float(rng.uniform(0.8, 1.25))))
            tr_y.append(y)
    for vals, lab in hd.read_pendigits(root, "train"):
        ink = pendigit_strokes(vals)
        size = max(max(s.bbox()[2], s.bbox()[3]) for s in ink)
        tr_x.append(features(hd.writer_augment(ink, rng), size * float(rng.uniform(0.9, 1.2))))
        tr_y.append(int(lab))
    for lab, n in SYNTH.items():
        for _ in range(n):
            ink = symbol_strokes(lab, rng, strength=float(rng.uniform(0.5, 1.6)))
            tr_x.append(features(ink, 100.0 * float(rng.uniform(0.8, 1.25))))
            tr_y.append(LABELS.index(lab))
    arr = lambda t: (np.array(t[0], np.float32), np.array(t[1], np.float32), np.array(t[2]))  # noqa: E731
    return np.array(tr_x, np.float32), np.array(tr_y), arr(val), arr(test)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(hd.default_data_root()))
    ap.add_argument("--model", default=str(Path(__file__).resolve().parents[1] / "resources/models/recognizer"))
    ap.add_argument("--weigh-with", default="",
                    help="recognizer whose image network picks the fusion weight (one that never saw CROHME)")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--copies", type=int, default=3)
    ap.add_argument("--dot-copies", type=int, default=0, help="extra variants of each training writers' dot")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    import tensorflow as tf

    use_threads(tf, args.threads)
    import keras
    from keras import layers

    from calcapp.handwriting.recognizer import Recognizer

    keras.utils.set_random_seed(args.seed)
    t0 = time.time()
    x, y, val, test = build(Path(args.data), np.random.default_rng(args.seed), args.copies,
                             args.dot_copies)
    print(f"features in {time.time() - t0:.0f}s: train {len(x)}, val {len(val[2])}, test {len(test[2])}", flush=True)
    inp = keras.Input((N_FEATURES,))
    h = layers.Dense(256, activation="relu")(inp)
    h = layers.Dropout(0.2)(h)
    h = layers.Dense(128, activation="relu")(h)
    out = layers.Dense(len(LABELS))(h)
    model = keras.Model(inp, out)
    model.compile(keras.optimizers.Adam(1e-3), keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    scratch = Path(tempfile.mkdtemp(prefix="traj-"))  # its own checkpoint: two trainings at once do not mix
    best = keras.callbacks.ModelCheckpoint(str(scratch / "best.weights.h5"), monitor="val_accuracy",
                                           save_best_only=True, save_weights_only=True)
    model.fit(x, y, batch_size=256, epochs=args.epochs, validation_data=(val[0], val[2]), verbose=2,
              callbacks=[best, keras.callbacks.ReduceLROnPlateau(patience=3, factor=0.3)])
    model.load_weights(str(scratch / "best.weights.h5"))
    shutil.rmtree(scratch, ignore_errors=True)
    dense = [la for la in model.layers if isinstance(la, layers.Dense)]
    weights = {f"t{i}_{j}": np.asarray(w, np.float32) for i, la in enumerate(dense) for j, w in enumerate(la.get_weights())}
    spec = ["relu"] * (len(dense) - 1) + ["linear"]
    rec = Recognizer(Path(args.weigh_with or args.model))
    pen = lambda f: tf.nn.softmax(model.predict(f, verbose=0)).numpy()  # noqa: E731

    def accuracies(part, weight):
        pi, pp = rec.probabilities(part[1]), pen(part[0])
        return {"image": float((pi.argmax(1) == part[2]).mean()), "pen": float((pp.argmax(1) == part[2]).mean()),
                "fused": float((fuse(pi, pp, weight).argmax(1) == part[2]).mean())}

    scores = {w: accuracies(val, w)["fused"] for w in (0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0)}
    weight = max(scores, key=scores.get)
    rec = Recognizer(Path(args.model))
    held = accuracies(test, weight)
    print(f"validation fused by weight {scores}; held-out writers {held}", flush=True)
    folder = Path(args.model)
    entry = {
        "layers": spec, "weight": weight, "features": f"{N_FEATURES} (calcapp/handwriting/trajectory.py)",
        "architecture": f"dense {N_FEATURES}-256-128-{len(LABELS)}",
        "data": "CROHME training writers' calculator symbols (x%d with writer-style variants), pendigits "
                "training part, synthetic ink; validation: writers with sha256[0] in [51, 77)" % args.copies
                + (f"; each training dot x{args.copies + args.dot_copies}" if args.dot_copies else ""),
        "recipe": "python training/trajectory.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "validation_fused_by_weight": scores, "held_out_writers": held, "n_train": int(len(x)),
        "seconds": round(time.time() - t0)}
    save_companion(folder, "trajectory.npz", weights, "trajectory", entry)
    print(f"wrote {folder}/trajectory.npz", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
