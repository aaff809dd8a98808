"""structlog setup: JSON lines in production, a readable console format in development.

Standard-library loggers (uvicorn, sqlalchemy, arq, httpx) are routed through the same
processors so one log stream carries one format, with the request id bound by the
middleware, and every line passes the same secret scrubbing (core/redaction.py).
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

import structlog

from roomtime.core.redaction import Redactor

# httpx logs every request URL at INFO, and the Telegram Bot API has its token in the URL;
# httpcore logs connection details at DEBUG. Their warnings and errors still come through.
_QUIETED_LOGGERS = ("httpx", "httpcore")

_redactor = Redactor()


class _UtcTimestamp:
    """The text of structlog's `TimeStamper(fmt="iso", utc=True)` (`2026-01-02T03:04:05.678901Z`,
    no fraction when it is zero), with the date and time of day formatted once a second
    instead of building and formatting a timezone-aware datetime on every line."""

    def __init__(self, clock_ns: Callable[[], int] = time.time_ns) -> None:
        self._clock_ns = clock_ns
        # One tuple, replaced whole: another thread never sees a second with the wrong text.
        self._memo: tuple[int, str] = (-1, "")

    def __call__(self, _: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
        second, nanos = divmod(self._clock_ns(), 1_000_000_000)
        memo = self._memo
        if memo[0] != second:
            memo = (second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)))
            self._memo = memo
        micros = nanos // 1000
        event["timestamp"] = f"{memo[1]}.{micros:06d}Z" if micros else f"{memo[1]}Z"
        return event


class _JsonDumps:
    """`json.dumps(obj, default=default)` without building a new JSONEncoder for every line
    (structlog's JSONRenderer passes the same `default` each time)."""

    def __init__(self) -> None:
        self._encoders: dict[Callable[[Any], Any], json.JSONEncoder] = {}

    def __call__(self, obj: Any, *, default: Callable[[Any], Any]) -> str:
        encoder = self._encoders.get(default)
        if encoder is None:
            encoder = self._encoders.setdefault(default, json.JSONEncoder(default=default))
        return encoder.encode(obj)


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
        _UtcTimestamp(),
    ]
    renderer: structlog.types.Processor
    if fmt == "console":
        renderer = structlog.dev.ConsoleRenderer()
    else:
        renderer = structlog.processors.JSONRenderer(serializer=_JsonDumps())
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
