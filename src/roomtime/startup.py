"""What every `roomtime` command does first: load the settings or say clearly why not, and
warn when a server starts on development defaults."""

from __future__ import annotations

import sys

import structlog
from pydantic import ValidationError

from roomtime.settings import Settings, get_settings

log = structlog.get_logger(__name__)

CONFIG_ERROR_EXIT_CODE = 2


def describe_settings_error(exc: ValidationError) -> str:
    """One line per problem, naming the environment variable; values are never repeated
    (they may be secrets)."""
    lines = ["roomtime: the configuration is refused"]
    for error in exc.errors(include_input=False, include_url=False):
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["loc"]:
            lines.append(f"{str(error['loc'][-1]).upper()}: {message}")
        else:
            lines.append(message)
    return "\n".join(lines)


def settings_or_exit() -> Settings:
    try:
        return get_settings()
    except ValidationError as exc:
        sys.stderr.write(describe_settings_error(exc) + "\n")
        raise SystemExit(CONFIG_ERROR_EXIT_CODE) from None


def warn_development_defaults(settings: Settings, command: str) -> None:
    """One warning when a server starts outside production: development defaults are safe
    on a laptop and unsafe anywhere else."""
    if settings.app.environment == "production":
        return
    log.warning(
        "development_defaults_in_use",
        command=command,
        environment=settings.app.environment,
        detail=(
            "ENVIRONMENT is not production: a JWT secret generated into DATA_DIR unless "
            "JWT_SECRET is set, mail written to DATA_DIR/mail unless SMTP_HOST is set, the "
            "documented seed admin password, and no checks of PUBLIC_BASE_URL. "
            "Set ENVIRONMENT=production for a real deployment."
        ),
    )
