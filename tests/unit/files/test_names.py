"""Client file names become display text only, and safe header values."""

from __future__ import annotations

import pytest

from roomtime.domains.files.names import content_disposition, sanitize_filename, with_extension

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("plan.png", "plan.png"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\win.ini", "win.ini"),
        ("C:\\Users\\me\\photo.jpg", "photo.jpg"),
        ("a\x00b.png", "ab.png"),
        ('a"\r\nX-Injected: 1.png', 'a"X-Injected: 1.png'),
        ("\u202egnp.exe", "gnp.exe"),
        ("  spaced   out .png ", "spaced out .png"),
        ("..", "file"),
        ("", "file"),
        (None, "file"),
        (".htaccess", "htaccess"),
    ],
)
def test_sanitize_filename(raw: str | None, clean: str) -> None:
    assert sanitize_filename(raw) == clean


def test_long_names_are_cut_to_255_keeping_the_extension() -> None:
    assert sanitize_filename("n" * 300 + ".jpeg") == "n" * 250 + ".jpeg"
    assert sanitize_filename("n" * 300) == "n" * 255


@pytest.mark.parametrize(
    ("name", "ext", "result"),
    [
        ("x.png", "jpg", "x.jpg"),
        ("a.jpg.php", "png", "a.jpg.png"),
        ("noext", "pdf", "noext.pdf"),
        (".hidden", "png", ".hidden.png"),
    ],
)
def test_with_extension(name: str, ext: str, result: str) -> None:
    assert with_extension(name, ext) == result


@pytest.mark.parametrize("name", ['a"b;c\\d%e.png', "Зал.png", 'x"\r\nSet-Cookie: a=b.png'])
def test_content_disposition_is_one_ascii_line(name: str) -> None:
    value = content_disposition("inline", name)
    assert value.isascii() and "\r" not in value and "\n" not in value
    fallback = value.split('filename="', 1)[1].split('"', 1)[0]
    assert not set(fallback) & set('"\\;%')
    assert value.count('"') == 2


def test_content_disposition_encodes_utf8_per_rfc_6266() -> None:
    assert content_disposition("attachment", "café menu.pdf") == (
        "attachment; filename=\"cafe menu.pdf\"; filename*=UTF-8''caf%C3%A9%20menu.pdf"
    )
