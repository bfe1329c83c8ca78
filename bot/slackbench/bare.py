"""The yardstick: a bolt app that only acknowledges, served exactly as ``helpbot slack`` is.

``python -m bot.slackbench.bare PORT`` with the usual SLACK_* variables. Its ``App`` has
the Slack app's settings (signature checks, acknowledge-before-work, no token check at
start) and gunicorn the same options (``server.gunicorn_options``); its one listener
acknowledges a message event and does nothing else.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.channels.slack.app import make_client, quiet_bolt_logger
from bot.channels.slack.server import PATH, gunicorn_options, run_gunicorn
from bot.config import load_slack_settings


def bare_app() -> SlackRequestHandler:
    slack = load_slack_settings()
    app = App(
        client=make_client(slack),
        signing_secret=slack.signing_secret or "",
        process_before_response=True,
        token_verification_enabled=False,
        logger=quiet_bolt_logger(),
    )

    def only_ack(ack: Callable[[], None]) -> None:
        ack()

    app.event("message")(only_ack)
    return SlackRequestHandler(app, path=PATH)


if __name__ == "__main__":
    run_gunicorn(gunicorn_options("127.0.0.1", int(sys.argv[1]), 1, "warning"), bare_app)
