"""Issue 21's symbol goals for several recognizers side by side, measured in one sitting.

    python benchmarks/handwriting_symbols.py --model v7=resources/models/recognizer --model new=/tmp/rec

Everything read here is held out from the recognizers' training: the MNIST sample's images
4000-4999 (the card trains on 0-3999), bhmsds' last 15% of each class, mdas' ``val-`` files,
pendigits' last 1,500 lines, and the CROHME writer groups of the held-out side of the split
(calcapp/handwriting/crohme.py). Several models in one run share the load of the machine, so
their figures compare; each run's figures are kept in handwriting_symbols.json under its tag
and the section of benchmarks/results/handwriting.md shows every tag as a column.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from benchmarks.handwriting_real import confusion_md, pct, pendigits, symbols  # noqa: E402
from benchmarks.results_sections import replace_section  # noqa: E402
from calcapp.handwriting import crohme  # noqa: E402
from calcapp.handwriting import data as hd  # noqa: E402
from calcapp.handwriting.recognizer import Recognizer  # noqa: E402
from calcapp.ink.synth import LABELS  # noqa: E402

RESULTS = ROOT / "benchmarks/results"
SECTION = "## Symbol goals on held-out material, models side by side (issue 21)"
IMAGE_OPS = "+-\u00d7\u00f7/."
CROHME_OPS = "+-\u00d7\u00f7/" + "".join(crohme.DOTS)
ROWS = [("MNIST sample 4000-4999, the symbol alone (19 classes)", "mnist", "99.5%"),
        ("the same digits, each written alone and read by the app (image, segmentation, line decoder)",
         "mnist_app", ""),
        ("the same digits, the network's likeliest digit", "mnist_digit", ""),
        ("bhmsds digits", "bhmsds_digits", ""),
        ("image operators + - × ÷ / · (bhmsds, mdas val; bhmsds' letter x left out)", "image_ops", "99.5%"),
        ("CROHME held-out writers: calculator-class symbols", "crohme_symbols", ""),
        ("CROHME held-out writers: digits", "crohme_digits", ""),
        ("CROHME held-out writers: operators + - × ÷ / and the dots", "crohme_ops", "99.5%"),
        ("CROHME held-out writers: ( ) =", "crohme_brackets_equals", ""),
        ("pendigits, held-out tail of the file, read from strokes", "pendigits", "99%")]


def mnist_raw(root: Path):
    """The held-out MNIST images as the file has them (ink dark on white for ``read_image``)."""
    f = root / "mnist" / "mnist_test_0-4999.npz"
    d = np.load(f)
    return 1.0 - d["x"][4000:] / 255.0, d["y"][4000:]


def image_part(rec: Recognizer, sets: dict, root: Path) -> dict:
    """The image sets' rows and the image operators' labels and readings (for the confusion)."""
    xm, ym = sets["mnist_test"]
    pm = rec.probabilities(xm)
    raw, raw_y = mnist_raw(root)
    app = [rec.read_image(im).expression == str(lab) for im, lab in zip(raw, raw_y)]
    xb, yb = sets["bhmsds_test"]
    dig = yb < 10
    ops = [LABELS.index(o) for o in IMAGE_OPS]
    keep = np.isin(yb, ops) & (yb != LABELS.index("\u00d7"))  # bhmsds 'x' is the letter
    xo = np.concatenate([xb[keep], sets["mdas_test"][0]])
    yo = np.concatenate([yb[keep], sets["mdas_test"][1]])
    po = rec.probabilities(xo).argmax(1)
    return {"mnist": float((pm.argmax(1) == ym).mean()), "n_mnist": int(len(ym)),
            "mnist_digit": float((pm[:, :10].argmax(1) == ym).mean()), "n_mnist_digit": int(len(ym)),
            "mnist_app": float(np.mean(app)), "n_mnist_app": len(app),
            "bhmsds_digits": float((rec.probabilities(xb[dig]).argmax(1) == yb[dig]).mean()),
            "n_bhmsds_digits": int(dig.sum()),
            "image_ops": float((po == yo).mean()), "n_image_ops": int(len(yo)),
            "image_ops_confusion": confusion_md([LABELS[i] for i in yo], [LABELS[i] for i in po])}


def crohme_part(rec: Recognizer, root: Path) -> dict:
    labels, pred = symbols(rec, root)

    def acc(keep):
        pairs = [(t, p) for t, p in zip(labels, pred) if keep(t)]
        return (float(np.mean([t == p for t, p in pairs])) if pairs else None), len(pairs)

    out = {}
    for key, keep in (("crohme_symbols", lambda t: True), ("crohme_digits", str.isdigit),
                      ("crohme_ops", lambda t: t in CROHME_OPS), ("crohme_brackets_equals", lambda t: t in "()=")):
        out[key], out["n_" + key] = acc(keep)
    ops = [(t, p) for t, p in zip(labels, pred) if t in CROHME_OPS]
    out["crohme_ops_confusion"] = confusion_md([t for t, _ in ops], [p for _, p in ops])
    return out


def measure(rec: Recognizer, sets: dict, root: Path, quick: bool) -> dict:
    t0 = time.process_time()
    res = {"model": str(rec.folder), "version": rec.card.get("version")}
    res.update(image_part(rec, sets, root))
    res.update(crohme_part(rec, root))
    res["pendigits"], res["n_pendigits"] = pendigits(rec, root, quick)
    res["cpu_seconds"] = round(time.process_time() - t0)
    return res


def write_section(store: dict, out: Path) -> None:
    tags = list(store)
    last = store[tags[-1]]
    lines = [SECTION, "", "Produced by `python benchmarks/handwriting_symbols.py --model TAG=FOLDER ...`; the "
             "models of one run are measured in the same sitting. Held out from every model here: MNIST "
             "sample images 4000-4999 (training reads 0-3999), bhmsds' last 15% per class, mdas' val- files, "
             "pendigits' last 1,500 lines, CROHME writer groups with sha256(writer)[0] < 51. CROHME rows "
             "fuse both views of the ink; a dot read as `.` is right for a decimal point or a "
             "multiplication dot (the network has one dot class; the line decoder tells them apart by "
             "place).", "",
             "| what | goal | " + " | ".join(tags) + " |", "|---|---" + "|---" * len(tags) + "|"]
    for what, key, goal in ROWS:
        n = last.get("n_" + key)
        lines.append(f"| {what}{f' (n={n})' if n else ''} | {goal or '-'} | "
                     + " | ".join(pct(store[t].get(key)) for t in tags) + " |")
    for t in tags[-2:]:
        lines += ["", f"Image operators, true \u00d7 read ({t}):", ""] + store[t]["image_ops_confusion"]
        lines += ["", f"CROHME held-out operators, true \u00d7 read ({t}):", ""] + store[t]["crohme_ops_confusion"]
    replace_section(out, SECTION, lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", action="append", required=True, metavar="TAG=FOLDER")
    ap.add_argument("--cache", default="/tmp/calcapp_hw_cache.npz", help="training/recognizer.py's data cache")
    ap.add_argument("--quick", action="store_true", help="every third pendigits line")
    ap.add_argument("--out", default=str(RESULTS / "handwriting.md"))
    args = ap.parse_args(argv)
    root = hd.default_data_root()
    models = []
    for spec in args.model:
        tag, sep, folder = spec.partition("=")
        if not sep or not tag or not (Path(folder) / "card.json").is_file():
            print(f"--model wants TAG=FOLDER with a recognizer in FOLDER, not {spec!r}")
            return 2
        models.append((tag, Path(folder)))
    if not crohme.lines_path(root).is_file() or not (root / "mnist").is_dir():
        print(f"no CROHME ink or MNIST sample under {root}")
        return 2
    sys.path.insert(0, str(ROOT / "training"))
    from recognizer import load_all  # training/recognizer.py: the same splits and cache

    sets = load_all(root, 0, Path(args.cache))
    store_path = RESULTS / "handwriting_symbols.json"
    store = json.loads(store_path.read_text(encoding="utf-8")) if store_path.is_file() else {}
    for tag, folder in models:
        store.pop(tag, None)  # a re-measured tag moves to the end
        store[tag] = measure(Recognizer(folder), sets, root, args.quick)
        print(tag, {k: v for k, v in store[tag].items() if not isinstance(v, list)}, flush=True)
    tmp = store_path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(store, indent=1, ensure_ascii=False), encoding="utf-8")
    tmp.replace(store_path)
    write_section(store, Path(args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
