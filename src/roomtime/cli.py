"""The `roomtime` command (SPEC §5)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Annotated, NoReturn, TextIO

import typer
import uvicorn
from pydantic import EmailStr

# Every domain's tables in the metadata: a job flushes rows whose foreign keys point at
# tables of domains this process never imports otherwise (`booking.event_id`).
from roomtime import models as _all_models  # noqa: F401
from roomtime.core.clock import Clock, utcnow
from roomtime.core.db import create_engine, create_sessionmaker
from roomtime.core.logging import configure_logging
from roomtime.settings import Settings, get_settings
from roomtime.startup import settings_or_exit, warn_development_defaults

app = typer.Typer(no_args_is_help=True, add_completion=False, help="RoomTime booking service")
job_app = typer.Typer(no_args_is_help=True, help="Run a periodic job now")
app.add_typer(job_app, name="job")


def dev_log_format(stdout: TextIO) -> str:
    """`roomtime dev`'s default LOG_FORMAT: the readable console format for a person at a
    terminal; JSON lines when its output goes to a file or a pipe, where a program reads it
    (and the console renderer's padding and colours cost half as much again per line)."""
    return "console" if stdout.isatty() else "json"


@app.callback()
def _configure(ctx: typer.Context) -> None:
    if ctx.invoked_subcommand == "dev":
        os.environ.setdefault("LOG_FORMAT", dev_log_format(sys.stdout))
    settings = settings_or_exit()  # a refused configuration stops here, explained
    configure_logging(
        settings.app.log_level, settings.app.log_format, secrets=settings.secret_values()
    )


def _uvicorn_proxy_options(settings: Settings) -> dict[str, object]:
    # uvicorn trusts X-Forwarded-For from 127.0.0.1 by default; we trust only configured
    # proxies, so a client cannot pick its own address (and rate-limit key) with a header.
    proxies = settings.app.trusted_proxy_list
    return {"proxy_headers": bool(proxies), "forwarded_allow_ips": ",".join(proxies) or "''"}


async def _seed(settings: Settings) -> None:
    from roomtime.domains.auth.errors import ExistingAccountError
    from roomtime.seed import seed

    engine = create_engine(settings)
    try:
        async with create_sessionmaker(engine)() as session:
            report = await seed(session, settings, utcnow)
    except ExistingAccountError as exc:
        # Someone registered the seed's admin address first: never hand them the role.
        typer.echo(f"refused: {exc.detail} (SEED_ADMIN_EMAIL)", err=True)
        raise typer.Exit(1) from exc
    finally:
        await engine.dispose()
    created = "created" if report.admin_created else "exists"
    typer.echo(
        f"admin {report.admin_email} ({created}); new resources: {len(report.resources_created)}"
    )
    if report.specialist_created:
        typer.echo("demonstration specialist: specialist@roomtime.local / roomtime-specialist")


def _require_database_url(settings: Settings) -> str:
    if not settings.database.database_url:
        typer.echo("DATABASE_URL is not set (`roomtime dev` starts an embedded one).", err=True)
        raise typer.Exit(2)
    return settings.database.database_url


@app.command()
def migrate() -> None:
    """Apply the database migrations (alembic upgrade head)."""
    from roomtime import migrate as migrations

    migrations.upgrade(_require_database_url(get_settings()))
    typer.echo("migrations applied")


@app.command()
def seed() -> None:
    """Create idempotent starter data: an admin, resources and their slots."""
    settings = get_settings()
    _require_database_url(settings)
    asyncio.run(_seed(settings))


async def _account_exists(settings: Settings, email: str) -> bool:
    from roomtime.domains.users import service as users_service

    engine = create_engine(settings)
    try:
        async with create_sessionmaker(engine)() as session:
            return await users_service.find_by_email(session, email) is not None
    finally:
        await engine.dispose()


async def _create_admin(
    settings: Settings, email: str, password: str | None, *, promote: bool
) -> str:
    from roomtime.domains.auth.service import EnsureAdminDeps, ensure_admin

    engine = create_engine(settings)
    try:
        async with create_sessionmaker(engine)() as session:
            _, outcome = await ensure_admin(
                EnsureAdminDeps(session, utcnow), email=email, password=password, promote=promote
            )
    finally:
        await engine.dispose()
    return outcome.value


def _read_password() -> str:
    if sys.stdin.isatty():
        return typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\r\n")


def _refuse(message: str, code: int) -> NoReturn:
    typer.echo(f"refused: {message}", err=True)
    raise typer.Exit(code)


@app.command("create-admin")
def create_admin(
    email: Annotated[str, typer.Argument(help="Email of the admin account")],
    promote: Annotated[
        bool,
        typer.Option(
            "--promote",
            help="Make an existing account admin: marks its email verified, signs out all its "
            "sessions, keeps its password. Only for an account you know belongs to the owner "
            "of the address.",
        ),
    ] = False,
) -> None:
    """Create an admin account (email counted as verified), or with --promote make an
    existing account an admin.

    For a new account the password is prompted for, or read from the first line of standard
    input. An existing account's password is never asked for nor changed; an existing
    non-admin account is refused (exit 1) unless --promote is given.
    """
    from pydantic import TypeAdapter, ValidationError

    from roomtime.domains.auth.errors import ExistingAccountError
    from roomtime.domains.auth.schemas import NewPassword

    settings = get_settings()
    _require_database_url(settings)
    try:
        TypeAdapter(EmailStr).validate_python(email)
    except ValidationError as exc:
        _refuse(exc.errors()[0]["msg"], 2)
    email = email.strip().lower()
    password = None
    if not asyncio.run(_account_exists(settings, email)):
        password = _read_password()
        try:
            TypeAdapter(NewPassword).validate_python(password)  # the API's password policy
        except ValidationError as exc:
            _refuse(exc.errors()[0]["msg"], 2)
    try:
        outcome = asyncio.run(_create_admin(settings, email, password, promote=promote))
    except ExistingAccountError as exc:
        _refuse(exc.detail, 1)
    typer.echo(f"admin {email} {outcome}")


WORKER_HEALTHCHECK_SECONDS = 60


@app.command()
def api(
    host: Annotated[str | None, typer.Option(help="Bind address (default HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default PORT)")] = None,
    workers: Annotated[int, typer.Option(min=1, help="uvicorn worker processes")] = 1,
) -> None:
    """Run the HTTP API only (for production and for many instances)."""
    settings = get_settings()
    warn_development_defaults(settings, "api")  # here, not per uvicorn worker: said once
    _share_metrics(settings, workers)
    uvicorn.run(
        "roomtime.main:app_from_env",
        host=host or settings.app.host,
        port=port or settings.app.port,
        **uvicorn_options(settings, workers),  # type: ignore[arg-type]
    )


def uvicorn_options(settings: Settings, workers: int) -> dict[str, object]:
    """How `roomtime api` runs uvicorn (bench/ serves its baselines with the same)."""
    return {
        "factory": True,
        "workers": workers,
        # A spawned worker answers the supervisor's health check only once it has imported
        # everything; uvicorn's 5 s kills and respawns it forever on a busy or throttled
        # machine (a container at its CPU limit).
        "timeout_worker_healthcheck": WORKER_HEALTHCHECK_SECONDS,
        "log_config": None,
        "access_log": False,
        "timeout_keep_alive": settings.app.keepalive_seconds,
        **_uvicorn_proxy_options(settings),
    }


def _share_metrics(settings: Settings, workers: int) -> None:
    """Several workers answer on one port, and a scrape reaches only one of them: in
    multiprocess mode each writes its values to a shared directory and any of them serves
    the sum. The directory is emptied first, so a previous run's values do not count."""
    from roomtime.core import metrics

    configured = metrics.multiprocess_dir()
    if workers == 1 and not configured:
        return
    path = Path(configured) if configured else settings.app.data_dir.resolve() / "metrics"
    metrics.prepare_multiprocess_dir(path)
    os.environ[metrics.MULTIPROC_ENV] = str(path)


def _require_redis_url(settings: Settings) -> str:
    if not settings.redis.redis_url:
        typer.echo("REDIS_URL is not set (`roomtime dev` starts an embedded one).", err=True)
        raise typer.Exit(2)
    return settings.redis.redis_url


@app.command()
def worker() -> None:
    """Run the job worker: the periodic jobs on their JOBS_*_CRON schedules (UTC).

    Run as many as you like; each scheduled run happens once.
    """
    from roomtime import worker as job_worker

    settings = get_settings()
    _require_database_url(settings)
    _require_redis_url(settings)
    warn_development_defaults(settings, "worker")
    job_worker.run(settings)


async def _run_job(settings: Settings, name: str, clock: Clock = utcnow) -> dict[str, object]:
    from roomtime.domains.jobs.context import job_context
    from roomtime.domains.jobs.registry import run_job

    # The worker's context, built the same way (open_infrastructure), for one run.
    async with job_context(settings, clock) as ctx:
        return await run_job(name, ctx)


@job_app.command("run")
def job_run(name: Annotated[str, typer.Argument(help="The job, e.g. release-holds")]) -> None:
    """Run one periodic job now and print what it did (a JSON object)."""
    from roomtime.domains.jobs.registry import JOBS

    if name not in JOBS:
        typer.echo(f"unknown job {name!r}; jobs: {', '.join(JOBS)}", err=True)
        raise typer.Exit(2)
    settings = get_settings()
    _require_database_url(settings)
    _require_redis_url(settings)
    summary = asyncio.run(_run_job(settings, name))
    typer.echo(json.dumps({"job": name, **summary}, default=str))


@app.command()
def dev() -> None:
    """Everything in one process tree: embedded PostgreSQL/Redis unless URLs are set,
    migrations, seed data, the API and the job worker. Ctrl-C stops all of it."""
    from roomtime import migrate as migrations
    from roomtime.embedded import EmbeddedUnavailableError, embedded_services
    from roomtime.main import create_app
    from roomtime.worker import worker_subprocess

    settings = get_settings()
    try:
        services = embedded_services(
            settings.app.data_dir.resolve(),
            database_url=settings.database.database_url,
            redis_url=settings.redis.redis_url,
        )
        with services as (database_url, redis_url):
            os.environ["DATABASE_URL"], os.environ["REDIS_URL"] = database_url, redis_url
            get_settings.cache_clear()
            settings = get_settings()
            migrations.upgrade(database_url)
            asyncio.run(_seed(settings))
            base = f"http://{settings.app.host}:{settings.app.port}"
            typer.echo(f"RoomTime at {base}  (Swagger: {base}/docs)")
            typer.echo(f"DATABASE_URL={database_url}\nREDIS_URL={redis_url}")
            # Stopped after the API returns and before the embedded servers it needs.
            with worker_subprocess():
                uvicorn.run(
                    create_app(settings, freeze_gc=True),
                    host=settings.app.host,
                    port=settings.app.port,
                    log_config=None,
                    access_log=False,
                    **_uvicorn_proxy_options(settings),  # type: ignore[arg-type]
                )
    except EmbeddedUnavailableError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc


def main() -> None:
    app(prog_name="roomtime")
