"""Recipe: the seed's end-to-end model (digit images of "294+61" -> "355").

    python training/e2e_sum.py --recognizer resources/models/recognizer --out resources/models/e2e-sum

Sequences are built from the *training* parts of the real digit sets (MNIST sample,
bhmsds, pendigits drawn as ink) and real '+' images (bhmsds, mdas); it is measured on
sequences built only from the held-out parts. The CNN is the recognizer's frozen trunk, so
the LSTM encoder-decoder is trained on precomputed per-image features (the same math as
the assembled TimeDistributed model, much cheaper), then assembled and measured on images.
Reuses the data cache written by training/recognizer.py.

The LSTM reads the recognizer's class probabilities, so a trained encoder-decoder carries
over to a better recognizer with ``--resume``. The bundled model (card: training.chain):
40 epochs from scratch and 40 resumed at lr 1e-3 on an intermediate recognizer, 15 on v5, then

    python training/e2e_sum.py --recognizer resources/models/recognizer --resume --epochs 10 --lr 5e-4
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

from calcapp.ink.synth import LABELS  # noqa: E402
import e2e_sum_model as E  # noqa: E402  (beside this script)

DIGIT_SOURCES = ("mnist", "bhmsds", "pendigits")
PLUS_SOURCES = ("bhmsds", "mdas")


def bank(sets: dict, split: str, digit_sources=DIGIT_SOURCES):
    """All digit and '+' images of one split, with per-class index pools; last row blank."""
    plus = LABELS.index("+")
    xs, ys = [], []
    for src in sorted(set(digit_sources) | set(PLUS_SOURCES)):
        key = f"{src}_{split}"
        if key not in sets:
            continue
        x, y = sets[key]
        keep = (y < 10) if src in digit_sources else np.zeros(len(y), bool)
        if src in PLUS_SOURCES:
            keep |= y == plus
        xs.append(x[keep])
        ys.append(y[keep])
    x = np.concatenate(xs + [np.zeros((1, 28, 28), np.float32)])
    y = np.concatenate(ys + [np.array([-1])])
    pools = {d: np.nonzero(y == d)[0] for d in range(10)}
    return x, y, pools, np.nonzero(y == plus)[0], len(x) - 1


def held_out_sequences(sets, n: int, seed: int, digit_sources=DIGIT_SOURCES):
    """Test sequences from held-out images only (also used by the benchmark)."""
    x, _, pools, plus, blank = bank(sets, "test", digit_sources)
    rng = np.random.default_rng(seed)
    pairs = E.sample_texts(n, rng)
    idx = E.make_index_sequences(pairs, pools, plus, rng, blank)
    return x[idx], pairs


def main(argv=None) -> int:
    root = Path(__file__).resolve().parents[1]
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--recognizer", default=str(root / "resources/models/recognizer"))
    ap.add_argument("--out", default=str(root / "resources/models/e2e-sum"))
    ap.add_argument("--cache", default="/tmp/calcapp_hw_cache.npz")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--per-epoch", type=int, default=60000)
    ap.add_argument("--units", type=int, default=128)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--resume", action="store_true",
                    help="continue training the encoder-decoder saved in --out (the CNN is --recognizer's)")
    ap.add_argument("--trunk-layer", default=None,
                    help="read this recognizer layer's output instead of its class probabilities")
    args = ap.parse_args(argv)

    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    import keras

    from calcapp.handwriting.data import default_data_root
    from training.recognizer import load_all

    keras.utils.set_random_seed(args.seed)
    t0 = time.time()
    sets = load_all(default_data_root(), args.seed, Path(args.cache))
    rec = keras.saving.load_model(Path(args.recognizer) / "model.keras", safe_mode=True)
    trunk = E.trunk_of(rec, args.trunk_layer)
    xb, _, pools, plus, blank = bank(sets, "train")
    feats = trunk.predict(xb[..., None], batch_size=1024, verbose=0)
    xt, _, tpools, tplus, tblank = bank(sets, "test")
    tfeats = trunk.predict(xt[..., None], batch_size=1024, verbose=0)
    rng = np.random.default_rng(args.seed)
    vpairs = E.sample_texts(2000, np.random.default_rng(args.seed + 1))
    vidx = E.make_index_sequences(vpairs, tpools, tplus, np.random.default_rng(args.seed + 2), tblank)
    vy = np.array([E.encode_sum(a + b) for a, b in vpairs])
    print(f"features ready in {time.time() - t0:.0f}s: bank {len(xb)}, test bank {len(xt)}", flush=True)

    if args.resume:  # continue training the saved encoder-decoder, reading --recognizer's output
        old = keras.saving.load_model(Path(args.out) / "model.keras", safe_mode=True)
        head = old.get_layer("e2e_head")
        before = json.loads((Path(args.out) / "card.json").read_text(encoding="utf-8")).get("training", {})
    else:
        head = E.build_head(feats.shape[1], args.units)
    head.compile(optimizer=keras.optimizers.Adam(args.lr), loss="sparse_categorical_crossentropy")
    best, best_w, history = -1.0, None, []
    for epoch in range(1, args.epochs + 1):
        pairs = E.sample_texts(args.per_epoch, rng)
        idx = E.make_index_sequences(pairs, pools, plus, rng, blank)
        y = np.array([E.encode_sum(a + b) for a, b in pairs])
        h = head.fit(feats[idx], y, batch_size=128, epochs=1, verbose=0)
        pred = head.predict(tfeats[vidx], batch_size=1024, verbose=0).argmax(-1)
        exact = float((pred == vy).all(axis=1).mean())
        char = float((pred == vy).mean())
        history.append({"epoch": epoch, "loss": round(float(h.history["loss"][-1]), 4),
                        "held_out_exact": round(exact, 4)})
        print(f"epoch {epoch}: loss {h.history['loss'][-1]:.4f} held-out char {char:.4f} exact {exact:.4f} "
              f"{time.time() - t0:.0f}s", flush=True)
        if exact > best:
            best, best_w = exact, head.get_weights()
    head.set_weights(best_w)

    model = E.assemble(trunk, head)
    timgs, tpairs = held_out_sequences(sets, 2000, args.seed + 7)
    got = E.predict_sums(model, timgs)
    exact = float(np.mean([g == str(a + b) for g, (a, b) in zip(got, tpairs)]))
    print(f"assembled model, fresh held-out sequences: exact {exact:.4f}", flush=True)
    card = {
        "name": "e2e-sum",
        "kind": "e2e-sum",
        "architecture": f"TimeDistributed(recognizer CNN, frozen; {args.trunk_layer or 'class probabilities'}) -> "
                        f"LSTM({args.units}) encoder -> "
                        f"RepeatVector({E.OUT_LEN}) -> LSTM({args.units}) decoder -> softmax over '0-9 '",
        "task": {"name": "image-sequence-sum", "operands": "1-3 digits each, a+b",
                 "input": f"{E.SEQ_LEN} images 28x28, left-aligned, blank-padded",
                 "output": f"{E.OUT_LEN} characters, left-aligned, space-padded"},
        "data": {"train": "sequences of training-split digit and '+' images of mnist sample, bhmsds, "
                          "pendigits (drawn as ink), mdas; fresh sequences every epoch",
                 "held_out": "sequences of held-out images only"},
        "training": {"epochs": args.epochs, "resumed": args.resume, "lr": args.lr,
                     "sequences_per_epoch": args.per_epoch,
                     "recognizer": str(args.recognizer), "seconds": round(time.time() - t0),
                     "history": history,
                     **({"before_resume": before} if args.resume else {})},
        "metrics": {"exact_match": round(exact, 4), "n": len(tpairs)},
        "versions": {"keras": keras.__version__, "tensorflow": tf.__version__, "numpy": np.__version__},
    }
    _save(model, Path(args.out), card)
    print(f"saved {args.out}", flush=True)
    return 0


def _save(model, folder: Path, card: dict) -> None:
    """model.keras + card.json, swapped into place (no NumPy export: Keras-only model)."""
    from calcapp.nets.registry import without_optimizer, write_json_atomic, writing_model_folder

    bare_head = without_optimizer(model.get_layer("e2e_head"))  # --resume compiles afresh
    with writing_model_folder(folder) as tmp:
        E.assemble(model.get_layer("read_each").layer, bare_head).save(tmp / "model.keras")
        write_json_atomic(tmp / "card.json", card)


if __name__ == "__main__":
    raise SystemExit(main())
