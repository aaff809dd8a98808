"""A real `roomtime dev` process for the browser tests: its own database, Redis key prefix
and data directory (where development mail lands as .eml files), migrated and seeded by the
command itself, with the job worker running beside it."""

from __future__ import annotations

import asyncio
import email
import re
import time
import uuid
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from email import policy
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
from sqlalchemy.engine import make_url

from tests.conftest import TEST_JWT_SECRET
from tests.services import TEST_DB_NAME, ServiceUrls, fresh_database
from tests.support.processes import free_port, roomtime_process, wait_for_http

# Beside the suite's own database, named after it so two suites can share one server.
UI_DB_NAME = f"{TEST_DB_NAME}_ui"
ADMIN_EMAIL = "admin@roomtime.local"
ADMIN_PASSWORD = "roomtime-admin"  # the documented development default
T = TypeVar("T")


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to its end from a test: in a thread of its own, since Playwright's
    sync API keeps an event loop running in the test's thread."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@dataclass(frozen=True)
class UiServer:
    base_url: str
    data_dir: Path
    database_url: str

    def mail_to(self, address: str) -> list[email.message.EmailMessage]:
        found = []
        for path in sorted((self.data_dir / "mail").glob("*.eml"), key=lambda p: p.stat().st_mtime):
            message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
            if message["To"] == address:
                found.append(message)
        return found  # type: ignore[return-value]

    def link_in_mail(self, address: str, path: str, timeout: float = 20.0) -> str:
        """The newest mailed link to `path` (e.g. /verify) for this address, waiting for it."""
        pattern = re.compile(re.escape(self.base_url + path) + r"\?token=[A-Za-z0-9_\-]+")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in reversed(self.mail_to(address)):
                body = message.get_body(preferencelist=("plain",))
                match = pattern.search(body.get_content() if body else "")
                if match:
                    return match.group(0)
            time.sleep(0.2)
        raise AssertionError(f"no mail with a {path} link reached {address}")

    def sql(self, statement: str, *args: object) -> list[asyncpg.Record]:
        dsn = make_url(self.database_url).set(drivername="postgresql")

        async def run() -> list[asyncpg.Record]:
            conn = await asyncpg.connect(dsn.render_as_string(hide_password=False))
            try:
                return await conn.fetch(statement, *args)
            finally:
                await conn.close()

        return run_async(run())


@contextmanager
def ui_server(services: ServiceUrls, data_dir: Path) -> Iterator[UiServer]:
    database_url = run_async(fresh_database(services, UI_DB_NAME))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": services.redis_url,
        # Fresh keys each run: no hold lock or rate-limit counter of an earlier run applies.
        "REDIS_KEY_PREFIX": f"rt-ui-{uuid.uuid4().hex[:8]}",
        # Every test signs people up from this one address.
        "REGISTER_RATE_LIMIT": "500/hour",
        "DATA_DIR": str(data_dir),
        "PORT": str(port),
        "PUBLIC_BASE_URL": base,
        "JWT_SECRET": TEST_JWT_SECRET,
        "ENVIRONMENT": "development",
        "LOG_FORMAT": "json",
        "TEST_DATABASE_URL": "",
        "TEST_REDIS_URL": "",
    }
    with roomtime_process("dev", env=env, log_path=data_dir / "dev.log") as proc:
        wait_for_http(f"{base}/health/ready", proc, timeout=120)
        yield UiServer(base_url=base, data_dir=data_dir, database_url=database_url)
