"""``helpbot tickets ...``: the agents' side of the helpdesk, in the terminal."""

from __future__ import annotations

import argparse
import json
import sys

from bot.config import Settings
from bot.core.text import terminal_safe
from bot.store import Store, StoreUnavailable
from bot.tickets.views import UNVERIFIED, AlreadyResolved, TicketError, TicketView

STATUSES = ("open", "claimed", "resolved", "closed")


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    tickets = sub.add_parser("tickets", parents=[common], help="helpdesk tickets (agents)")
    actions = tickets.add_subparsers(dest="ticket_command", required=True, metavar="ACTION")
    listing = actions.add_parser("list", parents=[common], help="list tickets")
    listing.add_argument("--status", choices=STATUSES, help="only tickets in this state")
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    show = actions.add_parser("show", parents=[common], help="one ticket with its transcript")
    show.add_argument("ref", help="the ticket reference, e.g. HD-000012")
    show.add_argument("--json", action="store_true", help="print the ticket as JSON")
    show.add_argument(
        "--agent", help="your agent id: the assigned agent also sees how to reach them"
    )
    for name, text in (
        ("claim", "take a ticket"),
        ("resolve", "mark a ticket resolved"),
        ("close", "close a resolved ticket"),
    ):
        action = actions.add_parser(name, parents=[common], help=text)
        action.add_argument("ref", help="the ticket reference, e.g. HD-000012")
        action.add_argument("--agent", required=True, help="your agent id")
        action.add_argument("--json", action="store_true", help="print the ticket as JSON")
        if name == "resolve":
            action.add_argument("--note", help="a note the user will see")
    reply = actions.add_parser("reply", parents=[common], help="reply to the user")
    reply.add_argument("ref", help="the ticket reference, e.g. HD-000012")
    reply.add_argument("text", help="what to tell the user (quote it)")
    reply.add_argument("--agent", required=True, help="your agent id")
    reply.add_argument("--json", action="store_true", help="print the ticket as JSON")
    reopen = actions.add_parser("reopen", parents=[common], help="reopen a resolved ticket")
    reopen.add_argument("ref", help="the ticket reference, e.g. HD-000012")
    reopen.add_argument("--agent", default="agent", help="your agent id")
    reopen.add_argument("--json", action="store_true", help="print the ticket as JSON")


def run(args: argparse.Namespace, settings: Settings) -> int:
    try:
        from bot.tickets.service import Tickets  # the ORM: only for ticket commands

        tickets = Tickets(Store(settings.database_url))
        command = args.ticket_command
        if command == "list":
            views = tickets.list(args.status)
            for view in views:
                print(_json(view, events=False) if args.json else terminal_safe(_line(view)))
            if not views and not args.json:
                print("no tickets")
            return 0
        if command == "show":
            view = tickets.show(args.ref)
        elif command == "claim":
            view = tickets.claim(args.ref, args.agent)
        elif command == "reply":
            view = tickets.reply(args.ref, args.agent, args.text)
        elif command == "resolve":
            try:
                view = tickets.resolve(args.ref, args.agent, args.note)
            except AlreadyResolved as exc:
                # Already the state asked for (say, two agents at once): not a failure,
                # and the user is not asked for feedback again.
                print(str(exc))
                return 0
        elif command == "close":
            view = tickets.close(args.ref, args.agent)
        else:
            view = tickets.reopen(args.ref, args.agent)
    except TicketError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except StoreUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    # How to reach someone who may be locked out: for the agent who claimed it, only.
    agent = getattr(args, "agent", None)
    reach = view.reach_for(agent) if agent and command in ("show", "claim") else None
    if args.json:
        print(_json(view, reach=reach))
        return 0
    shown = _details(view) if command == "show" else _line(view)
    if reach:
        shown += f"\nreach them at: {reach} (for you, the assigned agent; not in the chat)"
    # Stored text is what people typed: never let it act on the agent's terminal.
    print(terminal_safe(shown))
    return 0


def _json(view: TicketView, *, events: bool = True, reach: str | None = None) -> str:
    data = view.to_dict()
    if not events:
        data.pop("events", None)
    if reach:
        data["reach"] = reach
    # ASCII escapes: a control character in the data is shown as \u001b, never sent raw.
    return json.dumps(data)


def _line(view: TicketView) -> str:
    who = view.requester.get("display_name") or view.requester["user_id"]
    owner = f" [{view.assignee}]" if view.assignee else ""
    return f"{view.ref} {view.status}{owner} {who} [{view.category_title}]: {view.summary[:70]}"


def _details(view: TicketView) -> str:
    lines = [
        _line(view),
        f"category: {view.category_title}   priority: {view.priority}   due: {view.sla_due}",
        f"email: {view.email}",
        *([UNVERIFIED] if view.unverified else []),
        "transcript:",
        *(f"  {line}" for line in view.transcript.splitlines()),
        "events:",
        *(f"  {e['at']} {e['kind']} by {e['actor']}: {e['text'] or ''}" for e in view.events),
    ]
    return "\n".join(lines)
