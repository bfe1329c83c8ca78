"""Loading and validating the YAML: every problem as file:line: message."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.content.loader import ContentInvalid, load_content
from tests.conftest import INTENTS, KNOWLEDGE


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    """A writable copy of the shipped content."""
    intents, knowledge = tmp_path / "intents", tmp_path / "knowledge"
    shutil.copytree(INTENTS, intents)
    shutil.copytree(KNOWLEDGE, knowledge)
    return intents, knowledge


def problems(intents: Path, knowledge: Path) -> list[str]:
    with pytest.raises(ContentInvalid) as caught:
        load_content(intents, knowledge)
    return [str(p) for p in caught.value.problems if p.severity == "error"]


def test_shipped_content_is_valid_and_covers_every_intent(content) -> None:
    for intent in content.intents.values():
        assert intent.out_of_scope or intent.answer in content.answers
        assert len(intent.examples) >= 8, intent.id
    assert {c.email for c in content.contacts} >= {"helpdesk@nhs.net", "helpdesk@linca.org.uk"}


def test_bad_indentation_names_file_and_line(folders) -> None:
    intents, knowledge = folders
    (intents / "broken.yaml").write_text(
        "intents:\n  - id: broken\n    title: Broken\n   answer: nhsmail_what\n"
    )
    [problem] = problems(intents, knowledge)
    assert problem.startswith(f"{intents / 'broken.yaml'}:4: ")


def test_missing_field_names_file_line_and_field(folders) -> None:
    intents, knowledge = folders
    (intents / "missing.yaml").write_text(
        "intents:\n"
        "  - id: first\n    title: First\n    answer: nhsmail_what\n    examples: [a b c]\n"
        "  - id: no_title\n    answer: nhsmail_what\n    examples: [d e f]\n"
    )
    [problem] = problems(intents, knowledge)
    assert problem.startswith(f"{intents / 'missing.yaml'}:6: ")
    assert "title" in problem and "Field required" in problem


def test_unknown_answer_reference_is_an_error(folders) -> None:
    intents, knowledge = folders
    (intents / "dangling.yaml").write_text(
        "intents:\n\n  - id: dangling\n    title: Dangling\n    answer: no_such_answer\n"
        "    examples: [x y z]\n"
    )
    [problem] = problems(intents, knowledge)
    assert problem == (
        f"{intents / 'dangling.yaml'}:3: intent 'dangling' refers to unknown answer "
        "'no_such_answer'"
    )


def test_duplicate_intent_id_is_an_error(folders) -> None:
    intents, knowledge = folders
    (intents / "dup.yaml").write_text(
        "intents:\n  - id: secret_what\n    title: Again\n    answer: secret_what\n"
        "    examples: [something new entirely]\n"
    )
    [problem] = problems(intents, knowledge)
    assert problem.startswith(f"{intents / 'dup.yaml'}:2: duplicate intent id 'secret_what'")
    assert "account_secret.yaml" in problem


def test_example_shared_by_two_intents_is_an_error(folders) -> None:
    intents, knowledge = folders
    (intents / "shared.yaml").write_text(
        "intents:\n  - id: copycat\n    title: Copycat\n    answer: secret_what\n"
        "    examples:\n      - something original\n      - What is an ACCOUNT secret?\n"
    )
    [problem] = problems(intents, knowledge)
    assert problem.startswith(f"{intents / 'shared.yaml'}:7: example 'What is an ACCOUNT secret?'")
    assert "secret_what" in problem


def test_unknown_field_and_related_reference_are_errors(folders) -> None:
    intents, knowledge = folders
    (knowledge / "extra.yaml").write_text(
        "answers:\n  - id: extra\n    text: Hi\n    related: [nope]\n    colour: blue\n"
    )
    [problem] = problems(intents, knowledge)
    assert problem.startswith(f"{knowledge / 'extra.yaml'}:5: answers.0.colour: unknown field")


def test_all_problems_are_reported_at_once(folders) -> None:
    intents, knowledge = folders
    (intents / "a.yaml").write_text("intents: [")
    (knowledge / "b.yaml").write_text("answers:\n  - id: Bad Id\n    text: x\n")
    found = problems(intents, knowledge)
    assert len(found) == 2
    assert found[0].startswith(str(intents / "a.yaml"))
    assert found[1].startswith(f"{knowledge / 'b.yaml'}:2:")


def test_reload_keeps_last_good_version_on_error(engine, folders) -> None:
    from bot.core.engine import Engine
    from bot.core.messages import Message

    intents, knowledge = folders
    live = Engine.from_folders(intents, knowledge, engine.store)
    (intents / "broken.yaml").write_text("intents:\n  - id: x\n   bad: indent\n")
    with pytest.raises(ContentInvalid):
        live.reload()
    [reply] = live.handle(Message(user_id="u", text="how do i apply for nhsmail"))
    assert reply.meta.intent == "nhsmail_apply"
    (intents / "broken.yaml").unlink()
    assert live.reload().intents.keys() == live.knowledge.content.intents.keys()
