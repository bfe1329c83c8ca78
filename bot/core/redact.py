"""Redact patient-identifiable and personal data, and Account Secrets, from message text.

Why this exists: helpbot is privacy-by-default. Every message text passes through
`redact` before it is stored or logged, so NHS numbers, phone numbers, email addresses
and postcodes never reach the database or the logs. Users often paste these into a
helpdesk chat without thinking; we keep the question and drop the identifier.

Users also type their NHSmail Account Secret (the word helpdesks use to check who they
are) into the chat: "my account secret is Bluebellwood". That is a credential, so the
shared value is replaced by "[REDACTED]" and never stored, logged or echoed; the
lead-in ("my account secret is") is kept so the question still makes sense.
`contains_secret` tells the engine when this happened, so it can warn the user.

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
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass

__all__ = ["RULES", "Rule", "contains_pii", "contains_secret", "redact", "redact_checked"]


@dataclass(frozen=True, slots=True)
class Rule:
    """One redaction rule: matches of `pattern` become `placeholder`.

    `is_sensitive`, if given, is asked about each match; returning False leaves that
    match untouched (e.g. a 10-digit number whose NHS check digit is wrong).

    `group`, if given, names the group of `pattern` that is replaced; the rest of the
    match is kept (e.g. "my secret is " stays, only the secret itself goes).
    """

    name: str
    pattern: re.Pattern[str]
    placeholder: str
    is_sensitive: Callable[[re.Match[str]], bool] | None = None
    group: str | None = None

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


# --- Account Secret -------------------------------------------------------------------

# The NHSmail Account Secret is one word, letters only, longer than 8 characters, so
# nothing about the value itself sets it apart from ordinary words. What gives a secret
# away is how it is introduced, so the pattern finds a lead-in and takes the value after
# it (the lead-in itself is kept). Three shapes:
# - a statement: "[my] [account] secret [word] is|was|'s|=|:|-|— VALUE", also "is now",
#   "is called", "was set to", "has been changed to". Words before "secret" ("my",
#   "the", "acct", "nhsmail", "portal", ...) need not be matched at all, because they
#   are kept anyway; only the bare "secret" has to be found.
# - a change: "set|changed|reset|updated my [account] secret to [be] VALUE".
# - a choice: "use|chose|picked VALUE as my secret"; a lookahead checks the tail, so
#   the match still ends at the value.
# The same lead-ins also start questions and complaints ("my secret is wrong", "secret:
# how do I set it up?"); `_is_shared_secret` sorts those out by looking at the value.
#
# Linear time: every run of whitespace is possessive (\s++, \s*+) and the value is an
# atomic group with possessive runs, so no run is ever rescanned in different splits,
# and the quoted forms are bounded. A match can only start at "secret" or at one of the
# verbs, so long hostile input (e.g. "secret is " repeated) stays cheap.

_SECRET_PLACEHOLDER = "[REDACTED]"

# One unquoted token: stops at whitespace, sentence punctuation, quotes and brackets
# (so "Octopusgarden, can you..." gives "Octopusgarden", and a placeholder such as
# "[REDACTED]" can never be a value). Inner "." and apostrophes are allowed ("don't",
# "a.b"); a trailing full stop is left in the sentence.
_TOKEN_CHAR = r"""[^\s,;!?.'"“”‘’()\[\]{}<>]"""
_TOKEN = rf"{_TOKEN_CHAR}++(?:[.'’]{_TOKEN_CHAR}++)*+"

# The value: a whole quoted string (straight or curly quotes, one line, bounded), or
# else one token, maybe after an opening quote that is never closed.
_SECRET_VALUE = (
    r"(?>"
    r"'[^'\n]{1,100}'"
    r'|"[^"\n]{1,100}"'
    r"|“[^”\n]{1,100}”"
    r"|‘[^’\n]{1,100}’"
    rf"""|['"“‘]?{_TOKEN}"""
    r")"
)

# "secret", optionally "secret word|phrase|code".
_SECRET_NOUN = r"secret(?:\s++(?:word|phrase|code))?"

# What may come between "secret" and the value. A bare hyphen needs a space on one
# side, so "secret-related" is not "secret - related". "is now X", "is called X" and
# "has been set to X" are allowed so "my secret is now Bluebellwood" gives the word
# after "now" (and "my secret is now." still offers "now" as the value, which the
# validator then turns down).
_SECRET_SEPARATOR = (
    r"(?:"
    r"['’]s\s++"  # secret's X
    r"|\s++(?:is|was|has\s++been)"
    r"(?:\s++(?:now|still|actually|just|called|named))?"
    r"(?:\s++(?:set|changed|reset|updated)\s++to(?:\s++be)?)?"
    r"(?:\s*+[:=—–-])?\s++"
    r"|\s*+[=:—–]\s*+"
    r"|\s++-{1,2}\s*+"
    r"|-{1,2}\s++"
    r")"
)

# Words that may sit between a verb and "secret": "set my NHSmail account secret to".
_SECRET_QUALIFIERS = (
    r"(?:(?:my|the|your|our|an?)\s++)?"
    r"(?:(?:acct|account|nhs\s*+mail|nhs\s*+net|portal)\s++){0,2}"
)

_ACCOUNT_SECRET = re.compile(
    r"(?:"
    # 1. "my account secret is X", "secret: X", "the secret word is 'X'"
    rf"\b{_SECRET_NOUN}{_SECRET_SEPARATOR}"
    # 2. "set my secret to X", "changed my account secret to be X"
    r"|\b(?:set|setting|change[ds]?|changing|reset|resetting|update[ds]?|updating)"
    rf"\s++{_SECRET_QUALIFIERS}{_SECRET_NOUN}\s++to(?:\s++be)?\s++"
    # 3. "I'll use X as my secret" (the tail is checked by a lookahead)
    r"|\b(?:use|using|used|chose|choose|chosen|choosing|pick|picked|picking)\s++"
    rf"(?={_SECRET_VALUE}\s++as\s++{_SECRET_QUALIFIERS}secret\b)"
    r")"
    rf"(?P<value>{_SECRET_VALUE})",
    re.IGNORECASE,
)

# A value made only of these words is someone talking about their secret, not sharing
# it: "my secret is not working", "my secret is the same as before", "secret: what are
# the rules", "use numbers as my secret". The list is function words (articles,
# pronouns, prepositions, auxiliaries, question words) plus the status and description
# words people use about a secret. It deliberately holds no ordinary nouns: a real
# secret is often a dictionary word ("sunflowers"), and anything not listed here is
# treated as a secret, because a missed secret is worse than an over-redacted question.
_NOT_A_SECRET = frozenset(
    """
    a an the my your our their his her its this that these those it it's i i'm im
    me we you they he she them us one some any all none no nothing something anything
    everything someone anyone there here mine every each another other others more less
    most least many much few several both either neither such even ever well enough
    what what's whats how why when where who whom whose which whether
    and or but so if because as than then for to of in on at by with without from
    about into over under up down out off after before like unlike same also else
    is isn't isnt are aren't was wasn't were be been being am do does did don't dont
    doesn't doesnt didn't didnt have has had haven't hasn't can can't cant cannot could
    couldn't will won't wont would wouldn't should shouldn't shall may might must need
    needs needed going meant supposed
    not never still just now already only really very too always sometimes again
    currently definitely probably actually apparently maybe exactly almost
    wrong right correct incorrect invalid valid locked unlocked blocked expired expiring
    forgotten forgot lost missing gone unknown required mandatory optional compulsory
    set unset done complete completed incomplete saved stored changed updated reset
    accepted rejected denied refused declined failing failed working broken empty blank
    ok okay fine good bad new old different secure insecure safe private public
    sensitive case weak strong short long shorter longer similar visible hidden
    compromised leaked stolen disabled enabled active inactive pending unavailable
    available confusing stuck default temporary easy hard difficult simple important
    urgent overdue due soon later unique personal annoying impossible case-sensitive
    asked used sent checked shown given kept made created requested verified known
    entered typed based linked called named displayed generated recognised recognized
    saying showing coming asking getting taking expire expires
    letters letter characters character numbers number digits digit words word symbols
    spaces name names email password passwords secret secrets phrase code pin
    please help hi hello hey thanks thank sorry yes yeah nope
    """.split()
)

_QUOTES = "'\"“”‘’"


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


def _is_shared_secret(match: re.Match[str]) -> bool:
    if _starts_longer_pii(match):
        return False
    value = match.group("value").strip(_QUOTES)
    # Punctuation or emoji alone ("secret: -") shares nothing; and a value that is
    # already the placeholder (a quoted "[REDACTED]") must not be redacted again.
    if value == _SECRET_PLACEHOLDER or not any(c.isalnum() for c in value):
        return False
    if value.isdigit() and len(value) <= 2:
        return False  # "my secret is 9 letters long": a count, and a secret is letters only
    words = value.lower().replace("’", "'").split()
    # Punctuation around a word ("**blocked", "wrong...") does not make it a secret.
    return not all(word.strip(string.punctuation) in _NOT_A_SECRET for word in words)


# --- The table ------------------------------------------------------------------------

# Order matters:
# - ACCOUNT_SECRET first, so it sees the raw text, as `contains_secret` does: the two
#   always agree, and a secret that looks like something else ("my secret is
#   jo@nhs.net") is still reported as a secret. The one exception is a value that only
#   begins a spaced phone, NHS number or postcode: see `_SPACED_PII`. The kept lead-in
#   words hold nothing the later rules would match.
# - EMAIL before the number rules, so digits inside an address ("07700900123@nhs.net")
#   are not turned into "[PHONE]@nhs.net", which would no longer look like an email.
# - NHS_NUMBER before PHONE, so a valid NHS number that also looks like a phone number
#   ("012 345 6789") is labelled as an NHS number.
# Placeholders contain no digits or "@", so a later rule never re-matches an earlier one,
# and they start with "[", which can never start an Account Secret value.
RULES: tuple[Rule, ...] = (
    Rule("ACCOUNT_SECRET", _ACCOUNT_SECRET, _SECRET_PLACEHOLDER, _is_shared_secret, "value"),
    Rule("EMAIL", _EMAIL, "[EMAIL]", _is_private_email),
    Rule("NHS_NUMBER", _NHS_NUMBER, "[NHS NUMBER]", _has_valid_nhs_check_digit),
    Rule("PHONE", _PHONE, "[PHONE]", _is_private_phone),
    Rule("POSTCODE", _POSTCODE, "[POSTCODE]"),
)


def redact(text: str) -> str:
    """Return `text` with every sensitive item replaced by its placeholder."""
    return redact_checked(text)[0]


def redact_checked(text: str) -> tuple[str, bool]:
    """`redact(text)`, and whether it held an Account Secret: one pass for the hot path."""
    redacted, secret = text, False
    for rule in RULES:
        redacted = rule.apply(redacted)
        if rule is _SECRET_RULE:
            secret = redacted != text  # the secret rule runs first, on the raw text
    return redacted, secret


# An Account Secret is a credential, not patient-identifiable or personal data, so
# `contains_pii` leaves it out: callers can then tell "this message held personal data"
# from "this message held the user's secret" (the engine warns the user about the
# latter via `contains_secret`). A secret that is also personal data ("my secret is
# jo@nhs.net") still counts, because the EMAIL rule finds it on its own.
_PII_RULES = tuple(rule for rule in RULES if rule.name != "ACCOUNT_SECRET")
_SECRET_RULE = next(rule for rule in RULES if rule.name == "ACCOUNT_SECRET")


def contains_pii(text: str) -> bool:
    """True if a personal-data rule (every rule but ACCOUNT_SECRET) would change `text`."""
    # Same answer as running those rules in turn and comparing: a rule that finds
    # nothing leaves the text unchanged for the next one.
    return any(rule.finds(text) for rule in _PII_RULES)


def contains_secret(text: str) -> bool:
    """True if `text` shares an Account Secret, i.e. `redact` would replace one."""
    return _SECRET_RULE.finds(text)
