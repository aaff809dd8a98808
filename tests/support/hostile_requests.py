"""Requests built from an OpenAPI operation with hostile values (tests/support/hostile_values).

A request attacks one input at a time (a body field, a query or path parameter, or an
ordered pair such as starts_at/ends_at) with a hostile but mostly well-typed value while the
other inputs keep a plausible one, so the hostile value gets past the validation of its
neighbours and reaches the code behind it. Another kind attacks the headers and the shape of
the body.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from hypothesis import strategies as st

from tests.support.hostile_values import (
    HOSTILE_BY_KIND,
    content_types,
    header_bytes,
    junk,
    ordered_ranges,
)

Schema = dict[str, Any]
RANGE_PAIRS = [
    ("starts_at", "ends_at"),
    ("date_from", "date_to"),
    ("available_from", "available_to"),
]


def resolve(schema: Schema, components: Schema) -> Schema:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _options(schema: Schema, components: Schema) -> list[Schema]:
    schema = resolve(schema, components)
    found = [resolve(s, components) for s in schema.get("anyOf", [schema])]
    return [s for s in found if s.get("type") != "null"] or [schema]


def kind_of(schema: Schema, components: Schema) -> str:
    options = _options(schema, components)
    if any(s.get("format") in {"date", "date-time"} for s in options):
        return "temporal"
    first = options[0]
    if first.get("type") == "integer":
        return "integer"
    if first.get("type") == "string" and "enum" not in first:
        return "text"
    return first.get("type") or "other"


def baseline(schema: Schema, components: Schema, depth: int = 0) -> Any:
    """A plausible valid value, so that a hostile one beside it reaches deep code."""
    schema = resolve(schema, components)
    if "examples" in schema or "default" in schema:
        return schema.get("examples", [schema.get("default")])[0]
    schema = _options(schema, components)[0]
    fmt, kind = schema.get("format"), schema.get("type")
    simple = {"date-time": "2030-01-08T10:00:00Z", "date": "2030-01-08", "email": "a@example.com"}
    if fmt in simple:
        return simple[fmt]
    if "enum" in schema:
        return schema["enum"][0]
    if kind in {"integer", "number"}:
        return max(int(schema.get("minimum", 1)), 1)
    if kind == "boolean":
        return True
    if kind == "array":
        return [baseline(schema.get("items", {}), components, depth + 1)] if depth < 3 else []
    if kind == "object":
        props = schema.get("properties", {})
        return {k: baseline(v, components, depth + 1) for k, v in props.items()}
    return "x" * max(int(schema.get("minLength", 1)), 1)


def hostile(schema: Schema, components: Schema) -> st.SearchStrategy[Any]:
    """Mostly well-typed extremes of the input's kind (so they pass type checks and reach
    the code behind them), sometimes a value of another type."""
    of_kind = HOSTILE_BY_KIND.get(kind_of(schema, components))
    return junk if of_kind is None else st.one_of(of_kind, of_kind, junk)


@dataclass(frozen=True)
class Slot:
    """One input of an operation (a body field, a query or path parameter), or an ordered
    pair of them (starts_at and ends_at) attacked together."""

    where: str
    names: tuple[str, ...]
    schema: Schema = field(hash=False, compare=False)

    @property
    def label(self) -> str:
        return f"{self.where}.{'+'.join(self.names)}"


def _with_ranges(where: str, fields: dict[str, Schema]) -> list[Slot]:
    slots = [Slot(where, (name,), schema) for name, schema in fields.items()]
    pairs = [pair for pair in RANGE_PAIRS if set(pair) <= set(fields)]
    return slots + [Slot(where, pair, fields[pair[0]]) for pair in pairs]


def slots_of(path: str, operation: Schema, components: Schema) -> list[Slot]:
    found = [
        Slot("path", (name,), {"type": "integer"}) for name in re.findall(r"\{([^}]+)\}", path)
    ]
    query = {
        p["name"]: p.get("schema", {})
        for p in operation.get("parameters", [])
        if p.get("in") == "query"
    }
    found += _with_ranges("query", query)
    body = _json_body_schema(operation)
    if body is not None:
        found += _with_ranges("body", _options(body, components)[0].get("properties", {}))
    return found


def _slot_values(slot: Slot, components: Schema) -> st.SearchStrategy[dict[str, Any]]:
    if len(slot.names) == 1:
        return hostile(slot.schema, components).map(lambda v: {slot.names[0]: v})
    days = not any(s.get("format") == "date-time" for s in _options(slot.schema, components))
    return ordered_ranges(days).map(lambda pair: dict(zip(slot.names, pair, strict=True)))


def _json_body_schema(operation: Schema) -> Schema | None:
    content = operation.get("requestBody", {}).get("content", {})
    return content.get("application/json", {}).get("schema")


@dataclass
class HostileRequest:
    method: str
    url: str
    headers: dict[str, bytes] = field(default_factory=dict)
    content: bytes | None = None


def _text(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return quote(text, safe="", errors="surrogatepass")


def _url(path: str, path_values: dict[str, Any], query: dict[str, Any]) -> str:
    url = re.sub(r"\{([^}]+)\}", lambda m: _text(path_values.get(m.group(1), 1)), path)
    pairs = [f"{quote(k)}={_text(v)}" for k, v in query.items()]
    return url + ("?" + "&".join(pairs) if pairs else "")


def _json(value: object) -> bytes:
    # json.dumps, not httpx: NaN and lone surrogates must be sendable.
    return json.dumps(value, allow_nan=True).encode()


def _base_headers(authorization: bytes | None, body: bytes | None) -> dict[str, bytes]:
    headers = {"authorization": authorization} if authorization else {}
    if body is not None:
        headers["content-type"] = b"application/json"
    return headers


def slot_requests(
    method: str,
    path: str,
    operation: Schema,
    components: Schema,
    slot: Slot,
    authorization: bytes | None,
) -> st.SearchStrategy[HostileRequest]:
    """A plausible request to the operation with one input made hostile."""
    body_schema = _json_body_schema(operation)
    base = baseline(body_schema, components) if body_schema is not None else None

    def build(values: dict[str, Any]) -> HostileRequest:
        path_values = values if slot.where == "path" else {}
        query = values if slot.where == "query" else {}
        body = {**base, **values} if slot.where == "body" and isinstance(base, dict) else base
        content = None if body is None else _json(body)
        url = _url(path, path_values, query)
        return HostileRequest(method, url, _base_headers(authorization, content), content)

    return _slot_values(slot, components).map(build)


_raw_bodies = st.one_of(
    st.binary(max_size=300), st.just(b"[" * 5000), st.just(b'{"a":' * 3000), st.just(b"")
)


@st.composite
def chaos_requests(
    draw: st.DrawFn,
    method: str,
    path: str,
    operation: Schema,
    components: Schema,
    authorization: bytes | None,
) -> HostileRequest:
    """Hostile headers (X-Request-ID, Idempotency-Key, Authorization, Accept-Language,
    Content-Type) and a body of any shape, on an otherwise plausible request."""
    body_schema = _json_body_schema(operation)
    shapes = [_raw_bodies, junk.map(_json), st.none()]
    if body_schema is not None:
        shapes.insert(0, st.just(_json(baseline(body_schema, components))))
    content = draw(st.one_of(shapes))
    headers = _base_headers(authorization, content)
    for name in ("x-request-id", "idempotency-key", "accept-language", "authorization"):
        if draw(st.booleans()):
            value = draw(header_bytes)
            headers[name] = draw(st.sampled_from([value, b"Bearer " + value]))
    if content is not None and draw(st.booleans()):
        headers["content-type"] = draw(st.one_of(content_types, header_bytes))
    return HostileRequest(method, _url(path, {}, {}), headers, content)
