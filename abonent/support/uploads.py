"""Checking attached images by their content, never by their name.

A file is accepted when its first bytes are those of PNG, JPEG, WebP or GIF *and* Pillow
decodes it as that same format. Its size is counted from the bytes read, not from what the
browser claims. The name the subscriber gave is kept only for display, cleaned, and given the
extension of what the file really is.
"""

from __future__ import annotations

import io
import re
import unicodedata
import warnings
from dataclasses import dataclass
from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _
from PIL import Image

MAX_FILES = 3
MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 40-megapixel photo decodes in ~160 MB; more is refused
NAME_MAX = 100

# detected format → (content type, Pillow's format name, extensions a name may keep)
FORMATS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "png": ("image/png", "PNG", (".png",)),
    "jpeg": ("image/jpeg", "JPEG", (".jpg", ".jpeg")),
    "webp": ("image/webp", "WEBP", (".webp",)),
    "gif": ("image/gif", "GIF", (".gif",)),
}


@dataclass(frozen=True)
class CheckedImage:
    """An upload that passed: its bytes, what it is, and a name safe to show and send."""

    data: bytes
    kind: str
    content_type: str
    name: str

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def extension(self) -> str:
        return FORMATS[self.kind][2][0]


class UploadRefused(Exception):
    """The file is not an acceptable image; the message names it and says why."""


def sniff(head: bytes) -> str | None:
    """The image format the first bytes announce, or None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*;\'`$%&{}\[\]]+')


def safe_name(raw: str, kind: str) -> str:
    """The file name to show and to send in ``Content-Disposition``: the last path part,
    NFC, no control or shell/HTML characters, at most ``NAME_MAX`` characters, and ending
    with the extension of what the file really is ("x.png" that is a GIF → "x.gif", "report.exe"
    that is a PNG → "report.exe.png")."""
    name = unicodedata.normalize("NFC", str(raw or ""))
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = _UNSAFE.sub("_", name)
    name = " ".join(name.split()).strip(" ._")
    allowed = FORMATS[kind][2]
    images = {e for _type, _pil, exts in FORMATS.values() for e in exts}
    stem, dot, ext = name.rpartition(".")
    ext = f".{ext.lower()}"
    if dot and ext in allowed:
        pass
    elif dot and ext in images:  # "x.png" that is really a GIF → "x.gif"
        ext = allowed[0]
    else:  # "report.exe" → "report.exe.png": it still says what it was called
        stem, ext = name, allowed[0]
    stem = stem.strip(" ._")[: NAME_MAX - len(ext)] or "image"
    return stem + ext


def _display_name(upload: Any) -> str:
    name = re.split(r"[/\\]", str(getattr(upload, "name", "") or ""))[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    return (name[:60] + "…") if len(name) > 61 else (name or _("(no name)"))


def _megabytes(size: int) -> str:
    return formats.number_format(size / 1024 / 1024, 1)


def image_check(upload: Any) -> CheckedImage:
    """Read an uploaded file (a Django ``UploadedFile`` or anything with ``read()`` and
    ``name``) and return it checked, or raise ``UploadRefused`` naming the file."""
    shown = _display_name(upload)
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        size = max(len(data), int(getattr(upload, "size", 0) or 0))
        raise UploadRefused(
            _("“%(name)s” is %(size)s MB; an image can be at most %(max)d MB.")
            % {"name": shown, "size": _megabytes(size), "max": MAX_BYTES // 1024 // 1024}
        )
    if not data:
        raise UploadRefused(_("“%(name)s” is empty.") % {"name": shown})
    kind = sniff(data[:16])
    not_an_image = _(
        "“%(name)s” is not a PNG, JPEG, WebP or GIF image. Attach a screenshot or a photo."
    ) % {"name": shown}
    if kind is None:
        raise UploadRefused(not_an_image)
    content_type, pil_format, _exts = FORMATS[kind]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format != pil_format:
                    raise UploadRefused(not_an_image)
                if probe.width * probe.height > MAX_PIXELS:
                    raise UploadRefused(
                        _("“%(name)s” is too large an image (%(w)d × %(h)d pixels).")
                        % {"name": shown, "w": probe.width, "h": probe.height}
                    )
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.load()
    except UploadRefused:
        raise
    except Exception:  # Pillow raises many kinds for broken data; all mean the same here
        raise UploadRefused(
            _("“%(name)s” looks like an image but cannot be read: it may be damaged.")
            % {"name": shown}
        ) from None
    return CheckedImage(
        data=data,
        kind=kind,
        content_type=content_type,
        name=safe_name(getattr(upload, "name", ""), kind),
    )
