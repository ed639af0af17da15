"""Logging: JSON lines off a terminal, readable lines on one, and secrets redacted everywhere."""

from __future__ import annotations

import io
import logging

import orjson
import pytest
import structlog

from alertgate import logging as agl

SECRET = 'p"w\\d-S3cr3t'  # quotes and backslashes: escaped differently by JSON and repr


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def _reset_structlog() -> None:
    structlog.reset_defaults()


def lines(stream: io.StringIO) -> list[str]:
    return [line for line in stream.getvalue().splitlines() if line]


def test_auto_format_writes_one_json_object_per_line_off_a_terminal() -> None:
    """Under systemd or Docker (no terminal) every log line is a JSON object."""
    stream = io.StringIO()
    agl.configure("info", "auto", [], stream=stream)
    structlog.get_logger("t").info("decision", incident_id="abc", outcome="held", reason="held")
    (line,) = lines(stream)
    record = orjson.loads(line)
    assert record["event"] == "decision"
    assert (record["incident_id"], record["outcome"], record["reason"]) == ("abc", "held", "held")
    assert record["level"] == "info"
    assert record["timestamp"].endswith("Z")


def test_auto_format_is_readable_text_on_a_terminal() -> None:
    """On a terminal the same event is a key=value line, not JSON."""
    stream = Terminal()
    agl.configure("info", "auto", [], stream=stream)
    structlog.get_logger("t").info("decision", incident_id="abc")
    (line,) = lines(stream)
    assert not line.startswith("{")
    assert "decision" in line
    assert "incident_id" in line


@pytest.mark.parametrize("fmt", ["json", "console"])
def test_secrets_are_redacted_in_values_nested_values_and_tracebacks(fmt: str) -> None:
    """A configured secret is replaced wherever it appears: a value, a nested value, an
    exception's traceback, a standard-library logger's message (uvicorn)."""
    stream = io.StringIO()
    agl.configure("info", fmt, [SECRET], stream=stream)
    log = structlog.get_logger("t")
    log.info("plain", url=f"https://x/?token={SECRET}", nested={"a": [SECRET]})
    try:
        raise ValueError(f"connect failed with {SECRET}")
    except ValueError:
        log.exception("crashed")
        logging.getLogger("uvicorn.error").exception("Exception in ASGI application")
    text = stream.getvalue()
    assert agl.REDACTED in text
    assert "connect failed with" in text  # the traceback is there, minus the secret
    for spelling in (SECRET, orjson.dumps(SECRET).decode()[1:-1], repr(SECRET)[1:-1]):
        assert spelling not in text


def test_a_workflows_signature_is_redacted_even_when_not_configured() -> None:
    """Any `sig=` query value is a credential (Teams Workflows, Azure SAS): never logged."""
    stream = io.StringIO()
    agl.configure("info", "json", [], stream=stream)
    structlog.get_logger("t").warning("send failed", url="https://h/invoke?sv=1.0&sig=abc123&x=1")
    assert "abc123" not in stream.getvalue()
    assert "sv=1.0&sig=[REDACTED]&x=1" in stream.getvalue()


def test_a_signature_already_masked_keeps_its_mask_and_nothing_else_slips_through() -> None:
    """`sig=***` (how URLs are shown everywhere) stays as it is; a value that merely starts
    with three asterisks is still a value, and is redacted."""
    redactor = agl.Redactor([])
    assert redactor.scrub("invoke?sv=1.0&sig=***&x=1") == "invoke?sv=1.0&sig=***&x=1"
    assert redactor.scrub("invoke?sig=***") == "invoke?sig=***"
    assert redactor.scrub("invoke?sig=***abc&x=1") == "invoke?sig=[REDACTED]&x=1"
    assert redactor.scrub('"sig=****"') == '"sig=[REDACTED]"'


def test_short_values_are_not_treated_as_secrets() -> None:
    """A secret shorter than four characters would redact ordinary words; it is ignored."""
    assert agl.Redactor(["abc"]).scrub("abc def") == "abc def"
    assert agl.Redactor(["abcd"]).scrub("abcd def") == "[REDACTED] def"


def test_the_longest_secret_is_replaced_first() -> None:
    """When one secret contains another, no tail of the longer one survives."""
    redactor = agl.Redactor(["token", "token-with-suffix"])
    assert redactor.scrub("x token-with-suffix y") == "x [REDACTED] y"


def test_scrubbing_a_signature_inside_json_text_keeps_the_json_valid() -> None:
    """A quoted reply in a JSON string (`...sig=abc\\"...`): the signature goes, the escaped
    quote after it stays, so a JSON log line or API body is still JSON."""
    document = orjson.dumps({"error": 'answered 400: {"url": "/x?sv=1&sig=abc123", "a": 1}'})
    scrubbed = agl.Redactor([]).scrub(document.decode())
    assert "abc123" not in scrubbed
    kept = 'answered 400: {"url": "/x?sv=1&sig=[REDACTED]", "a": 1}'
    assert orjson.loads(scrubbed) == {"error": kept}


def test_a_signature_already_masked_is_left_as_shown_elsewhere() -> None:
    """redact_url's `sig=***` (check-config, test-notify's target) stays `sig=***`; a value
    that merely starts with stars is still a value."""
    scrub = agl.Redactor([]).scrub
    assert scrub("https://h/invoke?sv=1.0&sig=***") == "https://h/invoke?sv=1.0&sig=***"
    assert scrub("?sig=*** answered") == "?sig=*** answered"
    assert scrub("?sig=***abc&x=1") == "?sig=[REDACTED]&x=1"
