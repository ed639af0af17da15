"""A real SMTP server (aiosmtpd) that requires TLS (STARTTLS, or implicit TLS as on port 465)
and a login, and keeps what it gets."""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.emulators.https import LoopbackCA
from tests.support.net import free_port

USERNAME = "alerts@contoso.com"
PASSWORD = "smtp-emulator-password"


@dataclass
class Delivered:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    encrypted: bool  # the DATA arrived over TLS (after STARTTLS, or implicit)


@dataclass
class SmtpHandler:
    delivered: list[Delivered] = field(default_factory=list)
    logins: int = 0
    temporary_failures: int = 0  # answer the next N DATA commands with 451
    data_commands: int = 0  # every DATA, refused or not
    login_before_mail: bool = False  # refuse MAIL before AUTH here (see SmtpEmulator)

    async def handle_MAIL(  # noqa: N802 - the hook name aiosmtpd calls
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        if self.login_before_mail and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 - the hook name aiosmtpd calls
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        self.data_commands += 1
        if self.temporary_failures:
            self.temporary_failures -= 1
            return "451 4.3.0 Temporary server error, try again later"
        message = message_from_bytes(envelope.content, policy=policy.default)  # type: ignore[arg-type]
        encrypted = server.transport is not None and bool(
            server.transport.get_extra_info("ssl_object")
        )
        self.delivered.append(
            Delivered(envelope.mail_from, list(envelope.rcpt_tos), message, encrypted)  # type: ignore[arg-type]
        )
        return "250 2.0.0 OK queued"


class _Authenticator:
    def __init__(self, handler: SmtpHandler) -> None:
        self.handler = handler

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == USERNAME
            and auth_data.password.decode() == PASSWORD
        )
        if ok:
            self.handler.logins += 1
        return AuthResult(success=ok, handled=False)


class SmtpEmulator:
    """TLS required before AUTH, AUTH required before MAIL.

    `implicit_tls=False`: a submission port (587) that offers STARTTLS and refuses AUTH before
    it. `implicit_tls=True`: an SMTPS port (465) that speaks TLS from the first byte (a plain
    client gets no greeting), so AUTH is over TLS by construction.
    """

    def __init__(self, ca: LoopbackCA, *, implicit_tls: bool = False) -> None:
        self.handler = SmtpHandler()
        self.port = free_port()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(ca.cert_path))
        # aiosmtpd's own auth_required/auth_require_tls know only STARTTLS (and it warns about
        # AUTH without STARTTLS): over implicit TLS the handler refuses MAIL before AUTH.
        tls: dict[str, Any] = (
            {"ssl_context": context, "auth_require_tls": False}
            if implicit_tls
            else {
                "tls_context": context,
                "require_starttls": True,
                "auth_required": True,
                "auth_require_tls": True,
            }
        )
        self.handler.login_before_mail = implicit_tls
        self.controller = Controller(
            self.handler,
            hostname="127.0.0.1",
            port=self.port,
            authenticator=_Authenticator(self.handler),
            **tls,
        )

    @property
    def delivered(self) -> list[Delivered]:
        return self.handler.delivered

    def __enter__(self) -> SmtpEmulator:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()
