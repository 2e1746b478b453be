"""Recipe step: train picture-view candidates on a GPU with JAX, choose one on validation
writers, and train the chosen one's ensemble members on all the training material.

    python training/recognizer_gpu.py --arrays .gpu/recognizer_arrays.npz --out $OUT \
        --archs 48,p,96,p:192/c2 32,32,p,64,64,p:256/c4 --epochs 30 --seeds 2 --members 2

Why JAX and not Keras here: the lent machine has JAX but no TensorFlow, and one jitted
``lax.scan`` per epoch (the augmentation included) keeps a small CNN's GPU busy where a
per-batch loop would wait on Python. The networks are exactly the Keras shapes of
``calcapp/handwriting/cnn.py: build_model`` (valid 3x3 convolutions, 2x2 pooling, dropout
0.4 and 0.3 around the hidden dense layer, Glorot-uniform kernels), and each member's
weights are written in Keras' order, so ``training/recognizer.py --from-gpu`` turns them into
the bundled ``.keras`` model and the app's NumPy weights.

The comparison trains every candidate on the material without its validation side (CROHME
validation writers, MNIST sample images 3500-3999, the last tenth of each bhmsds, mdas and
pendigits class) and scores it there, each source counting alike; the winner's members are
then trained on everything. Nothing held out is in the arrays (recognizer_arrays.py).
"""

from __future__ import annotations

import argparse
import functools
import json
import time
from pathlib import Path

import numpy as np

ONE = 1  # the label index of '1' (calcapp.ink.synth.LABELS)


def parse_arch(text: str) -> tuple[list, int, int, int]:
    """"32,32,p,64,64,p:256@60/c2": convolutions and poolings, hidden dense units, epochs (0: the
    run's ``--epochs``) and how many of each CROHME symbol's variants to train on (0: all)."""
    text, _, copies = text.partition("/c")
    text, _, epochs = text.partition("@")
    convs, dense = text.split(":")
    return [t if t == "p" else int(t) for t in convs.split(",")], int(dense), int(epochs or 0), int(copies or 0)


def init_params(key, convs, dense, n_classes):
    import jax

    glorot = jax.nn.initializers.glorot_uniform()
    params, c, hw = [], 1, 28
    for t in convs:
        if t == "p":
            hw //= 2
            continue
        key, k = jax.random.split(key)
        params.append((glorot(k, (3, 3, c, t)), np.zeros(t, np.float32)))
        c, hw = t, hw - 2
    for fin, fout in ((hw * hw * c, dense), (dense, n_classes)):
        key, k = jax.random.split(key)
        params.append((glorot(k, (fin, fout)), np.zeros(fout, np.float32)))
    return params


def forward(params, convs, x, key=None):
    """Logits of NHWC images; dropout 0.4 before the hidden dense layer and 0.3 after it
    when ``key`` is given (training)."""
    import jax
    import jax.numpy as jnp

    i = 0
    for t in convs:
        if t == "p":
            n, h, w, c = x.shape
            x = x[:, : h // 2 * 2, : w // 2 * 2].reshape(n, h // 2, 2, w // 2, 2, c).max(axis=(2, 4))
            continue
        w_, b = params[i]
        x = jax.nn.relu(jax.lax.conv_general_dilated(x, w_, (1, 1), "VALID",
                                                     dimension_numbers=("NHWC", "HWIO", "NHWC")) + b)
        i += 1
    x = x.reshape(len(x), -1)

    def drop(x, rate, k):
        if key is None:
            return x
        keep = jax.random.bernoulli(k, 1 - rate, x.shape)
        return jnp.where(keep, x / (1 - rate), 0)

    k1, k2 = jax.random.split(key) if key is not None else (None, None)
    x = drop(x, 0.4, k1)
    x = jax.nn.relu(x @ params[i][0] + params[i][1])
    x = drop(x, 0.3, k2)
    return x @ params[i + 1][0] + params[i + 1][1]


def augment(key, img, strength):
    """One image, as ``calcapp.handwriting.data.augment`` does it on the CPU: a small random
    affine map (rotation, shear, scale, shift; bilinear), then a thicker or thinner pen."""
    import jax
    import jax.numpy as jnp

    ks = jax.random.split(key, 6)
    a = jax.random.normal(ks[0]) * 0.12 * strength
    sh = jax.random.normal(ks[1]) * 0.12 * strength
    s = jnp.exp(jax.random.normal(ks[2], (2,)) * 0.08 * strength)
    rot = jnp.array([[jnp.cos(a), -jnp.sin(a)], [jnp.sin(a), jnp.cos(a)]])
    m = rot @ jnp.array([[s[0], sh], [0.0, s[1]]])
    shift = jax.random.normal(ks[3], (2,)) * strength
    n, c = 28, 13.5
    yy, xx = jnp.meshgrid(jnp.arange(n, dtype=jnp.float32), jnp.arange(n, dtype=jnp.float32), indexing="ij")
    src = m @ jnp.stack([yy.ravel() - c, xx.ravel() - c]) + c + shift[:, None]
    y0, x0 = jnp.floor(src[0]), jnp.floor(src[1])
    fy, fx = src[0] - y0, src[1] - x0
    out = jnp.zeros(n * n)
    for dy, wy in ((0, 1 - fy), (1, fy)):
        for dx, wx in ((0, 1 - fx), (1, fx)):
            yi, xi = (y0 + dy).astype(jnp.int32), (x0 + dx).astype(jnp.int32)
            ok = (yi >= 0) & (yi < n) & (xi >= 0) & (xi < n)
            out = out + jnp.where(ok, wy * wx * img[jnp.clip(yi, 0, n - 1), jnp.clip(xi, 0, n - 1)], 0)
    im = out.reshape(n, n)
    r = jax.random.uniform(ks[4])
    p = jnp.pad(im, 1)
    thick = jnp.maximum(jnp.maximum(p[1:-1, 1:-1], p[:-2, 1:-1]), p[1:-1, :-2])
    thin = jnp.clip(im * 1.5 - 0.5, 0, 1)
    return jnp.where(r < 0.2, thick, jnp.where(r < 0.3, thin, im))


def make_epoch(convs, optimizer, one_strength: float, aug_share: float = 0.7):
    import jax
    import jax.numpy as jnp
    import optax

    aug_batch = jax.vmap(augment)

    def loss_fn(params, x, y, key):
        logits = forward(params, convs, x[..., None], key)
        return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()

    def step(carry, idx):
        params, opt, key, xs, ys = carry
        key, ka, kd, ks = jax.random.split(key, 4)
        x = xs[idx].astype(jnp.float32) / 255.0
        y = ys[idx].astype(jnp.int32)
        strength = jnp.where(y == ONE, one_strength, 1.0)
        xa = aug_batch(jax.random.split(ka, len(idx)), x, strength)
        x = jnp.where((jax.random.uniform(ks, (len(idx),)) < aug_share)[:, None, None], xa, x)
        loss, grads = jax.value_and_grad(loss_fn)(params, x, y, kd)
        updates, opt = optimizer.update(grads, opt, params)
        return (optax.apply_updates(params, updates), opt, key, xs, ys), loss

    @jax.jit
    def epoch(params, opt, key, xs, ys, order):
        (params, opt, key, _, _), losses = jax.lax.scan(step, (params, opt, key, xs, ys), order)
        return params, opt, key, losses.mean()

    return epoch


@functools.lru_cache(maxsize=None)
def _probabilities(convs: tuple):
    """One jitted forward pass per shape, not one per call (each source and network asks)."""
    import jax

    return jax.jit(lambda p, xb: jax.nn.softmax(forward(p, list(convs), xb[..., None])))


def predict(params, convs, x, batch: int = 4096):
    f = _probabilities(tuple(convs))
    return np.concatenate([np.asarray(f(params, x[i:i + batch].astype(np.float32) / 255.0))
                           for i in range(0, len(x), batch)])


def train_one(arrays, keep, convs, dense, args, seed, log, epochs: int = 0, copies: int = 0):
    """Train one network on the images where ``keep`` is set (with ``copies``, only that many
    variants of each CROHME symbol); returns its parameters."""
    import jax
    import jax.numpy as jnp
    import optax

    x, y, src = arrays["x"], arrays["y"], arrays["source"]
    sources = list(arrays["sources"])
    if copies:
        keep = keep & (_copy_index(arrays) < copies)
    idx = np.flatnonzero(keep)
    mn = idx[src[idx] == sources.index("mnist")]
    extra = [mn] * (args.mnist_weight - 1) + [mn[y[mn] == ONE]] * (args.one_weight - 1)
    idx = np.concatenate([idx, *extra])
    steps, epochs = len(idx) // args.batch, epochs or args.epochs
    sched = optax.cosine_decay_schedule(args.lr, steps * epochs, alpha=0.01)
    optimizer = optax.adam(sched)
    params = init_params(jax.random.PRNGKey(seed), convs, dense, len(arrays["labels"]))
    opt = optimizer.init(params)
    epoch = make_epoch(convs, optimizer, args.one_strength)
    xs, ys = jnp.asarray(x), jnp.asarray(y)
    rng, key = np.random.default_rng(seed), jax.random.PRNGKey(seed + 1000)
    t0 = time.time()
    for e in range(epochs):
        order = rng.permutation(idx)[: steps * args.batch].reshape(steps, args.batch)
        params, opt, key, loss = epoch(params, opt, key, xs, ys, jnp.asarray(order))
        if e == 0 or (e + 1) % 10 == 0 or e + 1 == epochs:
            log(f"  epoch {e + 1}/{epochs} loss {float(loss):.4f} ({time.time() - t0:.0f}s)")
    return [(np.asarray(w), np.asarray(b)) for w, b in params]


def validation_errors(arrays, nets, convs) -> dict:
    """Errors on the validation side of each source, the networks ``nets`` (parameter lists)
    averaged."""
    x, y, src, val = arrays["x"], arrays["y"], arrays["source"], arrays["val"]
    out = {}
    for i, name in enumerate(arrays["sources"]):
        m = val & (src == i) & (_copy_index(arrays) == 0)  # CROHME: the ink as written, not its variants
        if not m.any():
            continue
        pred = np.mean([predict(p, convs, x[m]) for p in nets], axis=0).argmax(1)
        out[str(name)] = {"n": int(m.sum()), "errors": int((pred != y[m]).sum())}
    return out


def _copy_index(arrays) -> np.ndarray:
    """Which variant each row is: CROHME rows hold ``copies`` variants of each symbol in a row,
    the ink as written first; every other row is 0."""
    src, sources = arrays["source"], list(arrays["sources"])
    copies = int(arrays["copies"]) if "copies" in arrays else 1
    out = np.zeros(len(src), np.int64)
    rows = np.flatnonzero(src == sources.index("crohme"))
    out[rows] = np.arange(len(rows)) % copies
    return out


def score(v: dict) -> float:
    """The mean of the sources' validation error rates: each kind of writing counts alike."""
    return float(np.mean([r["errors"] / max(r["n"], 1) for r in v.values()]))


def save_member(folder: Path, name: str, params, arch: str) -> None:
    arrays = {f"w{i}_{j}": a for i, pair in enumerate(params) for j, a in enumerate(pair)}
    np.savez(folder / f"{name}.npz", arch=np.array(arch), **arrays)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--arrays", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--archs", nargs="+", default=["48,p,96,p:192"],
                    help="candidates: convolutions and poolings, ':' and the hidden dense units, optionally "
                         "'@' epochs and '/c' CROHME variants (32,32,p,64,64,p:256@60/c2)")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--members", type=int, default=2, help="the winner's members, trained on everything")
    ap.add_argument("--seeds", type=int, default=1, help="each candidate is this many networks averaged")
    ap.add_argument("--mnist-weight", type=int, default=6)
    ap.add_argument("--one-weight", type=int, default=4)
    ap.add_argument("--one-strength", type=float, default=2.0)
    ap.add_argument("--limit", type=int, default=0, help="use only this many images (a smoke test)")
    ap.add_argument("--deadline-s", type=float, default=0,
                    help="start no training that would end past this many seconds (a lent GPU's limit)")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    report: dict = {"args": vars(args), "candidates": {}, "members": []}

    def log(msg: str) -> None:
        print(msg, flush=True)
        with open(out / "log.txt", "a", encoding="utf-8") as fh:
            fh.write(msg + "\n")

    with np.load(args.arrays) as z:
        arrays = {k: z[k] for k in z.files}
    if args.limit:
        sel = np.random.default_rng(0).permutation(len(arrays["y"]))[: args.limit]
        sel.sort()
        arrays.update({k: arrays[k][sel] for k in ("x", "y", "source", "val")})
        arrays["copies"] = np.array(1)
    import jax

    log(f"{len(arrays['y'])} images, {int(arrays['val'].sum())} on the validation side; {jax.devices()}")
    start, took, firsts = time.time(), [], {}

    def time_left(trainings: float) -> bool:
        """Whether that many more trainings, each as long as the longest so far, end in time."""
        if not args.deadline_s or not took:
            return True
        return time.time() - start + trainings * max(took) < args.deadline_s

    for k, arch in enumerate(args.archs):
        if not time_left(args.seeds):
            log(f"candidate {arch} skipped: the deadline")
            continue
        convs, dense, epochs, copies = parse_arch(arch)
        t0 = time.time()
        log(f"candidate {arch}")
        nets = [train_one(arrays, ~arrays["val"], convs, dense, args, seed=10 + 50 * s + k, log=log, epochs=epochs,
                          copies=copies) for s in range(args.seeds)]
        singles = [validation_errors(arrays, [p], convs) for p in nets]
        v = validation_errors(arrays, nets, convs)
        took.append((time.time() - t0) / args.seeds)
        report["candidates"][arch] = {"validation": v, "score": score(v), "singles": singles,
                                      "seconds": round(time.time() - t0)}
        firsts[arch] = nets[0]
        log(f"  validation {v} score {score(v):.4f}; each alone {[score(x) for x in singles]}")
        (out / "report.json").write_text(json.dumps(report, indent=1))
    best = min(report["candidates"], key=lambda a: report["candidates"][a]["score"])
    report["chosen"] = best
    shape = best.partition("@")[0].partition("/c")[0]
    save_member(out, "candidate", firsts[best], shape)  # never saw the validation side
    log(f"chosen {best}")
    convs, dense, epochs, copies = parse_arch(best)
    for m in range(args.members):
        if not time_left(1.1):  # a little for saving
            log(f"member {m} skipped: the deadline")
            break
        t0 = time.time()
        params = train_one(arrays, np.ones(len(arrays["y"]), bool), convs, dense, args, seed=100 + m, log=log,
                           epochs=epochs, copies=copies)
        save_member(out, f"member{m}", params, shape)
        report["members"].append({"arch": best, "seed": 100 + m, "seconds": round(time.time() - t0)})
        (out / "report.json").write_text(json.dumps(report, indent=1))
        log(f"member {m} done in {time.time() - t0:.0f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
