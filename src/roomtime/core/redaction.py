"""Scrubbing secrets out of log events before they are written.

A last line of defence: code should never log a secret, but a library may (httpx writes
every request URL, and a Telegram bot token is part of the URL). Every event passes through
here, whatever logger produced it, after exceptions have been rendered to text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

REDACTED = "[redacted]"
# Configured secrets shorter than this are not scrubbed: they would blank out ordinary
# words all over the log, and a secret that short protects nothing anyway.
MIN_SECRET_LENGTH = 6

_KEY_WORDS = ("password", "token", "secret", "authorization")
_PATTERNS = (
    # A Telegram Bot API token as it appears in the API's URLs: bot<digits>:<secret>.
    (re.compile(r"bot\d+:[A-Za-z0-9_-]+"), f"bot{REDACTED}"),
    # An HTTP bearer credential, e.g. a quoted Authorization header.
    (re.compile(r"\b((?i:bearer))(\s+|%20)[A-Za-z0-9._~+/-]+=*"), rf"\1\2{REDACTED}"),
    # A JWT (header and payload are base64url JSON objects, so both start with "eyJ").
    (re.compile(r"\beyJ[A-Za-z0-9_-]*\.eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*"), REDACTED),
)
_PLAIN = (str, int, float, bool, type(None))
_KEY_MEMO_SIZE = 1024
_NUMBERS = frozenset({int, float, bool, type(None)})
# What a field's name asks of it: left alone, withheld whole, or its value scrubbed.
_SKIP, _WITHHOLD, _SCRUB = "skip", "withhold", "scrub"


def _suspect_pattern(literal: re.Pattern[str] | None) -> re.Pattern[str]:
    sources = [pattern.pattern for pattern, _ in _PATTERNS]
    if literal is not None:
        sources.insert(0, literal.pattern)
    # Flags stay scoped inside each rule (the bearer rule's), so the rules can be joined.
    return re.compile("|".join(f"(?:{source})" for source in sources))


class Redactor:
    """A structlog processor. One instance lives for the process: loggers cache their
    processor chain on first use, so new secrets are set on it rather than on a new one."""

    def __init__(self) -> None:
        self._literal: re.Pattern[str] | None = None
        # One scan that finds whether any rule could apply: nearly every string in a log
        # line (methods, paths, ids) holds no secret, and one search costs far less than a
        # substitution per rule.
        self._suspect = _suspect_pattern(None)
        self._key_kinds: dict[str, str] = {}

    def set_secrets(self, secrets: Iterable[str | None]) -> None:
        found = {s for s in secrets if s and len(s) >= MIN_SECRET_LENGTH}
        # Longest first, so a secret containing another is removed whole.
        ordered = sorted(found, key=len, reverse=True)
        self._literal = re.compile("|".join(map(re.escape, ordered))) if ordered else None
        self._suspect = _suspect_pattern(self._literal)

    def scrub(self, text: str) -> str:
        if self._suspect.search(text) is None:
            return text
        if self._literal is not None:
            text = self._literal.sub(REDACTED, text)
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return text

    def _value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, dict):
            return {k: self._value(v) for k, v in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            return [self._value(v) for v in value]
        if isinstance(value, _PLAIN):
            return value
        # Objects (a URL, an exception) are rendered with str() by the renderers anyway.
        text = str(value)
        scrubbed = self.scrub(text)
        return value if scrubbed == text else scrubbed

    def __call__(self, _: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
        # Every line of the access log comes through here: the common case (a plain string
        # under an ordinary key that no rule matches) costs a dict lookup and one search.
        kinds, search = self._key_kinds, self._suspect.search
        for key, value in event.items():
            kind = kinds.get(key) or self._classify(key)
            if kind is _SKIP:
                continue  # structlog's own bookkeeping; exceptions are scrubbed once rendered
            if kind is _WITHHOLD:
                # A field whose name says it holds a secret is never written.
                event[key] = REDACTED
            elif type(value) is str:
                if search(value) is not None:
                    event[key] = self.scrub(value)
            elif type(value) not in _NUMBERS:
                event[key] = self._value(value)
        return event

    def _classify(self, key: str) -> str:
        if key.startswith("_") or key == "exc_info":
            kind = _SKIP
        elif key != "event" and any(word in key.lower() for word in _KEY_WORDS):
            kind = _WITHHOLD
        else:
            kind = _SCRUB
        if len(self._key_kinds) < _KEY_MEMO_SIZE:  # keys come from code: a small set
            self._key_kinds[key] = kind
        return kind

    def rendered_exception(self, _: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
        """The processor to run after tracebacks are rendered: everything else was scrubbed
        before, so only the new `exception` text needs it (not every field, every line)."""
        text = event.get("exception")
        if isinstance(text, str):
            event["exception"] = self.scrub(text)
        return event
