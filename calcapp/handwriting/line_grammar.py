"""The grammar of an arithmetic line, and a beam that reads a row of pieces under it.

A hypothesis must stay a prefix of an arithmetic line (``Prefix``: an expression, optionally
``= expression``); ``decode`` keeps the likeliest few at each piece, lets neighbouring pieces be
read as one symbol, and returns the best complete line. What the pieces are and how likely each
reading is belongs to the line decoder (``line_decoder.py``); this module knows only the grammar.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

DIGITS = set("0123456789")
BINARY = set("+-\u00d7\u00f7/\u00b7")
MIN_P = 0.002  # alternatives less likely than this are not worth a hypothesis
# ...unless no hypothesis at all reaches the line's end: then the line is read again with the
# unlikely alternatives down to this (a pendigits '1' slanted to a sure '/' at the start of a
# line or after '+': '/94+31' parses nowhere, its '1' at 1.3e-4 to 3e-4 does). Lower, lines
# nobody could parse ('3++4', '12+-+3') began to read as numbers ('31+4', '121-13').
RESCUE_P = 1e-4
CUT_COST = math.log(0.9)  # each extra symbol: the network reads pieces too surely
# Reading neighbours as one symbol: the network also reads a digit plus a stray dot as that
# digit, surely; a merge must be much likelier than its pieces, or the only parse.
MERGE_COST = math.log(0.05)
BEAM = 24
MAX_MERGE = 3  # an obelus: dot, bar, dot
# A dot between two digits is far more often a decimal point than a multiplication dot (the
# training writers: 155 to 7), so a dot half-way up, as likely either by its height, is read
# '6.9', not '6·9'. Only halved: a stronger prior read a mid-height '·' between digits as a
# point too (benchmarks/results/handwriting.md, twenty-fifth session).
DOT_BETWEEN_DIGITS = math.log(0.5)


@dataclass(frozen=True)
class Prefix:
    """Where an arithmetic line stands after some symbols (immutable, so hypotheses share it)."""

    state: str = "start"  # start | num | frac | dot | close | op | neg
    depth: int = 0
    equals: bool = False

    def push(self, c: str) -> "Prefix | None":
        s, d, eq = self.state, self.depth, self.equals
        operand = s in ("start", "op", "neg")
        if c in DIGITS:
            if s in ("num", "frac", "start", "op", "neg"):
                return Prefix("num", d, eq)
            if s == "dot":
                return Prefix("frac", d, eq)
            return None
        if c == ".":
            return Prefix("dot", d, eq) if s in ("num", "start", "op", "neg") else None
        if c == "(":
            return Prefix("start", d + 1, eq) if operand else None
        if c == ")":
            return Prefix("close", d - 1, eq) if d > 0 and s in ("num", "frac", "close") else None
        if c == "-" and s == "start":  # '3×-2' is legal, but far likelier a misread
            return Prefix("neg", d, eq)
        if c in BINARY:
            return Prefix("op", d, eq) if s in ("num", "frac", "close") else None
        if c == "=":
            return Prefix("start", 0, True) if not eq and d == 0 and s in ("num", "frac", "close") else None
        return None

    def complete(self) -> bool:
        """A whole line: ends in a number or ')', or right after a top-level '='."""
        if self.depth:
            return False
        return self.state in ("num", "frac", "close") or (self.equals and self.state == "start")


@dataclass
class Hyp:
    score: float
    prefix: Prefix
    labels: tuple
    spans: tuple  # (start, stop) of segments each symbol covers
    probs: tuple


def decode(n: int, options, merges=None, beam: int = BEAM, cost=None, min_p: float = MIN_P,
           rescue: bool = True):
    """Best reading of ``n`` segments.

    ``options(start, stop)`` gives [(label, p), ...] for segments start..stop-1 read as one
    symbol, or ``None`` where they may not be one; ``merges`` limits how many segments
    one symbol may span; ``cost(start, stop)`` is the log prior of such a symbol (by default
    one symbol's ``CUT_COST`` and a ``MERGE_COST`` per extra segment).
    Returns (labels, probs, spans), or ``None`` when nothing parses. Where no hypothesis, not
    even an unfinished line, reaches the end, the line is read again down to ``RESCUE_P``
    (``rescue``): the grammar then picks among readings the network thought unlikely.
    """
    merges = merges or MAX_MERGE
    cost = cost or (lambda a, b: CUT_COST + MERGE_COST * (b - a - 1))
    at: dict[int, list[Hyp]] = {0: [Hyp(0.0, Prefix(), (), (), ())]}
    for i in range(n):
        hyps = sorted(at.pop(i, []), key=lambda h: -h.score)[:beam]
        for stop in range(i + 1, min(n, i + merges) + 1):
            opts = options(i, stop)
            if not opts:
                continue
            prior = cost(i, stop)
            for lab, p in opts:
                if p < min_p:
                    continue
                for h in hyps:
                    nxt = h.prefix
                    for c in lab:  # a pair of touching digits is one label of two
                        nxt = nxt.push(c) if nxt is not None else None
                    if nxt is None:
                        continue
                    after = DOT_BETWEEN_DIGITS if lab[0] in DIGITS and _digit_dot(h.labels) else 0.0
                    at.setdefault(stop, []).append(Hyp(h.score + math.log(p) + prior + after, nxt, h.labels + (lab,),
                                                       h.spans + ((i, stop),), h.probs + (p,)))
    final = at.get(n, [])
    done = [h for h in final if h.prefix.complete()]
    best = max(done or final, key=lambda h: h.score, default=None)
    if best is None:
        return decode(n, options, merges, beam, cost, RESCUE_P) if rescue and min_p > RESCUE_P else None
    return list(best.labels), list(best.probs), list(best.spans)


def _digit_dot(labels) -> bool:
    """Whether these labels end in a digit and a multiplication dot."""
    return len(labels) >= 2 and labels[-1] == "\u00b7" and labels[-2][-1:] in DIGITS


def whole_line(labels) -> bool:
    """Whether these labels read as a complete arithmetic line."""
    p = Prefix()
    for c in "".join(labels):
        p = p.push(c)
        if p is None:
            return False
    return p.complete()
