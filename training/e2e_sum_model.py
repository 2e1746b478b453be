"""The seed's end-to-end model: digit images of "294+61" in, the sum written out.

A CNN reads every image of the sequence (TimeDistributed) and an LSTM encoder-decoder
writes the sum's digits. It is kept as a comparison with the two-stage pipeline
(recognise, then compute), not used by the app. The CNN is the bundled recognizer, frozen,
and the LSTM reads its class probabilities for each image: training then only has to learn
the addition, which on a CPU takes minutes instead of hours, and the model reads digits as
well as the recognizer does. (With the recognizer's 128 hidden features instead, the LSTM
fitted the training images' features and reached 91% against the two-stage pipeline's 94%.)
Sequences are left-aligned and padded with blank images; sums are written left-aligned and
padded with spaces.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_DIGITS = 3
SEQ_LEN = 2 * MAX_DIGITS + 1  # "999+999"
OUT_LEN = MAX_DIGITS + 1  # "1998"
OUT_VOCAB = list("0123456789 ")


@dataclass
class Sequences:
    images: np.ndarray  # (n, SEQ_LEN, 28, 28) float32, blank-padded
    targets: np.ndarray  # (n, OUT_LEN) ints into OUT_VOCAB
    texts: list[str]  # "294+61"
    sums: list[str]  # "355"


def encode_sum(value: int) -> list[int]:
    s = str(value).ljust(OUT_LEN)
    return [OUT_VOCAB.index(c) for c in s]


def decode(probs: np.ndarray) -> list[str]:
    return ["".join(OUT_VOCAB[i] for i in row).strip() for row in probs.argmax(-1)]


def sample_texts(n: int, rng: np.random.Generator) -> list[tuple[int, int]]:
    """Operands with 1-3 digits, each length equally likely (so short sums are not rare)."""
    out = []
    for _ in range(n):
        la, lb = rng.integers(1, MAX_DIGITS + 1, 2)
        a = int(rng.integers(0 if la == 1 else 10 ** (la - 1), 10 ** la))
        b = int(rng.integers(0 if lb == 1 else 10 ** (lb - 1), 10 ** lb))
        out.append((a, b))
    return out


def make_index_sequences(pairs, digit_pools: dict[int, np.ndarray], plus_pool: np.ndarray,
                         rng: np.random.Generator, blank: int = -1) -> np.ndarray:
    """Per sequence, indices into an image bank (``blank`` for padding).

    ``digit_pools[d]`` and ``plus_pool`` hold bank indices, so both images and precomputed
    features can be gathered with the same arrays.
    """
    idx = np.full((len(pairs), SEQ_LEN), blank, dtype=np.int64)
    for i, (a, b) in enumerate(pairs):
        chars = f"{a}+{b}"
        for j, ch in enumerate(chars):
            pool = plus_pool if ch == "+" else digit_pools[int(ch)]
            idx[i, j] = pool[rng.integers(len(pool))]
    return idx


def build_head(feature_dim: int, units: int = 256):
    import keras
    from keras import layers

    inp = keras.Input((SEQ_LEN, feature_dim), name="features")
    x = layers.LSTM(units, name="encoder")(inp)
    x = layers.RepeatVector(OUT_LEN, name="repeat")(x)
    x = layers.LSTM(units, return_sequences=True, name="decoder")(x)
    out = layers.TimeDistributed(layers.Dense(len(OUT_VOCAB), activation="softmax"), name="digits")(x)
    return keras.Model(inp, out, name="e2e_head")


def trunk_of(recognizer_model, layer: str | None = None):
    """The frozen CNN that reads each image: the whole recognizer (its 19 class
    probabilities per image) or its layers up to ``layer``."""
    import keras

    out = recognizer_model.outputs[0] if layer is None else recognizer_model.get_layer(layer).output
    trunk = keras.Model(recognizer_model.inputs, out, name="cnn")
    trunk.trainable = False
    return trunk


def assemble(trunk, head):
    """Images in, sum out: TimeDistributed(CNN) feeding the encoder-decoder."""
    import keras
    from keras import layers

    inp = keras.Input((SEQ_LEN, 28, 28, 1), name="images")
    feats = layers.TimeDistributed(trunk, name="read_each")(inp)
    return keras.Model(inp, head(feats), name="e2e_sum")


def load_e2e(path=None):
    """The bundled end-to-end model (Keras; only benchmarks and the recipe use it)."""
    import keras

    from calcapp.paths import bundled_models_dir

    folder = bundled_models_dir() / "e2e-sum" if path is None else path
    return keras.saving.load_model(f"{folder}/model.keras", safe_mode=True)


def predict_sums(model, images: np.ndarray, batch_size: int = 256) -> list[str]:
    return decode(model.predict(images[..., None], batch_size=batch_size, verbose=0))
