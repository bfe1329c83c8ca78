"""Say what is wrong with a value in an admin's words, not pydantic's.

The YAML was read; its shape is wrong (a missing field, a bad id, text YAML read as
something else). Each message starts with the field's path, e.g. ``answers.0.text:``.
"""

from __future__ import annotations

from pydantic_core import ErrorDetails

from bot.content.schema import EMAIL_PATTERN, ID_PATTERN, URL_PATTERN

_PATTERNS = {
    ID_PATTERN: "should be an id: lower-case letters, digits and _, starting with a letter "
    "(e.g. nhsmail_apply)",
    URL_PATTERN: "should be a web address starting with https://",
    EMAIL_PATTERN: "should be an email address, e.g. helpdesk@nhs.net",
}

_WORDS = {
    "extra_forbidden": "unknown field",
    "string_too_short": "is empty",
    "list_type": "should be a list: [a, b], or one '- ' line per item",
    "too_short": "needs at least one item",
    "bool_type": "should be true or false",
    "bool_parsing": "should be true or false",
}


def describe(error: ErrorDetails) -> str:
    """One pydantic error as ``field.path: what is wrong``."""
    path = ".".join(str(part) for part in error["loc"])
    message = _words(error)
    return f"{path}: {message}" if path else message


def _words(error: ErrorDetails) -> str:
    kind, value = error["type"], error.get("input")
    if isinstance(value, bool) and kind == "string_type":
        # YAML 1.1 reads yes/no/on/off as booleans: a classic trap in choice labels.
        return (
            f"should be text, but YAML read it as {str(value).lower()} (put it in quotes, "
            'e.g. "No": YAML reads yes/no/on/off as true/false)'
        )
    if kind == "string_type" and isinstance(value, dict):
        return (
            "should be text, but YAML read a mapping (the value starts with { or has ': ' "
            "in it); put the text in quotes"
        )
    if kind == "string_type" and isinstance(value, list):
        return "should be text, but YAML read a list (the value starts with [); put it in quotes"
    if kind == "string_type" and value is None:
        return "is empty"
    if kind == "string_type":
        return "should be text; put it in quotes"
    if kind == "string_pattern_mismatch":
        pattern = (error.get("ctx") or {}).get("pattern")
        return _PATTERNS.get(pattern, error["msg"])
    return _WORDS.get(kind, error["msg"])
