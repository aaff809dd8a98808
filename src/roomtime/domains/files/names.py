"""Client-supplied file names: kept only as display text, never as a path.

The name is metadata for people (and for `Content-Disposition`); on disk every file has a
random server-generated name, so nothing here has to be safe for a filesystem.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

MAX_NAME_LENGTH = 255
FALLBACK_NAME = "file"
# Bidi overrides and other format characters let "gnp.exe" display as "exe.png".
_DROPPED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
# RFC 5987 attr-char minus the ALPHA/DIGIT that quote() always keeps.
_ATTR_CHARS = "!#$&+-.^_`|~"


def sanitize_filename(raw: str | None) -> str:
    """The last path segment of `raw` without control or format characters, ≤ 255 chars."""
    text = unicodedata.normalize("NFC", raw or "")
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(ch for ch in text if unicodedata.category(ch) not in _DROPPED_CATEGORIES)
    text = " ".join(text.split()).strip(". ")
    if not text:
        return FALLBACK_NAME
    return _truncate(text, MAX_NAME_LENGTH)


def _truncate(name: str, limit: int) -> str:
    if len(name) <= limit:
        return name
    stem, dot, ext = name.rpartition(".")
    if dot and 0 < len(ext) <= 16:
        return stem[: limit - len(ext) - 1] + "." + ext
    return name[:limit]


def with_extension(name: str, extension: str) -> str:
    """`name` with its extension replaced by the one of the detected type.

    A JPEG uploaded as `photo.png` downloads as `photo.jpg`, so the name never contradicts
    the content the browser receives.
    """
    stem, dot, _ = name.rpartition(".")
    base = stem if dot and stem else name
    return _truncate(f"{base}.{extension}", MAX_NAME_LENGTH)


def _ascii_fallback(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    # Inside a quoted-string `"` and `\` would need escaping that clients parse unevenly.
    cleaned = "".join(ch if ch.isprintable() and ch not in '"\\;%' else "_" for ch in decomposed)
    return cleaned.strip(" .") or FALLBACK_NAME


def content_disposition(disposition: str, name: str) -> str:
    """An RFC 6266 header value: an ASCII `filename` for old clients and a UTF-8 `filename*`."""
    safe = sanitize_filename(name)
    encoded = quote(safe, safe=_ATTR_CHARS)
    return f"{disposition}; filename=\"{_ascii_fallback(safe)}\"; filename*=UTF-8''{encoded}"
