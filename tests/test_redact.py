"""Tests for bot.core.redact: personal data must never reach storage or logs."""

from __future__ import annotations

import random
import time

import pytest
from fuzz_messages import every_known_text

from bot.core.redact import RULES, contains_pii, contains_secret, redact


def _nhs_check_digit(first_nine: str) -> int:
    """Reference modulus-11 calculation, written independently of the module under test."""
    total = sum(int(d) * (10 - i) for i, d in enumerate(first_nine))
    check = 11 - total % 11
    return 0 if check == 11 else check


def _with_check_digit(first_nine: str) -> str:
    return first_nine + str(_nhs_check_digit(first_nine))


# --- NHS numbers ----------------------------------------------------------------------

VALID_NHS_NUMBERS = [
    "9434765919",  # the well-known example
    "4010232137",
    "4857773457",
    "4505577104",
    "6000000006",
    "9876543210",  # 11 - (sum % 11) == 11, so the check digit is 0
    _with_check_digit("485777346"),
]


def test_reference_check_digits_are_what_the_fixtures_assume() -> None:
    # Guards the fixtures themselves: every "valid" number really is valid.
    for number in VALID_NHS_NUMBERS:
        assert int(number[9]) == _nhs_check_digit(number[:9]), number


@pytest.mark.parametrize("number", VALID_NHS_NUMBERS)
@pytest.mark.parametrize(
    "layout",
    [
        pytest.param(lambda n: n, id="together"),
        pytest.param(lambda n: f"{n[:3]} {n[3:6]} {n[6:]}", id="spaced"),
        pytest.param(lambda n: f"{n[:3]}-{n[3:6]}-{n[6:]}", id="dashed"),
    ],
)
def test_valid_nhs_numbers_are_redacted(number: str, layout) -> None:
    assert redact(f"my NHS number is {layout(number)}") == "my NHS number is [NHS NUMBER]"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("NHS no: 943 476 5919.", "NHS no: [NHS NUMBER].", id="colon-and-full-stop"),
        pytest.param("(9434765919)", "([NHS NUMBER])", id="in-brackets"),
        pytest.param("patient 943-476-5919, please", "patient [NHS NUMBER], please", id="comma"),
        pytest.param('"9434765919"?', '"[NHS NUMBER]"?', id="quoted"),
        pytest.param("nhs9434765919", "nhs[NHS NUMBER]", id="glued-to-letters"),
        pytest.param("line1\n9434765919\nline3", "line1\n[NHS NUMBER]\nline3", id="own-line"),
    ],
)
def test_nhs_numbers_in_sentences_are_redacted(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("9434765918", id="wrong-check-digit"),
        pytest.param("943 476 5910", id="wrong-check-digit-spaced"),
        pytest.param("4010232138", id="wrong-check-digit-2"),
        pytest.param("1234567890", id="check-digit-10-with-0"),
        pytest.param("123 456 7891", id="check-digit-10-with-1"),
        pytest.param("6401577105", id="check-digit-10-other"),
        pytest.param("943 4765919", id="mixed-layout"),
        pytest.param("94347659190", id="eleven-digits"),
        pytest.param("19434765919", id="valid-number-inside-longer-run"),
    ],
)
def test_invalid_check_digit_is_not_an_nhs_number(text: str) -> None:
    assert redact(text) == text


def test_check_digit_10_fixtures_really_have_check_digit_10() -> None:
    assert _nhs_check_digit("123456789") == 10
    assert _nhs_check_digit("640157710") == 10


def test_invalid_nhs_number_can_still_be_a_phone_number() -> None:
    # Starts with 0 and has 10 digits, so it is a valid UK phone shape.
    assert _nhs_check_digit("012345678") != 8
    assert redact("call 0123456788") == "call [PHONE]"


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("0123456789", id="together"),
        pytest.param("012 345 6789", id="spaced"),
    ],
)
def test_nhs_number_rule_runs_before_phone_rule(text: str) -> None:
    # 0123456789 is a valid NHS number that also has a UK phone-number shape.
    assert _nhs_check_digit("012345678") == 9
    assert redact(text) == "[NHS NUMBER]"


# --- Phone numbers --------------------------------------------------------------------


@pytest.mark.parametrize(
    "phone",
    [
        pytest.param("07700 900123", id="mobile-spaced"),
        pytest.param("07700900123", id="mobile-together"),
        pytest.param("07700-900-123", id="mobile-dashed"),
        pytest.param("01522 123456", id="landline"),
        pytest.param("(01522) 123456", id="landline-bracketed-area-code"),
        pytest.param("020 7946 0958", id="london"),
        pytest.param("0333 200 1134", id="03-non-geographic"),
        pytest.param("0800 123 4567", id="freephone"),
        pytest.param("01632 96012", id="short-area-9-digit"),
        pytest.param("+44 7700 900123", id="intl-mobile"),
        pytest.param("+447700900123", id="intl-mobile-together"),
        pytest.param("+44 (0)1522 123456", id="intl-with-bracketed-0"),
        pytest.param("+44 (0) 20 7946 0958", id="intl-with-spaced-bracketed-0"),
        pytest.param("0044 7700 900123", id="0044-mobile"),
    ],
)
def test_uk_phone_numbers_are_redacted(phone: str) -> None:
    assert redact(f"ring me on {phone}, thanks") == "ring me on [PHONE], thanks"


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("3 February 2025", id="date-words"),
        pytest.param("03/02/2025", id="date-slashes"),
        pytest.param("2025-02-03", id="date-iso"),
        pytest.param("2025-02-03T10:30:00Z", id="timestamp"),
        pytest.param("10:30", id="time"),
        pytest.param("10:30-11:00", id="time-range"),
        pytest.param("£1,250.00", id="money"),
        pytest.param("£1250000.00", id="big-money"),
        pytest.param("order 12345", id="order-number"),
        pytest.param("call 111 or 999", id="short-numbers"),
        pytest.param("0 1 2", id="tiny-digits"),
        pytest.param("error 0x80070005", id="hex-error-code"),
        pytest.param("version 16.0.17328.20124", id="version-number"),
        pytest.param("077009001234567", id="too-many-digits"),
        pytest.param("ref 01234 5678", id="too-few-digits"),
    ],
)
def test_dates_times_money_and_short_numbers_are_not_phones(text: str) -> None:
    assert redact(text) == text


# --- Email addresses ------------------------------------------------------------------


@pytest.mark.parametrize(
    "email",
    [
        pytest.param("john.smith@nhs.net", id="nhsmail"),
        pytest.param("John.Smith@NHS.NET", id="uppercase"),
        pytest.param("jane+nhsmail@nhs.net", id="plus-addressing"),
        pytest.param("a.b@mail.trust.nhs.uk", id="subdomains"),
        pytest.param("first_last-1@example.co.uk", id="underscore-dash-digit"),
        pytest.param("o'neil@nhs.net", id="apostrophe"),
        pytest.param("josé@example.com", id="non-ascii"),
        pytest.param("07700900123@nhs.net", id="digits-in-local-part"),
        pytest.param("my.helpdesk@nhs.net", id="lookalike-local-part"),
        pytest.param("helpdesk@nhs.net.example.com", id="lookalike-domain"),
        pytest.param("helpdesk@nhs.uk", id="other-helpdesk-domain"),
    ],
)
def test_email_addresses_are_redacted(email: str) -> None:
    assert redact(f"email {email}.") == "email [EMAIL]."


# --- Published helpdesk contacts ------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("helpdesk@nhs.net", id="email-nhs"),
        pytest.param("HELPDESK@NHS.NET", id="email-nhs-upper"),
        pytest.param("Helpdesk@Nhs.Net", id="email-nhs-mixed"),
        pytest.param("helpdesk@linca.org.uk", id="email-linca"),
        pytest.param("HelpDesk@LINCA.org.uk", id="email-linca-mixed"),
        pytest.param("Contact helpdesk@nhs.net.", id="email-in-sentence"),
        pytest.param("0333 200 1133", id="phone-spaced"),
        pytest.param("03332001133", id="phone-together"),
        pytest.param("0333-200-1133", id="phone-dashed"),
        pytest.param("03332 001133", id="phone-odd-spacing"),
        pytest.param("+44 333 200 1133", id="phone-intl"),
        pytest.param("+44 (0)333 200 1133", id="phone-intl-bracketed-0"),
        pytest.param("0044 333 200 1133", id="phone-0044"),
        pytest.param("Call 0333 200 1133 (option 1).", id="phone-in-sentence"),
    ],
)
def test_published_helpdesk_contacts_are_kept(text: str) -> None:
    assert redact(text) == text
    assert contains_pii(text) is False


def test_helpdesk_contacts_are_kept_next_to_personal_ones() -> None:
    text = "I emailed helpdesk@nhs.net from jo@nhs.net and rang 0333 200 1133 from 07700 900123"
    assert redact(text) == (
        "I emailed helpdesk@nhs.net from [EMAIL] and rang 0333 200 1133 from [PHONE]"
    )


# --- Postcodes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "postcode",
    [
        pytest.param("LN1 1YA", id="AA9-9AA"),
        pytest.param("ln11ya", id="lowercase-no-space"),
        pytest.param("LN11YA", id="no-space"),
        pytest.param("ln1 1ya", id="lowercase"),
        pytest.param("SW1A 1AA", id="AA9A-9AA"),
        pytest.param("W1A 0AX", id="A9A-9AA"),
        pytest.param("M1 1AE", id="A9-9AA"),
        pytest.param("B33 8TH", id="A99-9AA"),
        pytest.param("CR2 6XH", id="AA9-9AA-2"),
        pytest.param("DN55 1PT", id="AA99-9AA"),
    ],
)
def test_uk_postcodes_are_redacted(postcode: str) -> None:
    assert redact(f"I live at {postcode}, near the hospital") == (
        "I live at [POSTCODE], near the hospital"
    )


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("MFA", id="MFA"),
        pytest.param("O365", id="O365"),
        pytest.param("2FA", id="2FA"),
        pytest.param("NHS 111", id="NHS-111"),
        pytest.param("A1", id="A1"),
        pytest.param("step 2", id="step-2"),
        pytest.param("LN1", id="outward-code-only"),
        pytest.param("KB5034441", id="kb-article"),
        pytest.param("Windows 11", id="windows-11"),
    ],
)
def test_postcode_lookalikes_are_not_redacted(text: str) -> None:
    assert redact(text) == text


# --- Several items and ordinary text --------------------------------------------------


def test_multiple_items_in_one_message_are_all_redacted() -> None:
    text = (
        "Patient 943 476 5919 (DOB withheld) lives at ln1 1ya; call 07700 900123 "
        "or +44 (0)1522 123456, email Jo.Bloggs+gp@nhs.net. Also 4010232137!"
    )
    assert redact(text) == (
        "Patient [NHS NUMBER] (DOB withheld) lives at [POSTCODE]; call [PHONE] "
        "or [PHONE], email [EMAIL]. Also [NHS NUMBER]!"
    )


ORDINARY_QUESTIONS = [
    "acct secret deadline 3rd feb 2025??",
    "is o365 blocked at stage 3",
    "2fa code not arriving",
    "my password is longer than 8 characters",
    "how do I reset my NHSmail password?",
    "can't log in since 10:30 on 3 February 2025",
    "MFA keeps asking me every 5 minutes",
    "Outlook error 0x800CCC0E when sending",
    "shared mailbox is 50GB and full",
    "do I call NHS 111 or the helpdesk?",
    "Teams meeting at 09:00 won't start",
    "licence cost is £1,250.00 per year",
    "order 12345 still not delivered",
    "What is the Account Secret and where do I find it?",
    "step 2 of the guide says to use the A1 form",
]


@pytest.mark.parametrize("text", ORDINARY_QUESTIONS, ids=lambda t: t[:30])
def test_ordinary_text_is_unchanged(text: str) -> None:
    assert redact(text) == text
    assert contains_pii(text) is False


# --- contains_pii ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("NHS number 943 476 5919", True, id="nhs-number"),
        pytest.param("call 07700 900123", True, id="phone"),
        pytest.param("mail me: a@b.com", True, id="email"),
        pytest.param("postcode SW1A 1AA", True, id="postcode"),
        pytest.param("NHS number 943 476 5918", False, id="invalid-nhs-number"),
        pytest.param("email helpdesk@nhs.net", False, id="helpdesk-email"),
        pytest.param("password expired", False, id="ordinary"),
        pytest.param("", False, id="empty"),
    ],
)
def test_contains_pii_reports_whether_redact_would_change_text(text: str, expected: bool) -> None:
    assert contains_pii(text) is expected
    assert contains_pii(text) is (redact(text) != text)


# --- Account Secret -------------------------------------------------------------------

# (text, expected): only the shared value goes; the lead-in and what follows are kept.
SECRET_SHARES = [
    ("my account secret is Bluebellwood", "my account secret is [REDACTED]"),
    ("My secret is bluebellwood", "My secret is [REDACTED]"),
    ("secret: hunterhunter", "secret: [REDACTED]"),
    ("secret = abcdefghij", "secret = [REDACTED]"),
    ("account secret - rainbowland", "account secret - [REDACTED]"),
    ("the secret word is 'sunflowers'", "the secret word is [REDACTED]"),
    ("my acct secret's marmaladejam", "my acct secret's [REDACTED]"),
    (
        "it's fine, my nhsmail secret was Octopusgarden, can you reset my password",
        "it's fine, my nhsmail secret was [REDACTED], can you reset my password",
    ),
    ("Secret:Bluebellwood", "Secret:[REDACTED]"),
    ("set my secret to Bluebellwood", "set my secret to [REDACTED]"),
    ("changed my secret to Bluebellwood", "changed my secret to [REDACTED]"),
    # Variations on the same shapes.
    ("MY ACCOUNT SECRET IS BLUEBELLWOOD", "MY ACCOUNT SECRET IS [REDACTED]"),
    ("my nhs mail secret is Bluebellwood", "my nhs mail secret is [REDACTED]"),
    ("portal secret: Bluebellwood", "portal secret: [REDACTED]"),
    ("the secret phrase was Bluebellwood", "the secret phrase was [REDACTED]"),
    ("my secret code = Bluebellwood", "my secret code = [REDACTED]"),
    ("my secret’s Bluebellwood", "my secret’s [REDACTED]"),
    ("account secret — Bluebellwood", "account secret — [REDACTED]"),
    ("account secret—Bluebellwood", "account secret—[REDACTED]"),
    ("secret -- Bluebellwood", "secret -- [REDACTED]"),
    ("secret:\nBluebellwood", "secret:\n[REDACTED]"),
    ("my secret is: Bluebellwood", "my secret is: [REDACTED]"),
    ("my secret is Bluebellwood.", "my secret is [REDACTED]."),
    ("my secret is Bluebellwood?", "my secret is [REDACTED]?"),
    ("(my secret is Bluebellwood)", "(my secret is [REDACTED])"),
    ('my secret is "Bluebellwood", ok?', "my secret is [REDACTED], ok?"),
    ("my secret is “Bluebellwood”!", "my secret is [REDACTED]!"),
    ("my secret is ‘Bluebellwood’", "my secret is [REDACTED]"),
    ("my secret is 'blue bell wood' now", "my secret is [REDACTED] now"),
    ("my secret is 'Bluebellwood", "my secret is [REDACTED]"),  # quote never closed
    ("my secret is now Bluebellwood", "my secret is now [REDACTED]"),
    ("my secret is called Bluebellwood", "my secret is called [REDACTED]"),
    ("my secret was set to Bluebellwood", "my secret was set to [REDACTED]"),
    ("my secret has been changed to Bluebellwood", "my secret has been changed to [REDACTED]"),
    ("I reset my account secret to Bluebellwood", "I reset my account secret to [REDACTED]"),
    ("change the secret to be Bluebellwood", "change the secret to be [REDACTED]"),
    ("updated my NHSmail account secret to X", "updated my NHSmail account secret to [REDACTED]"),
    ("I'll use Bluebellwood as my secret", "I'll use [REDACTED] as my secret"),
    ("I picked 'sunflowers' as my account secret", "I picked [REDACTED] as my account secret"),
    # A short word, or one with digits or symbols, is still treated as a secret.
    ("my secret is cat", "my secret is [REDACTED]"),
    ("secret: abc123", "secret: [REDACTED]"),
    ("my secret is blue-bell_wood", "my secret is [REDACTED]"),
    # Two shares in one message.
    (
        "secret: Bluebellwood, sorry, I meant my secret is Octopusgarden",
        "secret: [REDACTED], sorry, I meant my secret is [REDACTED]",
    ),
    # A rejected candidate ("set") does not hide a real share that overlaps it.
    ("secret: set my secret to Bluebellwood", "secret: set my secret to [REDACTED]"),
    ("secret is secret is Bluebellwood", "secret is secret is [REDACTED]"),
]


@pytest.mark.parametrize(("text", "expected"), SECRET_SHARES, ids=lambda t: t[:40])
def test_shared_account_secrets_are_redacted(text: str, expected: str) -> None:
    assert redact(text) == expected
    assert contains_secret(text) is True


# Questions and statements about the secret: nothing is shared, nothing changes.
NOT_SECRET_SHARES = [
    "what is my account secret",
    "what is an account secret",
    "my account secret is not working",
    "my secret is wrong",
    "my account secret is locked",
    "my secret is expired",
    "my secret is forgotten",
    "my account secret is too short",
    "my secret is the same as before",
    "my secret is set",
    "is my secret required",
    "account secret: how do I set it up?",
    "secret: what are the rules",
    "my secret is letters only",
    "the secret is for the helpdesk",
    "secret deadline",
    "my secret isn't accepted",
    # More of the same kind.
    "My Account Secret Is Not Working!",
    "my secret is WRONG",
    "my secret is 'not accepted'",
    "my secret was rejected",
    "my secret is now expired",
    "my secret is still not working.",
    "my secret's not working",
    "my secret has been locked",
    "my secret is case sensitive?",
    "account secret - I forgot it",
    "account secret - help",
    "secret: -",
    "secret-related question",
    "no idea what an account secret is",
    "what is the secret word?",
    "how do I change my secret to something else",
    "set my secret to what?",
    "can I use numbers as my secret?",
    "I used it as my secret",
    "the secret is **blocked** after three tries",
    "secrets are hard to remember",
    "the secretary is away",
]


@pytest.mark.parametrize("text", NOT_SECRET_SHARES, ids=lambda t: t[:40])
def test_talking_about_the_secret_is_not_a_share(text: str) -> None:
    assert redact(text) == text
    assert contains_secret(text) is False


@pytest.mark.parametrize(
    "text",
    [*ORDINARY_QUESTIONS, "", "   "],
    ids=lambda t: t[:30] or "empty",
)
def test_contains_secret_is_false_without_a_secret(text: str) -> None:
    assert contains_secret(text) is False


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "my secret is Bluebellwood and my email is jo@example.com",
            "my secret is [REDACTED] and my email is [EMAIL]",
            id="secret-and-email",
        ),
        pytest.param(
            "NHS no 943 476 5919, secret: Bluebellwood, call 07700 900123",
            "NHS no [NHS NUMBER], secret: [REDACTED], call [PHONE]",
            id="nhs-number-secret-phone",
        ),
        pytest.param(
            "postcode LN1 1YA; account secret - rainbowland",
            "postcode [POSTCODE]; account secret - [REDACTED]",
            id="postcode-and-secret",
        ),
        pytest.param(
            # The secret rule runs first, so a secret that looks like an email is
            # reported as a secret rather than as "[EMAIL]".
            "my secret is jo@nhs.net",
            "my secret is [REDACTED]",
            id="secret-shaped-like-email",
        ),
        pytest.param("secret: 07700900123", "secret: [REDACTED]", id="unspaced-phone"),
        pytest.param("secret: '07700 900123'", "secret: [REDACTED]", id="quoted-phone"),
    ],
)
def test_secret_rule_works_with_the_other_rules(text: str, expected: str) -> None:
    assert redact(text) == expected
    assert contains_secret(text) is True


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("secret: 07700 900123", "secret: [PHONE]", id="spaced-phone"),
        pytest.param("my secret is 943 476 5919", "my secret is [NHS NUMBER]", id="nhs-number"),
        pytest.param("secret = LN1 1YA", "secret = [POSTCODE]", id="postcode"),
        pytest.param("secret: 0333 200 1133", "secret: 0333 200 1133", id="helpdesk-phone"),
    ],
)
def test_spaced_personal_data_after_secret_is_redacted_whole(text: str, expected: str) -> None:
    # The secret rule would only take the first chunk ("07700") and leave "900123"
    # behind, so it leaves the whole item to the rule that knows its shape.
    assert redact(text) == expected
    assert contains_secret(text) is False


@pytest.mark.parametrize(
    ("text", "pii", "secret"),
    [
        pytest.param("my secret is Bluebellwood", False, True, id="secret-only"),
        pytest.param("my secret is wrong", False, False, id="talk-about-secret"),
        pytest.param("secret: Bluebellwood, email jo@nhs.net", True, True, id="both"),
        pytest.param("email jo@nhs.net", True, False, id="pii-only"),
        # A secret that is also personal data still counts as personal data.
        pytest.param("my secret is jo@nhs.net", True, True, id="secret-that-is-an-email"),
    ],
)
def test_contains_pii_does_not_count_account_secrets(text: str, pii: bool, secret: bool) -> None:
    assert contains_pii(text) is pii
    assert contains_secret(text) is secret


@pytest.mark.parametrize(("text", "expected"), SECRET_SHARES, ids=lambda t: t[:40])
def test_redacted_secret_stays_redacted(text: str, expected: str) -> None:
    assert redact(expected) == expected
    assert contains_secret(expected) is False


def test_secret_after_a_long_hostile_prefix_is_still_found() -> None:
    # Catastrophic backtracking would hang here; the time limit is only a generous
    # backstop, not a benchmark.
    text = "secret is " * 20_000 + "Bluebellwood"
    started = time.perf_counter()
    assert redact(text) == "secret is " * 20_000 + "[REDACTED]"
    assert contains_secret(text) is True
    assert time.perf_counter() - started < 2.0


# --- Awkward input --------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param(" ", id="space"),
        pytest.param("  \n\n  ", id="newlines"),
        pytest.param("👍🏽🙏 thanks!! 😊", id="emoji"),
        pytest.param("[NHS NUMBER] [PHONE] [EMAIL] [POSTCODE]", id="placeholders"),
        pytest.param("my secret is [REDACTED]", id="secret-placeholder"),
        pytest.param("my secret is '[REDACTED]'", id="quoted-secret-placeholder"),
        pytest.param("@ @@ a@ @b .@. +44 (0)", id="fragments"),
    ],
)
def test_edge_case_text_is_unchanged(text: str) -> None:
    assert redact(text) == text


def test_emoji_around_personal_data_is_kept() -> None:
    assert redact("😊07700 900123😊 ✉️ jo@nhs.net 🙏") == "😊[PHONE]😊 ✉️ [EMAIL] 🙏"


def test_redacted_output_is_already_clean() -> None:
    once = redact("943 476 5919, 07700 900123, jo@nhs.net, LN1 1YA")
    assert redact(once) == once


def _random_digits_and_spaces(length: int) -> str:
    rng = random.Random(20250203)  # fixed seed: deterministic test
    return "".join(rng.choice("0123456789     ") for _ in range(length))


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(_random_digits_and_spaces(10_000), id="random-digits-and-spaces"),
        pytest.param("0 " * 5_000, id="zero-space-repeated"),
        pytest.param("9" * 10_000, id="one-long-digit-run"),
        pytest.param("0(" * 5_000, id="digits-and-brackets"),
        pytest.param("+44 " * 2_500, id="repeated-intl-prefix"),
        pytest.param("a" * 10_000, id="one-long-word"),
        pytest.param("a." * 5_000 + "@", id="long-local-part-no-domain"),
        pytest.param("a@" + "b." * 5_000, id="long-domain-trailing-dot"),
        pytest.param("x@" * 5_000, id="many-at-signs"),
        pytest.param("LN1 " * 2_500, id="repeated-outward-codes"),
        pytest.param("943 476 5919 call 07700 900123 " * 400, id="lots-of-real-pii"),
        pytest.param("secret is " * 20_000, id="repeated-secret-lead-in"),
        pytest.param("secret" + " " * 20_000 + "is" + " " * 20_000, id="secret-long-spaces"),
        pytest.param("secret:" * 10_000, id="repeated-secret-colon"),
        pytest.param("my secret is '" + "a" * 20_000, id="secret-unclosed-quote"),
        pytest.param("secret is " + "a." * 10_000, id="secret-long-dotted-value"),
        pytest.param("use " + "a." * 10_000 + " as", id="use-as-without-secret"),
        pytest.param("set my secret to " * 1_000, id="repeated-set-to"),
        pytest.param("helpdesk@nhs.net " * 1_000, id="many-rejected-candidates"),
        pytest.param("it's " * 20_000, id="repeated-pronoun-lead-in"),
        pytest.param("@a.b / " * 15_000, id="repeated-address-slash"),
        pytest.param("," * 100_000, id="a-run-of-commas"),
        pytest.param("a." * 50_000, id="a-run-of-dotted-letters"),
        pytest.param("is my secret " * 8_000, id="repeated-value-first-tail"),
        pytest.param("pw " * 30_000, id="repeated-bare-label"),
    ],
)
def test_very_long_text_does_not_blow_up(text: str) -> None:
    # No time assertion (flaky on CI); catastrophic backtracking would hang here instead.
    assert len(text) >= 10_000
    assert isinstance(redact(text), str)


def test_lots_of_real_pii_is_all_redacted() -> None:
    text = "943 476 5919 call 07700 900123 " * 400
    assert redact(text) == "[NHS NUMBER] call [PHONE] " * 400


# --- The rules table ------------------------------------------------------------------


def test_rules_table_is_ordered_with_nhs_numbers_before_phones() -> None:
    names = [rule.name for rule in RULES]
    assert names == ["ACCOUNT_SECRET", "EMAIL", "NHS_NUMBER", "PHONE", "POSTCODE"]


# --- What each rule needs before it scans ----------------------------------------------


def test_a_rule_skips_only_texts_it_could_not_match() -> None:
    """A rule's ``needs`` lets a text go unscanned: every text its pattern matches, from
    any position, must hold what ``needs`` looks for, or personal data would be kept."""
    from bot.core.text import clean

    texts = every_known_text()
    assert len(texts) > 15000  # about 20,000 without the staff messages
    checked = 0
    for rule in RULES:
        assert rule.needs is not None, f"{rule.name} scans every text"
        for text in {t for raw in texts for t in (raw, clean(raw))}:
            if rule.pattern.search(text) is not None:
                checked += 1
                assert rule.needs.search(text), f"{rule.name} would skip {text!r}"
    assert checked > 5000


def test_skipping_changes_no_redaction() -> None:
    from dataclasses import replace

    from bot.core import redact as module

    texts = every_known_text()
    before = [module.redact_checked(t) for t in texts]
    unskipped = tuple(replace(rule, needs=None) for rule in module._PII_RULES)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(module, "_PII_RULES", unskipped)
        patch.setattr(module, "_SECRET_RULE", replace(module._SECRET_RULE, needs=None))
        patch.setattr(
            module, "_SECRET_RULE_IN_CONTEXT", replace(module._SECRET_RULE_IN_CONTEXT, needs=None)
        )
        after = [module.redact_checked(t) for t in texts]
    assert before == after
