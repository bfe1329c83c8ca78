"""Schema migrations on data written by the previous revision, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from conftest import START
from sqlalchemy import insert, select

from bot.config import PROJECT_ROOT
from bot.store import Store
from bot.store.db import MIGRATIONS, head_revision
from bot.store.models import Ticket
from bot.tickets.service import Requester, Tickets


def migrate(store: Store, target: str, *, down: bool = False) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, target)


def old_ticket(n: int, user: str, category: str, status: str = "open") -> dict:
    key = f"cli|{user}|{category}" if status in ("open", "claimed") else None
    return {
        "id": n,
        "ref": f"HD-{n:06d}",
        "channel": "cli",
        "user_id": user,
        "conversation_key": user,
        "summary": f"Help with {category}",
        "category": category,
        "transcript": "",
        "status": status,
        "priority": "normal",
        "open_key": key,
        "email_status": "off",
        "email_attempts": 0,
        "created_at": START,
        "updated_at": START,
        "sla_due": START,
    }


def keys(store: Store) -> list[str | None]:
    with store.session() as session:
        return list(session.execute(select(Ticket.open_key).order_by(Ticket.id)).scalars())


def test_0005_gives_each_person_one_plain_key_and_keeps_their_tickets(db_url: str, clock) -> None:
    store = Store(db_url, migrate=False, clock=clock)
    migrate(store, "0004")
    rows = [
        old_ticket(1, "sam", "locked_out"),
        old_ticket(2, "sam", "general", status="claimed"),
        old_ticket(3, "ann", "general"),
        old_ticket(4, "sam", "secret_setup"),
        old_ticket(5, "sam", "general", status="resolved"),
    ]
    with store.engine.begin() as connection:  # only the columns revision 0004 has
        connection.execute(insert(Ticket.__table__), rows)
    store.upgrade()
    assert keys(store) == [
        "cli|sam",
        "cli|sam|after:HD-000001",
        "cli|ann",
        "cli|sam|after:HD-000002",
        None,
    ]
    tickets = Tickets(store)
    # Readable where it can be: old rows have no title, so the id is shown.
    assert tickets.show("HD-000001").category_title == "locked_out"
    # A new request from Sam joins his newest open ticket instead of opening a fifth.
    view, created = tickets.open(Requester("cli", "sam", "sam"), "general", "help")
    assert (view.ref, created) == ("HD-000004", False)

    migrate(store, "0004", down=True)
    assert keys(store) == [
        "cli|sam|locked_out",
        "cli|sam|general",
        "cli|ann|general",
        "cli|sam|secret_setup",
        None,
    ]
    store.close()


def test_the_head_read_from_the_files_is_alembics_head() -> None:
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert head_revision() == ScriptDirectory.from_config(config).get_current_head()


def test_a_database_at_the_newest_revision_starts_without_alembic(db_url: str) -> None:
    import subprocess
    import sys

    Store(db_url).close()  # brings a new database up to date
    probe = (
        "import sys; from bot.store import Store; "
        f"Store({db_url!r}).close(); print('alembic' in sys.modules)"
    )
    found = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=PROJECT_ROOT,
    )
    assert found.stdout.strip() == "False"


def test_a_database_behind_is_still_brought_up_to_date(db_url: str) -> None:
    store = Store(db_url)
    migrate(store, "0005", down=True)
    again = Store(db_url)
    with again.engine.connect() as connection:
        from sqlalchemy import text

        found = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        assert found == head_revision() == "0009"
    again.close()
    store.close()


def test_the_teams_migration_builds_exactly_the_tables_the_models_describe(
    db_url: str,
) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from bot.store.models import Base

    store = Store(db_url)
    with store.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    store.close()
    # Only the newer tables and columns: messages.conversation_id is nullable in 0001 but
    # not in the model, an older drift of its own.
    assert [d for d in differences if "teams" in repr(d) or "audit_log" in repr(d)] == []
    assert {"teams_activities", "teams_references"} <= set(Base.metadata.tables)
