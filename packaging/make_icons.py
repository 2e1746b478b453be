"""Draw calcapp's icon and write every size the installers need.

One source of truth: the icon is drawn here with Pillow at 1024 px (no fonts, only shapes,
so the result is the same on every machine), saved as ``resources/icons/calcapp.png``,
and scaled down to the freedesktop hicolor sizes plus a Windows ``.ico`` and a macOS
``.icns``. Re-run after changing the drawing::

    python packaging/make_icons.py

The motif is a 2x2 keypad (+, -, x, =) on a gradient tile with a faint three-node
"network" behind it: the calculator whose arithmetic is done by a neural network. The
glyphs are thick so the icon still reads at 16 px.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

SOURCE = 1024
HICOLOR_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
TOP = (58, 63, 196)  # indigo
BOTTOM = (18, 170, 160)  # teal
KEY = (250, 251, 255)
GLYPH = (40, 52, 120)
EQUALS = (226, 84, 60)  # the answer key stands out

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "resources" / "icons"


def _gradient(size: int) -> Image.Image:
    """A vertical indigo-to-teal gradient, one row at a time (no NumPy needed)."""
    img = Image.new("RGB", (size, size))
    draw = ImageDraw.Draw(img)
    for y in range(size):
        t = y / (size - 1)
        colour = tuple(round(a + (b - a) * t) for a, b in zip(TOP, BOTTOM))
        draw.line([(0, y), (size, y)], fill=colour)
    return img


def _glyph(image: Image.Image, kind: str, cx: float, cy: float, r: float, fill) -> None:
    """Draw +, -, x or = centred on (cx, cy) with arm length r, using bars only."""
    draw = ImageDraw.Draw(image)
    w = r * 0.36  # bar thickness

    def bar(x0, y0, x1, y1):
        draw.rounded_rectangle([x0, y0, x1, y1], radius=w / 2, fill=fill)

    if kind in ("+", "-"):
        bar(cx - r, cy - w / 2, cx + r, cy + w / 2)
    if kind == "+":
        bar(cx - w / 2, cy - r, cx + w / 2, cy + r)
    if kind == "=":
        gap = r * 0.32
        bar(cx - r, cy - gap - w, cx + r, cy - gap)
        bar(cx - r, cy + gap, cx + r, cy + gap + w)
    if kind == "x":  # a "+" turned by 45 degrees, so the caps stay round
        side = round(r * 2.6)
        layer = Image.new("RGBA", (side, side), (0, 0, 0, 0))
        _glyph(layer, "+", side / 2, side / 2, r, fill)
        layer = layer.rotate(45, resample=Image.BICUBIC)
        image.alpha_composite(layer, (round(cx - side / 2), round(cy - side / 2)))


def draw_icon(size: int = SOURCE) -> Image.Image:
    """The full-size icon, RGBA with a transparent margin (as macOS and GNOME expect)."""
    s = size
    margin = round(s * 0.06)
    radius = round(s * 0.2)
    tile_mask = Image.new("L", (s, s), 0)
    ImageDraw.Draw(tile_mask).rounded_rectangle(
        [margin, margin, s - margin, s - margin], radius=radius, fill=255
    )
    icon = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    # soft shadow under the tile
    shadow = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    shadow.paste((0, 0, 0, 90), (0, round(s * 0.012)), tile_mask)
    icon.alpha_composite(shadow.filter(ImageFilter.GaussianBlur(s * 0.012)))
    tile = _gradient(s).convert("RGBA")
    tile.putalpha(tile_mask)
    icon.alpha_composite(tile)

    # faint network: nodes between the keys, joined by lines
    net = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    nd = ImageDraw.Draw(net)
    nodes = [(0.5, 0.5), (0.5, 0.115), (0.5, 0.885), (0.115, 0.5), (0.885, 0.5)]
    pts = [(x * s, y * s) for x, y in nodes]
    for p in pts[1:]:
        nd.line([pts[0], p], fill=(255, 255, 255, 110), width=round(s * 0.014))
    for x, y in pts:
        r = s * 0.026
        nd.ellipse([x - r, y - r, x + r, y + r], fill=(255, 255, 255, 170))
    icon.alpha_composite(net)

    draw = ImageDraw.Draw(icon)
    key = s * 0.3
    gap = s * 0.06
    x0 = (s - 2 * key - gap) / 2
    for i, kind in enumerate(("+", "-", "x", "=")):
        kx = x0 + (i % 2) * (key + gap)
        ky = x0 + (i // 2) * (key + gap)
        colour = EQUALS if kind == "=" else KEY
        draw.rounded_rectangle([kx, ky, kx + key, ky + key], radius=key * 0.22, fill=colour)
        glyph = KEY if kind == "=" else GLYPH
        _glyph(icon, kind, kx + key / 2, ky + key / 2, key * 0.3, glyph)
    return icon


def write_all(out: Path = OUT) -> list[Path]:
    """Write the source PNG, hicolor PNGs, .ico and .icns; return the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    icon = draw_icon(SOURCE)
    written = []
    src = out / "calcapp.png"
    icon.save(src, optimize=True)
    written.append(src)
    for n in HICOLOR_SIZES:
        path = out / "hicolor" / f"{n}x{n}" / "apps" / "calcapp.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        icon.resize((n, n), Image.LANCZOS).save(path, optimize=True)
        written.append(path)
    ico = out / "calcapp.ico"
    icon.save(ico, sizes=[(n, n) for n in ICO_SIZES])
    written.append(ico)
    icns = out / "calcapp.icns"
    icon.save(icns)  # Pillow writes every Apple size from the 1024 px image
    written.append(icns)
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="folder to write into")
    args = parser.parse_args()
    for path in write_all(args.out):
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
