"""The commands that look at the knowledge and at what happened: ``validate``, ``eval``,
``sweep``, ``unanswered``, ``report`` and ``flows`` (admins' tools, not channels)."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from bot.clock import system_clock
from bot.config import Settings
from bot.content.loader import load_content
from bot.core.engine import Knowledge
from bot.core.text import terminal_safe
from bot.store import Store, StoreUnavailable


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

            if not _write_page(args.html, page(now)):
                return 1
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
    from bot.sweep import format_sweep, judge, sweep, sweep_agreement, sweep_clear

    knowledge = _knowledge(settings)
    try:
        cases = [case for f in args.files for case in load_cases(f)]
        settings_found = sweep(knowledge.matcher, cases)
        agreement = sweep_agreement(knowledge.matcher, cases)
        clear = sweep_clear(knowledge.matcher, cases)
    except EvalSetInvalid as exc:
        print(exc, file=sys.stderr)
        return 1
    current = judge(knowledge.matcher, cases)
    print(format_sweep(settings_found, current))
    print("\nonly the agreed bars, at the current plain bars and share:")
    print(format_sweep(agreement, current, top=3))
    print("\nonly the clear-lead bars, at the current plain and agreed bars and share:")
    print(format_sweep(clear, current, top=3))
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
            score = f" {row.best_score:.2f}" if row.best_score is not None else ""
            guess = f" (closest: {row.best_intent}{score})" if row.best_intent else ""
            if row.reason == "unhelpful":
                guess = f" (answered {row.best_intent}, marked not helpful)"
            print(
                terminal_safe(f"{row.created_at:%Y-%m-%d %H:%M} [{row.channel}] {row.text}{guess}")
            )
        return 0
    groups = cluster(Question(r.text, r.created_at, r.best_intent, r.reason) for r in rows)
    print(f"{len(rows)} unanswered question(s) in {len(groups)} group(s), most asked first:")
    for group in groups:
        closest = group.closest()
        guess = f"  (closest intent: {closest})" if closest else ""
        if group.unhelpful():
            guess += f"  ({group.unhelpful()} answered but marked not helpful)"
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

        if not _write_page(args.html, page(found)):
            return 1
    return 0


def _write_page(path: Path, html: str) -> bool:
    """Write an --html page; False (and one line saying why) when it cannot be written."""
    try:
        path.write_text(html, encoding="utf-8")
    except OSError as exc:
        print(f"error: cannot write {path}: {exc.strerror}", file=sys.stderr)
        return False
    print(f"wrote {path}")
    return True


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


def _knowledge(settings: Settings) -> Knowledge:
    from bot.wiring import load_knowledge

    return load_knowledge(settings)
