"""The Slack channel's renderer: core replies as Block Kit, user text as inert plain text."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable

from bot.core.buttons import RATE
from bot.core.messages import Button, Reply
from bot.core.replies import RATE_QUESTION

BUTTON_ACTION = "helpbot.button"
LINK_ACTION = "helpbot.link"

SECTION_LIMIT = 3000  # characters of text in one section block
MAX_BLOCKS = 50  # blocks in one message
ACTIONS_LIMIT = 25  # elements in one actions block
LABEL_LIMIT = 75
VALUE_LIMIT = 2000
SOURCE_LABEL = "Open the source page"
SHORTENED = "(message shortened)"

# Not after a letter or digit: that is an e-mail address (x@here.org), which never pings.
# Each pattern below starts with its marker and looks behind it only then: one that
# starts by looking behind is tried at every position of the text, and took several
# times as long on every answer.
_MENTION = re.compile(r"@(?<![^\W_]@)(channel|here|everyone)", re.IGNORECASE)
# Private-use characters mark protected spans while the rest is rewritten; they are removed
# from the input first so nobody can forge one.
_OPEN, _CLOSE, _BOLD, _ITALIC = "\ue000", "\ue001", "\ue002", "\ue003"
_PRIVATE = re.compile("[\ue000-\ue003]")
_TOKEN = re.compile(f"{_OPEN}(\\d+){_CLOSE}")
_FENCE = re.compile(r"```[\s\S]*?(?:```|\Z)")
_CODE = re.compile(r"`[^`\n]+`")
_SCHEME = r"(?:https?://|mailto:)"
_LINK = re.compile(
    rf"\[([^\]\n]+)\]\(({_SCHEME}(?:[^\s()]|\([^\s()]*\))+)\)"  # one level of (...) in a url
)
_BARE_URL = re.compile(rf"{_SCHEME}[^\s<>]+")
_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$", re.MULTILINE)
_BULLET = re.compile(r"^([ \t]*)[-*+][ \t]+", re.MULTILINE)
_BOLD_ITALIC = re.compile(r"\*\*\*(?=[^\s*])([^*\n]+?)(?<=[^\s*])\*\*\*")
_BOLD_MD = re.compile(r"\*\*(?=\S)([^\n]+?)(?<=\S)\*\*|__(?<!\w__)(?=\S)([^\n]+?)(?<=\S)__(?!\w)")
# Italics only at word boundaries, so snake_case names and 2 * 3 stay as written.
_ITALIC_MD = re.compile(
    r"\*(?<![\w*]\*)(?=[^\s*])([^*\n]+?)(?<=[^\s*])\*(?![\w*])"
    r"|_(?<!\w_)(?=[^\s_])([^_\n]+?)(?<=[^\s_])_(?!\w)"
)
_MARKERS = re.compile(r"\*\*|__")
_HTTP = re.compile(r"https?://\S+$")
_CUT_ENTITY = re.compile(r"&[a-z]*$")  # an entity cut in half would show as junk


def escape(text: str) -> str:
    """Text safe inside mrkdwn: no markup, links or mentions of its own."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MENTION.sub("@\u200b\\1", text) if "@" in text else text


def _escape_url(url: str) -> str:
    # Only the characters that would end the link; an inserted U+200B would break the url.
    return url.replace("&", "&amp;").replace("|", "%7C").replace("<", "%3C").replace(">", "%3E")


def to_mrkdwn(markdown: str) -> str:
    """The core's light Markdown as Slack mrkdwn, escaped."""
    kept: list[str] = []

    def keep(value: str) -> str:
        kept.append(value)
        return f"{_OPEN}{len(kept) - 1}{_CLOSE}"

    # Each pattern is tried only if the text holds the characters it cannot match
    # without: most replies have no code, mentions or italics, and the passes over them
    # were most of the work of rendering.
    text = _PRIVATE.sub("", markdown)
    if "`" in text:
        text = _FENCE.sub(lambda m: keep(escape(m.group())), text)
        text = _CODE.sub(lambda m: keep(escape(m.group())), text)
    # The label stays in the text to be escaped and formatted; only the url is set aside.
    if "](" in text:
        text = _LINK.sub(lambda m: f"{keep('<' + _escape_url(m[2]) + '|')}{m[1]}{keep('>')}", text)
    if "://" in text or "mailto:" in text:
        text = _BARE_URL.sub(lambda m: keep(_escape_url(m.group())), text)
    text = escape(text)
    if "#" in text:
        text = _HEADING.sub(lambda m: f"{_BOLD}{_MARKERS.sub('', m[1])}{_BOLD}", text)
    if "-" in text or "*" in text or "+" in text:
        text = _BULLET.sub("\\1• ", text)
    if "*" in text or "_" in text:
        text = _BOLD_ITALIC.sub(f"{_BOLD}{_ITALIC}\\1{_ITALIC}{_BOLD}", text)
        text = _BOLD_MD.sub(lambda m: f"{_BOLD}{m[1] or m[2]}{_BOLD}", text)
        text = _ITALIC_MD.sub(lambda m: f"{_ITALIC}{m[1] or m[2]}{_ITALIC}", text)
        text = text.replace(_BOLD, "*").replace(_ITALIC, "_")
    else:
        text = text.replace(_BOLD, "*")  # headings
    return _TOKEN.sub(lambda m: kept[int(m[1])], text) if kept else text


def _cut(line: str, limit: int) -> int:
    # Prefer a space, and never cut through a <url|label> link or an &entity;.
    cut = line.rfind(" ", 0, limit + 1)
    if cut < limit // 2:
        cut = limit
    start = line.rfind("<", 0, cut)
    if start > 0 and line.find(">", start, cut) == -1:
        cut = start
    amp = line.rfind("&", 0, cut)
    if amp > 0 and cut - amp < 6 and ";" not in line[amp:cut]:
        cut = amp
    return cut


def _hard(line: str, limit: int) -> list[str]:
    pieces = []
    while len(line) > limit:
        cut = _cut(line, limit)
        pieces.append(line[:cut])
        line = line[cut + 1 :] if line[cut] == " " else line[cut:]
    return [*pieces, line]


def _pack(
    parts: list[str], sep: str, limit: int, split: Callable[[str, int], list[str]]
) -> list[str]:
    chunks: list[str] = []
    current = ""
    for part in parts:
        if len(part) > limit:
            chunks.extend([current, *split(part, limit)])
            current = ""
        elif not current or len(current) + len(sep) + len(part) <= limit:
            current = f"{current}{sep}{part}" if current else part
        else:
            chunks.append(current)
            current = part
    return [c for c in [*chunks, current] if c.strip()]


def _chunks(text: str, limit: int) -> list[str]:
    """Paragraphs packed into chunks of at most ``limit``: then lines, then hard cuts."""

    def lines(paragraph: str, size: int) -> list[str]:
        return _pack(paragraph.split("\n"), "\n", size, _hard)

    return _pack(text.split("\n\n"), "\n\n", limit, lines)


def _sections(mrkdwn: str) -> list[dict]:
    fence = "```"
    chunks = _chunks(mrkdwn, SECTION_LIMIT - 2 * (len(fence) + 1))
    # A code block cut in two is closed at the end of one section and reopened in the next.
    open_fence = False
    sections = []
    for chunk in chunks:
        if open_fence:
            chunk = f"{fence}\n{chunk}"
        open_fence = chunk.count(fence) % 2 == 1
        if open_fence:
            chunk = f"{chunk}\n{fence}"
        sections.append({"type": "section", "text": {"type": "mrkdwn", "text": chunk}})
    return sections


def _typed_words(reply: Reply) -> list[str]:
    # As in the terminal: only words that are neither the position number nor the label.
    words: list[str] = []
    for position, button in enumerate(reply.buttons, start=1):
        typed = button.typed.strip()
        if not typed or typed == str(position) or typed.lower() == button.label.lower():
            continue
        if typed.lower() not in (w.lower() for w in words):
            words.append(typed)
    return words


def blocks_for(reply: Reply, start: int = 0) -> list[dict]:
    """One reply as Block Kit; action ids are numbered from ``start``."""
    blocks = _sections(to_mrkdwn(reply.text)) if reply.text.strip() else []
    elements: list[dict] = []
    ratings: list[dict] = []  # the Helpful / Not helpful pair: a row of its own, asked
    n = start
    for position, button in enumerate(reply.buttons, start=1):
        rating = button.value.startswith(RATE)
        (ratings if rating else elements).append(_button(button, position, n))
        n += 1
    source = reply.meta.source
    if source and _HTTP.match(source):
        elements.append(
            {
                "type": "button",
                "action_id": f"{LINK_ACTION}.{n}",
                "text": {"type": "plain_text", "text": SOURCE_LABEL},
                "url": source,
            }
        )
    for i in range(0, len(elements), ACTIONS_LIMIT):
        blocks.append({"type": "actions", "elements": elements[i : i + ACTIONS_LIMIT]})
    if ratings:
        blocks += [_context(RATE_QUESTION), {"type": "actions", "elements": ratings}]
    words = _typed_words(reply)
    if words:
        hint = " · ".join(f"`{escape(w.replace('`', ''))}`" for w in words)
        blocks.append(_context(f"Or type: {hint}"))
    return blocks


def _button(button: Button, position: int, n: int) -> dict:
    label = button.label.strip() or button.typed.strip() or str(position)
    return {
        "type": "button",
        "action_id": f"{BUTTON_ACTION}.{n}",
        "text": {"type": "plain_text", "text": label[:LABEL_LIMIT], "emoji": True},
        "value": button.value[:VALUE_LIMIT],
    }


def _context(mrkdwn: str) -> dict:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": mrkdwn}]}


def _action_count(blocks: list[dict]) -> int:
    return sum(len(b["elements"]) for b in blocks if b["type"] == "actions")


def _fallback(text: str) -> str:
    plain = escape(_MARKERS.sub("", text))[:SECTION_LIMIT]
    return _CUT_ENTITY.sub("", plain)


def message(replies: list[Reply]) -> dict:
    """Several replies as one Slack message: ``{"text": fallback, "blocks": [...]}``."""
    blocks: list[dict] = []
    count = 0
    for i, reply in enumerate(replies):
        if i:
            blocks.append({"type": "divider"})
        reply_blocks = blocks_for(reply, start=count)
        count += _action_count(reply_blocks)
        blocks.extend(reply_blocks)
    if len(blocks) > MAX_BLOCKS:
        shortened = {"type": "section", "text": {"type": "mrkdwn", "text": SHORTENED}}
        blocks = [*blocks[: MAX_BLOCKS - 1], shortened]
    # The notification shows the first words, so skip a reply that has none.
    first = next((r.text for r in replies if r.text.strip()), "")
    return {"text": _fallback(first), "blocks": blocks}


def _is_hint(block: dict) -> bool:
    """The lines about the choices ("Or type: ...", the rating's question)."""
    elements = block.get("elements") or [{}]
    text = str(elements[0].get("text", ""))
    return block.get("type") == "context" and (text.startswith("Or type:") or text == RATE_QUESTION)


def chosen(blocks: list[dict], label: str) -> list[dict]:
    """The message after a click: the choices are spent, the choice made is shown."""
    kept = [copy.deepcopy(b) for b in blocks if b.get("type") != "actions" and not _is_hint(b)]
    return [*kept, _context(f"You chose: *{escape(label)}*")]


def user_text(text: str, *, heading: str | None = None) -> list[dict]:
    """What a person typed, as plain text that cannot format, link or mention anything."""
    blocks = [_context(escape(heading))] if heading else []
    chunks = _chunks(text, SECTION_LIMIT) or ["(empty)"]
    blocks.extend(
        {"type": "section", "text": {"type": "plain_text", "text": chunk, "emoji": False}}
        for chunk in chunks
    )
    return blocks
