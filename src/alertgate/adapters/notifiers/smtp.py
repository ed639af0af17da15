"""The SMTP mail channel, for sites without Microsoft Graph: STARTTLS or implicit TLS, optional
login. The standard library's smtplib runs on a worker thread, with a socket timeout.

SMTP replies classify like HTTP statuses: 4xx is temporary (retry), 5xx is permanent, 535 is a
failed login. A resolution carries In-Reply-To the escalation's Message-ID, so it threads.
"""

from __future__ import annotations

import asyncio
import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from alertgate.adapters.notifiers.mail import Mail, mail_for
from alertgate.ports import DeliveryError, Notification

SERVER_CONCURRENCY = 3  # Exchange Online allows 3 concurrent SMTP connections per mailbox


@dataclass(frozen=True, slots=True)
class SmtpServer:
    host: str
    port: int
    security: str  # starttls | tls | none
    username: str | None
    password: str | None
    timeout: float = 20.0


def email_message(mail: Mail, sender: str, recipients: tuple[str, ...]) -> EmailMessage:
    """The MIME message: plain text and HTML alternatives, threading and importance headers."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Subject"] = mail.subject
    message["Date"] = formatdate(usegmt=True)
    domain = sender.rpartition("@")[2] or "alertgate"
    if mail.is_reply:
        message["Message-ID"] = make_msgid("alertgate", domain)
        message["In-Reply-To"] = mail.thread_id
        message["References"] = mail.thread_id
    else:
        message["Message-ID"] = mail.thread_id
    if mail.high_importance:
        message["Importance"] = "high"
        message["X-Priority"] = "1"
    for name, value in mail.headers:
        message[name] = value
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    return message


def _classify(exc: Exception, what: str) -> DeliveryError:
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return DeliveryError(
            "auth",
            f"{what}: login refused ({exc.smtp_code} {_text(exc.smtp_error)}) -- check "
            "ALERTGATE_SMTP_USERNAME / ALERTGATE_SMTP_PASSWORD (Exchange Online needs SMTP AUTH "
            "enabled for the mailbox)",
            retryable=False,
        )
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = {code for code, _ in exc.recipients.values()}
        refused = ", ".join(f"{a} ({c} {_text(m)})" for a, (c, m) in exc.recipients.items())
        temporary = all(400 <= c < 500 for c in codes)
        reason = "rate_limited" if temporary else "client_error"
        return DeliveryError(reason, f"{what}: recipients refused: {refused}", retryable=temporary)
    if isinstance(exc, smtplib.SMTPResponseException):
        temporary = 400 <= exc.smtp_code < 500
        return DeliveryError(
            "server_error" if temporary else "client_error",
            f"{what}: {exc.smtp_code} {_text(exc.smtp_error)}",
            retryable=temporary,
        )
    if isinstance(exc, ssl.SSLCertVerificationError):
        return DeliveryError(
            "tls",
            f"{what}: the server's certificate is not trusted ({exc.verify_message}); add its "
            "CA to ALERTGATE_CA_BUNDLE",
            retryable=False,
        )
    if isinstance(exc, TimeoutError | socket.timeout):
        return DeliveryError("timeout", f"{what}: no answer in time", retryable=True)
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return DeliveryError("client_error", f"{what}: {exc}", retryable=False)
    return DeliveryError("connection", f"{what}: {type(exc).__name__}: {exc}", retryable=True)


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


class SmtpNotifier:
    """Notifier port for SMTP submission."""

    channel = "smtp"

    def __init__(
        self,
        server: SmtpServer,
        sender: str,
        recipients: tuple[str, ...],
        context: ssl.SSLContext,
    ) -> None:
        self._server, self._sender, self._recipients = server, sender, recipients
        self._context = context
        self._slots = asyncio.Semaphore(SERVER_CONCURRENCY)
        self.target = (
            f"SMTP {server.host}:{server.port} ({server.security}) as {sender} "
            f"to {', '.join(recipients)}"
        )

    async def send(self, notification: Notification) -> None:
        mail = mail_for(notification, self._sender.rpartition("@")[2] or "alertgate")
        message = email_message(mail, self._sender, self._recipients)
        async with self._slots:
            await asyncio.to_thread(self._submit, message)

    async def preflight(self) -> list[str]:
        return []

    def explain_success(self) -> str:
        return (
            f"accepted by {self._server.host} for {', '.join(self._recipients)}; if nothing "
            "arrives, check the server's queue and the recipients' spam folders"
        )

    def _submit(self, message: EmailMessage) -> None:
        server = self._server
        what = f"SMTP {server.host}:{server.port}"
        try:
            with self._connect() as smtp:
                if server.security == "starttls":
                    smtp.starttls(context=self._context)
                if server.username and server.password:
                    smtp.login(server.username, server.password)
                smtp.send_message(message, self._sender, list(self._recipients))
        except (smtplib.SMTPException, OSError) as exc:
            raise _classify(exc, what) from None

    def _connect(self) -> smtplib.SMTP:
        server = self._server
        if server.security == "tls":
            return smtplib.SMTP_SSL(
                server.host, server.port, timeout=server.timeout, context=self._context
            )
        return smtplib.SMTP(server.host, server.port, timeout=server.timeout)
