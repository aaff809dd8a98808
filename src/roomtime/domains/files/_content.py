"""What a stored file is, decided from its bytes alone (R-27).

The type comes from the magic bytes (`filetype`); the client's file name and declared type
never decide: a file is accepted or refused for its content. Images are then decoded with
Pillow and every format is checked to end where its structure says it ends, so a truncated
file or a polyglot (an image with a script or archive appended) is refused.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import filetype
import structlog
from PIL import Image

from roomtime.domains.files.errors import ImageTooLargeError, UnsupportedFileTypeError

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class FileType:
    mime: str
    extension: str
    # Images are shown in the page; a PDF is saved, so a viewer plugin never runs it inline.
    disposition: str
    pillow_format: str | None = None


TYPES: dict[str, FileType] = {
    "image/png": FileType("image/png", "png", "inline", "PNG"),
    "image/jpeg": FileType("image/jpeg", "jpg", "inline", "JPEG"),
    "image/webp": FileType("image/webp", "webp", "inline", "WEBP"),
    "application/pdf": FileType("application/pdf", "pdf", "attachment"),
}
# Declared types that say nothing about the content, and spellings of the same type.
_UNSPECIFIC = {"", "application/octet-stream", "binary/octet-stream"}
_ALIASES = {
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "image/x-png": "image/png",
    "application/x-pdf": "application/pdf",
}
# Well above any photo a resource needs, well below what would exhaust memory when decoded.
MAX_IMAGE_PIXELS = 40_000_000
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PDF_TAIL_BYTES = 1024


def detect(head: bytes, allowed: frozenset[str]) -> FileType:
    """The type of a file from its first bytes; 415 unless it is an allowed type."""
    kind = filetype.guess(head) if head else None
    mime = kind.mime if kind else None
    if mime is None or mime not in allowed or mime not in TYPES:
        allowed_list = ", ".join(sorted(allowed))
        raise UnsupportedFileTypeError(
            f"The content is not one of the accepted types ({allowed_list})",
            detected_type=mime,
        )
    return TYPES[mime]


def check_declared(declared: str | None, detected: FileType) -> None:
    """The declared type never decides (SPEC R-27: "whatever the declared type"): a file is
    accepted or refused for its content alone. A contradiction is only logged, since it can
    be a mislabelled upload or a probe worth seeing in the logs."""
    name = (declared or "").strip().lower()
    name = _ALIASES.get(name, name)
    if name not in _UNSPECIFIC and name != detected.mime:
        log.info("upload_declared_type_ignored", declared=name[:100], detected=detected.mime)


def verify(path: Path, detected: FileType) -> None:
    """Decode and structurally check the file. Blocking: run it in a worker thread."""
    if detected.pillow_format is not None:
        _verify_image(path, detected)
    checks = {"image/png": _png_ends_at_iend, "image/jpeg": _jpeg_ends_at_eoi}
    checks |= {"image/webp": _riff_size_matches, "application/pdf": _pdf_is_complete}
    if not checks[detected.mime](path):
        raise UnsupportedFileTypeError(
            f"The file is not a complete {detected.mime} file (truncated or with extra data)",
            detected_type=detected.mime,
        )


def _verify_image(path: Path, detected: FileType) -> None:
    formats = [detected.pillow_format or ""]
    try:
        with Image.open(path, formats=formats) as image:
            if image.width * image.height > MAX_IMAGE_PIXELS:
                raise ImageTooLargeError(
                    f"The image has more than {MAX_IMAGE_PIXELS} pixels",
                    max_pixels=MAX_IMAGE_PIXELS,
                )
            image.verify()
        # verify() leaves the image unusable, and does not decode pixel data: load() does.
        with Image.open(path, formats=formats) as image:
            image.load()
    except ImageTooLargeError:
        raise
    except Image.DecompressionBombError as exc:
        raise ImageTooLargeError(
            f"The image has more than {MAX_IMAGE_PIXELS} pixels", max_pixels=MAX_IMAGE_PIXELS
        ) from exc
    except Exception as exc:
        raise UnsupportedFileTypeError(
            f"The file is not a valid {detected.mime} image", detected_type=detected.mime
        ) from exc


def _png_ends_at_iend(path: Path) -> bool:
    size = path.stat().st_size
    with path.open("rb") as fh:
        if fh.read(8) != _PNG_SIGNATURE:
            return False
        while True:
            header = fh.read(8)
            if len(header) < 8:
                return False
            length, chunk_type = struct.unpack(">I4s", header)
            fh.seek(length + 4, 1)  # chunk data and CRC (Pillow has checked the CRCs)
            if chunk_type == b"IEND":
                return fh.tell() == size
            if fh.tell() > size:
                return False


def _jpeg_ends_at_eoi(path: Path) -> bool:
    with path.open("rb") as fh:
        fh.seek(-2, 2)
        return fh.read(2) == b"\xff\xd9"


def _riff_size_matches(path: Path) -> bool:
    with path.open("rb") as fh:
        header = fh.read(12)
    if len(header) < 12 or header[:4] != b"RIFF" or header[8:12] != b"WEBP":
        return False
    (riff_size,) = struct.unpack("<I", header[4:8])
    return riff_size + 8 == path.stat().st_size


def _pdf_is_complete(path: Path) -> bool:
    size = path.stat().st_size
    with path.open("rb") as fh:
        if not fh.read(8).startswith(b"%PDF-"):
            return False
        fh.seek(max(0, size - _PDF_TAIL_BYTES))
        tail = fh.read()
    end = tail.rfind(b"%%EOF")
    # Incremental updates append after an %%EOF but end with their own: only
    # whitespace may follow the last one.
    return end != -1 and not tail[end + 5 :].strip()
