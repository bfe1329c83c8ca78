"""Running the web chat with uvicorn: one process in development, several in production.

``helpbot web`` checks the settings, the YAML and the database once in the parent, so a
mistake is one clear line and exit code 2. With several workers each builds its own
engine from the same environment (uvicorn starts them fresh, nothing is inherited).
"""

from __future__ import annotations

import socket
from typing import Any

from bot.channels.web.app import create_app
from bot.config import load_settings, load_web_settings
from bot.wiring import build_engine

_OPTIONS: dict[str, Any] = {
    "log_level": "warning",
    "proxy_headers": True,  # behind the TLS proxy: the visitor's address, not the proxy's
    "server_header": False,
}


def worker_app() -> Any:
    """The app of one uvicorn worker (``--workers`` above 1), from the environment."""
    return create_app(build_engine(load_settings()), load_web_settings(), sync=True)


def listen(host: str, port: int) -> socket.socket:
    """The listening socket, bound before anything is announced: a client told "ready"
    can connect at once (its connection waits in the backlog until uvicorn takes it)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family)


def serve(app: Any, *, sock: socket.socket) -> None:
    """One process serving ``app`` on ``sock``."""
    import uvicorn

    uvicorn.Server(uvicorn.Config(app, **_OPTIONS)).run(sockets=[sock])


def serve_workers(*, host: str, port: int, workers: int) -> None:
    """Several processes; each builds its own engine (``worker_app``) from the environment."""
    import uvicorn

    uvicorn.run(
        "bot.channels.web.server:worker_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        **_OPTIONS,
    )
