"""Structured logs: JSON lines when not on a terminal, readable lines on one; secrets redacted."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable, MutableMapping
from typing import Any, TextIO
from urllib.parse import quote

import orjson
import structlog

# A `sig=` value, unless already masked as `***` (redact_url's form, kept as check-config shows it).
_SIG = re.compile(r"(sig=)(?!\*\*\*(?:[&\s\"']|$))[^&\s\"']+", re.IGNORECASE)
REDACTED = "[REDACTED]"


MIN_SECRET = 4  # shorter values would redact ordinary words: they are left as they are


def _spellings(secret: str) -> set[str]:
    """The ways a secret appears in text: as is, JSON-escaped, repr-escaped, percent-encoded."""
    return {
        secret,
        orjson.dumps(secret).decode()[1:-1],
        repr(secret)[1:-1],
        quote(secret, safe=""),
    }


class Redactor:
    """Removes configured secrets and URL signatures (`sig=`) from text and log events."""

    def __init__(self, secrets: Iterable[str]) -> None:
        spelled = {v for s in secrets if len(s) >= MIN_SECRET for v in _spellings(s)}
        self._secrets = sorted(spelled, key=len, reverse=True)  # longest first: no partial leaks

    def scrub(self, text: str) -> str:
        """`text` with every secret replaced by [REDACTED]."""
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        if "=" not in text:  # no `sig=` can be in it: skip the regex (every log value passes here)
            return text
        return _SIG.sub(rf"\1{REDACTED}", text)

    def __call__(
        self, logger: Any, method: str, event: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        """structlog processor: scrub every string value, nested ones included."""
        for key, value in event.items():
            event[key] = self._value(value)
        return event

    def _value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, dict):
            return {k: self._value(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self._value(v) for v in value]
        return value


class _ScrubbedRenderer:
    """Renders an event, then scrubs the finished line: covers tracebacks, reprs of objects and
    anything else a processor turned into text after the event-level redaction ran."""

    def __init__(self, renderer: Any, redactor: Redactor) -> None:
        self._renderer, self._redactor = renderer, redactor

    def __call__(self, logger: Any, method: str, event: MutableMapping[str, Any]) -> str:
        return self._redactor.scrub(str(self._renderer(logger, method, event)))


def _orjson_dumps(value: Any, **_: Any) -> str:
    return orjson.dumps(value, default=str).decode()


def configure(
    level: str = "info",
    fmt: str = "auto",
    secrets: Iterable[str] = (),
    stream: TextIO | None = None,
) -> None:
    """Configure structlog and the standard library's logging (uvicorn, alembic) alike."""
    stream = stream or sys.stderr
    as_json = fmt == "json" or (fmt == "auto" and not stream.isatty())
    redactor = Redactor(secrets)
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redactor,
    ]
    renderer: Any = _ScrubbedRenderer(
        structlog.processors.JSONRenderer(serializer=_orjson_dumps)
        if as_json
        else structlog.dev.ConsoleRenderer(colors=stream.isatty()),
        redactor,
    )
    numeric = logging.getLevelNamesMapping()[level.upper()]
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.WriteLoggerFactory(file=stream),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.add_logger_name, *shared],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                # uvicorn logs crashes with exc_info: render the traceback, not a tuple repr
                structlog.processors.format_exc_info,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric)
    # httpx logs every request URL at INFO; a Teams URL carries its secret in sig=.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
