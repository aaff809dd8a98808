"""Each RoomTime service of compose.yaml (migrate, api, worker), run natively: its command,
with the image's and the service's environment, where only what Docker would provide is
replaced (the addresses of PostgreSQL, Redis, MinIO and Mailpit, free ports, directories).

Then the metrics: the API's `--workers 2` answer one scrape with the sum of both
processes, the worker serves its own, and every series a dashboard panel or an alert reads
is in the real output of the two.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.factories import files
from tests.services import TEST_DB_NAME, ServiceUrls, fresh_database
from tests.support.processes import free_port, stop, wait_for_http
from tests.support.s3 import ACCESS_KEY, S3Server
from tests.support.smtp import Inbox, smtp_server
from tests.support.stack import (
    alert_queries,
    compose,
    dashboard_queries,
    exposed_names,
    image_env,
    metric_names,
)

# One xdist worker runs the whole module, so its module-scoped fixtures are set up once.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("compose-services")]

SECRETS = {
    "JWT_SECRET": "compose-jwt-secret-" + "s" * 24,
    "SEED_ADMIN_PASSWORD": "compose-admin-password",
    "S3_SECRET_ACCESS_KEY": "minio-secret-key",
    "METRICS_TOKEN": "compose-scrape-token",
    "GRAFANA_ADMIN_PASSWORD": "grafana-password",
}
ROOMTIME_SERVICES = ("migrate", "api", "worker")
# What Docker would give the containers and a native run must give them instead.
PROVIDED_BY_DOCKER = {
    "DATABASE_URL",
    "REDIS_URL",
    "SMTP_HOST",
    "SMTP_PORT",
    "S3_ENDPOINT_URL",
    "S3_ACCESS_KEY_ID",
    "HOST",
    "PORT",
    "DATA_DIR",
    "UPLOAD_DIR",
    "PROMETHEUS_MULTIPROC_DIR",
    "WORKER_METRICS_HOST",
    "WORKER_METRICS_PORT",
}


@pytest.fixture(scope="module")
def inbox() -> Iterator[Inbox]:
    with smtp_server() as found:
        yield found


@pytest.fixture(scope="module")
def database(services: ServiceUrls) -> str:
    # Empty: the compose `migrate` service is what creates the schema.
    return asyncio.run(fresh_database(services, f"{TEST_DB_NAME}_compose"))


def _native_env(
    service: dict[str, object],
    *,
    database: str,
    services: ServiceUrls,
    s3: S3Server,
    inbox: Inbox,
    tmp_path: Path,
    ports: dict[str, int],
) -> dict[str, str]:
    declared = {str(k): str(v) for k, v in dict(service["environment"]).items()}  # type: ignore[call-overload]
    env = {**image_env(), **declared}
    native = {
        "DATABASE_URL": database,
        "REDIS_URL": services.redis_url,
        "SMTP_HOST": inbox.host,
        "SMTP_PORT": str(inbox.port),
        "S3_ENDPOINT_URL": s3.endpoint_url,
        # moto signs for any key; its bucket is what `minio-bucket` would have created.
        "S3_ACCESS_KEY_ID": ACCESS_KEY,
        "HOST": "127.0.0.1",
        "PORT": str(ports["api"]),
        "DATA_DIR": str(tmp_path / "data"),
        "UPLOAD_DIR": str(tmp_path / "data" / "uploads"),
        "WORKER_METRICS_HOST": "127.0.0.1",
        "WORKER_METRICS_PORT": str(ports["worker"]),
    }
    if "PROMETHEUS_MULTIPROC_DIR" in env:
        native["PROMETHEUS_MULTIPROC_DIR"] = str(tmp_path / "metrics")
    assert set(native) <= PROVIDED_BY_DOCKER
    env.update(native)
    # The services' own key prefix, so the suite's Redis keys stay apart.
    env.setdefault("REDIS_KEY_PREFIX", "rt-compose")
    bin_dir = str(Path(sys.executable).parent)
    return {
        **{k: v for k, v in os.environ.items() if k not in {"ENVIRONMENT"}},
        **env,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
    }


@contextmanager
def _running(
    command: list[str], env: dict[str, str], log_path: Path
) -> Iterator[subprocess.Popen[bytes]]:
    with log_path.open("wb") as log:
        proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            yield proc
        finally:
            stop(proc, timeout=40)


def _scrape(url: str, token: str | None = None) -> str:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = httpx.get(url, headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    return response.text


def _sample(exposition: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in exposition.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def _wait_for_job_run(url: str, job: str, timeout: float = 45.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = _scrape(url)
        if _sample(text, "roomtime_job_runs_total", job=job, outcome="success") >= 1:
            return text
        time.sleep(1)
    raise AssertionError(f"{job} did not run within {timeout}s")


def test_the_compose_services_run_natively_and_expose_every_queried_metric(
    services: ServiceUrls, database: str, s3: S3Server, inbox: Inbox, tmp_path: Path
) -> None:
    stack = compose(SECRETS)["services"]
    ports = {"api": free_port(), "worker": free_port()}
    envs = {
        name: _native_env(
            stack[name],
            database=database,
            services=services,
            s3=s3,
            inbox=inbox,
            tmp_path=tmp_path,
            ports=ports,
        )
        for name in ROOMTIME_SERVICES
    }
    assert {envs[name]["ENVIRONMENT"] for name in ROOMTIME_SERVICES} == {"production"}
    bucket = envs["api"]["S3_BUCKET"]
    s3.client().create_bucket(Bucket=bucket)

    migrate = subprocess.run(
        stack["migrate"]["command"],
        env=envs["migrate"],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr

    api_url = f"http://127.0.0.1:{ports['api']}"
    worker_metrics = f"http://127.0.0.1:{ports['worker']}/metrics"
    with (
        _running(stack["api"]["command"], envs["api"], tmp_path / "api.log") as api,
        _running(stack["worker"]["command"], envs["worker"], tmp_path / "worker.log"),
    ):
        wait_for_http(f"{api_url}/health/ready", api, timeout=90)
        token = SECRETS["METRICS_TOKEN"]
        assert httpx.get(f"{api_url}/metrics").status_code == 403  # the token is required

        # Many requests over new connections, so both uvicorn workers serve some.
        before = _sample(
            _scrape(f"{api_url}/metrics", token),
            "roomtime_http_requests_total",
            route="/health/live",
        )
        for _ in range(40):
            assert httpx.get(f"{api_url}/health/live").status_code == 200
        api_text = _scrape(f"{api_url}/metrics", token)
        counted = _sample(api_text, "roomtime_http_requests_total", route="/health/live")
        assert counted - before == 40, "one scrape must count every worker's requests"

        # The seeded admin stores a file in the bucket (STORAGE=s3 from compose.yaml).
        login = httpx.post(
            f"{api_url}/auth/login",
            json={"email": "admin@roomtime.local", "password": SECRETS["SEED_ADMIN_PASSWORD"]},
        )
        assert login.status_code == 200, login.text
        auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
        room = httpx.post(
            f"{api_url}/resources",
            json={"name": "Compose room", "location": "Lab", "capacity": 2},
            headers=auth,
        )
        assert room.status_code == 201, room.text
        body, headers = files.multipart(files.png(), filename="plan.png", content_type="image/png")
        upload = httpx.post(
            f"{api_url}/resources/{room.json()['id']}/file",
            content=body,
            headers=headers | auth,
        )
        assert upload.status_code == 201, upload.text
        assert len(s3.keys(bucket)) == 1
        served = httpx.get(f"{api_url}{upload.json()['url']}")
        assert served.status_code == 200 and served.content == files.png()

        # The worker's own endpoint, once a scheduled job (send-notifications, every 20 s
        # by default) has run.
        worker_text = _wait_for_job_run(worker_metrics, "send-notifications")
        api_text = _scrape(f"{api_url}/metrics", token)

    # Each uvicorn worker wrote its values to the shared directory; the scrape summed them.
    writers = {p.stem.rsplit("_", 1)[-1] for p in (tmp_path / "metrics").glob("*.db")}
    assert len(writers) >= 2
    exposed = exposed_names(api_text) | exposed_names(worker_text)
    queried = metric_names(dashboard_queries() + alert_queries())
    assert queried, "no RoomTime series found in the dashboard and alerts"
    assert queried - exposed == set()
    assert _sample(worker_text, "roomtime_dependency_up", dependency="redis") == 1
    assert _sample(api_text, "roomtime_dependency_up", dependency="database") == 1
    assert _sample(worker_text, "roomtime_job_schedule_interval_seconds", job="reconcile") == 300
