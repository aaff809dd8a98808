"""structlog setup: JSON lines in production, a readable console format in development.

Standard-library loggers (uvicorn, sqlalchemy, arq, httpx) are routed through the same
processors so one log stream carries one format, with the request id bound by the
middleware, and every line passes the same secret scrubbing (core/redaction.py).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from typing import Any

import structlog

from roomtime.core.redaction import Redactor

# httpx logs every request URL at INFO, and the Telegram Bot API has its token in the URL;
# httpcore logs connection details at DEBUG. Their warnings and errors still come through.
_QUIETED_LOGGERS = ("httpx", "httpcore")

_redactor = Redactor()


class _Formatter(structlog.stdlib.ProcessorFormatter):
    """structlog's ProcessorFormatter, minus two steps a plain structlog line does not need.

    For a record structlog made (its event dict in `msg`) that carries no exception or stack
    text, the base class copies the whole record and then runs `logging.Formatter.format`
    over the rendered string, which returns that string unchanged; together that was a third
    of the access line's cost. Such a record is rendered here straight from a copy of its
    event dict, and the record itself is left as it was for other handlers. Every other
    record (foreign loggers, exceptions, stack info) takes the base class's path.
    """

    def format(self, record: logging.LogRecord) -> str:
        msg = record.msg
        if (
            type(msg) is not dict
            or record.exc_info
            or record.exc_text
            or record.stack_info
            or not hasattr(record, "_logger")
        ):
            return super().format(record)
        logger = self.logger if self.logger is not None else record._logger  # type: ignore[attr-defined]
        name: str = record._name  # type: ignore[attr-defined]
        event: Any = {**msg, "_record": record, "_from_structlog": True}
        for processor in self.processors:
            event = processor(logger, name, event)
        return str(event)


def configure_logging(
    level: str = "INFO", fmt: str = "json", *, secrets: Iterable[str | None] = ()
) -> None:
    """Route every logger to stdout in one format; `secrets` (the configured JWT secret,
    SMTP password, metrics token, bot token) are scrubbed from every line."""
    _redactor.set_secrets(secrets)
    # The redactor runs before the level, logger name and timestamp are added: those come
    # from code and the clock, so scanning them on every line protected nothing.
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        _redactor,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
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
    formatter = _Formatter(
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
