"""A synthetic IT-helpdesk knowledge base of any size, for ``helpbot bench --synthetic N``.

The shipped knowledge is a few thousand examples; the matcher must also stay fast with
tens of thousands. Random words would flatter it: real knowledge has topics whose nouns
recur across many intents (every printer question says "printer"), problem types whose
verbs recur across topics ("reset", "not working"), a few words that tell one intent from
its neighbours, and a long tail of rare words (product names, places, chit-chat). This
generator builds that shape, seeded so the same N always gives the same files, and
writes it in the project's own YAML (``intents/`` and ``knowledge/``), so ``load_content``
reads and checks it like any other knowledge.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.core.english import common_words
from bot.core.normalise import Normaliser

SEED = 2024
EXAMPLES_PER_INTENT = 80  # about the shipped knowledge's 82
OUT_OF_SCOPE_SHARE = 0.04

# Topic: the ways people name it, and the jargon that comes with it.
TOPICS: dict[str, tuple[list[str], list[str]]] = {
    "printer": (
        ["printer", "printing", "mfd", "photocopier", "print queue"],
        ["toner", "jam", "tray", "duplex", "cartridge", "a3"],
    ),
    "vpn": (
        ["vpn", "remote access", "globalprotect", "vpn client"],
        ["tunnel", "token", "gateway", "home", "remotely", "split"],
    ),
    "password": (
        ["password", "passcode", "login password", "windows password"],
        ["expired", "forgot", "complexity", "characters", "change", "reuse"],
    ),
    "laptop": (
        ["laptop", "notebook", "work laptop", "surface"],
        ["battery", "charger", "screen", "hinge", "docking", "lid"],
    ),
    "wifi": (
        ["wifi", "wireless", "wi-fi network", "guest wifi"],
        ["signal", "ssid", "hotspot", "eduroam", "router", "dropping"],
    ),
    "email": (
        ["email", "outlook", "mailbox", "inbox"],
        ["attachment", "signature", "quota", "junk", "forwarding", "folder"],
    ),
    "teams": (
        ["teams", "microsoft teams", "teams meeting", "teams chat"],
        ["webcam", "microphone", "channel", "recording", "background", "presence"],
    ),
    "phone": (
        ["desk phone", "mobile phone", "smartphone", "work mobile"],
        ["voicemail", "sim", "handset", "extension", "divert", "ringtone"],
    ),
    "monitor": (
        ["monitor", "second screen", "display", "external screen"],
        ["hdmi", "resolution", "flicker", "cable", "brightness", "dual"],
    ),
    "keyboard": (
        ["keyboard", "mouse", "wireless keyboard", "trackpad"],
        ["dongle", "keys", "cursor", "batteries", "bluetooth", "sticky"],
    ),
    "software": (
        ["software", "application", "app", "program"],
        ["licence", "install", "version", "catalogue", "admin", "rights"],
    ),
    "shared_drive": (
        ["shared drive", "network drive", "s drive", "file share"],
        ["mapped", "folder", "permissions", "restore", "files", "deleted"],
    ),
    "calendar": (
        ["calendar", "diary", "meeting invite", "room booking"],
        ["delegate", "recurring", "timezone", "availability", "invite", "cancel"],
    ),
    "mfa": (
        ["mfa", "two factor", "authenticator app", "2fa"],
        ["code", "approve", "prompt", "number", "sms", "registration"],
    ),
    "badge": (
        ["id badge", "smartcard", "access card", "door pass"],
        ["reader", "pin", "photo", "lanyard", "door", "chip"],
    ),
    "desk_booking": (
        ["desk booking", "hot desk", "desk", "workspace"],
        ["floor", "locker", "reserve", "neighbourhood", "booking", "checkin"],
    ),
    "sharepoint": (
        ["sharepoint", "intranet", "team site", "onedrive"],
        ["sync", "library", "version", "site", "link", "owner"],
    ),
    "scanner": (
        ["scanner", "scan to email", "document scanner", "scanning"],
        ["pdf", "feeder", "resolution", "ocr", "pages", "colour"],
    ),
    "headset": (
        ["headset", "headphones", "earphones", "speakerphone"],
        ["usb", "echo", "volume", "muted", "noise", "jack"],
    ),
    "backup": (
        ["backup", "file recovery", "restore point", "archive"],
        ["snapshot", "retention", "lost", "overwritten", "previous", "recover"],
    ),
    "account": (
        ["network account", "user account", "domain account", "login"],
        ["disabled", "locked", "starter", "leaver", "username", "surname"],
    ),
    "browser": (
        ["browser", "chrome", "edge", "firefox"],
        ["cache", "cookies", "bookmark", "popup", "homepage", "extension"],
    ),
    "antivirus": (
        ["antivirus", "virus scanner", "defender", "security software"],
        ["quarantine", "threat", "alert", "scan", "infected", "phishing"],
    ),
    "projector": (
        ["projector", "meeting room screen", "smartboard", "av kit"],
        ["remote", "input", "clicker", "bulb", "cast", "wireless"],
    ),
    "citrix": (
        ["citrix", "remote desktop", "virtual desktop", "rdp"],
        ["receiver", "session", "frozen", "workspace", "published", "launch"],
    ),
    "database": (
        ["database", "sql server", "reporting system", "data warehouse"],
        ["query", "timeout", "report", "extract", "table", "refresh"],
    ),
    "storage": (
        ["usb stick", "memory stick", "external drive", "encrypted usb"],
        ["encrypted", "blocked", "format", "capacity", "transfer", "port"],
    ),
    "tablet": (
        ["tablet", "ipad", "android tablet", "kiosk tablet"],
        ["charging", "stylus", "case", "enrol", "profile", "touchscreen"],
    ),
    "dictation": (
        ["dictation", "voice recognition", "dragon", "transcription"],
        ["foot", "pedal", "profile", "accuracy", "audio", "typist"],
    ),
    "ehr": (
        ["patient record system", "ehr", "clinical system", "records app"],
        ["smartcard", "role", "module", "appointment", "template", "clinic"],
    ),
    "hr_system": (
        ["hr system", "payslip portal", "self service", "expenses system"],
        ["payslip", "claim", "mileage", "approval", "manager", "absence"],
    ),
    "printer_driver": (
        ["printer driver", "print server", "follow me printing", "secure print"],
        ["release", "queue", "driver", "pin", "pull", "spooler"],
    ),
}

# Problem types: the same verbs recur across topics, as in real questions.
ASPECTS: dict[str, list[str]] = {
    "not_working": [
        "{n} not working",
        "my {n} has stopped working",
        "why is the {n} not working",
        "cant get the {n} to work",
        "{n} is broken again",
        "is the {n} down for everyone",
    ],
    "setup": [
        "how do i set up {n}",
        "setting up the {n} for the first time",
        "need help setting up my {n}",
        "how to configure {n}",
        "first time using {n} where do i start",
    ],
    "request": [
        "can i get a new {n}",
        "how do i request a {n}",
        "who approves a new {n}",
        "need to order a {n}",
        "request form for {n}",
    ],
    "reset": [
        "how do i reset my {n}",
        "need the {n} reset",
        "can you reset the {n} for me",
        "reset {n} please",
        "{n} needs resetting",
    ],
    "slow": [
        "{n} is really slow",
        "why is my {n} so slow",
        "{n} takes ages",
        "{n} keeps freezing",
        "{n} very laggy today",
    ],
    "error": [
        "getting an error on the {n}",
        "{n} shows an error message",
        "error code when i use the {n}",
        "{n} says something went wrong",
        "what does this {n} error mean",
    ],
    "access": [
        "no access to the {n}",
        "how do i get access to {n}",
        "permission denied on {n}",
        "cant access {n} anymore",
        "who gives access to the {n}",
    ],
    "install": [
        "how do i install the {n}",
        "install {n} on my machine",
        "can you install {n} for me",
        "{n} install failed",
        "need {n} installed",
    ],
    "lost": [
        "i lost my {n}",
        "{n} was stolen",
        "left my {n} on the train",
        "report a lost {n}",
        "what do i do if my {n} goes missing",
    ],
    "update": [
        "how do i update the {n}",
        "{n} update stuck",
        "is there an update for {n}",
        "{n} keeps asking to update",
        "should i install the {n} update",
    ],
    "move": [
        "moving desks what happens to my {n}",
        "can the {n} be moved",
        "relocate my {n} to another office",
        "move {n} to new site",
        "taking my {n} to another building",
    ],
    "training": [
        "is there training for the {n}",
        "how do i learn to use {n}",
        "guide for using {n}",
        "user manual for the {n}",
        "tips for the {n}",
    ],
    "contact": [
        "who supports the {n}",
        "who do i call about the {n}",
        "which team looks after {n}",
        "contact for {n} problems",
        "is there a helpline for {n}",
    ],
    "return": [
        "how do i return my old {n}",
        "give back the {n} when leaving",
        "returning a {n}",
        "where do i drop off the {n}",
        "leaver needs to return {n}",
    ],
    "security": [
        "is the {n} secure",
        "can someone hack my {n}",
        "{n} security settings",
        "is it safe to use {n} at home",
        "suspicious message on the {n}",
    ],
    "cost": [
        "how much does a {n} cost",
        "who pays for the {n}",
        "cost code for {n}",
        "budget for a new {n}",
        "is the {n} free",
    ],
    "share": [
        "how do i share the {n}",
        "share {n} with a colleague",
        "can two people use one {n}",
        "share my {n} with the team",
        "giving a colleague my {n}",
    ],
    "connect": [
        "{n} wont connect",
        "how do i connect to the {n}",
        "{n} keeps disconnecting",
        "cant connect the {n} at home",
        "{n} connection drops",
    ],
}

OPENERS = [
    "",
    "",
    "",
    "hi ",
    "hello ",
    "morning ",
    "sorry to bother you ",
    "quick question ",
    "help ",
    "hiya ",
]
CLOSERS = ["", "", "", "", " please", " thanks", " asap", " urgently", " again", " today"]
TAILS = ["since {d}", "after the {d}", "for the {d}", "on {d}", "with the {d}", "near {d}"]

OUT_OF_SCOPE = {
    "personal_banking": ["my bank app", "online banking", "credit card", "mortgage"],
    "weather": ["the weather", "rain tomorrow", "forecast", "sunshine"],
    "football": ["the football score", "match tonight", "league table", "premier league"],
    "car_parking": ["staff car park", "parking permit", "parking fine", "car park barrier"],
    "home_broadband": ["my home broadband", "home router", "internet provider", "fibre at home"],
    "personal_phone": ["my own iphone", "personal mobile", "my kids tablet", "my smart tv"],
    "payroll_tax": ["my tax code", "pension", "national insurance", "student loan"],
    "canteen": ["the canteen menu", "coffee machine", "vending machine", "staff restaurant"],
}
OUT_OF_SCOPE_FRAMES = [
    "problem with {n}",
    "help with {n}",
    "{n} not working",
    "question about {n}",
    "can you sort {n}",
    "what about {n}",
    "{n} help please",
    "is {n} down",
]

SYNONYMS = {"wifi": ["wi fi", "wireless internet"], "vpn": ["virtual private network"]}
CONTACT = {
    "id": "it_service_desk",
    "name": "IT Service Desk",
    "email": "servicedesk@example.org",
    "phone": "0100 000 4000",
    "use_for": "anything the bot cannot answer",
    "local": True,
}


@dataclass(frozen=True)
class Synthetic:
    """What was written: where, and how much."""

    folder: Path
    intents: int
    examples: int


def generate(examples: int, folder: Path, seed: int = SEED) -> Synthetic:
    """Write a knowledge base of about ``examples`` example phrases under ``folder``.

    ``folder/intents`` and ``folder/knowledge`` are created; the same arguments always
    write the same files.
    """
    rng = random.Random(seed)
    normaliser = Normaliser(SYNONYMS, {})
    seen: set[tuple[str, ...]] = set()  # examples' words, across all intents
    words = sorted(common_words())
    rng.shuffle(words)
    pool = [w for w in words if w.isalpha() and 4 <= len(w) <= 10][:8000]
    n_intents = max(12, round(examples / EXAMPLES_PER_INTENT))
    n_out = max(2, round(n_intents * OUT_OF_SCOPE_SHARE))
    plans = _plans(rng, n_intents - n_out)
    per_intent = _split(examples, n_intents)

    intents, answers = [], []
    for (intent_id, topic, aspect, marker), count in zip(plans, per_intent, strict=False):
        names, jargon = TOPICS[topic]
        own = rng.sample(pool, 4) + ([marker] if marker else [])
        make = _phrase_maker(rng, names, jargon, ASPECTS[aspect], own, pool, marker)
        phrases = _unique(count, make, seen, normaliser)
        title = f"{aspect.replace('_', ' ').capitalize()}: {names[0]}" + (
            f" ({marker})" if marker else ""
        )
        intents.append({"id": intent_id, "title": title, "answer": intent_id, "examples": phrases})
        answers.append(
            {
                "id": intent_id,
                "text": f"For {names[0]} ({aspect.replace('_', ' ')}): follow the steps on "
                f"the IT service page, or call the service desk on extension 4000.",
                "source": f"https://it.example.org/kb/{intent_id.replace('_', '-')}",
            }
        )
    out_names = list(OUT_OF_SCOPE)
    for index, count in enumerate(per_intent[len(plans) :]):
        name = out_names[index % len(out_names)]
        intent_id = name if index < len(out_names) else f"{name}_{index // len(out_names)}"
        nouns = OUT_OF_SCOPE[name]
        phrases = _unique(
            count,
            lambda nouns=nouns: (
                rng.choice(OPENERS)
                + rng.choice(OUT_OF_SCOPE_FRAMES).format(n=rng.choice(nouns))
                + _tail(rng, pool)
            ),
            seen,
            normaliser,
        )
        intents.append(
            {
                "id": intent_id,
                "title": f"Not ours: {nouns[0]}",
                "out_of_scope": True,
                "examples": phrases,
            }
        )

    (folder / "intents").mkdir(parents=True, exist_ok=True)
    (folder / "knowledge").mkdir(parents=True, exist_ok=True)
    _write(folder / "intents" / "synthetic.yaml", {"intents": intents})
    _write(
        folder / "knowledge" / "synthetic.yaml",
        {"answers": answers, "contacts": [CONTACT], "synonyms": {"words": SYNONYMS}},
    )
    return Synthetic(folder, len(intents), sum(len(i["examples"]) for i in intents))


def _plans(rng: random.Random, count: int) -> list[tuple[str, str, str, str]]:
    """(intent id, topic, aspect, marker) for ``count`` in-scope intents.

    Every topic-aspect pair first; past that, the same pairs again for another site or
    system (the marker word), as a large organisation's knowledge repeats itself.
    """
    pairs = [(t, a) for t in TOPICS for a in ASPECTS]
    rng.shuffle(pairs)
    plans = []
    for index in range(count):
        topic, aspect = pairs[index % len(pairs)]
        round_ = index // len(pairs)
        marker = f"site{round_}" if round_ else ""
        suffix = f"_{round_}" if round_ else ""
        plans.append((f"{topic}_{aspect}{suffix}", topic, aspect, marker))
    return plans


def _split(total: int, parts: int) -> list[int]:
    """``total`` shared over ``parts`` unevenly (as real intents are), each at least 8."""
    base, extra = divmod(total, parts)
    sizes = [base + (1 if i < extra else 0) for i in range(parts)]
    for i in range(0, parts - 1, 2):  # pairs trade a third: some intents are richer
        shift = sizes[i] // 3
        if sizes[i + 1] - shift >= 8:
            sizes[i] += shift
            sizes[i + 1] -= shift
    return [max(8, s) for s in sizes]


def _tail(rng: random.Random, pool: list[str]) -> str:
    """Sometimes a rare word or two: the long tail of what people mention."""
    text = ""
    for chance in (0.6, 0.25):
        if rng.random() < chance:
            # Log-uniform rank is Zipf's law: a few words are common, most are rare.
            index = int(len(pool) ** rng.random()) - 1
            text += " " + rng.choice(TAILS).format(d=pool[index])
    return text


def _phrase_maker(
    rng: random.Random,
    names: list[str],
    jargon: list[str],
    frames: list[str],
    own: list[str],
    pool: list[str],
    marker: str,
) -> Callable[[], str]:
    def one() -> str:
        text = rng.choice(OPENERS) + rng.choice(frames).format(n=rng.choice(names))
        if rng.random() < 0.5:
            text += f" {rng.choice(jargon)}"
        if rng.random() < 0.4 or marker:
            text += f" {rng.choice(own)}"
        return text + _tail(rng, pool) + rng.choice(CLOSERS)

    return one


def _unique(
    count: int, make: Callable[[], str], seen: set[tuple[str, ...]], key: Normaliser
) -> list[str]:
    """``count`` phrases from ``make`` that no intent has yet (the loader refuses those).

    Numbered once the frames run out: a rare word per phrase, as real knowledge has.
    """
    found: list[str] = []
    tries = 0
    while len(found) < count:
        text = make()
        tries += 1
        if tries > count * 20:
            text = f"{text} {len(seen)}"
        words = tuple(key.tokens(text))
        if words in seen:
            continue
        seen.add(words)
        found.append(text)
    return found


def _write(path: Path, data: dict) -> None:
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1000))
