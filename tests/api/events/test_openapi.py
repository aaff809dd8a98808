"""Every event endpoint is in Swagger with its examples and each error status it answers."""

from __future__ import annotations

from typing import Any

import pytest

from roomtime.main import create_app
from roomtime.settings import Settings

pytestmark = pytest.mark.unit

EXPECTED = {
    ("post", "/events"): {"201", "401", "403", "422"},
    ("get", "/events"): {"200", "422"},
    ("get", "/events/{event_id}"): {"200", "404"},
    ("patch", "/events/{event_id}"): {"200", "401", "403", "404", "409", "422"},
    ("post", "/events/{event_id}/book"): {"201", "401", "403", "404", "409", "422", "429"},
    ("post", "/events/{event_id}/cancel"): {"200", "401", "403", "404", "409", "422"},
    ("get", "/events/{event_id}/participants"): {"200", "401", "403", "404", "422"},
    ("post", "/events/{event_id}/image"): {"201", "401", "403", "404", "413", "415", "422"},
    ("post", "/bookings/{booking_id}/confirm"): {"201", "401", "404", "409", "422", "429"},
}


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if ref is None:
        return node
    return schema["components"]["schemas"][ref.rsplit("/", 1)[1]]


def _has_example(schema: dict[str, Any], content: dict[str, Any]) -> bool:
    body = content.get("application/json", {})
    if body.get("example") is not None or body.get("examples"):
        return True
    target = _resolve(schema, body.get("schema", {}))
    if "items" in target.get("properties", {}):  # a page: the example of its items
        target = _resolve(schema, target["properties"]["items"]["items"])
    return bool(target.get("examples"))


@pytest.mark.parametrize(("method", "path"), sorted(EXPECTED))
def test_documented_with_errors_and_examples(settings: Settings, method: str, path: str) -> None:
    schema = create_app(settings).openapi()
    operation = schema["paths"][path][method]
    assert EXPECTED[(method, path)] <= set(operation["responses"]), operation["responses"].keys()
    assert operation.get("description")
    success = next(c for c in ("200", "201") if c in operation["responses"])
    if not path.endswith("/image"):
        assert _has_example(schema, operation["responses"][success]["content"]), path
    request = operation.get("requestBody", {}).get("content", {})
    if "application/json" in request:
        assert _has_example(schema, request), f"{path}: no request example"
