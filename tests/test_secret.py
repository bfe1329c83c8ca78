"""The Account Secret is never collected: not echoed, not stored, not logged."""

from __future__ import annotations

import logging

import pytest
from conftest import dump_tables
from sqlalchemy import select

from bot.core.engine import Engine
from bot.core.messages import Message
from bot.store import Store
from bot.store.models import MessageRecord

SECRET = "Bluebellwoodland"


@pytest.mark.parametrize(
    "shared",
    [
        f"my account secret is {SECRET}",
        f"secret: {SECRET}",
        f"it's fine, my nhsmail secret was {SECRET}, can you reset my password",
    ],
)
def test_a_shared_secret_is_not_echoed_stored_or_logged(
    engine: Engine, store: Store, shared: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    replies = engine.handle(Message(user_id="sam", text=shared))
    warning = replies[0]
    assert "don't share your Account Secret" in warning.text
    assert "change it" in warning.text and "portal.nhs.net" in warning.text
    assert all(SECRET not in r.text for r in replies)
    dump = dump_tables(store)
    assert SECRET not in dump and SECRET.lower() not in dump.lower()
    assert "[REDACTED]" in dump
    assert SECRET not in caplog.text


def test_a_secret_typed_mid_flow_is_caught_and_the_flow_carries_on(
    engine: Engine, store: Store
) -> None:
    engine.handle(Message(user_id="sam", text="help me set up my account secret"))
    engine.handle(Message(user_id="sam", text="new"))
    [warning] = engine.handle(Message(user_id="sam", text=f"ok my secret is {SECRET}"))
    assert "don't share your Account Secret" in warning.text and SECRET not in warning.text
    assert warning.buttons[-1].typed == "continue"
    [step] = engine.handle(Message(user_id="sam", text="continue"))
    assert step.meta.step == "can_login_new"
    assert SECRET not in dump_tables(store)
    with store.session() as session:
        stored = session.execute(
            select(MessageRecord.text).where(MessageRecord.direction == "in")
        ).scalars()
        assert "ok my secret is [REDACTED]" in list(stored)


def test_talking_about_the_secret_is_not_a_warning(engine: Engine) -> None:
    [reply] = engine.handle(Message(user_id="sam", text="my account secret is not working"))
    assert "don't share" not in reply.text
