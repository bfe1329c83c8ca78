"""Shared fixtures: the shipped knowledge, real databases, and the CLI as a process."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bot.config import PROJECT_ROOT
from bot.content.loader import Content, load_content
from bot.core.engine import Engine, Knowledge
from bot.store import Store

INTENTS = PROJECT_ROOT / "intents"
KNOWLEDGE = PROJECT_ROOT / "knowledge"
PG_URL = os.environ.get("TEST_DATABASE_URL")
PG_SKIP = "TEST_DATABASE_URL is not set (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)"


@pytest.fixture(scope="session")
def content() -> Content:
    return load_content(INTENTS, KNOWLEDGE)


@pytest.fixture(scope="session")
def knowledge(content: Content) -> Knowledge:
    return Knowledge.build(content)


def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database: SQLite always, PostgreSQL when TEST_DATABASE_URL is set."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'helpbot.db'}"
    if not PG_URL:
        pytest.skip(PG_SKIP)
    _reset_postgres(PG_URL)
    return PG_URL


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    store = Store(db_url)
    yield store
    store.close()


@pytest.fixture
def engine(knowledge: Knowledge, store: Store) -> Engine:
    return Engine(knowledge, store, source=(INTENTS, KNOWLEDGE))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


@pytest.fixture
def helpbot(sqlite_url: str):
    """Run the real ``helpbot`` command in a new process; returns CompletedProcess."""

    def run(*args: str, stdin: str = "", env: dict[str, str] | None = None):
        full_env = {**os.environ, "DATABASE_URL": sqlite_url, **(env or {})}
        return subprocess.run(
            [sys.executable, "-m", "bot", *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=full_env,
            cwd=PROJECT_ROOT,
            timeout=60,
        )

    return run


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    """A writable copy of the shipped content."""
    intents, knowledge = tmp_path / "intents", tmp_path / "knowledge"
    shutil.copytree(INTENTS, intents)
    shutil.copytree(KNOWLEDGE, knowledge)
    return intents, knowledge
