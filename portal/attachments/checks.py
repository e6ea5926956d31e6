"""What a file really is, read from its bytes (never from its name or the client's Content-Type),
and the clean copy we keep: images decoded and encoded again by Pillow, so nothing but pixels
survives (no EXIF, no GPS, no comment, nothing appended after the image); PDFs by their
header and trailer, refused when they carry scripts or launch actions (names read as a reader
decodes them, compressed object streams inflated, within a limit)."""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import warnings
import zlib
from dataclasses import dataclass

from PIL import Image, ImageOps

from portal.errors import DomainError

# MPO: a JPEG with a multi-picture index (phones' HDR photos carry a gain map so); kept as the JPEG photo alone.
IMAGE_TYPES = {"JPEG": "image/jpeg", "MPO": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp",
               "GIF": "image/gif"}
ANIMATED = ("GIF", "WEBP")  # kept with all their frames, so every frame counts towards the pixel limit
EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "image/gif": ".gif",
              "application/pdf": ".pdf"}
PDF_HEADERS = (b"%PDF-1.", b"%PDF-2.")
# Names (as the reader sees them, "#xx" escapes decoded) of scripts, embedded files and actions
# that run, send or fetch something without the reader asking.
PDF_ACTIVE = frozenset({b"JavaScript", b"JS", b"Launch", b"EmbeddedFile", b"EmbeddedFiles", b"RichMedia", b"XFA",
                        b"SubmitForm", b"ImportData", b"GoToR", b"GoToE"})
# Encodings we do not undo: with object streams (where dictionaries may hide) they hide from us too.
PDF_UNREADABLE = frozenset({b"Encrypt", b"ASCIIHexDecode", b"AHx", b"ASCII85Decode", b"A85", b"LZWDecode", b"LZW",
                            b"RunLengthDecode", b"RL", b"Crypt"})
PDF_NAME = re.compile(rb"/([^\x00\t\n\x0c\r /\[\]()<>{}%]*)")
PDF_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
PDF_STREAM = re.compile(rb"\bstream\r?\n")
PDF_INFLATE_LIMIT = 256 * 1024 * 1024  # compressed streams read at most this far, all together
PREVIEW_SIZE = (480, 480)
MAX_NAME = 120
ACCEPTED = "JPEG, PNG, WebP or GIF images, or PDF"
# What animation (GIF, WebP) needs to play; every other key of Image.info is dropped.
KEPT_INFO = ("duration", "loop", "transparency", "background", "disposal")


class AttachmentRefused(DomainError):
    status = 400


class TooLarge(AttachmentRefused):
    status = 413


class UnsupportedType(AttachmentRefused):
    status = 415


@dataclass(frozen=True)
class CheckedFile:
    name: str  # for showing only
    kind: str  # image, pdf
    content_type: str
    data: bytes  # what is stored and served
    preview: bytes | None  # a WebP thumbnail of an image
    width: int | None = None
    height: int | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def clean_name(raw: str | None) -> str:
    """The sender's file name, for showing. A browser sends a bare name: one with a path, a NUL
    or another control character was made by hand, and is refused rather than guessed at."""
    name = unicodedata.normalize("NFC", (raw or "").strip())
    if not name:
        return "attachment"
    if any(c in name for c in "/\\") or name.startswith(".."):
        raise AttachmentRefused("A file name may not contain a path (“/”, “\\” or “..”).")
    if any(unicodedata.category(c)[0] == "C" for c in name):
        raise AttachmentRefused("A file name may not contain control characters.")
    if len(name) > MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        ext = ext[:10] if dot else ""
        name = (stem if dot else name)[: MAX_NAME - len(ext) - 1] + ("." + ext if ext else "")
    return name


def shown_name(name: str, content_type: str) -> str:
    """The name a download gets: the sender's, ending with what the file really is."""
    stem, dot, ext = name.rpartition(".")
    return (stem if dot and stem else name) + EXTENSIONS[content_type]


def check_file(name: str, data: bytes, max_bytes: int, max_pixels: int) -> CheckedFile:
    if not data:
        raise AttachmentRefused(f"“{name}” is empty.")
    if len(data) > max_bytes:
        raise TooLarge(f"“{name}” is larger than {max_bytes // (1024 * 1024) or 1} MB.")
    if data.startswith(PDF_HEADERS):
        return _pdf(name, data)
    return _image(name, data, max_pixels)


def _pdf(name: str, data: bytes) -> CheckedFile:
    if b"%%EOF" not in data[-2048:]:
        raise UnsupportedType(f"“{name}” is not a complete PDF.")
    names = _pdf_names(data)
    if b"ObjStm" in names and names & PDF_UNREADABLE:
        raise UnsupportedType(f"“{name}” is a protected or encoded PDF we can't check; print it to a new PDF.")
    for inflated in _inflated_streams(name, data):  # object streams keep dictionaries compressed
        names |= _pdf_names(inflated)
    if names & PDF_ACTIVE:
        raise UnsupportedType(f"“{name}” is a PDF with scripts or embedded files; save it as a plain PDF.")
    return CheckedFile(name, "pdf", "application/pdf", data, None)


def _pdf_names(data: bytes) -> set[bytes]:
    """Every /Name in ``data`` as a reader decodes it ("/J#53" is /JS)."""
    return {PDF_ESCAPE.sub(lambda m: bytes([int(m[1], 16)]), n) for n in PDF_NAME.findall(data)}


def _inflated_streams(name: str, data: bytes):
    """What each zlib-compressed stream holds, a piece at a time (with an overlap, so no name is cut
    in two). Reading more than PDF_INFLATE_LIMIT in all (in and out) is refused: a compression bomb."""
    budget, view = PDF_INFLATE_LIMIT, memoryview(data)
    for start in PDF_STREAM.finditer(data):
        inflater, at, tail = zlib.decompressobj(), start.end(), b""
        try:
            while at < len(data) and not inflater.eof:
                pending = view[at:at + 65536]
                while pending and not inflater.eof:
                    chunk = inflater.decompress(pending, 1024 * 1024)
                    used = len(pending) - len(inflater.unconsumed_tail) - len(inflater.unused_data)
                    at, pending = at + used, inflater.unconsumed_tail
                    budget -= used + len(chunk)
                    if budget < 0:
                        raise TooLarge(f"“{name}” is a PDF too large to check.")
                    yield tail + chunk
                    tail = chunk[-256:]
        except zlib.error:
            continue  # not zlib (an image's own encoding) or damaged: nothing more to read there


def _image(name: str, data: bytes, max_pixels: int) -> CheckedFile:
    refused = UnsupportedType(f"“{name}” is not a file we accept: send {ACCEPTED}.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in IMAGE_TYPES:
                    raise refused
                frames = probe.n_frames if probe.format in ANIMATED else 1  # read from headers, cheap
                if probe.width * probe.height * frames > max_pixels:
                    raise TooLarge(f"“{name}” has too many pixels ({probe.width}×{probe.height}"
                                   + (f", {frames} frames" if frames > 1 else "") + ").")
                probe.verify()
            image = Image.open(io.BytesIO(data))
            image.load()
    except AttachmentRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise TooLarge(f"“{name}” has too many pixels.") from None
    except Exception:  # Pillow raises many kinds for a file that is not what it claims
        raise refused from None
    with image:
        fmt = image.format
        clean = _reencoded(image, fmt)
        preview = _preview(image)
        return CheckedFile(name, "image", IMAGE_TYPES[fmt], clean, preview, image.width, image.height)


def _reencoded(image: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    animated = getattr(image, "n_frames", 1) > 1 and fmt in ANIMATED
    if IMAGE_TYPES[fmt] == "image/jpeg":
        upright = ImageOps.exif_transpose(image)  # turn it as the camera meant, then drop the tag
        upright.info = {}
        if upright.mode not in ("RGB", "L"):
            upright = upright.convert("RGB")
        upright.save(out, "JPEG", quality=90, optimize=True)
    else:
        image.info = {k: v for k, v in image.info.items() if k in KEPT_INFO}
        options = {"save_all": True} if animated else {}
        if fmt == "WEBP":
            options.update(quality=90)
        image.save(out, fmt, **options)
    return out.getvalue()


def _preview(image: Image.Image) -> bytes:
    image.seek(0)
    frame = ImageOps.exif_transpose(image.copy())
    frame = frame.convert("RGBA" if frame.mode in ("RGBA", "LA", "P", "PA") else "RGB")
    frame.thumbnail(PREVIEW_SIZE)
    frame.info = {}
    out = io.BytesIO()
    frame.save(out, "WEBP", quality=80)
    return out.getvalue()
