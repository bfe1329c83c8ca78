"""``helpbot teams``: serve the Teams app. Imports the Agents SDK only when it runs."""

from __future__ import annotations

import argparse
import sys

from bot.config import ConfigError, Settings, load_teams_settings


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    teams = sub.add_parser("teams", parents=[common], help="run the Microsoft Teams app")
    teams.add_argument("--port", type=int, default=3978, help="HTTP port (default 3978)")
    teams.add_argument("--host", default="0.0.0.0", help="address to listen on (default 0.0.0.0)")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.wiring import build_engine

    try:
        teams = load_teams_settings()
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from bot.channels.teams import server  # the Agents SDK and aiohttp load only here

    engine = build_engine(settings)  # the YAML and the database, checked before serving
    try:
        sock = server.listen(args.host, args.port)
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 2
    mode = "anonymous (development only)" if teams.anonymous else f"app {teams.client_id}"
    print(
        f"helpbot: Teams {mode} on http://{args.host}:{args.port}{server.PATH}",
        file=sys.stderr,
        flush=True,
    )
    server.serve(server.create_app(engine, teams), sock=sock)
    return 0
