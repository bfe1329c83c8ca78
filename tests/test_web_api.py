"""The web chat's HTTP API on a real server on loopback: answers, identity, abuse limits."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import pytest

from bot.channels.web.app import HIDDEN
from bot.channels.web.guard import CSP
from bot.config import PROJECT_ROOT, ConfigError, load_web_settings
from bot.core.engine import Engine
from tests.conftest import free_port

HELPDESK = "0333 200 1133"


@pytest.fixture
def chat(web_chat, engine: Engine):
    return web_chat(engine)


def client(server, **options) -> httpx.Client:
    headers = {"Origin": server.url, **options.pop("headers", {})}
    return httpx.Client(base_url=server.url, headers=headers, timeout=10, **options)


def ask(http: httpx.Client, text: str) -> dict:
    response = http.post("/api/messages", json={"text": text})
    assert response.status_code == 200, response.text
    return response.json()


def test_a_question_gets_its_answer_with_the_source_link(chat) -> None:
    with client(chat) as http:
        body = ask(http, "acct secret deadline??")
    answer = body["replies"][0]
    assert answer["intent"] == "secret_deadline"
    assert "3 February 2025" in answer["text"]
    assert answer["source"].startswith("https://support.nhs.net/")
    assert body["you"] == "acct secret deadline??"


def test_the_visitor_cookie_is_signed_http_only_and_same_site_strict(chat) -> None:
    with client(chat) as http:
        response = http.post("/api/messages", json={"text": "hello"})
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("helpbot_visitor=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie


def test_the_secure_cookie_flag_is_on_for_an_https_origin() -> None:
    settings = load_web_settings({"HELPBOT_WEB_ORIGIN": "https://help.example.org"})
    assert settings.secure_cookie and settings.public_origin == "https://help.example.org"
    local = load_web_settings({}, port=8123)
    assert not local.secure_cookie and local.public_origin == "http://127.0.0.1:8123"
    with pytest.raises(ConfigError, match="HELPBOT_WEB_ORIGIN"):
        load_web_settings({"HELPBOT_WEB_ORIGIN": "https://help.example.org/chat"})
    with pytest.raises(ConfigError, match="HELPBOT_WEB_ORIGIN is not set"):
        load_web_settings({}, host="0.0.0.0")
    with pytest.raises(ConfigError, match="HELPBOT_WEB_SECRET"):
        load_web_settings({"HELPBOT_WEB_SECRET": "short"})


def test_a_button_value_is_acted_on_like_a_click(chat) -> None:
    with client(chat) as http:
        response = http.post(
            "/api/messages",
            json={"action": "intent:secret_setup", "label": "How do I set up my Account Secret?"},
        )
    body = response.json()
    assert body["replies"][0]["intent"] == "secret_setup"
    assert body["you"] == "How do I set up my Account Secret?"


def test_the_history_rebuilds_the_visitors_own_transcript_redacted(chat) -> None:
    with client(chat) as http:
        ask(http, "my nhs number is 943 476 5919, how do i set up my account secret")
        lines = http.get("/api/history").json()["lines"]
    assert [line["from"] for line in lines[:2]] == ["you", "bot"]
    assert "943 476 5919" not in str(lines) and "[NHS NUMBER]" in lines[0]["text"]
    with client(chat) as stranger:  # no cookie: a new visitor sees nothing
        assert stranger.get("/api/history").json() == {"lines": []}


def test_a_tampered_cookie_makes_a_new_visitor_not_someone_else(chat) -> None:
    with client(chat) as http:
        ask(http, "how do i set up my account secret")
        cookie = http.cookies["helpbot_visitor"]
    visitor, _, signature = cookie.rpartition(".")
    forged = visitor[:-1] + ("A" if visitor[-1] != "A" else "B") + "." + signature
    with client(chat, cookies={"helpbot_visitor": forged}) as other:
        response = other.get("/api/history")
    assert response.json() == {"lines": []}
    assert "helpbot_visitor=" in response.headers["set-cookie"]  # a fresh id instead


def test_a_typed_secret_is_warned_about_and_never_shown_back(chat) -> None:
    secret = "Bluebell-Wood-1987"
    with client(chat) as http:
        body = ask(http, f"my account secret is {secret}")
        history = http.get("/api/history").text
    assert any(r["secret_warning"] for r in body["replies"])
    assert body["you"] == HIDDEN
    assert secret not in str(body) and secret not in history


def test_the_page_says_what_it_is_and_lists_the_helpdesk(chat) -> None:
    with client(chat) as http:
        response = http.get("/")
    assert response.status_code == 200
    assert "NHSmail" in response.text and HELPDESK in response.text
    assert 'href="tel:03332001133"' in response.text
    assert response.headers["content-security-policy"] == CSP
    assert "<script>" not in response.text and "style=" not in response.text


def test_every_response_carries_the_security_headers(chat) -> None:
    with client(chat) as http:
        for response in (http.get("/"), http.get("/static/chat.js"), http.get("/api/history")):
            assert response.headers["content-security-policy"] == CSP
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["x-frame-options"] == "DENY"
            assert response.headers["referrer-policy"] == "no-referrer"


def test_a_post_from_another_origin_is_refused(chat) -> None:
    with client(chat, headers={"Origin": "https://evil.example"}) as http:
        response = http.post("/api/messages", json={"text": "hello"})
    assert response.status_code == 403
    with httpx.Client(base_url=chat.url) as bare:  # no Origin at all
        assert bare.post("/api/messages", json={"text": "hello"}).status_code == 403


def test_a_form_post_is_refused_as_unsupported(chat) -> None:
    with client(chat) as http:
        response = http.post("/api/messages", data={"text": "hello"})
    assert response.status_code == 415
    assert "JSON" in response.json()["error"]


def test_bad_json_and_empty_messages_get_a_clear_error(chat) -> None:
    with client(chat) as http:
        headers = {"Content-Type": "application/json"}
        bad = http.post("/api/messages", content=b"{not json", headers=headers)
        empty = http.post("/api/messages", json={"text": "   "})
        wrong = http.post("/api/messages", json=["text"])
    assert bad.status_code == 400 and "JSON" in bad.json()["error"]
    assert empty.status_code == 400 and empty.json()["error"] == "Type a message first."
    assert wrong.status_code == 400


def test_a_body_over_the_cap_is_refused_unread(chat) -> None:
    with client(chat) as http:
        response = http.post("/api/messages", json={"text": "x" * 20_000})
        chunked = http.post(
            "/api/messages",
            content=iter([b'{"text": "', b"y" * 20_000, b'"}']),
            headers={"Content-Type": "application/json"},
        )
    assert response.status_code == 413
    assert chunked.status_code == 413


def test_too_many_messages_get_429_with_retry_after_then_pass_again(
    web_chat, engine, ticker
) -> None:
    server = web_chat(engine, now=ticker, messages_per_minute_per_visitor=3)
    with client(server) as http:
        for _ in range(3):
            ask(http, "hello")
        refused = http.post("/api/messages", json={"text": "hello"})
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "60"
        assert "wait 60 seconds" in refused.json()["error"]
        ticker.now += 61
        assert http.post("/api/messages", json={"text": "hello"}).status_code == 200


def test_the_per_address_limit_covers_visitors_who_drop_their_cookie(
    web_chat, engine, ticker
) -> None:
    server = web_chat(engine, now=ticker, messages_per_minute_per_ip=2)
    codes = []
    for _ in range(3):
        with client(server) as http:  # a new cookie each time
            codes.append(http.post("/api/messages", json={"text": "hello"}).status_code)
    assert codes == [200, 200, 429]


def test_with_the_database_down_the_web_chat_still_answers_with_contacts(
    tmp_path,
) -> None:
    """The real ``helpbot web``, its database a server that accepts and never answers."""
    import socket

    silent = socket.create_server(("127.0.0.1", 0))  # accepts, never replies
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"postgresql+psycopg://u@127.0.0.1:{silent.getsockname()[1]}/x",
        "HELPBOT_DB_TIMEOUT_SECONDS": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "web", "--port", str(port)],
        cwd=PROJECT_ROOT,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # The command says when it serves: wait for that line, not for a guessed time.
        for line in process.stderr:
            if "web chat on" in line:
                break
        url = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=url, headers={"Origin": url}, timeout=20) as http:
            body = http.post("/api/messages", json={"text": "how do i bake bread"})
        assert body.status_code == 200
        assert HELPDESK in str(body.json()["replies"])
    finally:
        process.terminate()
        process.wait(timeout=10)
        silent.close()


def test_a_web_ticket_tells_the_person_to_come_back_in_the_same_browser(
    web_chat, knowledge, store, clock
) -> None:
    from bot.tickets.service import Tickets

    engine = Engine(knowledge, store, tickets=Tickets(store, clock=clock))
    server = web_chat(engine)
    with client(server) as http:
        ask(http, "talk to a person")
        done = http.post("/api/messages", json={"action": "ticket:create", "label": "Yes"})
    text = done.json()["replies"][0]["text"]
    assert "HD-" in text and "same browser" in text and HELPDESK in text
