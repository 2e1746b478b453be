"""One normalisation from any symbol source to the recognizer's 28x28 input.

The three real image sets disagree (MNIST: white on black, 20x20 box centred by mass;
bhmsds: black on white, stretched to fill the frame; mdas: white on black, small and
centred), and canvas ink is not an image at all. Everything therefore goes through
``normalise``: detect polarity from the border, stretch contrast, crop to the ink, scale
the longer side to 20 px keeping the aspect ratio (a minus stays flat, a '1' thin), and
centre by mass in 28x28 - the MNIST convention, so MNIST itself passes through unchanged.
Ink is first drawn (``render_strokes``) with a pen width tied to the line height, so a
dot becomes a blob just like the dots of the image sets.
"""

from __future__ import annotations

import warnings

import numpy as np

from calcapp.ink.paper import flatten
from calcapp.ink.resample import resize

SIZE = 28
BOX = 20
INK_THRESHOLD = 0.25
PEN_FRACTION = 0.11  # pen width / line height: MNIST strokes are ~2.2 px in a 20 px box
# Pixels decoded at most: a 12-megapixel photo passes; a small PNG that unpacks to
# 13000x13000 (gigabytes once decoded) is refused from its header, long before Pillow's
# own bomb guard (89 and 179 megapixels).
MAX_PIXELS = 16_000_000
RENDER_PX = 26  # symbol size, in pixels, when ink is drawn before normalising


def to_grey(image) -> np.ndarray:
    """Float image in [0, 1]; colour and alpha are flattened onto white."""
    a = np.asarray(image, dtype=np.float32)
    if a.ndim == 3:
        if a.shape[2] == 4:
            alpha = a[..., 3:4] / (255.0 if a.max() > 1.0 else 1.0)
            top = 255.0 if a.max() > 1.0 else 1.0
            a = a[..., :3] * alpha + top * (1.0 - alpha)
        a = a[..., :3].mean(axis=2) if a.shape[2] >= 3 else a[..., 0]
    if a.ndim != 2:
        raise ValueError(f"expected a 2-D image, got shape {a.shape}")
    if a.size and a.max() > 1.0:
        a = a / 255.0
    return a


def ink_polarity(grey: np.ndarray) -> np.ndarray:
    """Ink bright (1) on a dark (0) background, whatever the input's polarity.

    The background is the median of the border; a bright border means dark ink, on paper
    whose uneven light is divided out first (``paper.flatten``: a shadow is not ink).
    """
    g = np.asarray(grey, dtype=np.float32)
    if g.size == 0:
        return g
    border = lambda a: np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]])  # noqa: E731
    bg = float(np.median(border(g)))
    if bg > 0.5:
        g = flatten(g)
        bg = float(np.median(border(g)))
    a = 1.0 - g if bg > 0.5 else g.copy()
    bg = 1.0 - bg if bg > 0.5 else bg
    top = float(a.max())
    if top - bg < 1e-3:
        return np.zeros_like(a)
    return np.clip((a - bg) / (top - bg), 0.0, 1.0)


def ink_bbox(ink: np.ndarray, threshold: float = INK_THRESHOLD):
    """(y0, y1, x0, x1) half-open box of pixels above threshold, or None."""
    ys, xs = np.nonzero(ink > threshold)
    if len(ys) == 0:
        return None
    return int(ys.min()), int(ys.max()) + 1, int(xs.min()), int(xs.max()) + 1


def centre_in_frame(sym: np.ndarray, size: int = SIZE) -> np.ndarray:
    """Paste ``sym`` (at most size x size) so its centre of mass sits at the frame's centre."""
    h, w = sym.shape
    out = np.zeros((size, size), dtype=np.float32)
    total = float(sym.sum())
    if total <= 0:
        cy, cx = h / 2.0, w / 2.0
    else:
        cy = float((sym.sum(axis=1) * (np.arange(h) + 0.5)).sum() / total)
        cx = float((sym.sum(axis=0) * (np.arange(w) + 0.5)).sum() / total)
    top = int(round(size / 2.0 - cy))
    left = int(round(size / 2.0 - cx))
    top = min(max(top, 0), size - h)
    left = min(max(left, 0), size - w)
    out[top:top + h, left:left + w] = sym
    return out


def normalise_ink(ink: np.ndarray) -> np.ndarray:
    """Ink-bright float image -> 28x28 float32 in [0, 1], MNIST convention."""
    box = ink_bbox(ink)
    if box is None:
        return np.zeros((SIZE, SIZE), dtype=np.float32)
    y0, y1, x0, x1 = box
    crop = ink[y0:y1, x0:x1]
    h, w = crop.shape
    k = BOX / max(h, w)
    nh, nw = max(1, int(round(h * k))), max(1, int(round(w * k)))
    small = np.clip(resize(crop, nh, nw), 0.0, 1.0)
    peak = float(small.max())
    if peak > 0:
        small = small / peak
    return centre_in_frame(small)


def normalise(image) -> np.ndarray:
    """Any symbol image (either polarity, any size, grey or colour) -> 28x28 in [0, 1]."""
    return normalise_ink(ink_polarity(to_grey(image)))


def normalise_batch(images) -> np.ndarray:
    return np.stack([normalise(im) for im in images]).astype(np.float32)


def _decimate(pts: np.ndarray, step: float) -> np.ndarray:
    """Indices of points at least ``step`` apart along the path (ends kept): dense canvas
    input costs time, not quality, once points are closer than the pen is wide."""
    keep = [0]
    last = pts[0]
    for i in range(1, len(pts) - 1):
        if abs(pts[i, 0] - last[0]) + abs(pts[i, 1] - last[1]) >= step:
            keep.append(i)
            last = pts[i]
    if len(pts) > 1:
        keep.append(len(pts) - 1)
    return np.array(keep)


def rasterise(strokes, scale: float, origin: tuple[float, float], shape: tuple[int, int],
              radius: float) -> np.ndarray:
    """Draw strokes (canvas units) into an ink-bright image, anti-aliased by distance.

    Pressure widens or narrows the pen around ``radius`` (pixels).
    """
    h, w = shape
    img = np.zeros((h, w), dtype=np.float32)
    ox, oy = origin
    for s in strokes:
        if not s.points:
            continue
        pts = np.array([((p.x - ox) * scale, (p.y - oy) * scale) for p in s.points], np.float32)
        pr = np.array([p.pressure for p in s.points], np.float32)
        keep = _decimate(pts, 0.6 * radius)
        pts, pr = pts[keep], pr[keep]
        rad = radius * np.clip(0.5 + 0.5 * pr, 0.35, 1.5)
        if len(pts) == 1:
            pts = np.vstack([pts, pts])
            rad = np.concatenate([rad, rad])
        # only the pixels the pen can reach: beyond its widest radius a pixel stays paper
        reach = float(rad.max()) + 1.0
        x0, y0 = (max(0, int(np.floor(v - reach))) for v in pts.min(axis=0))
        x1, y1 = int(np.ceil(pts[:, 0].max() + reach)), int(np.ceil(pts[:, 1].max() + reach))
        x1, y1 = min(w, x1), min(h, y1)
        if x1 <= x0 or y1 <= y0:
            continue
        yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
        qx, qy = xx.reshape(-1, 1) + 0.5, yy.reshape(-1, 1) + 0.5
        ax, ay = pts[:-1, 0], pts[:-1, 1]
        dx, dy = pts[1:, 0] - ax, pts[1:, 1] - ay
        ra = 0.5 * (rad[:-1] + rad[1:])
        dd = np.maximum(dx * dx + dy * dy, 1e-9)
        best = np.zeros(len(qx), dtype=np.float32)
        for i in range(0, len(ax), 64):  # chunks keep memory small for long strokes
            sl = slice(i, i + 64)
            rx, ry = qx - ax[None, sl], qy - ay[None, sl]
            t = np.clip((rx * dx[None, sl] + ry * dy[None, sl]) / dd[None, sl], 0.0, 1.0)
            nx, ny = rx - t * dx[None, sl], ry - t * dy[None, sl]
            dist = np.sqrt(nx * nx + ny * ny)
            cov = np.clip(ra[None, sl] + 0.5 - dist, 0.0, 1.0).max(axis=1)
            best = np.maximum(best, cov)
        img[y0:y1, x0:x1] = np.maximum(img[y0:y1, x0:x1], best.reshape(y1 - y0, x1 - x0))
    return img


def render_strokes(strokes, line_height: float | None = None) -> np.ndarray:
    """Draw one symbol's strokes so that pen width is a fixed part of the line height.

    Without a line height the symbol's own size stands in (a lone dot then still
    becomes a blob, since its pen is as wide as it is).
    """
    pts = np.concatenate([s.xy() for s in strokes if s.points]) if strokes else np.zeros((0, 2))
    if len(pts) == 0:
        return np.zeros((1, 1), dtype=np.float32)
    x0, y0 = pts.min(axis=0)
    x1, y1 = pts.max(axis=0)
    extent = max(x1 - x0, y1 - y0)
    ref = line_height if line_height and line_height > 0 else max(extent, 1e-6)
    pen = PEN_FRACTION * ref
    scale = RENDER_PX / max(extent + pen, 1e-6)  # the inked symbol, pen included, fills the box
    radius = max(0.8, 0.5 * PEN_FRACTION * ref * scale)
    pad = int(np.ceil(radius)) + 2
    hh = int(np.ceil((y1 - y0) * scale)) + 2 * pad
    ww = int(np.ceil((x1 - x0) * scale)) + 2 * pad
    origin = (x0 - pad / scale, y0 - pad / scale)
    return rasterise(strokes, scale, origin, (hh, ww), radius)


def normalise_strokes(strokes, line_height: float | None = None) -> np.ndarray:
    return normalise_ink(render_strokes(strokes, line_height))


def load_image(path) -> np.ndarray:
    """Read a PNG/JPEG/... as a float grey image in [0, 1] (Pillow only for the file)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():  # Pillow warns on opening a big one; it is refused here
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(path)
        with im:
            w, h = im.size  # from the header: nothing decoded yet
            if w * h > MAX_PIXELS:
                raise ValueError(f"the image is {w}\u00d7{h} pixels; calcapp reads images of at "
                                 f"most {MAX_PIXELS // 1_000_000} megapixels")
            im.load()
            if im.mode in ("RGBA", "LA", "P"):
                im = im.convert("RGBA")
                return to_grey(np.asarray(im))
            return to_grey(np.asarray(im.convert("L")))
    except UnidentifiedImageError:
        raise ValueError("not an image Pillow can read") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValueError(f"the image unpacks to too many pixels; calcapp reads images of at "
                         f"most {MAX_PIXELS // 1_000_000} megapixels") from None
