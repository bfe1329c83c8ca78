"""Email a helpdesk ticket to the helpdesk mailbox over SMTP.

The ticket service calls ``TicketMailer.send`` after it has stored a ticket. Delivery
problems never raise: a mail outage must not stop a ticket being created, so ``send``
reports what happened in a ``Delivery`` and logs one warning line instead.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from bot.clock import Clock, system_clock
from bot.config import ConfigError, SmtpSettings

log = logging.getLogger(__name__)

# Long enough for a useful summary, short enough for a helpdesk inbox list.
SUBJECT_LIMIT = 150


@dataclass(frozen=True)
class Delivery:
    """The outcome of one ``send``: ``error`` is one human-readable line, free of secrets."""

    sent: bool
    attempts: int
    error: str | None = None


class TicketMailer:
    """Sends ticket emails with the given settings, retrying transient failures."""

    def __init__(
        self,
        settings: SmtpSettings,
        *,
        ssl_context: ssl.SSLContext | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Clock = system_clock,
        message_id: Callable[[str], str] | None = None,
    ) -> None:
        """``clock`` dates the email; ``message_id(domain)`` makes its Message-ID."""
        # These are configuration mistakes, not delivery problems: fail at start-up, loudly.
        if not settings.recipient.strip():
            raise ConfigError("no helpdesk mailbox to email tickets to: set HELPBOT_SMTP_TO")
        if settings.attempts < 1:
            raise ConfigError(f"SMTP attempts must be at least 1, not {settings.attempts}")
        self._settings = settings
        self._ssl_context = ssl_context or ssl.create_default_context()
        self._sleep = sleep
        self._clock = clock
        # An explicit domain avoids make_msgid's slow reverse DNS lookup.
        self._message_id = message_id or (lambda domain: make_msgid(domain=domain))

    def send(self, ref: str, summary: str, body: str) -> Delivery:
        """Email ticket ``ref`` with subject ``[ref] summary`` and ``body`` as plain text.

        ``body`` must already be redacted. Tries up to ``settings.attempts`` times, waiting
        ``retry_delay * 2**n`` between tries; a permanent (5xx) refusal or an
        authentication failure stops at once. Never raises for delivery problems.
        """
        settings = self._settings
        message = self._message(ref, summary, body)
        error = ""
        attempt = 0
        while attempt < settings.attempts:
            if attempt:
                self._sleep(settings.retry_delay * 2 ** (attempt - 1))
            attempt += 1
            try:
                self._deliver(message)
            # SMTPException is an OSError; ValueError covers smtplib refusing to encode
            # non-ASCII credentials or addresses.
            except (OSError, ValueError) as exc:
                error, transient = _describe(exc)
                error = _one_line(error, secret=settings.password)
                if not transient:
                    break
            else:
                return Delivery(sent=True, attempts=attempt)
        log.warning(
            "ticket %s not emailed to %s after %d attempt(s): %s",
            _one_line(ref),
            settings.recipient,
            attempt,
            error,
        )
        return Delivery(sent=False, attempts=attempt, error=error)

    def _message(self, ref: str, summary: str, body: str) -> EmailMessage:
        settings = self._settings
        subject = _one_line(f"[{ref}] {summary}")
        if len(subject) > SUBJECT_LIMIT:
            subject = subject[: SUBJECT_LIMIT - 1].rstrip() + "…"
        domain = parseaddr(settings.sender)[1].rpartition("@")[2] or "localhost"
        message = EmailMessage()
        message["From"] = settings.sender
        message["To"] = settings.recipient
        message["Subject"] = subject
        message["Date"] = format_datetime(self._clock())
        # Built once and reused by every retry, so a copy that did arrive despite a
        # timeout carries the same Message-ID and the helpdesk can drop the duplicate.
        message["Message-ID"] = self._message_id(domain)
        message["X-Helpbot-Ticket"] = _one_line(ref)
        message.set_content(body)
        return message

    def _deliver(self, message: EmailMessage) -> None:
        settings = self._settings
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        try:
            if settings.starttls:
                smtp.starttls(context=self._ssl_context)
            if settings.username:
                smtp.login(settings.username, settings.password or "")
            smtp.send_message(message)
            # The message is accepted: a failed goodbye must not cause a retry and a
            # duplicate email.
            with suppress(OSError):
                smtp.quit()
        finally:
            smtp.close()


def _describe(exc: Exception) -> tuple[str, bool]:
    """One line on why an attempt failed, and whether trying again could help."""
    # SMTP exceptions are OSErrors too, so they are sorted out before the network errors.
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        # Retrying bad credentials cannot succeed and may lock the account.
        return f"authentication failed: {_reply(exc.smtp_code, exc.smtp_error)}", False
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"server replied {_reply(exc.smtp_code, exc.smtp_error)}", _is_4xx(exc.smtp_code)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        replies = [(code, _reply(code, text)) for code, text in exc.recipients.values()]
        transient = all(_is_4xx(code) for code, _ in replies)
        return "recipient refused: " + "; ".join(text for _, text in replies), transient
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return f"server disconnected: {str(exc) or 'connection closed'}", True
    if isinstance(exc, smtplib.SMTPException):
        # For example SMTPNotSupportedError: the server offers no STARTTLS or AUTH.
        return f"{type(exc).__name__}: {exc}", False
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"server certificate not trusted: {exc.verify_message or exc}", False
    if isinstance(exc, OSError):
        # Refused or reset connections, timeouts, DNS failures: the server may be back soon.
        return f"cannot reach the mail server: {type(exc).__name__}: {exc}", True
    return f"{type(exc).__name__}: {exc}", False


def _is_4xx(code: int) -> bool:
    return 400 <= code < 500


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {text}"


def _one_line(text: str, secret: str | None = None) -> str:
    if secret:
        text = text.replace(secret, "***")
    return " ".join(text.split())
