"""``helpbot teach "phrase" INTENT``: add a phrase people use to an intent's examples.

The phrase goes in as one new line under the intent's last example, in the file where
the intent lives; every other byte of the file stays as it was (comments, order, quoting,
even a missing final newline), so the change reads as one line in review. It is refused
when it would collide with another intent (the same words, or an example too alike to
tell apart, as ``helpbot validate`` judges it), and when the file would no longer load.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.content.lint import SIMILAR
from bot.content.loader import Content, ContentInvalid, load_content
from bot.errors import HelpbotError

_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ,.'?!()/&+-]*")


class TeachRefused(HelpbotError):
    """The phrase was not added; the message says why and what to do instead."""


@dataclass(frozen=True)
class Taught:
    path: Path
    line: int  # of the new example, from 1
    written: str  # the line as written


def scalar(phrase: str) -> str:
    """``phrase`` as a YAML list item's value: plain when that reads back the same."""
    if _PLAIN.fullmatch(phrase) and yaml.safe_load(f"- {phrase}") == [phrase]:
        return phrase
    return json.dumps(phrase, ensure_ascii=False)  # a double-quoted YAML scalar


def collisions(content: Content, phrase: str, intent: str) -> list[str]:
    """Examples of other intents that ``phrase`` could not be told apart from."""
    from rapidfuzz import fuzz

    normaliser = content.normaliser()
    words = set(normaliser.tokens(phrase))
    mine = " ".join(sorted(words))
    found = []
    for other in content.intents.values():
        if other.id == intent:
            continue
        for example in other.examples:
            theirs = set(normaliser.tokens(example))
            score = fuzz.token_sort_ratio(mine, " ".join(sorted(theirs)))
            if theirs == words or score >= SIMILAR:
                found.append(f"'{example}' of intent '{other.id}' (similarity {int(score)})")
    return found


def teach(content: Content, folders: tuple[Path, Path], phrase: str, intent: str) -> Taught:
    """Add ``phrase`` to ``intent`` in its YAML file; raise ``TeachRefused`` if it should not."""
    phrase = " ".join(phrase.split())
    if not phrase:
        raise TeachRefused("the phrase is empty")
    if intent not in content.intents:
        raise TeachRefused(f"no intent '{intent}': `helpbot validate` lists the files")
    if phrase in content.intents[intent].examples:
        raise TeachRefused(f"'{phrase}' is already an example of '{intent}'")
    clash = collisions(content, phrase, intent)
    if clash:
        raise TeachRefused(
            f"'{phrase}' would collide with "
            + "; ".join(clash[:3])
            + ": the matcher could not tell them apart. Reword it, or change the other"
        )
    last = len(content.intents[intent].examples) - 1
    where = content.places[("example", f"{intent}#{last}")]
    original = where.path.read_bytes().decode("utf-8")
    lines = original.splitlines(keepends=True)
    anchor = lines[where.line - 1]
    item = re.match(r"(\s*)- ", anchor)
    if item is None:  # "examples: [a, b]" written inline: no line of its own to add
        raise TeachRefused(
            f"{where.path}:{where.line}: the examples of '{intent}' are written on one line "
            "([...]); add the phrase there by hand"
        )
    written = f"{item.group(1)}- {scalar(phrase)}"
    ending = "\n" if anchor.endswith("\n") else ""
    added = (anchor if ending else anchor + "\n") + written + ending
    changed = "".join(lines[: where.line - 1]) + added + "".join(lines[where.line :])
    where.path.write_bytes(changed.encode("utf-8"))
    try:
        again = load_content(*folders)
    except ContentInvalid as exc:
        where.path.write_bytes(original.encode("utf-8"))
        raise TeachRefused(f"the file would not load, so nothing changed: {exc}") from None
    if phrase not in again.intents[intent].examples:
        where.path.write_bytes(original.encode("utf-8"))
        raise TeachRefused("the phrase did not read back as an example, so nothing changed")
    return Taught(where.path, where.line + 1, written.strip())
