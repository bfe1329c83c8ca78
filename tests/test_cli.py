"""The ``helpbot`` command, run as a real process."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.conftest import INTENTS


def test_ask_prints_one_plain_reply_per_line(helpbot) -> None:
    result = helpbot("ask", stdin="hello\nacct secret deadline??\n")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert "3 February 2025" in lines[1]


def test_ask_json_has_the_documented_fields(helpbot) -> None:
    result = helpbot(
        "ask", "--json", stdin="how do i apply for nhsmail\nwhats the nhs 111 number\n"
    )
    assert result.returncode == 0, result.stderr
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    for reply in (first, second):
        assert set(reply) >= {
            "text",
            "intent",
            "confidence",
            "fallback",
            "suggestions",
            "buttons",
            "handoff_offered",
        }
        assert 0 <= reply["confidence"] <= 1
    assert first["intent"] == "nhsmail_apply" and not first["fallback"]
    assert "helpdesk@nhs.net" in first["text"]
    assert second["intent"] is None and second["fallback"] and second["handoff_offered"]
    assert second["buttons"] == [
        {"label": "Talk to a person", "value": "handoff", "typed": "talk to a person"}
    ]


def test_ask_keeps_state_between_lines_and_processes(helpbot) -> None:
    first = helpbot("ask", "--json", "--user", "sam", stdin="when is the account secret deadline\n")
    offered = json.loads(first.stdout)["buttons"]
    second = helpbot("ask", "--json", "--user", "sam", stdin="1\n")
    assert json.loads(second.stdout)["intent"] == offered[0]["value"].removeprefix("intent:")


def test_ask_jsonl_talks_as_many_users(helpbot) -> None:
    lines = [
        {"user": "a", "text": "when is the account secret deadline"},
        {"user": "b", "text": "hello"},
        {"user": "a", "text": "2"},
        {"user": "b", "text": "2"},
    ]
    stdin = "\n".join(json.dumps(line) for line in lines) + "\nnot json\n"
    result = helpbot("ask", "--jsonl", stdin=stdin)
    assert result.returncode == 0, result.stderr
    replies = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(replies) == 5
    assert replies[2]["intent"] == "secret_hard_enforcement"
    assert replies[3]["intent"] != "secret_hard_enforcement"
    assert replies[4] == {"error": "line 5: Expecting value: line 1 column 1 (char 0)"}


def test_chat_shows_buttons_as_numbered_choices(helpbot) -> None:
    result = helpbot("chat", stdin="when is the deadline for the account secret\n2\nquit\n")
    assert result.returncode == 0, result.stderr
    assert "[1] How do I set up my Account Secret?" in result.stdout
    assert "At hard enforcement" in result.stdout


def test_validate_passes_on_shipped_content(helpbot) -> None:
    result = helpbot("validate")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok: ")


def test_validate_reports_file_line_and_exits_1(helpbot, tmp_path: Path) -> None:
    broken = tmp_path / "intents"
    broken.mkdir()
    (broken / "bad.yaml").write_text("intents:\n  - id: x\n    title: X\n")
    result = helpbot("validate", "--intents", str(broken))
    assert result.returncode == 1
    assert f"{broken / 'bad.yaml'}:2: intents.0.answer" not in result.stderr  # answer optional
    assert f"{broken / 'bad.yaml'}:2: intents.0.examples: Field required" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_environment_variables_choose_the_folders(helpbot, tmp_path: Path) -> None:
    result = helpbot("validate", env={"HELPBOT_INTENTS": str(tmp_path / "nowhere")})
    assert result.returncode == 1
    assert f"{tmp_path / 'nowhere'}:1: folder not found" in result.stderr


def test_eval_prints_accuracy_and_confusions(helpbot, tmp_path: Path) -> None:
    cases = tmp_path / "cases.yaml"
    cases.write_text(
        'cases:\n  - {text: "how do i apply for nhsmail", intent: nhsmail_apply}\n'
        '  - {text: "what is the nhs 111 phone number", intent: null}\n'
        '  - {text: "when is the account secret deadline", intent: nhsmail_roadmap}\n'
    )
    result = helpbot("eval", str(cases))
    assert result.returncode == 0, result.stderr
    figures = {
        line.split(":")[0]: line.split()[-1] for line in result.stdout.splitlines() if "%" in line
    }
    assert figures["top-1 accuracy (in scope)"] == "50.0%"
    assert figures["fallback recall (out of scope)"] == "100.0%"
    assert "nhsmail_roadmap -> secret_deadline: 1" in result.stdout


def test_eval_with_a_broken_file_says_where(helpbot, tmp_path: Path) -> None:
    cases = tmp_path / "cases.yaml"
    cases.write_text("cases:\n  - text: [unclosed\n")
    result = helpbot("eval", str(cases))
    assert result.returncode == 1 and f"{cases}:" in result.stderr
    assert "Traceback" not in result.stderr


def test_bench_prints_latency_and_throughput(helpbot) -> None:
    result = helpbot("bench")
    assert result.returncode == 0, result.stderr
    assert "match latency" in result.stdout and "p99" in result.stdout
    assert "messages/s" in result.stdout


def test_bench_takes_its_messages_from_a_file(helpbot, tmp_path) -> None:
    messages = tmp_path / "messages.jsonl"
    rows = [
        {"id": "a", "text": "my phone broke and now i cant get into my email", "topic": "mfa"},
        {"id": "b", "text": "whats an account secret", "topic": "secret"},
    ]
    messages.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    result = helpbot("bench", "--messages", str(messages))
    assert result.returncode == 0, result.stderr
    assert f"messages: 2 texts from {messages}" in result.stdout
    assert "match latency" in result.stdout and "messages/s" in result.stdout


def test_bench_says_which_messages_file_it_cannot_read(helpbot, tmp_path) -> None:
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"id": "a", "text": "hello", "topic": "x"}\nnot json\n', encoding="utf-8")
    result = helpbot("bench", "--messages", str(broken))
    assert result.returncode == 2
    assert f"{broken}:2:" in result.stderr and "Traceback" not in result.stderr
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n", encoding="utf-8")
    result = helpbot("bench", "--messages", str(empty))
    assert result.returncode == 2 and "no messages" in result.stderr


def test_bench_refuses_a_database_it_cannot_use_in_one_line(helpbot) -> None:
    """Turns on a database the bot cannot use are answered without it: a bench of those
    would measure something else."""
    for options in (("--database", "nonsense"), ("--slack", "--database", "nonsense")):
        result = helpbot("bench", *options)
        assert result.returncode == 2
        assert result.stderr.strip() == "error: --database: not a database URL: 'nonsense'"


def test_db_upgrade_and_unanswered(helpbot) -> None:
    assert helpbot("db", "upgrade").stdout.strip() == "database is up to date"
    helpbot("ask", stdin="what is the football score tonight\n")
    result = helpbot("unanswered")
    assert result.returncode == 0
    assert "what is the football score tonight" in result.stdout


def test_unreachable_database_still_answers(helpbot) -> None:
    url = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    result = helpbot("ask", "--database", url, stdin="how do i apply for nhsmail\n")
    assert result.returncode == 0
    assert "helpdesk@nhs.net" in result.stdout
    assert "answering without saving" in result.stderr


def test_options_work_after_the_subcommand(helpbot) -> None:
    result = helpbot("validate", "--intents", str(INTENTS))
    assert result.returncode == 0, result.stderr


def test_logs_go_to_stderr_not_stdout(helpbot) -> None:
    result = helpbot("-v", "ask", stdin="hello\n")
    assert len(result.stdout.splitlines()) == 1
    assert "INFO" in result.stderr and "INFO" not in result.stdout


def test_a_read_only_command_leaves_no_new_database_behind(helpbot, tmp_path: Path) -> None:
    nowhere = tmp_path / "never-made.db"
    env = {"DATABASE_URL": f"sqlite:///{nowhere}"}
    for args in (("tickets", "list"), ("unanswered",), ("flows",)):
        result = helpbot(*args, env=env)
        assert result.returncode == 0, result.stderr
        assert f"helpbot: no database yet at {nowhere}, so nothing to show" in result.stderr
    assert helpbot("tickets", "list", env=env).stdout == "no tickets\n"
    shown = helpbot("tickets", "show", "HD-000001", env=env)
    assert shown.returncode == 1 and "no ticket 'HD-000001'" in shown.stderr
    assert not nowhere.exists() and list(tmp_path.iterdir()) == []


def test_a_new_database_is_said_once_where_it_is(helpbot, tmp_path: Path) -> None:
    made = tmp_path / "new.db"
    env = {"DATABASE_URL": f"sqlite:///{made}"}
    first = helpbot("ask", stdin="hello\n", env=env)
    assert f"helpbot: new database at {made} " in first.stderr and made.exists()
    again = helpbot("ask", stdin="hello\n", env=env)
    assert "new database" not in again.stderr


def test_answering_from_built_knowledge_loads_neither_orm_nor_yaml_yet_tickets_open(
    helpbot,
) -> None:
    # Importing SQLAlchemy's ORM was about a fifth of `helpbot ask`'s start, pydantic and
    # the YAML parser about a tenth: a turn needs only Core (bot.store.tables), and
    # knowledge read back from its snapshot needs no checking. A ticket loads the ORM.
    assert helpbot("ask", stdin="hello\n").returncode == 0  # migrates, builds, snapshots
    traced = {"PYTHONPROFILEIMPORTTIME": "1"}  # each import, on standard error
    asked = helpbot("ask", stdin="hello\nhow do i apply for nhsmail\n", env=traced)
    assert asked.returncode == 0, asked.stderr
    assert asked.stdout.count("\n") == 2

    def imported(module: str, trace: str) -> bool:
        return re.search(rf"\|\s+{re.escape(module)}$", trace, re.MULTILINE) is not None

    assert imported("sqlalchemy.engine", asked.stderr) and imported("numpy", asked.stderr)
    for heavy in ("sqlalchemy.orm", "pydantic", "yaml"):
        assert not imported(heavy, asked.stderr), heavy
    handed = helpbot("ask", stdin="talk to a person\nyes\n", env=traced)
    assert "Done: your ticket is HD-000001." in handed.stdout, handed.stderr
    assert imported("sqlalchemy.orm", handed.stderr)


def test_the_default_database_is_one_place_whatever_the_folder() -> None:
    from bot.config import PROJECT_ROOT, load_settings

    assert load_settings({}).database_url == f"sqlite:///{PROJECT_ROOT / 'helpbot.db'}"


def test_every_command_and_option_says_what_it_is_for() -> None:
    import argparse

    from bot.cli import build_parser

    missing: list[str] = []

    def walk(parser: argparse.ArgumentParser, path: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            if isinstance(action, argparse._SubParsersAction):
                described = {c.dest: c.help for c in action._choices_actions}
                for name, sub in action.choices.items():
                    if not described.get(name):
                        missing.append(f"{path} {name}")
                    walk(sub, f"{path} {name}")
                continue
            if not action.help or action.help == argparse.SUPPRESS:
                missing.append(f"{path} {'/'.join(action.option_strings) or action.dest}")

    walk(build_parser(), "helpbot")
    assert missing == []
