"""What changed between two versions of the content, line by line, for the audit log.

A reload or a teach changes what the bot says; the audit says who did it and, with
this, what it was: examples added and removed, intents, answers, flows and contacts.
"""

from __future__ import annotations

from dataclasses import replace

from bot.content.loader import Content

SHOWN = 50  # lines kept: a large rework is summed up, not copied


def content_diff(old: Content, new: Content) -> list[str]:
    """``+`` added, ``-`` removed, ``~`` changed; empty when nothing changed."""
    lines: list[str] = []
    for intent in sorted(new.intents.keys() - old.intents.keys()):
        lines.append(f"+ intent {intent}")
    for intent in sorted(old.intents.keys() - new.intents.keys()):
        lines.append(f"- intent {intent}")
    for intent in sorted(old.intents.keys() & new.intents.keys()):
        before, after = old.intents[intent], new.intents[intent]
        was, now = set(before.examples), set(after.examples)
        lines += [f"+ example '{e}' ({intent})" for e in after.examples if e not in was]
        lines += [f"- example '{e}' ({intent})" for e in before.examples if e not in now]
        if replace(before, examples=[]) != replace(after, examples=[]):
            lines.append(f"~ intent {intent}")
    for kind, was_map, now_map in (
        ("answer", old.answers, new.answers),
        ("flow", old.flows, new.flows),
    ):
        lines += [f"+ {kind} {k}" for k in sorted(now_map.keys() - was_map.keys())]
        lines += [f"- {kind} {k}" for k in sorted(was_map.keys() - now_map.keys())]
        lines += [
            f"~ {kind} {k}"
            for k in sorted(was_map.keys() & now_map.keys())
            if was_map[k] != now_map[k]
        ]
    if old.contacts != new.contacts:
        lines.append("~ contacts")
    if old.synonyms != new.synonyms:
        lines.append("~ synonyms")
    if len(lines) > SHOWN:
        lines = lines[:SHOWN] + [f"... and {len(lines) - SHOWN} more"]
    return lines
