"""Learns the user's hand: give the app k corrected symbols of a new writer, then read their next ones.

    python benchmarks/handwriting_personal.py [--fine-tune-writers N] [--set tau=0.03,weight=1]

Protocol (issue 21, "Learns the user's hand, measured"):
- writers: the held-out side of the fixed CROHME writer split (calcapp/handwriting/crohme.py),
  the side the bundled recognizer's card says it never trained on; calculator-class symbols
  only; writers with at least ``MIN_SYMBOLS`` of them;
- each writer's symbols in the data's order (expressions by id, symbols as written in them);
- the first k (k = 0, 5, 10, 20, 30, 50) are given to the app as corrections, through
  ``PersonalMemory.add``, the call a correction in the window makes (ui/main_window._save_sample);
- errors are counted on one test window per writer, the same for every k: the symbols after the
  50th, up to 200 of them. The no-loss check reads every other held-out writer's symbols with this
  writer's memory. Each symbol is read alone, with both views, as benchmarks/handwriting_real.py does.
- beside the memory, the other per-writer adaptations tried (a class bias, a linear correction of the
  last layer) and what each would reach if the app knew more of the writer's labels than the first k
  (benchmarks/personal_bounds.py), held-out and validation writers, in the same run;
- ``--fine-tune-writers N`` also measures the older path (``personal.fine_tune``: TensorFlow,
  picture view only) at k = 20 for the first N writers; it takes minutes per writer.
Results go to handwriting_personal.json and a section of benchmarks/results/handwriting.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from benchmarks import personal_bounds  # noqa: E402
from benchmarks.results_sections import replace_section  # noqa: E402
from calcapp.handwriting import crohme  # noqa: E402
from calcapp.handwriting.data import default_data_root  # noqa: E402
from calcapp.handwriting.memory import MemoryParams, PersonalMemory, embed, personalise  # noqa: E402
from calcapp.handwriting.recognizer import Recognizer  # noqa: E402
from calcapp.handwriting.trajectory import features  # noqa: E402
from calcapp.ink.imagenorm import normalise_strokes  # noqa: E402
from calcapp.paths import bundled_models_dir  # noqa: E402

RESULTS = ROOT / "benchmarks/results"
SECTION = "## Learning the user's hand (CROHME writers never trained on)"
KS = (0, 5, 10, 20, 30, 50)
MIN_SYMBOLS = 70
WINDOW = 200


def writer_symbols(root, validation: bool = False) -> dict[str, list]:
    """writer -> [(label, strokes, line height)] of the held-out (or validation) writers, in order."""
    out: dict[str, list] = defaultdict(list)
    for lab, strokes, h, w in crohme.calculator_symbols(root, "train" if validation else "test"):
        if not validation or crohme.validation_writer(w):  # settings are chosen on these
            out[w].append(("." if lab in crohme.DOTS else lab, strokes, h))
    return out


def network_views(rec, by_writer, cache: Path) -> dict:
    """Every held-out symbol read once by the network: probabilities and the memory's inputs.

    Cached by the weights' and the data's stamps: the k-curve then costs no network pass."""
    stamp = [(rec.folder / "weights.npz").stat().st_mtime_ns, sum(len(v) for v in by_writer.values())]
    if cache.is_file():
        with np.load(cache, allow_pickle=False) as z:
            if list(z["stamp"]) == stamp:
                return {k: z[k] for k in z.files}
    writers, labels, images, pens = [], [], [], []
    for w, syms in by_writer.items():
        for lab, strokes, h in syms:
            writers.append(w)
            labels.append(rec.labels.index(lab))
            images.append(normalise_strokes(strokes, h))
            pens.append(features(strokes, h))
    hid_image, hid_pen = [], []
    p = rec.probabilities(np.stack(images), hidden=hid_image)
    from calcapp.handwriting.trajectory import fuse

    p = fuse(p, rec.pen.probabilities(np.stack(pens), hidden=hid_pen), rec.pen_weight)
    out = {"stamp": np.array(stamp), "writer": np.array(writers), "y": np.array(labels), "p": p,
           "hid_image": np.concatenate(hid_image), "hid_pen": hid_pen[0], "pens": np.stack(pens),
           "images": np.stack(images).astype(np.float16)}
    np.savez(cache, **out)
    return out


def windows(views, big: list[str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """writer -> (indices of all their symbols in order, the test window)."""
    out = {}
    for w in big:
        ix = np.flatnonzero(views["writer"] == w)
        out[w] = (ix, ix[max(KS):max(KS) + WINDOW])
    return out


def memory_curve(rec, by_writer, views, big, params: MemoryParams, tmp: Path, ks=KS) -> dict:
    """Errors per writer and k, with corrections remembered through the app's own call."""
    q = embed(views["hid_image"], views["hid_pen"], views["pens"], params)
    y, p = views["y"], views["p"]
    res = {"own": {k: {} for k in ks}, "others": {k: {} for k in ks}, "literal20": {}}
    for w, (ix, test) in windows(views, big).items():
        others = np.flatnonzero(views["writer"] != w)
        memory = PersonalMemory(Path(tempfile.mkdtemp(dir=tmp)), params)  # a fresh one per writer and run
        rec.memory, given = memory, 0
        res["literal20"].setdefault(w, [0, 0, 0])
        for k in ks:
            for lab, strokes, h in by_writer[w][given:k]:
                memory.add(strokes, lab, line_h=h)
            given = k
            keys = rec.memory_keys(True)
            read = (lambda idx: p[idx].argmax(1)) if keys is None else (
                lambda idx: personalise(p[idx], q[idx], *keys[:2], params, keys[2]).argmax(1))
            res["own"][k][w] = [int((read(test) != y[test]).sum()), len(test)]
            res["others"][k][w] = [int((read(others) != y[others]).sum()), len(others)]
            if k == 20:  # the words: 20 corrections, then the next 200
                nxt = ix[20:20 + WINDOW]
                res["literal20"][w] = [int((p[nxt].argmax(1) != y[nxt]).sum()),
                                       int((read(nxt) != y[nxt]).sum()), len(nxt)]
                res.setdefault("left20", []).extend(_why_left(read, test, y, q, keys, rec.labels))
        _check_same_as_reading(rec, views, test, read(test))
    rec.memory = None
    return res


def _why_left(read, test, y, q, keys, labels) -> list[str]:
    """Each misread left after 20 corrections: 'absent' (its class was not among them), 'nearest'
    (its nearest remembered symbol has its class, yet the network wins) or 'other' (another class's is)."""
    bad = test[read(test) != y[test]]
    if keys is None:
        return ["absent"] * len(bad)
    out = []
    for i in bad:
        if y[i] not in keys[1]:
            out.append("absent")
            continue
        nearest = keys[1][((keys[0] - q[i]) ** 2).sum(1).argmin()]
        out.append("nearest" if nearest == y[i] else f"other:{labels[y[i]]}>{labels[nearest]}")
    return out


def online(rec, by_writer, views, big, params: MemoryParams, tmp: Path) -> list[int]:
    """A user who corrects every misread as it happens: [errors without, errors with the memory, symbols].

    Every symbol of every writer, in order; only misreads become corrections."""
    q = embed(views["hid_image"], views["hid_pen"], views["pens"], params)
    y, p, out = views["y"], views["p"], [0, 0, 0]
    for w, (ix, _) in windows(views, big).items():
        rec.memory = PersonalMemory(Path(tempfile.mkdtemp(dir=tmp)), params)
        for i, (lab, strokes, h) in zip(ix, by_writer[w]):
            keys = rec.memory_keys(True)
            read = p[i].argmax() if keys is None else (
                personalise(p[[i]], q[[i]], *keys[:2], params, keys[2])[0].argmax())
            out[0] += int(p[i].argmax() != y[i])
            out[1] += int(read != y[i])
            out[2] += 1
            if read != y[i]:
                rec.memory.add(strokes, lab, line_h=h)
    rec.memory = None
    return out


def _check_same_as_reading(rec, views, idx, expected) -> None:
    """The shortcut above must read as ``Recognizer.classify`` does in the app."""
    tops = rec.classify(views["images"][idx].astype(np.float32), pens=list(views["pens"][idx]))
    got = np.array([rec.labels.index(t[0][0]) for t in tops])
    if (got != expected).mean() > 0.01:  # float16 images in the cache: a rare tie may differ
        raise AssertionError("the benchmark's reading differs from the recognizer's")


def fine_tune_curve(by_writer, views, big, n_writers: int, tmp: Path, k: int = 20) -> dict:
    """The older path: corrections kept as samples, then ``personal.fine_tune`` (TensorFlow)."""
    from calcapp.handwriting.personal import SampleStore, fine_tune

    base = bundled_models_dir() / "recognizer"
    y, out = views["y"], {}
    for n, (w, (ix, test)) in enumerate(list(windows(views, big).items())[:n_writers]):
        store = SampleStore(tmp / f"ft{n}" / "samples")
        for lab, strokes, _ in by_writer[w][:k]:
            store.add(strokes, lab)
        t0 = time.perf_counter()
        result = fine_tune(store, base=base, out_dir=tmp / f"ft{n}" / "model", epochs=6)
        tuned = Recognizer(Path(result.model_dir))
        others = np.flatnonzero(views["writer"] != w)
        read = {}
        for name, idx in (("own", test), ("others", others)):
            pt, _ = tuned.views(views["images"][idx].astype(np.float32), list(views["pens"][idx]))
            read[name] = [int((pt.argmax(1) != y[idx]).sum()), len(idx)]
        out[w] = {**read, "seconds": round(time.perf_counter() - t0, 1)}
        print("fine-tune", w, out[w], flush=True)
    return out


def latency(rec, by_writer, big, tmp: Path, n_lines: int = 40) -> dict:
    """Median ms from the last pen-up to a 10-symbol line's reading (the rest read at the previous
    pen-up), without a memory and with a full one (every class at its cap)."""
    from calcapp.handwriting.memory import MAX_PER_CLASS
    from calcapp.ink.synth import synth_line

    rng = np.random.default_rng(3)
    lines = [synth_line("".join(rng.choice(list("0123456789+-×(")) for _ in range(10)), rng)[0]
             for _ in range(n_lines)]
    full = PersonalMemory(tmp / "full")
    pool = [s for w in big for s in by_writer[w]]
    for lab in sorted({lab for lab, _, _ in pool}):
        for lab_, strokes, h in [s for s in pool if s[0] == lab][:MAX_PER_CLASS]:
            full.add(strokes, lab_, line_h=h)
    out = {}
    for name, memory in (("none", None), ("full", full)):
        rec.memory, times = memory, []
        for strokes in lines:
            rec.read_strokes(strokes[:-1])
            t = time.perf_counter()
            rec.read_strokes(strokes)
            times.append(1000 * (time.perf_counter() - t))
        out[name] = float(np.median(times))
    out["entries"], out["load"] = len(full.load()[2]), round(os.getloadavg()[0], 1)
    rec.memory = full
    keys, p = rec.memory_keys(True), np.full((1, len(rec.labels)), 1.0 / len(rec.labels), np.float32)
    query = keys[0][:1] + 0.01
    times = []
    for _ in range(200):  # the memory's own part of a reading: one new symbol against a full memory
        t = time.perf_counter()
        personalise(p, query, *keys[:2], full.params, keys[2])
        times.append(1000 * (time.perf_counter() - t))
    out["vote_ms"] = float(np.median(times))
    rec.memory = None
    return out


SWEEP = (MemoryParams(), MemoryParams(size_weight=1.0), MemoryParams(size_weight=1.0, tau=0.1, neighbours=1),
         MemoryParams(weight=1.0, eps=0.03, size_weight=1.0))


def sweep(rec, root, cache: Path, tmp: Path) -> list[dict]:
    """The settings tried, on the validation writers (where they were chosen) and the held-out ones."""
    out = []
    for side in ("validation", "held-out"):
        by_writer = writer_symbols(root, validation=side == "validation")
        big = [w for w, syms in by_writer.items() if len(syms) >= MIN_SYMBOLS]
        views = network_views(rec, by_writer, cache.with_name(f"{cache.stem}-{side}.npz"))
        for params in SWEEP:
            rows = summary(memory_curve(rec, by_writer, views, big, params, tmp, ks=(0, 20, 50)))
            out.append({"side": side, "writers": len(big), "params": _params_text(params),
                        "own": [f"{r['errors']}/{r['n']}" for r in rows], "others": [r["others"] for r in rows]})
            print(out[-1], flush=True)
    return out


def _params_text(params: MemoryParams) -> str:
    return ", ".join(f"{k}={v}" for k, v in vars(params).items())


def summary(res: dict) -> list[dict]:
    """One row per k: the writers' own errors (pooled, mean and median per writer) and the others'."""
    rows, base = [], res["own"][0]
    for k in res["own"]:
        own, oth = res["own"][k], res["others"][k]
        rates = [e / n for e, n in own.values()]
        errors = sum(e for e, _ in own.values())
        rows.append({"k": k, "errors": errors, "n": sum(n for _, n in own.values()),
                     "mean": float(np.mean(rates)), "median": float(np.median(rates)),
                     "better": sum(own[w][0] < base[w][0] for w in own),
                     "worse": sum(own[w][0] > base[w][0] for w in own),
                     "others": float(np.mean([e / n for e, n in oth.values()]))})
    return rows


def pct(x: float) -> str:
    return f"{100 * x:.2f}%"


def section(store: dict) -> list[str]:
    """The results section: the curve, the issue's literal protocol, the fine-tune, the settings."""
    mem = store["memory"]
    rows, first = mem["rows"], mem["rows"][0]
    lines = [SECTION, "", f"Produced by `python benchmarks/handwriting_personal.py` ({mem['date']}). "
             f"{mem['writers']} held-out CROHME writer groups with at least {MIN_SYMBOLS} calculator-class "
             f"symbols (of the 49 held-out groups that wrote any; the bundled recognizer trained only on the "
             f"other side of the split). Each writer's symbols in the order written; the first k are given "
             f"to the app as corrections (`PersonalMemory.add`, the call a correction in the window makes); "
             f"errors are counted on the same window for every k: the symbols after the 50th, up to "
             f"{WINDOW} ({first['n']} in all, {mem['min_window']}-{mem['max_window']} per writer; only "
             f"{mem['writers_250']} writers have 250 symbols, so most windows are shorter than 200). "
             f"*others*: every other held-out writer's symbols ({mem['n_others']} per writer on average) "
             f"read with this writer's memory. Memory settings: `{mem['params']}`.", "",
             "| corrections k | errors, own next symbols | pooled error | mean per writer | median per writer "
             "| writers better / worse | others' error (no-loss check) |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['k']} | {r['errors']} / {r['n']} | {pct(r['errors'] / r['n'])} | {pct(r['mean'])} "
                     f"| {pct(r['median'])} | {r['better']} / {r['worse']} | {pct(r['others'])} |")
    at = {r["k"]: r for r in rows}
    if 20 in at and 0 in at:
        cut = 1 - at[20]["errors"] / max(at[0]["errors"], 1)
        lines += ["", f"Goal (own errors halved after 20 corrections, no loss on the others): "
                  f"{'met' if cut >= 0.5 and at[20]['others'] <= at[0]['others'] else 'not met'}: "
                  f"{at[0]['errors']} -> {at[20]['errors']} errors at k = 20 ({100 * cut:.0f}% fewer), "
                  f"others' error {pct(at[0]['others'])} -> {pct(at[20]['others'])}. The memory is per user, "
                  f"so in the app no other writer ever reads with it; the column measures how local its vote is."]
    lit = mem["literal20"]
    lines += ["", f"The issue's words, 20 corrections then the next {WINDOW} symbols (symbols 21-220 of each "
              f"writer): {lit[0]} errors without the memory, {lit[1]} with it, of {lit[2]} symbols."]
    left = mem.get("left20", [])
    if left:
        other = ["`{}` nearest to a `{}`".format(*v[6:].split(">")) for v in left if v.startswith("other:")]
        lines += ["", f"Why the misreads left after 20 corrections stay: {left.count('absent')} of {len(left)} are "
                  f"of a class none of the 20 showed; {left.count('nearest')} have a remembered symbol of "
                  f"their own class as nearest, but too far to outvote the network; {len(other)} are nearest "
                  f"to a remembered symbol of another class ({'; '.join(sorted(set(other)))})."]
    live = mem["online"]
    lines += ["", f"A user who corrects every misread as it happens (all {live[2]} symbols of these writers "
              f"in order, only misreads become corrections): {live[0]} errors without the memory, "
              f"{live[1]} with it."]
    lines += personal_bounds.section_lines(store, pct)
    ms = mem["latency"]
    lines += ["", f"Pen-up to a 10-symbol line's reading (median of 40 synthetic lines, on 2 cores shared at "
              f"load average {ms.get('load', '?')}; benchmarks/handwriting_real.py measured 3.7 ms when quieter): "
              f"{ms['none']:.1f} ms without a memory, {ms['full']:.1f} ms with a full one "
              f"({ms['entries']} remembered symbols, every class at its cap). The memory's own part, one new "
              f"symbol against that full memory: {ms.get('vote_ms', float('nan')):.2f} ms (median of 200)."]
    ft = store.get("fine_tune")
    if ft:
        own0 = sum(mem["own0"][w][0] for w in ft)
        lines += ["", f"The older path, `personal.fine_tune` (6 epochs, picture view only, synthetic replay) "
                  f"after the same 20 corrections, {len(ft)} writers: own errors {own0} -> "
                  f"{sum(v['own'][0] for v in ft.values())} of {sum(v['own'][1] for v in ft.values())}; "
                  f"others' error {pct(np.mean([v['others'][0] / v['others'][1] for v in ft.values()]))} "
                  f"(without: {pct(ft_others0(mem, ft))}); "
                  f"{np.median([v['seconds'] for v in ft.values()]):.0f} s per fine-tune (median, shared CPU)."]
    if store.get("sweep"):
        lines += ["", "Settings tried (`--sweep`): own errors at k = 0 / 20 / 50 and the others' error at "
                  "the same k. They were chosen on the validation writers (train side of the split, "
                  "sha256(writer)[0] in [51, 77): the pen view never trained on them, the picture view did); "
                  "the first row is the one the app uses.", "",
                  "| writers | settings | own errors k=0 / 20 / 50 | others' error k=0 / 20 / 50 |",
                  "|---|---|---|---|"]
        for r in store["sweep"]:
            lines.append(f"| {r['side']} ({r['writers']}) | `{r['params']}` | {' / '.join(r['own'])} | "
                         + " / ".join(pct(v) for v in r["others"]) + " |")
    return lines


def ft_others0(mem: dict, ft: dict) -> float:
    return float(np.mean([mem["others0"][w][0] / mem["others0"][w][1] for w in ft]))


def parse_params(text: str | None) -> MemoryParams:
    params = MemoryParams()
    for part in (text or "").split(","):
        if part.strip():
            key, _, value = part.partition("=")
            params = replace(params, **{key.strip(): type(getattr(params, key.strip()))(value)})
    return params


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", default=None, help="memory settings, e.g. tau=0.03,weight=1")
    ap.add_argument("--fine-tune-writers", type=int, default=0)
    ap.add_argument("--cache", default=str(Path(tempfile.gettempdir()) / "calcapp_personal_views.npz"))
    ap.add_argument("--no-write", action="store_true", help="print the curve only")
    ap.add_argument("--sweep", action="store_true", help="only the settings table (validation and held-out)")
    args = ap.parse_args(argv)
    root = default_data_root()
    if not crohme.lines_path(root).is_file():
        print(f"no CROHME ink at {crohme.lines_path(root)}")
        return 2
    params = parse_params(args.set)
    rec = Recognizer(bundled_models_dir() / "recognizer")
    by_writer = writer_symbols(root)
    big = [w for w, syms in by_writer.items() if len(syms) >= MIN_SYMBOLS]
    views = network_views(rec, by_writer, Path(args.cache))
    store_path = RESULTS / "handwriting_personal.json"
    store = json.loads(store_path.read_text(encoding="utf-8")) if store_path.is_file() else {}
    with tempfile.TemporaryDirectory() as tmp:
        if args.sweep:
            store["sweep"] = sweep(rec, root, Path(args.cache), Path(tmp))
            _write(store, store_path)
            return 0
        res = memory_curve(rec, by_writer, views, big, params, Path(tmp))
        speed = latency(rec, by_writer, big, Path(tmp))
        live = online(rec, by_writer, views, big, params, Path(tmp))
        print("latency", speed, "online", live)
        for r in summary(res):
            print(r)
        if args.no_write:
            return 0
        sizes = [len(t) for _, t in windows(views, big).values()]
        store["memory"] = {"date": time.strftime("%Y-%m-%d"), "writers": len(big), "rows": summary(res),
                           "params": _params_text(params),
                           "min_window": min(sizes), "max_window": max(sizes),
                           "writers_250": sum(len(by_writer[w]) >= 250 for w in big),
                           "n_others": int(np.mean([n for _, n in res["others"][0].values()])),
                           "literal20": [sum(v[i] for v in res["literal20"].values()) for i in range(3)],
                           "left20": res.get("left20", []),
                           "latency": speed, "online": live, "own0": res["own"][0],
                           "others0": res["others"][0], "per_writer": {str(k): res["own"][k] for k in KS}}
        store.update(tried_and_bounds(rec, root, by_writer, views, big, params, Path(args.cache), Path(tmp)))
        _write(store, store_path)
        if args.fine_tune_writers:  # written again after: the slow part never loses the rest
            store["fine_tune"] = fine_tune_curve(by_writer, views, big, args.fine_tune_writers, Path(tmp))
            _write(store, store_path)
    return 0


def tried_and_bounds(rec, root, by_writer, views, big, params: MemoryParams, cache: Path, tmp: Path) -> dict:
    """The other adaptations and the bounds (personal_bounds), held-out and validation, in this run."""
    q = embed(views["hid_image"], views["hid_pen"], views["pens"], params)
    wins = windows(views, big)
    tried = personal_bounds.curves(views, q, wins, KS)
    out = {"tried": {m: summary(r) for m, r in tried.items()}, "bounds": personal_bounds.bounds(views, q, wins),
           "anatomy": personal_bounds.anatomy(views, wins, rec.labels),
           "deslant": personal_bounds.deslant_errors(rec, by_writer, big)}
    vb = writer_symbols(root, validation=True)
    vbig = [w for w, syms in vb.items() if len(syms) >= MIN_SYMBOLS]
    vviews = network_views(rec, vb, cache.with_name(f"{cache.stem}-validation.npz"))
    vq = embed(vviews["hid_image"], vviews["hid_pen"], vviews["pens"], params)
    vwins, ks = windows(vviews, vbig), (0, 20, 50)
    vmem = memory_curve(rec, vb, vviews, vbig, params, tmp, ks=ks)
    vtried = personal_bounds.curves(vviews, vq, vwins, ks, others=False)
    own = lambda res: [sum(e for e, _ in res["own"][k].values()) for k in ks]  # noqa: E731
    out["validation"] = {"writers": len(vbig), "ks": list(ks), "n": sum(len(t) for _, t in vwins.values()),
                         "memory": own(vmem), "bias": own(vtried["bias"]), "linear": own(vtried["linear"]),
                         "bounds": personal_bounds.bounds(vviews, vq, vwins),
                         "deslant": personal_bounds.deslant_errors(rec, vb, vbig)}
    print("tried", {m: [r["errors"] for r in v] for m, v in out["tried"].items()}, "bounds", out["bounds"],
          "validation", out["validation"], flush=True)
    return out


def _write(store: dict, store_path: Path) -> None:
    store_path.write_text(json.dumps(store, indent=1, ensure_ascii=False), encoding="utf-8")
    if "memory" in store:
        replace_section(RESULTS / "handwriting.md", SECTION, section(store))


if __name__ == "__main__":
    raise SystemExit(main())
