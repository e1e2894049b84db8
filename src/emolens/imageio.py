"""Decode images from files, bytes, arrays or PIL images into 8-bit BGR or grey numpy arrays.

One place for everything users throw at us: JPEG, PNG, WebP, BMP, TIFF, GIF; grey, RGB, RGBA,
16-bit; EXIF orientation; empty, truncated and non-image files (a clear :class:`ImageReadError`
naming the input). OpenCV decodes; Pillow is the fallback for what OpenCV cannot read.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np

from emolens.errors import ImageReadError

ColorMode = Literal["bgr", "grey"]

#: File suffixes treated as images when scanning folders.
IMAGE_SUFFIXES: frozenset[str] = frozenset(
    {".jpg", ".jpeg", ".jpe", ".png", ".bmp", ".webp", ".tif", ".tiff", ".gif", ".pgm", ".ppm", ".pnm"}
)


def is_image_path(path: str | Path) -> bool:
    """Whether the file name has an image suffix (case-insensitive)."""
    return Path(path).suffix.lower() in IMAGE_SUFFIXES


def _check_complete(data: bytes, name: str) -> None:
    """Raise when a JPEG or PNG stream ends before its end marker (a truncated download or copy)."""
    if data[:3] == b"\xff\xd8\xff" and b"\xff\xd9" not in data[-64:]:
        raise ImageReadError(f"{name}: truncated JPEG (no end-of-image marker)")
    if data[:8] == b"\x89PNG\r\n\x1a\n" and b"IEND" not in data[-32:]:
        raise ImageReadError(f"{name}: truncated PNG (no IEND chunk)")


def _to_uint8(image: np.ndarray) -> np.ndarray:
    """Scale 16-bit or float images to 8 bits."""
    if image.dtype == np.uint8:
        return image
    if image.dtype == np.uint16:
        return (image >> 8).astype(np.uint8)
    if np.issubdtype(image.dtype, np.floating):
        scale = 255.0 if float(np.nanmax(image, initial=0.0)) <= 1.0 else 1.0
        return np.clip(np.nan_to_num(image) * scale, 0, 255).astype(np.uint8)
    return np.clip(image, 0, 255).astype(np.uint8)


def convert(image: np.ndarray, mode: ColorMode, *, rgb: bool = False, name: str = "array") -> np.ndarray:
    """Convert a (H,W), (H,W,1), (H,W,3) or (H,W,4) array to 8-bit BGR or grey.

    ``rgb=True`` says 3/4-channel input is RGB(A) (PIL order) rather than OpenCV's BGR(A).
    """
    if not isinstance(image, np.ndarray) or image.ndim not in (2, 3) or image.size == 0:
        shape = getattr(image, "shape", type(image).__name__)
        raise ImageReadError(f"{name}: expected an image array (H,W) or (H,W,C), got {shape}")
    image = _to_uint8(image)
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim == 3 and image.shape[2] not in (3, 4):
        raise ImageReadError(f"{name}: expected 1, 3 or 4 channels, got {image.shape[2]}")
    if image.ndim == 2:
        return image if mode == "grey" else cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_RGBA2RGB if rgb else cv2.COLOR_BGRA2BGR)
    if mode == "grey":
        return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY if rgb else cv2.COLOR_BGR2GRAY)
    return cv2.cvtColor(image, cv2.COLOR_RGB2BGR) if rgb else np.ascontiguousarray(image)


def _decode_with_pillow(data: bytes, mode: ColorMode, name: str) -> np.ndarray:
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as pil:
            pil = ImageOps.exif_transpose(pil)
            pil.load()
            if pil.mode not in ("L", "RGB", "RGBA", "I;16", "I"):
                pil = pil.convert("RGBA" if "A" in pil.getbands() else "RGB")
            array = np.asarray(pil)
    except UnidentifiedImageError:
        raise ImageReadError(f"{name}: not an image (unknown or unsupported format)") from None
    except Image.DecompressionBombError as exc:
        raise ImageReadError(f"{name}: image too large to decode safely ({exc})") from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise ImageReadError(f"{name}: damaged or unsupported image ({exc})") from None
    if array.dtype == np.int32:
        array = np.clip(array, 0, 65535).astype(np.uint16)
    return convert(array, mode, rgb=True, name=name)


def decode_bytes(data: bytes, mode: ColorMode = "bgr", *, name: str = "<bytes>") -> np.ndarray:
    """Decode an encoded image (any common format), honouring EXIF orientation."""
    if not data:
        raise ImageReadError(f"{name}: empty file")
    _check_complete(data, name)
    buffer = np.frombuffer(data, dtype=np.uint8)
    flags = cv2.IMREAD_ANYDEPTH | (cv2.IMREAD_GRAYSCALE if mode == "grey" else cv2.IMREAD_COLOR)
    try:
        image = cv2.imdecode(buffer, flags)
    except cv2.error:
        image = None
    if image is None or image.size == 0:
        return _decode_with_pillow(data, mode, name)
    return convert(image, mode, name=name)


def read_image(source: Any, mode: ColorMode = "bgr") -> np.ndarray:
    """Read a path, bytes, numpy array (BGR or grey) or PIL image as an 8-bit BGR or grey array."""
    if isinstance(source, np.ndarray):
        return convert(source, mode)
    if isinstance(source, (bytes, bytearray, memoryview)):
        return decode_bytes(bytes(source), mode)
    if isinstance(source, (str, Path)):
        path = Path(source)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise ImageReadError(f"{path}: no such file") from None
        except IsADirectoryError:
            raise ImageReadError(f"{path}: is a folder, not an image") from None
        except OSError as exc:
            raise ImageReadError(f"{path}: cannot be read ({exc.strerror or exc})") from None
        return decode_bytes(data, mode, name=str(path))
    if hasattr(source, "mode") and hasattr(source, "size") and hasattr(source, "convert"):
        from PIL import ImageOps

        pil = ImageOps.exif_transpose(source)
        if pil.mode not in ("L", "RGB", "RGBA"):
            pil = pil.convert("RGB")
        return convert(np.asarray(pil), mode, rgb=True, name="PIL image")
    raise ImageReadError(f"cannot read an image from {type(source).__name__}")
