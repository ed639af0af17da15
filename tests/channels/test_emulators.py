"""The emulators themselves, spoken to with raw requests: they must behave as contracts.md
says, or the tests built on them prove nothing (a throttling test against an emulator that
never throttles would pass for any client)."""

from __future__ import annotations

import asyncio
import base64
import smtplib
import ssl
from urllib.parse import quote_plus

import httpx
import pytest

from tests.emulators import microsoft as ms
from tests.emulators.https import LoopbackCA
from tests.emulators.smtp import PASSWORD, USERNAME, SmtpEmulator

SCOPE = "https://graph.microsoft.com/.default"


def client(ca: LoopbackCA) -> httpx.Client:
    return httpx.Client(verify=ssl.create_default_context(cafile=str(ca.ca_path)), timeout=10)


def token_url(emulator: ms.MicrosoftEmulator) -> str:
    return f"{emulator.base}/{ms.TENANT}/oauth2/v2.0/token"


def basic(client_id: str, secret: str) -> str:
    pair = f"{quote_plus(client_id)}:{quote_plus(secret)}"
    return "Basic " + base64.b64encode(pair.encode()).decode()


def token(emulator: ms.MicrosoftEmulator, ca: LoopbackCA) -> str:
    form = {
        "grant_type": "client_credentials",
        "client_id": ms.CLIENT_ID,
        "client_secret": ms.CLIENT_SECRET,
        "scope": SCOPE,
    }
    with client(ca) as http:
        response = http.post(token_url(emulator), data=form)
    assert response.status_code == 200, response.text
    value: str = response.json()["access_token"]
    return value


def mail(to: str = "oncall@contoso.com") -> dict[str, object]:
    return {
        "message": {
            "subject": "s",
            "body": {"contentType": "Text", "content": "b"},
            "toRecipients": [{"emailAddress": {"address": to}}],
        }
    }


def send_url(emulator: ms.MicrosoftEmulator) -> str:
    return f"{emulator.base}/v1.0/users/{ms.MAILBOX}/sendMail"


def test_the_token_endpoint_takes_the_secret_as_http_basic_as_well_as_in_the_body(
    microsoft: ms.MicrosoftEmulator, test_ca: LoopbackCA
) -> None:
    """RFC 6749 §2.3.1, as Entra accepts it: client_id:secret (form-encoded) in Basic gives a
    token; a wrong secret in Basic is 401 invalid_client AADSTS7000215, like one in the body."""
    form = {"grant_type": "client_credentials", "scope": SCOPE}
    microsoft.secret = "s3cret/with+odd&chars"
    with client(test_ca) as http:
        good = http.post(
            token_url(microsoft),
            data=form,
            headers={"Authorization": basic(ms.CLIENT_ID, microsoft.secret)},
        )
        bad = http.post(
            token_url(microsoft), data=form, headers={"Authorization": basic(ms.CLIENT_ID, "x")}
        )
        body_bad = http.post(
            token_url(microsoft), data={**form, "client_id": ms.CLIENT_ID, "client_secret": "x"}
        )
    assert good.status_code == 200, good.text
    assert good.json()["token_type"] == "Bearer"
    for refused in (bad, body_bad):
        assert refused.status_code == 401
        assert refused.json()["error"] == "invalid_client"
        assert refused.json()["error_codes"] == [7000215]


@pytest.mark.parametrize(
    ("authorization", "message"),
    [
        (None, "Access token is empty."),
        ("Bearer not-a-jwt", "CompactToken validation failed"),
        ("Bearer aaa.bbb.ccc", "Lifetime validation failed, the token is expired."),
    ],
)
def test_every_401_from_graph_carries_www_authenticate(
    microsoft: ms.MicrosoftEmulator, test_ca: LoopbackCA, authorization: str | None, message: str
) -> None:
    """No token, a malformed one, an unknown one: 401 InvalidAuthenticationToken with the
    matching message, and always a `WWW-Authenticate: Bearer ...` header (contracts.md §4.4)."""
    headers = {"Authorization": authorization} if authorization else {}
    with client(test_ca) as http:
        response = http.post(send_url(microsoft), json=mail(), headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "InvalidAuthenticationToken"
    assert response.json()["error"]["message"].startswith(message)
    assert response.headers["www-authenticate"].startswith("Bearer ")


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (400, "ErrorInvalidRecipients"),
        (401, "InvalidAuthenticationToken"),
        (403, "ErrorAccessDenied"),
        (404, "ResourceNotFound"),
        (500, "generalException"),
        (503, "serviceNotAvailable"),
        (504, "serviceNotAvailable"),
    ],
)
def test_fail_next_answers_each_status_with_its_graph_error_code(
    microsoft: ms.MicrosoftEmulator, test_ca: LoopbackCA, status: int, code: str
) -> None:
    """The `fail_next` knob speaks Graph's error body with the code that status carries, not
    one label for all; the next request is served normally."""
    bearer = {"Authorization": f"Bearer {token(microsoft, test_ca)}"}
    microsoft.fail_next = [status]
    with client(test_ca) as http:
        failed = http.post(send_url(microsoft), json=mail(), headers=bearer)
        then = http.post(send_url(microsoft), json=mail(), headers=bearer)
    assert failed.status_code == status
    assert failed.json()["error"]["code"] == code
    assert ("www-authenticate" in failed.headers) is (status == 401)
    assert then.status_code == 202


def test_graph_rejects_an_invalid_recipient_with_400_error_invalid_recipients(
    microsoft: ms.MicrosoftEmulator, test_ca: LoopbackCA
) -> None:
    """The emulator's own validation (no knob): an address without @ is refused, nothing sent."""
    bearer = {"Authorization": f"Bearer {token(microsoft, test_ca)}"}
    with client(test_ca) as http:
        response = http.post(send_url(microsoft), json=mail("oncall"), headers=bearer)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "ErrorInvalidRecipients"
    assert not microsoft.sent


def test_more_than_four_sendmails_in_flight_get_429_application_throttled(
    microsoft: ms.MicrosoftEmulator, test_ca: LoopbackCA
) -> None:
    """Six concurrent requests for one mailbox: four are accepted (202), the fifth and sixth
    get 429 ApplicationThrottled with Retry-After, as Exchange's MailboxConcurrency limit does.
    So a client that never sees a concurrency 429 is one that keeps to four."""
    microsoft.latency = 0.5  # all six overlap
    bearer = {"Authorization": f"Bearer {token(microsoft, test_ca)}"}

    async def six() -> list[httpx.Response]:
        context = ssl.create_default_context(cafile=str(test_ca.ca_path))
        async with httpx.AsyncClient(verify=context, timeout=10) as http:
            return await asyncio.gather(
                *(http.post(send_url(microsoft), json=mail(), headers=bearer) for _ in range(6))
            )

    responses = asyncio.run(six())
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [202, 202, 202, 202, 429, 429]
    throttled = [r for r in responses if r.status_code == 429]
    assert {r.json()["error"]["code"] for r in throttled} == {"ApplicationThrottled"}
    assert all(r.headers["retry-after"] == "1" for r in throttled)
    assert microsoft.concurrency_429s == 2
    assert microsoft.max_inflight == 6
    assert len(microsoft.sent) == 4


def test_the_smtps_emulator_speaks_tls_from_the_first_byte_and_wants_a_login(
    smtps: SmtpEmulator, test_ca: LoopbackCA
) -> None:
    """A plain-text client gets no SMTP greeting; over TLS, MAIL before AUTH is refused 530;
    after the login the mail is accepted, and recorded as having arrived encrypted."""
    with (
        pytest.raises(smtplib.SMTPServerDisconnected),
        smtplib.SMTP("127.0.0.1", smtps.port, timeout=2) as plain,
    ):
        plain.noop()
    context = ssl.create_default_context(cafile=str(test_ca.ca_path))
    with smtplib.SMTP_SSL("127.0.0.1", smtps.port, context=context, timeout=5) as tls:
        tls.ehlo()
        code, _ = tls.mail(USERNAME)
        assert code == 530
        tls.rset()
        tls.login(USERNAME, PASSWORD)
        tls.sendmail(USERNAME, ["oncall@contoso.com"], "Subject: hi\r\n\r\nbody\r\n")
    (delivered,) = smtps.delivered
    assert delivered.encrypted
    assert smtps.handler.logins == 1
