"""Redact patient-identifiable and personal data from message text.

Why this exists: helpbot is privacy-by-default. Every message text passes through
`redact` before it is stored or logged, so NHS numbers, phone numbers, email addresses
and postcodes never reach the database or the logs. Users often paste these into a
helpdesk chat without thinking; we keep the question and drop the identifier.

Design notes:
- This runs on the hot path of every message, so all patterns are compiled once at
  import and every pattern is written to scan in linear time (lookbehinds stop a match
  from starting inside a longer run, and quantifiers are bounded where runs could
  overlap), so hostile or very long input cannot cause catastrophic backtracking.
- Rules live in one ordered table, `RULES`. To add a rule (e.g. an Account Secret),
  add one `Rule` entry in the right place; nothing else needs to change.
- A rule may carry a validator that looks at a regex match and decides whether it is
  really sensitive (NHS check digit, published helpdesk contacts). Regexes find
  candidates; validators keep the false positives out.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["RULES", "Rule", "contains_pii", "redact"]


@dataclass(frozen=True, slots=True)
class Rule:
    """One redaction rule: matches of `pattern` become `placeholder`.

    `is_sensitive`, if given, is asked about each match; returning False leaves that
    match untouched (e.g. a 10-digit number whose NHS check digit is wrong).
    """

    name: str
    pattern: re.Pattern[str]
    placeholder: str
    is_sensitive: Callable[[re.Match[str]], bool] | None = None

    def apply(self, text: str) -> str:
        # A callable replacement (rather than a template string) means a placeholder
        # can never be misread as a backreference such as "\1".
        return self.pattern.sub(self._replace, text)

    def _replace(self, match: re.Match[str]) -> str:
        if self.is_sensitive is None or self.is_sensitive(match):
            return self.placeholder
        return match.group(0)


# --- Email ----------------------------------------------------------------------------

# Published helpdesk addresses are public contact details, not personal data, and the
# bot's own answers quote them, so they must survive redaction.
_PUBLIC_EMAILS = frozenset({"helpdesk@nhs.net", "helpdesk@linca.org.uk"})

# The lookbehind excludes every local-part character, so a match can only start at the
# beginning of a run: this keeps scanning linear on long runs of letters with no "@".
# \w (Unicode) rather than ASCII so that e.g. "josé@..." is still caught.
_EMAIL = re.compile(
    r"(?<![\w.%+'-])"
    r"[\w.%+'-]+"  # local part (incl. plus-addressing and O'Neil-style apostrophes)
    r"@[\w-]+(?:\.[\w-]+)+"  # domain with at least one dot; a trailing "." is left out
)


def _is_private_email(match: re.Match[str]) -> bool:
    return match.group(0).lower() not in _PUBLIC_EMAILS


# --- NHS number -----------------------------------------------------------------------

# Ten digits together, or 3-3-4 with one consistent separator (space or dash). Digits
# only around it, not \b, so "NHS:9434765919" and "nhs9434765919" are still caught.
_NHS_NUMBER = re.compile(r"(?<![0-9])[0-9]{3}([ -]?)[0-9]{3}\1[0-9]{4}(?![0-9])")

_NHS_WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)


def _has_valid_nhs_check_digit(match: re.Match[str]) -> bool:
    """Modulus 11: weights 10..2 on the first nine digits; 11 means 0, 10 is invalid."""
    digits = [int(c) for c in match.group(0) if c != " " and c != "-"]
    total = sum(d * w for d, w in zip(digits[:9], _NHS_WEIGHTS, strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == digits[9]


# --- UK phone number ------------------------------------------------------------------

# National significant number (no trunk 0) of the published NHSmail helpdesk line,
# 0333 200 1133: public, and the bot quotes it, so it is never redacted.
_PUBLIC_PHONE_NSN = frozenset({"3332001133"})

# Prefix: +44 or 0044 (optionally followed by "(0)"), or a trunk 0 maybe opened by "(".
# Body: 9 or 10 national digits starting 1-9, with at most two of space, dash or bracket
# between digits. Requiring the prefix and 9-10 digits keeps dates ("03/02/2025"), times,
# money and short numbers out; separators are bounded so scanning stays linear.
_PHONE = re.compile(
    r"(?<![\w+])"  # not glued to a word or to another number
    r"(?:(?:\+|00)44[ -]?(?:\(0\)[ -]?)?|\(?0)"
    r"[1-9](?:[ ()-]{0,2}[0-9]){8,9}"
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
# Outward: A9, A9A, A99, AA9, AA9A, AA99. Inward: 9AA. Optional single space.
_POSTCODE = re.compile(
    r"(?<![A-Za-z0-9])"
    r"[A-PR-UWYZ](?:[0-9][0-9A-HJKPSTUW]?|[A-HK-Y][0-9][0-9ABEHMNPRV-Y]?)"
    r" ?[0-9][ABD-HJLNP-UW-Z]{2}"
    r"(?![A-Za-z0-9])",
    re.IGNORECASE,
)


# --- The table ------------------------------------------------------------------------

# Order matters:
# - EMAIL first, so digits inside an address ("07700900123@nhs.net") are not turned
#   into "[PHONE]@nhs.net", which would no longer look like an email.
# - NHS_NUMBER before PHONE, so a valid NHS number that also looks like a phone number
#   ("012 345 6789") is labelled as an NHS number.
# Placeholders contain no digits or "@", so a later rule never re-matches an earlier one.
RULES: tuple[Rule, ...] = (
    Rule("EMAIL", _EMAIL, "[EMAIL]", _is_private_email),
    Rule("NHS_NUMBER", _NHS_NUMBER, "[NHS NUMBER]", _has_valid_nhs_check_digit),
    Rule("PHONE", _PHONE, "[PHONE]", _is_private_phone),
    Rule("POSTCODE", _POSTCODE, "[POSTCODE]"),
)


def redact(text: str) -> str:
    """Return `text` with every sensitive item replaced by its placeholder."""
    for rule in RULES:
        text = rule.apply(text)
    return text


def contains_pii(text: str) -> bool:
    """True if `redact` would change `text`."""
    return redact(text) != text
