"""``calcapp models``: the bundled and user models, their tasks and test accuracy."""

from __future__ import annotations

import json


def add_parser(sub) -> None:
    p = sub.add_parser("models", help="list bundled and user-trained models")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--all", action="store_true", help="include recognizers and other kinds")


def run(args) -> int:
    import sys

    from calcapp.nets.registry import list_models, unreadable_models

    models = list_models(kind=None if args.all else "calculator")
    for folder, why in unreadable_models():
        print(f"calcapp: {folder.name}: left out, its card cannot be read ({why})", file=sys.stderr)
    if args.json:
        for info in models:
            print(json.dumps(info.summary(), ensure_ascii=False))
        return 0
    if not models:
        print("no models found")
        return 0
    print(f"{'name':<18} {'source':<8} {'architecture':<12} {'task':<14} {'exact':>7}")
    for info in models:
        s = info.summary()
        acc = "-" if s["exact_match"] is None else f"{100 * s['exact_match']:.2f}%"
        print(f"{s['name']:<18} {s['source']:<8} {s['architecture']:<12} {s['task'] or '-':<14} {acc:>7}")
    return 0
