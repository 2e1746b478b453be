"""A warm start: a new model begins from a trained one's weights where their shapes allow.

Why apart from the trainer: curricula grow a model in stages (a new option, a longer
alphabet), and each stage must begin as exactly the model before it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from calcapp.arithmetic.model.weights import read_keras_file
from calcapp.nets.registry import MODEL_NAME


def init_folder(where) -> Path:
    """Where a warm start (``init_from``) starts: a folder path (absolute, or relative to
    here or to the checkout) or a model's name; a clear LookupError when there is none."""
    from calcapp.nets.registry import find_model

    path = Path(where)
    for candidate in (path, Path(__file__).resolve().parents[2] / path):
        if (candidate / MODEL_NAME).is_file():
            return candidate
    try:
        return Path(find_model(str(where)).path)
    except LookupError:
        raise LookupError(f"this recipe starts from the model {str(where)!r} (init_from), which is "
                          f"not in your models; train that first (calcapp train --recipe {where})") from None


def warm_start(model, folder) -> list[str]:
    """Copy every weight of the model in ``folder`` whose name and shape match; the names
    copied come back. Why: a new notation or feature (same weights, new meaning for a few
    inputs) retrains in minutes from a model that already reads the task, instead of hours.

    An output alphabet that only grew at its end (``mul_columns`` adds column tokens) keeps
    the old tokens' rows and columns, and decoder inputs added after the old ones
    (``divisor_digits``) keep the old rows, as do context features appended after the old
    ones (the rewriter's sign flags). Rows for new inputs start at zero, so the warm model
    begins exactly where the old one was; other new weights start from their initialisation.
    """
    import keras

    from calcapp.arithmetic.keras_layer import net_of

    old_cfg, old = read_keras_file(init_folder(folder) / MODEL_NAME)
    net = net_of(model)
    v0, v1 = old_cfg["vout"], net.cfg["vout"]
    grown = v1 > v0 and net.cfg["out_tokens"][:v0] == old_cfg["out_tokens"]
    copied = []
    for name, var in net.weight_dict().items():
        if name not in old:
            continue
        w, new = old[name], None
        if tuple(w.shape) == tuple(var.shape):
            new = w
        elif grown and name in ("out/kernel", "out/bias"):
            new = np.array(keras.ops.convert_to_numpy(var))
            new[..., :v0] = w
        elif (name == "dec0/kernel" and w.shape[1] == var.shape[1]
              and var.shape[0] - v1 >= w.shape[0] - v0 and (grown or v0 == v1)):
            # rows: previous token one-hot, then the old inputs, then any new feature rows
            new = np.array(keras.ops.convert_to_numpy(var))
            new[:v0], new[v1:v1 + w.shape[0] - v0] = w[:v0], w[v0:]
            new[v1 + w.shape[0] - v0:] = 0.0
        elif (name == "combine/kernel" and w.shape[1] == var.shape[1]
              and var.shape[0] > w.shape[0]):
            # rows: decoder state, then the context, new context features last (rewriter)
            new = np.zeros(var.shape, dtype="float32")
            new[:w.shape[0]] = w
        if new is not None:
            var.assign(new)
            copied.append(name)
    return copied
