"""Generated messages that carry secrets and personal data in the ways people paste them.

Used by the privacy fuzz test, and by hand to compare redaction before and after a
change (`python -m tests.fuzz_messages`). Deterministic for a given seed.
"""

from __future__ import annotations

import ast
import json
import random
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from bot.config import PROJECT_ROOT

SPACES = [" ", "\u00a0", "\u202f", "\u2009", "\u2007"]
ZERO_WIDTH = ["\u200b", "\u200d", "\ufeff", "\u2060"]


@dataclass(frozen=True)
class Sensitive:
    category: str  # secret, password, nhs_number, phone, email, postcode
    value: str  # as it must never appear (compared after folding, see ``leaked``)


@dataclass(frozen=True)
class Generated:
    user: str
    text: str
    sensitive: tuple[Sensitive, ...]


_WORDS = (
    "bluebell wood marmalade octopus garden lighthouse keeper tangerine dreams hedgehog "
    "picnic purple umbrella mossy boulder kettle chips lemon drizzle sunflower meadow"
).split()


def _secret(rng: random.Random) -> str:
    while True:
        word = "".join(rng.sample(_WORDS, 2))
        if len(word) > 8:
            return word.capitalize() if rng.random() < 0.5 else word


def _password(rng: random.Random) -> str:
    return _secret(rng)[:8].capitalize() + str(rng.randint(1, 9999)) + rng.choice("!#?$*.")


def _nhs(rng: random.Random) -> tuple[str, str]:
    while True:
        first = "".join(rng.choice("0123456789") for _ in range(9))
        check = 11 - sum(int(d) * (10 - i) for i, d in enumerate(first)) % 11
        if check != 10:
            digits = first + str(0 if check == 11 else check)
            break
    sep = rng.choice(["", " ", "  ", "-", ".", *SPACES[1:]])
    return digits, f"{digits[:3]}{sep}{digits[3:6]}{sep}{digits[6:]}"


def _phone(rng: random.Random) -> tuple[str, str]:
    national = rng.choice(["7700900", "1614960", "2079460", "1174960"]) + "".join(
        rng.choice("0123456789") for _ in range(3)
    )
    prefix = rng.choice(["0", "+44 ", "+44", "44 ", "0044 ", "+44 (0)"])
    sep = rng.choice([" ", "", ".", "-", *SPACES[1:3]])
    return national, f"{prefix}{national[:4]}{sep}{national[4:7]}{sep}{national[7:]}"


def _postcode(rng: random.Random) -> tuple[str, str]:
    outward = rng.choice(["LN1", "SW1A", "M1", "B33", "CR2", "DN55", "NG31"])
    inward = rng.choice(["1AA", "2AB", "8QH", "6XH", "1JT"])
    sep = rng.choice(["", " ", "  ", *SPACES[1:3]])
    text = outward + sep + inward
    return outward + inward, text.lower() if rng.random() < 0.3 else text


def _email(rng: random.Random) -> str:
    name = rng.choice(["jo.bloggs", "sam.carer", "a.nurse", "pat+home", "o'neil.k"])
    return f"{name}{rng.randint(1, 99)}@{rng.choice(['nhs.net', 'carehome.co.uk', 'gmail.com'])}"


SECRET_PHRASINGS = [
    "my secret is {}",
    "my account secret is {} can you check",
    "secret: {}",
    "I set {} as my secret",
    "{} is my secret",
    "changed my secret to {}",
    "I changed it to {} for my secret",
    "set my nhsmail secret as {}",
    "is {} a good account secret?",
    "its {} - my secret I mean",
    "my secret's {}!",
    "the secret I chose was '{}'",
]
PASSWORD_PHRASINGS = [
    "my password is {}",
    "password: {}",
    "pwd: {}",
    "changed my password to {}",
    "new password = {} will it work",
    "login {} / {}",
]
PII_PHRASINGS = {
    "nhs_number": ["NHS no {} can I email this", "patient ({}) discharge letter", "{}"],
    "phone": ["ring me on {}", "my mobile {} thanks", "call back {} pls"],
    "email": ["email me at {}", "my address is {}", "{} is locked"],
    "postcode": ["care home at {}", "we are in {} area", "postcode {}"],
}
QUESTIONS = [
    "when is the account secret deadline",
    "how do i set up my account secret",
    "account secret: requirements?",
    "what is nhsmail",
    "I'm locked out of office 365",
    "what happens if I don't set a secret",
    "secret: deadline",
]


def _disguise(rng: random.Random, text: str) -> str:
    """Sometimes scatter zero-width characters through the message, as pastes do."""
    if rng.random() < 0.15:
        return "".join(c + (rng.choice(ZERO_WIDTH) if rng.random() < 0.2 else "") for c in text)
    return text


def generate(seed: int, count: int, users: int = 60) -> list[Generated]:
    rng = random.Random(seed)
    out: list[Generated] = []
    for i in range(count):
        user = f"user{i % users:03d}"
        kind = rng.choice(["secret", "password", *PII_PHRASINGS, "mixed", "question"])
        found: list[Sensitive] = []
        if kind == "secret":
            value = _secret(rng)
            text = rng.choice(SECRET_PHRASINGS).format(value)
            found.append(Sensitive("secret", value))
        elif kind == "password":
            value = _password(rng)
            phrasing = rng.choice(PASSWORD_PHRASINGS)
            if phrasing.count("{}") == 2:
                address = _email(rng)
                text = phrasing.format(address, value)
                found.append(Sensitive("email", address))
            else:
                text = phrasing.format(value)
            found.append(Sensitive("password", value))
        elif kind == "question":
            text = rng.choice(QUESTIONS)
        else:
            parts = []
            for category in list(PII_PHRASINGS) if kind == "mixed" else [kind]:
                if category == "email":
                    plain = shown = _email(rng)
                else:
                    plain, shown = {"nhs_number": _nhs, "phone": _phone, "postcode": _postcode}[
                        category
                    ](rng)
                parts.append(rng.choice(PII_PHRASINGS[category]).format(shown))
                found.append(Sensitive(category, plain))
            text = ", ".join(parts)
        out.append(Generated(user, _disguise(rng, text), tuple(found)))
    return out


def _fold(text: str) -> str:
    return re.sub(r"[\s\u200b-\u200d\u2060\ufeff\-./()+]", "", text).lower()


class Haystack:
    """Text to search for leaks, folded once (spaces, dots and zero-widths ignored)."""

    def __init__(self, text: str) -> None:
        self.lower = text.lower()
        self.folded = _fold(text)

    def holds(self, item: Sensitive) -> bool:
        if item.category in ("nhs_number", "phone", "postcode"):
            needle = _fold(item.value)
            return (needle[-7:] if item.category == "phone" else needle) in self.folded
        return item.value.lower() in self.lower


def leaked(item: Sensitive, haystack: str) -> bool:
    """True if ``item`` can be read in ``haystack``."""
    return Haystack(haystack).holds(item)


def count_leaks(
    messages: list[Generated], redact: Callable[[str], str]
) -> tuple[Counter[str], Counter[str]]:
    """(leaked, total) per category when each message is passed through ``redact``."""
    leaks: Counter[str] = Counter()
    totals: Counter[str] = Counter()
    for message in messages:
        out = redact(message.text)
        for item in message.sensitive:
            totals[item.category] += 1
            leaks[item.category] += leaked(item, out)
    return leaks, totals


if __name__ == "__main__":  # pragma: no cover - a measuring aid, run by hand
    import importlib
    import sys

    module = importlib.import_module(sys.argv[1] if len(sys.argv) > 1 else "bot.core.redact")
    leaks, totals = count_leaks(generate(2026, 10_000), module.redact)
    for category in sorted(totals):
        share = leaks[category] / totals[category]
        print(f"{category:11} {leaks[category]:5} of {totals[category]:5} leaked ({share:.1%})")


@cache
def every_known_text() -> list[str]:
    """Every string written in the privacy tests, the staff messages, generated
    messages and random mixes of credential words: the texts the rules are known to
    meet (for checks that must hold on all of them)."""

    here = Path(__file__).parent
    texts: set[str] = set()
    for name in (
        "test_redact.py",
        "test_redact_formats.py",
        "test_credentials.py",
        "test_secret.py",
        "test_privacy_fuzz.py",
        "fuzz_messages.py",
    ):
        tree = ast.parse((here / name).read_text(encoding="utf-8"))
        texts |= {
            n.value
            for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str)
        }
    staff = PROJECT_ROOT.parent / "shared" / "messages" / "staff-messages.jsonl"
    if staff.exists():
        texts |= {
            json.loads(line)["text"]
            for line in staff.read_text(encoding="utf-8").splitlines()
            if line
        }
    texts |= {item.text for item in generate(seed=7, count=3000)}
    # Odd spellings, case and the characters case-insensitive matching folds together.
    rng = random.Random(11)
    pieces = [
        "my",
        "secret",
        "SECRIT",
        "secert",
        "sercet",
        "pasword",
        "Pwd",
        "p/w",
        "it's",
        "it is",
        "it’s",
        "set",
        "changed",
        "mine",
        "to",
        "as",
        "is",
        "jo@nhs.net",
        "/",
        "|",
        "(at)",
        "07700 900123",
        "SW1A 1AA",
        "943 476 5919",
        "ſecret",
        "İt",
        "K",
        "\n",
        ":",
        "=",
        "Bluebellwood",
        "Winter2024!",
        "x",
    ]
    texts |= {" ".join(rng.choices(pieces, k=rng.randint(1, 9))) for _ in range(20000)}
    return sorted(texts)
