"""Text for request input: what can be encoded as UTF-8 and stored by PostgreSQL.

JSON can carry two things a `str` holds but PostgreSQL (and every UTF-8 encoder) cannot: the
NUL character (`\\u0000`) and unpaired surrogates (`\\ud800`). Either failed deep in the
driver or a hash function, as a 500, wherever it went (a name, a search filter, a cancel
reason, a password). Every free-text input uses these, so it is a 422 naming the field.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError


def _storable(value: str) -> str:
    if "\x00" in value:
        raise PydanticCustomError("nul_character", "text must not contain the NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise PydanticCustomError(
            "invalid_unicode", "text must be valid Unicode (it has an unpaired surrogate)"
        ) from None
    return value


StorableText = AfterValidator(_storable)
"""Add to an `Annotated[str, ...]` that has constraints of its own."""

Text = Annotated[str, StorableText]
"""Free text from a request: any Unicode characters but NUL."""
