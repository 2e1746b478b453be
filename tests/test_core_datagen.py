"""Data generator: determinism, balance over operand lengths, dedup, disjoint splits."""

from __future__ import annotations

from collections import Counter

from calcapp.expr.datagen import canonical_key, generate, split_of, value_key
from calcapp.expr.parser import parse
from calcapp.expr.tasks import preset


def test_deterministic_from_seed():
    spec = preset("arith3")
    a = generate(spec, 500, seed=7)
    b = generate(spec, 500, seed=7)
    c = generate(spec, 500, seed=8)
    assert a == b
    assert a != c


def test_balanced_over_operand_lengths():
    spec = preset("add3")
    examples = generate(spec, 6000, seed=1)
    lengths = Counter()
    for ex in examples:
        for operand in ex.model_input.split("+"):
            lengths[len(operand)] += 1
    # 1-digit operands are only 10 values, so pairs of them run out; still far from drowned
    total = sum(lengths.values())
    for n in (1, 2, 3):
        assert lengths[n] / total > 0.2, lengths


def test_deduplicated_by_value():
    spec = preset("arith3")
    examples = generate(spec, 3000, seed=2)
    keys = [value_key(parse(e.text)) for e in examples]
    assert len(keys) == len(set(keys))


def test_splits_share_no_expression_nor_commuted_twin():
    spec = preset("add3")
    keys = {}
    for split in ("train", "val", "test"):
        keys[split] = {canonical_key(parse(e.text)) for e in generate(spec, 3000, seed=5, split=split)}
    assert not keys["train"] & keys["val"]
    assert not keys["train"] & keys["test"]
    assert not keys["val"] & keys["test"]
    # commuted twins fold to one key, and so to one split
    assert canonical_key(parse("12+345")) == canonical_key(parse("345+12"))
    assert split_of(canonical_key(parse("12*345"))) == split_of(canonical_key(parse("345*12")))


def test_fresh_epochs_never_leak_test_expressions():
    spec = preset("add3")
    test_keys = {canonical_key(parse(e.text)) for e in generate(spec, 2000, seed=0, split="test")}
    for epoch in range(3):
        train = generate(spec, 2000, seed=f"epoch-{epoch}")
        assert not {canonical_key(parse(e.text)) for e in train} & test_keys


def test_tiny_task_can_be_exhaustive():
    spec = preset("add1")
    examples = generate(spec, 1000, seed=0, holdout=0)
    assert len(examples) == 100
    assert {e.model_input for e in examples} == {f"{a}+{b}" for a in range(10) for b in range(10)}


def test_targets_are_right_and_inputs_covered():
    for name in ("arith3", "expr"):
        spec = preset(name)
        for ex in generate(spec, 400, seed=4):
            assert spec.covers(ex.text)
            assert spec.target(ex.text) == ex.target
            assert spec.model_input(ex.text) == ex.model_input


def test_spaces_and_leading_zeros_appear_in_arith3():
    examples = generate(preset("arith3"), 2000, seed=9)
    assert any(" " in e.model_input for e in examples)
    assert any(op.startswith("0") and len(op) > 1 for e in examples for op in e.model_input.replace("-", "+").replace("*", "+").replace("/", "+").split("+"))
