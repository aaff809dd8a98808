"""What ENVIRONMENT=production refuses to start with.

Production is opt-in: outside it the service runs on development defaults (a JWT secret
generated into DATA_DIR, mail written to files, a documented admin password, links to
127.0.0.1). With ENVIRONMENT=production each of those must be replaced by real settings,
and the settings refuse to load, naming every variable at fault, until they are.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:  # settings.py imports this module to validate itself
    from roomtime.settings import AppSettings, AuthSettings, MailSettings

DEV_ADMIN_PASSWORD = "roomtime-admin"  # noqa: S105 (the documented development default)
# The demonstration specialist the seed creates outside production only.
DEV_SPECIALIST_EMAIL = "specialist@roomtime.local"
DEV_SPECIALIST_PASSWORD = "roomtime-specialist"  # noqa: S105 (documented development default)
MIN_JWT_SECRET_LENGTH = 32
MIN_ADMIN_PASSWORD_LENGTH = 12

_WEAK_SECRETS = frozenset({"changeme", "change-me", "secret", "jwt-secret"})
# Besides the length rule: the default itself and the obvious variations of "admin".
_WEAK_ADMIN_PASSWORDS = frozenset(
    {DEV_ADMIN_PASSWORD, "administrator", "admin-password", "adminpassword", "password1234"}
)


def _jwt_secret_problem(auth: AuthSettings) -> str | None:
    secret = auth.jwt_secret
    if not secret:
        return "JWT_SECRET is not set: use at least 32 random characters"
    if secret.lower() in _WEAK_SECRETS or len(secret) < MIN_JWT_SECRET_LENGTH:
        return "JWT_SECRET must be at least 32 random characters"
    return None


def is_loopback_host(host: str) -> bool:
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _public_url_problem(app: AppSettings) -> str | None:
    if "public_base_url" not in app.model_fields_set:
        return "PUBLIC_BASE_URL is not set: the https address users reach (links in mail use it)"
    parts = urlsplit(app.public_base_url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return "PUBLIC_BASE_URL must be an absolute https URL, e.g. https://booking.example.com"
    # Mail links carry reset and verification tokens: over plain http anyone on the path
    # could take over the account. http stays allowed for a loopback address, where the
    # traffic never leaves the machine (a local `docker compose up`).
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        return "PUBLIC_BASE_URL must use https (plain http is allowed only for a loopback host)"
    return None


def _admin_password_problem(auth: AuthSettings) -> str | None:
    password = auth.seed_admin_password
    if password is None:
        return None  # only `roomtime seed` needs it, and it says so
    if password.lower() in _WEAK_ADMIN_PASSWORDS or len(password) < MIN_ADMIN_PASSWORD_LENGTH:
        return (
            "SEED_ADMIN_PASSWORD is the documented development default or too weak: "
            f"use at least {MIN_ADMIN_PASSWORD_LENGTH} characters of your own"
        )
    return None


def production_problems(app: AppSettings, auth: AuthSettings, mail: MailSettings) -> list[str]:
    """Every reason these settings cannot run production; empty when they can."""
    found = [
        _jwt_secret_problem(auth),
        _public_url_problem(app),
        None if mail.smtp_host else "SMTP_HOST is not set: production mail goes through SMTP",
        _admin_password_problem(auth),
    ]
    return [problem for problem in found if problem]
