"""Serving the Teams app: ``POST /api/messages`` behind the Agents SDK's token check.

Every request must carry a Bot Connector token: the SDK's middleware checks its
signature against Microsoft's published keys, its audience (our app id), issuer and
expiry, and answers 401 otherwise, before anything of ours runs.
"""

from __future__ import annotations

import asyncio
import socket

from aiohttp import web

from bot.channels.teams.app import TeamsBot
from bot.config import TeamsSettings
from bot.core.engine import Engine

PATH = "/api/messages"


def use_test_keys(url: str) -> None:
    """Read the Bot Connector's signing keys from ``url`` (HELPBOT_TEAMS_TEST_JWKS_URL).

    For tests only, against a local fake: the SDK takes the keys' address for the Bot
    Connector's issuer from one table, read when a token is checked.
    """
    from microsoft_agents.hosting.core.authorization import _entra_issuers

    _entra_issuers.BOTFRAMEWORK_JWKS_URIS[_entra_issuers.BOTFRAMEWORK_PUBLIC_ISSUER] = url


def create_app(engine: Engine, settings: TeamsSettings, *, sync: bool = True) -> web.Application:
    """The aiohttp app of one worker; ``sync`` runs the runtime's news thread."""
    from microsoft_agents.hosting.aiohttp import jwt_authorization_middleware, start_agent_process

    if settings.jwks_url:
        use_test_keys(settings.jwks_url)
    bot = TeamsBot(engine, settings)
    app = web.Application(middlewares=[jwt_authorization_middleware])
    app["agent_configuration"] = bot.auth_configuration()

    async def messages(request: web.Request) -> web.StreamResponse:
        found = await start_agent_process(request, bot.app, bot.adapter)
        return found if found is not None else web.Response(status=202)

    async def started(_app: web.Application) -> None:
        bot.loop = asyncio.get_running_loop()
        if sync:
            bot.runtime.start()

    async def stopped(_app: web.Application) -> None:
        bot.runtime.stop()

    app.router.add_post(PATH, messages)
    app.on_startup.append(started)
    app.on_cleanup.append(stopped)
    return app


def listen(host: str, port: int) -> socket.socket:
    """The listening socket, bound before "serving" is said, so a client may connect at once."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family)


def serve(app: web.Application, *, sock: socket.socket) -> None:
    web.run_app(app, sock=sock, print=None, handle_signals=True, access_log=None)
