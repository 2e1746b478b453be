"""Recipe step: the picture view's training material as one ``.npz``, for a lent GPU.

    python training/recognizer_arrays.py --out .gpu/recognizer_arrays.npz --crohme-copies 4

A GPU machine lent for minutes cannot read ``../shared/data`` and has no time to draw ink, so
everything ``training/recognizer_gpu.py`` needs is drawn here, on the CPU, through the same
normalisation the app uses, and stored as uint8 images (``x``), labels (``y``), where each
image came from (``source``) and whether it belongs to the validation side (``val``: the
CROHME validation writers, MNIST sample images 3500-3999 and the last tenth of each class of
the bhmsds, mdas and pendigits training parts, all kept out of training while candidates are
compared). The held-out side of every set is never written here.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from calcapp.handwriting import data as hd  # noqa: E402
from calcapp.handwriting.crohme import validation_writer  # noqa: E402

SOURCES = ("mnist", "bhmsds", "mdas", "pendigits", "synthetic", "crohme")
MNIST_VAL_FROM = 3500  # of the sample's 4,000 training images, the last 500 judge the comparison
VAL_SHARE = 10  # bhmsds, mdas, pendigits: one row in this many (each class's last) judges too


def crohme_train(root: Path, rng: np.random.Generator, copies: int):
    """Training writers' calculator symbols, ``copies`` rows each (``data.crohme_variants``: the
    ink as written first), with a flag for the validation writers."""
    ims, labs, writers = zip(*hd.crohme_variants(root, "train", rng, copies))
    return np.stack(ims), np.array(labs), np.array([validation_writer(w) for w in writers])


def main(argv=None) -> int:
    from training.recognizer import SYNTH

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(hd.default_data_root()))
    ap.add_argument("--out", required=True)
    ap.add_argument("--crohme-copies", type=int, default=4)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    root, rng, t0 = Path(args.data), np.random.default_rng(args.seed), time.time()
    parts = {
        "mnist": hd.load_mnist_sample(root, "train")[:2],
        "bhmsds": hd.load_bhmsds(root, "train")[:2],
        "mdas": hd.load_mdas(root, "train")[:2],
        "pendigits": hd.load_pendigits(root, "train", rng)[:2],
        "synthetic": hd.synth_set(SYNTH, rng)[:2],
    }
    vals = {k: np.zeros(len(v[1]), bool) for k, v in parts.items()}
    vals["mnist"][MNIST_VAL_FROM:] = True
    for name in ("bhmsds", "mdas", "pendigits"):  # the last tenth of each class's training rows
        y = parts[name][1]
        for lab in np.unique(y):
            rows = np.flatnonzero(y == lab)
            vals[name][rows[len(rows) - len(rows) // VAL_SHARE:]] = True
    cx, cy, cv = crohme_train(root, rng, args.crohme_copies)
    parts["crohme"], vals["crohme"] = (cx, cy), cv
    x = np.concatenate([parts[s][0] for s in SOURCES])
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp.npz")
    np.savez_compressed(
        tmp, x=np.clip(np.rint(x * 255), 0, 255).astype(np.uint8),
        y=np.concatenate([parts[s][1] for s in SOURCES]).astype(np.uint8),
        source=np.concatenate([np.full(len(parts[s][1]), i, np.uint8) for i, s in enumerate(SOURCES)]),
        val=np.concatenate([vals[s] for s in SOURCES]),
        sources=np.array(SOURCES), labels=np.array(hd.LABELS), copies=np.array(args.crohme_copies))
    tmp.replace(out)
    print(f"{out}: {len(x)} images in {time.time() - t0:.0f}s; "
          + ", ".join(f"{s} {len(parts[s][1])}" for s in SOURCES)
          + f"; validation {int(np.concatenate(list(vals.values())).sum())}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
