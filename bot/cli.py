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
from dataclasses import asdict
from pathlib import Path
from typing import TextIO

from bot import admin_cli
from bot import benchcli as bench_cli
from bot.channels import console
from bot.channels.teams import command as teams_cli
from bot.clock import system_clock
from bot.config import (
    PROJECT_ROOT,
    ConfigError,
    Settings,
    WebSettings,
    load_settings,
    load_slack_settings,
    load_web_settings,
)
from bot.content.loader import ContentInvalid, load_content
from bot.core.engine import Engine, Knowledge
from bot.core.flows import start_value
from bot.core.messages import Message, Reply
from bot.core.text import terminal_safe
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
    settings = _where_the_database_is(args.command, settings)
    command: Callable[[argparse.Namespace, Settings], int] = COMMANDS[args.command]
    try:
        return command(args, settings)
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


# Commands that keep what happens in the database; the first three only read it.
READERS = frozenset({"tickets", "unanswered", "flows", "audit", "report"})
WRITERS = frozenset({"chat", "ask", "slack", "web", "teams", "db", "reload", "teach"})


def _where_the_database_is(command: str, settings: Settings) -> Settings:
    """Say so when the SQLite file is not there yet: a reader looks at an empty database
    instead of leaving a new file behind; a writer says where it makes one."""
    missing = sqlite_file(settings.database_url)
    if missing is None or missing.exists() or command not in READERS | WRITERS:
        return settings
    where = missing.resolve()
    if command in READERS:
        print(
            f"helpbot: no database yet at {where}, so nothing to show "
            "(DATABASE_URL or --database names another)",
            file=sys.stderr,
        )
        return settings.with_overrides(database_url="sqlite://")  # empty, in memory
    print(
        f"helpbot: new database at {where} (DATABASE_URL or --database names another)",
        file=sys.stderr,
    )
    return settings


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


def cmd_validate(args: argparse.Namespace, settings: Settings) -> int:
    from bot.content.lint import Finding, lint

    content = load_content(settings.intents_dir, settings.knowledge_dir)
    today = system_clock().date()
    found = lint(content, today, review_months=settings.review_months)
    if args.json:
        print(json.dumps([asdict(Finding.of(p)) for p in found], indent=2))
    else:
        shown = None
        for problem in found:  # grouped per file, in line order
            if problem.path != shown:
                shown = problem.path
                print(f"{shown}:", file=sys.stderr)
            print(f"  line {problem.line}: {problem.severity}: {problem.message}", file=sys.stderr)
        examples = sum(len(i.examples) for i in content.intents.values())
        print(
            f"ok: {len(content.intents)} intents ({examples} examples), "
            f"{len(content.answers)} answers, {len(content.flows)} flows, "
            f"{len(content.contacts)} contacts; {len(found)} warning(s)"
        )
    return 1 if args.strict and found else 0


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from bot.evaluation import EvalSetInvalid, evaluate, format_report, load_cases
    from bot.topic_eval import (
        evaluate_topics,
        format_topic_report,
        load_messages,
        load_topics,
    )

    knowledge = _knowledge(settings)
    labelled = [f for f in args.files if f.suffix == ".jsonl"]
    try:
        cases = [case for f in args.files if f not in labelled for case in load_cases(f)]
        if labelled:
            messages = [m for f in labelled for m in load_messages(f)]
            topics = load_topics(args.topics)
            report = evaluate_topics(knowledge, messages, topics)
    except EvalSetInvalid as exc:
        print(exc, file=sys.stderr)
        return 1
    if cases:
        from bot.eval_compare import (
            RevisionUnavailable,
            compare,
            format_intent_scores,
            intent_scores,
        )
        from bot.wiring import model_cache

        now = evaluate(knowledge.matcher, cases)
        print(format_report(now, show_misses=args.misses))
        print("\n".join(format_intent_scores(intent_scores(now))))
        if args.html:
            from bot.eval_html import page

            args.html.write_text(page(now), encoding="utf-8")
            print(f"wrote {args.html}")
        if args.compare:
            try:
                folders = (settings.intents_dir, settings.knowledge_dir)
                lines = compare(args.compare, folders, cases, now, model_cache(settings))
            except RevisionUnavailable as exc:
                print(f"error: cannot read {args.compare!r} from git: {exc}", file=sys.stderr)
                return 1
            print("\n".join(lines))
    if labelled:
        print(format_topic_report(report, show_misses=args.misses))
    return 0


def cmd_sweep(args: argparse.Namespace, settings: Settings) -> int:
    from bot.evaluation import EvalSetInvalid, load_cases
    from bot.sweep import format_sweep, judge, sweep, sweep_agreement

    knowledge = _knowledge(settings)
    try:
        cases = [case for f in args.files for case in load_cases(f)]
        settings_found = sweep(knowledge.matcher, cases)
        agreement = sweep_agreement(knowledge.matcher, cases)
    except EvalSetInvalid as exc:
        print(exc, file=sys.stderr)
        return 1
    current = judge(knowledge.matcher, cases)
    print(format_sweep(settings_found, current))
    print("\nonly the agreed bars, at the current plain bars and share:")
    print(format_sweep(agreement, current, top=3))
    return 0


def cmd_unanswered(args: argparse.Namespace, settings: Settings) -> int:
    from bot.clusters import Question, cluster, since
    from bot.store.db import recent_unanswered

    try:
        start = system_clock() - since(args.since) if args.since else None
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        rows = recent_unanswered(Store(settings.database_url), args.limit, start)
    except StoreUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if not rows:
        print("no unanswered questions")
        return 0
    # What people typed must not act on the admin's terminal: terminal_safe throughout.
    if args.list:
        for row in rows:
            guess = f" (closest: {row.best_intent} {row.best_score:.2f})" if row.best_intent else ""
            print(
                terminal_safe(f"{row.created_at:%Y-%m-%d %H:%M} [{row.channel}] {row.text}{guess}")
            )
        return 0
    groups = cluster(Question(r.text, r.created_at, r.best_intent) for r in rows)
    print(f"{len(rows)} unanswered question(s) in {len(groups)} group(s), most asked first:")
    for group in groups:
        closest = group.closest()
        guess = f"  (closest intent: {closest})" if closest else ""
        print(terminal_safe(f"{group.count:5d}  last {group.latest:%Y-%m-%d}{guess}"))
        for text in group.examples():
            print(terminal_safe(f"       - {text}"))
    print('teach one: helpbot teach "the phrase" INTENT')
    return 0


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    from bot.clusters import since
    from bot.report import as_text, gather

    try:
        span = since(args.since)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    content = load_content(settings.intents_dir, settings.knowledge_dir)
    end = system_clock()
    smalltalk = frozenset(i.id for i in content.intents.values() if i.smalltalk)
    try:
        found = gather(
            Store(settings.database_url), content, end - span, end,
            idle=settings.flow_timeout, review_months=settings.review_months, smalltalk=smalltalk,
        )  # fmt: skip
    except StoreUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print("\n".join(as_text(found)))
    if args.html:
        from bot.report_html import page

        try:
            args.html.write_text(page(found), encoding="utf-8")
        except OSError as exc:
            print(f"error: cannot write {args.html}: {exc.strerror}", file=sys.stderr)
            return 1
        print(f"wrote {args.html}")
    return 0


def cmd_flows(args: argparse.Namespace, settings: Settings) -> int:
    from bot.store.reports import flow_stats

    content = load_content(settings.intents_dir, settings.knowledge_dir)
    try:
        counts = {
            c.flow: c for c in flow_stats(Store(settings.database_url), settings.flow_timeout)
        }
    except StoreUnavailable as exc:
        print(f"warning: {exc}; no counts", file=sys.stderr)
        counts = {}
    print(f"{'flow':<24} {'started':>8} {'completed':>10} {'cancelled':>10} {'abandoned':>10}")
    for flow_id in sorted(set(content.flows) | set(counts)):
        c = counts.get(flow_id)
        figures = (c.started, c.completed, c.cancelled, c.abandoned) if c else (0, 0, 0, 0)
        print(f"{flow_id:<24} {figures[0]:>8} {figures[1]:>10} {figures[2]:>10} {figures[3]:>10}")
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
    "validate": cmd_validate,
    "eval": cmd_eval,
    "sweep": cmd_sweep,
    "bench": bench_cli.run,
    "unanswered": cmd_unanswered,
    "flows": cmd_flows,
    "tickets": tickets_cli.run,
    "slack": cmd_slack,
    "web": cmd_web,
    "teams": teams_cli.run,
    "reload": admin_cli.reload,
    "audit": admin_cli.audit,
    "teach": admin_cli.teach,
    "report": cmd_report,
    "db": cmd_db,
}


def _knowledge(settings: Settings) -> Knowledge:
    from bot.wiring import load_knowledge

    return load_knowledge(settings)
