"""``helpbot teams`` end to end: the real command on loopback, a local fake Bot Connector.

Activities are posted as Teams posts them, with tokens the fake signs; what the bot
sends back is what the fake records, at the paths the Bot Connector serves.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import PG_SKIP, PG_URL, _reset_postgres
from teams_fake import APP_ID, FakeConnector, Posted, new_key
from teams_harness import TeamsApp, message

from bot.channels.teams import records
from bot.channels.teams.app import SORRY
from bot.channels.teams.cards import text_block
from bot.config import PROJECT_ROOT
from bot.core.engine import Engine, Knowledge
from bot.core.messages import Message, Reply
from bot.store import Store


@pytest.fixture(scope="module")
def fake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeConnector]:
    found = FakeConnector().start(tmp_path_factory.mktemp("fake"))
    yield found
    found.stop()


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'teams.db'}"


@pytest.fixture(scope="module")
def teams(
    fake: FakeConnector, database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TeamsApp]:
    app = TeamsApp(fake, database, tmp_path_factory.mktemp("log") / "teams.log")
    yield app
    app.stop()


def core_says(knowledge: Knowledge, text: str) -> list[Reply]:
    return Engine(knowledge, None).handle(Message(user_id="someone", text=text))


def test_a_question_in_a_1_to_1_chat_gets_a_card_with_the_cores_buttons(
    teams: TeamsApp, fake: FakeConnector, knowledge: Knowledge
) -> None:
    question = "how do I set up my account secret"
    activity = message("ann", question, service_url=fake.url)
    assert teams.post(activity) == 202
    path = f"/v3/conversations/a:ann/activities/{activity['id']}"
    typing, answer = fake.wait(2, path=path)
    assert typing.body["type"] == "typing"
    [expected] = core_says(knowledge, question)
    assert answer.card["version"] == "1.5"
    assert answer.text == text_block(expected.text)
    assert [b["title"] for b in answer.buttons] == [b.label for b in expected.buttons]
    assert [b["data"]["helpbot"] for b in answer.buttons] == [b.value for b in expected.buttons]


def test_a_card_click_advances_the_flow_and_the_clicked_card_shows_the_choice(
    teams: TeamsApp, fake: FakeConnector
) -> None:
    first = message("bea", "how do I set up my account secret", service_url=fake.url)
    assert teams.post(first) == 202
    [card] = [
        p for p in fake.wait(2, path=f"/v3/conversations/a:bea/activities/{first['id']}") if p.card
    ]
    existing = next(b for b in card.buttons if b["title"] == "Existing account")
    click = message("bea", value=existing["data"], reply_to="sent-card-1", service_url=fake.url)
    assert teams.post(click) == 202
    answered = fake.wait(2, path=f"/v3/conversations/a:bea/activities/{click['id']}")
    assert "step 2 of" in answered[-1].text
    [spent] = fake.wait(1, method="PUT", path="/v3/conversations/a:bea/activities/sent-card-1")
    assert spent.text == "You chose: **Existing account**" and not spent.buttons
    # Teams keeps old cards clickable: a second click on the first card moves nothing.
    again = message("bea", value=existing["data"], reply_to="sent-card-1", service_url=fake.url)
    assert teams.post(again) == 202
    *_, said = fake.wait(2, path=f"/v3/conversations/a:bea/activities/{again['id']}")
    assert said.text.startswith("That button is from an earlier step") and "step 2 of" in said.text


def test_the_same_activity_delivered_twice_is_answered_once(
    teams: TeamsApp, fake: FakeConnector
) -> None:
    activity = message("cat", "what is nhsmail", service_url=fake.url)
    assert teams.post(activity) == 202
    assert teams.post(activity) == 202
    path = f"/v3/conversations/a:cat/activities/{activity['id']}"
    fake.wait(2, path=path)
    later = message("cat", "thanks", service_url=fake.url)
    assert teams.post(later) == 202
    fake.wait(2, path=f"/v3/conversations/a:cat/activities/{later['id']}")
    assert len([p for p in fake.posted if p.path == path]) == 2  # typing and one answer


def test_requests_without_a_good_token_are_refused_and_nothing_is_sent(
    teams: TeamsApp, fake: FakeConnector
) -> None:
    before = len(fake.posted)
    activity = message("eve", "hello", service_url=fake.url)
    assert teams.post(activity, token=None) == 401
    assert teams.post(activity, token=fake.token(key=new_key())) == 401
    assert teams.post(activity, token=fake.token(audience="someone-else")) == 401
    assert teams.post(activity, token=fake.token(expires_in=-3600)) == 401
    assert len(fake.posted) == before


def test_an_activity_asking_for_replies_elsewhere_is_refused(
    teams: TeamsApp, fake: FakeConnector
) -> None:
    before = len(fake.posted)
    # Any host but the Bot Connector's, including Microsoft domains anyone can rent a
    # name under (which the SDK's own list allows).
    for forged in ("https://evil.example.com/", "https://evil.blob.core.windows.net/"):
        activity = message("joe", "hello", service_url=forged)
        assert teams.post(activity, token=fake.token(service_url=forged)) == 401
        # A token for the real Bot Connector does not carry an activity elsewhere either.
        assert teams.post(activity) == 401
    assert len(fake.posted) == before


def test_installing_the_app_remembers_where_to_reach_the_person(
    teams: TeamsApp, fake: FakeConnector, database: str
) -> None:
    installed = message("kim", service_url=fake.url)
    installed.update(
        type="conversationUpdate",
        membersAdded=[{"id": "29:kim"}, {"id": installed["recipient"]["id"]}],
    )
    assert teams.post(installed) == 202
    store = Store(database)
    try:
        deadline = time.monotonic() + 20
        while (found := records.reference_of(store, "29:kim")) is None:
            assert time.monotonic() < deadline
            time.sleep(0.1)  # written by the app's process: a row to look for, not an event
        assert records.reference_of(store, f"28:{APP_ID}") is None  # not the bot itself
    finally:
        store.close()
    assert found["serviceUrl"] == fake.url and found["conversation"]["id"] == "a:kim"


def test_a_turn_that_fails_says_sorry_in_our_words_not_the_errors(
    teams: TeamsApp, fake: FakeConnector
) -> None:
    fake.failures.extend([200, 500])  # the typing goes, the answer is refused
    activity = message("lou", "what is nhsmail", service_url=fake.url)
    assert teams.post(activity) == 202
    path = f"/v3/conversations/a:lou/activities/{activity['id']}"
    _typing, refused, sorry = fake.wait(3, path=path)
    assert refused.answered == 500 and "secure email" in refused.text
    assert sorry.body.get("text") == SORRY  # not the SDK's "Exception caught : ..."


def helpbot(database: str, *args: str) -> str:
    found = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env={**os.environ, "DATABASE_URL": database},
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return found.stdout


def open_ticket(teams: TeamsApp, fake: FakeConnector, user: str) -> str:
    """``user`` asks for a person in Teams and says yes: the new ticket's reference."""
    for text in ("talk to a person", "yes"):
        activity = message(user, text, service_url=fake.url)
        assert teams.post(activity) == 202
        *_, said = fake.wait(2, path=f"/v3/conversations/a:{user}/activities/{activity['id']}")
    found = re.search(r"your ticket is \*{0,2}(HD-\d+)", said.text)
    assert found, said.text
    return found[1]


def news_for(user: str, words: str) -> Callable[[Posted], bool]:
    """A message sent to ``user`` between turns (not in reply to one of their activities)."""
    return lambda p: (
        p.path.startswith(f"/v3/conversations/a:{user}/activities")
        and p.body.get("type") == "message"
        and words in p.text
    )


def test_an_agents_reply_from_the_shell_reaches_the_person_in_teams(
    teams: TeamsApp, fake: FakeConnector, database: str
) -> None:
    ref = open_ticket(teams, fake, "dan")
    helpbot(database, "tickets", "claim", ref, "--agent", "ann")
    helpbot(database, "tickets", "reply", ref, "Try signing in again now", "--agent", "ann")
    [news] = fake.wait(where=news_for("dan", "Try signing in again now"))
    assert news.answered == 200 and news.card["version"] == "1.5"


def test_news_refused_once_for_sending_too_fast_is_delivered_exactly_once(
    teams: TeamsApp, fake: FakeConnector, database: str
) -> None:
    ref = open_ticket(teams, fake, "fay")
    fake.failures.append(429)
    helpbot(database, "tickets", "claim", ref, "--agent", "ann")
    refused, sent = fake.wait(2, where=news_for("fay", "is now looking at your ticket"))
    assert (refused.answered, sent.answered) == (429, 200)
    helpbot(database, "tickets", "reply", ref, "One moment please", "--agent", "ann")
    fake.wait(where=news_for("fay", "One moment please"))  # later news still flows
    assert len([p for p in fake.posted if news_for("fay", "is now looking")(p)]) == 2  # not 3


def test_a_person_who_removed_the_app_is_recorded_on_their_ticket(
    teams: TeamsApp, fake: FakeConnector, database: str
) -> None:
    ref = open_ticket(teams, fake, "gus")
    fake.failures.append(403)
    helpbot(database, "tickets", "claim", ref, "--agent", "ann")
    [refused] = fake.wait(where=news_for("gus", "is now looking at your ticket"))
    assert refused.answered == 403
    deadline = time.monotonic() + 20
    while "cannot reach the requester in teams" not in (
        shown := helpbot(database, "tickets", "show", ref)
    ):
        assert time.monotonic() < deadline, shown
        time.sleep(0.2)  # the runtime writes it just after the refusal: a row, not an event
    assert "403" in shown


def test_two_workers_on_postgresql_deliver_each_piece_of_news_once(
    fake: FakeConnector, tmp_path: Path
) -> None:
    if not PG_URL:
        pytest.skip(PG_SKIP)
    _reset_postgres(PG_URL)
    workers = [TeamsApp(fake, PG_URL, tmp_path / f"worker-{n}.log") for n in (1, 2)]
    try:
        ref = open_ticket(workers[0], fake, "hal")
        helpbot(PG_URL, "tickets", "claim", ref, "--agent", "ann")
        helpbot(PG_URL, "tickets", "reply", ref, "Two workers, one message", "--agent", "ann")
        fake.wait(where=news_for("hal", "Two workers, one message"))
        # A turn through each worker pushes whatever news for hal it can still claim.
        for worker in workers:
            later = message("hal", "thanks", service_url=fake.url)
            assert worker.post(later) == 202
            fake.wait(2, path=f"/v3/conversations/a:hal/activities/{later['id']}")
        for words in ("is now looking at your ticket", "Two workers, one message"):
            assert len([p for p in fake.posted if news_for("hal", words)(p)]) == 1, words
    finally:
        for worker in workers:
            worker.stop()


def test_anonymous_mode_for_the_agents_playground_needs_its_flag_and_no_token(
    fake: FakeConnector, tmp_path: Path
) -> None:
    env = {"HELPBOT_TEAMS_ANONYMOUS": "1", "HELPBOT_TEAMS_SERVICE_HOSTS": "127.0.0.1"}
    app = TeamsApp(fake, f"sqlite:///{tmp_path / 'anon.db'}", tmp_path / "anon.log", env=env)
    try:
        activity = message("ivy", "what is nhsmail", service_url=fake.url)
        assert app.post(activity, token=None) == 202
        *_, answer = fake.wait(2, path=f"/v3/conversations/a:ivy/activities/{activity['id']}")
        assert "secure email service" in answer.text
    finally:
        app.stop()
    assert "anonymous (development only)" in (tmp_path / "anon.log").read_text()


def test_missing_settings_are_named_in_one_line_and_exit_2(tmp_path: Path) -> None:
    found = subprocess.run(
        [sys.executable, "-m", "bot", "teams"],
        env={"PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"},
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert found.returncode == 2
    assert found.stderr.strip().splitlines() == [
        "error: CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTID is not set: it must hold "
        "the bot's Microsoft App ID (Azure Bot resource, Configuration)"
    ]
