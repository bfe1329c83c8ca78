"""The bot's own words: build ``Reply`` objects from answers, matches and fallbacks.

Facts come from the knowledge (answers, contacts); only the connecting phrases live
here, so that every reply has the same voice and the helpdesk is always one step away.
"""

from __future__ import annotations

from bot.content.loader import Content
from bot.content.schema import Contact
from bot.core.messages import Button, Reply, ReplyMeta

HANDOFF = "handoff"
NONE_OF_THESE = "none"
INTENT_PREFIX = "intent:"
TALK_TO_PERSON = "talk to a person"


def handoff_button() -> Button:
    return Button(label="Talk to a person", value=HANDOFF, typed=TALK_TO_PERSON)


def format_contacts(contacts: list[Contact]) -> str:
    lines = []
    for contact in contacts:
        ways = ", ".join(w for w in (contact.email, contact.phone) if w)
        lines.append(f"- **{contact.name}**: {ways} ({contact.use_for})")
    return "\n".join(lines)


def _numbered(buttons: list[Button]) -> tuple[Button, ...]:
    """Give intent buttons their position as typed equivalent ('1', '2', ...)."""
    return tuple(
        Button(b.label, b.value, str(i)) if b.value.startswith(INTENT_PREFIX) else b
        for i, b in enumerate(buttons, start=1)
    )


def answer(content: Content, intent_id: str, confidence: float) -> Reply:
    found = content.answer_for(intent_id)
    if found is None:  # an out-of-scope intent chosen by id: it has nothing to say
        return fallback(content, confidence=confidence)
    text = found.text.replace("{contacts}", format_contacts(content.contacts)).strip()
    if found.source:
        text += f"\n\nSource: {found.source}"
    buttons = [
        Button(content.intents[r].title, INTENT_PREFIX + r, "")
        for r in found.related
        if r in content.intents
    ]
    if found.offer_handoff:
        buttons.append(handoff_button())
    return Reply(
        text=text,
        buttons=_numbered(buttons),
        meta=ReplyMeta(
            intent=intent_id,
            confidence=confidence,
            handoff_offered=found.offer_handoff,
            source=found.source,
        ),
    )


def did_you_mean(content: Content, candidates: list[tuple[str, float]]) -> Reply:
    options = [Button(content.intents[i].title, INTENT_PREFIX + i, "") for i, _ in candidates]
    options.append(Button("None of these", NONE_OF_THESE, "none"))
    text = "I'm not quite sure what you mean. Did you mean one of these?"
    if len(candidates) == 1:
        text = "I think you're asking about this. Is that right?"
    return Reply(
        text=text + " (Type the number, or **none**.)",
        buttons=_numbered(options),
        meta=ReplyMeta(
            confidence=candidates[0][1] if candidates else 0.0,
            suggestions=tuple(i for i, _ in candidates),
        ),
    )


def fallback(content: Content, *, confidence: float = 0.0) -> Reply:
    text = (
        "Sorry, I'm not sure about that one, and I'd rather not guess. I can help with "
        "NHSmail and the Account Secret.\n\n"
        "For anything else, or to talk to a person:\n" + format_contacts(content.contacts)
    )
    return Reply(
        text=text,
        buttons=(handoff_button(),),
        meta=ReplyMeta(confidence=confidence, fallback=True, handoff_offered=True),
    )


def empty_prompt(*, had_symbols: bool) -> Reply:
    if had_symbols:
        text = "I can only read words, not pictures or symbols. Could you type your question?"
    else:
        text = "I didn't get a message there. What would you like to know?"
    return Reply(text=text + ' For example: "how do I set up my Account Secret?" Or type **help**.')
