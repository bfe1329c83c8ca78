"""The Teams app's own pieces, without a server: what it says when a turn fails."""

from __future__ import annotations

import asyncio

from bot.channels.teams.app import SORRY, TeamsBot
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
