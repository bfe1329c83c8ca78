"""While a person's ticket is claimed, what they write goes to the agent (the core's rule,
the same in every channel); "bot" asks the bot instead, and clicks are for the bot."""

from __future__ import annotations

import pytest
from conftest import Desk, Recorder, dump_tables

from bot.core import relay
from bot.core.engine import Engine
from bot.core.messages import Message, Reply
from bot.runtime import Runtime

SECRET = "Bluebellwoodland"


def say(engine: Engine, text: str = "", **kw) -> list[Reply]:
    return engine.handle(Message(user_id="sam", text=text, **kw))


def user_events(engine: Engine, ref: str = "HD-000001") -> list[str]:
    return [e["text"] for e in engine.tickets.show(ref).events if e["kind"] == "user"]


@pytest.fixture
def claimed(engine: Engine) -> Engine:
    """Sam has HD-000001, claimed by Ann, and has heard about the claim."""
    say(engine, "i forgot my password and im locked out")
    say(engine, "talk to a person")
    say(engine, "yes")
    engine.tickets.claim("HD-000001", "U0ANN", display="Ann")
    [news, _] = say(engine, "hello?")
    assert "(Ann) is now looking at your ticket **HD-000001**" in news.text
    assert "type **bot**" in news.text
    return engine


def test_what_the_user_writes_goes_to_the_agent(claimed: Engine) -> None:
    # Numbers, control words and questions the bot knows are all for Ann now.
    for text in ("2", "cancel", "talk to a person", "i forgot my password and im locked out"):
        [ack] = say(claimed, text)
        assert ack.text == "Sent to **Ann** on **HD-000001**."
    assert user_events(claimed) == [
        "hello?",
        "2",
        "cancel",
        "talk to a person",
        "i forgot my password and im locked out",
    ]
    assert [t.status for t in claimed.tickets.list()] == ["claimed"]


def test_the_first_acknowledgement_says_how_to_reach_the_bot(engine: Engine) -> None:
    say(engine, "talk to a person")
    say(engine, "yes")
    engine.tickets.claim("HD-000001", "ann")
    news, first = say(engine, "it still says locked")
    assert first.text.startswith("Sent to **ann** on **HD-000001**. To ask me (the bot)")
    assert [(b.label, b.typed) for b in first.buttons] == [("Ask the bot instead", "bot")]
    [second] = say(engine, "and I can't see my inbox")
    assert second.text == "Sent to **ann** on **HD-000001**." and not second.buttons


def test_bot_is_the_way_out_for_one_question_and_its_choices(claimed: Engine) -> None:
    [listens] = say(claimed, "ask the bot")
    assert "Your next message comes to me, not to **Ann**" in listens.text
    [answer] = say(claimed, "i forgot my password and im locked out")
    assert answer.meta.intent == "locked_out" and answer.buttons
    # A typed choice of the bot's own buttons is for the bot...
    [picked] = say(claimed, "1")
    assert picked.meta.intent == answer.buttons[0].value.removeprefix("intent:")
    # ...and anything else goes to Ann again.
    [ack] = say(claimed, "thanks, back to you Ann")
    assert ack.text.startswith("Sent to **Ann**")
    assert user_events(claimed) == ["hello?", "thanks, back to you Ann"]


def test_the_ask_the_bot_button_works_by_click(claimed: Engine) -> None:
    [listens] = say(claimed, "Ask the bot instead", action=relay.ASK_BOT)
    assert "next message comes to me" in listens.text
    [answer] = say(claimed, "when is the account secret deadline")
    assert answer.meta.intent == "secret_deadline"


def test_a_click_answers_the_bot_not_the_agent(claimed: Engine) -> None:
    [answer] = say(claimed, "When is the deadline?", action="intent:secret_deadline")
    assert answer.meta.intent == "secret_deadline"
    assert user_events(claimed) == ["hello?"]


def test_an_account_secret_is_never_passed_to_the_agent(claimed: Engine, store) -> None:
    [warning] = say(claimed, f"my account secret is {SECRET}")
    assert "don't share your Account Secret" in warning.text
    assert user_events(claimed) == ["hello?"]
    assert SECRET not in dump_tables(store)


def test_personal_details_reach_the_agent_redacted(claimed: Engine, store) -> None:
    say(claimed, "call me on 07700 900123")
    assert user_events(claimed)[-1] == "call me on [PHONE]"
    assert "07700 900123" not in dump_tables(store)


def test_a_message_without_words_is_not_sent(claimed: Engine) -> None:
    [reply] = say(claimed, "   ")
    assert "Only words reach **Ann**" in reply.text
    assert user_events(claimed) == ["hello?"]


def test_a_shared_thread_is_not_relayed(claimed: Engine) -> None:
    [answer] = say(
        claimed, "i forgot my password and im locked out", conversation_id="C1:1.0", shared=True
    )
    assert answer.meta.intent == "locked_out"
    assert user_events(claimed) == ["hello?"]


def test_after_the_resolution_the_bot_answers_again(claimed: Engine) -> None:
    claimed.tickets.resolve("HD-000001", "U0ANN")
    news, answer = say(claimed, "i forgot my password and im locked out")
    assert "has been resolved" in news.text and answer.meta.intent == "locked_out"


def test_a_walk_through_waits_while_the_user_talks_to_the_agent(engine: Engine) -> None:
    say(engine, "help me set up my account secret")
    say(engine, "existing")
    say(engine, "talk to a person")
    say(engine, "yes")
    engine.tickets.claim("HD-000001", "ann")
    say(engine, "I can't sign in")
    [ack] = say(engine, "continue")  # to Ann: she may have asked whether to go on
    assert ack.text.startswith("Sent to **ann**")
    engine.tickets.resolve("HD-000001", "ann")
    [_, step] = say(engine, "continue")
    assert step.meta.step == "can_login_existing"


def test_channels_hear_of_each_message_for_the_agent(claimed: Engine, desk: Desk) -> None:
    runtime = Runtime(claimed, Recorder(), helpdesk=desk)
    runtime.turn(Message(user_id="sam", text="my mobile is 07700 900123"), lambda _: None)
    heard = desk.heard[1:]  # after "hello?", which the claimed fixture wrote
    assert heard == [("HD-000001", "my mobile is [PHONE]")]


def test_an_agent_reaches_the_user_only_on_a_ticket_they_claimed(claimed: Engine) -> None:
    tickets = claimed.tickets
    assert relay.from_agent(tickets, "HD-000001", "U0BOB", "note for Ann") == relay.FromAgent()
    empty = relay.from_agent(tickets, "HD-000001", "U0ANN", "  ")
    assert empty.why_not and "in words" in empty.why_not
    sent = relay.from_agent(tickets, "HD-000001", "U0ANN", "call me on 07700 900123")
    assert sent == relay.FromAgent(requester="sam")
    [news] = say(claimed, "thanks")[:1]
    assert news.text == "**Helpdesk (HD-000001)**: call me on [PHONE]"
    tickets.resolve("HD-000001", "U0ANN")
    done = relay.from_agent(tickets, "HD-000001", "U0ANN", "one more thing")
    assert done.why_not == "Not sent to the user: HD-000001 is resolved."


def test_an_agent_must_claim_before_replying(engine: Engine) -> None:
    say(engine, "talk to a person")
    say(engine, "yes")
    found = relay.from_agent(engine.tickets, "HD-000001", "U0ANN", "hi")
    assert found.why_not == "Not sent to the user: claim HD-000001 first, then reply here."
