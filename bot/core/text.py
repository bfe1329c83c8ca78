"""Make what people paste safe to match, store and show: the first thing done to any text.

People paste from Word, Outlook, clinical systems and phones. What arrives may hold
non-breaking or narrow spaces inside an NHS number, zero-width characters, bidi
overrides that reverse how text looks, terminal escape sequences, NUL bytes or lone
surrogates from a broken decoder. Each of these either hides personal data from the
redaction rules, makes the database refuse the row, or does something to an agent's
terminal when the text is shown. ``clean`` removes them all, once, at the boundary.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

__all__ = ["clean", "safe_id", "terminal_safe"]

# Terminal escape sequences are removed whole: dropping only ESC would leave "[2J" or
# "]52;c;..." behind as visible junk. CSI (ESC [), OSC/DCS/APC/PM/SOS strings up to
# their terminator (BEL or ESC \\), and two-byte escapes. The 8-bit forms (0x9b...) are
# only dropped one character at a time: they also appear in text decoded with the wrong
# code page ("Ku\x9era"), and swallowing what follows them would lose the message.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]{0,64}[ -/]{0,16}[@-~]?"
    r"|\x1b[\]PX^_][^\x07\x1b]{0,4096}(?:\x07|\x1b\\)?"
    r"|\x1b[ -~]?"
)
_SURROGATES = re.compile(r"[\ud800-\udfff]")
# Word's en dash, a non-breaking hyphen or a minus sign between digits ("943 – 476") is
# the same separator as "-" to the rules that find numbers; elsewhere dashes are prose.
_DIGIT_DASH = re.compile(r"(?:(?<=[0-9])|(?<=[0-9] ))[\u2010-\u2015\u2212](?=[0-9]| [0-9])")

# Characters kept as they are: newline (messages have lines) and nothing else below 0x20.
_KEEP = frozenset("\n")


def _char(ch: str) -> str:
    if ch in _KEEP:
        return ch
    category = unicodedata.category(ch)
    if ch in "\r\x0b\x0c\x85\u2028\u2029":
        return "\n"  # a bare carriage return would let text overwrite its own line
    if category == "Zs" or ch == "\t":
        return " "  # every kind of space is a plain space
    if category in ("Cc", "Cf", "Co", "Cn", "Cs"):
        return ""  # controls, zero-width and bidi formatting, private use, unassigned
    return ch


def clean(text: str) -> str:
    """``text`` as plain, storable, showable Unicode (NFKC; see the module docstring).

    Never raises: any ``str`` goes in, including lone surrogates and NUL.
    """
    if not text:
        return ""
    if text.isascii() and text.isprintable():
        return text  # the common case: nothing to do
    text = _SURROGATES.sub("\ufffd", text)
    text = _ESCAPES.sub("", text).replace("\r\n", "\n")
    # NFKC folds full-width digits, ligatures and compatibility spaces onto their plain
    # forms, so "９４３" and "943" are the same number to every rule after this one.
    text = unicodedata.normalize("NFKC", text)
    return _DIGIT_DASH.sub("-", "".join(map(_char, text)))


# Database columns for ids are 128 characters; anything longer, or not printable ASCII,
# becomes a digest so that the same id always maps to the same row and two long ids
# sharing a prefix never share a conversation (which truncation would do).
MAX_ID_CHARS = 128


def safe_id(value: object) -> str:
    """An id that fits the id columns and shows safely; stable for the same input."""
    text = value if isinstance(value, str) else str(value)
    if text and len(text) <= MAX_ID_CHARS and text.isascii() and text.isprintable():
        return text
    raw = _SURROGATES.sub("\ufffd", text).encode("utf-8")
    return "id-" + hashlib.sha256(raw).hexdigest()


def terminal_safe(text: str) -> str:
    """``text`` with nothing a terminal would act on: for printing stored text to agents.

    Stored text is cleaned on the way in; this is the second line of defence for rows
    written before that, or by other tools.
    """
    return clean(text)
