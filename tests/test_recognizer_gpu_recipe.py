"""The GPU recipe for the picture view: candidates are parsed as written, CROHME variants and the
validation side are told apart, and the networks the GPU trained come back into Keras and the
app's NumPy path with the very same outputs (the JAX training itself needs JAX and a GPU; see
training/recognizer_gpu.py)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from training import recognizer_gpu as gpu  # noqa: E402


def test_a_candidate_names_its_layers_epochs_and_crohme_variants():
    assert gpu.parse_arch("32,32,p,64,64,p:256@60/c2") == ([32, 32, "p", 64, 64, "p"], 256, 60, 2)
    assert gpu.parse_arch("48,p,96,p:192") == ([48, "p", 96, "p"], 192, 0, 0)


def test_crohme_rows_are_numbered_by_variant_and_every_source_counts_alike():
    arrays = {"sources": np.array(["mnist", "crohme"]), "source": np.array([0, 0, 1, 1, 1, 1, 1, 1]),
              "copies": np.array(3)}
    assert gpu._copy_index(arrays).tolist() == [0, 0, 0, 1, 2, 0, 1, 2]
    assert gpu.score({"mnist": {"n": 100, "errors": 1}, "crohme": {"n": 1000, "errors": 30}}) == pytest.approx(0.02)


def test_networks_trained_on_the_gpu_come_back_with_the_same_outputs(tmp_path):
    keras = pytest.importorskip("keras")
    from calcapp.handwriting import cnn
    from calcapp.handwriting.layers import forward

    from training.recognizer import gpu_members

    arch = "4,4,p,8,p:16"
    convs, dense, _, _ = gpu.parse_arch(arch)
    rng = np.random.default_rng(0)
    made = []
    for m in range(2):  # as recognizer_gpu.save_member writes them: Keras' order, kernel then bias
        params = _keras_shaped(cnn, convs, dense, rng)
        gpu.save_member(tmp_path, f"member{m}", params, arch)
        made.append(params)
    (tmp_path / "report.json").write_text(json.dumps({"args": {}, "candidates": {}, "members": []}))
    members, got_arch, _ = gpu_members(tmp_path)
    assert got_arch == arch and len(members) == 2
    x = rng.random((5, 28, 28, 1)).astype(np.float32)
    model = cnn.build_ensemble(members)
    folder = cnn.save(model, tmp_path / "rec", {"name": "t"})
    card = json.loads((folder / "card.json").read_text())
    with np.load(folder / cnn.WEIGHTS_NAME) as z:
        weights = {k: z[k] for k in z.files}
    from calcapp.handwriting.recognizer import member_prefix

    numpy_mean = np.mean([forward(x, card["numpy_layers"], weights, member_prefix(k)) for k in range(2)], axis=0)
    assert np.allclose(numpy_mean, model.predict(x, verbose=0), atol=1e-5)
    assert [layer.name for layer in members[0].layers if "conv" in layer.name] == ["conv1", "conv2", "conv3"]
    assert isinstance(members[0], keras.Model)


def _keras_shaped(cnn, convs, dense, rng):
    """Random (kernel, bias) pairs in the shapes ``init_params`` makes (Keras' shapes)."""
    model = cnn.build_model(convs=",".join(str(t) for t in convs), dense=dense)
    w = [rng.normal(0, 0.3, a.shape).astype(np.float32) for a in model.get_weights()]
    return list(zip(w[::2], w[1::2]))


def test_the_jax_networks_have_keras_shapes_and_outputs():
    jax = pytest.importorskip("jax")
    pytest.importorskip("keras")
    from calcapp.handwriting import cnn

    convs, dense, _, _ = gpu.parse_arch("4,4,p,8,p:16")
    params = gpu.init_params(jax.random.PRNGKey(0), convs, dense, 19)
    model = cnn.build_model(convs="4,4,p,8,p", dense=16)
    model.set_weights([np.asarray(a) for pair in params for a in pair])
    x = np.random.default_rng(1).integers(0, 255, (3, 28, 28)).astype(np.uint8)
    assert np.allclose(gpu.predict(params, convs, x), model.predict(x[..., None] / 255.0, verbose=0), atol=1e-5)


def test_a_retrained_picture_view_keeps_its_companions_and_their_card_entries(tmp_path):
    pytest.importorskip("keras")
    from calcapp.handwriting import cnn
    from calcapp.handwriting.personal import COMPANIONS

    from training.recognizer import finish

    base = tmp_path / "base"
    base.mkdir()
    (base / "card.json").write_text(json.dumps({"trajectory": {"weight": 1.5}, "pieces": {"kinds": ["one"]},
                                                      "pairs": {"classes": "100 pairs"}}))
    for name in COMPANIONS.values():
        (base / name).write_bytes(b"companion")
    out = tmp_path / "new"
    finish(cnn.build_model(width=4, dense=8), out, {"name": "recognizer", "kind": "recognizer"}, {},
           companions_from=str(base))
    card = json.loads((out / "card.json").read_text())
    assert card["trajectory"] == {"weight": 1.5} and card["pieces"] == {"kinds": ["one"]}
    assert card["pairs"] == {"classes": "100 pairs"}
    assert all((out / name).read_bytes() == b"companion" for name in COMPANIONS.values())


def test_an_averaged_recognizer_takes_its_companions_from_the_folder_named(tmp_path, monkeypatch):
    pytest.importorskip("keras")
    from calcapp.handwriting import cnn
    from calcapp.handwriting.personal import COMPANIONS

    from training import recognizer as recipe

    members = []
    for seed in (1, 2):  # freshly trained members: no pen view or piece network of their own
        members.append(cnn.save(cnn.build_model(width=4, dense=8), tmp_path / f"m{seed}",
                                {"name": "recognizer", "kind": "recognizer", "architecture": "tiny"}))
    base = tmp_path / "bundled"
    base.mkdir()
    (base / "card.json").write_text(json.dumps({"trajectory": {"weight": 1.5}, "pieces": {"kinds": ["one"]},
                                                      "pairs": {"classes": "100 pairs"}}))
    for name in COMPANIONS.values():
        (base / name).write_bytes(b"companion")
    import tensorflow as tf

    monkeypatch.setattr(tf.config.threading, "set_intra_op_parallelism_threads", lambda n: None)  # set once per process
    monkeypatch.setattr(recipe, "load_all", lambda *a: {})
    monkeypatch.setattr(recipe, "measure", lambda *a: {})
    out = tmp_path / "averaged"
    assert recipe.main(["--data", str(tmp_path), "--ensemble", *map(str, members),
                        "--companions-from", str(base), "--out", str(out)]) == 0
    card = json.loads((out / "card.json").read_text())
    assert card["trajectory"] == {"weight": 1.5} and card["pieces"] == {"kinds": ["one"]}
    assert card["pairs"] == {"classes": "100 pairs"}
    assert all((out / name).read_bytes() == b"companion" for name in COMPANIONS.values())
