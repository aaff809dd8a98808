"""Message catalogues (en, ru) and the language a request gets.

The `rt_lang` cookie (set by the switch in the page header) wins; otherwise the best
`Accept-Language` match; otherwise English.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

from starlette.requests import Request

LANGUAGES = ("en", "ru")
DEFAULT = "en"


@cache
def catalogue(lang: str) -> dict[str, str]:
    text = resources.files(__package__).joinpath(f"{lang}.json").read_text(encoding="utf-8")
    return json.loads(text)


def _accept_language(header: str) -> str | None:
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and quality > 0:
            ranked.append((-quality, index, primary))
    return min(ranked)[2] if ranked else None


def language_of(request: Request) -> str:
    chosen = request.cookies.get("rt_lang")
    if chosen in LANGUAGES:
        return chosen
    return _accept_language(request.headers.get("accept-language", "")) or DEFAULT


class Translator:
    def __init__(self, lang: str) -> None:
        self.lang = lang
        self._messages = catalogue(lang)
        self._fallback = catalogue(DEFAULT)

    def __call__(self, key: str, **values: object) -> str:
        text = self._messages.get(key) or self._fallback.get(key) or key
        return text.format(**values) if values else text
