"""Copy a trained calculator folder into resources/models as a bundled model.

Why a script: a bundled model ships without its optimizer state (Adam's moments double or
treble the file, and users do not resume bundled models), under its bundled name, with a
card that says how it was made (the recipe chain), so every bundled model is reproducible.

    python training/bundle.py RUN_FOLDER NAME [--recipe "how it was trained"] [--set KEY=JSON ...]

``--set hparams.init_from='"arith3-longdiv"'`` rewrites a card field (dotted path, JSON value):
a run started from a scratch path records the recipe's model name instead.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run", type=Path, help="the trained model folder (model.keras + card.json)")
    ap.add_argument("name", help="the bundled model's name (resources/models/NAME)")
    ap.add_argument("--recipe", default=None, help="how it was trained, for the card")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=JSON")
    args = ap.parse_args(argv)

    import keras

    import calcapp.arithmetic.keras_layer  # noqa: F401  (registers the layer)
    from calcapp.nets.registry import (CARD_NAME, MODEL_NAME, read_card, without_optimizer,
                                     write_json_atomic, writing_model_folder)

    card = read_card(args.run)
    model = keras.saving.load_model(args.run / MODEL_NAME, safe_mode=True, compile=False)
    bare = without_optimizer(model)
    card["name"] = args.name
    card.setdefault("config", {})["name"] = args.name
    before = (args.run / MODEL_NAME).stat().st_size
    for item in args.set:
        key, value = item.split("=", 1)
        *path, last = key.split(".")
        node = card
        for part in path:
            node = node.setdefault(part, {})
        node[last] = json.loads(value)
    dest = ROOT / "resources" / "models" / args.name
    with writing_model_folder(dest) as tmp:
        bare.save(tmp / MODEL_NAME)
        after = (tmp / MODEL_NAME).stat().st_size
        training = card.setdefault("training", {})
        if args.recipe:
            training["recipe"] = args.recipe
        training["optimizer_state"] = (f"stripped for size ({before / 1e6:.1f} -> {after / 1e6:.1f} MB); "
                                       "resuming from this folder starts Adam afresh")
        write_json_atomic(tmp / CARD_NAME, card)
    print(f"{dest}: {after / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
