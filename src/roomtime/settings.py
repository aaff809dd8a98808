"""Configuration from the environment (SPEC §5).

Variable names are exactly those of the operations contract, without a prefix. They are
grouped in sections in code; each section reads the same environment (and `.env`).
"""

from __future__ import annotations

from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from roomtime.core.cron import parse_schedule
from roomtime.dev_secret import secret_kept_in
from roomtime.production import production_problems

_ENV = SettingsConfigDict(
    env_file=".env", extra="ignore", case_sensitive=False, env_ignore_empty=True
)
_VERIFIABLE_UPLOAD_TYPES = frozenset({"image/png", "image/jpeg", "image/webp", "application/pdf"})


class _Section(BaseSettings):
    model_config = _ENV


class AppSettings(_Section):
    environment: Literal["development", "test", "production"] = "development"
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    public_base_url: str = "http://127.0.0.1:8000"
    data_dir: Path = Path("./.data")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "console"] = "json"
    # Peers whose X-Forwarded-For is believed; anyone else could spoof their address.
    trusted_proxies: str = ""
    metrics_enabled: bool = True
    # /metrics restriction: client addresses or networks allowed (empty: anyone), and/or a
    # bearer token Prometheus must send. Either one that matches lets the scrape in.
    metrics_allow: str = ""
    metrics_token: str | None = None
    # FastAPI's own OpenTelemetry instrumentation (spans and metrics for an OTel SDK the
    # deployment installs). Off by default: RoomTime's metrics are Prometheus's, and with it
    # on, FastAPI looks up the global OTel providers on every request even when none is set.
    otel_enabled: bool = False
    # Bodies of JSON requests larger than this answer 413 before more is read.
    max_json_body_bytes: int = Field(1024 * 1024, ge=1024)
    # How long an idle keep-alive connection stays open. Longer than the idle timeout of the
    # clients and load balancers in front (often 60 s; httpx 5 s): whoever closes an idle
    # connection first must be the client, or a request it sends at that moment is lost
    # ("server disconnected without sending a response").
    keepalive_seconds: int = Field(75, ge=1, le=3600)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @property
    def link_base_url(self) -> str:
        """Where links in mail point: PUBLIC_BASE_URL, or where this process serves when it
        is unset (development; production refuses to start without it)."""
        if "public_base_url" in self.model_fields_set:
            return self.public_base_url.rstrip("/")
        host = "127.0.0.1" if self.host in {"0.0.0.0", "::", ""} else self.host  # noqa: S104
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}"

    @property
    def trusted_proxy_list(self) -> list[str]:
        return [p.strip() for p in self.trusted_proxies.split(",") if p.strip()]

    @field_validator("metrics_allow")
    @classmethod
    def _valid_networks(cls, value: str) -> str:
        _networks(value)  # raises ValueError naming the bad entry, so a typo stops startup
        return value

    @property
    def metrics_allow_networks(self) -> list[IPv4Network | IPv6Network]:
        return _networks(self.metrics_allow)


def _networks(text: str) -> list[IPv4Network | IPv6Network]:
    """Comma-separated addresses or CIDR networks; a bare address is a network of one."""
    return [ip_network(entry.strip(), strict=False) for entry in text.split(",") if entry.strip()]


class DatabaseSettings(_Section):
    database_url: str | None = None
    # Connections kept open per process. Under load a request holds one while it runs, and
    # every request beyond the pool opens and then closes one of the overflow (TLS attempt,
    # authentication, statements prepared anew): 10 made that the common case at 16
    # concurrent requests. Processes x (size + overflow) must stay under the server's
    # max_connections (100 by default).
    db_pool_size: int = Field(20, ge=1)
    db_max_overflow: int = Field(10, ge=0)
    db_statement_timeout_ms: int = Field(15_000, ge=0)
    # A streaming replica for reads that tolerate staleness (core.replica); unset: every
    # read goes to DATABASE_URL. Never used by a write or anything it checks.
    database_read_url: str | None = None
    # How long a read that must see a recent commit waits for the replica to replay it
    # before it asks the primary instead.
    database_read_wait_ms: int = Field(200, ge=0, le=5000)


class RedisSettings(_Section):
    redis_url: str | None = None
    redis_socket_timeout_seconds: float = Field(1.0, gt=0)
    # Every key is prefixed so several deployments (or the test suite) can share a server.
    redis_key_prefix: str = "rt"


class AuthSettings(_Section):
    jwt_secret: str | None = None
    jwt_issuer: str = "roomtime"
    jwt_audience: str = "roomtime-api"
    access_token_ttl_seconds: int = Field(900, ge=60, le=3600)
    refresh_token_ttl_seconds: int = Field(30 * 86400, ge=300)
    refresh_idle_ttl_seconds: int = Field(7 * 86400, ge=300)
    password_reset_ttl_seconds: int = Field(1800, ge=60, le=86400)
    admin_emails: str = ""
    seed_admin_email: str = "admin@roomtime.local"
    seed_admin_password: str | None = None
    email_verification_ttl_seconds: int = Field(86400, ge=300, le=30 * 86400)
    # None: on in production, off elsewhere (SPEC R-33).
    require_verified_email: bool | None = None
    # Per-client-IP limits of the unauthenticated endpoints, `limits` notation.
    register_rate_limit: str = "10/hour"
    reset_rate_limit: str = "10/hour"
    login_ip_rate_limit: str = "30/minute"
    verify_resend_rate_limit: str = "3/hour"
    # Password hashes computed at once per process; the rest wait their turn, so a flood
    # of hashing requests cannot take every thread from the requests behind it.
    password_hash_concurrency: int = Field(2, ge=1, le=64)

    @property
    def admin_email_set(self) -> frozenset[str]:
        return frozenset(e.strip().lower() for e in self.admin_emails.split(",") if e.strip())


class BookingSettings(_Section):
    hold_ttl_seconds: int = Field(300, ge=1, le=86400)
    slot_horizon_days: int = Field(30, ge=1, le=366)
    availability_cache_ttl_seconds: int = Field(60, ge=30, le=120)
    confirm_rate_limit: str = "10/minute"
    hold_rate_limit: str = "30/minute"  # POST /bookings/hold per user
    max_live_holds_per_user: int = Field(5, ge=1, le=1000)
    # Future pending or confirmed bookings one user may have on one resource; 0 = no cap.
    max_future_bookings_per_resource: int = Field(0, ge=0, le=10_000)
    # Test-only switches for the concurrency suite's negative control: they turn off the
    # Redis lock and the conditional slot updates and widen the race window. Refused
    # outside ENVIRONMENT=test.
    unsafe_disable_booking_guards: bool = False
    booking_race_delay_ms: int = Field(0, ge=0, le=5000)


class FileSettings(_Section):
    upload_dir: Path | None = None
    max_upload_bytes: int = Field(5 * 1024 * 1024, ge=1)
    # cleanup-uploads leaves younger files and rows alone, so an upload in flight survives it.
    upload_grace_seconds: int = Field(3600, ge=300)
    # Comma-separated; only types the upload check can verify are accepted here.
    upload_allowed_types: str = "image/png,image/jpeg,image/webp,application/pdf"
    # Where files live: `local` (UPLOAD_DIR) or `s3` (an S3-compatible bucket; uploads are
    # still spooled to UPLOAD_DIR/.incoming while they are checked).
    storage: Literal["local", "s3"] = "local"
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None  # unset: AWS itself; MinIO: http://minio:9000
    s3_region: str = "us-east-1"
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = None
    s3_path_style: bool = True  # MinIO and most S3-compatible servers need path-style URLs
    # `stream`: the API relays the bytes with its own headers; `redirect`: 307 to a
    # presigned URL valid S3_PRESIGN_SECONDS.
    s3_serve: Literal["stream", "redirect"] = "stream"
    s3_presign_seconds: int = Field(300, ge=1, le=7 * 86400)
    # Where clients reach the store, when the API reaches it at another address (compose:
    # http://minio:9000 inside, http://localhost:9000 outside). Presigned URLs use it.
    s3_public_endpoint_url: str | None = None

    @model_validator(mode="after")
    def _bucket_named(self) -> FileSettings:
        if self.storage == "s3" and not self.s3_bucket:
            raise ValueError("STORAGE=s3 needs S3_BUCKET")
        return self

    @field_validator("upload_allowed_types")
    @classmethod
    def _known_types(cls, value: str) -> str:
        unknown = {t.strip() for t in value.split(",") if t.strip()} - _VERIFIABLE_UPLOAD_TYPES
        if unknown:
            raise ValueError(f"UPLOAD_ALLOWED_TYPES has unsupported types: {sorted(unknown)}")
        return value

    @property
    def allowed_type_set(self) -> frozenset[str]:
        return frozenset(t.strip() for t in self.upload_allowed_types.split(",") if t.strip())


class MailSettings(_Section):
    smtp_host: str | None = None
    smtp_port: int = Field(25, ge=1, le=65535)
    smtp_from: str = "RoomTime <no-reply@roomtime.local>"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    telegram_bot_token: str | None = None
    telegram_api_base_url: str = "https://api.telegram.org"
    reminder_minutes: int = Field(60, ge=1)
    # The first retry of a failed delivery waits this long; each further one twice as long.
    notification_retry_base_seconds: float = Field(30.0, gt=0, le=3600)
    # A deliverer takes a message for this long; if it dies before marking the message sent
    # or failed, the message is due again after it. Shorter than a delivery can take (the
    # SMTP timeout is 10 s), a slow send may be repeated, under the same Message-ID.
    notification_lease_seconds: float = Field(120.0, ge=1, le=3600)
    # true: a process sends its messages right after the commit, the worker retries.
    # false: it only writes the outbox; the worker's send-notifications job sends them.
    notifications_immediate: bool = True
    # Mails (and Telegram messages) one account is sent per hour; the rest are dropped and
    # logged, so the service cannot be used to flood someone's mailbox.
    max_mails_per_user_per_hour: int = Field(20, ge=1, le=10_000)


class JobSettings(_Section):
    """When the worker runs each periodic job: a cron expression in UTC, or `off`.

    Five fields (minute hour day month weekday) or six with seconds first; `*`, `*/n`,
    `a-b`, `a-b/n` and lists. Validated here so a typo stops the worker at startup.
    """

    jobs_release_holds_cron: str = "* * * * *"
    jobs_reconcile_cron: str = "*/5 * * * *"
    jobs_archive_bookings_cron: str = "10 0 * * *"
    jobs_extend_slots_cron: str = "20 0 * * *"
    jobs_cleanup_uploads_cron: str = "30 0 * * *"
    jobs_remind_upcoming_cron: str = "*/2 * * * *"
    jobs_send_notifications_cron: str = "*/20 * * * * *"
    jobs_timeout_seconds: int = Field(300, ge=1, le=86400)
    # The worker's own Prometheus endpoint (GET /metrics on this port; 0 turns it off). It
    # has no access control: keep it on a private interface (compose: the internal network).
    worker_metrics_port: int = Field(9101, ge=0, le=65535)
    worker_metrics_host: str = "127.0.0.1"
    # How often the worker samples the outbox backlog and PostgreSQL/Redis for its gauges.
    worker_metrics_interval_seconds: float = Field(15.0, gt=0, le=3600)
    # archive-bookings recomputes the utilisation of this many past local days.
    utilization_lookback_days: int = Field(7, ge=1, le=366)

    @field_validator(
        "jobs_release_holds_cron",
        "jobs_reconcile_cron",
        "jobs_archive_bookings_cron",
        "jobs_extend_slots_cron",
        "jobs_cleanup_uploads_cron",
        "jobs_remind_upcoming_cron",
        "jobs_send_notifications_cron",
    )
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        parse_schedule(value)  # raises ValueError naming the bad field
        return value.strip()

    def schedule(self, job: str) -> str:
        """The cron expression of a job by its CLI name (`release-holds`)."""
        return str(getattr(self, f"jobs_{job.replace('-', '_')}_cron"))


class Settings(BaseModel):
    app: AppSettings = Field(default_factory=AppSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    redis: RedisSettings = Field(default_factory=RedisSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    booking: BookingSettings = Field(default_factory=BookingSettings)
    files: FileSettings = Field(default_factory=FileSettings)
    mail: MailSettings = Field(default_factory=MailSettings)
    jobs: JobSettings = Field(default_factory=JobSettings)

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.app.environment == "production":
            problems = production_problems(self.app, self.auth, self.mail)
            if problems:
                raise ValueError(
                    "ENVIRONMENT=production refuses these settings:\n"
                    + "\n".join(f"- {problem}" for problem in problems)
                )
        booking = self.booking
        unsafe = [
            name
            for name, value in (
                ("UNSAFE_DISABLE_BOOKING_GUARDS", booking.unsafe_disable_booking_guards),
                ("BOOKING_RACE_DELAY_MS", booking.booking_race_delay_ms),
            )
            if value
        ]
        if unsafe and self.app.environment != "test":
            raise ValueError(
                f"{' and '.join(unsafe)}: booking guard switches are allowed only with "
                "ENVIRONMENT=test"
            )
        return self

    @property
    def email_verification_required(self) -> bool:
        """REQUIRE_VERIFIED_EMAIL, defaulting to on in production only (SPEC R-33)."""
        required = self.auth.require_verified_email
        return self.app.environment == "production" if required is None else required

    def secret_values(self) -> list[str]:
        """The configured secrets, which the logging pipeline scrubs from every line."""
        candidates = (
            self.auth.jwt_secret,
            self.mail.smtp_password,
            self.mail.telegram_bot_token,
            self.app.metrics_token,
            self.files.s3_secret_access_key,
            _url_password(self.database.database_url),
            _url_password(self.database.database_read_url),
            _url_password(self.redis.redis_url),
        )
        return [secret for secret in candidates if secret]

    @property
    def upload_dir(self) -> Path:
        return self.files.upload_dir or self.app.data_dir / "uploads"

    def resolved_jwt_secret(self) -> str:
        """The configured secret, or outside production one generated once and kept in DATA_DIR.

        Keeping it on disk means a restarted dev server does not log everyone out.
        """
        if self.auth.jwt_secret:
            return self.auth.jwt_secret
        return secret_kept_in(self.app.data_dir.resolve())


def _url_password(url: str | None) -> str | None:
    try:
        return urlsplit(url).password if url else None
    except ValueError:  # a malformed URL fails where it is used, with a clearer message
        return None


@lru_cache
def get_settings() -> Settings:
    return Settings()
