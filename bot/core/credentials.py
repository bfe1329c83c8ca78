"""Find an Account Secret or a password that someone typed, so it can be redacted whole.

The NHSmail Account Secret is one word, letters only, longer than 8 characters; a
password can be anything. Nothing about the value sets it apart from ordinary words, so
what gives it away is how it is introduced. Four shapes, each a regex that finds a
lead-in and takes the value (the lead-in itself is kept, so the message still reads):

- a statement: "[my] secret|password [word] is|was|'s|=|:|- VALUE", "is now VALUE";
- a change: "set|changed|reset|updated my secret|password to|as [be] VALUE", or to "my
  dog's name VALUE";
- value first: "VALUE is|as my [new] secret|password", where the clause then ends
  ("I set X as my secret");
- a pronoun: "it's VALUE" only counts when the message is about a secret or password
  (it names one), or the caller says the conversation is; "changed it to VALUE" also
  when the value is shaped like a credential;
- a label with nothing after it but a space ("password Winter2024!"), or an address
  and a slash ("jo@nhs.net / Winter2024!"), when the value is shaped like a password.

The same lead-ins start questions and complaints ("my secret is wrong", "secret:
deadline?"), so a validator looks at each value. A missed secret is worse than an
over-redacted question, so only words known to be talk *about* a secret are let through.

Linear time: runs of whitespace are possessive, values are atomic, quoted forms are
bounded, and a match can only start at a noun, a verb or the start of a token.
"""

from __future__ import annotations

import re
import string

__all__ = ["CREDENTIAL", "MAY_SHARE", "PLACEHOLDER", "is_shared", "mentions_credential"]

PLACEHOLDER = "[REDACTED]"

# The nouns. Abbreviations such as "pwd" are only ever labels, so they may be followed
# by the value with nothing but a space between ("pwd Winter2024!").
# Common misspellings count: people type fast, on phones.
_SECRET = r"(?:secr[ie]t|secert|sercet|secrect)(?:\s++(?:word|phrase|code|answer))?"
_PASSWORD = r"pass?\s?+wo?rds?+|passwrd|pass\s?+phrase|passcode|pass(?=\s*+[:=])"
_LABEL = r"pwd|passwd|pw|p/w"
_NOUN = rf"(?:{_SECRET}|{_PASSWORD}|{_LABEL})"

# One value. Quoted: the whole quoted string (one line, bounded). Unquoted: the whole
# run of non-space characters ("Marmalade7!" and "Win'ter24" go whole), except that a letters-only
# value (the Account Secret's shape) leaves trailing sentence punctuation in the
# sentence ("my secret is Bluebellwood." keeps its full stop) unless "is my secret"
# follows, where the punctuation can only be the value's. "[" cannot start or be
# in a value, so a placeholder is never a value.
_VALUE = (
    r"(?>"
    r"'[^'\n]{1,100}'"
    r'|"[^"\n]{1,100}"'
    r"|“[^”\n]{1,100}”"
    r"|‘[^’\n]{1,100}’"
    r"""|['"“‘]?[^\W\d_]++(?=[.,;:!?'"”’)]++(?:$|\s(?!\s*+(?:is|as|was|=|will)\s)))"""
    r"""|['"“‘]?[^\s\[\]'"“”‘’][^\s\[\]]*+"""
    r")"
)

# The same, bounded, for look-aheads that are tried at many positions: scanning stays
# linear however long a run of non-space characters is.
_VALUE_AHEAD = (
    r"(?>"
    r"""['"“‘][^\n'"“”‘’]{1,100}['"”’]"""
    r"""|['"“‘]?[^\s\[\]'"“”‘’][^\s\[\]]{0,99}+"""
    r")"
)

# Between the noun and the value. "is", "was", "will be", maybe "now", "set to"; or a
# sign: ":", "=", a dash. A bare hyphen needs a space on one side ("secret-related").
_SEPARATOR = (
    r"(?:"
    r"['’]s\s++"
    r"|(?:\s++i\s++(?:use|used|have|had|chose|picked|set|typed|put|entered))?"
    r"\s++(?:is|are|was|were|has\s++been|will\s++be|should\s++be|would\s++be)"
    r"(?:\s++(?:now|still|actually|just|called|named|currently))?"
    r"(?:\s++(?:set|changed|reset|updated)\s++(?:to|as)(?:\s++be)?)?"
    r"(?:\s*+[:=—–-])?\s++"
    r"|\s*+[=:—–]\s*+"
    r"|\s++-{1,2}\s*+"
    r"|-{1,2}\s++"
    r")"
)

_QUALIFIERS = (
    r"(?:(?:my|the|your|our|an?)\s++)?"
    r"(?:(?:new|current|old|temporary|temp|acct|account|nhs\s*+mail|nhs\s*+net|portal|"
    r"login|log-in|email|outlook)\s++){0,3}"
)

# After "X is my secret" the clause ends, or goes on with a word that does not make
# "secret" part of a longer noun ("the deadline is my secret question" is not a share).
_CLAUSE_END = (
    r"(?=\s*+(?:$|[.,;:!?)\-–—]|(?:now|and|but|so|then|yesterday|today|earlier|before|lol|"
    r"thanks|thx|please|pls|ok|okay|right|is|was|x+)\b))"
)

_VERB = r"(?:set|setting|change[ds]?|changing|reset|resetting|update[ds]?|updating|made|make)"

# Verbs that put a value "as" a secret: "I set X as my secret", "typed X as my password".
_CHOICE_VERB = (
    r"(?:set|use|used|using|chose|chosen|choose|picked|pick|typed|type|put|entered|enter|"
    r"made|make|have|had|got|want|wanted|tried|try|trying|went\s++with|going\s++with)"
)
# Where "X is my secret" can start: the start of the message or of a clause.
_CLAUSE_START = r"(?:^|[.!?,;:(]\s*+|\b(?:and|but|so|ok|okay|well|yes|yeah|think|guess)\s++)"

# After the value, words that make it a description, not a value ("my password was
# emailed to my manager", "my secret was set up by IT").
_DESCRIBED = r"(?!\s++(?:to|by|out|from|up|off|again)\b)"

CREDENTIAL = re.compile(
    r"(?:"
    # 1. "my account secret is X", "secret: X", "password = X", "pwd X"
    rf"(?P<weak>\b{_NOUN}{_SEPARATOR}|\b(?:{_LABEL})\s++)"
    # 2a. "made my secret my dog's name X": a description of the value, then the value
    rf"|(?P<described>\b{_VERB}\s++{_QUALIFIERS}{_NOUN}\s++(?:to\s++|as\s++)?(?:my|our)\s++"
    r"(?:[a-z'’]++\s++){0,3}?(?:name|nickname|word)\s++(?:(?:is|was|,|-|:)\s*+)?)"
    # 2. "set my secret to X", "changed my password to be X"
    rf"|\b{_VERB}\s++{_QUALIFIERS}{_NOUN}\s++(?:to|as)(?:\s++be)?\s++"
    # 3. "I set X as my secret", "X is my new password" (the tail checked by a lookahead)
    rf"|\b{_CHOICE_VERB}\s++(?={_VALUE_AHEAD}\s++as\s++{_QUALIFIERS}{_NOUN}{_CLAUSE_END})"
    rf"|{_CLAUSE_START}(?={_VALUE_AHEAD}\s++(?:is|was|=|will\s++be)\s++"
    rf"{_QUALIFIERS}{_NOUN}{_CLAUSE_END})"
    # 4. "is X a good secret?", "would X work as a secret"
    r"|\b(?:is|would|wud|could|will|does|do\s++you\s++think)\s++(?="
    rf"{_VALUE_AHEAD}\s++(?:(?:be\s++)?an?\s++(?:good|ok|okay|valid|strong|safe|decent|fine)"
    rf"\s++|work\s++(?:as|for)\s++(?:an?|my|the)\s++){_QUALIFIERS}{_NOUN}\b)"
    # 5. "it's X" (only in talk about a secret), "changed it to X": see `is_shared`
    r"|(?P<pronoun>\b(?:it['’]?s|it\s++(?:is|was))(?:\s++now)?\s++)"
    r"|(?P<verb_it>\b(?:set|changed?|made|reset|updated)\s++(?:it|mine)\s++(?:to|as)\s++)"
    # 6. "jo.bloggs@nhs.net / Winter2024!": an address, then a slash, then a password
    r"|(?P<pair>@[\w-]++(?:\.[\w-]++)++\s*+[/|]\s*+)"
    # 7. "password Winter2024!", "Password\nWinter2024!": a label with only a space after
    r"|(?P<bare>\b(?:password|passcode|passwd|pwd|pw)\s++)"
    r")"
    rf"(?P<value>{_VALUE}){_DESCRIBED}",
    re.IGNORECASE,
)

_MENTION = re.compile(rf"\b{_NOUN}\b", re.IGNORECASE)

# What a text must hold for these patterns to match at all, with the same flags.
# Searching for a few letters takes a few microseconds; a full pattern, tried at every
# position of every message, took tens. A change to the patterns must keep these true
# (tests/test_credentials.py and tests/test_redact.py check them on every text the
# tests know).
# - ``_NOUN``: "secr", "secert", "sercet", "pas", "pw" or "p/w".
_NOUN_LETTERS = r"secr|secert|sercet|pas|pw|p/w"
_MAY_NAME = re.compile(_NOUN_LETTERS, re.IGNORECASE)
# - ``CREDENTIAL``: a noun, a pronoun ("it's", "it is", "it to"), "mine" (changed mine
#   to X), or an address's "@" (jo@nhs.net / X).
MAY_SHARE = re.compile(rf"{_NOUN_LETTERS}|\bit(?:['’]?s|\s)|mine|@", re.IGNORECASE)


def mentions_credential(text: str) -> bool:
    """True if ``text`` names a secret or password (so "it's X" may be one)."""
    return _MAY_NAME.search(text) is not None and _MENTION.search(text) is not None


# A value made only of these words is someone talking about their secret, not sharing
# it: "my secret is not working", "password: reset", "use numbers as my secret". Function
# words plus the status and description words people use about a secret. No ordinary
# nouns: a real secret is often a dictionary word ("sunflowers").
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
    needs needed going meant supposed use using count counts put enter choose pick type
    want know think yourself myself themselves herself himself ourselves
    phished hacked greyed grayed emailed texted shared forwarded reused repeated identical
    auto-generated supposedly misspelled misspelt basically completely totally everywhere
    apparently obviously somehow changing expiring resetting
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

# After a bare sign ("secret: deadline?", "password - reset link") the sign is a label
# for a topic as often as for a value; these topic words are questions there.
_TOPICS = frozenset(
    """
    requirements requirement rules rule deadline deadlines date dates setup set-up setting
    resetting changing creating making choosing help question questions problem problems
    issue issues error errors info information details guidance instructions steps process
    support enforcement login log-in portal mfa change expiry length format example
    examples idea ideas tips advice policy explained explain meaning self self-service
    first
    """.split()
)

_QUOTES = "'\"“”‘’"

# Long words that follow "it's" in ordinary helpdesk talk ("it's Microsoft
# Authenticator", "it's Wednesday"): not credentials, even though they are long.
_LONG_WORDS = frozenset(
    """
    microsoft authenticator outlook monday tuesday wednesday thursday friday saturday
    sunday yesterday tomorrow christmas january february september october november
    december something everything important different connected impossible available
    unavailable complicated frustrating ridiculous confusing happening""".split()
)


_COMMON = _LONG_WORDS | _NOT_A_SECRET | _TOPICS


def _looks_like_credential(value: str) -> bool:
    """Shaped like a secret or password even with nothing else to go on.

    Letters mixed with digits or symbols (a password), or one letters-only word longer
    than 8 (the Account Secret's own rule) that is not an everyday long word.
    """
    if len(value) < 9 or any(c.isspace() for c in value) or "://" in value or "www." in value:
        return False
    if value.isalpha():
        return value.lower() not in _COMMON
    return any(c.isalpha() for c in value) and not value.rstrip(".,;:!?").isalpha()


def is_shared(match: re.Match[str], *, in_context: bool = False) -> bool:
    """Whether a ``CREDENTIAL`` match really shares a value (see the module docstring).

    ``in_context``: the message or the conversation is about a secret or password (the
    caller works it out once per message, not once per candidate).
    """
    value = match.group("value").strip(_QUOTES)
    common = value.lower().rstrip(".,;:!?") in _COMMON
    if match.group("pronoun") is not None:
        # "it's X": only in talk about a secret, and only something as long as one.
        if not in_context or common or len(value) < 8:
            return False
    elif match.group("verb_it") is not None or match.group("pair") is not None:
        if not (_looks_like_credential(value) or (in_context and len(value) >= 8 and not common)):
            return False
    elif match.group("described") is not None:
        # "my dog's name X": X must look like the value itself, not "lol" or "ok".
        if not (_looks_like_credential(value) or (len(value) >= 6 and not common)):
            return False
    elif match.group("bare") is not None and (value.isalpha() or not _looks_like_credential(value)):
        return False  # "password correctly": after a bare label, only a password's shape
    if value == PLACEHOLDER or not any(c.isalnum() for c in value):
        return False
    if value.isdigit() and len(value) <= 2:
        return False  # "my secret is 9 letters long": a count
    words = [w.strip(string.punctuation) for w in value.lower().replace("’", "'").split()]
    if all(word in _NOT_A_SECRET for word in words):
        return False
    weak = match.group("weak") is not None and not re.search(
        r"\b(?:is|are|was|were|be|'s|’s)\b", match.group("weak"), re.IGNORECASE
    )
    return not (weak and len(words) == 1 and words[0] in _TOPICS)
