"""Reads handwriting with a NumPy forward pass over the recognizer's saved weights.

TensorFlow takes seconds to import and the canvas wants an answer within milliseconds of
pen-up, so inference never touches Keras: training exports the layers (``weights.npz`` +
the layer spec in ``card.json``) beside ``model.keras``, and this module runs them with
NumPy. The user's fine-tuned model, when there is one, wins over the bundled model.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from calcapp.ink.imagenorm import load_image, normalise_ink, normalise_strokes
from calcapp.ink.segment import (Segment, join_segments, resolve_by_geometry, segment_image, segment_strokes,
                                  joinable_runs)
from calcapp.ink.strokes import strokes_bbox
from calcapp.nets.registry import BadModelError, check_model_file, read_card
from calcapp.paths import bundled_models_dir, user_models_dir
from calcapp.handwriting.layers import forward
from calcapp.handwriting.pairs import PAIRS_NAME, PairNet
from calcapp.handwriting.pieces import PIECES_NAME, PieceNet
from calcapp.handwriting.trajectory import TrajectoryNet

BUNDLED_NAME = "recognizer"
PERSONAL_NAME = "recognizer-personal"
WEIGHTS_NAME = "weights.npz"
TO_EXPRESSION = {"\u00b7": "\u00d7"}  # a multiplication dot is written as × for the parser


@dataclass
class SymbolReading:
    label: str
    confidence: float
    alternatives: list[tuple[str, float]]
    box: tuple[float, float, float, float]
    stroke_ids: list[int] = field(default_factory=list)
    rel_size: float = 1.0

    def to_json(self) -> dict:
        return {
            "label": self.label,
            "confidence": round(self.confidence, 4),
            "alternatives": [[lab, round(p, 4)] for lab, p in self.alternatives],
            "box": [round(float(v), 2) for v in self.box],
        }


@dataclass
class Reading:
    symbols: list[SymbolReading]

    @property
    def expression(self) -> str:
        return "".join(TO_EXPRESSION.get(s.label, s.label) for s in self.symbols)


def member_prefix(k: int) -> str:
    """Weight-name prefix of ensemble member ``k`` in weights.npz (none for the first)."""
    return "" if k == 0 else f"m{k}/"


def _stroke_key(stroke) -> tuple:
    return tuple((p.x, p.y, p.pressure) for p in stroke.points)


@contextmanager
def _readable(what: str):
    """What a broken weights file or card raises, as a ``BadModelError`` that says ``what``."""
    try:
        yield
    except BadModelError:
        raise
    except (KeyError, TypeError, ValueError, OSError, EOFError) as exc:
        raise BadModelError(f"{what} ({type(exc).__name__}: {str(exc)[:120]})") from None


def _arrays(path: Path) -> dict:
    """The arrays of an ``.npz`` of weights, checked as a model file before it is read."""
    with np.load(check_model_file(path)) as z:
        return {k: z[k] for k in z.files}


class Recognizer:
    """One loaded recognizer (see ``load_recognizer``)."""

    cache_limit = 512  # drawn symbols and readings kept for re-reading a line after a pen-up
    # The network never saw half a symbol, so it reads pieces too surely (a 9's loop as '0'
    # at 0.998): each extra symbol a cut would make costs this factor.
    cut_prior = 0.9
    image_parts = True  # images read by their components' parts (``ink.image_units``), not cut first

    def __init__(self, folder: Path, memory=None):
        self.folder = Path(folder)
        self.memory = memory  # the user's corrections (handwriting.memory.PersonalMemory), or None
        self._memory_state = None
        self.card = read_card(self.folder)  # BadModelError for a broken card
        if self.card.get("kind") != "recognizer" or "numpy_layers" not in self.card:
            raise BadModelError(f"{self.folder} is not a recognizer model")
        self.name = self.card.get("name", self.folder.name)
        with _readable(f"{self.folder}: not a readable recognizer"):
            self.labels: list[str] = list(self.card["labels"])
            self.layers = self.card["numpy_layers"]
            self.weights = _arrays(self.folder / WEIGHTS_NAME)
        self._ink_cache: dict[tuple, np.ndarray] = {}
        self._top_cache: dict[int, list] = {}
        self._kinds_cache: dict[int, np.ndarray] = {}
        self.pen = self._companion("trajectory", "trajectory.npz", TrajectoryNet)  # the pen view
        self.pen_weight = float(self.card["trajectory"].get("weight", 1.0)) if self.pen is not None else 0.0
        self.pieces = self._companion("pieces", PIECES_NAME, PieceNet)  # one symbol, several, part of one
        self.pairs = self._companion("pairs", PAIRS_NAME, PairNet)  # which two touching digits
        self._pairs_cache: dict[int, np.ndarray] = {}

    def _companion(self, key: str, name: str, cls):
        """The companion network the card names under ``key``, from ``name`` beside the model,
        or ``None`` where the model has none; ``BadModelError`` where it cannot be read, as for
        the model's own weights."""
        spec = self.card.get(key)
        if not spec or not (self.folder / name).is_file():
            return None
        with _readable(f"{self.folder / name}: not a readable {key} network"):
            return cls(_arrays(self.folder / name), list(spec["layers"]))

    # --- the network ---
    def probabilities(self, images28: np.ndarray, batch: int = 1024, hidden: list | None = None) -> np.ndarray:
        """Class probabilities of the picture view; with ``hidden`` (a list), each batch's
        penultimate activations (all members side by side) are appended to it."""
        x = np.asarray(images28, dtype=np.float32)
        if x.ndim == 2:
            x = x[None]
        if x.ndim == 3:
            x = x[..., None]
        outs = [self._forward(x[i:i + batch], hidden) for i in range(0, len(x), batch)]
        return np.concatenate(outs) if outs else np.zeros((0, len(self.labels)), np.float32)

    def _forward(self, x: np.ndarray, hidden: list | None = None) -> np.ndarray:
        """Class probabilities; an ensemble's members are averaged."""
        n = int(self.card.get("numpy_members", 1))
        parts: list | None = [] if hidden is not None else None
        out = self._forward_member(x, member_prefix(0), parts)
        for k in range(1, n):
            out = out + self._forward_member(x, member_prefix(k), parts)
        if hidden is not None:
            hidden.append(np.concatenate(parts, axis=1))
        return out / n if n > 1 else out

    def _forward_member(self, x: np.ndarray, prefix: str, hidden: list | None = None) -> np.ndarray:
        return forward(x, self.layers, self.weights, prefix, hidden)

    def classify(self, images28: np.ndarray, k: int = 3, pens=None) -> list[list[tuple[str, float]]]:
        """Top-``k`` (label, probability) for each 28x28 normalised image; with ``pens`` (the
        symbols' trajectory features, ink only) both views are combined, and the user's
        remembered corrections have their say (``handwriting.memory``)."""
        keys = self.memory_keys(pens is not None and self.pen is not None)
        p, queries = self.views(images28, pens, queries=keys is not None)
        if keys is not None and queries is not None:
            from calcapp.handwriting.memory import personalise

            p = personalise(p, queries, keys[0], keys[1], self.memory.params, keys[2])
        top = np.argsort(-p, axis=1)[:, :k]
        return [[(self.labels[j], float(row[j])) for j in idx] for row, idx in zip(p, top)]

    def views(self, images28: np.ndarray, pens=None, queries: bool = False):
        """The network's probabilities (both views fused when ``pens``) and, with ``queries``,
        where each symbol sits for the personal memory (else ``None``)."""
        hid_image: list | None = [] if queries else None
        hid_pen: list | None = [] if queries else None
        p = self.probabilities(images28, hidden=hid_image)
        feats = None
        if pens is not None and self.pen is not None and len(p):
            from calcapp.handwriting.trajectory import fuse

            feats = np.stack(pens)
            p = fuse(p, self.pen.probabilities(feats, hidden=hid_pen), self.pen_weight)
        if not queries or not len(p):
            return p, None
        from calcapp.handwriting.memory import MemoryParams, embed

        params = self.memory.params if self.memory is not None else MemoryParams()
        return p, embed(np.concatenate(hid_image), hid_pen[0] if hid_pen else None, feats, params)

    def memory_keys(self, with_pen: bool):
        """The user's remembered symbols embedded by this network (``None`` without a memory).

        Re-embedded when the memory file changes; readings remembered from before are dropped,
        so a correction acts on the very next pen-up."""
        if self.memory is None:
            return None
        stamp = self.memory.stamp()
        if stamp is None:
            self._memory_state = None
            return None
        if self._memory_state is None or self._memory_state[0] != stamp:
            self._top_cache.clear()
            self._memory_state = (stamp, self._embed_memory())
        return self._memory_state[1][1 if with_pen else 0]

    def _embed_memory(self) -> tuple:
        from calcapp.handwriting.memory import embed

        images, pens, labels = self.memory.load()
        known = [i for i, lab in enumerate(labels) if lab in self.labels]
        if not known:
            return None, None
        images, pens = images[known], pens[known]
        y = np.array([self.labels.index(labels[i]) for i in known])
        hid: list = []
        self.probabilities(images, hidden=hid)

        def keys(e):  # (keys, labels, squared lengths), contiguous for the vote's one product
            e = np.ascontiguousarray(e, dtype=np.float32)
            return e, y, np.einsum("ij,ij->i", e, e)

        image_only = keys(embed(np.concatenate(hid), None, None, self.memory.params))
        if self.pen is None or pens.shape[1] != self.pen.weights["t0_0"].shape[0]:
            return image_only, None
        hp: list = []
        self.pen.probabilities(pens, hidden=hp)
        return image_only, keys(embed(np.concatenate(hid), hp[0], pens, self.memory.params))

    def _classify_cached(self, images: list[np.ndarray], pens=None) -> list[list[tuple[str, float]]]:
        """``classify`` remembering recent images: re-reading a line after a pen-up runs
        the network only on the symbol that changed."""
        self.memory_keys(pens is not None and self.pen is not None)  # a new correction clears the cache
        keys = [hash(im.tobytes() + (b"" if pens is None else pens[i].tobytes())) for i, im in enumerate(images)]
        return self._remembered(self._top_cache, keys, lambda missing: self.classify(
            np.stack([images[i] for i in missing]), pens=None if pens is None else [pens[i] for i in missing]))

    def piece_kinds(self, images: list[np.ndarray]) -> list[np.ndarray] | None:
        """Each normalised piece's probabilities of holding one symbol, several or part of one
        (``pieces.PieceNet``), remembered like the readings, so a pen-up runs the piece network
        only on what changed; ``None`` without the network."""
        if self.pieces is None:
            return None
        return self._remembered(self._kinds_cache, [hash(im.tobytes()) for im in images],
                                lambda missing: self.pieces.probabilities(np.stack([images[i] for i in missing])))

    def pair_probabilities(self, inks: list[np.ndarray]) -> list[np.ndarray]:
        """Each image piece's probabilities of holding each two touching digits (``pairs.PairNet``),
        remembered like the readings."""
        from calcapp.handwriting.pairs import normalise_pair

        images = [normalise_pair(ink) for ink in inks]
        return self._remembered(self._pairs_cache, [hash(im.tobytes()) for im in images],
                                lambda missing: self.pairs.probabilities(np.stack([images[i] for i in missing])))

    def _remembered(self, cache: dict, keys: list, compute) -> list:
        """The value of each key, from ``cache`` or from ``compute(indices of the missing keys)``;
        a cache grown past ``cache_limit`` starts over (the values of this call are kept)."""
        found = {k: cache[k] for k in keys if k in cache}
        missing = [i for i, k in enumerate(keys) if k not in found]
        if missing:
            found.update(zip((keys[i] for i in missing), compute(missing)))
            if len(cache) > self.cache_limit:
                cache.clear()
            cache.update(found)
        return [found[k] for k in keys]

    # --- whole inputs ---
    def prepare_strokes(self, strokes) -> tuple[list[Segment], list[np.ndarray]]:
        """Segments of a line of ink and their normalised 28x28 images.

        Drawn symbols are cached by their strokes' content and the line height, so after a
        pen-up only the symbol that changed is drawn again (the canvas re-reads the line
        after every stroke).
        """
        from calcapp.ink.level import levelled_line
        from calcapp.ink.strokes import check_ink_size

        check_ink_size(len(strokes), sum(len(s.points) for s in strokes))  # InkFormatError
        drawn = strokes
        strokes, segs, slope, h = levelled_line(strokes)
        if slope:  # a line written uphill is read level, its boxes reported as drawn (``assemble``)
            segs[0].extra["unlevelled"] = drawn
        if not segs:
            return [], []
        inks = [[strokes[i] for i in seg.ids] for seg in segs]
        keys = [(h,) + tuple(_stroke_key(st) for st in ink) for ink in inks]
        images = self._remembered(self._ink_cache, keys,
                                  lambda missing: [normalise_strokes(inks[i], h) for i in missing])
        for seg, ink, img in zip(segs, inks, images):
            seg.extra.update(strokes=ink, line_h=h, drawn=img)  # for the line decoder
        return segs, images

    def stroke_views(self, strokes, line_h: float):
        """A piece's picture and pen features (``None`` without a pen view), remembered by its
        strokes' content and the line height: the decoder weighs the same pieces at every pen-up."""
        from calcapp.handwriting.trajectory import features

        key = ("piece", float(line_h)) + tuple(_stroke_key(s) for s in strokes)
        return self._remembered(self._ink_cache, [key], lambda _: [(
            normalise_strokes(strokes, line_h), None if self.pen is None else features(strokes, line_h))])[0]

    def prepare_image(self, path_or_array) -> tuple[list[Segment], list[np.ndarray]]:
        """Segments of a symbol or line image (a path or an array) and their 28x28 images."""
        image = load_image(path_or_array) if isinstance(path_or_array, (str, Path)) else path_or_array
        if self.image_parts:  # components as pseudo-strokes: the line decoder cuts and joins
            from calcapp.ink.image_units import image_units

            segs = image_units(image)
        else:
            segs = segment_image(image)
            for start, stop in joinable_runs(segs):  # runs that may be one symbol: read them whole too
                whole = join_segments(segs[start:stop])
                whole.extra["drawn"] = normalise_ink(whole.image)
                segs[start].extra["joined"] = (stop, whole, whole.extra["drawn"])
        for s in segs:  # the line decoder's piece network reads the image the symbol network read
            s.extra["drawn"] = normalise_ink(s.image)
        return segs, [s.extra["drawn"] for s in segs]

    def settle_splits(self, segs: list[Segment], tops: list, whole_tops: list) -> tuple[list[Segment], list]:
        """Keep a run whole when the network reads it whole more surely than in pieces
        (``cut_prior`` per extra piece): a wide '0' read as '(' ')' loses to '0'."""
        out_segs, out_tops, i, w = [], [], 0, iter(whole_tops)
        while i < len(segs):
            joined = segs[i].extra.get("joined")
            if joined is None:
                out_segs.append(segs[i])
                out_tops.append(tops[i])
                i += 1
                continue
            stop, whole, _ = joined
            top = next(w)
            pieces = float(np.prod([t[0][1] for t in tops[i:stop]])) * self.cut_prior ** (stop - i - 1)
            if top[0][1] >= pieces:
                out_segs.append(whole)
                out_tops.append(top)
            else:
                out_segs.extend(segs[i:stop])
                out_tops.extend(tops[i:stop])
            i = stop
        return out_segs, out_tops

    def assemble(self, segs: list[Segment], tops: list[list[tuple[str, float]]]) -> Reading:
        from calcapp.handwriting.line_decoder import read_line

        drawn = segs[0].extra.get("unlevelled") if segs else None  # the ink before it was turned level
        unturn = segs[0].extra.get("unturn") if segs else None  # ... or the image
        segs, tops, labels, conf = read_line(self, segs, tops)  # the line as a whole, by its grammar
        out = []
        for seg, top, lab, c in zip(segs, tops, labels, conf):
            box = seg.box
            if drawn is not None:
                box = strokes_bbox([drawn[i] for i in seg.ids])
            elif unturn is not None:
                box = unturn(seg.box)
            out.append(SymbolReading(lab, c, top, tuple(float(v) for v in box),
                                     list(seg.ids) if seg.image is None else [], seg.rel_size))
        return Reading(out)

    def read_prepared(self, prepared: list[tuple[list[Segment], list[np.ndarray]]]) -> list[Reading]:
        """Many inputs in one batched forward pass (a thousand PNGs cost one pass)."""
        images = [im for _, ims in prepared for im in ims]
        wholes = [s.extra["joined"][2] for segs, _ in prepared for s in segs if "joined" in s.extra]
        images += wholes
        pens = self._pen_features(prepared, len(wholes))
        tops = self._classify_cached(images, pens) if len(images) <= 64 else (
            self.classify(np.stack(images), pens=pens) if images else [])
        out, k, w = [], 0, len(images) - len(wholes)
        for segs, ims in prepared:
            n_whole = sum("joined" in s.extra for s in segs)
            segs, line_tops = self.settle_splits(segs, tops[k:k + len(ims)], tops[w:w + n_whole])
            out.append(self.assemble(segs, line_tops))
            k += len(ims)
            w += n_whole
        return out

    def _pen_features(self, prepared, n_wholes: int):
        """Trajectory features of every ink symbol, or ``None`` (no pen network, or images)."""
        from calcapp.handwriting.trajectory import features

        pairs = [(s, im) for ss, ims in prepared for s, im in zip(ss, ims)]
        if self.pen is None or n_wholes or not pairs or any("strokes" not in s.extra for s, _ in pairs):
            return None
        out = []
        for s, im in pairs:  # remembered like the images: a pen-up recomputes one symbol
            key = ("pen", hash(im.tobytes()), len(s.extra["strokes"]))
            if key not in self._ink_cache:
                self._ink_cache[key] = features(s.extra["strokes"], s.extra["line_h"])
            out.append(self._ink_cache[key])
        return out

    def read_strokes(self, strokes) -> Reading:
        from calcapp.ink.guard import clean_strokes

        return self.read_prepared([self.prepare_strokes(clean_strokes(strokes))])[0]

    def read_image(self, path_or_array) -> Reading:
        return self.read_prepared([self.prepare_image(path_or_array)])[0]


_CACHE: dict[tuple, Recognizer] = {}


def default_recognizer_dir() -> Path:
    """The user's fine-tuned recognizer if there is one, else the bundled one."""
    personal = user_models_dir() / PERSONAL_NAME
    if (personal / "card.json").is_file() and (personal / WEIGHTS_NAME).is_file():
        return personal
    return bundled_models_dir() / BUNDLED_NAME


def load_recognizer(path=None) -> Recognizer:
    """A cached recognizer; reloaded when its files change (after a fine-tune). The default one
    (no ``path``) also reads with the user's remembered corrections."""
    folder = Path(path) if path is not None else default_recognizer_dir()
    card = folder / "card.json"
    if not card.is_file():
        raise FileNotFoundError(f"no recognizer model in {folder}")
    weights = check_model_file(folder / WEIGHTS_NAME)
    memory = None
    if path is None:
        from calcapp.handwriting.memory import PersonalMemory

        memory = PersonalMemory()
    key = (str(folder.resolve()), card.stat().st_mtime_ns, weights.stat().st_mtime_ns,
           None if memory is None else str(memory.path))
    if key not in _CACHE:
        _CACHE[key] = Recognizer(folder, memory)
    return _CACHE[key]
