"""``helpbot teams``: serve the Teams app. Imports the Agents SDK only when it runs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.config import LOOPBACK_HOSTS, ConfigError, Settings, load_teams_settings


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    teams = sub.add_parser("teams", parents=[common], help="run the Microsoft Teams app")
    teams.add_argument("--port", type=int, default=3978, help="HTTP port (default 3978)")
    teams.add_argument("--host", default="0.0.0.0", help="address to listen on (default 0.0.0.0)")
    actions = teams.add_subparsers(dest="teams_action", metavar="ACTION")
    package = actions.add_parser("package", help="build the Teams app package (a zip)")
    package.add_argument("--app-id", required=True, help="the bot's Microsoft App ID (a GUID)")
    package.add_argument("--out", type=Path, default=Path("helpbot-teams.zip"), help="zip to write")
    package.add_argument("--publisher", default="helpbot", help="who publishes the app")
    for name in ("website", "privacy", "terms"):
        package.add_argument(
            f"--{name}", default="https://portal.nhs.net/", help=f"{name} page (https)"
        )


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.teams_action == "package":
        return _package(args)
    return _serve(args, settings)


def _package(args: argparse.Namespace) -> int:
    from bot.channels.teams.package import PackageInvalid, Publisher, build

    publisher = Publisher(args.publisher, args.website, args.privacy, args.terms)
    try:
        written = build(args.out, args.app_id, publisher)
    except PackageInvalid as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: cannot write {args.out}: {exc.strerror}", file=sys.stderr)
        return 2
    print(f"wrote {written}: upload it in Teams (Apps, Manage your apps) once approved")
    return 0


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from bot.wiring import build_engine

    try:
        teams = load_teams_settings()
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if teams.anonymous and args.host not in LOOPBACK_HOSTS:
        print(
            "error: HELPBOT_TEAMS_ANONYMOUS checks no tokens: serve it only on this machine "
            "(--host 127.0.0.1)",
            file=sys.stderr,
        )
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
