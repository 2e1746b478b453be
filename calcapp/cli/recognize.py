"""``calcapp recognize``: read handwriting files, then answer them as ``compute`` does.

Files are prepared one by one (a bad file only sets ``error`` on its own line) and then
classified in one batched NumPy pass, so a thousand PNGs cost seconds. TensorFlow is never
imported here.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

IMAGE_EXT = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp"}
INKML_EXT = {".inkml", ".xml"}
MAX_FILE_BYTES = 50_000_000


def add_parser(sub) -> None:
    p = sub.add_parser(
        "recognize",
        help="read handwritten symbols or lines from images or ink files",
        description="Read each FILE (PNG/JPEG of one symbol or a whole line; InkML or JSON ink), "
        "print the expression read, each symbol's label, confidence, alternatives and box, "
        "and the exact and neural answers.",
    )
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--json", action="store_true", help="print one JSON object per file")
    p.add_argument("--model", metavar="DIR", help="recognizer folder (default: personal, else bundled)")
    p.add_argument("--no-answer", action="store_true", help="only read; skip exact/neural answers")


def _kind(path: Path) -> str:
    ext = path.suffix.lower()
    if ext in IMAGE_EXT:
        return "image"
    if ext in INKML_EXT:
        return "inkml"
    if ext == ".json":
        return "json"
    with open(path, "rb") as fh:  # no telling extension: sniff the first bytes
        head = fh.read(64).lstrip()
    if head.startswith(b"<"):
        return "inkml"
    if head[:1] in (b"{", b"["):
        return "json"
    return "image"


def prepare(rec, path: Path):
    """(segments, images) for one file; raises ValueError/OSError with a clear message."""
    from calcapp.ink.strokes import load_ink_json
    from calcapp.ink.inkml import load_inkml

    kind = _kind(path)
    if kind == "image":
        return rec.prepare_image(path)
    from calcapp.ink.guard import clean_strokes

    if path.stat().st_size > MAX_FILE_BYTES:
        raise ValueError(f"larger than {MAX_FILE_BYTES // 1_000_000} MB")
    strokes = load_inkml(path) if kind == "inkml" else load_ink_json(path)
    return rec.prepare_strokes(clean_strokes(strokes))


def _read(rec, prepared: list, slots: list[dict]) -> list:
    """The readings in one batched pass; if that fails, each file alone, so that the file that
    fails gets its own error line (``None`` in its place) and the rest are still read."""
    if not prepared:
        return []
    try:
        return rec.read_prepared(prepared)
    except Exception:
        if os.environ.get("CALCAPP_DEBUG"):
            raise
    out = []
    for row, item in zip(slots, prepared):
        try:
            out.append(rec.read_prepared([item])[0])
        except Exception as exc:
            row["error"] = _reason(exc)
            out.append(None)
    return out


def _reason(exc: Exception) -> str:
    if isinstance(exc, OSError):
        return f"cannot read: {exc.strerror or exc}"
    if isinstance(exc, (ValueError, KeyError, IndexError)):
        return f"cannot read: {str(exc)[:200]}"
    if isinstance(exc, RecursionError):
        return "cannot read: nested too deeply"
    if isinstance(exc, MemoryError):
        return "cannot read: too large to hold in memory"
    return f"cannot read: {type(exc).__name__}: {str(exc)[:200]}"


def _human(row: dict) -> str:
    lines = [f"{row['file']}: {row['expression'] if row['expression'] is not None else '-'}"]
    for s in row["symbols"]:
        alts = " ".join(f"{lab}:{p:.2f}" for lab, p in s["alternatives"])
        box = ",".join(f"{v:g}" for v in s["box"])
        lines.append(f"  {s['label']:<2} {s['confidence']:.2f}  [{alts}]  box {box}")
    if row["error"]:
        lines.append(f"  error   {row['error']}")
    if row["exact"] is not None:
        lines.append(f"  exact   {row['exact']}")
    if row["neural"] is not None:
        lines.append(f"  neural  {row['neural']}   [{row['model']}]")
    if row.get("equation"):
        from calcapp.expr.equation import verdict

        lines.append(f"  check   {verdict(row['equation'])}")
    return "\n".join(lines)


def run(args) -> int:
    from calcapp.cli import UsageError
    from calcapp.handwriting.recognizer import load_recognizer

    try:
        rec = load_recognizer(args.model)
    except (OSError, ValueError, KeyError) as exc:
        raise UsageError(f"no usable recognizer: {exc}") from None

    rows, prepared, slots = [], [], []
    for name in args.files:
        row = {"file": name, "expression": None, "symbols": [], "exact": None, "neural": None,
               "model": None, "error": None, "recognizer": rec.name}
        rows.append(row)
        try:
            path = Path(name)
            if not path.is_file():  # a folder or a device (/dev/zero) is no handwriting file either
                raise OSError(2, "not a file: a folder or a device" if path.exists() else "no such file")
            prepared.append(prepare(rec, path))
            slots.append(row)
        except Exception as exc:  # one bad file (a bomb, a broken archive) must not sink the rest
            if os.environ.get("CALCAPP_DEBUG") and not isinstance(exc, (OSError, ValueError)):
                raise
            row["error"] = _reason(exc)
    for row, reading in zip(slots, _read(rec, prepared, slots)):
        if reading is None:
            continue
        row["expression"] = reading.expression
        row["symbols"] = [s.to_json() for s in reading.symbols]
        if not reading.symbols:
            row["error"] = "no handwriting found"

    to_answer = [r for r in rows if r["error"] is None]
    from calcapp.expr.equation import check_equation

    for row in to_answer:  # 'a=b' is a claim to check; its left side is the question
        check = check_equation(row["expression"])
        if check is not None:
            row["equation"] = check
    if to_answer and not args.no_answer:
        from calcapp.arithmetic.answering import answer_many

        questions = [r["equation"]["left"] + "=" if "equation" in r else r["expression"] for r in to_answer]
        for row, ans in zip(to_answer, answer_many(questions)):
            row["exact"], row["neural"] = ans.exact, ans.neural
            row["model"] = ans.model
            if ans.error:
                row["error"] = ans.error

    status = 0
    for row in rows:
        if row["error"]:
            status = 2
        if args.json:
            print(json.dumps(row, ensure_ascii=False))
        else:
            print(_human(row))
    if status:
        bad = sum(1 for r in rows if r["error"])
        print(f"calcapp: {bad} of {len(rows)} file(s) could not be read or answered", file=sys.stderr)
    return status
