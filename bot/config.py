"""Every setting helpbot reads, from the environment, in one place (12-factor).

Command-line options override these; nothing else in the package reads ``os.environ``.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.errors import HelpbotError
from bot.hours import DEFAULT_HELPDESK_HOURS, BusinessHours, HoursInvalid

# The shipped content sits beside the package in a checkout (and in an editable install).
PROJECT_ROOT = Path(__file__).resolve().parent.parent
# One place whatever the folder a command runs from: beside the shipped content.
DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT_ROOT / 'helpbot.db'}"
DEFAULT_FLOW_TIMEOUT_MINUTES = 24 * 60
DEFAULT_DB_TIMEOUT_SECONDS = 3.0
# Slack's largest payloads (a modal's state, a long message) are tens of kilobytes.
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
# Acknowledged Slack requests a worker may hold before it refuses more: about half a
# second of its answers at the rates `helpbot bench --slack` measures on one core.
DEFAULT_SLACK_QUEUE = 100
# Trained models, beside the checkout (ignored by git); HELPBOT_MODEL_CACHE=off trains
# every time.
DEFAULT_MODEL_CACHE = PROJECT_ROOT / ".cache" / "models"


class ConfigError(HelpbotError):
    """A setting has a value helpbot cannot use; the message names the variable."""


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how ticket emails go (``bot.tickets.mailer``)."""

    host: str
    port: int = 587
    username: str | None = None
    # Kept out of repr so printing or logging the settings cannot leak it.
    password: str | None = field(default=None, repr=False)
    starttls: bool = True
    sender: str = "helpbot@localhost"
    recipient: str = ""
    timeout: float = 10.0
    attempts: int = 3
    retry_delay: float = 2.0


@dataclass(frozen=True)
class Settings:
    intents_dir: Path
    knowledge_dir: Path
    database_url: str
    log_level: str = "WARNING"
    flow_timeout: timedelta = timedelta(minutes=DEFAULT_FLOW_TIMEOUT_MINUTES)
    # None means the email route for tickets is off.
    smtp: SmtpSettings | None = None
    helpdesk_hours: BusinessHours = field(
        default_factory=lambda: BusinessHours.parse(DEFAULT_HELPDESK_HOURS)
    )
    # The largest HTTP request body the web front ends accept (413 above it).
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    # How long one database step may take before the bot answers without it.
    db_timeout: float = DEFAULT_DB_TIMEOUT_SECONDS
    # Where trained intent models are kept between processes; None trains every time.
    model_cache: Path | None = None
    # An answer's review against its source is due after this many months.
    review_months: int = 12
    # Development: reload the YAML whenever a file in the folders changes.
    watch: bool = False

    def with_overrides(self, **changes: object) -> Settings:
        """A copy with every non-None change applied (how CLI options win over the env)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    return Settings(
        intents_dir=Path(env.get("HELPBOT_INTENTS", PROJECT_ROOT / "intents")),
        knowledge_dir=Path(env.get("HELPBOT_KNOWLEDGE", PROJECT_ROOT / "knowledge")),
        database_url=env.get("DATABASE_URL", DEFAULT_DATABASE_URL),
        log_level=env.get("HELPBOT_LOG_LEVEL", "WARNING").upper(),
        flow_timeout=timedelta(
            minutes=_positive(env, "HELPBOT_FLOW_TIMEOUT_MINUTES", DEFAULT_FLOW_TIMEOUT_MINUTES)
        ),
        smtp=_load_smtp(env),
        helpdesk_hours=_hours(env.get("HELPBOT_HELPDESK_HOURS") or DEFAULT_HELPDESK_HOURS),
        max_body_bytes=_whole(env, "HELPBOT_MAX_BODY_BYTES", low=1024) or DEFAULT_MAX_BODY_BYTES,
        db_timeout=_positive(
            env, "HELPBOT_DB_TIMEOUT_SECONDS", DEFAULT_DB_TIMEOUT_SECONDS, unit="seconds"
        ),
        model_cache=_folder_or_off(env, "HELPBOT_MODEL_CACHE", DEFAULT_MODEL_CACHE),
        review_months=_whole(env, "HELPBOT_REVIEW_MONTHS", low=1, high=120) or 12,
        watch=bool(_flag(env, "HELPBOT_WATCH")),
    )


def _folder_or_off(env: Mapping[str, str], name: str, default: Path) -> Path | None:
    value = env.get(name)
    if value is None:
        return default
    if value.strip().lower() in ("", "off", "none", "0", "false"):
        return None
    return Path(value)


def _hours(spec: str) -> BusinessHours:
    try:
        return BusinessHours.parse(spec)
    except HoursInvalid as exc:
        raise ConfigError(f"HELPBOT_HELPDESK_HOURS: {exc}") from None


def _positive(env: Mapping[str, str], name: str, default: float, unit: str = "minutes") -> float:
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise ConfigError(f"{name} must be a number of {unit} above 0, not {raw!r}")
    return value


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _load_smtp(env: Mapping[str, str]) -> SmtpSettings | None:
    host = env.get("HELPBOT_SMTP_HOST", "").strip()
    if not host:
        return None
    recipient = env.get("HELPBOT_SMTP_TO", "").strip()
    if not recipient:
        raise ConfigError(
            "HELPBOT_SMTP_TO must name the helpdesk mailbox when HELPBOT_SMTP_HOST is set"
        )
    # Only the variables that are set are passed, so the defaults live in SmtpSettings alone.
    given: dict[str, Any] = {
        "port": _whole(env, "HELPBOT_SMTP_PORT", low=1, high=65535),
        "username": env.get("HELPBOT_SMTP_USER", "").strip() or None,
        # Not stripped: spaces can be part of a password.
        "password": env.get("HELPBOT_SMTP_PASSWORD") or None,
        "starttls": _flag(env, "HELPBOT_SMTP_STARTTLS"),
        "sender": env.get("HELPBOT_SMTP_FROM", "").strip() or None,
        "attempts": _whole(env, "HELPBOT_SMTP_ATTEMPTS", low=1),
        "retry_delay": _seconds(env, "HELPBOT_SMTP_RETRY_DELAY"),
    }
    return SmtpSettings(
        host=host,
        recipient=recipient,
        **{k: v for k, v in given.items() if v is not None},
    )


def _whole(env: Mapping[str, str], name: str, *, low: int, high: int | None = None) -> int | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if value < low or (high is not None and value > high):
        limits = f"from {low} to {high}" if high is not None else f"of at least {low}"
        raise ConfigError(f"{name} must be a whole number {limits}, not {raw!r}")
    return value


def _seconds(env: Mapping[str, str], name: str) -> float | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not (math.isfinite(value) and value >= 0):
        raise ConfigError(f"{name} must be a number of seconds, 0 or more, not {raw!r}")
    return value


def _flag(env: Mapping[str, str], name: str) -> bool | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise ConfigError(f"{name} must be true/false, yes/no or 1/0, not {raw!r}")


def usable_cpus() -> int:
    """The CPUs this process may run on (a container's share, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


@dataclass(frozen=True)
class SlackSettings:
    """What the Slack app needs (``helpbot slack``); secrets are kept out of repr."""

    bot_token: str = field(repr=False)
    signing_secret: str | None = field(default=None, repr=False)
    app_token: str | None = field(default=None, repr=False)
    api_base_url: str | None = None
    helpdesk_channel: str = ""
    admin_users: frozenset[str] = frozenset()
    # gunicorn worker processes (WEB_CONCURRENCY, as Heroku sets it): one per CPU.
    workers: int = field(default_factory=usable_cpus)
    # Requests each worker has acknowledged and not yet answered, at most; past it they
    # are refused, and Slack sends them again (HELPBOT_SLACK_QUEUE).
    queue: int = DEFAULT_SLACK_QUEUE


SLACK_VARIABLES = {
    "SLACK_BOT_TOKEN": "the bot token (xoxb-...) from OAuth & Permissions",
    "SLACK_SIGNING_SECRET": "the signing secret from Basic Information",
    "SLACK_APP_TOKEN": "an app-level token (xapp-...) with connections:write",
    "SLACK_HELPDESK_CHANNEL": "the id (C...) of the channel where tickets are posted",
}


def load_slack_settings(
    environ: Mapping[str, str] | None = None, *, socket_mode: bool = False
) -> SlackSettings:
    """The Slack settings; a missing one raises ``ConfigError`` naming the variable."""
    env = os.environ if environ is None else environ

    def required(name: str) -> str:
        value = env.get(name, "").strip()
        if not value:
            raise ConfigError(f"{name} is not set: it must hold {SLACK_VARIABLES[name]}")
        return value

    bot_token = required("SLACK_BOT_TOKEN")
    # Socket Mode requests come over a websocket the app opened, so they are not signed.
    signing_secret = None if socket_mode else required("SLACK_SIGNING_SECRET")
    app_token = required("SLACK_APP_TOKEN") if socket_mode else None
    if app_token is not None and not app_token.startswith("xapp-"):
        raise ConfigError(
            "SLACK_APP_TOKEN must be an app-level token starting xapp- (Basic Information, "
            "App-Level Tokens), not the bot token"
        )
    channel = required("SLACK_HELPDESK_CHANNEL")
    base_url = env.get("SLACK_API_BASE_URL", "").strip() or None
    if base_url is not None:
        if not base_url.startswith(("http://", "https://")):
            raise ConfigError(f"SLACK_API_BASE_URL must be an http(s) URL, not {base_url!r}")
        base_url = base_url.rstrip("/") + "/"  # the SDK joins method names onto it
    admins = frozenset(u for u in re.split(r"[\s,]+", env.get("SLACK_ADMIN_USERS", "")) if u)
    workers = _whole(env, "WEB_CONCURRENCY", low=1, high=64) or usable_cpus()
    queue = _whole(env, "HELPBOT_SLACK_QUEUE", low=1, high=100_000) or DEFAULT_SLACK_QUEUE
    return SlackSettings(
        bot_token, signing_secret, app_token, base_url, channel, admins, workers, queue
    )


@dataclass(frozen=True)
class WebSettings:
    """What the public web chat needs (``helpbot web``); the secret is kept out of repr."""

    # The one origin the page is served from (scheme://host[:port]); requests that change
    # something must come from it, which stops other sites posting as a visitor.
    public_origin: str
    # Signs the visitor cookie; every worker must share it or visitors lose their chat.
    cookie_secret: bytes = field(repr=False)
    # Browsers drop Secure cookies on plain http, so local http runs turn it off.
    secure_cookie: bool = True
    messages_per_minute_per_ip: int = 60
    messages_per_minute_per_visitor: int = 20
    tickets_per_hour_per_ip: int = 3
    workers: int = 2
    generated_secret: bool = False  # no HELPBOT_WEB_SECRET: made up for this process


def load_web_settings(
    environ: Mapping[str, str] | None = None, *, host: str = "127.0.0.1", port: int = 8000
) -> WebSettings:
    """The web chat's settings; without HELPBOT_WEB_ORIGIN the page's own local address."""
    env = os.environ if environ is None else environ
    origin = env.get("HELPBOT_WEB_ORIGIN", "").strip().rstrip("/")
    if not origin:
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ConfigError(
                "HELPBOT_WEB_ORIGIN is not set: when serving beyond this machine it must be "
                "the page's public address, e.g. https://help.example.org"
            )
        origin = f"http://{host}:{port}"
    if not re.fullmatch(r"https?://[A-Za-z0-9.\-\[\]:]+", origin):
        raise ConfigError(
            f"HELPBOT_WEB_ORIGIN must be scheme://host[:port] with no path, not {origin!r}"
        )
    workers = _whole(env, "WEB_CONCURRENCY", low=1, high=64) or 2
    raw_secret = env.get("HELPBOT_WEB_SECRET", "")
    if raw_secret and len(raw_secret) < 32:
        raise ConfigError("HELPBOT_WEB_SECRET must be at least 32 characters of random text")
    secure = _flag(env, "HELPBOT_WEB_SECURE_COOKIE")
    return WebSettings(
        public_origin=origin,
        cookie_secret=raw_secret.encode() if raw_secret else os.urandom(32),
        secure_cookie=origin.startswith("https://") if secure is None else secure,
        messages_per_minute_per_ip=_whole(env, "HELPBOT_WEB_IP_PER_MINUTE", low=1) or 60,
        messages_per_minute_per_visitor=(
            _whole(env, "HELPBOT_WEB_VISITOR_PER_MINUTE", low=1) or 20
        ),
        tickets_per_hour_per_ip=_whole(env, "HELPBOT_WEB_TICKETS_PER_HOUR", low=1) or 3,
        workers=workers,
        generated_secret=not raw_secret,
    )


# The Microsoft 365 Agents SDK's own names for the bot's Azure identity, so that its
# documentation and Azure's deployment templates apply as they are.
TEAMS_PREFIX = "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__"
TEAMS_VARIABLES = {
    "CLIENTID": "the bot's Microsoft App ID (Azure Bot resource, Configuration)",
    "TENANTID": "the Microsoft Entra tenant id of the single-tenant bot registration",
    "CLIENTSECRET": "a client secret of the bot's app registration (or set AUTHTYPE)",
    "CERTPFXFILE": "the certificate file of the bot's app registration",
    "CERTSUBJECTNAME": "the subject name of the bot's certificate",
    "FEDERATEDCLIENTID": "the managed identity's client id for the federated credential",
    "FEDERATEDTOKENFILE": "the file holding the workload identity's token",
}
# Each way the SDK signs in as the bot, and the setting it needs besides the app id.
TEAMS_AUTH_TYPES = {
    "ClientSecret": "CLIENTSECRET",
    "certificate": "CERTPFXFILE",
    "CertificateSubjectName": "CERTSUBJECTNAME",
    "UserManagedIdentity": None,
    "SystemManagedIdentity": None,
    "FederatedCredentials": "FEDERATEDCLIENTID",
    "WorkloadIdentity": "FEDERATEDTOKENFILE",
}
# The Bot Connector's hosts in the public cloud: replies go only to these and to hosts
# added on purpose (a forged serviceUrl would otherwise receive the bot's access token).
TEAMS_SERVICE_HOSTS = ("smba.trafficmanager.net", "botframework.com")
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True)
class TeamsSettings:
    """What ``helpbot teams`` needs; ``sdk`` is the environment the Agents SDK reads."""

    client_id: str | None
    tenant_id: str | None
    auth_type: str
    sdk: Mapping[str, str] = field(repr=False)
    anonymous: bool = False  # development only: no tokens checked or sent
    service_hosts: tuple[str, ...] = TEAMS_SERVICE_HOSTS
    # Tests only: where the signing keys of incoming tokens are read (a local fake).
    jwks_url: str | None = None


def load_teams_settings(environ: Mapping[str, str] | None = None) -> TeamsSettings:
    """The Teams settings; a missing one raises ``ConfigError`` naming the variable."""
    env = os.environ if environ is None else environ

    def setting(name: str) -> str | None:
        return env.get(TEAMS_PREFIX + name, "").strip() or None

    def required(name: str) -> str:
        value = setting(name)
        if value is None:
            raise ConfigError(
                f"{TEAMS_PREFIX}{name} is not set: it must hold {TEAMS_VARIABLES[name]}"
            )
        return value

    sdk = {k: v for k, v in env.items() if k.startswith("CONNECTIONS__")}
    extra = tuple(h for h in re.split(r"[\s,]+", env.get("HELPBOT_TEAMS_SERVICE_HOSTS", "")) if h)
    jwks_url = env.get("HELPBOT_TEAMS_TEST_JWKS_URL", "").strip() or None
    if jwks_url is not None:
        # Trusting other keys is trusting any token: never anywhere but this machine.
        found = re.match(r"https?://(\[[^\]]+\]|[^/:]+)", jwks_url)
        if found is None or found[1].strip("[]") not in LOOPBACK_HOSTS:
            raise ConfigError(
                "HELPBOT_TEAMS_TEST_JWKS_URL is for tests on this machine only: it must be "
                f"a loopback address, not {jwks_url!r}; unset it in production"
            )
    common = {"service_hosts": TEAMS_SERVICE_HOSTS + extra, "jwks_url": jwks_url}
    if _flag(env, "HELPBOT_TEAMS_ANONYMOUS"):
        return TeamsSettings(None, None, "anonymous", sdk, True, **common)
    client_id, tenant_id = required("CLIENTID"), required("TENANTID")
    auth_type = setting("AUTHTYPE") or "ClientSecret"
    if auth_type not in TEAMS_AUTH_TYPES:
        raise ConfigError(
            f"{TEAMS_PREFIX}AUTHTYPE must be one of {', '.join(TEAMS_AUTH_TYPES)}, "
            f"not {auth_type!r}"
        )
    needed = TEAMS_AUTH_TYPES[auth_type]
    if needed is not None:
        required(needed)
    return TeamsSettings(client_id, tenant_id, auth_type, sdk, **common)
