"""Helpers for support tests: real images made with Pillow, uploads, tickets."""

from __future__ import annotations

import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from abonent.support.models import Attachment, Ticket, TicketMessage


def image_bytes(
    fmt: str = "PNG", size: tuple[int, int] = (40, 30), color: str = "#0a58ca"
) -> bytes:
    """A small real image in ``fmt`` (PNG, JPEG, WEBP, GIF)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=fmt)
    return buffer.getvalue()


def upload(name: str, data: bytes, content_type: str = "image/png") -> SimpleUploadedFile:
    """A file as the browser sends it (the name and type are whatever the client claims)."""
    return SimpleUploadedFile(name, data, content_type=content_type)


def png_upload(name: str = "screen.png", **kwargs: Any) -> SimpleUploadedFile:
    return upload(name, image_bytes("PNG", **kwargs))


def big_png(megabytes: float = 6) -> bytes:
    """A real PNG padded past ``megabytes`` (noise does not compress)."""
    import os

    from PIL import Image

    side = int((megabytes * 1024 * 1024 / 3) ** 0.5) + 8
    image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=0)
    return buffer.getvalue()


def attachment_make(*, ticket: Ticket, name: str = "screen.png") -> Attachment:
    """An attachment row on the ticket's first message, without writing a file (for tests that
    only need its id)."""
    message = TicketMessage.objects.filter(ticket=ticket).order_by("id").first()
    assert message is not None
    return Attachment.objects.create(
        message=message,
        file="private/support/missing.png",
        original_name=name,
        content_type="image/png",
        size=100,
    )
