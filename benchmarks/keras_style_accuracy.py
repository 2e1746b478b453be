"""Per-position accuracy with the padding counted, the way the seeds' Keras logs print it.

The seeds report Keras' ``accuracy`` over every output position, padding included (easy
positions), while our cards report character accuracy over the answer only. To set a model
beside a seed's figure, measure it the seed's way:

    python benchmarks/keras_style_accuracy.py resources/models/arith3 [--n 5000]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from calcapp.expr.datagen import generate  # noqa: E402
from calcapp.arithmetic.model import architectures as A  # noqa: E402
from calcapp.arithmetic import data as D  # noqa: E402
from calcapp.arithmetic.model.weights import read_keras_file  # noqa: E402
from calcapp.nets.numpy_ops import ops  # noqa: E402
from calcapp.nets.registry import find_model  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", nargs="+", help="model NAME or folder")
    ap.add_argument("--n", type=int, default=5000)
    args = ap.parse_args()
    for name in args.model:
        info = find_model(name)
        cfg, W = read_keras_file(info.keras_path)
        spec, hp = info.task, info.card.get("hparams", {})
        test = generate(spec, args.n, seed=hp.get("seed", 0), split="test", holdout=hp.get("holdout", 0.05))
        x = D.encode_inputs(spec, cfg, [spec.model_input(e.text) for e in test])
        _, y = D.encode_targets(spec, cfg, [e.target for e in test], [spec.model_input(e.text) for e in test])
        out = A.forward(ops, W, cfg, x)
        pred = (out["logits"] if isinstance(out, dict) else out).argmax(-1)
        print(f"{info.name}: per-position accuracy incl. padding {(pred == y).mean():.4f}, "
              f"exact {(pred == y).all(1).mean():.4f} (n={len(test)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
