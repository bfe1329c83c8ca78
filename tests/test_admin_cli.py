"""``helpbot reload`` and ``helpbot audit`` from the shell, and reloads under load."""

from __future__ import annotations

import queue
import re
import threading
from pathlib import Path

from bot.content.loader import Content, ContentInvalid
from bot.core.engine import Engine
from bot.core.messages import Message
from bot.runtime import Runtime
from bot.runtime.watch import watch_content
from bot.store import Store, audit


def rename_helpdesk(knowledge: Path, name: str) -> None:
    path = knowledge / "contacts.yaml"
    text = re.sub(r"(id: nhsmail_helpdesk\n    name: ).*", rf"\g<1>{name}", path.read_text())
    path.write_text(text)


def running_bot(sqlite_url: str, knowledge, folders, recorder) -> tuple[Store, Engine, Runtime]:
    """A bot serving from ``folders`` on the database the shell commands use."""
    store = Store(sqlite_url)
    running = Engine(knowledge, store, source=folders)
    return store, running, Runtime(running, recorder)


def test_a_good_edit_reloaded_from_the_shell_reaches_a_running_bot(
    folders, helpbot, sqlite_url: str, knowledge, recorder
) -> None:
    intents, knowledge_dir = folders
    store, running, runtime = running_bot(sqlite_url, knowledge, folders, recorder)
    other_store, other, other_runtime = running_bot(sqlite_url, knowledge, folders, recorder)
    rename_helpdesk(knowledge_dir, "Renamed Helpdesk")
    done = helpbot("reload", "--intents", str(intents), "--knowledge", str(knowledge_dir))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Reloaded: ")
    [recorded] = audit.entries(store)
    assert recorded.detail is None  # only a running bot knows the version it replaces
    runtime.sync_round()
    assert "Renamed Helpdesk" in str(running.knowledge.content.contacts)
    [entry] = audit.entries(store)
    assert (entry.action, entry.allowed, entry.outcome) == ("reload", True, "ok")
    assert entry.actor.startswith("shell") and entry.channel == "shell"
    assert entry.detail == "~ contacts"  # written by the first running bot to follow
    # A second process following the same reload leaves the first one's account alone.
    other_runtime.sync_round()
    assert "Renamed Helpdesk" in str(other.knowledge.content.contacts)
    assert audit.entries(store)[0].detail == "~ contacts"
    assert "reload  allowed: ok" in helpbot("audit").stdout
    other_store.close()
    store.close()


def test_a_bad_edit_is_refused_with_its_line_and_nothing_reloads(
    folders, helpbot, sqlite_url: str, knowledge, recorder
) -> None:
    intents, knowledge_dir = folders
    store, running, runtime = running_bot(sqlite_url, knowledge, folders, recorder)
    path = knowledge_dir / "nhsmail.yaml"
    path.write_text(
        path.read_text().replace("  - id: nhsmail_what\n", "  - idd: nhsmail_what\n", 1)
    )
    done = helpbot("reload", "--intents", str(intents), "--knowledge", str(knowledge_dir))
    assert done.returncode == 1
    assert "Not reloaded" in done.stderr and f"{path}:4:" in done.stderr
    before = running.knowledge
    runtime.sync_round()
    assert running.knowledge is before  # the last good version keeps serving
    [entry] = audit.entries(store)
    assert entry.outcome.startswith("invalid: ") and audit.last_reload(store) == 0
    shown = helpbot("audit")
    assert shown.returncode == 0 and "reload  allowed: invalid: " in shown.stdout
    store.close()


def test_a_reload_from_chat_records_what_changed(folders, knowledge, store: Store) -> None:
    from bot.admin import AdminCommands

    live = Engine(knowledge, store, source=folders)
    rename_helpdesk(folders[1], "Renamed Helpdesk")
    assert AdminCommands(live, ["UADMIN"]).run("UADMIN", "slack", "reload").allowed
    [entry] = audit.entries(store)
    assert (entry.outcome, entry.detail) == ("ok", "~ contacts")


def test_messages_arriving_during_reloads_are_all_answered(engine: Engine, folders) -> None:
    live = Engine(engine.knowledge, engine.store, source=folders)
    answered: list[int] = []
    failures: list[BaseException] = []
    stop = threading.Event()

    def chat() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            try:
                replies = live.handle(Message(user_id=f"u{n % 5}", text="what is nhsmail"))
                answered.append(len(replies))
            except BaseException as exc:  # noqa: BLE001 - counted, the test fails below
                failures.append(exc)

    talker = threading.Thread(target=chat)
    talker.start()
    try:
        for name in ("First Helpdesk", "Second Helpdesk"):
            rename_helpdesk(folders[1], name)
            live.reload()
            assert name in str(live.knowledge.content.contacts)
    finally:
        stop.set()
        talker.join(timeout=60)
    assert not failures and answered and all(n >= 1 for n in answered)


def test_with_watch_on_an_edit_is_picked_up_and_a_bad_one_is_not(folders, knowledge) -> None:
    outcomes: queue.Queue[object] = queue.Queue()
    live = Engine(knowledge, None, source=folders, watch=True)
    stop = threading.Event()
    watch_content(live, stop, then=outcomes.put)
    try:
        rename_helpdesk(folders[1], "Watched Helpdesk")
        assert isinstance(outcomes.get(timeout=30), Content)
        assert "Watched Helpdesk" in str(live.knowledge.content.contacts)
        good = live.knowledge
        path = folders[1] / "nhsmail.yaml"
        path.write_text(path.read_text().replace("  - id: nhsmail_what\n", "  - idd: x\n", 1))
        assert isinstance(outcomes.get(timeout=30), ContentInvalid)
        assert live.knowledge is good  # still the last good version
    finally:
        stop.set()


def test_what_agents_do_to_tickets_is_in_the_audit_log(engine: Engine, store: Store) -> None:
    from bot.tickets.service import Requester

    view, _ = engine.tickets.open(Requester("cli", "sam", "sam"), "general", "help")
    engine.tickets.claim(view.ref, "ann")
    engine.tickets.reply(view.ref, "ann", "try again now")
    engine.tickets.resolve(view.ref, "ann")
    engine.tickets.close(view.ref, "ann")
    found = [(e.actor, e.action, e.outcome) for e in reversed(audit.entries(store))]
    assert found == [
        ("ann", "ticket claimed", view.ref),
        ("ann", "ticket reply", view.ref),
        ("ann", "ticket resolved", view.ref),
        ("ann", "ticket closed", view.ref),
    ]
