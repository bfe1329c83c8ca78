"""``helpbot bench ...``: how fast the message path is, on any knowledge or the Slack app.

Prints figures, asserts nothing. The benches themselves are imported only when asked for.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.config import Settings


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    bench = sub.add_parser(
        "bench",
        parents=[common],
        help="time the message path (whole turns on a new SQLite file, or on --database: "
        "give it a scratch database)",
    )
    bench.add_argument(
        "--synthetic",
        type=int,
        metavar="N",
        help="bench a generated IT-helpdesk knowledge of N examples instead "
        "(--knowledge DIR holding intents/ and knowledge/ benches that one)",
    )
    bench.add_argument(
        "--keep", type=Path, metavar="DIR", help="with --synthetic: write it to DIR and keep it"
    )
    bench.add_argument(
        "--messages",
        type=Path,
        metavar="FILE",
        help="what the messages say: an eval set (.yaml) or staff messages (.jsonl) instead "
        "of the built-in sample and two examples of each intent",
    )
    bench.add_argument(
        "--slack",
        action="store_true",
        help="the Slack app under gunicorn against a bolt app that only acknowledges",
    )
    bench.add_argument("--seconds", type=float, default=10.0, help="--slack: burst length")
    bench.add_argument("--connections", type=int, default=8, help="--slack: concurrent requests")
    bench.add_argument("--rounds", type=int, default=2, help="--slack: runs of both apps")
    bench.add_argument(
        "--api-ms", type=float, default=0.0, help="--slack: how long each Web API call takes"
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.database:
        from bot.bench import database_problem

        problem = database_problem(args.database)
        if problem is not None:
            print(f"error: --database: {problem}", file=sys.stderr)
            return 2
    if args.slack:
        from bot import slackbench

        options = slackbench.Options(
            seconds=args.seconds,
            connections=args.connections,
            rounds=args.rounds,
            database=args.database,
            api_ms=args.api_ms,
        )
        slackbench.run(options)
        return 0
    from bot.bench import bench_folders, bench_synthetic, is_knowledge_base
    from bot.evaluation import EvalSetInvalid
    from bot.wiring import model_cache

    try:
        texts = message_texts(args.messages) if args.messages else None
    except EvalSetInvalid as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if texts is not None:
        print(f"messages: {len(texts)} texts from {args.messages}")
    if args.synthetic is not None:
        if args.synthetic < 100:
            print("error: --synthetic needs at least 100 examples", file=sys.stderr)
            return 2
        models = model_cache(settings)
        print(bench_synthetic(args.synthetic, models, args.keep, args.database, texts))
        return 0
    folders = (settings.intents_dir, settings.knowledge_dir)
    if is_knowledge_base(settings.knowledge_dir):  # --knowledge DIR: a whole knowledge base
        folders = (settings.knowledge_dir / "intents", settings.knowledge_dir / "knowledge")
    print(bench_folders(*folders, model_cache(settings), args.database, texts))
    return 0


def message_texts(path: Path) -> list[str]:
    """The texts of an eval set or of a staff-messages file, as ``helpbot eval`` reads them;
    ``EvalSetInvalid`` (file and line) when it cannot be read or holds none."""
    from bot.evaluation import EvalSetInvalid, load_cases
    from bot.topic_eval import load_messages

    if path.suffix == ".jsonl":
        texts = [m.text for m in load_messages(path)]
    else:
        texts = [c.text for c in load_cases(path)]
    if not texts:
        raise EvalSetInvalid(f"{path}: no messages in it")
    return texts
