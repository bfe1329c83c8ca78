"""The conversation core: message in, replies out, state in the database."""

from __future__ import annotations

from sqlalchemy import select

from bot.core.engine import Engine, Knowledge
from bot.core.matcher import Matcher, Thresholds
from bot.core.messages import Message
from bot.store import Store
from bot.store.models import Conversation, MessageRecord, Unanswered


def say(engine: Engine, text: str, user: str = "u1", **kw) -> list:
    return engine.handle(Message(user_id=user, text=text, **kw))


def test_a_clear_question_gets_its_answer_with_source(engine: Engine) -> None:
    [reply] = say(engine, "when is the account secret deadline")
    assert reply.meta.intent == "secret_deadline"
    assert "3 February 2025" in reply.text
    assert "https://support.nhs.net/knowledge-base/setting-a-user-account-secret/" in reply.text
    assert not reply.meta.fallback
    assert 0 < reply.meta.confidence <= 1


def test_a_delivery_sent_again_is_answered_once(engine: Engine, store: Store) -> None:
    """A platform's retry of a message the bot has taken (the same delivery id) gets no
    second answer, and nothing of it is kept; a new delivery of the same words does."""
    asked = {"channel": "slack", "delivery": "Ev0001"}
    [reply] = say(engine, "when is the account secret deadline", **asked)
    assert reply.meta.intent == "secret_deadline"
    assert say(engine, "when is the account secret deadline", **asked) == []
    [again] = say(engine, "when is the account secret deadline", **{**asked, "delivery": "Ev2"})
    assert again.meta.intent == "secret_deadline"
    with store.session() as session:
        kept = session.execute(select(MessageRecord.direction)).scalars().all()
    assert kept == ["in", "out", "in", "out"]


def test_a_delivery_that_opens_a_ticket_opens_it(engine: Engine) -> None:
    """The claim is committed before the decision, which writes the ticket on a
    connection of its own: on SQLite, one lock for the whole database."""
    say(engine, "talk to a person", channel="slack", delivery="Ev1")
    [done] = say(engine, "yes", channel="slack", delivery="Ev2")
    assert "your ticket is **HD-000001**" in done.text
    assert [t.ref for t in engine.tickets.list()] == ["HD-000001"]


def test_out_of_scope_falls_back_with_helpdesk_contacts(engine: Engine) -> None:
    [reply] = say(engine, "what is the phone number for nhs 111")
    assert reply.meta.fallback and reply.meta.intent is None
    assert reply.meta.handoff_offered
    assert "helpdesk@nhs.net" in reply.text and "0333 200 1133" in reply.text
    assert [b.typed for b in reply.buttons] == ["talk to a person"]


def test_fallback_is_recorded_for_admins(engine: Engine, store: Store) -> None:
    say(engine, "how do I book a flu jab for my mum")
    with store.session() as session:
        rows = session.execute(select(Unanswered)).scalars().all()
    assert [r.text for r in rows] == ["how do I book a flu jab for my mum"]


def test_answer_buttons_can_be_picked_by_number_label_or_click(engine: Engine) -> None:
    [reply] = say(engine, "when is the account secret deadline")
    first = reply.buttons[0]
    [by_number] = say(engine, "1")
    assert by_number.meta.intent == first.value.removeprefix("intent:")
    say(engine, "when is the account secret deadline")
    [by_label] = say(engine, first.label.lower())
    assert by_label.meta.intent == by_number.meta.intent
    [by_click] = say(engine, "", action=first.value)
    assert by_click.meta.intent == by_number.meta.intent


def test_did_you_mean_offers_choices_and_none(content, store: Store) -> None:
    # A matcher that is never sure enough to answer: every match becomes "did you mean".
    unsure = Knowledge(
        content, Matcher(content, Thresholds(answer=1.01, agreed_answer=1.01, clear_answer=1.01))
    )
    engine = Engine(unsure, store)
    [reply] = say(engine, "how do I set up my account secret")
    assert reply.meta.suggestions[0] == "secret_setup"
    assert not reply.meta.fallback and reply.meta.intent is None
    assert reply.buttons[-1].typed == "none"
    assert [b.typed for b in reply.buttons[:-1]] == [str(i) for i in range(1, len(reply.buttons))]
    [after_none] = say(engine, "none")
    assert after_none.meta.fallback and after_none.meta.handoff_offered
    with store.session() as session:
        unanswered = session.execute(select(Unanswered.text)).scalars().all()
    assert unanswered == ["how do I set up my account secret"]


def test_a_suggestion_can_be_picked_by_number(content, store: Store) -> None:
    never_sure = Thresholds(answer=1.01, agreed_answer=1.01, clear_answer=1.01)
    engine = Engine(Knowledge(content, Matcher(content, never_sure)), store)
    [reply] = say(engine, "how do I set up my account secret")
    [picked] = say(engine, "1")
    assert picked.meta.intent == reply.meta.suggestions[0]
    assert "portal.nhs.net" in picked.text


def test_state_survives_a_new_engine_on_the_same_database(
    engine: Engine, knowledge, db_url: str
) -> None:
    [reply] = say(engine, "when is the account secret deadline")
    other_process = Engine(knowledge, Store(db_url))
    [picked] = say(other_process, "2")
    assert picked.meta.intent == reply.buttons[1].value.removeprefix("intent:")


def test_users_do_not_share_state(engine: Engine) -> None:
    say(engine, "when is the account secret deadline", user="alice")
    [reply] = say(engine, "2", user="bob")
    assert reply.meta.intent != "secret_hard_enforcement"


def test_every_message_is_stored_redacted(engine: Engine, store: Store) -> None:
    say(engine, "my number is 07700 900123 and my email is jo.bloggs@example.com, locked out")
    with store.session() as session:
        texts = session.execute(select(MessageRecord.text)).scalars().all()
    joined = "\n".join(texts)
    assert "07700 900123" not in joined and "jo.bloggs@example.com" not in joined
    assert "[PHONE]" in joined and "[EMAIL]" in joined


def test_small_talk_loses_to_a_real_question(engine: Engine) -> None:
    [reply] = say(engine, "Hi there! How do I apply for NHSmail for our care home?")
    assert reply.meta.intent == "nhsmail_apply"


def test_database_down_still_answers_with_contacts(knowledge, tmp_path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'gone.db'}")
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE messages")
    engine = Engine(knowledge, store)
    [reply] = say(engine, "what's the weather like today")
    assert reply.meta.fallback and "0333 200 1133" in reply.text
    [reply] = say(engine, "how do i apply for nhsmail")
    assert reply.meta.intent == "nhsmail_apply"


def test_conversation_row_is_created_once_per_user_and_place(engine: Engine, store) -> None:
    say(engine, "hello")
    say(engine, "thanks")
    say(engine, "hello", conversation_id="C1")
    with store.session() as session:
        keys = session.execute(select(Conversation.conversation_key)).scalars().all()
    assert sorted(keys) == ["C1", "u1"]
