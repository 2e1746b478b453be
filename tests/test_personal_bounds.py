"""The figures behind "why 20 corrections do not halve the errors" (benchmarks/personal_bounds.py):
the adaptations tried learn from labels, leave the network alone without them, and the bounds count
what they claim to count."""

from __future__ import annotations

import numpy as np

from benchmarks import personal_bounds as pb

C = 5  # the fifth class, "-", is never written


def writer_views(n: int = 120, confused_from: int = 60, seed: int = 0) -> tuple[dict, np.ndarray, dict]:
    """One writer whose class 2 the network reads as 1 (sure of it, a little less than of a real 1) from
    symbol ``confused_from`` on; every other symbol is read right. Embeddings: one tight cluster per class."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 4
    p = np.full((n, C), 0.0005)
    p[np.arange(n), y] = 0.998
    bad = (y == 2) & (np.arange(n) >= confused_from)
    p[bad, 2], p[bad, 1] = 0.005, 0.994
    q = np.eye(C)[y] + rng.normal(0, 0.01, (n, C))
    pens = np.zeros((n, 163), np.float32)
    views = {"y": y, "p": p / p.sum(1, keepdims=True), "writer": np.array(["w"] * n), "pens": pens}
    ix = np.arange(n)
    return views, q, {"w": (ix, ix[50:])}


def test_without_labels_the_adaptations_leave_the_network_as_it_is():
    views, q, _ = writer_views()
    lp = pb.log_p(views["p"])
    assert not pb.fit_bias(lp[:0], views["y"][:0]).any()
    assert not pb.fit_linear(q[:0], lp[:0], views["y"][:0]).any()


def test_confirmations_barely_move_a_bias_and_corrections_of_one_confusion_do():
    views, q, _ = writer_views()
    y, lp = views["y"], pb.log_p(views["p"])
    confirmed = pb.fit_bias(lp[:40], y[:40])
    assert np.abs(confirmed).max() < 0.1  # read right and sure: nothing to learn
    fixes = np.flatnonzero((y == 2) & (np.arange(len(y)) >= 60))[:8]
    corrected = pb.fit_bias(lp[fixes], y[fixes])
    assert corrected[2] > corrected[1]
    w = pb.fit_linear(q[np.r_[0:40, fixes]], lp[np.r_[0:40, fixes]], y[np.r_[0:40, fixes]])
    later = np.flatnonzero((y == 2) & (np.arange(len(y)) >= 100))
    assert (pb.linear_read(w, q[later], lp[later]) == 2).all()


def test_curves_count_own_and_others_errors_per_k():
    views, q, wins = writer_views()
    out = pb.curves(views, q, wins, (0, 20), others=False)
    assert out["bias"]["own"][0]["w"] == [15, 70]  # the network: every class-2 symbol from 60 on
    assert out["linear"]["own"][20]["w"][1] == 70


def test_the_bounds_see_what_earlier_labels_could_teach():
    views, q, wins = writer_views()
    b = pb.bounds(views, q, wins)
    assert b["oracle_bias"] == 0  # a bias fitted on the answers fixes one systematic confusion
    assert b["earlier_memory"] < 15  # the writer's own earlier '2's, labelled, outvote the network
    assert b["other_memory_near"] <= b["earlier_memory"]
    an = pb.anatomy(views, wins, ["0", "1", "2", "."] + ["-"], k=20)
    assert an["errors"] == 15 and an["sure"] == 15 and an["first_misreads"] == 0 and an["absent"] == 0
    assert an["pairs"] == [("2>1", 15)]


def test_the_bow_of_a_straight_stroke_is_small_and_of_a_bent_one_large():
    t = np.linspace(0, 1, 32)
    straight = np.zeros(163, np.float32)
    straight[:64] = np.c_[np.zeros(32), 2 * t - 1].ravel()
    bent = np.zeros(163, np.float32)
    bent[:64] = np.c_[0.5 * np.sin(np.pi * t), 2 * t - 1].ravel()
    assert pb._bow(straight) < 0.01 < 0.4 < pb._bow(bent)


def test_a_writers_lean_is_measured_on_tall_strokes_and_taken_out():
    from calcapp.ink.strokes import Point, Stroke

    lean = np.radians(12)
    def leaning(x0):  # a '1' leaning right (y grows down the page)
        return Stroke([Point(x0 + np.tan(lean) * y, y) for y in np.linspace(0, 100, 20)])
    flat = Stroke([Point(x, 50.0) for x in np.linspace(0, 80, 20)])  # a '-' says nothing about lean
    symbols = [("1", [leaning(40 * k)], 100.0) for k in range(4)] + [("-", [flat], 100.0)]
    assert abs(pb.writer_slant(symbols) - lean) < 1e-6
    straight = pb.sheared([leaning(0)], pb.writer_slant(symbols))[0].xy()
    assert np.ptp(straight[:, 0]) < 1e-6 and np.ptp(straight[:, 1]) == 100
    assert pb.writer_slant(symbols[-1:]) == 0.0  # too few tall strokes: no lean taken out
