"""A real `roomtime api` answers 413 to an oversized JSON body before it has read past the cap.

Raw sockets: the client sends the headers and cap + 1 bytes of body and then holds the
connection open without sending the rest. If the server wanted the whole body first, the
answer would never come (the socket read times out); it must arrive at once.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import TEST_JWT_SECRET
from tests.services import ServiceUrls
from tests.support.processes import free_port, roomtime_process, wait_for_http

# One xdist worker runs the whole module, so its module-scoped fixtures are set up once.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("body-limit-process")]

CAP = 4096
ANSWER_TIMEOUT = 15.0


@pytest.fixture(scope="module")
def api_port(services: ServiceUrls, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    data_dir = tmp_path_factory.mktemp("body-limit")
    port = free_port()
    env = {
        "DATABASE_URL": services.database_url,
        "REDIS_URL": services.redis_url,
        "JWT_SECRET": TEST_JWT_SECRET,
        "ENVIRONMENT": "test",
        "DATA_DIR": str(data_dir),
        "PORT": str(port),
        "MAX_JSON_BODY_BYTES": str(CAP),
    }
    with roomtime_process("api", env=env, log_path=data_dir / "api.log") as proc:
        wait_for_http(f"http://127.0.0.1:{port}/health/live", proc)
        yield port


def _read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before a response: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (ln.split(":", 1) for ln in lines)}
    length = int(headers["content-length"])
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, "connection closed in the middle of the response body"
        body += chunk
    return int(status_line.split()[1]), headers, body[:length]


def _send_and_hold(port: int, head: bytes, body_part: bytes) -> tuple[int, dict[str, str], bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=ANSWER_TIMEOUT) as sock:
        sock.sendall(head + body_part)
        # The rest of the body is never sent: the connection stays open, waiting.
        return _read_response(sock)


def _assert_too_large(status: int, headers: dict[str, str], body: bytes) -> None:
    assert status == 413, body
    assert headers["content-type"] == "application/problem+json"
    assert headers["x-content-type-options"] == "nosniff"
    problem = json.loads(body)
    assert problem["code"] == "payload_too_large" and problem["max_bytes"] == CAP
    assert problem["request_id"] == headers["x-request-id"]


def test_a_200_mb_declared_body_is_refused_after_cap_plus_one_bytes(api_port: int) -> None:
    head = (
        b"POST /auth/register HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n" % (200 * 1024 * 1024)
    )
    _assert_too_large(*_send_and_hold(api_port, head, b"[" + b" " * CAP))


def test_a_chunked_body_is_refused_once_it_passes_the_cap(api_port: int) -> None:
    head = (
        b"POST /auth/register HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    chunks = b"".join(b"%x\r\n%s\r\n" % (512, b" " * 512) for _ in range(CAP // 512 + 1))
    _assert_too_large(*_send_and_hold(api_port, head, chunks))


def test_the_server_keeps_serving_after_refusals(api_port: int) -> None:
    base = f"http://127.0.0.1:{api_port}"
    small = httpx.post(f"{base}/auth/login", json={"email": "a@example.com", "password": "x"})
    assert small.status_code in {401, 422}, small.text
    assert httpx.get(f"{base}/health/live").status_code == 200
