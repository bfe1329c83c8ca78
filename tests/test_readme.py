"""The conversations the README shows are what the bot says (``...`` stands for more).

Each block of ``you>``/``bot>`` lines in README.md is played as a new conversation on
the shipped knowledge; every ``bot>`` reply there must match the bot's real reply as
the terminal shows it, from its start to its end, spaces aside.
"""

from __future__ import annotations

import re

import pytest

from bot.channels.console import render
from bot.config import PROJECT_ROOT
from bot.core.engine import Engine, Knowledge
from bot.core.messages import Message
from bot.store import Store

README = PROJECT_ROOT / "README.md"
Turn = tuple[str, str]  # what the person typed, what the README says the bot said


def conversations() -> list[list[Turn]]:
    found = []
    for block in re.findall(r"```[a-z]*\n(.*?)```", README.read_text(), re.DOTALL):
        turns: list[Turn] = []
        said: list[str] | None = None
        for line in block.splitlines():
            if line.startswith("you> "):
                said = []
                turns.append((line[5:], ""))
            elif said is not None and line.startswith(("bot> ", "     ")):
                said.append(line[5:])
                turns[-1] = (turns[-1][0], " ".join(said))
        if turns:
            found.append(turns)
    return found


def pattern(shown: str) -> re.Pattern[str]:
    """The README's words, any spacing between them, ``...`` for anything at all."""
    parts = [r"\s+".join(map(re.escape, p.split())) for p in shown.split("...")]
    return re.compile(r"\s*" + r".*?".join(parts) + r"\s*", re.DOTALL)


def test_the_readme_shows_conversations() -> None:
    assert len(conversations()) >= 2


@pytest.mark.parametrize("turns", conversations(), ids=lambda t: t[0][0])
def test_each_readme_conversation_is_what_the_bot_says(
    turns: list[Turn], knowledge: Knowledge, tmp_path
) -> None:
    store = Store(f"sqlite:///{tmp_path / 'readme.db'}")
    engine = Engine(knowledge, store)
    try:
        for typed, shown in turns:
            replies = engine.handle(Message(user_id="reader", text=typed, channel="cli"))
            real = "\n".join(render(r) for r in replies)
            assert pattern(shown).fullmatch(real), f"you> {typed}\nREADME: {shown}\nbot: {real}"
    finally:
        store.close()
