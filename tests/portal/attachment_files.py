"""Files for the attachment tests: real images made with Pillow, a PDF, and hostile look-alikes."""

from __future__ import annotations

import io
import zlib

from PIL import ExifTags, Image

GPS = {1: "N", 2: (51.0, 30.0, 12.5), 3: "W", 4: (0.0, 7.0, 39.0)}


def image_bytes(fmt: str = "PNG", size=(64, 48), color="teal", **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, fmt, **save)
    return out.getvalue()


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Maker"  # Make
    exif[0x9286] = "home address in a comment"  # UserComment
    exif[ExifTags.IFD.GPSInfo] = GPS
    return image_bytes("JPEG", exif=exif)


def animated_gif() -> bytes:
    frames = [Image.new("RGB", (20, 20), color) for color in ("red", "green", "blue")]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return out.getvalue()


PDF = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
       b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
       b"trailer << /Root 1 0 R >>\n%%EOF\n")
PDF_WITH_SCRIPT = PDF.replace(b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >>")
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="10" height="10"/></svg>'
# A GIF header followed by script: a "GIFAR"-style polyglot that sniffers might take for HTML.
POLYGLOT_GIF = b"GIF89a/*\x01\x00\x01\x00\x00\x00\x00;*/=1;alert(document.domain)//" + HTML
# A real PNG with HTML appended after its end: valid as an image, carrying a page.
PNG_WITH_HTML = image_bytes("PNG") + HTML


def gif_frame_bomb(size=(400, 400), frames=100) -> bytes:
    """A few kilobytes that are `frames` full-size pictures: each frame is a 1x1 patch, which
    Pillow composites onto the whole canvas (decoding and re-encoding every one)."""
    out = io.BytesIO()
    Image.new("P", size, 0).save(out, "GIF")
    head = out.getvalue()[:-1]  # without the trailer (";")
    patch = (b"\x21\xf9\x04\x00\x00\x00\x00\x00"  # graphic control: no delay
             b"\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00"  # a 1x1 frame at 0,0
             b"\x02\x02\x44\x01\x00")  # its one pixel
    return head + patch * frames + b";"


def pdf_with(extra: bytes = b"", streams: tuple[bytes, ...] = ()) -> bytes:
    """The small PDF with `extra` in its catalogue and the given (already encoded) streams."""
    body = PDF.replace(b"/Type /Catalog", b"/Type /Catalog " + extra)
    objects = b"".join(b"%d 0 obj << /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream endobj\n"
                       % (10 + i, len(s), s) for i, s in enumerate(streams))
    return body.replace(b"trailer", objects + b"trailer")


def pdf_hiding_a_script_in_an_object_stream() -> bytes:
    """The action sits compressed in an object stream: nothing of it is readable in the file."""
    hidden = zlib.compress(b"3 0 << /S /JavaScript /JS (app.alert(1)) >>")
    return pdf_with(b"/OpenAction 3 0 R", (hidden,)).replace(b"/Length", b"/Type /ObjStm /N 1 /First 4 /Length")


def jpeg_with_a_second_picture() -> bytes:
    """A JPEG with a multi-picture (MPF) index and a second image, as phones write HDR photos
    (the gain map): Pillow names it MPO, but it is a JPEG photo."""
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "red").save(out, "MPO", save_all=True, append_images=[Image.new("RGB", (32, 24))])
    return out.getvalue()
