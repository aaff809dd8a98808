"""A local HTTP server standing in for the Telegram Bot API: it records every request."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class BotApi:
    base_url: str
    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    status: int = 200  # what sendMessage answers; set 500 to play an outage

    def wait_for(self, count: int, within: float = 10.0) -> list[tuple[str, dict[str, Any]]]:
        deadline = time.monotonic() + within
        while len(self.requests) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} request(s), got {len(self.requests)}")
            time.sleep(0.05)
        return self.requests


def _handler(api: BotApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            api.requests.append((self.path, body))
            ok = api.status < 300
            payload = {"ok": ok} if ok else {"ok": False, "description": "Bad Gateway"}
            data = json.dumps(payload).encode()
            self.send_response(api.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@contextmanager
def bot_api() -> Iterator[BotApi]:
    api = BotApi("")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(api))
    api.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
