"""The codec: round trips, padding, reversal, end markers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from calcapp.expr.codec import END_ID, PAD_ID, TOKENS, VOCAB_SIZE, Codec, decode, encode, one_hot
from calcapp.expr.tasks import preset

ALPHABET = "".join(t for t in TOKENS if len(t) == 1)


@given(st.lists(st.text(alphabet=ALPHABET, max_size=12), min_size=1, max_size=8), st.booleans())
def test_round_trip(texts, reverse):
    # padding and trailing spaces: decode keeps spaces, so compare exactly
    ids = encode(texts, 13, reverse=reverse, end=True)
    assert decode(ids, reverse=reverse) == texts


def test_padding_and_markers():
    ids = encode(["12"], 5, end=True, start=True)
    assert ids.tolist()[0][-1] == PAD_ID
    assert ids.tolist()[0][3] == END_ID
    assert decode(ids) == ["12"]


def test_one_hot_and_probabilities_decode():
    ids = encode(["7+8", "9"], 4)
    oh = one_hot(ids)
    assert oh.shape == (2, 4, VOCAB_SIZE)
    assert np.allclose(oh.sum(-1), 1)
    assert decode(oh) == ["7+8", "9"]


def test_too_long_is_refused():
    with pytest.raises(ValueError):
        encode(["12345"], 3)


def test_task_codec_reverses_as_the_spec_says():
    spec = preset("add3").with_(reverse_input=True, reverse_output=True)
    codec = Codec(spec)
    x = codec.encode_inputs(["12+345"])
    assert decode(x) == ["543+21"]
    y = codec.encode_targets(["357"])
    assert y.shape == (1, spec.max_output_len + 1)
    assert codec.decode_outputs(y) == ["357"]
