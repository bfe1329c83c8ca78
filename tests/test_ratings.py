"""Rating an answer: Helpful / Not helpful, clicked or typed, recorded once for admins."""

from __future__ import annotations

from sqlalchemy import select

from bot.core.engine import Engine, Knowledge
from bot.core.matcher import Matcher, Thresholds
from bot.core.messages import Message, Reply
from bot.store import Store
from bot.store.models import Rating, Ticket, Unanswered

QUESTION = "when is the account secret deadline"


def say(engine: Engine, text: str, user: str = "u1", **kw) -> list[Reply]:
    return engine.handle(Message(user_id=user, text=text, **kw))


def ratings(store: Store) -> list[tuple[str, bool]]:
    with store.session() as session:
        rows = session.execute(select(Rating).order_by(Rating.id)).scalars().all()
    return [(r.intent, r.helpful) for r in rows]


def unanswered(store: Store) -> list[tuple[str, str | None, str | None]]:
    with store.session() as session:
        rows = session.execute(select(Unanswered).order_by(Unanswered.id)).scalars().all()
    return [(r.text, r.best_intent, r.reason) for r in rows]


def rating_buttons(reply: Reply) -> dict[str, str]:
    return {b.typed: b.value for b in reply.buttons if b.value.startswith("rate:")}


def test_an_answer_from_the_knowledge_can_be_rated(engine: Engine) -> None:
    [reply] = say(engine, QUESTION)
    assert reply.meta.intent == "secret_deadline"
    assert rating_buttons(reply) == {
        "helpful": "rate:up:secret_deadline",
        "not helpful": "rate:down:secret_deadline",
    }
    labels = [b.label for b in reply.buttons]
    assert labels[-2:] == ["Helpful", "Not helpful"]


def test_small_talk_is_not_rated(engine: Engine) -> None:
    [reply] = say(engine, "thank you")
    assert reply.meta.intent is not None and not reply.meta.fallback
    assert rating_buttons(reply) == {}


def test_helpful_is_thanked_and_counted_once(engine: Engine, store: Store) -> None:
    [reply] = say(engine, QUESTION)
    up = rating_buttons(reply)["helpful"]
    [thanks] = say(engine, "", action=up)
    assert "glad" in thanks.text.lower()
    # A second click on the same, now spent, button is thanked but not counted again.
    [again] = say(engine, "", action=up)
    assert "thank" in again.text.lower()
    assert ratings(store) == [("secret_deadline", True)]
    assert unanswered(store) == []


def test_not_helpful_typed_keeps_the_question_for_admins_and_offers_a_person(
    engine: Engine, store: Store
) -> None:
    say(engine, QUESTION)
    [sorry] = say(engine, "Not helpful")
    assert sorry.meta.handoff_offered
    assert [b.typed for b in sorry.buttons] == ["talk to a person"]
    assert "helpdesk@nhs.net" in sorry.text
    assert ratings(store) == [("secret_deadline", False)]
    assert unanswered(store) == [(QUESTION, "secret_deadline", "unhelpful")]


def test_a_ticket_after_not_helpful_is_about_that_question(engine: Engine, store: Store) -> None:
    say(engine, QUESTION)
    say(engine, "not helpful")
    say(engine, "talk to a person")
    [opened] = say(engine, "yes")
    assert "ticket" in opened.text.lower()
    with store.session() as session:
        ticket = session.execute(select(Ticket)).scalar_one()
    assert ticket.category == "secret_deadline"
    assert QUESTION in ticket.transcript


def test_rating_a_picked_suggestion_keeps_the_typed_question(content, store: Store) -> None:
    never_sure = Thresholds(answer=1.01, agreed_answer=1.01, clear_answer=1.01)
    engine = Engine(Knowledge(content, Matcher(content, never_sure)), store)
    [offer] = say(engine, QUESTION)
    [picked] = say(engine, "1")
    assert picked.meta.intent == offer.meta.suggestions[0] == "secret_deadline"
    say(engine, "", action=rating_buttons(picked)["not helpful"])
    assert unanswered(store) == [(QUESTION, "secret_deadline", "unhelpful")]


def test_a_rating_of_an_older_answer_is_thanked_not_counted(engine: Engine, store: Store) -> None:
    [first] = say(engine, QUESTION)
    say(engine, "what is nhsmail")
    [thanks] = say(engine, "", action=rating_buttons(first)["not helpful"])
    assert "sorry" in thanks.text.lower()
    assert ratings(store) == []
    assert unanswered(store) == []


def test_fallbacks_and_declined_suggestions_say_why(content, store: Store) -> None:
    engine = Engine(Knowledge(content, Matcher(content, Thresholds())), store)
    say(engine, "how do I book a flu jab for my mum")
    unsure = Engine(
        Knowledge(
            content,
            Matcher(content, Thresholds(answer=1.01, agreed_answer=1.01, clear_answer=1.01)),
        ),
        store,
    )
    say(unsure, "how do I set up my account secret", user="u2")
    say(unsure, "none", user="u2")
    reasons = [(text, reason) for text, _, reason in unanswered(store)]
    assert reasons == [
        ("how do I book a flu jab for my mum", "fallback"),
        ("how do I set up my account secret", "declined"),
    ]


def test_without_a_database_a_rating_is_still_answered(knowledge: Knowledge) -> None:
    engine = Engine(knowledge, None)
    [reply] = say(engine, QUESTION)
    [sorry] = say(engine, "", action=rating_buttons(reply)["not helpful"])
    assert sorry.meta.handoff_offered and "helpdesk@nhs.net" in sorry.text
