"""Ticket emails against a real SMTP server (aiosmtpd) on loopback, and their settings."""

from __future__ import annotations

import logging
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from conftest import Inbox, free_port

from bot.config import ConfigError, SmtpSettings, load_settings
from bot.tickets.mailer import SUBJECT_LIMIT, Delivery, TicketMailer

USER = "helpbot"
PASSWORD = "s3cret-Pa55"
BODY = "User: [name]\nI cannot log in to NHSmail on my phone.\n"


def _authenticate(
    server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == USER.encode()
        and auth_data.password == PASSWORD.encode()
    )
    # handled=False makes aiosmtpd send the 535 reply itself.
    return AuthResult(success=ok, handled=False)


@dataclass(frozen=True)
class TlsServer:
    port: int
    inbox: Inbox
    # A client context that trusts the server's self-signed certificate.
    trusting: ssl.SSLContext


@pytest.fixture
def tls_server(serve: Callable[..., int], certificate: tuple[Path, Path]) -> TlsServer:
    """A server that insists on STARTTLS and then AUTH, as NHSmail's relay does."""
    cert, key = certificate
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    inbox = Inbox()
    port = serve(
        inbox,
        tls_context=server_context,
        require_starttls=True,
        auth_required=True,
        authenticator=_authenticate,
    )
    return TlsServer(port, inbox, ssl.create_default_context(cafile=str(cert)))


def _settings(port: int, **changes: Any) -> SmtpSettings:
    settings = SmtpSettings(
        host="127.0.0.1",
        port=port,
        starttls=False,
        sender="helpbot@nhs.example",
        recipient="helpdesk@nhs.example",
        timeout=2.0,
        attempts=3,
        retry_delay=0.5,
    )
    return replace(settings, **changes)


def _mailer(settings: SmtpSettings, sleeps: list[float], **kwargs: Any) -> TicketMailer:
    return TicketMailer(settings, sleep=sleeps.append, **kwargs)


def test_ticket_email_arrives_with_ref_subject_and_body(serve: Callable[..., int]) -> None:
    inbox = Inbox()
    port = serve(inbox)
    sleeps: list[float] = []

    delivery = _mailer(_settings(port), sleeps).send("HB-1042", "Cannot log in on phone", BODY)

    assert delivery == Delivery(sent=True, attempts=1)
    assert sleeps == []
    [message] = inbox.received
    assert message["Subject"] == "[HB-1042] Cannot log in on phone"
    assert message["From"] == "helpbot@nhs.example"
    assert message["To"] == "helpdesk@nhs.example"
    assert message["X-Helpbot-Ticket"] == "HB-1042"
    assert message["Message-ID"].endswith("@nhs.example>")
    assert message.get_content_type() == "text/plain"
    # Lines arrive with SMTP's CRLF endings.
    assert message.get_content().replace("\r\n", "\n") == BODY


def test_email_is_dated_by_the_injected_clock_not_the_wall_clock(
    serve: Callable[..., int],
) -> None:
    inbox = Inbox()
    when = datetime(2031, 7, 4, 9, 15, tzinfo=UTC)
    mailer = _mailer(_settings(serve(inbox)), [], clock=lambda: when)

    mailer.send("HB-7", "Locked out", BODY)

    [message] = inbox.received
    assert parsedate_to_datetime(message["Date"]) == when


def test_message_id_maker_can_be_injected(serve: Callable[..., int]) -> None:
    inbox = Inbox()
    mailer = _mailer(_settings(serve(inbox)), [], message_id=lambda domain: f"<t1@{domain}>")

    mailer.send("HB-8", "Locked out", BODY)

    assert inbox.received[0]["Message-ID"] == "<t1@nhs.example>"


def test_subject_is_one_line_and_capped(serve: Callable[..., int]) -> None:
    inbox = Inbox()
    port = serve(inbox)
    summary = "Outlook\r\nkeeps asking\nfor my password " + "x" * 300

    delivery = _mailer(_settings(port), []).send("HB-7", summary, BODY)

    assert delivery.sent
    subject = inbox.received[0]["Subject"]
    assert subject.startswith("[HB-7] Outlook keeps asking for my password x")
    assert "\n" not in subject and "\r" not in subject
    assert len(subject) <= SUBJECT_LIMIT


def test_temporary_refusal_is_retried_and_delivered_once(serve: Callable[..., int]) -> None:
    inbox = Inbox("451 4.3.0 try again later")
    port = serve(inbox)
    sleeps: list[float] = []

    delivery = _mailer(_settings(port), sleeps).send("HB-2", "Shared mailbox missing", BODY)

    assert delivery == Delivery(sent=True, attempts=2)
    assert sleeps == [0.5]
    assert inbox.data_calls == 2
    assert len(inbox.received) == 1


def test_server_that_always_defers_gives_up_without_raising(
    serve: Callable[..., int], caplog: pytest.LogCaptureFixture
) -> None:
    inbox = Inbox(then="451 4.3.0 try again later")
    port = serve(inbox)
    sleeps: list[float] = []
    settings = _settings(port)

    with caplog.at_level(logging.WARNING, logger="bot.tickets.mailer"):
        delivery = _mailer(settings, sleeps).send("HB-3", "Teams will not start", BODY)

    assert not delivery.sent
    assert delivery.attempts == settings.attempts == inbox.data_calls
    assert delivery.error is not None and "451" in delivery.error
    assert "\n" not in delivery.error
    # Backs off exponentially between tries, not after the last one.
    assert sleeps == [0.5, 1.0]
    [record] = caplog.records
    assert "HB-3" in record.getMessage() and "451" in record.getMessage()
    assert "cannot log in" not in record.getMessage()
    assert inbox.received == []


def test_permanent_rejection_stops_after_one_attempt(serve: Callable[..., int]) -> None:
    inbox = Inbox(then="550 5.7.1 message refused")
    port = serve(inbox)
    sleeps: list[float] = []

    delivery = _mailer(_settings(port), sleeps).send("HB-4", "Spam filter", BODY)

    assert delivery.sent is False
    assert delivery.attempts == 1
    assert delivery.error is not None and "550" in delivery.error
    assert sleeps == []
    assert inbox.data_calls == 1


def test_no_server_listening_fails_quickly(caplog: pytest.LogCaptureFixture) -> None:
    settings = _settings(free_port(), timeout=1.0)
    sleeps: list[float] = []
    started = time.monotonic()

    with caplog.at_level(logging.WARNING, logger="bot.tickets.mailer"):
        delivery = _mailer(settings, sleeps).send("HB-5", "Anything", BODY)

    assert time.monotonic() - started < 3
    assert not delivery.sent
    # A refused connection may be a restarting relay, so it is retried.
    assert delivery.attempts == settings.attempts
    assert delivery.error is not None and "cannot reach the mail server" in delivery.error
    assert len(caplog.records) == 1


def test_starttls_and_login_deliver(
    tls_server: TlsServer, caplog: pytest.LogCaptureFixture
) -> None:
    settings = _settings(tls_server.port, starttls=True, username=USER, password=PASSWORD)
    mailer = _mailer(settings, [], ssl_context=tls_server.trusting)

    with caplog.at_level(logging.DEBUG):
        delivery = mailer.send("HB-6", "Over TLS", BODY)

    assert delivery == Delivery(sent=True, attempts=1)
    [message] = tls_server.inbox.received
    assert message["Subject"] == "[HB-6] Over TLS"
    assert PASSWORD not in caplog.text


def test_wrong_password_stops_after_one_attempt_without_leaking_it(
    tls_server: TlsServer, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "not-the-" + PASSWORD
    settings = _settings(tls_server.port, starttls=True, username=USER, password=wrong)
    sleeps: list[float] = []
    mailer = _mailer(settings, sleeps, ssl_context=tls_server.trusting)

    with caplog.at_level(logging.DEBUG):
        delivery = mailer.send("HB-8", "Wrong password", BODY)

    assert not delivery.sent
    assert delivery.attempts == 1
    assert delivery.error is not None and "authentication failed" in delivery.error
    assert wrong not in delivery.error and wrong not in caplog.text
    assert sleeps == []
    assert tls_server.inbox.received == []


def test_untrusted_certificate_is_not_retried(tls_server: TlsServer) -> None:
    # The system's default context does not trust our self-signed certificate.
    settings = _settings(tls_server.port, starttls=True, username=USER, password=PASSWORD)

    delivery = _mailer(settings, []).send("HB-9", "Untrusted", BODY)

    assert not delivery.sent
    assert delivery.attempts == 1
    assert delivery.error is not None and "certificate" in delivery.error


def test_credentials_are_never_sent_without_tls(tls_server: TlsServer) -> None:
    settings = _settings(tls_server.port, starttls=False, username=USER, password=PASSWORD)

    delivery = _mailer(settings, []).send("HB-10", "Plain text", BODY)

    # The server offers AUTH only after STARTTLS, so smtplib refuses to try the login.
    assert not delivery.sent
    assert delivery.attempts == 1
    assert tls_server.inbox.received == []


def test_mailer_without_a_recipient_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="HELPBOT_SMTP_TO"):
        TicketMailer(SmtpSettings(host="127.0.0.1"))


# Settings


def test_email_route_is_off_without_a_host() -> None:
    assert load_settings({}).smtp is None
    assert load_settings({"HELPBOT_SMTP_HOST": "  ", "HELPBOT_SMTP_TO": "a@b"}).smtp is None


def test_smtp_settings_are_read_from_the_environment() -> None:
    env = {
        "HELPBOT_SMTP_HOST": "send.nhs.net",
        "HELPBOT_SMTP_PORT": "25",
        "HELPBOT_SMTP_USER": "helpbot@nhs.net",
        "HELPBOT_SMTP_PASSWORD": PASSWORD,
        "HELPBOT_SMTP_STARTTLS": "no",
        "HELPBOT_SMTP_FROM": "Helpbot <helpbot@nhs.net>",
        "HELPBOT_SMTP_TO": "helpdesk@nhs.net",
        "HELPBOT_SMTP_ATTEMPTS": "5",
        "HELPBOT_SMTP_RETRY_DELAY": "0.25",
    }

    assert load_settings(env).smtp == SmtpSettings(
        host="send.nhs.net",
        port=25,
        username="helpbot@nhs.net",
        password=PASSWORD,
        starttls=False,
        sender="Helpbot <helpbot@nhs.net>",
        recipient="helpdesk@nhs.net",
        attempts=5,
        retry_delay=0.25,
    )


def test_smtp_defaults_apply_when_only_host_and_mailbox_are_set() -> None:
    env = {"HELPBOT_SMTP_HOST": "send.nhs.net", "HELPBOT_SMTP_TO": "helpdesk@nhs.net"}

    assert load_settings(env).smtp == SmtpSettings(
        host="send.nhs.net", recipient="helpdesk@nhs.net"
    )


def test_host_without_mailbox_is_a_config_error_naming_it() -> None:
    with pytest.raises(ConfigError, match="HELPBOT_SMTP_TO"):
        load_settings({"HELPBOT_SMTP_HOST": "send.nhs.net"})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("HELPBOT_SMTP_PORT", "smtp"),
        ("HELPBOT_SMTP_PORT", "70000"),
        ("HELPBOT_SMTP_PORT", "0"),
        ("HELPBOT_SMTP_STARTTLS", "maybe"),
        ("HELPBOT_SMTP_ATTEMPTS", "0"),
        ("HELPBOT_SMTP_ATTEMPTS", "2.5"),
        ("HELPBOT_SMTP_RETRY_DELAY", "-1"),
        ("HELPBOT_SMTP_RETRY_DELAY", "soon"),
        ("HELPBOT_SMTP_RETRY_DELAY", "nan"),
    ],
)
def test_bad_smtp_value_is_a_config_error_naming_the_variable(name: str, value: str) -> None:
    env = {"HELPBOT_SMTP_HOST": "send.nhs.net", "HELPBOT_SMTP_TO": "helpdesk@nhs.net", name: value}

    with pytest.raises(ConfigError, match=name):
        load_settings(env)


def test_password_is_not_in_the_settings_repr() -> None:
    env = {
        "HELPBOT_SMTP_HOST": "send.nhs.net",
        "HELPBOT_SMTP_TO": "helpdesk@nhs.net",
        "HELPBOT_SMTP_PASSWORD": PASSWORD,
    }

    settings = load_settings(env)

    assert settings.smtp is not None and settings.smtp.password == PASSWORD
    assert PASSWORD not in repr(settings)
