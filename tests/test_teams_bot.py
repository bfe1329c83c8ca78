"""The Teams app's own pieces, without a server: what it says when a turn fails, and how
it retries news Teams refused."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from microsoft_agents.activity import Activity
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from bot.channels.teams.app import SORRY, ServiceHosts, TeamsBot
from bot.channels.teams.proactive import (
    ATTEMPTS,
    FIRST_PAUSE,
    LONGEST_PAUSE,
    Outcome,
    pause,
    send_all,
)
from bot.config import load_teams_settings
from bot.core.engine import Engine, Knowledge


class Said:
    """Stands in for the SDK's turn context: keeps what the bot sends."""

    def __init__(self) -> None:
        self.sent: list[object] = []

    async def send_activity(self, activity: object) -> None:
        self.sent.append(activity)


def test_a_failed_turn_says_our_words_not_the_exceptions(knowledge: Knowledge) -> None:
    bot = TeamsBot(Engine(knowledge, None), load_teams_settings({"HELPBOT_TEAMS_ANONYMOUS": "1"}))
    said = Said()
    asyncio.run(bot._on_turn_error(said, RuntimeError("password=hunter2 in row 7")))
    assert said.sent == [SORRY]
    assert "0333 200 1133" in SORRY and "hunter2" not in str(said.sent)


def test_tokens_issuer_is_checked_and_replies_go_only_to_the_listed_hosts(
    knowledge: Knowledge,
) -> None:
    prefix = "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__"
    env = {prefix + "CLIENTID": "app", prefix + "TENANTID": "t", prefix + "CLIENTSECRET": "s"}
    bot = TeamsBot(Engine(knowledge, None), load_teams_settings(env))
    assert bot.auth_configuration().VALIDATE_ISSUER
    hosts = ServiceHosts(load_teams_settings(env).service_hosts)
    assert hosts.is_allowed("https://smba.trafficmanager.net/uk/")
    assert hosts.is_allowed("https://europe.webchat.botframework.com/")
    for elsewhere in (
        "https://x.blob.core.windows.net/",
        "https://x.sharepoint.com/",
        "http://smba.trafficmanager.net/uk/",  # not https
        "http://127.0.0.1:3978/",  # loopback only when listed
    ):
        assert not hosts.is_allowed(elsewhere), elsewhere


class Broken:
    """A turn context whose sending fails with something other than an HTTP refusal."""

    async def send_activity(self, _activity: object) -> None:
        raise RuntimeError("serialisation failed")


def test_news_that_failed_inside_the_sdks_callback_is_not_counted_as_sent(
    knowledge: Knowledge,
) -> None:
    bot = TeamsBot(Engine(knowledge, None), load_teams_settings({"HELPBOT_TEAMS_ANONYMOUS": "1"}))

    async def continue_conversation(_app: str, _continuation: object, callback: Any) -> None:
        await callback(Broken())

    bot.adapter.continue_conversation = continue_conversation  # type: ignore[method-assign]
    reference = {
        "serviceUrl": "https://smba.trafficmanager.net/uk/",
        "conversation": {"id": "a:1"},
        "channelId": "msteams",
    }
    outcome = asyncio.run(bot._send(reference, [Activity(type="message", text="news")]))
    assert outcome.failed and outcome.sent == 0


def refusal(status: int, retry_after: str | None = None) -> aiohttp.ClientResponseError:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    info = aiohttp.RequestInfo(URL("http://127.0.0.1/"), "POST", CIMultiDictProxy(CIMultiDict()))
    return aiohttp.ClientResponseError(info, (), status=status, headers=headers)


def run_sends(answers: list[int], activities: int = 1) -> tuple[Outcome, list[float]]:
    """``send_all`` against a Bot Connector answering ``answers`` in turn (200 after)."""
    waits: list[float] = []

    async def send(_activity: object) -> None:
        status = answers.pop(0) if answers else 200
        if status != 200:
            raise refusal(status)

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    return asyncio.run(send_all(send, ["a"] * activities, sleep=sleep)), waits


@pytest.mark.parametrize("status", [412, 429, 502, 504])
def test_a_passing_refusal_is_retried_after_a_growing_pause(status: int) -> None:
    outcome, waits = run_sends([status, status], activities=2)
    assert (outcome.sent, outcome.status, outcome.failed, outcome.gone) == (2, 200, False, False)
    assert len(waits) == 2 and 0 < waits[0] <= FIRST_PAUSE < waits[1] <= 2 * FIRST_PAUSE


@pytest.mark.parametrize("status", [403, 404])
def test_a_person_who_cannot_be_reached_is_not_retried(status: int) -> None:
    outcome, waits = run_sends([status], activities=3)
    assert (outcome.sent, outcome.status, outcome.gone) == (0, status, True)
    assert waits == []


def test_retries_give_up_after_a_few_and_other_errors_at_once() -> None:
    outcome, waits = run_sends([429] * ATTEMPTS)
    assert outcome.failed and outcome.status == 429 and len(waits) == ATTEMPTS - 1
    outcome, waits = run_sends([500])
    assert outcome.failed and outcome.status == 500 and waits == []


def test_the_pause_honours_retry_after_within_bounds() -> None:
    assert pause(0, {"Retry-After": "3"}) == 3.0
    assert pause(0, {"Retry-After": "100000"}) == LONGEST_PAUSE
    # An HTTP date is not read: the third retry's own pause, half to all of 4 x the first.
    dated = pause(2, {"Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT"})
    assert 2 * FIRST_PAUSE <= dated <= 4 * FIRST_PAUSE
    assert all(pause(10, None) <= LONGEST_PAUSE for _ in range(50))
