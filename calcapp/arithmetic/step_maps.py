"""Step maps: for one step of a model's working, what each written character came from.

Why one shape for every model: the Inside tab opens any step of the working the same way,
whatever wrote it. A seq2seq model's map is its learned attention over the pass's input
(a rewriting model writes one pass per step). The general model has no attention: its map
is the record of which input digits the cell that wrote each digit read
(``columns.reads``), with how much the cell's answer fell when one read was blanked.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from calcapp.expr.errors import CalcError

READS, ATTENTION, NONE = "reads", "attention", "none"


@dataclass(frozen=True)
class StepMap:
    """One step's map: ``values[row, col]``, rows = what the step wrote, cols = its input."""

    index: int  # the step's place in the working (``Answer.steps``)
    step: str  # the step as written
    kind: str  # READS, ATTENTION or NONE (no network wrote a character in this step)
    title: str  # what the map is, in words
    note: str  # how to read it, or why there is none
    input_chars: list[str] = field(default_factory=list)
    output_chars: list[str] = field(default_factory=list)
    values: np.ndarray | None = None  # (outputs, inputs)
    confidence: list[float] = field(default_factory=list)  # per output: the network's own
    occlusion: np.ndarray | None = None  # (outputs, inputs): fall of that confidence, read blanked
    cells: list[str] = field(default_factory=list)  # per output: the cell call, in words
    source: str = ""  # what the step read, when not written in it (a pass's input)
    states: np.ndarray | None = None  # a pass's encoder states (inputs, units)


@dataclass(frozen=True)
class StepMaps:
    """Every step's map of one input's working, in the working's order."""

    text: str
    model: str
    maps: list[StepMap]


def none_map(index: int, step: str, why: str) -> StepMap:
    return StepMap(index, step, NONE, "no network wrote this step", why)


def attention_map(index: int, step: str, inspection, pass_input: str) -> StepMap:
    """A seq2seq pass's attention as a step map (rows in the order the decoder wrote)."""
    if inspection.attention is None:
        return none_map(index, step, "this model has no attention")
    return StepMap(
        index, step, ATTENTION, "attention (learned): where the decoder looked",
        f"pass input {pass_input}; rows: the characters as the decoder wrote them, "
        "heads averaged", list(inspection.input_chars), list(inspection.output_chars),
        np.asarray(inspection.attention, dtype=float), list(inspection.confidence),
        source=pass_input, states=np.asarray(inspection.encoder_states, dtype=float))


def pass_maps(predictor, text: str) -> StepMaps:
    """A seq2seq model's step maps: one per pass of a rewriting model (each pass reads the
    text the pass before wrote). A one-pass model has no steps: its one map is the whole
    answer's inspection."""
    pred = predictor.predict([text])[0]
    steps = list(getattr(pred, "steps", ()) or ())
    name = getattr(predictor, "name", "model")
    maps, prev = [], predictor.spec.model_input(text) if steps else text
    for i, step in enumerate(steps):
        try:
            ins = predictor.inspect(prev)
        except (CalcError, ValueError, KeyError) as exc:  # a pass wrote what does not read back
            maps.append(none_map(i, step, f"the pass input {prev!r} cannot be read: {exc}"))
        else:
            maps.append(attention_map(i, step, ins, prev))
        prev = step
    return StepMaps(text, name, maps)
