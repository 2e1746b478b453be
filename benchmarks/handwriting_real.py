"""Reads real writers the recognizer never saw; writes a section of benchmarks/results/handwriting.md.

    python benchmarks/handwriting_real.py --tag before [--quick]

Writer-disjoint only: CROHME ink is split by its ``writer`` field (calcapp/handwriting/crohme.py,
a fixed hash; about 20% of the writer groups are held out). Measured on held-out writers:
- symbols: every calculator-class symbol, drawn through the one normalisation and classified;
- real runs: maximal runs of adjacent calculator-class symbols in real expressions, with their
  real strokes and real layout, that form an arithmetic line (equations included); most of them
  lie in exponents, indices or fractions (the '2-4' of b^2-4ac), so a second row keeps only the
  runs written on the line itself (a substring of the truth LaTeX's top level, ``top_level``);
- spliced lines: random arithmetic strings written with one held-out writer's real symbols,
  each kept at its real size, spaced by gaps drawn from the real runs;
both line kinds read through the whole pipeline as pen strokes and as a rendered image.
Results of every tag are kept in handwriting_real.json so the section shows before/after.
"""

from __future__ import annotations

import argparse
import re
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from benchmarks.legacy_assembly import use_legacy_assembly  # noqa: E402
from benchmarks.results_sections import replace_section  # noqa: E402
from calcapp.handwriting import crohme  # noqa: E402
from calcapp.handwriting.data import default_data_root, read_pendigits  # noqa: E402
from calcapp.handwriting.recognizer import load_recognizer  # noqa: E402
from calcapp.ink.imagenorm import PEN_FRACTION, normalise_strokes, rasterise  # noqa: E402
from calcapp.ink.strokes import Point, Stroke  # noqa: E402
from calcapp.ink.synth import pendigit_strokes  # noqa: E402

RESULTS = ROOT / "benchmarks/results"
SECTION = "## Real writers never trained on (CROHME, split by writer)"
CALC = set(crohme.CALC.values()) | {"\u00b7"}  # '.?' (a dot the truth leaves open) breaks a run
OPS = "+-\u00d7\u00f7/"


def pct(x):
    return "-" if x is None else f"{100 * x:.2f}%"


def parses(text: str) -> bool:
    """An arithmetic line a calculator user would write: an expression, or ``a=b``, or ``a=``."""
    from calcapp.expr.errors import CalcError
    from calcapp.expr.parser import parse

    if not any(c.isdigit() for c in text) or not any(c in OPS + "\u00b7" for c in text):
        return False
    parts = text.replace("\u00b7", "\u00d7").split("=")
    if len(parts) > 2 or not parts[0]:
        return False
    try:
        for p in parts:
            if p:
                parse(p)
        return True
    except CalcError:
        return False


# --- lines ---------------------------------------------------------------------------

def _in_line(syms, h) -> bool:
    """Symbols left to right on one line: no fraction bar with a numerator over it."""
    cx = [s.box[0] + s.box[2] / 2 for s in syms]
    if any(b <= a for a, b in zip(cx, cx[1:])):
        return False
    mids = [s.box[1] + s.box[3] / 2 for s in syms]
    mid = float(np.median(mids))
    return all(abs(m - mid) < 0.6 * h for m in mids)


LATEX_SIGNS = {"times": "\u00d7", "cdot": "\u00b7", "div": "\u00f7", "left": "", "right": ""}


def _skip_group(s: str, i: int) -> int:
    """Index after the ``{...}`` group or the single token at ``s[i]``."""
    while i < len(s) and s[i] == " ":
        i += 1
    if i >= len(s):
        return i
    if s[i] == "{":
        depth = 0
        for j in range(i, len(s)):
            depth += {"{": 1, "}": -1}.get(s[j], 0)
            if depth == 0:
                return j + 1
        return len(s)
    m = re.match(r"\\[A-Za-z]+", s[i:])
    return i + (m.end() if m else 1)


def top_level(truth: str) -> str:
    """The truth LaTeX's symbols on the line itself: exponents, indices, fractions and roots
    become '|', so a run inside them (the '2-4' of ``b^2-4ac``) is no substring of it."""
    s = truth.replace("$", "")
    out, i = [], 0
    while i < len(s):
        frac = re.match(r"\\(frac|dfrac|sqrt)", s[i:])
        cmd = re.match(r"\\([A-Za-z]+)", s[i:])
        if s[i] in "^_":
            i = _skip_group(s, i + 1)
            out.append("|")
        elif frac:
            i += frac.end()
            if s[i:i + 1] == "[":
                i = s.find("]", i) + 1 or len(s)
            for _ in range(1 if frac.group(1) == "sqrt" else 2):
                i = _skip_group(s, i)
            out.append("|")
        elif cmd:
            out.append(LATEX_SIGNS.get(cmd.group(1), "|"))
            i += cmd.end()
        else:
            out.append("" if s[i] in "{} " else s[i])
            i += 1
    return "".join(out)


def real_runs(exprs, top_only: bool = False, sizes: bool = False):
    """(text, strokes, height, writer) of arithmetic runs inside real expressions; with
    ``top_only`` only runs written on the line itself (no exponent, index or fraction part);
    with ``sizes`` each also carries how many strokes each symbol has (for diagnosing lines)."""
    out = []
    for e in exprs:
        flat = top_level(e.truth) if top_only else ""
        run: list = []
        for s in e.symbols + [None]:
            if s is not None and s.label in CALC:
                run.append(s)
                continue
            best = None
            for a in range(len(run)):  # the longest parsing, in-line sub-run
                if run[a].label in "+\u00d7\u00f7/=.":  # nobody starts a line with '+'
                    continue
                for b in range(len(run), a + 2, -1):
                    text = "".join(x.label for x in run[a:b])
                    if top_only and text not in flat:
                        continue
                    if (best is None or b - a > len(best)) and parses(text) and _in_line(run[a:b], e.height):
                        best = run[a:b]
                        break
            if best:
                out.append(("".join(x.label for x in best), [st for x in best for st in x.strokes],
                            e.height, e.writer) + (([len(x.strokes) for x in best],) if sizes else ()))
            run = []
    return out


def real_gaps(exprs) -> np.ndarray:
    """Gaps between neighbouring in-line calculator symbols, in units of the line height."""
    gaps = []
    for e in exprs:
        for a, b in zip(e.symbols, e.symbols[1:]):
            if a.label in CALC and b.label in CALC and _in_line([a, b], e.height):
                gaps.append((b.box[0] - (a.box[0] + a.box[2])) / e.height)
    g = np.array(gaps)
    return g[(g > -0.3) & (g < 1.5)] if len(g) else np.array([0.25])


def _line_sized(s, h) -> bool:
    """A symbol written at the size of a line of arithmetic: no bracket around a fraction, no
    fraction bar, no subscript digit."""
    w, hh = s.box[2] / h, s.box[3] / h
    if s.label.isdigit():
        return 0.6 <= hh <= 1.5
    if s.label in "()":
        return 0.7 <= hh <= 1.8
    if s.label in "-=":
        return w <= 1.2
    return max(w, hh) <= 1.5


def _moved(strokes, dx, dy, k):
    return [Stroke([Point((p.x * k) + dx, (p.y * k) + dy, p.t, p.pressure) for p in s.points]) for s in strokes]


def spliced_lines(exprs, gaps, n, rng, height=100.0, sizes: bool = False):
    """Random arithmetic strings written with one held-out writer's real symbols (with
    ``sizes``, also how many strokes each symbol has)."""
    by_writer: dict[str, dict[str, list]] = {}
    for e in exprs:
        for s in e.symbols:
            if s.label in CALC and _line_sized(s, e.height):
                by_writer.setdefault(e.writer, {}).setdefault(s.label, []).append((s, e.height))
    writers = sorted(w for w, d in by_writer.items() if sum(c.isdigit() for c in d) >= 4
                     and any(o in d for o in OPS))
    out = []
    while len(out) < n and writers:
        w = writers[rng.integers(len(writers))]
        have = by_writer[w]
        text = _random_text(rng, sorted(c for c in have if c.isdigit()), sorted(c for c in have if c in OPS),
                            "." in have, "=" in have, "(" in have and ")" in have)
        strokes, x, counts = [], 0.0, []
        for ch in text:
            s, h = have[ch][rng.integers(len(have[ch]))]
            k = height / h
            bx, by, bw, bh = (v * k for v in s.box)
            if ch.isdigit() or ch == ".":
                top = height - bh  # stands on the baseline
            else:
                top = height / 2 - bh / 2 + (0.1 * height if ch in "()" else 0.0)
            top += rng.normal(0, 0.04 * height)
            strokes += _moved(s.strokes, x - bx, top - by, k)
            counts.append(len(s.strokes))
            x += bw + height * float(gaps[rng.integers(len(gaps))])
        out.append((text, strokes, height, w) + ((counts,) if sizes else ()))
    return out


def _random_text(rng, digits, ops, dot, eq, brackets) -> str:
    def num():
        t = "".join(digits[rng.integers(len(digits))] for _ in range(int(rng.integers(1, 4))))
        t = t.lstrip("0") or "0"
        if dot and rng.random() < 0.25:
            t += "." + digits[rng.integers(len(digits))]
        return t

    parts = [num()]
    for _ in range(int(rng.integers(1, 3))):
        parts += [ops[rng.integers(len(ops))], num()]
    text = "".join(parts)
    if brackets and len(parts) >= 5 and rng.random() < 0.3:
        text = "(" + "".join(parts[:3]) + ")" + "".join(parts[3:])
    if eq and rng.random() < 0.5:
        text += "="
    return text if parses(text) else "1+2"


def line_image(strokes, height: float, px: float = 40.0, pen: float = 1.0) -> np.ndarray:
    """The line drawn as a scan would show it: dark ink on white, ``px`` pixels per line height
    (``pen`` times the usual pen width)."""
    a = np.concatenate([s.xy() for s in strokes])
    x0, y0 = a.min(axis=0)
    x1, y1 = a.max(axis=0)
    k = px / height
    pad = 6
    shape = (int((y1 - y0) * k) + 2 * pad, int((x1 - x0) * k) + 2 * pad)
    ink = rasterise(strokes, k, (x0 - pad / k, y0 - pad / k), shape, 0.5 * PEN_FRACTION * px * pen)
    return 1.0 - ink


def read_lines(rec, lines, mode: str, keep=8):
    ok, bad = 0, []
    for text, strokes, h, _ in lines:
        r = rec.read_strokes(strokes) if mode == "ink" else rec.read_image(line_image(strokes, h))
        got = _expression(rec, r)
        want = text.replace("\u00b7", "\u00d7")
        ok += got == want
        if got != want and len(bad) < keep:
            bad.append(f"{want} \u2192 {got}")
    return ok / max(len(lines), 1), len(lines), bad


def _expression(rec, reading) -> str:
    return reading.expression


# --- symbols -------------------------------------------------------------------------

def symbols(rec, root, pen=True):
    from calcapp.handwriting.trajectory import features

    labels, images, feats = [], [], []
    for lab, strokes, h, _ in crohme.calculator_symbols(root, "test"):
        labels.append(lab)
        images.append(normalise_strokes(strokes, h))
        feats.append(features(strokes, h))
    probs = rec.probabilities(np.stack(images)) if images else np.zeros((0, len(rec.labels)))
    if pen and rec.pen is not None and images:  # both views of the ink
        from calcapp.handwriting.trajectory import fuse

        probs = fuse(probs, rec.pen.probabilities(np.stack(feats)), rec.pen_weight)
    pred = [rec.labels[i] for i in probs.argmax(1)]
    # the network has one class for both dots: reading a multiplication dot as it is right
    pred = [t if t in crohme.DOTS and p == "." else p for t, p in zip(labels, pred)]
    return labels, pred


def confusion_md(labels, pred) -> list[str]:
    classes = [c for c in rec_order() if c in set(labels)]
    cols = [c for c in rec_order() if c in set(labels) | set(pred)]
    out = ["| true \\ read | " + " | ".join(cols) + " | n | accuracy |", "|---" * (len(cols) + 3) + "|"]
    for c in classes:
        row = [sum(1 for t, p in zip(labels, pred) if t == c and p == q) for q in cols]
        n = sum(row)
        out.append(f"| **{c}** | " + " | ".join(str(v) if v else "" for v in row)
                   + f" | {n} | {pct(row[cols.index(c)] / n)} |")
    return out


def rec_order():
    return list("0123456789") + ["+", "-", "\u00d7", "\u00f7", "/", "(", ")", ".", "\u00b7", ".?", "="]


def latency(rec, lines) -> float | None:
    """Median ms from the last pen-up to the line's reading, the rest read at the previous pen-up."""
    times = []
    for _, strokes, _, _ in lines:
        rec.read_strokes(strokes[:-1])
        t = time.perf_counter()
        rec.read_strokes(strokes)
        times.append(1000 * (time.perf_counter() - t))
    return float(np.median(times)) if times else None


def pendigits(rec, root, quick):
    rows = read_pendigits(root, "test")[:: 3 if quick else 1]
    ok = sum(rec.read_strokes(pendigit_strokes(v)).expression == str(lab) for v, lab in rows)
    return ok / max(len(rows), 1), len(rows)


def measure(rec, root, quick: bool) -> dict:
    rng = np.random.default_rng(21)
    t0 = time.time()
    labels, pred = symbols(rec, root)
    acc = lambda keep: (lambda m: float(np.mean([t == p for t, p in m])) if m else None)(  # noqa: E731
        [(t, p) for t, p in zip(labels, pred) if keep(t)])
    exprs = list(crohme.read_expressions(root, "test"))
    runs = real_runs(exprs)
    top_runs = real_runs(exprs, top_only=True)
    spliced = spliced_lines(exprs, real_gaps(exprs), 300 if quick else 1000, rng)
    res = {
        "symbols": acc(lambda t: True), "digits": acc(str.isdigit),
        "operators": acc(lambda t: t in OPS + "".join(crohme.DOTS)), "brackets_equals": acc(lambda t: t in "()="),
        "n_symbols": len(labels), "writers": len({e.writer for e in exprs}),
        "confusion": confusion_md(labels, pred),
    }
    for name, lines in (("runs", runs), ("top", top_runs), ("spliced", spliced)):
        for mode in ("ink", "image"):
            a, n, bad = read_lines(rec, lines, mode)
            res[f"{name}_{mode}"], res[f"n_{name}"], res[f"bad_{name}_{mode}"] = a, n, bad
    res["pendigits"], res["n_pendigits"] = pendigits(rec, root, quick)
    res["latency_ms"] = latency(rec, [ln for ln in spliced if len(ln[0]) >= 8][:60])
    res["seconds"] = round(time.time() - t0)
    return res


ROWS = [("calculator-class symbols", "symbols"), ("digits", "digits"), ("operators + - × ÷ / .", "operators"),
        ("( ) =", "brackets_equals"), ("real runs in real expressions, as pen strokes", "runs_ink"),
        ("real runs, as a rendered image", "runs_image"),
        ("real runs on the line itself (no exponent, index or fraction), pen strokes", "top_ink"),
        ("real runs on the line itself, as a rendered image", "top_image"),
        ("one writer's real symbols spliced into arithmetic lines, pen strokes", "spliced_ink"),
        ("spliced lines, as a rendered image", "spliced_image"),
        ("pendigits, held-out tail of the file (see note)", "pendigits")]


def write_section(store: dict, out: Path) -> None:
    tags = list(store)
    last = store[tags[-1]]
    lines = [SECTION, "", "Produced by `python benchmarks/handwriting_real.py --tag TAG`. Held out: "
             f"{last['writers']} CROHME writer groups (sha256(writer)[0] < 51, calcapp/handwriting/crohme.py), "
             f"{last['n_symbols']} calculator-class symbols, {last['n_runs']} real arithmetic runs "
             f"({last.get('n_top', '-')} of them on the line itself), "
             f"{last['n_spliced']} spliced lines. No held-out writer wrote a `÷` (the set has 2 in all), "
             "so the obelus is not measured here. CROHME labels a decimal point and a multiplication dot "
             "both `.`; the truth LaTeX tells them apart (`.` decimal, `·` multiplication, `.?` both kinds in "
             "the expression: counted right when read as a dot, and no line is made with it). Most real runs "
             "are not lines a calculator user writes: they straddle an exponent or a fraction (the "
             "`2-4` of `b^2-4ac` is a raised 2 above-left of the minus); the rows *on the line itself* "
             "keep the runs whose text stands in the truth LaTeX outside every `^`, `_`, `\\frac` and "
             "`\\sqrt` (their ink is unchanged).", "",
             "| what | " + " | ".join(tags) + " |", "|---" * (len(tags) + 1) + "|"]
    for what, key in ROWS:
        lines.append(f"| {what} | " + " | ".join(pct(store[t].get(key)) for t in tags) + " |")
    lines.append("| pen-up to the line's reading, median ms (spliced lines of 8+ symbols; shared CPU) | "
                 + " | ".join(f"{store[t]['latency_ms']:.1f}" if store[t].get("latency_ms") else "-" for t in tags) + " |")
    lines += ["", "Columns, each adding to the one before: *before* - the v6 recognizer, lines assembled by "
              "geometry fixes and `repair` (as before issue 21); *+line decoder* - the beam over segmentations "
              "and alternatives with the arithmetic-line grammar (calcapp/handwriting/line_decoder.py); "
              "*+CNN fine-tuned on CROHME* - one epoch on the training writers' symbols with writer-style "
              "augmentation; *v7 CNN* - one settling epoch with the original MNIST weighting; *+pen view* - "
              "the trajectory network fused with the image network (ink only: images have no trajectory); "
              "*session start (v7 bundled)* - the same model re-measured with the rows on the line itself "
              "added; *+layout model, strokes parting* - each reading weighed by how usual its size, "
              "aspect and place in the line are for its class (calcapp/handwriting/layout.py, fitted on "
              "the training writers' flat expressions), and strokes grouped by overlap may part where they "
              "overlap less than 60% (the model is unchanged, so the symbol rows are too); *+a bar cut off "
              "an image component* - a flat bar at mid-height at either end of a full-height image component "
              "is cut off (calcapp/ink/segment.py: _bar_cut; images only); *v7 bundled (symbols session)* - "
              "the same, re-measured in the sitting of the next column; *candidate, not bundled (symbols "
              "session)* - the picture view fine-tuned one epoch with the training writers' dots weighed up (training/"
              "recognizer.py --dot-copies), the pen view v7's at fusion weight 2.0 (chosen on validation writers); "
              "a wash against v7, so v7 stays bundled. "
              "*session start (image parts)* - "
              "v7 bundled again (not the candidate), re-measured beside the next column; *+image parts through the line decoder* - "
              "an image's connected components become pseudo-strokes, cut at candidate columns (a thin neck, "
              "a bar's end, the middle of a component wider than a symbol), and the line decoder chooses "
              "the cuts, merges and readings with the grammar and the layout model (calcapp/ink/image_units.py; "
              "images only; both columns measured with one BLAS thread, so their latency is not comparable "
              "to the earlier columns'). "
              "*pen-lines start* - v7 with the bar cut, before image parts "
              "(measured on the branch beside the next column); *+pen path decides* - the pen's path "
              "settles what a piece's box leaves open (calcapp/handwriting/pen_shape.py): a two-stroke `+` "
              "or `=` is never a dot, a flat bar a fair part of a digit wide is a minus, a tiny stroke on "
              "the baseline is a point, and a single upright stroke may be `1`, `(` or `)` for the grammar, its straight or bent path "
              "making one likely (pen lines only). "
              "*all merged* - image parts, the pen path's rules and one-stroke dots together, "
              "as the app now reads. "
              "*seventh session (narrow scans, tall pairs, no-parse rescue)* - the image gap bridge and "
              "separate tall inks (lines session), narrow scanned digits kept from '1' (image pieces' digit "
              "aspect spread widened on the narrow side), two full-height pen strokes whose ink meets read "
              "as one symbol (a two-stroke '4' or '7'), and a line no likely reading parses read again from "
              "its unlikely alternatives; the same model. "
              "*v8 picture view, not bundled (eleventh session)* - the picture view retrained from scratch on a "
              "lent GPU (training/recognizer_gpu.py: conv32-conv32-pool-conv64-conv64-pool-dense256, two "
              "members, CROHME training writers x4 from the start) with its own pen-view weight; *v7 bundled, "
              "beside v8* - the bundled model in the same sitting (latency of both: one BLAS thread, quiet CPU). "
              "*twelfth session start* - the same, measured again beside the next column; *+centre cut "
              "(twelfth session)* - a wide image component beside other ink is also offered a cut at its "
              "centre (two overlapping digits have no neck; calcapp/ink/image_units.py; images only); "
              "*before blips* - the same, measured again beside the next column; *+pen blips (twelfth "
              "session)* - a point whose ink touches another stroke keeps 5% of its dot readings "
              "(calcapp/handwriting/pen_shape.py: blip_options; pen lines only). *thirteenth session "
              "start* - the same, measured again beside the next column; *+lone marks whole (thirteenth "
              "session)* - an image holding one symbol-sized mark is read whole, never cut (a lone digit; "
              "calcapp/ink/image_units.py; images only; these lines all hold several marks, so nothing "
              "here was expected to move); *before wide digits* - the session's base again, in the sitting "
              "of the next column; *+wide digits of one ink (thirteenth session)* - on the wide side a "
              "digit of one component or stroke is measured from the widest digit class's mean aspect, "
              "not its own (calcapp/handwriting/layout.py: WIDEST_DIGIT), so a wide '6' is not read '5' "
              "for its width alone. *fourteenth session start* - the same, measured again beside the next "
              "column; *+decimal points apart (fourteenth session)* - a dark, roundish, pen-wide dot on the "
              "baseline of the digit an image groups it with is read apart from it, where the network read "
              "the two as the digit ('-1.0' read '-10'; calcapp/ink/image_units.py: point_beside; images only); "
              "*+an unsure end read again (fourteenth session)* - a line that ends unfinished on a mark of "
              "several strokes the decoder reads at under 0.5 is read again with the unlikely readings and "
              "keeps a complete reading where one exists (a blotted '=' read '·' at the end; "
              "calcapp/handwriting/line_decoder.py: UNSURE_END). "
              "Symbol rows read each symbol alone (both views where the model has them); line rows run the "
              "whole pipeline.", "", f"Confusions of the symbols ({tags[-1]}):", ""] + last["confusion"]
    for key in ("bad_runs_ink", "bad_runs_image", "bad_top_ink", "bad_top_image", "bad_spliced_ink",
                "bad_spliced_image"):
        lines += ["", f"Misreads, {key[4:].replace('_', ' ')} ({tags[-1]}): " + "; ".join(last.get(key, []))]
    lines += ["", "Pendigits: the file carries no writer ids (30 writers, order not documented), so no "
              "writer-disjoint split of it is possible; the row reads the 1,500 lines at its tail, which "
              "the recognizer's card says it did not train on (its writers may overlap the training part)."]
    replace_section(out, SECTION, lines)  # the sections after it stay


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tag", default="now")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--model", default=None)
    ap.add_argument("--legacy-lines", action="store_true", help="read lines without the line decoder")
    ap.add_argument("--out", default=str(RESULTS / "handwriting.md"))
    args = ap.parse_args(argv)
    root = default_data_root()
    if not crohme.lines_path(root).is_file():
        print(f"no CROHME ink at {crohme.lines_path(root)}")
        return 2
    rec = load_recognizer(args.model)
    if args.legacy_lines:
        use_legacy_assembly(rec)
    res = measure(rec, root, args.quick)
    store_path = RESULTS / "handwriting_real.json"
    store = json.loads(store_path.read_text(encoding="utf-8")) if store_path.is_file() else {}
    store[args.tag] = res
    tmp = store_path.with_suffix(".tmp")
    tmp.write_text(json.dumps(store, indent=1, ensure_ascii=False), encoding="utf-8")
    tmp.replace(store_path)
    write_section(store, Path(args.out))
    print({k: v for k, v in res.items() if not isinstance(v, list)})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
