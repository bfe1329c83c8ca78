"""Guided flows through the core API: every branch, the controls, side questions, expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core.engine import Engine
from bot.core.messages import Message, Reply
from bot.store.reports import flow_stats
from tests.conftest import FixedClock


@pytest.fixture
def bot(knowledge, store, clock) -> Engine:
    return Engine(knowledge, store, clock=clock)


def say(engine: Engine, text: str = "", user: str = "sam", action: str | None = None) -> Reply:
    """The last reply to one message (the one that carries the buttons)."""
    replies = engine.handle(Message(user_id=user, text=text, action=action))
    assert replies, f"no reply to {text!r}"
    return replies[-1]


def typed(reply: Reply) -> list[str]:
    return [b.typed for b in reply.buttons]


def walk(engine: Engine, *texts: str) -> list[Reply]:
    return [say(engine, text) for text in texts]


def test_asking_for_help_starts_the_account_secret_flow(bot: Engine) -> None:
    reply = say(bot, "help me set up my account secret")
    assert (reply.meta.flow, reply.meta.step) == ("account_secret", "account_type")
    assert reply.meta.intent == "secret_setup"
    assert "step 1 of 8" in reply.text
    assert typed(reply) == ["new", "existing", "not sure", "cancel", "talk to a person"]


def test_new_account_path_walks_every_step_and_ends_with_the_campaign(bot: Engine) -> None:
    replies = walk(
        bot, "help me set up my account secret", "new", "yes", "next", "next", "next", "next"
    )
    steps = [r.meta.step for r in replies]
    assert steps == [
        "account_type",
        "can_login_new",
        "new_login",
        "new_aup",
        "new_profile",
        "choose_secret",
        "keep_safe",
    ]
    assert "step 2 of 8" in replies[1].text and "step 7 of 8" in replies[-1].text
    assert "letters only" in replies[5].text and "longer than 8 characters" in replies[5].text
    assert "some of its characters" in replies[6].text
    end = say(bot, "next")
    assert end.meta.step == "why_it_matters"
    assert "3 February 2025" in end.text and "Office 365" in end.text
    assert "https://support.nhs.net/knowledge-base/setting-a-user-account-secret/" in end.text
    # The flow is over: the next message is matched normally.
    after = say(bot, "what is nhsmail")
    assert after.meta.flow is None and after.meta.intent == "nhsmail_what"


def test_existing_account_path_goes_through_self_service(bot: Engine) -> None:
    replies = walk(bot, "help me set up my account secret", "existing", "yes", "next")
    assert [r.meta.step for r in replies[1:]] == [
        "can_login_existing",
        "existing_login",
        "existing_profile",
    ]
    assert "MFA" in replies[2].text
    assert "Self-Service" in replies[3].text and "step 4 of 7" in replies[3].text
    assert say(bot, "next").meta.step == "choose_secret"


def test_not_sure_explains_the_difference_then_branches(bot: Engine) -> None:
    replies = walk(bot, "help me set up my account secret", "not sure", "existing")
    assert [r.meta.step for r in replies[1:]] == ["which_account", "can_login_existing"]


def test_cannot_log_in_leads_to_the_locked_out_help_with_a_person(bot: Engine) -> None:
    end = walk(bot, "help me set up my account secret", "new", "no i can't")[-1]
    assert end.meta.step == "locked_out" and end.meta.handoff_offered
    assert "Local Administrator" in end.text and "0333 200 1133" in end.text
    assert typed(end) == ["talk to a person"]


def test_numbers_labels_and_clicks_all_pick_a_choice(bot: Engine) -> None:
    first = say(bot, "help me set up my account secret")
    assert say(bot, "2").meta.step == "can_login_existing"
    say(bot, "back")
    assert say(bot, "New account (first log-in)").meta.step == "can_login_new"
    say(bot, "back")
    new_button = first.buttons[0]
    assert say(bot, action=new_button.value).meta.step == "can_login_new"


def test_back_and_start_again(bot: Engine) -> None:
    walk(bot, "help me set up my account secret", "new", "yes")
    back = say(bot, "back")
    assert back.meta.step == "can_login_new" and "step 2 of 8" in back.text
    assert say(bot, "back").meta.step == "account_type"
    first = say(bot, "back")
    assert first.meta.step == "account_type" and "first step" in first.text
    walk(bot, "existing", "yes")
    assert say(bot, "start again").meta.step == "account_type"


def test_cancel_then_an_unrelated_question_is_matched_normally(bot: Engine, store) -> None:
    walk(bot, "help me set up my account secret", "new")
    cancelled = say(bot, "cancel")
    assert cancelled.meta.flow is None and "stopped" in cancelled.text
    assert typed(cancelled) == ["start again"]
    answer = say(bot, "who can use nhsmail")
    assert answer.meta.intent == "nhsmail_who_can_use" and answer.meta.flow is None
    [counts] = flow_stats(store, timedelta(hours=24))
    assert (counts.started, counts.cancelled) == (1, 1)


def test_side_question_is_answered_and_the_user_can_carry_on(bot: Engine) -> None:
    walk(bot, "help me set up my account secret", "new", "yes", "next")
    side = say(bot, "wait, what's the deadline again?")
    assert side.meta.intent == "secret_deadline" and "3 February 2025" in side.text
    assert side.buttons[-1].typed == "continue"
    assert side.buttons[-1].label == "Carry on with: Set up my Account Secret"
    back_on = say(bot, "continue")
    assert back_on.meta.step == "new_aup" and "where you were" in back_on.text
    assert say(bot, "next").meta.step == "new_profile"


def test_talk_to_a_person_mid_flow_keeps_the_place(bot: Engine) -> None:
    walk(bot, "help me set up my account secret", "existing")
    person = say(bot, "talk to a person")
    assert person.meta.handoff_offered and "helpdesk@nhs.net" in person.text
    assert person.buttons[-1].typed == "continue"
    assert say(bot, "continue").meta.step == "can_login_existing"


def test_a_mistyped_answer_repeats_the_step(bot: Engine) -> None:
    say(bot, "help me set up my account secret")
    again = say(bot, "banana")
    assert again.meta.step == "account_type" and "didn't catch that" in again.text


def test_a_stale_button_shows_where_the_user_is(bot: Engine) -> None:
    first = say(bot, "help me set up my account secret")
    say(bot, "new")
    stale = say(bot, action=first.buttons[1].value)  # "Existing" on the first step
    assert stale.meta.step == "can_login_new" and "earlier step" in stale.text


def test_idle_flow_expires_with_a_friendly_message(bot: Engine, clock: FixedClock, store) -> None:
    walk(bot, "help me set up my account secret", "new")
    clock.now += timedelta(hours=25)
    [notice] = bot.handle(Message(user_id="sam", text="yes"))
    assert "Welcome back" in notice.text and "24 hours" in notice.text
    assert notice.meta.flow is None and typed(notice) == ["start again"]
    restarted = say(bot, "start again")
    assert restarted.meta.step == "account_type"
    [counts] = flow_stats(store, timedelta(hours=24), now=clock.now)
    assert (counts.started, counts.abandoned, counts.active) == (2, 1, 1)


def test_expiry_notice_comes_before_the_answer_to_a_new_question(bot: Engine, clock) -> None:
    walk(bot, "help me set up my account secret", "new")
    clock.now += timedelta(days=3)
    notice, answer = bot.handle(Message(user_id="sam", text="when is the deadline"))
    assert "Welcome back" in notice.text and not notice.buttons
    assert answer.meta.intent == "secret_deadline"


def test_within_the_timeout_the_flow_carries_on(bot: Engine, clock: FixedClock) -> None:
    say(bot, "help me set up my account secret")
    clock.now += timedelta(hours=23)
    assert say(bot, "new").meta.step == "can_login_new"


def test_flows_are_kept_per_user(bot: Engine) -> None:
    say(bot, "help me set up my account secret", user="a")
    say(bot, "help me set up my account secret", user="b")
    assert say(bot, "existing", user="a").meta.step == "can_login_existing"
    assert say(bot, "new", user="b").meta.step == "can_login_new"


@pytest.mark.parametrize(
    ("answers", "steps"),
    [
        (["yes", "next"], ["ask_la", "mfa"]),
        (["no", "next"], ["apply", "mfa"]),
        (["not sure"], ["check_org"]),
    ],
)
def test_get_nhsmail_flow_branches(bot: Engine, answers, steps) -> None:
    answer = say(bot, "how do i apply for nhsmail")
    assert answer.meta.intent == "nhsmail_apply" and "helpdesk@nhs.net" in answer.text
    opened = say(bot, "walk me through")
    assert (opened.meta.flow, opened.meta.step) == ("get_nhsmail", "has_nhsmail")
    replies = walk(bot, *answers)
    assert [r.meta.step for r in replies] == steps
    end = replies[-1]
    if steps[0] == "check_org":
        assert "helpdesk@linca.org.uk" in end.text
    else:
        assert "Multi-Factor" in end.text
    if steps[0] == "apply":
        assert "0333 200 1133" in replies[0].text
    if steps[0] == "ask_la":
        assert "Local Administrator" in replies[0].text


@pytest.mark.parametrize(
    "clock",
    [datetime(2024, 2, 29, 23, 30, tzinfo=UTC), datetime(2039, 7, 1, 8, 0, tzinfo=UTC)],
    indirect=True,
    ids=["2024", "2039"],
)
def test_flow_analytics_count_each_outcome(bot: Engine, clock: FixedClock, store) -> None:
    # Two dates far apart: the counts must not depend on when the suite runs.
    walk(bot, "help me set up my account secret", "new", "no")  # completed (locked out)
    walk(bot, "help me set up my account secret", "cancel")
    walk(bot, "how do i apply for nhsmail", "walk me through", "not sure")
    say(bot, "help me set up my account secret", user="idle")
    clock.now += timedelta(hours=30)
    stats = {c.flow: c for c in flow_stats(store, timedelta(hours=24), now=clock.now)}
    secret, nhsmail = stats["account_secret"], stats["get_nhsmail"]
    assert (secret.started, secret.completed, secret.cancelled, secret.abandoned) == (3, 1, 1, 1)
    assert (nhsmail.started, nhsmail.completed) == (1, 1)


def test_starting_another_flow_abandons_the_first(bot: Engine, store) -> None:
    say(bot, "help me set up my account secret")
    walk(bot, "how do i apply for nhsmail", "walk me through")
    stats = {c.flow: c for c in flow_stats(store, timedelta(hours=24))}
    assert stats["account_secret"].abandoned == 1 and stats["get_nhsmail"].active == 1


def test_flow_state_survives_a_new_engine_on_the_same_database(knowledge, store, clock) -> None:
    first = Engine(knowledge, store, clock=clock)
    walk(first, "help me set up my account secret", "existing", "yes")
    second = Engine(knowledge, store, clock=clock)  # a restart, or another worker
    assert say(second, "next").meta.step == "existing_profile"


def test_free_text_at_the_choose_your_secret_step_is_never_stored(bot: Engine, store) -> None:
    from sqlalchemy import select

    from bot.store.models import MessageRecord

    walk(bot, "help me set up my account secret", "new", "yes", "next", "next", "next")
    [warning] = bot.handle(Message(user_id="sam", text="Bluebellwood"))
    assert "into the portal, not here" in warning.text and "Bluebellwood" not in warning.text
    assert warning.buttons[-1].typed == "continue"
    with store.session() as session:
        stored = session.execute(select(MessageRecord.text)).scalars().all()
    assert "Bluebellwood" not in "\n".join(stored) and "[REDACTED]" in stored
    assert say(bot, "next").meta.step == "choose_secret"  # back on the step, then on
    assert say(bot, "next").meta.step == "keep_safe"


def test_at_the_choose_your_secret_step_only_a_clear_question_is_answered(
    content, store, clock
) -> None:
    from bot.core.engine import Knowledge
    from bot.core.matcher import Matcher, Thresholds

    # Only the clear-lead bars can answer here, and they answer any lone candidate.
    loose = Thresholds(answer=1.01, agreed_answer=1.01, clear_answer=0.0, clear_margin=0.0)
    bot = Engine(Knowledge(content, Matcher(content, loose)), store, clock=clock)
    assert say(bot, "when is the account secret deadline", user="jo").meta.intent
    walk(bot, "help me set up my account secret", "new", "yes", "next", "next", "next")
    [warning] = bot.handle(Message(user_id="sam", text="Bluebellwood"))
    assert "into the portal, not here" in warning.text and not warning.meta.intent
    [again] = bot.handle(Message(user_id="sam", text="deadline secret bluebell"))
    assert "into the portal, not here" in again.text


@pytest.mark.parametrize("denial", ["not new", "we do not", "not an existing one"])
def test_a_denial_does_not_pick_the_choice_it_denies(bot: Engine, denial: str) -> None:
    say(bot, "help me set up my account secret")
    assert say(bot, denial).meta.step not in ("can_login_new", "can_login_existing")


def test_choice_words_work_again_after_a_side_question(bot: Engine) -> None:
    walk(bot, "help me set up my account secret", "new")
    say(bot, "what is the deadline?")
    assert say(bot, "banana").meta.step == "can_login_new"
    assert say(bot, "yes i can").meta.step == "new_login"


@pytest.mark.parametrize("control", ["cancel", "back", "start again"])
def test_a_control_word_outside_a_flow_is_explained_not_a_fallback(bot, store, control) -> None:
    reply = say(bot, control)
    assert "not in a step-by-step walk-through" in reply.text and not reply.meta.fallback
    from bot.store.db import recent_unanswered

    assert recent_unanswered(store) == []


def test_a_reload_that_removes_an_earlier_step_closes_the_flow_kindly(
    folders, store, clock
) -> None:
    intents, knowledge = folders
    live = Engine.from_folders(intents, knowledge, store, clock=clock)
    walk(live, "help me set up my account secret", "not sure", "new")
    path = knowledge / "flows" / "account_secret.yaml"
    text = path.read_text()
    start = text.index("      - id: which_account")
    end = text.index("      - id: can_login_new")
    text = text[:start] + text[end:]
    text = text.replace(
        "          - label: I'm not sure\n            typed: not sure\n"
        "            aliases: [dont know, unsure, no idea]\n            goto: which_account\n",
        "",
    )
    path.write_text(text)
    live.reload()
    notice = say(live, "back")
    assert "changed since" in notice.text and notice.meta.flow is None
