"""A calculator network's configuration: one typed record instead of a dict of string flags.

Why one record for every architecture, not one class each: the knobs cross architectures
(the bidirectional encoder, its padding mask and place features serve ``bilstm``,
``attention`` and the rewriter alike; ``heads`` serves attention and the transformer), so
per-architecture classes would push ``isinstance`` checks into the shared encoder. Instead
every knob is a typed field with its default and its meaning written here once, defaults
that depend on other knobs are settled on loading (``from_dict``), and an unknown key is
an error, not a silently ignored typo. The saved form stays the plain dict Keras keeps in
``model.keras``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Mapping


@dataclass(frozen=True)
class NetConfig:
    arch: str  # one of weights.ARCHITECTURES
    vin: int  # input alphabet size
    vout: int  # output alphabet size
    tin: int  # input steps
    tout: int  # output steps
    units: int  # width of the recurrences (the transformer's model width)
    in_tokens: tuple[str, ...] = ()
    out_tokens: tuple[str, ...] = ()
    layers: int = 1
    end_marker: bool = True  # the answer ends with </s>
    dec_units: int = 3  # tiny-rnn: the decoder's width
    # trained at short lengths and run at full ones (``data.inference_cfg``)
    length_free: bool = False
    full_tin: int = 0
    full_tout: int = 0
    # notations the answer is written in (``data.model_cfg``): product columns, remainders
    mul_columns: int = 0
    div_remainders: int = 0
    # the bidirectional encoder
    mask_pad: bool = False  # padding leaves the state unchanged
    places: int = 0  # place-value features of this many places (0: none)
    operands: int = 2  # operand features: which operand a digit is in
    # the attention decoder
    heads: int = 2
    att_units: int = 0  # 0 on loading: ``units``
    align: bool = False  # head k looks for the digit of place t in operand k
    char_values: bool = False  # attention values are the characters only
    stateless: bool = False  # a feed-forward decoder cell: no recurrence
    pairs: int = 0  # the digit-pair column of a long multiplication, for operands this long
    pair_dim: int = 0  # 0 on loading: 64 for the attention decoder, 32 for the rewriter
    div_msd: bool = False  # quotients in long-division order
    divisor_digits: int = 0  # the divisor's digits handed to every quotient step
    # the rewriter (attention with ``rewrite``): one operation per pass
    rewrite: bool = False
    wide: bool = False  # the operands' places 2-4 and which operand is larger
    deep: int = 0  # width of a residual hidden layer before the output (0: none)
    quotients: int = 0  # width of the 2-digit by 1-digit quotient table (0: none)
    long_division: int = 0  # width of the long-division cell (0: none)
    ff: int = 0  # the transformer's feed-forward width; 0 on loading: 2 * units

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "NetConfig":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown network setting(s): {', '.join(unknown)}")
        values = dict(data)
        for key in ("in_tokens", "out_tokens"):
            values[key] = tuple(values.get(key, ()))
        values.setdefault("att_units", 0)
        if not values["att_units"]:
            values["att_units"] = values["units"]
        if not values.get("pair_dim"):
            values["pair_dim"] = 32 if values.get("rewrite") else 64
        if not values.get("ff"):
            values["ff"] = 2 * values["units"]
        return cls(**values)


def as_config(cfg) -> NetConfig:
    """A ``NetConfig`` from itself or from its saved dict."""
    return cfg if isinstance(cfg, NetConfig) else NetConfig.from_dict(cfg)
