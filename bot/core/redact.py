"""Redact patient-identifiable and personal data, and Account Secrets, from message text.

Why this exists: helpbot is privacy-by-default. Every message text passes through
`redact` before it is stored or logged, so NHS numbers, phone numbers, email addresses
and postcodes never reach the database or the logs. Users often paste these into a
helpdesk chat without thinking; we keep the question and drop the identifier.

Users also type their NHSmail Account Secret or a password into the chat: "my account
secret is Bluebellwood", "pwd: Winter2024!". That is a credential, so the shared value
is replaced by "[REDACTED]" (finding it is `bot.core.credentials`' job) and never
stored, logged or echoed; the lead-in is kept so the question still makes sense.
`redact_checked` tells the engine when this happened, so it can warn the user.

Text is first cleaned (`bot.core.text.clean`: NFKC, every Unicode space a plain space,
zero-width and control characters gone), because a number pasted from Word or a
clinical system often carries non-breaking spaces that would otherwise hide it.

Design notes:
- This runs on the hot path of every message, so all patterns are compiled once at
  import and every pattern is written to scan in linear time (lookbehinds stop a match
  from starting inside a longer run, and quantifiers are bounded where runs could
  overlap), so hostile or very long input cannot cause catastrophic backtracking.
- Rules live in one ordered table, `RULES`. To add a rule, add one `Rule` entry in
  the right place; nothing else needs to change.
- A rule may carry a validator that looks at a regex match and decides whether it is
  really sensitive (NHS check digit, published helpdesk contacts, "my secret is wrong"
  being a complaint rather than a secret). Regexes find candidates; validators keep the
  false positives out.
- A rule may name one group of its pattern as the part to replace (the Account Secret
  value), so context the regex needed to find it is kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial

from bot.core import credentials
from bot.core.text import clean

__all__ = ["RULES", "Rule", "contains_pii", "contains_secret", "redact", "redact_checked"]


@dataclass(frozen=True, slots=True)
class Rule:
    """One redaction rule: matches of `pattern` become `placeholder`.

    `is_sensitive`, if given, is asked about each match; returning False leaves that
    match untouched (e.g. a 10-digit number whose NHS check digit is wrong).

    `group`, if given, names the group of `pattern` that is replaced; the rest of the
    match is kept (e.g. "my secret is " stays, only the secret itself goes).

    `needs`, if given, is a cheap pattern that every text `pattern` can match in also
    matches (a digit for a phone number): a text without it is not scanned at all.
    """

    name: str
    pattern: re.Pattern[str]
    placeholder: str
    is_sensitive: Callable[[re.Match[str]], bool] | None = None
    group: str | None = None
    needs: re.Pattern[str] | None = None

    def apply(self, text: str) -> str:
        # The placeholder is inserted as plain text (no re.sub template), so it can never
        # be misread as a backreference such as "\1".
        parts: list[str] = []
        done = 0
        for match in self._hits(text):
            start, end = match.span(self.group or 0)
            parts += (text[done:start], self.placeholder)
            done = end
        parts.append(text[done:])
        return "".join(parts)

    def finds(self, text: str) -> bool:
        """True if `apply` would replace something in `text`."""
        return next(self._hits(text), None) is not None

    def _hits(self, text: str) -> Iterator[re.Match[str]]:
        """The sensitive matches in `text`, left to right, never overlapping.

        Unlike re.sub, a rejected candidate does not use up its text: the search goes on
        from one character after its start, so a real item that overlaps it is still
        found ("secret: set my secret to X", where "set" is not a secret but starts a
        share). Every position is still tried as a start at most once, so this costs no
        more than one scan of text in which nothing matches.
        """
        if self.needs is not None and self.needs.search(text) is None:
            return
        pos = 0
        while (match := self.pattern.search(text, pos)) is not None:
            if self.is_sensitive is None or self.is_sensitive(match):
                yield match
                pos = max(match.end(), match.start() + 1)
            else:
                pos = match.start() + 1


# --- Email ----------------------------------------------------------------------------

# Published helpdesk addresses are public contact details, not personal data, and the
# bot's own answers quote them, so they must survive redaction.
_PUBLIC_EMAILS = frozenset({"helpdesk@nhs.net", "helpdesk@linca.org.uk"})

# The lookbehind excludes every local-part character, so a match can only start at the
# beginning of a run: this keeps scanning linear on long runs of letters with no "@".
# \w (Unicode) rather than ASCII so that e.g. "josé@..." is still caught.
# The "@" may be written with a space either side ("jo.bloggs @ nhs.net", as phones
# autocorrect it) or as "(at)" / "[at]"; the domain still needs a dot.
_EMAIL = re.compile(
    r"(?<![\w.%+&'-])"
    r"[\w.%+&'-]+"  # local part (incl. plus-addressing, "jo&co" and O'Neil apostrophes)
    r"(?:\s?@\s?|\s?[(\[]at[)\]]\s?)"
    r"[\w-]+(?:\.[\w-]+)+",  # domain with at least one dot; a trailing "." is left out
    re.IGNORECASE,
)
_AT = re.compile(r"\s?(?:@|[(\[]at[)\]])\s?", re.IGNORECASE)


# What every address holds: its "@", or the "(at)" written for it.
_MAY_BE_EMAIL = re.compile(r"@|[(\[]at[)\]]", re.IGNORECASE)


def _is_private_email(match: re.Match[str]) -> bool:
    return _AT.sub("@", match.group(0)).lower() not in _PUBLIC_EMAILS


# --- NHS number -----------------------------------------------------------------------

# Ten digits together, or 3-3-4 with one consistent separator: one or two spaces, or a
# dash, dot or slash maybe with a space either side (clinical systems and letters print
# all of these). Digits only around it, not \b, so "nhs9434765919" is still caught.
_NHS_NUMBER = re.compile(r"(?<![0-9])[0-9]{3}( {1,2}| ?[-./] ?|)[0-9]{3}\1[0-9]{4}(?![0-9])")

_NHS_WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)


def _has_valid_nhs_check_digit(match: re.Match[str]) -> bool:
    """Modulus 11: weights 10..2 on the first nine digits; 11 means 0, 10 is invalid."""
    digits = [int(c) for c in match.group(0) if c.isdigit()]
    total = sum(d * w for d, w in zip(digits[:9], _NHS_WEIGHTS, strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == digits[9]


# --- UK phone number ------------------------------------------------------------------

# National significant number (no trunk 0) of the published NHSmail helpdesk line,
# 0333 200 1133: public, and the bot quotes it, so it is never redacted.
_PUBLIC_PHONE_NSN = frozenset({"3332001133"})

# Prefix: +44, 0044 or a bare 44 (optionally followed by "(0)"), or a trunk 0 maybe
# opened by "(". Body: 9 or 10 national digits starting 1-9, with at most two of space,
# dot, dash or bracket between digits. Requiring the prefix and 9-10 digits keeps dates
# ("03/02/2025"), times, money and short numbers out; separators are bounded so
# scanning stays linear.
_PHONE = re.compile(
    r"(?<![0-9+])"  # not glued to another number ("tel07700900123" is still a phone)
    r"(?:\(?(?:\+ ?|00 ?)?44\)?[ .-]?(?:\(0\)[ .-]?)?|\(?0)"
    r"[1-9](?:[ ().-]{0,3}[0-9]){8,9}"
    r"(?![0-9])"
)


def _is_private_phone(match: re.Match[str]) -> bool:
    digits = re.sub(r"[^0-9]", "", match.group(0))
    # Normalise to the national significant number so any written form compares equal.
    if digits.startswith("0044"):
        digits = digits[4:]
    elif digits.startswith("44"):
        digits = digits[2:]
    digits = digits.removeprefix("0")  # trunk 0, or the "(0)" in "+44 (0)..."
    return digits not in _PUBLIC_PHONE_NSN


# --- UK postcode ----------------------------------------------------------------------

# Full postcodes only (outward + inward code), using the letters Royal Mail allows in
# each position, so words, "MFA", "O365", "2FA", "NHS 111" or "A1" cannot match.
# Outward: A9, A9A, A99, AA9, AA9A, AA99. Inward: 9AA. Up to two spaces between.
_POSTCODE = re.compile(
    r"(?<![A-Za-z0-9])"
    r"[A-PR-UWYZ](?:[0-9][0-9A-HJKPSTUW]?|[A-HK-Y][0-9][0-9ABEHMNPRV-Y]?)"
    r" {0,2}[0-9][ABD-HJLNP-UW-Z]{2}"
    r"(?![A-Za-z0-9])",
    re.IGNORECASE,
)


# NHS numbers, phone numbers and postcodes all hold an ASCII digit.
_DIGIT = re.compile(r"[0-9]")

# Personal-data shapes that may contain spaces. An unquoted value stops at the first
# space, so for "secret: 07700 900123" it would be "07700" and "900123" would escape
# both this rule and PHONE. Such a value is left to the later rule, which takes the
# whole item; an Account Secret is letters only, so no real secret is lost this way.
_SPACED_PII = (_NHS_NUMBER, _PHONE, _POSTCODE)


def _starts_longer_pii(match: re.Match[str]) -> bool:
    start, end = match.span("value")
    # `match.string` with a start position, so the patterns' lookbehinds see the context.
    return any(
        (pii := pattern.match(match.string, start)) is not None and pii.end() > end
        for pattern in _SPACED_PII
    )


def _is_shared_secret(match: re.Match[str], *, in_context: bool = False) -> bool:
    if _starts_longer_pii(match):
        return False
    return credentials.is_shared(match, in_context=in_context)


# --- The table ------------------------------------------------------------------------

# Order matters:
# - ACCOUNT_SECRET (secrets and passwords) first, so it sees the text before anything
#   else is replaced, and a secret that looks like something else ("my secret is
#   jo@nhs.net") is still reported as a secret. The one exception is a value that only
#   begins a spaced phone, NHS number or postcode: see `_SPACED_PII`. The kept lead-in
#   words hold nothing the later rules would match.
# - EMAIL before the number rules, so digits inside an address ("07700900123@nhs.net")
#   are not turned into "[PHONE]@nhs.net", which would no longer look like an email.
# - NHS_NUMBER before PHONE, so a valid NHS number that also looks like a phone number
#   ("012 345 6789") is labelled as an NHS number.
# Placeholders contain no digits or "@", so a later rule never re-matches an earlier one,
# and they start with "[", which can never be in a credential value.
_SECRET_RULE = Rule(
    "ACCOUNT_SECRET",
    credentials.CREDENTIAL,
    credentials.PLACEHOLDER,
    _is_shared_secret,
    "value",
    needs=credentials.MAY_SHARE,
)
# The same rule when the message or the conversation is about the secret or a password,
# so that "it's Bluebellwood" in reply counts as sharing it.
_SECRET_RULE_IN_CONTEXT = Rule(
    "ACCOUNT_SECRET",
    credentials.CREDENTIAL,
    credentials.PLACEHOLDER,
    partial(_is_shared_secret, in_context=True),
    "value",
    needs=credentials.MAY_SHARE,
)
_PII_RULES: tuple[Rule, ...] = (
    Rule("EMAIL", _EMAIL, "[EMAIL]", _is_private_email, needs=_MAY_BE_EMAIL),
    Rule("NHS_NUMBER", _NHS_NUMBER, "[NHS NUMBER]", _has_valid_nhs_check_digit, needs=_DIGIT),
    Rule("PHONE", _PHONE, "[PHONE]", _is_private_phone, needs=_DIGIT),
    Rule("POSTCODE", _POSTCODE, "[POSTCODE]", needs=_DIGIT),
)
RULES: tuple[Rule, ...] = (_SECRET_RULE, *_PII_RULES)
# What redaction can leave in a text, for code that must look past it (the matcher).
PLACEHOLDERS: frozenset[str] = frozenset(rule.placeholder for rule in RULES)


def redact(text: str) -> str:
    """Return `text`, cleaned, with every sensitive item replaced by its placeholder."""
    return redact_checked(text)[0]


def redact_checked(text: str, *, about_credential: bool = False) -> tuple[str, bool]:
    """`redact(text)`, and whether it shared a secret or password: one pass.

    ``about_credential``: the conversation is about the secret or a password, so a
    pronoun ("it's X") may introduce one even if this message does not name it.
    """
    text = clean(text)
    in_context = about_credential or credentials.mentions_credential(text)
    redacted = (_SECRET_RULE_IN_CONTEXT if in_context else _SECRET_RULE).apply(text)
    secret = redacted != text
    for rule in _PII_RULES:
        redacted = rule.apply(redacted)
    return redacted, secret


def redact_credentials_in_context(redacted: str) -> tuple[str, bool]:
    """For text already redacted: any secret it shares in talk about the secret."""
    found = _SECRET_RULE_IN_CONTEXT.apply(redacted)
    return found, found != redacted


# A credential is not patient-identifiable or personal data, so `contains_pii` leaves it
# out: callers can then tell "this message held personal data" from "this message held
# the user's secret". A secret that is also personal data ("my secret is jo@nhs.net")
# still counts, because the EMAIL rule finds it on its own.
def contains_pii(text: str) -> bool:
    """True if a personal-data rule (every rule but ACCOUNT_SECRET) would change `text`."""
    text = clean(text)
    return any(rule.finds(text) for rule in _PII_RULES)


def contains_secret(text: str) -> bool:
    """True if `text` shares an Account Secret or password, i.e. `redact` would replace one."""
    return redact_checked(text)[1]
