"""Answers built from a model that is valid by construction (read from our own database).

FastAPI validates what a route returns against its `response_model` once more before it
serialises it; for the hot reads (a resource, a page of them) that second validation of rows
the model has just been built from cost as much as the query. Such a route returns
`model_response(...)` and keeps `response_model=` for the OpenAPI document; the JSON is the
model's own serialisation, the same bytes FastAPI would have written.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import Response
from pydantic import BaseModel
from starlette.types import Scope, Send


def model_response(
    model: BaseModel, *, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return json_response(model.model_dump_json(), status_code, headers=headers)


def json_response(
    body: str | bytes, status_code: int = 200, *, headers: Mapping[str, str] | None = None
) -> Response:
    """JSON a route rendered itself from its response model (`model_dump_json`: the bytes
    FastAPI would write for that model), sent as is."""
    return Response(body, status_code, headers=headers, media_type="application/json")


def has_authorization(scope: Scope) -> bool:
    """Whether the request carries an `Authorization` header (valid or not)."""
    return any(name == b"authorization" for name, _ in scope["headers"])


async def send_json(send: Send, body: bytes, headers: tuple[tuple[bytes, bytes], ...] = ()) -> None:
    """Send a 200 with JSON `body` from ASGI code that answers before routing: the headers
    the routes' `Response(body, media_type="application/json", headers=...)` writes."""
    start = [
        *headers,
        (b"content-length", str(len(body)).encode()),
        (b"content-type", b"application/json"),
    ]
    await send({"type": "http.response.start", "status": 200, "headers": start})
    await send({"type": "http.response.body", "body": body})
