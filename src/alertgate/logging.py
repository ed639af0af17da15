"""Structured logs: JSON lines when not on a terminal, readable lines on one; secrets redacted."""

from __future__ import annotations

import asyncio
import atexit
import logging
import re
import sys
import threading
from collections.abc import Iterable, MutableMapping
from typing import Any, TextIO
from urllib.parse import quote

import orjson
import structlog

# A sig= value ends at the next parameter, a space, a quote or a backslash: inside JSON text a
# quote is escaped (`\"`), and eating its backslash would break the document being scrubbed.
# A value already masked by redact_url (`sig=***`) is left as it is shown everywhere else.
_SIG = re.compile(r"(sig=)(?!\*\*\*(?![^&\s\"'\\]))[^&\s\"'\\]+", re.IGNORECASE)
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
    """Removes configured secrets and URL signatures (`sig=`) from text."""

    def __init__(self, secrets: Iterable[str]) -> None:
        spelled = {v for s in secrets if len(s) >= MIN_SECRET for v in _spellings(s)}
        self._secrets = sorted(spelled, key=len, reverse=True)  # longest first: no partial leaks

    def scrub(self, text: str) -> str:
        """`text` with every secret replaced by [REDACTED]."""
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        if "=" not in text:  # no `sig=` can be in it: skip the regex (every log line passes here)
            return text
        return _SIG.sub(rf"\1{REDACTED}", text)


class _ScrubbedRenderer:
    """Renders an event, then scrubs the finished line: every value, nested ones, tracebacks and
    reprs of objects are in it, spelled as the line spells them (JSON-escaped or repr-escaped),
    and Redactor knows both spellings, so one pass over the line is the only one needed."""

    def __init__(self, renderer: Any, redactor: Redactor) -> None:
        self._renderer, self._redactor = renderer, redactor

    def __call__(self, logger: Any, method: str, event: MutableMapping[str, Any]) -> str:
        return self._redactor.scrub(str(self._renderer(logger, method, event)))


class _LineWriter:
    """Writes finished lines to the stream, all the lines of one event-loop iteration at once.

    Under load every trigger logs its decision: a write and a flush per line were most of what
    logging cost (docs/benchmarks.md). Lines logged on the event loop are written when the
    iteration ends (one write for all of them, in order); lines logged anywhere else, or with no
    loop running, are written at once, after any that are waiting. A process killed with
    SIGKILL loses at most the lines of the iteration it was in; the decisions they report are
    in the database.
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._pending: list[str] = []
        self._loop: asyncio.AbstractEventLoop | None = None  # where a flush is scheduled
        self._lock = threading.Lock()  # threads (WAL sync, checkpoints) log too

    def msg(self, message: str) -> None:
        with self._lock:
            self._pending.append(message)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        if self._loop is not loop:
            self._loop = loop
            loop.call_soon(self.flush)

    log = debug = info = warn = warning = err = error = critical = exception = fatal = msg

    def flush(self) -> None:
        with self._lock:
            self._loop = None
            lines, self._pending = self._pending, []
        if lines:
            self._stream.write("\n".join(lines) + "\n")
            self._stream.flush()


class _LineWriterFactory:
    """One _LineWriter per stream, for every structlog logger."""

    def __init__(self, stream: TextIO) -> None:
        self._writer = _LineWriter(stream)
        _WRITERS.append(self._writer)

    def __call__(self, *args: Any) -> _LineWriter:
        return self._writer


_WRITERS: list[_LineWriter] = []


@atexit.register
def flush() -> None:
    """Write the lines still waiting (at exit, and before a process hands over its stream)."""
    for writer in _WRITERS:
        writer.flush()


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
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
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
        logger_factory=_LineWriterFactory(stream),
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
