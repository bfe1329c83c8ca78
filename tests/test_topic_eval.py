"""Scoring the whole bot on topic-labelled messages (``helpbot eval file.jsonl``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.evaluation import EvalSetInvalid
from bot.topic_eval import evaluate_topics, load_messages, load_topics

TOPICS = """\
topics:
  deadline: {group: seed, intents: [secret_deadline]}
  walk: {group: walkthrough, flow: account_secret}
  other: {group: out_of_scope, fallback: true}
  typed: {group: typed_secret, warn: true}
  person: {group: seed, intents: [talk_to_person]}
"""
MESSAGES = [
    {"id": "1", "text": "when is the account secret deadline", "topic": "deadline"},
    {"id": "2", "text": "what is the nhs 111 phone number", "topic": "deadline"},
    {"id": "3", "text": "walk me through setting up my account secret", "topic": "walk"},
    {"id": "4", "text": "what is the nhs 111 phone number", "topic": "other"},
    {"id": "5", "text": "my account secret is Bluebellwoodland", "topic": "typed"},
    {"id": "6", "text": "talk to a person", "topic": "person"},
]


def _files(tmp_path: Path, rows: list[dict[str, str]] = MESSAGES) -> tuple[Path, Path]:
    topics, messages = tmp_path / "topics.yaml", tmp_path / "messages.jsonl"
    topics.write_text(TOPICS)
    messages.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return topics, messages


def test_each_group_is_scored_by_what_the_person_saw(knowledge, tmp_path: Path) -> None:
    topics, messages = _files(tmp_path)
    report = evaluate_topics(knowledge, load_messages(messages), load_topics(topics))

    assert report.share("seed") == pytest.approx(2 / 3)  # the 111 question is not ours
    assert report.share("walkthrough") == 1.0
    assert report.share("out_of_scope") == 1.0
    assert report.share("typed_secret") == 1.0
    assert report.by_topic()["deadline"] == (1, 2)
    assert report.confusions() == {("deadline", "fallback"): 1}


def test_cli_prints_the_figures_per_group_and_topic(helpbot, tmp_path: Path) -> None:
    topics, messages = _files(tmp_path)
    result = helpbot("eval", str(messages), "--topics", str(topics), "--misses")
    assert result.returncode == 0, result.stderr
    figures = dict(line.split(":", 1) for line in result.stdout.splitlines() if "%" in line)
    assert figures["seed topics answered right outright"].split() == ["66.7%", "(of", "3)"]
    assert figures["typed secrets warned about"].split()[0] == "100.0%"
    assert "deadline -> fallback: 1" in result.stdout
    assert "Bluebellwoodland" not in result.stdout  # misses list only the wrong ones


def test_a_topic_missing_from_the_map_is_named(knowledge, tmp_path: Path) -> None:
    topics, messages = _files(tmp_path, [{"id": "1", "text": "hi", "topic": "nowhere"}])
    with pytest.raises(EvalSetInvalid, match="topics missing from the map: nowhere"):
        evaluate_topics(knowledge, load_messages(messages), load_topics(topics))


def test_a_broken_line_is_named_by_file_and_line(tmp_path: Path) -> None:
    messages = tmp_path / "m.jsonl"
    messages.write_text('{"id": "1", "text": "hi", "topic": "x"}\n{"id": "2"\n')
    with pytest.raises(EvalSetInvalid, match=f"{messages}:2:"):
        load_messages(messages)


@pytest.mark.parametrize(
    "spec",
    [
        "{group: seed}",
        "{group: nowhere, fallback: true}",
        "{group: seed, intents: [a], warn: true}",
    ],
)
def test_a_topic_needs_a_group_and_exactly_one_expectation(tmp_path: Path, spec: str) -> None:
    topics = tmp_path / "topics.yaml"
    topics.write_text(f"topics:\n  t: {spec}\n")
    with pytest.raises(EvalSetInvalid, match="topic 't'"):
        load_topics(topics)


def test_unreadable_files_are_named_without_a_traceback(helpbot, tmp_path: Path) -> None:
    binary = tmp_path / "latin1.jsonl"
    binary.write_bytes(b'{"id": "1", "text": "caf\xe9", "topic": "x"}\n')
    for target, message in [
        (tmp_path, f"{tmp_path}: cannot be read"),
        (binary, f"{binary}: not UTF-8 text"),
        (tmp_path / "nowhere.jsonl", f"{tmp_path / 'nowhere.jsonl'}: file not found"),
    ]:
        result = helpbot("eval", str(target))
        assert result.returncode == 1 and message in result.stderr, result.stderr
        assert "Traceback" not in result.stderr


def test_the_report_counts_wrong_answers_and_right_suggestions(helpbot, tmp_path) -> None:
    topics, messages = _files(tmp_path)
    result = helpbot("eval", str(messages), "--topics", str(topics))
    lines = dict(line.split(":", 1) for line in result.stdout.splitlines() if ":" in line)
    assert lines["answered with a wrong intent"].strip() == "0"
    assert "seed offered as 'did you mean'" in lines
