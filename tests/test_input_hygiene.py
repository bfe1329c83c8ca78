"""Odd input is made storable at the boundary: answered, saved, never raw on a terminal."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

import pytest
from sqlalchemy import select

from bot.config import PROJECT_ROOT
from bot.core.engine import Engine
from bot.core.messages import Message
from bot.core.text import clean, safe_id
from bot.store.models import Conversation, MessageRecord

NASTY = [
    "\x1b[2J\x1b]0;pwned\x07hello",  # clear screen, window title
    "\x1b]52;c;ZXZpbA==\x07what is nhsmail",  # OSC 52: write the clipboard
    "abc\u202eevil\u202c txt",  # right-to-left override hides text
    "\x9b31mred\x9b0m",  # 8-bit CSI
    "nul\x00byte",
    "lone \ud800 surrogate",
    "bell\x07 and back\bspace",
]


@pytest.mark.parametrize("text", NASTY)
def test_clean_leaves_nothing_a_terminal_would_act_on(text: str) -> None:
    out = clean(text)
    assert not any(ord(c) < 32 and c != "\n" or 0x7F <= ord(c) < 0xA0 for c in out)
    assert "\u202e" not in out and "\ud800" not in out and "]52;" not in out
    out.encode("utf-8")  # storable


def test_long_or_odd_ids_become_a_stable_digest() -> None:
    long_id = "U" * 1000
    assert safe_id(long_id) == safe_id(long_id) != safe_id("U" * 999)
    assert len(safe_id(long_id)) <= 128 and safe_id("U123") == "U123"
    assert safe_id("a\x00b").isprintable()


def test_odd_messages_are_answered_and_saved_not_reported_as_outages(
    engine: Engine, store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    odd = [
        Message(user_id="sam", text="hello\x00 there"),
        Message(user_id="sam", text="what is \ud83d nhsmail"),
        Message(user_id="U" * 1000, text="what is nhsmail", conversation_id="C" * 1000),
        Message(user_id="sam", text="hi", display_name="\x1b[31mSam\u202e" * 50),
        Message(user_id="sam", text=7),  # type: ignore[arg-type]
        Message(user_id="sam", text="hi", action=7),  # type: ignore[arg-type]
    ]
    for message in odd:
        assert engine.handle(message)
    assert "unavailable" not in caplog.text and "could not be saved" not in caplog.text
    with store.session() as session:
        texts = session.execute(
            select(MessageRecord.text).where(MessageRecord.direction == "in")
        ).scalars()
        stored = list(texts)
        users = set(session.execute(select(Conversation.user_id)).scalars())
    assert len(stored) == len(odd)
    assert "hello there" in stored and all("\x00" not in t for t in stored)
    assert len(users) == 2 and all(len(u) <= 128 for u in users)


def _ask(args: list[str], stdin: bytes, db: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "ask", *args],
        input=stdin,
        capture_output=True,
        env={**os.environ, "DATABASE_URL": db},
        cwd=PROJECT_ROOT,
        timeout=60,
    )


def test_malformed_jsonl_lines_get_an_error_and_the_batch_goes_on(sqlite_url: str) -> None:
    lines = [
        '{"text": "what is nhsmail"}',
        '{"text": "hi", "action": 7}',
        "not json",
        "[" * 100_000,
        '{"user": "' + "x" * 1000 + '", "text": "hello\\u0000 there"}',
        '{"text": "lone \\ud800 surrogate"}',
        '{"text": "when is the account secret deadline"}',
    ]
    result = _ask(["--jsonl"], "\n".join(lines).encode() + b"\n", sqlite_url)
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.decode().splitlines()]
    errors = [o["error"] for o in out if "error" in o]
    assert errors == [
        "line 2: 'action' must be a string (a button's value)",
        "line 3: Expecting value: line 1 column 1 (char 0)",
        "line 4: nested too deeply",
    ]
    answered = [o for o in out if "error" not in o]
    assert answered[0]["intent"] == "nhsmail_what"
    assert answered[-1]["intent"] == "secret_deadline"
    assert len(answered) >= 4 and b"Traceback" not in result.stderr


def test_invalid_utf8_on_stdin_does_not_stop_the_batch(sqlite_url: str) -> None:
    stdin = b"what is nhsmail\n\xff\xfe broken \xc3\n\xed\xa0\x80 surrogate\nwhen is the deadline\n"
    result = _ask(["--json"], stdin, sqlite_url)
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert out[0]["intent"] == "nhsmail_what" and out[-1]["intent"] == "secret_deadline"
    assert len(out) >= 4


def test_agents_terminals_never_get_raw_control_characters(helpbot) -> None:
    asked = helpbot(
        "ask",
        stdin="\x1b[2J\x1b]52;c;ZXZpbA==\x07 how do I bake bread \u202eevil\n"
        "\x1b]0;title\x07 talk to a person\nyes\n",
    )
    assert asked.returncode == 0, asked.stderr
    listed = helpbot("tickets", "list")
    ref = listed.stdout.split()[0]
    outputs = [listed.stdout, helpbot("tickets", "show", ref).stdout]
    outputs += [helpbot("unanswered").stdout, helpbot("tickets", "list", "--json").stdout]
    for out in outputs:
        assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out, out
    assert "bake bread" in outputs[2]


def test_cards_and_emails_never_carry_control_characters(engine: Engine) -> None:
    from bot.channels.slack.cards import card
    from bot.tickets.service import email_body

    engine.handle(
        Message(user_id="sam", text="\x1b]52;c;ZXZpbA==\x07 my \u202eemail\x1b[8m is broken")
    )
    engine.handle(Message(user_id="sam", text="talk to a person"))
    engine.handle(Message(user_id="sam", text="yes", display_name="\x1b[2JSam"))
    [view] = engine.tickets.list()
    for shown in (json.dumps(card(view), ensure_ascii=False), email_body(view)):
        assert not any(c in shown for c in "\x1b\x07\u202e\x9b"), shown
    assert "email" in email_body(view)


def test_text_decoded_with_the_wrong_code_page_keeps_its_words() -> None:
    assert clean("Ku\x9era: my password needs a reset") == "Kura: my password needs a reset"
