"""Bad input never raises, is never echoed unsafely, and nothing is lost."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.core.engine import Engine
from bot.core.messages import Message
from bot.core.replies import HANDOFF
from bot.store.models import MessageRecord

NASTY = {
    "empty": "",
    "whitespace": "   \t\n  ",
    "emoji only": "🙂🙂👍",
    "rtl override": "\u202eterces tnuocca\u202c how do I set it up",
    "zero width": "acc\u200bount se\u200dcret dead\u200bline",
    "control chars": "hello\x00\x07\x1b[31m world",
    "html": "<script>alert('x')</script><b>account secret</b>",
    "sql": "'; DROP TABLE messages; --",
    "slack markup": "<!channel> <@U123> help",
    "only punctuation": "?!?!...,,,",
    "huge number": "9" * 5000,
    "unicode lookalikes": "ＡＣＣＯＵＮＴ ＳＥＣＲＥＴ deadline",
}


@pytest.mark.parametrize("text", NASTY.values(), ids=NASTY.keys())
def test_nasty_input_gets_a_reply_not_an_exception(engine: Engine, text: str) -> None:
    replies = engine.handle(Message(user_id="u", text=text))
    assert replies and all(r.text for r in replies)
    for reply in replies:
        assert "<script>" not in reply.text and "DROP TABLE" not in reply.text
        assert "<!channel>" not in reply.text


@pytest.mark.parametrize("text", ["", "   ", "\n\t"], ids=["empty", "spaces", "newline-tab"])
def test_empty_message_gets_a_gentle_prompt(engine: Engine, text: str) -> None:
    [reply] = engine.handle(Message(user_id="u", text=text))
    assert "What would you like to know?" in reply.text
    assert not reply.meta.fallback


def test_emoji_only_is_asked_for_words(engine: Engine) -> None:
    [reply] = engine.handle(Message(user_id="u", text="🙂🙂"))
    assert "only read words" in reply.text
    # Someone stuck for words still has the helpdesk within reach.
    assert "helpdesk@nhs.net" in reply.text and reply.meta.fallback
    assert [b.value for b in reply.buttons] == [HANDOFF]


def test_invisible_characters_do_not_hide_a_question(engine: Engine) -> None:
    [reply] = engine.handle(Message(user_id="u", text=NASTY["zero width"]))
    assert reply.meta.intent == "secret_deadline"


def test_very_long_message_is_matched_on_its_opening_and_stored_bounded(engine, store) -> None:
    text = "How do I apply for NHSmail for our care home? " + "blah " * 5000
    [reply] = engine.handle(Message(user_id="u", text=text))
    assert reply.meta.intent == "nhsmail_apply"
    with store.session() as session:
        stored = session.execute(
            select(MessageRecord.text).where(MessageRecord.direction == "in")
        ).scalar_one()
    assert len(stored) <= 4_010 and stored.endswith("[...]")


def test_sql_looking_text_is_stored_verbatim(engine, store) -> None:
    engine.handle(Message(user_id="u", text=NASTY["sql"]))
    with store.session() as session:
        stored = session.execute(
            select(MessageRecord.text).where(MessageRecord.direction == "in")
        ).scalar_one()
    assert stored == NASTY["sql"]
