"""A corpus of malformed and unusual inputs, written deterministically from a seed.

    from emolens.testing.corpus import write_corpus
    corpus = write_corpus("bad-inputs/", seed=0)            # every input (over 500)
    corpus = write_corpus("bad-inputs/", seed=0, sample=50)  # a spread of 50 of them, every family
    for item in corpus.items: corpus.path(item), item.kind, item.expected

Three surfaces: ``images/`` (truncated, mutated and bit-flipped JPEG/PNG/WebP/GIF/TIFF/BMP, zero bytes,
random bytes, 1x1, 16-bit, float, RGBA, CMYK, palette, EXIF-rotated, animated, huge headers, wrong
extensions, odd names), ``videos/`` (cut mid-frame, damaged, empty, not videos, audio only) and
``datasets/`` (FER2013 CSVs with malformed rows, folders of labelled faces with bad files and layouts).
``manifest.json`` lists every input with what it must give: ``result`` (analysed), ``error`` (a clear
error naming it) or ``either`` (damage that a decoder may or may not notice: either is right, a crash
is not). Dataset inputs also say how many faces must load and which rows or files must be skipped.

The same seed and base picture give the same files, byte for byte, except the H.264 videos (and the
inputs cut or damaged from them): x264's output differs by a few bytes from run to run. Their kinds say
"H.264", and what they must give does not depend on those bytes.
"""

from __future__ import annotations

import functools
import io
import json
import struct
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image

RESULT, ERROR, EITHER = "result", "error", "either"
IMAGE, VIDEO, DATASET = "image", "video", "dataset"
MANIFEST = "manifest.json"

#: Format name -> (file suffix, Pillow format, Pillow save options).
FORMATS: dict[str, tuple[str, str, dict[str, object]]] = {
    "jpeg": (".jpg", "JPEG", {"quality": 90}),
    "png": (".png", "PNG", {}),
    "webp": (".webp", "WEBP", {"quality": 80}),
    "gif": (".gif", "GIF", {}),
    "tiff": (".tif", "TIFF", {}),
    "bmp": (".bmp", "BMP", {}),
}
#: Where the cut of a truncated file falls (share of its bytes kept).
CUTS = (0.02, 0.1, 0.25, 0.5, 0.75, 0.9, 0.98)


@dataclass(frozen=True)
class Item:
    """One input of the corpus.

    ``file`` is relative to the corpus folder (a folder for a dataset of labelled faces); ``family`` groups
    inputs of the same sort across formats; ``regular`` says the input is a regular file (not a folder, a
    dangling link or a missing path), so it can be uploaded and is listed by folder scans when its suffix
    is an image's. A dataset input that loads must give ``loaded`` faces and skip exactly ``skipped``.
    """

    file: str
    kind: str
    family: str
    surface: str
    expected: str
    regular: bool = True
    loaded: int | None = None
    skipped: tuple[str, ...] = ()


@dataclass
class Corpus:
    """The inputs written into ``folder``."""

    folder: Path
    items: list[Item] = field(default_factory=list)

    def path(self, item: Item) -> Path:
        return self.folder / item.file

    def of(self, surface: str) -> list[Item]:
        return [i for i in self.items if i.surface == surface]

    @classmethod
    def load(cls, folder: str | Path) -> Corpus:
        """A corpus written before, from its ``manifest.json``."""
        folder = Path(folder)
        rows = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        return cls(folder, [Item(**{**row, "skipped": tuple(row["skipped"])}) for row in rows])


Maker = Callable[[Path], None]


# -- byte-level helpers ---------------------------------------------------------------------------
def synthetic_photo(size: int = 256) -> np.ndarray:
    """A BGR picture with a gradient and a drawn face-like shape (for corpora without a real photo)."""
    yy, xx = np.mgrid[0:size, 0:size]
    image = np.stack([60 + 80 * xx / size, 90 + 60 * yy / size, 120 + 40 * (xx + yy) / (2 * size)], -1)
    image = image.astype(np.uint8)
    c = size // 2
    cv2.ellipse(image, (c, c), (size // 5, size // 4), 0, 0, 360, (150, 180, 220), -1)
    for dx in (-size // 12, size // 12):
        cv2.circle(image, (c + dx, c - size // 16), size // 40, (40, 40, 40), -1)
    cv2.ellipse(image, (c, c + size // 10), (size // 14, size // 30), 0, 0, 180, (60, 60, 160), 3)
    return image


def _pil(image: np.ndarray) -> Image.Image:
    return Image.fromarray(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))


def encode(pil: Image.Image, fmt: str, **options: object) -> bytes:
    """``pil`` encoded by Pillow in one of :data:`FORMATS` (extra save options override the defaults)."""
    _, pil_format, defaults = FORMATS[fmt]
    buffer = io.BytesIO()
    pil.save(buffer, pil_format, **{**defaults, **options})
    return buffer.getvalue()


def _cv_encode(image: np.ndarray, suffix: str) -> bytes:
    ok, data = cv2.imencode(suffix, image)
    if not ok:
        raise ValueError(f"OpenCV cannot encode {suffix}")
    return data.tobytes()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png_with_size(data: bytes, width: int, height: int) -> bytes:
    """A PNG whose IHDR announces another size (with a correct CRC, so only the size is wrong)."""
    ihdr = bytearray(data[16:29])
    ihdr[0:8] = struct.pack(">II", width, height)
    return data[:8] + _png_chunk(b"IHDR", bytes(ihdr)) + data[33:]


def _png_bomb(width: int, height: int) -> bytes:
    """A real 1-bit black PNG of ``width`` x ``height``: a few hundred KB that decode to billions of pixels."""
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    compressor = zlib.compressobj(9)
    row = b"\0" * (1 + (width + 7) // 8)
    idat = b"".join(compressor.compress(row * 1000) for _ in range(height // 1000))
    idat += compressor.compress(row * (height % 1000)) + compressor.flush()
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")


def _jpeg_with_size(data: bytes, width: int, height: int) -> bytes:
    out = bytearray(data)
    for marker in (b"\xff\xc0", b"\xff\xc2"):
        at = out.find(marker)
        if at >= 0:
            out[at + 5 : at + 9] = struct.pack(">HH", height, width)
    return bytes(out)


def _gif_with_size(data: bytes, width: int, height: int) -> bytes:
    out = bytearray(data)
    out[6:10] = struct.pack("<HH", width, height)
    at = out.find(b"\x2c\x00\x00\x00\x00")  # the first image descriptor at (0, 0)
    if at >= 0:
        out[at + 5 : at + 9] = struct.pack("<HH", width, height)
    return bytes(out)


def _bmp_with_size(data: bytes, width: int, height: int) -> bytes:
    return data[:18] + struct.pack("<ii", width, height) + data[26:]


def _tiff_with_size(data: bytes, width: int, height: int) -> bytes:
    """A little-endian TIFF whose first IFD announces another size."""
    out = bytearray(data)
    (ifd,) = struct.unpack_from("<I", out, 4)
    (count,) = struct.unpack_from("<H", out, ifd)
    for k in range(count):
        at = ifd + 2 + 12 * k
        (tag,) = struct.unpack_from("<H", out, at)
        if tag in (256, 257):
            struct.pack_into("<HHII", out, at, tag, 4, 1, width if tag == 256 else height)
    return bytes(out)


def _webp_with_size(data: bytes, width: int, height: int) -> bytes:
    """An extended (VP8X) WebP whose canvas announces another size."""
    out = bytearray(data)
    if out[12:16] != b"VP8X":
        raise ValueError("not an extended WebP")
    out[24:27] = (width - 1).to_bytes(3, "little")
    out[27:30] = (height - 1).to_bytes(3, "little")
    return bytes(out)


def _flip_bits(data: bytes, rng: np.random.Generator, count: int, within: int | None = None) -> bytes:
    out = bytearray(data)
    span = min(within or len(out), len(out))
    for at in rng.integers(0, span, count):
        out[at] ^= 1 << int(rng.integers(0, 8))
    return bytes(out)


def _mutations(rng: np.random.Generator) -> list[tuple[str, Callable[[bytes], bytes]]]:
    """Ways to damage a file's bytes: bits flipped anywhere or in the header, bytes zeroed or set to 0xFF,
    a byte inserted or deleted, a stretch repeated. Each draws its positions from ``rng`` as it is applied."""

    def at(data: bytes) -> int:
        return int(rng.integers(len(data) // 8, max(len(data) // 8 + 1, len(data) - 16)))

    def flips(count: int, within: int | None = None) -> Callable[[bytes], bytes]:
        return lambda data: _flip_bits(data, rng, count, within)

    def overwrite(fill: bytes) -> Callable[[bytes], bytes]:
        def damage(data: bytes) -> bytes:
            p = at(data)
            return data[:p] + fill + data[p + len(fill) :]

        return damage

    def insert(data: bytes) -> bytes:
        p = at(data)
        return data[:p] + b"\x5a" + data[p:]

    def delete(data: bytes) -> bytes:
        p = at(data)
        return data[:p] + data[p + 1 :]

    def repeat(data: bytes) -> bytes:
        p = at(data)
        return data[:p] + data[p // 2 : p] + data[p:]

    kinds: list[tuple[str, Callable[[bytes], bytes], int]] = [
        ("1 bit flipped", flips(1), 4),
        ("8 bits flipped", flips(8), 3),
        ("64 bits flipped", flips(64), 2),
        ("a bit of the header flipped", flips(1, within=48), 4),
        ("8 bits of the header flipped", flips(8, within=48), 2),
        ("16 bytes zeroed", overwrite(b"\0" * 16), 2),
        ("16 bytes set to 0xFF", overwrite(b"\xff" * 16), 1),
        ("the last 16 bytes zeroed", lambda data: data[:-16] + b"\0" * 16, 1),
        ("a byte inserted", insert, 2),
        ("a byte deleted", delete, 2),
        ("a stretch repeated", repeat, 1),
    ]
    return [(f"{what} ({k + 1})" if times > 1 else what, damage) for what, damage, times in kinds for k in range(times)]


# -- the corpus -----------------------------------------------------------------------------------
class _Builder:
    """Collects (item, maker) pairs; :func:`write_corpus` runs the makers of the inputs it keeps."""

    def __init__(self, base: np.ndarray, seed: int, scratch: Path):
        self.base = base
        self.scratch = scratch
        self.rng = np.random.default_rng(seed)
        self.specs: list[tuple[Item, Maker]] = []

    def add(self, item: Item, make: Maker) -> None:
        self.specs.append((item, make))

    def image(self, name: str, kind: str, family: str, expected: str, data: bytes | Callable[[], bytes]) -> None:
        """An image input whose bytes are ``data`` (or made by ``data()`` when written)."""

        def make(path: Path) -> None:
            path.write_bytes(data() if callable(data) else data)

        self.add(Item(f"images/{name}", kind, family, IMAGE, expected), make)


def _images(b: _Builder) -> None:
    rgb = _pil(b.base)
    grey = rgb.convert("L")
    small = rgb.resize((64, 64))
    encoded = {fmt: encode(rgb, fmt) for fmt in FORMATS}
    for fmt, (suffix, _, _) in FORMATS.items():
        data = encoded[fmt]
        b.image(f"{fmt}-valid{suffix}", f"a valid {fmt}", "valid", RESULT, data)
        b.image(f"{fmt}-1x1{suffix}", f"a 1x1 {fmt}", "tiny", RESULT, encode(rgb.resize((1, 1)), fmt))
        b.image(f"{fmt}-1x300{suffix}", f"a 1 px wide {fmt}", "strip", RESULT, encode(rgb.resize((1, 300)), fmt))
        b.image(f"{fmt}-300x1{suffix}", f"a 1 px high {fmt}", "strip", RESULT, encode(rgb.resize((300, 1)), fmt))
        for cut in CUTS:
            b.image(f"{fmt}-cut{round(100 * cut):02d}{suffix}", f"{fmt} cut at {cut:.0%} of its bytes", "truncated",
                    ERROR, data[: round(len(data) * cut)])  # fmt: skip
        b.image(f"{fmt}-header-only{suffix}", f"the first 16 bytes of a {fmt}", "truncated", ERROR, data[:16])
        b.image(f"{fmt}-last-byte-lost{suffix}", f"a {fmt} without its last byte", "truncated", EITHER, data[:-1])
        for k, (what, mutate) in enumerate(_mutations(b.rng)):
            b.image(f"{fmt}-damaged{k:02d}{suffix}", f"{fmt}: {what}", "bit-flipped", EITHER, mutate(data))
        for other, (other_suffix, _, _) in FORMATS.items():
            if other != fmt:
                b.image(f"{fmt}-named-{other}{other_suffix}", f"a {fmt} named {other_suffix}", "wrong-extension",
                        RESULT, data)  # fmt: skip
        b.image(f"{fmt}-without-suffix", f"a {fmt} without a suffix", "wrong-extension", RESULT, data)

    # colour modes and depths
    rgba = rgb.convert("RGBA")
    rgba.putalpha(Image.linear_gradient("L").resize(rgb.size))
    palette = rgb.convert("P", palette=Image.Palette.ADAPTIVE, colors=64)
    transparent_palette = palette.copy()
    transparent_palette.info["transparency"] = 0
    deep_grey = (np.asarray(grey, np.uint16) * 257).astype(np.uint16)
    deep_bgr = b.base.astype(np.uint16) * 257
    deep_bgra = cv2.cvtColor(deep_bgr, cv2.COLOR_BGR2BGRA)
    scaled = np.asarray(grey, np.float32) / 255
    nan_float = scaled.copy()
    nan_float[::7, ::5] = np.nan
    nan_float[3::11, ::3] = np.inf
    modes: list[tuple[str, str, bytes]] = [
        ("jpeg-grey.jpg", "a grey JPEG", encode(grey, "jpeg")),
        ("jpeg-cmyk.jpg", "a CMYK JPEG", encode(rgb.convert("CMYK"), "jpeg")),
        ("jpeg-progressive.jpg", "a progressive JPEG", encode(rgb, "jpeg", progressive=True)),
        ("jpeg-444.jpg", "a JPEG without chroma subsampling", encode(rgb, "jpeg", subsampling=0)),
        ("jpeg-quality1.jpg", "a JPEG at quality 1", encode(rgb, "jpeg", quality=1)),
        ("png-grey.png", "a grey PNG", encode(grey, "png")),
        ("png-grey-alpha.png", "a grey PNG with alpha", encode(grey.convert("LA"), "png")),
        ("png-rgba.png", "an RGBA PNG", encode(rgba, "png")),
        ("png-invisible.png", "a fully transparent PNG", encode(Image.new("RGBA", (64, 64), (0, 0, 0, 0)), "png")),
        ("png-palette.png", "a palette PNG", encode(palette, "png")),
        ("png-palette-transparent.png", "a palette PNG with transparency", encode(transparent_palette, "png")),
        ("png-1bit.png", "a 1-bit PNG", encode(grey.convert("1"), "png")),
        ("png-16bit-grey.png", "a 16-bit grey PNG", _cv_encode(deep_grey, ".png")),
        ("png-16bit-rgb.png", "a 16-bit RGB PNG", _cv_encode(deep_bgr, ".png")),
        ("png-16bit-rgba.png", "a 16-bit RGBA PNG", _cv_encode(deep_bgra, ".png")),
        ("webp-rgba.webp", "an RGBA WebP", encode(rgba, "webp")),
        ("webp-lossless.webp", "a lossless WebP", encode(rgb, "webp", lossless=True)),
        ("webp-quality0.webp", "a WebP at quality 0", encode(rgb, "webp", quality=0)),
        ("gif-grey.gif", "a grey GIF", encode(grey, "gif")),
        ("gif-transparent.gif", "a GIF with transparency", encode(transparent_palette, "gif")),
        ("gif-one-colour.gif", "a GIF of one colour", encode(Image.new("P", (32, 32), 3), "gif")),
        ("tiff-grey.tif", "a grey TIFF", encode(grey, "tiff")),
        ("tiff-rgba.tif", "an RGBA TIFF", encode(rgba, "tiff")),
        ("tiff-cmyk.tif", "a CMYK TIFF", encode(rgb.convert("CMYK"), "tiff")),
        ("tiff-16bit-grey.tif", "a 16-bit grey TIFF", _cv_encode(deep_grey, ".tiff")),
        ("tiff-16bit-rgb.tif", "a 16-bit RGB TIFF", _cv_encode(deep_bgr, ".tiff")),
        ("tiff-float.tif", "a float TIFF in 0-1", encode(Image.fromarray(scaled), "tiff")),
        ("tiff-float-big.tif", "a float TIFF in 0-255000", encode(Image.fromarray(scaled * 255000), "tiff")),
        ("tiff-float-nan.tif", "a float TIFF with NaN and inf", encode(Image.fromarray(nan_float), "tiff")),
        ("tiff-int32.tif", "a signed 32-bit TIFF with negatives",
         encode(Image.fromarray((np.asarray(grey, np.int32) - 128) * 1000), "tiff")),
        ("tiff-1bit.tif", "a 1-bit TIFF", encode(grey.convert("1"), "tiff")),
        ("tiff-lzw.tif", "an LZW TIFF", encode(rgb, "tiff", compression="tiff_lzw")),
        ("tiff-jpeg.tif", "a JPEG-compressed TIFF", encode(rgb, "tiff", compression="jpeg")),
        ("tiff-packbits.tif", "a PackBits TIFF", encode(rgb, "tiff", compression="packbits")),
        ("tiff-multipage.tif", "a TIFF of three pages",
         encode(small, "tiff", save_all=True, append_images=[grey.resize((64, 64)), small])),
        ("bmp-grey.bmp", "an 8-bit grey BMP", encode(grey, "bmp")),
        ("bmp-palette.bmp", "a palette BMP", encode(palette, "bmp")),
        ("bmp-1bit.bmp", "a 1-bit BMP", encode(grey.convert("1"), "bmp")),
        ("bmp-rgba.bmp", "a 32-bit BMP with alpha", encode(rgba, "bmp")),
        ("pgm-8bit.pgm", "an 8-bit PGM", _cv_encode(np.asarray(grey), ".pgm")),
        ("pgm-16bit.pgm", "a 16-bit PGM", _cv_encode(deep_grey, ".pgm")),
        ("ppm-rgb.ppm", "a PPM", _cv_encode(b.base, ".ppm")),
    ]  # fmt: skip
    for name, kind, data in modes:
        b.image(name, kind, "colour-mode", RESULT, data)

    # EXIF orientation
    for orientation in (1, 2, 3, 4, 5, 6, 7, 8, 0, 9, 65535):
        exif = Image.Exif()
        exif[0x0112] = orientation
        b.image(f"exif-orientation-{orientation}.jpg", f"a JPEG with EXIF orientation {orientation}", "exif", RESULT,
                encode(rgb, "jpeg", exif=exif.tobytes()))  # fmt: skip
    rotated = Image.Exif()
    rotated[0x0112] = 6
    for fmt in ("png", "webp", "tiff"):
        b.image(f"exif-orientation-6-{fmt}{FORMATS[fmt][0]}", f"a {fmt} with EXIF orientation 6", "exif", RESULT,
                encode(rgb, fmt, exif=rotated.tobytes()))  # fmt: skip
    jpeg = encoded["jpeg"]
    garbage_exif = b"\xff\xe1" + struct.pack(">H", 66) + b"Exif\0\0" + bytes(b.rng.integers(0, 256, 58, np.uint8))
    b.image("exif-garbage.jpg", "a JPEG with a garbage EXIF block", "exif", RESULT, jpeg[:2] + garbage_exif + jpeg[2:])

    # animations
    frames = [small, small.transpose(Image.Transpose.FLIP_LEFT_RIGHT), grey.resize((64, 64)).convert("RGB")]
    animated = {
        "gif": encode(frames[0], "gif", save_all=True, append_images=frames[1:], duration=100, loop=0),
        "webp": encode(frames[0], "webp", save_all=True, append_images=frames[1:], duration=100),
        "png": encode(frames[0], "png", save_all=True, append_images=frames[1:], duration=100),
    }
    for fmt, data in animated.items():
        b.image(f"animated{FORMATS[fmt][0]}", f"an animated {fmt}", "animated", RESULT, data)
        b.image(f"animated-cut{FORMATS[fmt][0]}", f"an animated {fmt} cut in its second frame", "animated", EITHER,
                data[: len(data) * 2 // 3])  # fmt: skip

    # sizes: huge headers over little data, real images 100,000 pixels wide, a decompression bomb
    png, alpha_webp = encoded["png"], encode(rgba, "webp")
    headers = [
        ("header-png-100000x100000.png", "a PNG announcing 100000x100000", _png_with_size(png, 100_000, 100_000)),
        ("header-png-100000x10000.png", "a PNG announcing 100000x10000", _png_with_size(png, 100_000, 10_000)),
        ("header-png-100000x1.png", "a PNG announcing 100000x1", _png_with_size(png, 100_000, 1)),
        ("header-png-0x0.png", "a PNG announcing 0x0", _png_with_size(png, 0, 0)),
        ("header-jpeg-65535x65535.jpg", "a JPEG announcing 65535x65535", _jpeg_with_size(jpeg, 65535, 65535)),
        ("header-jpeg-0x0.jpg", "a JPEG announcing 0x0", _jpeg_with_size(jpeg, 0, 0)),
        ("header-gif-65535x65535.gif", "a GIF announcing 65535x65535", _gif_with_size(encoded["gif"], 65535, 65535)),
        ("header-bmp-100000x100000.bmp", "a BMP announcing 100000x100000",
         _bmp_with_size(encoded["bmp"], 100_000, 100_000)),
        ("header-bmp-100000x-1.bmp", "a BMP announcing 100000x-1", _bmp_with_size(encoded["bmp"], 100_000, -1)),
        ("header-tiff-100000x100000.tif", "a TIFF announcing 100000x100000",
         _tiff_with_size(encoded["tiff"], 100_000, 100_000)),
        ("header-webp-100000x100000.webp", "a WebP announcing 100000x100000",
         _webp_with_size(alpha_webp, 100_000, 100_000)),
    ]  # fmt: skip
    for name, kind, data in headers:
        b.image(name, kind, "huge-header", ERROR, data)
    b.image("bomb-40000x40000.png", "a 300 KB PNG of 40000x40000 pixels", "huge-header", ERROR,
            lambda: _png_bomb(40_000, 40_000))  # fmt: skip
    wide = np.asarray(rgb.resize((100_000, 2)))
    wide_images = [
        ("wide-png-100000x2.png", "a real 100000x2 PNG", _cv_encode(wide[..., ::-1], ".png")),
        ("wide-png-2x100000.png", "a real 2x100000 PNG", _cv_encode(np.ascontiguousarray(wide.transpose(1, 0, 2)), ".png")),
        ("wide-jpeg-65000x8.jpg", "a real 65000x8 JPEG", encode(rgb.resize((65_000, 8)), "jpeg")),
        ("wide-gif-60000x2.gif", "a real 60000x2 GIF", encode(rgb.resize((60_000, 2)), "gif")),
        ("wide-tiff-100000x1.tif", "a real 100000x1 TIFF", encode(rgb.resize((100_000, 1)), "tiff")),
        ("wide-bmp-100000x1.bmp", "a real 100000x1 BMP", encode(rgb.resize((100_000, 1)), "bmp")),
        ("wide-webp-16383x2.webp", "a real 16383x2 WebP", encode(rgb.resize((16_383, 2)), "webp")),
    ]  # fmt: skip
    for name, kind, data in wide_images:
        b.image(name, kind, "wide", RESULT, data)

    # not images at all
    for suffix in (".jpg", ".jpeg", ".png", ".webp", ".gif", ".tif", ".bmp", ""):
        b.image(f"zero-bytes{suffix or '-without-suffix'}", f"an empty file named {suffix or 'without suffix'}",
                "zero-bytes", ERROR, b"")  # fmt: skip
    for size in (1, 2, 100, 1000, 10_000, 300_000):
        for suffix, _, _ in FORMATS.values():
            b.image(f"random-{size}{suffix}", f"{size} random bytes named {suffix}", "random-bytes", ERROR,
                    bytes(b.rng.integers(0, 256, size, np.uint8)))  # fmt: skip
    for fmt, (suffix, _, _) in FORMATS.items():
        for size in (64, 5000):
            tail = bytes(b.rng.integers(0, 256, size, np.uint8))
            b.image(f"magic-random-{size}-{fmt}{suffix}", f"a {fmt} signature and {size} random bytes",
                    "random-bytes", EITHER, encoded[fmt][:12] + tail)  # fmt: skip
    others = [
        ("text.jpg", "a text file named .jpg", b"these are not pixels\n" * 20),
        ("page.png", "an HTML page named .png", b"<!doctype html><html><body><img src='x.png'></body></html>\n"),
        ("data.webp", "JSON named .webp", b'{"image": "elsewhere"}\n'),
        ("drawing.png", "an SVG named .png",
         b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'),
        ("document.jpg", "a PDF header named .jpg", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"),
        ("archive.tif", "a ZIP named .tif", b"PK\x03\x04" + bytes(40)),
        ("compressed.png", "a gzipped PNG named .png", zlib.compress(png)),
        ("script.bmp", "a Python script named .bmp", b"print('hello')\n"),
        ("utf16.gif", "UTF-16 text named .gif", "not a gif".encode("utf-16")),
        ("nul.jpg", "4 KB of NUL bytes named .jpg", bytes(4096)),
    ]  # fmt: skip
    for name, kind, data in others:
        b.image(name, kind, "not-an-image", ERROR, data)

    # names
    for name, kind in [
        ("with space.jpg", "a name with spaces"),
        ("ünïcödé-😀.jpg", "a name with accents and an emoji"),
        ("-leading-dash.jpg", "a name starting with a dash"),
        ("UPPER.JPG", "an upper-case suffix"),
        ("double.png.jpg", "two suffixes"),
        ("x" * 200 + ".jpg", "a 204-character name"),
    ]:
        b.image(name, kind, "odd-name", RESULT, jpeg)

    def folder(path: Path) -> None:
        path.mkdir()

    def dangling(path: Path) -> None:
        path.symlink_to(path.parent / "missing-target.jpg")

    b.add(Item("images/folder.jpg", "a folder named .jpg", "not-a-file", IMAGE, ERROR, regular=False), folder)
    b.add(Item("images/dangling.jpg", "a link to a missing file", "not-a-file", IMAGE, ERROR, regular=False), dangling)


def _write_video(path: Path, frames: list[np.ndarray], codec: str, fps: int = 10, pix_fmt: str = "yuv420p",
                 options: dict[str, str] | None = None, audio: bool = False) -> None:  # fmt: skip
    import av

    with av.open(str(path), "w", options={"fflags": "+bitexact", **(options or {})}) as out:  # no random IDs
        video = out.add_stream(codec, rate=fps) if frames else None
        if video is not None:
            video.width, video.height, video.pix_fmt = frames[0].shape[1], frames[0].shape[0], pix_fmt
        sound = out.add_stream("aac", rate=16000, layout="mono") if audio else None
        for i, image in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(image, format="bgr24")
            frame.pts = i
            out.mux(video.encode(frame))
        for k in range(8 if sound is not None else 0):
            t = (1024 * k + np.arange(1024)) / 16000
            chunk = av.AudioFrame.from_ndarray(
                (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None], format="flt", layout="mono"
            )
            chunk.sample_rate, chunk.pts = 16000, 1024 * k
            out.mux(sound.encode(chunk))
        for stream in (video, sound):
            if stream is not None:
                out.mux(stream.encode(None))


def _videos(b: _Builder) -> None:
    def clip(size: tuple[int, int] = (160, 120), count: int = 20) -> list[np.ndarray]:
        w, h = size
        scale = min(w, h) / max(b.base.shape[:2])
        face = cv2.resize(b.base, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        frames = []
        for i in range(count):
            frame = np.zeros((h, w, 3), np.uint8)
            frame[:] = (90, 110, 130)
            x = min(w - face.shape[1], i * 2)
            frame[: face.shape[0], x : x + face.shape[1]] = face
            frames.append(frame)
        return frames

    def video(name: str, kind: str, family: str, expected: str, make: Maker) -> None:
        b.add(Item(f"videos/{name}", kind, family, VIDEO, expected), make)

    def encoded(name: str, frames: list[np.ndarray], codec: str, **options: Any) -> Callable[[], bytes]:
        """The bytes of a video written to a scratch file beside the corpus (made once, when first needed)."""

        @functools.cache
        def data() -> bytes:
            _write_video(b.scratch / name, frames, codec, **options)
            return (b.scratch / name).read_bytes()

        return data

    sources = {
        "h264.mp4": ("an H.264 MP4", encoded("h264.mp4", clip(), "libx264")),
        "faststart.mp4": ("an H.264 MP4 with its index first",
                          encoded("faststart.mp4", clip(), "libx264", options={"movflags": "faststart"})),
        "h264.mkv": ("an H.264 MKV", encoded("h264.mkv", clip(), "libx264")),
        "mjpeg.avi": ("an MJPEG AVI", encoded("mjpeg.avi", clip(), "mjpeg", pix_fmt="yuvj420p")),
        "vp8.webm": ("a VP8 WebM", encoded("vp8.webm", clip(), "libvpx")),
        "mpeg4.mov": ("an MPEG-4 MOV", encoded("mpeg4.mov", clip(), "mpeg4")),
        "ffv1.mkv": ("a lossless FFV1 MKV", encoded("ffv1.mkv", clip(), "ffv1")),
        "one-frame.mp4": ("an H.264 MP4 of one frame", encoded("one-frame.mp4", clip(count=1), "libx264")),
        "2x2.mp4": ("a 2x2-pixel H.264 MP4", encoded("2x2.mp4", clip((2, 2)), "libx264")),
        "odd-17x13.avi": ("a 17x13-pixel MJPEG AVI", encoded("odd-17x13.avi", clip((17, 13)), "mjpeg",
                                                               pix_fmt="yuvj420p")),
        "with-audio.mp4": ("an H.264 MP4 with an audio track", encoded("with-audio.mp4", clip(), "libx264", audio=True)),
    }  # fmt: skip
    for name, (kind, data) in sources.items():
        video(name, kind, "video-valid", RESULT, lambda path, data=data: path.write_bytes(data()))

    def cut(data: Callable[[], bytes], share: float) -> Maker:
        return lambda path: path.write_bytes(data()[: round(len(data()) * share)])

    for name, shares, expected in [
        ("faststart.mp4", (0.1, 0.3, 0.5, 0.7, 0.9), EITHER),
        ("h264.mp4", (0.5, 0.9), ERROR),  # the index is at the end
        ("h264.mkv", (0.3, 0.6, 0.9), EITHER),
        ("mjpeg.avi", (0.3, 0.6, 0.9), EITHER),
        ("vp8.webm", (0.5,), EITHER),
    ]:
        kind, data = sources[name]
        stem, suffix = name.rsplit(".", 1)
        for share in shares:
            video(f"cut{round(100 * share):02d}-{stem}.{suffix}", f"{kind} cut mid-frame at {share:.0%}",
                  "video-cut", expected, cut(data, share))  # fmt: skip
    for name in ("faststart.mp4", "h264.mkv", "mjpeg.avi"):
        kind, data = sources[name]
        for k in range(3):
            seed = int(b.rng.integers(0, 2**31))

            def damaged(path: Path, data: Callable[[], bytes] = data, seed: int = seed) -> None:
                path.write_bytes(_flip_bits(data(), np.random.default_rng(seed), 32))

            video(f"damaged{k}-{name}", f"{kind} with 32 bits flipped", "video-damaged", EITHER, damaged)
    jpeg = encode(_pil(b.base), "jpeg")
    gif = encode(_pil(b.base).resize((64, 64)), "gif", save_all=True,
                 append_images=[_pil(b.base).resize((64, 64)).rotate(90)], duration=100)  # fmt: skip
    others = [
        ("zero-bytes.mp4", "an empty .mp4", ERROR, b""),
        ("zero-bytes.mkv", "an empty .mkv", ERROR, b""),
        ("random.mp4", "random bytes named .mp4", ERROR, bytes(b.rng.integers(0, 256, 20_000, np.uint8))),
        ("random.avi", "random bytes named .avi", ERROR, bytes(b.rng.integers(0, 256, 20_000, np.uint8))),
        ("random.webm", "random bytes named .webm", ERROR, bytes(b.rng.integers(0, 256, 20_000, np.uint8))),
        ("photo.mp4", "a JPEG named .mp4", ERROR, jpeg),
        ("notes.mov", "text named .mov", ERROR, b"not a video\n" * 50),
        ("animated-gif.mp4", "an animated GIF named .mp4", RESULT, gif),
    ]
    for name, kind, expected, data in others:
        video(name, kind, "video-not-a-video", expected, lambda path, data=data: path.write_bytes(data))
    header = sources["faststart.mp4"][1]
    video("header-only.mp4", "the first 64 bytes of an H.264 MP4", "video-not-a-video", ERROR,
          lambda path: path.write_bytes(header()[:64]))  # fmt: skip
    video("audio-only.mp4", "an MP4 with sound and no picture", "video-not-a-video", ERROR,
          lambda path: _write_video(path, [], "", audio=True))  # fmt: skip


# -- datasets -------------------------------------------------------------------------------------
_USAGES = ("Training", "PublicTest", "PrivateTest")


def _csv_rows(b: _Builder, count: int) -> list[str]:
    """``count`` valid FER2013 rows (``code,pixels,Usage``) of the base picture's face, every class and usage."""
    face = cv2.resize(cv2.cvtColor(b.base, cv2.COLOR_BGR2GRAY), (48, 48), interpolation=cv2.INTER_AREA)
    rows = []
    for k in range(count):
        noisy = np.clip(face.astype(np.int16) + b.rng.integers(-8, 9, face.shape), 0, 255)
        rows.append(f"{k % 7},{' '.join(map(str, noisy.ravel().tolist()))},{_USAGES[k % 3]}")
    return rows


def _datasets(b: _Builder) -> None:
    good = _csv_rows(b, 8)
    pixels = good[0].split(",")[1]
    header = "emotion,pixels,Usage"

    def csv(name: str, kind: str, expected: str, lines: list[str], loaded: int | None = None,
            bad_lines: tuple[int, ...] = (), newline: str = "\n", prefix: bytes = b"") -> None:  # fmt: skip
        text = prefix + newline.join(lines).encode("utf-8", "surrogateescape") + newline.encode()
        skipped = tuple(f"{name} line {n}" for n in bad_lines)
        family = "csv-bad-rows" if bad_lines else "csv"
        item = Item(f"datasets/{name}", kind, family, DATASET, expected, loaded=loaded, skipped=skipped)
        b.add(item, lambda path: path.write_bytes(text))

    bad_rows = [
        ("bad-pixel-count.csv", "a row with 2,303 pixels", f"3,{' '.join(pixels.split()[:-1])},Training"),
        ("bad-pixel-text.csv", "a row with a word among the pixels", f"3,{pixels.replace(' ', ' ab ', 1)},Training"),
        ("bad-pixel-range.csv", "a row with pixel 256", f"3,{pixels.replace(' ', ' 256 ', 1)},Training"),
        ("bad-pixel-negative.csv", "a row with pixel -1", f"3,-1 {' '.join(pixels.split()[1:])},Training"),
        ("bad-pixel-float.csv", "a row with a fractional pixel", f"3,1.5 {' '.join(pixels.split()[1:])},Training"),
        ("bad-code-7.csv", "a row with emotion code 7", f"7,{pixels},Training"),
        ("bad-code-word.csv", "a row with emotion 'happy'", f"happy,{pixels},Training"),
        ("bad-code-empty.csv", "a row without an emotion", f",{pixels},Training"),
        ("bad-code-negative.csv", "a row with emotion -1", f"-1,{pixels},Training"),
        ("bad-usage.csv", "a row with Usage 'Validation'", f"3,{pixels},Validation"),
        ("bad-usage-latin1.csv", "a row whose Usage is Latin-1 bytes", f"3,{pixels},Tr\udce4ining"),
        ("bad-short-row.csv", "a row with the emotion only", "3"),
        ("bad-repeated-header.csv", "the header again mid-file", header),
        ("bad-empty-pixels.csv", "a row with empty pixels", "3,,Training"),
        ("bad-nul.csv", "a row with a NUL byte", f"3,{pixels}\0,Training"),
        ("bad-huge-field.csv", "a row with a 300,000-character field", f"3,{'1 ' * 150_000},Training"),
    ]
    for name, kind, row in bad_rows:
        csv(name, f"a FER2013 CSV with {kind}", RESULT, [header, *good[:4], row, *good[4:]], 8, (6,))
    csv("bad-unclosed-quote.csv", "a FER2013 CSV whose last row has an unclosed quote", RESULT,
        [header, *good, f'3,"{pixels},Training'], 8, (10,))  # fmt: skip
    csv("valid.csv", "a valid FER2013 CSV", RESULT, [header, *good], 8)
    csv("no-usage.csv", "a FER2013 CSV without Usage", RESULT,
        ["emotion,pixels", *(r.rsplit(",", 1)[0] for r in good)], 8)  # fmt: skip
    csv("extra-column.csv", "a FER2013 CSV with an extra column", RESULT,
        [f"{header},note", *(f"{r},hello" for r in good)], 8)  # fmt: skip
    csv("blank-lines.csv", "a FER2013 CSV with blank lines", RESULT, [header, good[0], "", "", *good[1:]], 8)
    csv("crlf.csv", "a FER2013 CSV with CRLF line ends", RESULT, [header, *good], 8, newline="\r\n")
    csv("bom.csv", "a FER2013 CSV starting with a byte-order mark", RESULT, [header, *good], 8, prefix=b"\xef\xbb\xbf")
    csv("quoted-multiline.csv", "a FER2013 CSV with pixels quoted over two lines", RESULT,
        [header, *good[:7], '{},"{}\n{}",{}'.format(*good[7].split(",")[:1], *good[7].split(",")[1].split(" ", 1),
                                                    _USAGES[7 % 3])], 8)  # fmt: skip
    csv("one-row.csv", "a FER2013 CSV of one row", RESULT, [header, good[0]], 1)
    csv("all-bad.csv", "a FER2013 CSV whose rows are all malformed", ERROR, [header, "9,1 2 3,Training", "x,y,z"])
    csv("header-only.csv", "a FER2013 CSV with a header only", ERROR, [header])
    csv(
        "semicolons.csv", "a FER2013 CSV separated by semicolons", ERROR, [r.replace(",", ";") for r in [header, *good]]
    )
    csv("tabs.csv", "a FER2013 CSV separated by tabs", ERROR, [r.replace(",", "\t") for r in [header, *good]])
    csv("capitalised.csv", "a CSV with header Emotion,Pixels,Usage", ERROR, ["Emotion,Pixels,Usage", *good])
    csv("zero-bytes.csv", "an empty CSV", ERROR, [], newline="")
    csv("huge-header.csv", "a CSV whose header is a 200,000-character field", ERROR, ["x" * 200_000, *good])
    csv("random.csv", "random bytes named .csv", ERROR, [],
        prefix=bytes(b.rng.integers(0, 256, 5000, np.uint8)))  # fmt: skip
    b.add(Item("datasets/listed.txt", "a FER2013 CSV named .txt", "csv", DATASET, ERROR),
          lambda path: path.write_text("\n".join([header, *good]) + "\n"))  # fmt: skip
    b.add(Item("datasets/missing.csv", "a CSV that does not exist", "csv", DATASET, ERROR, regular=False),
          lambda path: None)  # fmt: skip
    _label_folders(b)


def _label_folders(b: _Builder) -> None:
    rgb = _pil(b.base)
    face = encode(rgb.resize((96, 96)), "png")
    jpeg = encode(rgb.resize((96, 96)), "jpeg")
    classes = ("angry", "disgust", "fear", "happy", "neutral", "sad", "surprise")

    def folder(name: str, kind: str, expected: str, files: dict[str, bytes | None], loaded: int | None = None,
               skipped: tuple[str, ...] = (), links: dict[str, str] | None = None) -> None:  # fmt: skip
        """A folder of ``files`` (relative path -> bytes; None makes a folder) and symbolic ``links``."""

        def make(path: Path) -> None:
            path.mkdir()
            for rel, data in files.items():
                target = path / rel
                if data is None:
                    target.mkdir(parents=True, exist_ok=True)
                else:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(data)
            for rel, to in (links or {}).items():
                (path / rel).parent.mkdir(parents=True, exist_ok=True)
                (path / rel).symlink_to(to)

        family = "label-folder" if expected == RESULT else "label-layout"
        b.add(Item(f"datasets/{name}", kind, family, DATASET, expected, loaded=loaded, skipped=skipped), make)

    every = {f"{c}/{c}-{k}.png": face for c in classes for k in range(2)}
    bad = {
        "happy/cut.jpg": jpeg[: len(jpeg) // 2],
        "sad/empty.png": b"",
        "angry/text.jpg": b"not pixels\n" * 10,
        "fear/random.webp": bytes(b.rng.integers(0, 256, 500, np.uint8)),
        "neutral/notes.txt": b"a note\n",
    }
    folder("labels-valid", "a folder of labelled faces", RESULT, every, 14)
    folder("labels-bad-files", "labelled faces with damaged, empty, non-image files and a dangling link", RESULT,
           {**every, **bad}, 14, (*sorted(bad), "surprise/gone.jpg"), {"surprise/gone.jpg": "nowhere.jpg"})  # fmt: skip
    folder("labels-hidden-files", "labelled faces with hidden files", RESULT,
           {**every, "happy/.DS_Store": b"\0\1", "sad/._sad-0.png": b"junk", ".git/config": b"[core]\n"}, 14)  # fmt: skip
    unusual = {
        "happy/tiny.png": encode(rgb.resize((1, 1)), "png"),
        "happy/deep.png": _cv_encode(b.base.astype(np.uint16) * 257, ".png"),
        "happy/rgba.png": encode(rgb.convert("RGBA"), "png"),
        "happy/cmyk.jpg": encode(rgb.convert("CMYK"), "jpeg"),
        "happy/palette.gif": encode(rgb.convert("P"), "gif"),
        "happy/strip.bmp": encode(rgb.resize((300, 1)), "bmp"),
        "happy/float.tif": encode(Image.fromarray(np.asarray(rgb.convert("L"), np.float32) / 255), "tiff"),
    }
    folder("labels-unusual-images", "labelled faces of every size, depth and colour mode", RESULT,
           {**every, **unusual}, 14 + len(unusual))  # fmt: skip
    folder("labels-empty-class", "labelled faces with an empty class folder", ERROR,
           {**{k: v for k, v in every.items() if not k.startswith("sad/")}, "sad": None})  # fmt: skip
    folder("labels-unreadable-class", "a class folder of damaged files only", ERROR,
           {**{k: v for k, v in every.items() if not k.startswith("sad/")}, "sad/a.jpg": b"", "sad/b.png": b"xx"})  # fmt: skip
    folder("labels-own-classes", "faces in classes of the user's own", RESULT,
           {f"{c}/{k}.jpg": jpeg for c in ("cat", "dog", "joie", "😀") for k in range(2)}, 8)  # fmt: skip
    folder("labels-aliases", "class folders with aliases and capitals", RESULT,
           {f"{c}/{k}.png": face for c in ("Happiness", "ANGRY", "Neutral", "sadness") for k in range(2)}, 8)  # fmt: skip
    folder("labels-splits", "train/val/test folders of classes", RESULT,
           {f"{s}/{c}/{k}.png": face for s in ("train", "val", "test") for c in ("happy", "sad") for k in range(2)},
           12)  # fmt: skip
    folder("labels-mixed-layout", "split folders beside class folders", ERROR,
           {"train/happy/a.png": face, "sad/b.png": face})  # fmt: skip
    folder("labels-no-classes", "images without class folders", ERROR, {"a.png": face, "b.jpg": jpeg})
    folder("labels-empty", "an empty folder", ERROR, {})
    folder("labels-nested", "class folders with nested folders", RESULT,
           {f"{c}/{k}/deeper/{k}.png": face for c in ("happy", "sad") for k in range(2)}, 4)  # fmt: skip
    folder("labels-fer-names", "FER2013 file names in a merged test folder", RESULT,
           {f"test/{c}/{u}_{k}.png": face for c in ("happy", "sad") for u in ("PublicTest", "PrivateTest")
            for k in range(2)}, 8)  # fmt: skip
    folder("labels-files-beside-classes", "loose files beside the class folders", RESULT,
           {"readme.txt": b"faces\n", "cover.jpg": jpeg, **{f"{c}/{k}.png": face for c in ("happy", "sad")
                                                            for k in range(2)}}, 4)  # fmt: skip
    b.add(Item("datasets/missing-folder", "a dataset folder that does not exist", "label-layout", DATASET, ERROR,
               regular=False), lambda path: None)  # fmt: skip
    b.add(Item("datasets/faces.dat", "a file that is neither a folder nor a CSV", "label-layout", DATASET, ERROR),
          lambda path: path.write_bytes(face))  # fmt: skip


def _sample(specs: list[tuple[Item, Maker]], count: int) -> list[tuple[Item, Maker]]:
    """``count`` inputs spread over every family (at least one of each while ``count`` allows), spaced
    evenly through each family so that its formats and variants are covered."""
    families: dict[str, list[int]] = {}
    for k, (item, _) in enumerate(specs):
        families.setdefault(item.family, []).append(k)
    quota = dict.fromkeys(families, 0)
    while sum(quota.values()) < min(count, len(specs)):
        for name, members in families.items():
            if quota[name] < len(members) and sum(quota.values()) < count:
                quota[name] += 1
    chosen = sorted(
        members[(2 * j + 1) * len(members) // (2 * quota[name])]
        for name, members in families.items()
        for j in range(quota[name])
    )
    return [specs[k] for k in chosen]


def write_corpus(folder: str | Path, *, seed: int = 0, base: np.ndarray | None = None,
                 sample: int | None = None) -> Corpus:  # fmt: skip
    """Write the corpus into ``folder`` (created; must be empty or new) and its ``manifest.json``.

    ``base`` is the BGR picture the valid inputs are made from (a photo with a face makes the valid inputs
    give faces; default: :func:`synthetic_photo`). ``sample`` writes only that many inputs, spread over
    every family."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if any(folder.iterdir()):
        raise FileExistsError(f"{folder}: not empty")
    builder = _Builder(synthetic_photo() if base is None else base, seed, folder / ".scratch")
    builder.scratch.mkdir()
    for part in (_images, _videos, _datasets):
        part(builder)
    specs = builder.specs if sample is None else _sample(builder.specs, sample)
    for sub in ("images", "videos", "datasets"):
        (folder / sub).mkdir()
    for item, make in specs:
        make(folder / item.file)
    for scratch in builder.scratch.iterdir():
        scratch.unlink()
    builder.scratch.rmdir()
    items = [item for item, _ in specs]
    (folder / MANIFEST).write_text(json.dumps([asdict(i) for i in items], indent=1, ensure_ascii=False) + "\n")
    return Corpus(folder, items)
