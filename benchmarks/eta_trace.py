"""A real training run's event times, kept small (for ``training_eta.py``).

A trace is JSON. The first format was a list of ``[kind, seconds, args]`` events (one per
batch: ~60 KB for a 20,000-sample run). The second keeps the same events as whole
milliseconds, each epoch's batches delta-encoded, plus what the run's parts cost
(``phases``: data making, ``evaluate``, greedy decoding, scoring, saving the checkpoint,
garbage collections) and the machine's load, so a stall can be named afterwards:

    {"format": 2, "meta": {...}, "epochs": E, "steps_per_epoch": S, "started_ms": t,
     "batches": [[first step, its ms, delta ms, ...] per epoch], "epoch_ms": [...],
     "end_ms": t, "cpu_ms": [process CPU ms at each epoch's end],
     "phases": [[name, epoch, start ms, duration ms(, CPU ms)], ...],
     "reported": [[validation ms, data ms] per epoch, as the trainer's EpochReport gives them]}

``to_events`` gives each epoch event the validation and data-making seconds the trainer
reports (``reported``); a trace recorded before the trainer reported them gets them from
its phases (the same stretches of the same run), an old-format trace none.
"""

from __future__ import annotations

import json


def to_events(trace) -> list:
    """The trace as ``[kind, seconds, args]`` events in time order, whichever format."""
    if isinstance(trace, list):
        return trace
    if trace.get("format") != 2:
        raise ValueError("unknown trace format")
    events = [["started", trace["started_ms"] / 1000, [trace["epochs"], trace["steps_per_epoch"]]]]
    for epoch, (batches, end) in enumerate(zip(trace["batches"], trace["epoch_ms"]), 1):
        if batches:
            step, t = batches[0], batches[1]
            events.append(["batch", t / 1000, [step]])
            for delta in batches[2:]:
                step, t = step + 1, t + delta
                events.append(["batch", t / 1000, [step]])
        events.append(["epoch", end / 1000, [epoch, *_reported(trace, epoch)]])
    events.append(["end", trace["end_ms"] / 1000, []])
    return events


def _reported(trace: dict, epoch: int) -> list:
    """[validation seconds, data-making seconds] of ``epoch`` (1-based), or []."""
    if trace.get("reported"):
        return [ms / 1000 for ms in trace["reported"][epoch - 1]]
    last = trace["batches"][epoch - 1]
    last_t = last[1] + sum(last[2:]) if last else trace["started_ms"]
    mine = [p for p in trace.get("phases", []) if p[1] == epoch]
    after = [p for p in mine if p[0] in ("evaluate", "decode", "score", "save") and p[2] >= last_t]
    data = [p[3] for p in mine if p[0] == "data"]
    if not after or not data:
        return []
    return [(max(p[2] + p[3] for p in after) - min(p[2] for p in after)) / 1000, data[0] / 1000]


def from_events(events: list, meta: dict, phases: list, cpu: list, reported=None) -> dict:
    """The second format from a recorded event list (seconds) and its phases."""
    ms = lambda t: int(round(1000 * t))  # noqa: E731
    trace = {"format": 2, "meta": meta, "batches": [], "epoch_ms": [], "cpu_ms": cpu,
             "phases": phases}
    if reported:
        trace["reported"] = [[ms(v), ms(d)] for v, d in reported]
    current: list[int] = []
    last = 0
    for kind, t, args in events:
        if kind == "started":
            trace["started_ms"] = ms(t)
            trace["epochs"], trace["steps_per_epoch"] = args
        elif kind == "batch":
            if not current:
                current += [args[0], ms(t)]
            else:  # consecutive steps: only the time moves
                current.append(ms(t) - last)
            last = ms(t)
        elif kind == "epoch":
            trace["batches"].append(current)
            trace["epoch_ms"].append(ms(t))
            current = []
        elif kind == "end":
            trace["end_ms"] = ms(t)
    return trace


def load(path: str):
    with open(path) as f:
        return json.load(f)


def save(path: str, trace: dict) -> None:
    with open(path, "w") as f:
        json.dump(trace, f, separators=(",", ":"))
        f.write("\n")
