"""``helpbot teach``: one phrase added as one line, every other byte kept; collisions refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.content.loader import load_content
from bot.store import Store, audit
from bot.teach import TeachRefused, scalar, teach


def test_the_phrase_is_one_new_line_and_every_other_byte_is_kept(folders) -> None:
    intents, knowledge = folders
    path = intents / "account_secret.yaml"
    before = path.read_bytes()
    taught = teach(
        load_content(*folders), folders, "is my secret the same as my pin", "secret_what"
    )
    after = path.read_bytes()
    assert taught.path == path and taught.written == "- is my secret the same as my pin"
    assert len(after) == len(before) + len(after.splitlines()[taught.line - 1]) + 1
    lines = after.splitlines(keepends=True)
    assert b"".join(lines[: taught.line - 1] + lines[taught.line :]) == before
    assert (
        "is my secret the same as my pin" in load_content(*folders).intents["secret_what"].examples
    )


def test_a_file_without_a_final_newline_keeps_it_that_way(folders) -> None:
    intents, _ = folders
    path = intents / "tickets.yaml"
    before = path.read_text()
    assert not before.endswith("\n")  # the shipped file, as it is
    content = load_content(*folders)
    last_intent = [i for i in content.intents if content.places[("intent", i)].path == path][-1]
    teach(content, folders, "any news on my helpdesk request", last_intent)
    after = path.read_text()
    assert after == before + "\n      - any news on my helpdesk request"


def test_a_phrase_another_intent_already_owns_is_refused_and_nothing_changes(folders) -> None:
    intents, _ = folders
    snapshot = {p: p.read_bytes() for p in intents.glob("*.yaml")}
    content = load_content(*folders)
    with pytest.raises(TeachRefused, match="would collide with 'what is nhs mail for' of intent"):
        teach(content, folders, "What is NHS mail for?", "secret_what")
    with pytest.raises(TeachRefused, match="no intent 'nope'"):
        teach(content, folders, "hello", "nope")
    with pytest.raises(TeachRefused, match="written on one line"):
        teach(content, folders, "good day to you all", "greeting")
    assert {p: p.read_bytes() for p in intents.glob("*.yaml")} == snapshot


def test_phrases_that_yaml_would_misread_are_quoted() -> None:
    assert scalar("can i use it for work") == "can i use it for work"
    assert scalar("yes: no") == '"yes: no"'
    assert scalar("#1 question") == '"#1 question"'
    assert scalar("null") == '"null"'


def test_teach_from_the_shell_shows_the_eval_and_is_audited(
    folders, helpbot, tmp_path: Path, sqlite_url: str
) -> None:
    intents, knowledge = folders
    cases = tmp_path / "cases.yaml"
    cases.write_text("cases:\n  - {text: is the secret like a pin number, intent: secret_what}\n")
    done = helpbot(
        "teach", "is my secret the same as my pin", "secret_what",
        "--intents", str(intents), "--knowledge", str(knowledge), "--eval", str(cases),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"added to {intents / 'account_secret.yaml'}:" in done.stdout
    assert "eval on 1 case(s):" in done.stdout and "  after:  top-1" in done.stdout
    [entry] = audit.entries(Store(sqlite_url))
    assert (entry.action, entry.outcome) == ("teach", "ok: secret_what")
    assert entry.detail.startswith(f"+ {intents / 'account_secret.yaml'}:")
    assert entry.detail.endswith(": - is my secret the same as my pin")
    refused = helpbot(
        "teach", "what is nhs mail for", "secret_what",
        "--intents", str(intents), "--knowledge", str(knowledge), "--eval", str(cases),
    )  # fmt: skip
    assert refused.returncode == 1 and refused.stderr.startswith("not added: ")
