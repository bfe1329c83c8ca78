"""Typed secrets and passwords are redacted whole, in every phrasing; questions are not."""

from __future__ import annotations

import pytest

from bot.core.messages import Message
from bot.core.redact import contains_secret, redact, redact_checked

SECRET = "Bluebellwoodland"  # letters only, longer than 8: the valid NHSmail shape
PASSWORDS = [
    "Winter2024!",
    "Marmalade7!",
    "Daffodil!2024",
    "correct-Horse9",
    "x#9Lp2$qT",
    "Win'ter2024",
]

# Phrasings written for these tests (not copied from the staff messages, which measure).
SECRET_PHRASINGS = [
    "my secret is {}",
    "my account secret is {}",
    "My NHSmail account secret is now {}",
    "secret: {}",
    "Account secret = {}",
    "the secret word was {}",
    "my secret's {}",
    "I set {} as my secret",
    "I've set {} as my new account secret.",
    "{} is my secret",
    "{} is my account secret, is that ok",
    "ok so {} is my secret",
    "changed my secret to {}",
    "I changed it to {} yesterday for my secret",
    "set my nhsmail secret as {}",
    "I chose {} as my secret",
    "picked {} as my account secret lol",
    "is {} a good secret?",
    "would {} work as a secret",
    "my secrit is {}",
    "the secret I chose was {}",
    "Secret – {}",
    "my secret is '{}'",
    "my secret is “{}” is that right",
]
PASSWORD_PHRASINGS = [
    "my password is {}",
    "password: {}",
    "pwd: {}",
    "pwd {}",
    "pw = {}",
    "my nhs mail password is {}, can you check it",
    "new password = {} will it work",
    "changed my password to {}",
    "I set {} as my password",
    "the password I use is {}",
    "login jo.bloggs@nhs.net / {}",
    "password {}",
    "Username jo.bloggs\nPassword {}",
    "pass: {}",
    "my passwords are {} and the old one",
    "my password is {} is that strong enough",
]


@pytest.mark.parametrize("phrasing", SECRET_PHRASINGS)
def test_a_typed_account_secret_is_redacted_in_every_phrasing(phrasing: str) -> None:
    text = phrasing.format(SECRET)
    redacted, shared = redact_checked(text)
    assert shared and SECRET not in redacted and "[REDACTED]" in redacted


@pytest.mark.parametrize("password", PASSWORDS)
@pytest.mark.parametrize("phrasing", PASSWORD_PHRASINGS)
def test_a_typed_password_is_redacted_whole(phrasing: str, password: str) -> None:
    redacted, shared = redact_checked(phrasing.format(password))
    assert shared, redacted
    # Nothing of the value is left, not even its last character.
    assert password not in redacted
    assert not any(redacted.count(part) for part in (password[-4:], password[:4]))


def test_a_letters_only_secret_leaves_the_sentence_full_stop() -> None:
    assert redact(f"my secret is {SECRET}.") == "my secret is [REDACTED]."


def test_a_password_ending_in_punctuation_goes_whole() -> None:
    assert redact("my secret is Marmalade7!") == "my secret is [REDACTED]"


@pytest.mark.parametrize(
    "text",
    [f"changed it to {SECRET}", "set mine as Winter2024!", f"it's {SECRET}, my secret"],
)
def test_a_credential_shaped_value_after_a_pronoun_is_redacted(text: str) -> None:
    assert contains_secret(text) and "[REDACTED]" in redact(text)


@pytest.mark.parametrize(
    "text", ["it's completely broken", "it's AADSTS50076", "it's Office365", "it's Wednesday"]
)
def test_it_is_something_is_a_secret_only_in_talk_about_the_secret(text: str) -> None:
    assert redact_checked(text) == (text, False)


def test_in_talk_about_the_secret_a_shorter_reply_counts_too() -> None:
    assert redact_checked("its Primrosy", about_credential=True) == ("its [REDACTED]", True)
    assert redact_checked("its Primrosy") == ("its Primrosy", False)


GENUINE_QUESTIONS = [
    "account secret: requirements?",
    "secret: deadline",
    "Secret: deadline?",
    "secret - how long does it have to be",
    "password: forgot it",
    "secret: what are the rules",
    "Account secret: setting up",
    "account secret — self setup first?",
    "my secret is not working",
    "my account secret isn't being accepted",
    "my password has expired",
    "my password is wrong apparently",
    "is my secret case sensitive",
    "what is my secret for",
    "when is the deadline for the account secret",
    "what do i use as my secret",
    "what counts as my secret",
    "could I use the name of the care home as my account secret?",
    "is the account secret the same thing as my password?",
    "forgotten password and it's 3am, help",
    "if you forget your secret can you change it yourself?",
    "forgot my nhsmail password, can i reset it myself",
    "its locking me out, something about a secret",
    "it's asking me for some secret thing",
    "its Microsoft Authenticator asking for a code",
    "my secret is the same as my old one",
    "secret = ?",
    "password reset please",
    "pw reset",
    "what should my secret be",
    "my secret was set up last week",
    "is an account secret like a pin number",
    "secret: where do I put it",
    "account secret deadline was in january i thought it was feb",
    "the password expiry policy?",
    "my new secret should be how long",
    "password - locked out",
    "secret: is it letters only",
    "the secret I set is too short apparently",
    "secret: help",
    "my password was phished yesterday, what do I do",
    "my password was emailed to my manager",
    "the password is greyed out",
    "I'm sure I'm typing the password correctly",
    "it's basically broken since this morning",
    "it's https://portal.nhs.net",
]


@pytest.mark.parametrize("text", GENUINE_QUESTIONS)
def test_genuine_questions_about_the_secret_are_not_taken_for_one(text: str) -> None:
    assert redact_checked(text) == (text, False)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("account secret: requirements?", "secret_rules"),
        ("secret: deadline", "secret_deadline"),
    ],
)
def test_a_genuine_question_gets_its_answer_not_a_warning(engine, text: str, intent: str) -> None:
    [reply] = engine.handle(Message(user_id="sam", text=text))[-1:]
    assert "don't share" not in reply.text
    assert reply.meta.intent == intent


def test_a_typed_password_gets_the_same_warning_as_a_secret(engine) -> None:
    replies = engine.handle(Message(user_id="sam", text="my password is Winter2024!"))
    assert "don't share your Account Secret" in replies[0].text
    assert all("Winter2024" not in r.text for r in replies)


def test_it_is_a_secret_in_reply_to_talk_about_the_secret(engine, store) -> None:
    from tests.conftest import dump_tables

    engine.handle(Message(user_id="sam", text="my secret keeps getting rejected"))
    replies = engine.handle(Message(user_id="sam", text="its Primrosy"))
    assert "don't share your Account Secret" in replies[0].text
    assert "Primrosy" not in dump_tables(store)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("made my secret my dogs name Rolothelabrador, thats fine isnt it?", "Rolothelabrador"),
        ("I set my account secret to my first pets name Biscuitbarrel", "Biscuitbarrel"),
        ("changed my password my sons name Oliverjames2019", "Oliverjames2019"),
    ],
)
def test_a_value_after_a_description_of_it_is_found(text: str, value: str) -> None:
    redacted, secret = redact_checked(text)
    assert secret and value not in redacted


@pytest.mark.parametrize(
    "text",
    [
        "should i make my secret my dogs name?",
        "set my secret my street name lol",
        "i made my password my daughters name ok",
    ],
)
def test_a_described_choice_without_a_value_is_not_a_share(text: str) -> None:
    assert redact_checked(text) == (text, False)


def test_a_text_that_names_a_credential_holds_its_letters() -> None:
    """``mentions_credential`` looks for the patterns only in a text holding a noun's
    letters: every text the noun pattern matches must hold them."""
    from fuzz_messages import every_known_text

    from bot.core import credentials

    named = [t for t in every_known_text() if credentials._MENTION.search(t)]
    assert len(named) > 1000
    assert [t for t in named if not credentials._MAY_NAME.search(t)] == []
