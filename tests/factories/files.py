"""Real files for upload tests: images made with Pillow, a PDF written by hand, and
multipart bodies built byte by byte (so a test can send any file name, even invalid)."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

from PIL import Image


def image(fmt: str = "PNG", size: tuple[int, int] = (16, 16), color: str = "teal") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, fmt)
    return buffer.getvalue()


def png() -> bytes:
    return image("PNG")


def jpeg() -> bytes:
    return image("JPEG")


def webp() -> bytes:
    return image("WEBP")


def pdf(size: int | None = None) -> bytes:
    """A minimal valid one-page PDF; `size` pads it (with a comment) to exactly that length."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 72 72] >>",
    ]

    def build(padding: int) -> bytes:
        out = bytearray(b"%PDF-1.4\n")
        if padding:
            out += b"%" + b"p" * (padding - 2) + b"\n"
        offsets = []
        for number, body in enumerate(objects, start=1):
            offsets.append(len(out))
            out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
        xref = len(out)
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
        out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
        out += b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objects) + 1)
        out += b"startxref\n%d\n%%%%EOF\n" % xref
        return bytes(out)

    plain = build(0)
    if size is None:
        return plain
    padding = size - len(plain)
    assert padding >= 3, "too small to pad"
    result = build(padding)
    # The startxref number may gain a digit from the padding: take it back.
    result = build(padding - (len(result) - size))
    assert len(result) == size
    return result


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims huge dimensions without the pixels (a decompression-bomb shape)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


def zip_archive() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hello")
    return buffer.getvalue()


BOUNDARY = "roomtime-test-boundary-7d1b"


def multipart(
    content: bytes,
    *,
    filename: bytes | str = b"file.bin",
    content_type: bytes | str | None = b"application/octet-stream",
    field: str = "file",
    extra_parts: list[tuple[str, bytes]] | None = None,
) -> tuple[bytes, dict[str, str]]:
    """A multipart/form-data body with one file part, and its Content-Type header."""
    name = filename.encode() if isinstance(filename, str) else filename
    ctype = content_type.encode() if isinstance(content_type, str) else content_type
    out = bytearray()
    for extra_name, value in extra_parts or []:
        out += (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{extra_name}"\r\n\r\n'.encode()
        )
        out += value + b"\r\n"
    out += f"--{BOUNDARY}\r\n".encode()
    out += f'Content-Disposition: form-data; name="{field}"; filename="'.encode() + name + b'"\r\n'
    if ctype is not None:
        out += b"Content-Type: " + ctype + b"\r\n"
    out += b"\r\n" + content + f"\r\n--{BOUNDARY}--\r\n".encode()
    return bytes(out), {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
