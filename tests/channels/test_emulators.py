"""The emulators themselves, spoken to with raw requests: they must behave as contracts.md
says, or the tests built on them prove nothing (a throttling test against an emulator that
never throttles would pass for any client)."""

from __future__ import annotations

import asyncio
import base64
import smtplib
import ssl
import time
from urllib.parse import quote_plus

import httpx
import pytest

from tests.emulators import microsoft as ms
from tests.emulators.https import LoopbackCA, ThreadedServer
from tests.emulators.smtp import PASSWORD, USERNAME, SmtpEmulator
from tests.emulators.teams import TeamsEmulator, workflow_url

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
        mail_needs_login_then_delivers(tls)
    assert_one_encrypted_login(smtps)


def test_discovery_serves_the_keys_msal_requires_and_refuses_an_unknown_tenant(
    microsoft: ms.MicrosoftEmulator, test_ca: LoopbackCA
) -> None:
    """GET {authority}/v2.0/.well-known/openid-configuration has token_endpoint and
    authorization_endpoint (msal raises KeyError without them) under the tenant; an unknown
    tenant is a 400 AADSTS90002 (msal raises ValueError from its constructor)."""
    with client(test_ca) as http:
        found = http.get(f"{microsoft.base}/{ms.TENANT}/v2.0/.well-known/openid-configuration")
        unknown = http.get(f"{microsoft.base}/no-such-tenant/v2.0/.well-known/openid-configuration")
    assert found.status_code == 200
    config = found.json()
    assert config["token_endpoint"] == token_url(microsoft)
    assert config["authorization_endpoint"].startswith(f"{microsoft.base}/{ms.TENANT}/")
    assert unknown.status_code == 400
    assert unknown.json()["error_codes"] == [90002]


@pytest.mark.parametrize(
    ("breakage", "status", "code", "message"),
    [
        ("roles", 403, "ErrorAccessDenied", "Access is denied. Check credentials and try again."),
        ("policy", 403, "ErrorAccessDenied", "Access to OData is disabled."),
        ("mailbox", 404, "ErrorInvalidUser", "The requested user 'nobody@contoso.com' is invalid."),
    ],
)
def test_sendmail_answers_both_documented_403s_and_an_unknown_mailbox(
    microsoft: ms.MicrosoftEmulator,
    test_ca: LoopbackCA,
    breakage: str,
    status: int,
    code: str,
    message: str,
) -> None:
    """A token without the Mail.Send role, a mailbox outside the application access policy,
    a mailbox that does not exist: Graph's status, code and exact message (contracts §4.4)."""
    url = send_url(microsoft)
    if breakage == "roles":
        microsoft.roles = []
    elif breakage == "policy":
        microsoft.policy_excluded.add(ms.MAILBOX)
    else:
        url = url.replace(ms.MAILBOX, "nobody@contoso.com")
    bearer = {"Authorization": f"Bearer {token(microsoft, test_ca)}"}
    with client(test_ca) as http:
        response = http.post(url, json=mail(), headers=bearer)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"] == message
    assert not microsoft.sent


def test_a_throttled_mailbox_answers_429_with_retry_after_until_the_throttle_ends(
    microsoft: ms.MicrosoftEmulator, test_ca: LoopbackCA
) -> None:
    """`throttle_until`: every sendMail is 429 ApplicationThrottled with Retry-After; then 202."""
    microsoft.throttle_retry_after = 3
    bearer = {"Authorization": f"Bearer {token(microsoft, test_ca)}"}
    microsoft.throttle_until = time.monotonic() + 0.5
    with client(test_ca) as http:
        throttled = http.post(send_url(microsoft), json=mail(), headers=bearer)
        time.sleep(0.6)
        then = http.post(send_url(microsoft), json=mail(), headers=bearer)
    assert throttled.status_code == 429
    assert throttled.json()["error"]["code"] == "ApplicationThrottled"
    assert throttled.headers["retry-after"] == "3"
    assert then.status_code == 202
    assert then.content == b""


def _card(version: str = "1.4") -> dict[str, object]:
    content = {"type": "AdaptiveCard", "version": version, "body": []}
    attachment = {"contentType": "application/vnd.microsoft.card.adaptive", "content": content}
    return {"type": "message", "attachments": [attachment]}


def test_the_teams_trigger_accepts_with_202_and_an_empty_body_and_records_the_run(
    teams_server: tuple[TeamsEmulator, ThreadedServer], test_ca: LoopbackCA
) -> None:
    """Any JSON body gets 202 with no body: the run's outcome is only in its history (a body
    without attachments fails the template's loop; a 1.5 card does not render)."""
    teams, server = teams_server
    with client(test_ca) as http:
        answers = [
            http.post(workflow_url(server.base), json=body)
            for body in (_card(), {"alert_name": "x"}, _card("1.5"))
        ]
    assert [(a.status_code, a.content) for a in answers] == [(202, b"")] * 3
    assert [p.run_status for p in teams.posts] == [
        "Succeeded",
        "Failed: attachments is of type 'Null'. The result must be a valid array.",
        "Failed: We're sorry, this card couldn't be displayed",
    ]


@pytest.mark.parametrize(
    ("mode", "status", "retry_after"),
    [("404", 404, None), ("429", 429, "7"), ("500", 500, None), ("503", 503, None)],
)
def test_the_teams_knobs_answer_their_status_the_given_number_of_times(
    teams_server: tuple[TeamsEmulator, ThreadedServer],
    test_ca: LoopbackCA,
    mode: str,
    status: int,
    retry_after: str | None,
) -> None:
    """`mode` with `times=2`: two refusals (429 with Retry-After), then 202 again; nothing
    refused is recorded as posted."""
    teams, server = teams_server
    teams.mode, teams.times, teams.retry_after = mode, 2, 7
    with client(test_ca) as http:
        answers = [http.post(workflow_url(server.base), json=_card()) for _ in range(3)]
    assert [a.status_code for a in answers] == [status, status, 202]
    assert answers[0].headers.get("retry-after") == retry_after
    assert len(teams.posts) == 1
    assert [s for s, _ in teams.refused] == [status, status]


def test_the_teams_trigger_refuses_a_wrong_sig_with_401(
    teams_server: tuple[TeamsEmulator, ThreadedServer], test_ca: LoopbackCA
) -> None:
    """The signature is the credential: a wrong one is refused, nothing posted."""
    teams, server = teams_server
    with client(test_ca) as http:
        response = http.post(workflow_url(server.base, sig="forged"), json=_card())
    assert response.status_code == 401
    assert not teams.posts


def test_the_starttls_emulator_refuses_login_before_starttls_and_mail_before_login(
    smtp: SmtpEmulator, test_ca: LoopbackCA
) -> None:
    """Port-587 behaviour: AUTH in clear text is refused (STARTTLS first); after STARTTLS,
    MAIL before AUTH is refused 530; with both, the mail arrives encrypted."""
    context = ssl.create_default_context(cafile=str(test_ca.ca_path))
    with smtplib.SMTP("127.0.0.1", smtp.port, timeout=5) as session:
        session.ehlo()
        assert session.has_extn("starttls")
        with pytest.raises(smtplib.SMTPException):
            session.login(USERNAME, PASSWORD)
        session.starttls(context=context)
        session.ehlo()
        mail_needs_login_then_delivers(session)
    assert_one_encrypted_login(smtp)


def mail_needs_login_then_delivers(session: smtplib.SMTP) -> None:
    """MAIL before AUTH is refused with 530; after a login the message goes through."""
    code, _ = session.mail(USERNAME)
    assert code == 530
    session.rset()
    session.login(USERNAME, PASSWORD)
    session.sendmail(USERNAME, ["oncall@contoso.com"], "Subject: hi\r\n\r\nbody\r\n")


def assert_one_encrypted_login(server: SmtpEmulator) -> None:
    (delivered,) = server.delivered
    assert delivered.encrypted
    assert server.handler.logins == 1
