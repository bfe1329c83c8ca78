"""The bot's own words: build ``Reply`` objects from answers, matches and fallbacks.

Facts come from the knowledge (answers, contacts); only the connecting phrases live
here, so that every reply has the same voice and the helpdesk is always one step away.
"""

from __future__ import annotations

import re

from bot.content.loader import Content
from bot.content.model import Contact
from bot.content.placeholders import CONTACTS
from bot.core.buttons import Rating
from bot.core.messages import Button, Reply, ReplyMeta

HANDOFF = "handoff"
NONE_OF_THESE = "none"
INTENT_PREFIX = "intent:"
TALK_TO_PERSON = "talk to a person"
WALKTHROUGH = "walk me through"
FLOW_PREFIX = "flow:"  # button values that drive guided flows (bot.core.flows.Action)


def flow_start(flow_id: str) -> str:
    """The button value that starts flow ``flow_id`` (here, as answers offer flows too)."""
    return f"{FLOW_PREFIX}start:{flow_id}"


_BLOCK_START = re.compile(r"^\s*(?:[-*+]\s|\d+[.)]\s|#|>|\|)")


def reflow(text: str) -> str:
    """Join the hard-wrapped lines of YAML text into paragraphs, keeping lists intact.

    In Markdown a single newline is a space, but chat apps show it as a line break, so
    "ask for **some of its\ncharacters**" must become one line before any channel sees it.
    """
    lines: list[str] = []
    for line in text.strip().splitlines():
        stripped = line.strip()
        joinable = (
            lines
            and lines[-1].strip()
            and stripped
            and not _BLOCK_START.match(line)
            and not lines[-1].endswith("  ")
        )
        if joinable:
            lines[-1] = f"{lines[-1].rstrip()} {stripped}"
        else:
            lines.append(line.rstrip() if stripped else "")
    return "\n".join(lines)


def verbatim(text: str, limit: int = 200) -> str:
    """Someone's own words inside a reply, as a code span: never links, never formatting."""
    flat = " ".join(text.replace("`", "'").split())
    return f"`{flat[:limit]}`" if flat else "(empty)"


def private_only() -> Reply:
    text = (
        "For your privacy I only talk about your tickets in a **direct message**. Send me "
        "a direct message (or use the slash command) and ask again."
    )
    return Reply(text, meta=ReplyMeta(intent="ticket_status", confidence=1.0))


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
    # Every placeholder filled in here must be in placeholders.IN_ANSWERS, which validates.
    text = reflow(found.text).replace(CONTACTS, format_contacts(content.contacts))
    if found.source:
        text += f"\n\nSource: {found.source}"
        if found.source_date is not None:  # the page's own "last reviewed" date
            text += f" (reviewed {found.source_date.day} {found.source_date:%B %Y})"
    buttons = [
        Button(content.intents[r].title, INTENT_PREFIX + r, "")
        for r in found.related
        if r in content.intents
    ]
    flow = content.flows.get(found.walkthrough) if found.walkthrough else None
    if flow is not None:
        value = flow_start(flow.id)
        buttons.append(Button(f"Walk me through it: {flow.title}", value, WALKTHROUGH))
    if found.offer_handoff:
        buttons.append(handoff_button())
    if not content.intents[intent_id].smalltalk:
        buttons.extend(rating_buttons(intent_id))
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


HELPFUL = "helpful"
NOT_HELPFUL = "not helpful"
# Channels that can set the rating apart show it under this question.
RATE_QUESTION = "Was this answer helpful?"


def rating_buttons(intent_id: str) -> tuple[Button, Button]:
    """Whether an answer helped: the admins' list of what to teach or fix next."""
    return (
        Button("Helpful", Rating(intent_id, helpful=True).value(), HELPFUL),
        Button("Not helpful", Rating(intent_id, helpful=False).value(), NOT_HELPFUL),
    )


def rated(content: Content, helpful: bool) -> Reply:
    """The thanks for a rating; after "not helpful", the helpdesk is the next step."""
    if helpful:
        return Reply("Thank you, I'm glad that helped.", meta=ReplyMeta(confidence=1.0))
    text = (
        "Sorry that didn't help. Thank you for telling me: the team reads these to improve "
        "my answers.\n\nYou could ask again in other words, or talk to a person:\n"
        + format_contacts(content.contacts)
    )
    return Reply(text, (handoff_button(),), ReplyMeta(confidence=1.0, handoff_offered=True))


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


def fallback(content: Content, *, confidence: float = 0.0, again: bool = False) -> Reply:
    text = (
        "Sorry, I'm not sure about that one, and I'd rather not guess. I can help with "
        "NHSmail and the Account Secret.\n\n"
        "For anything else, or to talk to a person:\n" + format_contacts(content.contacts)
    )
    if again:
        text = (
            "Sorry, I still can't find an answer to that. Would you like me to pass this "
            "to the helpdesk? Choose **Talk to a person** and I'll open a ticket for you."
            "\n\nOr contact them yourself:\n" + format_contacts(content.contacts)
        )
    return Reply(
        text=text,
        buttons=(handoff_button(),),
        meta=ReplyMeta(confidence=confidence, fallback=True, handoff_offered=True),
    )


def empty_prompt(content: Content, *, had_symbols: bool) -> Reply:
    example = ' For example: "how do I set up my Account Secret?" Or type **help**.'
    if not had_symbols:
        return Reply(text="I didn't get a message there. What would you like to know?" + example)
    # Only symbols ("?? ??", a row of emoji) often means someone stuck for words: the
    # helpdesk goes with the prompt, as with any message the bot cannot read.
    return Reply(
        text="I can only read words, not pictures or symbols. Could you type your question?"
        + example
        + "\n\nOr, to talk to a person:\n"
        + format_contacts(content.contacts),
        buttons=(handoff_button(),),
        meta=ReplyMeta(fallback=True, handoff_offered=True),
    )


PORTAL = "https://portal.nhs.net/"


def secret_warning(*, maybe: bool = False) -> Reply:
    opening = "**Please don't share your Account Secret**, not even with me."
    if maybe:
        opening = (
            "Type your secret **into the portal, not here**. In case that was your secret, "
            "I haven't kept it."
        )
    else:
        opening += " I haven't kept what you typed."
    text = (
        opening + "\n\n"
        "Nobody needs your whole secret: helpdesk agents only ever ask for *some* of its "
        "characters. If you have shared it anywhere, change it now in the Self-Service "
        f"section of your Profile in the NHS.net Connect Portal ({PORTAL})."
    )
    return Reply(text, meta=ReplyMeta(confidence=1.0, source=PORTAL, secret_warning=True))


def no_walkthrough() -> Reply:
    text = (
        "You're not in a step-by-step walk-through right now. Ask me a question, or say "
        '"help me set up my account secret". Type **help** to see what I can do.'
    )
    return Reply(text)


def trouble(content: Content) -> Reply:
    """When something broke on our side: say so plainly and keep the helpdesk in reach."""
    text = (
        "Sorry, something went wrong on my side and I couldn't finish that. Please try "
        "again in a minute.\n\nIf it's urgent, contact the helpdesk directly:\n"
        + format_contacts(content.contacts)
    )
    return Reply(text, meta=ReplyMeta(handoff_offered=True))


QUICK_ACTIONS = (
    ("Set up my Account Secret", "flow", "account_secret"),
    ("Get NHSmail for my organisation", "flow", "get_nhsmail"),
    ("Talk to the helpdesk", "handoff", HANDOFF),
    ("My tickets", "intent", "ticket_status"),
)


def quick_actions(content: Content) -> Reply:
    """What people can start with one click (the App Home, an empty slash command)."""
    buttons = []
    for label, kind, target in QUICK_ACTIONS:
        if kind == "flow" and target in content.flows:
            buttons.append(Button(label, flow_start(target), ""))
        elif kind == "intent" and target in content.intents:
            buttons.append(Button(label, INTENT_PREFIX + target, ""))
        elif kind == "handoff":
            buttons.append(Button(label, HANDOFF, TALK_TO_PERSON))
    numbered = tuple(
        Button(b.label, b.value, b.typed or str(i)) for i, b in enumerate(buttons, start=1)
    )
    text = (
        "Hello! I can answer questions about **NHSmail** and the **Account Secret**, walk "
        "you through setting things up, or pass you to the helpdesk. Ask me anything, or "
        "choose one of these:"
    )
    return Reply(text, numbered, ReplyMeta(confidence=1.0, handoff_offered=True))
