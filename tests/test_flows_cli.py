"""Guided flows driven through the real ``helpbot`` command, typed words only."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

DATA = Path(__file__).parent / "data"


def ask(helpbot, *lines: str, user: str = "pat", args: tuple[str, ...] = (), env=None) -> list:
    result = helpbot("ask", "--json", "--user", user, *args, stdin="\n".join(lines) + "\n", env=env)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def steps(replies: list[dict]) -> list[str | None]:
    return [r["step"] for r in replies]


def test_account_secret_flow_end_to_end_with_typed_words(helpbot) -> None:
    replies = ask(
        helpbot,
        "help me set up my account secret",
        "existing",
        "yes",
        "next",
        "next",
        "next",
        "next",
    )
    assert steps(replies) == [
        "account_type",
        "can_login_existing",
        "existing_login",
        "existing_profile",
        "choose_secret",
        "keep_safe",
        "why_it_matters",
    ]
    assert "step 1 of 8" in replies[0]["text"] and "step 6 of 7" in replies[5]["text"]
    assert "Office 365" in replies[-1]["text"] and "3 February 2025" in replies[-1]["text"]
    assert all(r["flow"] == "account_secret" for r in replies)


def test_every_control_through_the_cli(helpbot) -> None:
    replies = ask(
        helpbot,
        "help me set up my account secret",
        "new",
        "back",
        "new",
        "yes",
        "what's the deadline again?",
        "continue",
        "talk to a person",
        "continue",
        "start again",
        "cancel",
        "who can use nhsmail",
    )
    assert steps(replies) == [
        "account_type",
        "can_login_new",
        "account_type",
        "can_login_new",
        "new_login",
        None,  # the side question's answer
        "new_login",
        None,  # how to reach a person
        "new_login",
        "account_type",
        None,  # cancelled
        None,
    ]
    assert replies[5]["intent"] == "secret_deadline"
    assert replies[5]["buttons"][-1]["typed"] == "continue"
    assert replies[7]["handoff_offered"]
    assert "stopped" in replies[10]["text"]
    assert replies[11]["intent"] == "nhsmail_who_can_use" and replies[11]["flow"] is None


def test_get_nhsmail_flow_started_by_name(helpbot) -> None:
    replies = ask(helpbot, "no", "next", args=("--flow", "get_nhsmail"))
    assert steps(replies) == ["has_nhsmail", "apply", "mfa"]
    assert "helpdesk@nhs.net" in replies[1]["text"] and "0333 200 1133" in replies[1]["text"]


def test_unknown_flow_name_is_one_clear_line(helpbot) -> None:
    result = helpbot("ask", "--flow", "nope", stdin="")
    assert result.returncode == 1
    assert (
        result.stderr.strip() == "error: no flow called 'nope' (flows: account_secret, get_nhsmail)"
    )


def test_a_new_process_resumes_at_the_same_step(helpbot) -> None:
    first = ask(helpbot, "help me set up my account secret", "new", "yes", "next")
    assert first[-1]["step"] == "new_aup"
    second = ask(helpbot, "next")  # a new process, the same database
    assert steps(second) == ["new_profile"]
    assert "step 5 of 8" in second[0]["text"]


def test_an_idle_flow_expires_across_processes(helpbot) -> None:
    quick = {"HELPBOT_FLOW_TIMEOUT_MINUTES": "0.01"}  # 0.6 seconds
    ask(helpbot, "help me set up my account secret", env=quick)
    time.sleep(1.0)
    [notice] = ask(helpbot, "new", env=quick)
    assert "Welcome back" in notice["text"] and notice["flow"] is None
    assert [b["typed"] for b in notice["buttons"]] == ["start again"]
    assert steps(ask(helpbot, "start again", env=quick)) == ["account_type"]


def test_a_bad_timeout_setting_is_one_clear_line(helpbot) -> None:
    result = helpbot("ask", stdin="hi\n", env={"HELPBOT_FLOW_TIMEOUT_MINUTES": "soon"})
    assert result.returncode == 2
    assert "HELPBOT_FLOW_TIMEOUT_MINUTES" in result.stderr and "Traceback" not in result.stderr


def test_flows_command_counts_each_outcome(helpbot) -> None:
    ask(helpbot, "help me set up my account secret", "new", "no")
    ask(helpbot, "help me set up my account secret", "cancel", user="kim")
    result = helpbot("flows")
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line.split()[1:] for line in result.stdout.splitlines()[1:]}
    assert rows["account_secret"] == ["2", "1", "1", "0"]
    assert rows["get_nhsmail"] == ["0", "0", "0", "0"]


def test_a_third_flow_added_as_yaml_alone_runs(helpbot, folders) -> None:
    intents, knowledge = folders
    shutil.copy(DATA / "third_flow" / "phishing_flow.yaml", knowledge / "flows")
    shutil.copy(DATA / "third_flow" / "phishing_intents.yaml", intents)
    where = ("--intents", str(intents), "--knowledge", str(knowledge))
    assert helpbot("validate", *where).returncode == 0
    replies = ask(helpbot, "i got a suspicious email", "no", "asks", "next", args=where)
    assert steps(replies) == ["clicked", "asks_for", "delete_it", "done"]
    assert "step 1 of 4" in replies[0]["text"] and replies[-1]["handoff_offered"]
    assert steps(ask(helpbot, "yes", "back", args=("--flow", "phishing", *where), user="b")) == [
        "clicked",
        "report_now",
        "clicked",
    ]
