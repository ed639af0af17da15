"""The notifiers' shared HTTP rules: which failures are retried, with which bounded reason."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from alertgate.adapters.notifiers import _http
from alertgate.ports import DeliveryError


@pytest.mark.parametrize(
    ("status", "reason", "retryable"),
    [
        (400, "client_error", False),
        (401, "auth", False),
        (403, "auth", False),
        (404, "not_found", False),
        (408, "timeout", True),
        (413, "client_error", False),
        (429, "rate_limited", True),
        (500, "server_error", True),
        (502, "server_error", True),
        (503, "server_error", True),
        (302, "unexpected_status", False),
    ],
)
def test_status_codes_are_classified_as_the_contract_says(
    status: int, reason: str, retryable: bool
) -> None:
    """Retryable: 408, 429, 5xx; permanent: every other 4xx (and a redirect, not followed)."""
    response = httpx.Response(status, text='{"error":"x"}', headers={"Retry-After": "7"})
    with pytest.raises(DeliveryError) as caught:
        _http.check(response, "target")
    assert (caught.value.reason, caught.value.retryable) == (reason, retryable)
    assert caught.value.retry_after == (7.0 if retryable else None)
    assert f"target answered {status}: " in caught.value.message


@pytest.mark.parametrize("status", [200, 201, 202, 204])
def test_any_2xx_is_success(status: int) -> None:
    """202 with an empty body (Workflows, Graph) is success, and so is every other 2xx."""
    _http.check(httpx.Response(status), "target")


def test_retry_after_reads_seconds_and_http_dates_and_is_capped() -> None:
    """Retry-After: 120 or an HTTP date; an absurd value is capped at an hour."""
    now = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
    assert _http.retry_after({"retry-after": "120"}, now) == 120.0
    assert _http.retry_after({"retry-after": "Thu, 03 Dec 2026 10:00:30 GMT"}, now) == 30.0
    assert _http.retry_after({"retry-after": "999999"}, now) == 3600.0
    assert _http.retry_after({"retry-after": "soon"}, now) is None
    assert _http.retry_after({}, now) is None


def test_transport_failures_are_retryable_but_an_untrusted_certificate_is_not() -> None:
    """Connection errors and timeouts are retried; a certificate problem needs a person."""
    assert _http.transport_failure(httpx.ConnectError("refused"), "t").retryable
    assert _http.transport_failure(httpx.ReadTimeout("slow"), "t").reason == "timeout"
    tls = _http.transport_failure(httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] x"), "t")
    assert (tls.reason, tls.retryable) == ("tls", False)
    assert "ALERTGATE_CA_BUNDLE" in tls.message


def test_redact_url_masks_signatures_tokens_and_passwords() -> None:
    """The Workflows sig=, a token= and user:password never survive redaction."""
    url = (
        "https://u:pw@prod-00.westus.logic.azure.com:443/workflows/abc/triggers/manual/paths/"
        "invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=SECRETSIG&token=T0K"
    )
    redacted = _http.redact_url(url)
    assert "SECRETSIG" not in redacted
    assert "T0K" not in redacted
    assert "pw" not in redacted
    assert "sig=***" in redacted
    assert "api-version=2016-06-01" in redacted
    assert redacted.startswith("https://***@prod-00.westus.logic.azure.com:443/workflows/abc/")


def test_redact_url_masks_secrets_in_any_case_and_keeps_the_rest_byte_for_byte() -> None:
    """`&Sig=` and `SIG=` are as secret as `sig=`; every other parameter is shown exactly as
    configured (`sp=%2Ftriggers...` is not decoded, a bare flag keeps no `=`)."""
    rest = "api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&flag&q=a+b%26c"
    base = "https://prod-00.westus.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke"
    for name in ("Sig", "SIG", "sig", "Token", "API_KEY"):
        redacted = _http.redact_url(f"{base}?{rest}&{name}=UPPERSECRET")
        assert redacted == f"{base}?{rest}&{name}=***"
    assert _http.redact_url(f"{base}?%53ig=UPPERSECRET") == f"{base}?%53ig=***"
    assert _http.redact_url(base) == base


def test_url_secrets_are_the_password_and_secret_parameters_as_written_and_decoded() -> None:
    """What a notifier scrubs from a reply that quotes its URL: `sig=` as written and as
    decoded, a token, the password; never the harmless parameters."""
    url = "https://u:p%40ss@h.example/x?api-version=1&sp=%2Ftriggers&sig=a%2Bb&Token=T0K&flag"
    assert _http.url_secrets(url) == ["p@ss", "a%2Bb", "T0K", "a+b"]
    assert _http.url_secrets("not a url") == []


def test_a_quoted_secret_is_scrubbed_before_the_reply_is_cut() -> None:
    """A secret that straddles the excerpt's end would survive the cut in part: the reply is
    scrubbed first, then cut."""
    body = "x" * (_http.BODY_EXCERPT - 4) + " sig=ABCDEFGHIJKLMNOP"
    response = httpx.Response(400, text=body)
    with pytest.raises(DeliveryError) as caught:
        _http.check(response, "target", scrub=lambda t: t.replace("ABCDEFGHIJKLMNOP", "***"))
    assert "ABCD" not in caught.value.message
