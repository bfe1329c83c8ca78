"""``helpbot reload`` and ``helpbot audit``: the admin commands of the shell.

Whoever has a shell on the server is an admin; the command still writes who asked (the
login name) to the audit log, as a chat admin's reload is. A reload here checks the YAML
first and, if it is good, records it: every running process of every channel follows
within a sync round (``bot.runtime``), and a bad edit is refused with its errors while
the running bot keeps its last good version.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path

from bot.config import PROJECT_ROOT, Settings


def add_parsers(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    sub.add_parser(
        "reload",
        parents=[common],
        help="check the YAML and have every running bot pick it up (no restart)",
    )
    teach = sub.add_parser(
        "teach", parents=[common], help="add a phrase people use to an intent's examples"
    )
    teach.add_argument("phrase", help="what people typed (already redacted), in quotes")
    teach.add_argument("intent", help="the intent id it should match")
    teach.add_argument(
        "--eval",
        type=Path,
        nargs="*",
        metavar="FILE",
        help="labelled sets to score before and after (default tests/data/eval*.yaml)",
    )
    audit = sub.add_parser("audit", parents=[common], help="who did what, when (the audit log)")
    audit.add_argument("--limit", type=int, default=50, help="how many, newest first (default 50)")
    audit.add_argument("--json", action="store_true", help="one JSON object per line")


def _actor() -> str:
    try:
        return f"shell:{getpass.getuser()}"
    except (KeyError, OSError):  # no login name in a container
        return "shell"


def reload(args: argparse.Namespace, settings: Settings) -> int:
    from bot.content.loader import ContentInvalid
    from bot.store import Store, StoreUnavailable
    from bot.store import audit as log
    from bot.wiring import build_engine

    actor = _actor()
    try:
        engine = build_engine(settings)  # the content as it is now
    except ContentInvalid as exc:
        errors = [p for p in exc.problems if p.severity == "error"]
        try:  # refused, and said so in the log; nothing running reloads
            outcome = f"invalid: {len(errors)} error(s)"
            log.record(
                Store(settings.database_url),
                actor,
                "shell",
                log.RELOAD,
                allowed=True,
                outcome=outcome,
            )
        except StoreUnavailable:
            pass
        print(
            "Not reloaded: the YAML has errors; the running bot keeps its last good version.",
            file=sys.stderr,
        )
        raise  # the errors, each with its file and line (bot.cli)
    # Checked: record it, and every running process follows. What changed is known only
    # to those processes (they hold the old version): the first to follow writes it.
    content = engine.knowledge.content
    try:
        log.record(
            Store(settings.database_url), actor, "shell", log.RELOAD, allowed=True, outcome=log.OK
        )
    except StoreUnavailable as exc:
        print(f"error: not reloaded: {exc}", file=sys.stderr)
        return 1
    print(
        f"Reloaded: {len(content.intents)} intents, {len(content.answers)} answers, "
        f"{len(content.flows)} flows. Every running bot picks it up within a few seconds."
    )
    return 0


def audit(args: argparse.Namespace, settings: Settings) -> int:
    from bot.core.text import terminal_safe
    from bot.store import Store, StoreUnavailable
    from bot.store import audit as log

    try:
        found = log.entries(Store(settings.database_url), args.limit)
    except StoreUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for entry in found:
        row = {
            "when": entry.created_at.isoformat() if entry.created_at else None,
            "actor": entry.actor,
            "channel": entry.channel,
            "action": entry.action,
            "allowed": entry.allowed,
            "outcome": entry.outcome,
            "detail": entry.detail,
        }
        if args.json:
            print(json.dumps(row))
            continue
        when = entry.created_at.strftime("%Y-%m-%d %H:%M") if entry.created_at else "?"
        allowed = "allowed" if entry.allowed else "REFUSED"
        print(
            terminal_safe(
                f"{when}  {entry.actor} ({entry.channel})  {entry.action}  {allowed}: "
                f"{entry.outcome or ''}"
            )
        )
        for line in (entry.detail or "").splitlines():
            print(terminal_safe(f"    {line}"))
    if not found and not args.json:
        print("the audit log is empty")
    return 0


def teach(args: argparse.Namespace, settings: Settings) -> int:
    from bot.content.loader import load_content
    from bot.core.engine import Knowledge
    from bot.evaluation import evaluate, load_cases
    from bot.store import Store, StoreUnavailable
    from bot.store import audit as log
    from bot.teach import TeachRefused
    from bot.teach import teach as add
    from bot.wiring import model_cache

    folders = (settings.intents_dir, settings.knowledge_dir)
    files = (
        args.eval
        if args.eval is not None
        else sorted((PROJECT_ROOT / "tests/data").glob("eval*.yaml"))
    )
    cases = [c for f in files for c in load_cases(f)]
    models = model_cache(settings)

    def score(content: object) -> str:
        if not cases:
            return "no eval set"
        report = evaluate(Knowledge.build(content, models).matcher, cases)
        return (
            f"top-1 {report.top1_accuracy:.1%}, answered right {report.answer_accuracy:.1%}, "
            f"falls back when it should {report.fallback_recall:.1%}"
        )

    content = load_content(*folders)
    before = score(content)
    try:
        taught = add(content, folders, args.phrase, args.intent)
    except TeachRefused as exc:
        print(f"not added: {exc}", file=sys.stderr)
        return 1
    after = score(load_content(*folders))
    print(f"added to {taught.path}:{taught.line}: {taught.written}")
    print(f"eval on {len(cases)} case(s):")
    print(f"  before: {before}")
    print(f"  after:  {after}")
    try:
        diff = f"+ {taught.path}:{taught.line}: {taught.written}"
        log.record(
            Store(settings.database_url),
            _actor(),
            "shell",
            "teach",
            allowed=True,
            outcome=f"ok: {args.intent}",
            detail=diff,
        )
    except StoreUnavailable as exc:
        print(f"warning: not written to the audit log: {exc}", file=sys.stderr)
    return 0
