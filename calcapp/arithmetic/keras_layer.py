"""The Keras side of the shared math: one serialisable layer that holds a whole model.

Why one layer: every architecture's math lives in ``calcapp.arithmetic.model.architectures`` as plain
functions of ``(ops, weights)``. Wrapping it in a single registered layer keeps the saved
``.keras`` file loadable with ``safe_mode=True``, gives the NumPy reader one weight group
in a known order, and runs unchanged under the TensorFlow or JAX backend.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from calcapp.arithmetic.model import architectures as A
from calcapp.arithmetic.model.config import NetConfig
from calcapp.arithmetic.model.encoder import encode
from calcapp.arithmetic.model.weights import weight_specs
from calcapp.nets.numpy_ops import LAYER_NAME

_INITS = {
    "glorot": lambda: keras.initializers.GlorotUniform(),
    "orthogonal": lambda: keras.initializers.Orthogonal(),
    "zeros": lambda: keras.initializers.Zeros(),
    "ones": lambda: keras.initializers.Ones(),
    "normal": lambda: keras.initializers.RandomNormal(stddev=0.1),
    "align": lambda: keras.initializers.Constant(5.0),
}


@keras.saving.register_keras_serializable(package="calcapp")
class Seq2SeqNet(keras.layers.Layer):
    """Inputs: encoder ids (B, Tin) [and, teacher-forced, decoder ids (B, Tout)]; out: logits."""

    def __init__(self, cfg: dict[str, Any], **kwargs):
        super().__init__(**kwargs)
        self.cfg = dict(cfg)  # the saved form (``get_config``)
        self.net = NetConfig.from_dict(self.cfg)  # what the maths reads
        self._names: list[str] = []
        self._vars: list[Any] = []

    def build(self, input_shape):
        for name, shape, init in weight_specs(self.net):
            if init == "forget_bias":
                u = shape[0] // 4
                initializer = keras.initializers.Constant(
                    [0.0] * u + [1.0] * u + [0.0] * (2 * u))
            else:
                initializer = _INITS[init]()
            self._vars.append(self.add_weight(name=name.replace("/", "_"), shape=shape,
                                              initializer=initializer))
            self._names.append(name)
        self.built = True

    def weight_dict(self) -> dict[str, Any]:
        return dict(zip(self._names, self._vars))

    def call(self, inputs):
        W = self.weight_dict()
        if A.teacher_forced(self.cfg["arch"]):
            enc_ids, dec_ids = inputs
            losses: list = []
            out = A.teacher_logits(ops, W, self.net, enc_ids, dec_ids, losses)
            for loss in losses:
                self.add_loss(loss)
            return out
        enc_ids = inputs[0] if isinstance(inputs, (list, tuple)) else inputs
        return A.decode_repeat(ops, W, self.net, encode(ops, W, self.net, enc_ids))

    def compute_output_shape(self, input_shape):
        first = input_shape[0] if isinstance(input_shape, (list, tuple)) and isinstance(
            input_shape[0], (list, tuple)) else input_shape
        return (first[0], self.cfg["tout"], self.cfg["vout"])

    def get_config(self):
        return {**super().get_config(), "cfg": self.cfg}


def build_model(cfg: dict[str, Any]) -> keras.Model:
    enc = keras.Input((cfg["tin"],), dtype="int32", name="enc_ids")
    inputs = [enc]
    if A.teacher_forced(cfg["arch"]):
        inputs.append(keras.Input((cfg["tout"],), dtype="int32", name="dec_ids"))
    net = Seq2SeqNet(cfg, name=LAYER_NAME)
    out = net(inputs if len(inputs) > 1 else enc)
    return keras.Model(inputs if len(inputs) > 1 else enc, out, name=cfg["arch"].replace("-", "_"))


def net_of(model: keras.Model) -> Seq2SeqNet:
    return model.get_layer(LAYER_NAME)


def keras_forward(model: keras.Model, enc_ids, cfg: dict[str, Any] | None = None) -> dict[str, Any]:
    """Greedy decoding with Keras ops (eager; batched, runs on a GPU when there is one).

    ``cfg`` overrides the layer's own (a length-free model unrolled at other lengths).
    """
    net = net_of(model)
    out = A.forward(ops, net.weight_dict(), cfg or net.cfg, ops.convert_to_tensor(enc_ids, "int32"))
    return {k: (None if v is None else ops.convert_to_numpy(v)) for k, v in out.items()}
