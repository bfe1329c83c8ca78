"""The ``helpbot`` command. Thin: it parses options and calls the core.

Standard output carries only replies and reports; logs go to standard error.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TextIO

from bot import admin_cli, review_cli
from bot import benchcli as bench_cli
from bot.channels import console
from bot.channels.teams import command as teams_cli
from bot.config import (
    PROJECT_ROOT,
    ConfigError,
    Settings,
    WebSettings,
    load_settings,
    load_slack_settings,
    load_web_settings,
)
from bot.content.loader import ContentInvalid
from bot.core.engine import Engine
from bot.core.flows import start_value
from bot.core.messages import Message, Reply
from bot.runtime import Runtime
from bot.store import Store, StoreUnavailable
from bot.store.db import sqlite_file
from bot.tickets import cli as tickets_cli
from bot.wiring import build_engine

log = logging.getLogger("bot.cli")
CHAT_USER = "cli"  # the person at the terminal


def _global_options(parser: argparse.ArgumentParser, default: object) -> None:
    parser.add_argument(
        "--intents", type=Path, default=default, help="intents folder (HELPBOT_INTENTS)"
    )
    parser.add_argument(
        "--knowledge", type=Path, default=default, help="knowledge folder (HELPBOT_KNOWLEDGE)"
    )
    parser.add_argument("--database", default=default, help="database URL (DATABASE_URL)")
    parser.add_argument("-v", "--verbose", action="store_true", default=default, help="log more")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="helpbot", description="NHSmail helpdesk bot")
    _global_options(parser, None)
    # The same options after the subcommand, without overwriting ones given before it.
    common = argparse.ArgumentParser(add_help=False)
    _global_options(common, argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    chat = sub.add_parser("chat", parents=[common], help="talk to the bot in the terminal")
    ask = sub.add_parser("ask", parents=[common], help="answer messages read from stdin")
    ask.add_argument("--user", default="cli", help="user id for every line (default: cli)")
    for talking in (chat, ask):
        talking.add_argument("--flow", metavar="NAME", help="start this guided flow first")
    fmt = ask.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="one JSON object per reply")
    fmt.add_argument(
        "--jsonl", action="store_true", help='input lines are {"user": .., "text": ..}'
    )
    val = sub.add_parser("validate", parents=[common], help="check the YAML, and lint it")
    val.add_argument("--strict", action="store_true", help="warnings fail too (exit 1)")
    val.add_argument("--json", action="store_true", help="findings as one JSON list, for CI")
    ev = sub.add_parser(
        "eval",
        parents=[common],
        help="score the matcher on labelled YAML sets, or the bot on topic-labelled JSONL",
    )
    ev.add_argument(
        "files", type=Path, nargs="+", metavar="file", help="labelled .yaml sets or .jsonl messages"
    )
    ev.add_argument("--misses", action="store_true", help="list every miss")
    ev.add_argument(
        "--html", type=Path, metavar="FILE", help="also write a page with the confusion matrix"
    )
    ev.add_argument(
        "--compare",
        metavar="REV",
        help="also score the intents and knowledge of git revision REV, case by case",
    )
    ev.add_argument(
        "--topics",
        type=Path,
        default=PROJECT_ROOT / "tests" / "data" / "staff_topics.yaml",
        help="for .jsonl files: what counts as right for each topic "
        "(default tests/data/staff_topics.yaml)",
    )
    sw = sub.add_parser(
        "sweep", parents=[common], help="choose answer thresholds from labelled YAML sets"
    )
    sw.add_argument("files", type=Path, nargs="+", metavar="file", help="labelled .yaml sets")
    bench_cli.add_parser(sub, common)
    sub.add_parser("flows", parents=[common], help="the guided flows, with usage counts")
    tickets_cli.add_parser(sub, common)
    un = sub.add_parser("unanswered", parents=[common], help="questions the bot could not answer")
    un.add_argument(
        "--limit", type=int, default=1000, help="how many questions to read, newest first"
    )
    un.add_argument("--since", help="only this recent: 24h, 7d, 2w (default: all)")
    un.add_argument("--list", action="store_true", help="one line per question, not grouped")
    sl = sub.add_parser("slack", parents=[common], help="run the Slack app (HTTP or Socket Mode)")
    sl.add_argument("--port", type=int, default=3000, help="HTTP port (default 3000)")
    sl.add_argument("--host", default="0.0.0.0", help="address to listen on (default 0.0.0.0)")
    sl.add_argument(
        "--workers", type=int, help="gunicorn workers (default WEB_CONCURRENCY or one per CPU)"
    )
    sl.add_argument("--socket", action="store_true", help="Socket Mode instead of HTTP")
    web = sub.add_parser("web", parents=[common], help="run the public web chat")
    web.add_argument("--port", type=int, default=8000, help="HTTP port (default 8000)")
    web.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    web.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    teams_cli.add_parser(sub, common)
    admin_cli.add_parsers(sub, common)
    rep = sub.add_parser("report", parents=[common], help="what happened: usage, outcomes, tickets")
    rep.add_argument("--since", default="30d", help="how far back: 24h, 7d, 2w (default 30d)")
    rep.add_argument("--html", type=Path, metavar="FILE", help="also write a page with charts")
    db = sub.add_parser("db", parents=[common], help="database commands")
    db.add_argument("action", choices=["upgrade"], help="upgrade: apply pending migrations")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings().with_overrides(
            intents_dir=args.intents, knowledge_dir=args.knowledge, database_url=args.database
        )
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO if args.verbose else settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Bytes that are not UTF-8 become U+FFFD instead of killing a batch half-way.
    if isinstance(sys.stdin, io.TextIOWrapper):
        sys.stdin.reconfigure(errors="replace")
    new = sqlite_file(settings.database_url)
    new = new if new is not None and not new.exists() else None
    settings = _where_the_database_is(args.command, settings)
    command: Callable[[argparse.Namespace, Settings], int] = COMMANDS[args.command]
    try:
        done = command(args, settings)
        if done == 0 and new is not None and new.exists():
            # Said once the command did its work, so that an error stays one line.
            print(
                f"helpbot: new database at {new.resolve()} "
                "(DATABASE_URL or --database names another)",
                file=sys.stderr,
            )
        return done
    except ContentInvalid as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (``helpbot eval ... | head``): stop quietly, no traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


def _start_flow(engine: Engine, name: str | None, user: str) -> list[Reply] | None:
    """The replies that open flow ``name``; None (after saying why) if there is none."""
    if name is None:
        return []
    flows = engine.knowledge.content.flows
    if name not in flows:
        known = ", ".join(sorted(flows)) or "none"
        print(f"error: no flow called {name!r} (flows: {known})", file=sys.stderr)
        return None
    return engine.handle(Message(user_id=user, text="", channel="cli", action=start_value(name)))


# Commands that only read what happens in the database (the others may make one).
READERS = frozenset({"tickets", "unanswered", "flows", "audit", "report"})


def _where_the_database_is(command: str, settings: Settings) -> Settings:
    """A command that only reads looks at an empty database, and says so, where the
    SQLite file is not there yet, instead of leaving a new file behind."""
    missing = sqlite_file(settings.database_url)
    if missing is None or missing.exists() or command not in READERS:
        return settings
    print(
        f"helpbot: no database yet at {missing.resolve()}, so nothing to show "
        "(DATABASE_URL or --database names another)",
        file=sys.stderr,
    )
    return settings.with_overrides(database_url="sqlite://")  # empty, in memory


LEAVE_NOW = frozenset({"quit", "exit", "q"})
LEAVE_AFTER = frozenset({"bye", "goodbye", "bye bye", "good bye", "bye for now", "see you"})


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    engine = build_engine(settings)
    screen = console.Screen(sys.stdout)
    opening = _start_flow(engine, args.flow, CHAT_USER)
    if opening is None:
        return 1
    screen.out.write("helpbot: ask me about NHSmail or the Account Secret. Type 'bye' to leave.\n")
    screen.replies(opening)
    runtime = Runtime(engine, console.Terminal(screen), recipient=CHAT_USER)
    runtime.start(every=console.NEWS_EVERY)
    try:
        while True:
            try:
                text = screen.read()
            except EOFError:  # Ctrl-D
                screen.out.write("\n")
                return 0
            said = " ".join(text.lower().strip(" .!").split())
            if said in LEAVE_NOW:
                return 0
            runtime.turn(Message(user_id=CHAT_USER, text=text, channel="cli"), screen.replies)
            if said in LEAVE_AFTER:  # the bot's goodbye (with the helpdesk's contacts) first
                return 0
    except KeyboardInterrupt:  # Ctrl-C: leave without a traceback, with the usual status
        screen.out.write("\n")
        return 130
    finally:
        runtime.stop()


def _jsonl_messages(lines: Iterable[str], out: TextIO) -> Iterable[Message]:
    """The messages in ``lines``; a line that is not one gets an ``{"error"}`` and is skipped."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield _jsonl_message(line)
        except (ValueError, RecursionError) as exc:
            reason = str(exc) if isinstance(exc, ValueError) else "nested too deeply"
            out.write(json.dumps({"error": f"line {number}: {reason}"}) + "\n")
            out.flush()


def _jsonl_message(line: str) -> Message:
    data = json.loads(line)
    if not isinstance(data, dict):
        raise ValueError("expected an object with 'user' and 'text'")
    text, action = data.get("text") or "", data.get("action")
    if not isinstance(text, str):
        raise ValueError("'text' must be a string")
    if action is not None and not isinstance(action, str):
        raise ValueError("'action' must be a string (a button's value)")
    conversation = data.get("conversation")
    return Message(
        user_id=str(data.get("user") or "cli"),
        text=text,
        channel=str(data.get("channel") or "cli"),
        conversation_id=str(conversation) if conversation is not None else None,
        action=action,
    )


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    engine = build_engine(settings)
    out = sys.stdout
    as_json = args.json or args.jsonl
    opening = _start_flow(engine, args.flow, args.user)
    if opening is None:
        return 1
    for reply in opening:
        out.write((console.render_json(reply) if as_json else console.render_line(reply)) + "\n")
    lines = (line.rstrip("\r\n") for line in sys.stdin)
    if args.jsonl:
        messages = _jsonl_messages(lines, out)
    else:
        messages = (Message(user_id=args.user, text=line, channel="cli") for line in lines)
    for message in messages:
        for reply in engine.handle(message):
            out.write(
                (console.render_json(reply) if as_json else console.render_line(reply)) + "\n"
            )
        out.flush()
    return 0


def cmd_slack(args: argparse.Namespace, settings: Settings) -> int:
    from bot.channels.slack import server  # slack_bolt loads only for this command

    try:
        slack = load_slack_settings(socket_mode=args.socket)
        # The YAML and the database, checked once before any worker starts.
        checked = build_engine(settings)
        who = server.check_token(slack)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.socket:
        print(f"helpbot: Slack app {who}, Socket Mode", file=sys.stderr)
        try:
            server.serve_socket(settings, slack)
        except ConfigError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        return 0
    if checked.store is not None:
        checked.store.close()  # workers open their own: no connection shared across a fork
    workers = args.workers or slack.workers
    print(
        f"helpbot: Slack app {who}, http://{args.host}:{args.port}{server.PATH} "
        f"with {workers} gunicorn worker(s)",
        file=sys.stderr,
    )
    server.serve_http(
        settings,
        slack,
        host=args.host,
        port=args.port,
        workers=workers,
        content=checked.knowledge.content,
    )
    return 0


def cmd_web(args: argparse.Namespace, settings: Settings) -> int:
    from bot.channels.web import server  # starlette and uvicorn load only for this command

    try:
        web = load_web_settings(host=args.host, port=args.port)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.workers > 1 and web.generated_secret:
        print(
            "error: HELPBOT_WEB_SECRET is not set: with several workers they must share it "
            "(32 or more random characters), or visitors lose their conversation",
            file=sys.stderr,
        )
        return 2
    engine = build_engine(settings)  # the YAML and the database, checked once
    if web.generated_secret:
        print(
            "warning: HELPBOT_WEB_SECRET is not set; visitors start afresh after a restart",
            file=sys.stderr,
        )
    if args.workers > 1:
        if engine.store is not None:
            engine.store.close()  # each worker opens its own
        _say_serving(args, web)
        server.serve_workers(host=args.host, port=args.port, workers=args.workers)
        return 0
    try:
        sock = server.listen(args.host, args.port)
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 2
    _say_serving(args, web)
    server.serve(server.create_app(engine, web, sync=True), sock=sock)
    return 0


def _say_serving(args: argparse.Namespace, web: WebSettings) -> None:
    print(
        f"helpbot: web chat on http://{args.host}:{args.port}/ for {web.public_origin}",
        file=sys.stderr,
        flush=True,
    )


def cmd_db(args: argparse.Namespace, settings: Settings) -> int:
    try:
        Store(settings.database_url, migrate=False).upgrade()
    except StoreUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print("database is up to date")
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], int]] = {
    "chat": cmd_chat,
    "ask": cmd_ask,
    "validate": review_cli.cmd_validate,
    "eval": review_cli.cmd_eval,
    "sweep": review_cli.cmd_sweep,
    "bench": bench_cli.run,
    "unanswered": review_cli.cmd_unanswered,
    "flows": review_cli.cmd_flows,
    "tickets": tickets_cli.run,
    "slack": cmd_slack,
    "web": cmd_web,
    "teams": teams_cli.run,
    "reload": admin_cli.reload,
    "audit": admin_cli.audit,
    "teach": admin_cli.teach,
    "report": review_cli.cmd_report,
    "db": cmd_db,
}
