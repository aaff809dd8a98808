"""structlog setup: JSON lines in production, a readable console format in development.

Standard-library loggers (uvicorn, sqlalchemy, arq, httpx) are routed through the same
processors so one log stream carries one format, with the request id bound by the
middleware, and every line passes the same secret scrubbing (core/redaction.py).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable

import structlog

from roomtime.core.redaction import Redactor

# httpx logs every request URL at INFO, and the Telegram Bot API has its token in the URL;
# httpcore logs connection details at DEBUG. Their warnings and errors still come through.
_QUIETED_LOGGERS = ("httpx", "httpcore")

_redactor = Redactor()


def configure_logging(
    level: str = "INFO", fmt: str = "json", *, secrets: Iterable[str | None] = ()
) -> None:
    """Route every logger to stdout in one format; `secrets` (the configured JWT secret,
    SMTP password, metrics token, bot token) are scrubbed from every line."""
    _redactor.set_secrets(secrets)
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _redactor,
    ]
    renderer: structlog.types.Processor = (
        structlog.dev.ConsoleRenderer() if fmt == "console" else structlog.processors.JSONRenderer()
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            _redactor.rendered_exception,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # The logging HOWTO's "Optimization": no line of ours renders the caller, thread or
    # process, and looking them up (a walk up the stack for the caller) cost every log call,
    # the per-request access line included.
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # The middleware writes one access line per request with more context than uvicorn's.
    logging.getLogger("uvicorn.access").handlers[:] = []
    logging.getLogger("uvicorn.access").propagate = False
    for name in _QUIETED_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
