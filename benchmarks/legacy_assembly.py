"""Lines read as before the line decoder (issue 21), for the *before* column of
``handwriting_real.py``: geometry fixes, then a misread symbol swapped for one of its
alternatives until the line parses (``repair``). The app reads with the line decoder."""

from __future__ import annotations


def use_legacy_assembly(rec) -> None:
    """Read lines as before the line decoder: geometry fixes, then ``repair`` (for the before column)."""
    from calcapp.handwriting.recognizer import Reading, SymbolReading
    from calcapp.ink.segment import resolve_by_geometry

    def assemble(segs, tops):
        labels, conf = [t[0][0] for t in tops], [t[0][1] for t in tops]
        if len(segs) > 1:
            labels = resolve_by_geometry(labels, segs)
            labels, conf = repair(labels, conf, tops)
        return Reading([SymbolReading(lab, c, t, tuple(float(v) for v in s.box)) for s, t, lab, c
                        in zip(segs, tops, labels, conf)])

    rec.assemble = assemble


OPERATORS = set("+-\u00d7\u00f7/\u00b7(")


def _well_formed(labels: list[str]) -> bool:
    """The line is a well-formed expression that a person would write.

    The parser accepts a unary plus ("3/+6"), but nobody writes one by hand: a '+' at the
    start or right after an operator is a misread ('1' read as '/', '7' as '+'), so such
    a line goes to ``repair`` like one that does not parse.
    """
    from calcapp.expr.errors import CalcError
    from calcapp.expr.parser import parse
    from calcapp.handwriting.recognizer import TO_EXPRESSION

    for i, lab in enumerate(labels):
        if lab == "+" and (i == 0 or labels[i - 1] in OPERATORS):
            return False
    try:
        parse("".join(TO_EXPRESSION.get(lab, lab) for lab in labels))
        return True
    except CalcError:
        return False


def repair(labels, conf, tops, min_p: float = 0.001, tries: int = 4):
    """If a line does not parse (or has a unary plus), swap in the likeliest alternatives until it does.

    A slanted '1' and a '/' look alike; "1+/2" cannot be right, "1+12" can. Single
    swaps are tried from the likeliest alternative down, then pairs among the ``tries``
    least certain symbols. The first reading that parses wins; otherwise it is kept as read.
    """
    from calcapp.expr.lexer import MAX_INPUT_LENGTH

    if len(labels) > MAX_INPUT_LENGTH or _well_formed(labels):
        return labels, conf  # (a line longer than the parser takes: no swap can make it parse)
    singles = sorted(((p, i, lab) for i, top in enumerate(tops) for lab, p in top[1:] if p >= min_p),
                     reverse=True)
    for p, i, lab in singles:
        trial = list(labels)
        trial[i] = lab
        if _well_formed(trial):
            return trial, [p if k == i else c for k, c in enumerate(conf)]
    weakest = sorted(range(len(labels)), key=lambda i: conf[i])[:tries]
    pairs = []
    for a in weakest:
        for b in weakest:
            if a < b:
                for la, pa in tops[a][1:]:
                    for lb, pb in tops[b][1:]:
                        if pa >= min_p and pb >= min_p:
                            pairs.append((pa * pb, a, la, b, lb))
    for _, a, la, b, lb in sorted(pairs, reverse=True):
        trial = list(labels)
        trial[a], trial[b] = la, lb
        if _well_formed(trial):
            new = list(conf)
            new[a], new[b] = dict(tops[a])[la], dict(tops[b])[lb]
            return trial, new
    return labels, conf
