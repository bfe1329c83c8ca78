"""What a content change changed, for the audit log."""

from __future__ import annotations

from dataclasses import replace

from bot.content.diff import content_diff
from bot.content.loader import Content


def test_examples_intents_and_answers_added_removed_and_changed(content: Content) -> None:
    intents = dict(content.intents)
    what = intents["secret_what"]
    intents["secret_what"] = replace(what, examples=[*what.examples[1:], "is my secret like a pin"])
    del intents["thanks"]
    answers = dict(content.answers)
    answers["secret_rules"] = replace(answers["secret_rules"], text="Letters only.")
    changed = replace(content, intents=intents, answers=answers)
    assert content_diff(content, changed) == [
        "- intent thanks",
        "+ example 'is my secret like a pin' (secret_what)",
        f"- example '{what.examples[0]}' (secret_what)",
        "~ answer secret_rules",
    ]
    assert content_diff(content, content) == []
