"""Running the Slack app: HTTP behind gunicorn (production), or Socket Mode (development).

``helpbot slack`` checks the settings, the YAML, the database and the token once, in the
parent process, so that a mistake is one clear line and exit code 2 rather than a
traceback per worker; then each gunicorn worker builds its own app.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from http.client import HTTPException
from typing import Any
from urllib.error import URLError

from slack_sdk.errors import SlackApiError, SlackClientError

from bot.channels.bodylimit import BodyLimit, WSGIApp
from bot.channels.slack.app import NICER, SlackBot, make_client
from bot.channels.slack.backlog import give_way
from bot.channels.slack.gate import BacklogGate
from bot.channels.slack.guard import ParsedRequestHandler, SlackGuard
from bot.config import ConfigError, Settings, SlackSettings
from bot.content.loader import Content
from bot.wiring import build_engine

log = logging.getLogger(__name__)
# The start-up check's client: the SDK logs an error for each failed attempt, and the
# one line ``check_token`` raises says what they would (its debug records still pass).
_CHECKING = logging.getLogger(f"{__name__}.token_check")
_CHECKING.addFilter(lambda record: record.levelno < logging.ERROR)

DEFAULT_PORT = 3000
PATH = "/slack/events"
GRACE_SECONDS = 10  # gunicorn's graceful_timeout: then the worker is killed
DRAIN_SECONDS = GRACE_SECONDS / 2  # the rest is for requests still being read


def check_token(slack: SlackSettings) -> str:
    """Ask Slack who the token belongs to; ``ConfigError`` if it is refused or unreachable.

    The SDK tries an unreachable API again; the one line this raises says why it gave up.
    """
    try:
        found = make_client(slack, logger=_CHECKING).auth_test()
    except SlackApiError as exc:
        raise ConfigError(
            f"SLACK_BOT_TOKEN was refused by Slack ({exc.response.get('error')})"
        ) from None
    except (SlackClientError, OSError, HTTPException) as exc:
        # HTTPException: something that is not an HTTP server answered there.
        where = slack.api_base_url or "https://slack.com/api/"
        # urllib's wrapper ("<urlopen error ...>") says nothing its reason does not.
        reason = exc.reason if isinstance(exc, URLError) else exc
        why = str(reason) or type(reason).__name__  # a reset or a timeout may say nothing
        raise ConfigError(f"cannot reach the Slack Web API at {where}: {why}") from None
    return f"{found.get('user', '?')} ({found.get('user_id', '?')}) in {found.get('team', '?')}"


def build_bot(
    settings: Settings,
    slack: SlackSettings,
    *,
    socket_mode: bool = False,
    fallback: Content | None = None,
) -> SlackBot:
    bot = SlackBot(build_engine(settings, fallback=fallback), slack, socket_mode=socket_mode)
    bot.runtime.start()
    return bot


def http_app(bot: SlackBot, settings: Settings, slack: SlackSettings) -> WSGIApp:
    """bolt's WSGI handler behind the body cap, the guard and the backlog's gate: what
    gunicorn serves."""
    handler = BacklogGate(ParsedRequestHandler(bot.app, path=PATH), bot.backlog)
    guarded = SlackGuard(handler, slack.signing_secret or "", PATH)
    return BodyLimit(guarded, settings.max_body_bytes)


def serve_http(
    settings: Settings,
    slack: SlackSettings,
    *,
    host: str,
    port: int,
    workers: int,
    content: Content | None = None,
) -> None:
    """Serve ``/slack/events`` with gunicorn: ``workers`` processes, threads in each.

    ``content`` is the YAML as checked at start, kept in this (the parent) process: a
    worker started later, when the files on disk may be broken, answers from it rather
    than failing to boot (after which gunicorn would stop every worker).
    """
    built: list[SlackBot] = []

    def load() -> WSGIApp:
        # In each worker, after the fork: its own app, database pool, backlog and sync thread.
        built.append(build_bot(settings, slack, fallback=content))
        # This thread serves requests and starts gunicorn's threads that serve them: all
        # give way to the backlog's thinking thread, started above.
        give_way(NICER)
        return http_app(built[-1], settings, slack)

    def finish(_arbiter: object, _worker: object) -> None:
        # Told to stop (a deploy, a scale-down): what was acknowledged is still answered,
        # within gunicorn's grace period. A worker killed outright loses it (at most the
        # backlog's limit): Slack does not send an acknowledged event again.
        for bot in built:
            bot.stop(wait=DRAIN_SECONDS)

    options = gunicorn_options(host, port, workers, settings.log_level)
    run_gunicorn({**options, "worker_exit": finish}, load)


def gunicorn_options(host: str, port: int, workers: int, log_level: str) -> dict[str, Any]:
    """How gunicorn serves the Slack app (and the bare bolt app it is measured against)."""
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": 8,
        "timeout": 30,
        "graceful_timeout": GRACE_SECONDS,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": log_level.lower(),
        # No control socket: one fixed path per user clashes between instances.
        "control_socket_disable": True,
    }


def run_gunicorn(options: dict[str, Any], load: Callable[[], WSGIApp]) -> None:
    """Serve the app ``load`` builds (once in each worker, after the fork) until stopped."""
    from gunicorn.app.base import BaseApplication

    class Gunicorn(BaseApplication):
        def load_config(self) -> None:
            for key, value in options.items():
                if key in self.cfg.settings:  # older gunicorns lack some settings
                    self.cfg.set(key, value)

        def load(self) -> WSGIApp:
            return load()

    Gunicorn().run()


def serve_socket(settings: Settings, slack: SlackSettings) -> None:
    """Socket Mode: no public URL needed, for development (one process)."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    bot = build_bot(settings, slack, socket_mode=True)
    try:
        SocketModeHandler(bot.app, slack.app_token).start()
    except SlackApiError as exc:
        raise ConfigError(
            f"SLACK_APP_TOKEN was refused by Slack ({exc.response.get('error')})"
        ) from None
