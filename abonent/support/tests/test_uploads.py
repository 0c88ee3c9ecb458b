"""Images are checked by their content, not by their name or claimed type."""

from __future__ import annotations

import re

import pytest

from abonent.support.tests.factories import big_png, image_bytes, upload
from abonent.support.uploads import MAX_BYTES, UploadRefused, image_check, safe_name


@pytest.fixture(autouse=True)
def english():
    """Messages are checked in English here; the Russian ones in test_views."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    ("fmt", "kind", "content_type"),
    [
        ("PNG", "png", "image/png"),
        ("JPEG", "jpeg", "image/jpeg"),
        ("WEBP", "webp", "image/webp"),
        ("GIF", "gif", "image/gif"),
    ],
)
def test_real_images_pass_with_the_type_of_their_content(fmt, kind, content_type) -> None:
    checked = image_check(upload("picture.bin", image_bytes(fmt), "application/octet-stream"))
    assert checked.kind == kind
    assert checked.content_type == content_type
    assert checked.name.startswith("picture")


@pytest.mark.parametrize(
    "data",
    [
        b"MZ\x90\x00\x03" + b"\x00" * 200,  # a Windows executable
        b"\x7fELF\x02\x01\x01" + b"\x00" * 200,  # a Linux executable
        b"<html><script>alert(1)</script></html>",
        b"%PDF-1.7\n",
    ],
)
def test_a_renamed_executable_or_document_is_refused_naming_the_file(data) -> None:
    with pytest.raises(UploadRefused) as exc:
        image_check(upload("photo.png", data, "image/png"))
    message = str(exc.value)
    assert "photo.png" in message
    assert "PNG, JPEG, WebP or GIF" in message


def test_png_magic_followed_by_garbage_is_refused() -> None:
    with pytest.raises(UploadRefused, match="damaged"):
        image_check(upload("x.png", b"\x89PNG\r\n\x1a\n" + b"garbage" * 50))


def test_a_truncated_image_is_refused() -> None:
    data = image_bytes("PNG", size=(200, 200))
    with pytest.raises(UploadRefused):
        image_check(upload("cut.png", data[: len(data) // 2]))


def test_a_6_mb_image_is_refused_with_its_size() -> None:
    data = big_png(6)
    assert len(data) > 6 * 1024 * 1024
    with pytest.raises(UploadRefused) as exc:
        image_check(upload("huge.png", data))
    assert "huge.png" in str(exc.value)
    assert "at most 5 MB" in str(exc.value)
    assert re.search(r"“huge.png” is 6\.\d MB", str(exc.value))


def test_exactly_the_limit_passes_the_size_check() -> None:
    assert MAX_BYTES == 5 * 1024 * 1024


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(UploadRefused, match="empty"):
        image_check(upload("none.png", b""))


@pytest.mark.parametrize(
    ("raw", "kind", "expected"),
    [
        ("screen.png", "png", "screen.png"),
        ("Снимок экрана.PNG", "png", "Снимок экрана.png"),
        ("../../etc/passwd", "png", "passwd.png"),
        ("C:\\Users\\me\\photo.jpeg", "jpeg", "photo.jpeg"),
        ("evil.html", "png", "evil.html.png"),
        ("really-a-gif.png", "gif", "really-a-gif.gif"),
        ('a"b;c\r\nSet-Cookie: x.png', "png", "a_b_cSet-Cookie_ x.png"),
        ("<script>.gif", "gif", "script.gif"),
        ("", "webp", "image.webp"),
        ("x" * 300 + ".png", "png", "x" * 96 + ".png"),
    ],
)
def test_names_are_cleaned_and_end_with_the_real_extension(raw, kind, expected) -> None:
    assert safe_name(raw, kind) == expected
