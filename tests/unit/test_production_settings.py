"""ENVIRONMENT=production refuses the development defaults, naming every variable at fault."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from roomtime.settings import (
    AppSettings,
    AuthSettings,
    DatabaseSettings,
    MailSettings,
    RedisSettings,
    Settings,
)
from roomtime.startup import describe_settings_error

pytestmark = pytest.mark.unit

SECRET = "s" * 48
GOOD_URL = "https://booking.example.com"


def _production(
    public_base_url: str | None = GOOD_URL,
    jwt_secret: str | None = SECRET,
    smtp_host: str | None = "smtp.example.com",
    seed_admin_password: str | None = None,
) -> Settings:
    app = {"public_base_url": public_base_url} if public_base_url is not None else {}
    return Settings(
        app=AppSettings(environment="production", **app),  # type: ignore[arg-type]
        auth=AuthSettings(jwt_secret=jwt_secret, seed_admin_password=seed_admin_password),
        mail=MailSettings(smtp_host=smtp_host),
    )


def _refusal(**overrides: str | None) -> str:
    with pytest.raises(ValidationError) as caught:
        _production(**overrides)  # type: ignore[arg-type]
    return describe_settings_error(caught.value)


def test_production_with_everything_set_loads() -> None:
    settings = _production(seed_admin_password="a long admin passphrase")
    assert settings.app.public_base_url == GOOD_URL


def test_each_missing_variable_is_named_in_one_message() -> None:
    message = _refusal(public_base_url=None, jwt_secret=None, smtp_host=None)
    assert "JWT_SECRET is not set" in message
    assert "PUBLIC_BASE_URL is not set" in message
    assert "SMTP_HOST is not set" in message
    assert SECRET not in message


@pytest.mark.parametrize(
    "url", ["http://booking.example.com", "http://10.0.0.5:8000", "ftp://example.com", "/x"]
)
def test_public_base_url_must_be_https_unless_loopback(url: str) -> None:
    assert "PUBLIC_BASE_URL must" in _refusal(public_base_url=url)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8000", "http://localhost:8000", "http://[::1]:8000", GOOD_URL]
)
def test_loopback_http_and_any_https_are_accepted(url: str) -> None:
    assert _production(public_base_url=url).app.public_base_url == url


@pytest.mark.parametrize("password", ["roomtime-admin", "ROOMTIME-ADMIN", "short-pass1"])
def test_the_default_or_a_weak_seed_admin_password_is_refused(password: str) -> None:
    message = _refusal(seed_admin_password=password)
    assert "SEED_ADMIN_PASSWORD" in message
    assert password not in message


def test_a_short_jwt_secret_is_refused() -> None:
    assert "JWT_SECRET must be at least 32" in _refusal(jwt_secret="changeme")


def test_development_keeps_its_defaults() -> None:
    settings = Settings(
        app=AppSettings(environment="development"),
        auth=AuthSettings(jwt_secret=None, seed_admin_password="roomtime-admin"),
        mail=MailSettings(smtp_host=None),
    )
    assert settings.app.public_base_url == "http://127.0.0.1:8000"
    assert settings.auth.seed_admin_password == "roomtime-admin"


def test_every_configured_secret_is_handed_to_the_log_scrubber() -> None:
    settings = Settings(
        auth=AuthSettings(jwt_secret=SECRET),
        mail=MailSettings(smtp_password="smtp-pass", telegram_bot_token="1:bot-token"),
        app=AppSettings(metrics_token="scrape-token"),
        database=DatabaseSettings(database_url="postgresql://rt:db-pass@db:5432/rt"),
        redis=RedisSettings(redis_url="redis://:redis-pass@cache:6379/0"),
    )
    assert set(settings.secret_values()) == {
        SECRET,
        "smtp-pass",
        "1:bot-token",
        "scrape-token",
        "db-pass",
        "redis-pass",
    }
