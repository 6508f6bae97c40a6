"""Thumbnails: decoded with Pillow, re-encoded as WebP; no metadata (EXIF, GPS, ICC text) survives."""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps

THUMBNAIL_SIZE = (480, 480)
MAX_PIXELS = 40_000_000  # larger images are refused (decompression bombs)


class NotAnImageError(Exception):
    pass


def thumbnail(data: bytes) -> tuple[bytes, int, int]:
    """(WebP bytes, original width, original height); NotAnImageError when Pillow cannot use it."""
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                image.seek(0)
                picture = ImageOps.exif_transpose(image)
                picture.thumbnail(THUMBNAIL_SIZE)
                picture = picture.convert("RGBA" if _has_alpha(picture) else "RGB")
                out = io.BytesIO()
                picture.save(out, "WEBP", quality=80)  # a fresh encode: no exif=, no icc_profile=
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise NotAnImageError(str(exc)) from exc
    return out.getvalue(), width, height


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
