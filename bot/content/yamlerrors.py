"""Say what is wrong with a YAML file in an admin's words, at the line they must edit.

PyYAML reports where its parser gave up, in grammar terms ("expected <block end>, but
found '<scalar>'"). That is often far below the mistake: a quote left open on line 9 is
only noticed at the next quote, maybe on line 52. These rules map PyYAML's errors back to
the line to fix and say what to do there. Only broken files pay for the extra scanning.
"""

from __future__ import annotations

import re

import yaml

QUOTES = ('"', "'")
# A line inside a quoted value that looks like YAML structure ("key:" or "- item"): the
# sign that a quote left open swallowed the lines after it.
_SWALLOWED = re.compile(r"\n[ \t]*(?:-[ \t]|[\w-]+:(?:[ \t]|$))")
_KEY_ONLY = re.compile(r"^\s*[\w-]+\s*$")
_FLOW_END = (yaml.FlowSequenceEndToken, yaml.FlowMappingEndToken)


class DuplicateKey(yaml.MarkedYAMLError):
    """The same key twice in one mapping; PyYAML alone would keep the second silently."""

    def __init__(self, key: object, first_line: int, mark: yaml.Mark) -> None:
        super().__init__(problem=f"duplicate key {key!r}", problem_mark=mark)
        self.key = key
        self.first_line = first_line


def explain(exc: yaml.YAMLError, text: str) -> tuple[int, str]:
    """The 1-based line to fix and a plain-words message for a PyYAML error."""
    if isinstance(exc, DuplicateKey):
        return (
            exc.problem_mark.line + 1,
            f"'{exc.key}' appears twice in the same block (first on line {exc.first_line}); "
            "YAML would silently use only this one, so remove or rename one of them",
        )
    if isinstance(exc, yaml.reader.ReaderError):
        line = text.count("\n", 0, max(exc.position, 0)) + 1
        return line, f"character #x{exc.character:04x} is not allowed in YAML; delete it"
    if not isinstance(exc, yaml.MarkedYAMLError):
        return 1, f"not valid YAML ({exc})"
    return _explain_marked(exc, text)


def _explain_marked(exc: yaml.MarkedYAMLError, text: str) -> tuple[int, str]:
    context = exc.context or ""
    problem = exc.problem or ""
    at = exc.problem_mark or exc.context_mark
    line = at.line + 1 if at else 1
    context_line = exc.context_mark.line + 1 if exc.context_mark else line

    if "quoted scalar" in context and ("end of stream" in problem or "document" in problem):
        quote = _char(text, exc.context_mark)
        return context_line, f"a quote ({quote}) opened here is never closed"

    before = _token_before(text, at.index) if at else None
    if before is not None and _is_runaway_quote(before, text):
        quote = _char(text, before.start_mark)
        return (
            before.start_mark.line + 1,
            f"a quote ({quote}) opened here is never closed; YAML takes everything up to "
            f"the next {quote} (line {before.end_mark.line + 1}) as one value",
        )

    if "end of stream" in problem or "<stream end>" in problem:
        bracket = _unclosed_bracket(text)
        if bracket is not None:
            return bracket
        return line, "the file ends in the middle of a value"
    if "unknown escape character" in problem:
        char = problem.rsplit(" ", 1)[-1].strip("'")
        return line, (
            f'"\\{char}" is not allowed inside double quotes; use single quotes, '
            "or write the backslash twice"
        )
    if "\\t" in problem or "'\t'" in problem:
        return line, "a tab character: YAML indents with spaces only"
    if "cannot start any token" in problem:
        return line, f"a value cannot start with {_char(text, at)}; put the value in quotes"
    if "alias" in context or "anchor" in context or "undefined alias" in problem:
        start = exc.context_mark or at
        char = _char(text, start)
        return start.line + 1, (
            f"a value cannot start with {char} (YAML reads {char} as an alias or anchor); "
            "put the value in quotes"
        )
    if "flow sequence" in context or "flow mapping" in context:
        bracket = "[" if "sequence" in context else "{"
        return context_line, (
            f"a {bracket} opened here is not closed before the next key; close it, "
            "or put the value in quotes if the bracket is part of the text"
        )
    if "block scalar" in context:
        return line, "text after | or > must start on the next line"
    if "single document" in context:
        return line, "a second document (---): keep one document per file"
    if "simple key" in context:
        return context_line, (
            "this line has no ':' after its key; if it continues the text above, indent it "
            "as far as that text"
        )
    if "mapping values are not allowed" in problem:
        if at is not None and _KEY_ONLY.match(_line_text(text, at)[: at.column]):
            return line, (
                "this key is indented further than the line above, so YAML reads it as "
                "part of that value; line it up with its neighbours"
            )
        return line, "a ': ' inside this value makes YAML read a key; put the value in quotes"
    if "<block end>" in problem or "expected key" in problem or "'-' indicator" in problem:
        same_line = before is not None and at is not None and before.end_mark.line == at.line
        if same_line and getattr(before, "style", None) in QUOTES:
            return line, (
                "text after a closing quote; quote the whole value (inside '...', "
                "write an apostrophe as '')"
            )
        if same_line and isinstance(before, _FLOW_END):
            return line, (
                "text after a closing bracket: a value starting with [ or { is read as a "
                "list or mapping; put the whole value in quotes"
            )
        if "'-'" in problem:
            return line, "a list item ('- ') does not fit the indentation of the lines above it"
        return line, "this line's indentation does not match the lines above it"
    words = " ".join(p for p in (context, problem) if p)
    return line, f"not valid YAML here ({words})" if words else "not valid YAML here"


def _token_before(text: str, index: int) -> yaml.Token | None:
    """The last token that starts before ``index`` (where PyYAML gave up)."""
    previous = None
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            if token.start_mark.index >= index:
                break
            previous = token
    except yaml.YAMLError:
        pass  # the scanner fails at or after the point we care about
    return previous


def _is_runaway_quote(token: yaml.Token, text: str) -> bool:
    """A quoted value that runs over lines that look like YAML: its quote was left open."""
    if not isinstance(token, yaml.ScalarToken) or token.style not in QUOTES:
        return False
    if token.end_mark.line == token.start_mark.line:
        return False
    return bool(_SWALLOWED.search(text, token.start_mark.index, token.end_mark.index))


def _unclosed_bracket(text: str) -> tuple[int, str] | None:
    """The innermost [ or { still open where the file (or the scanner) stopped."""
    opened: list[yaml.Token] = []
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            if isinstance(token, yaml.FlowSequenceStartToken | yaml.FlowMappingStartToken):
                opened.append(token)
            elif opened and isinstance(token, _FLOW_END):
                opened.pop()
    except yaml.YAMLError:
        pass
    if not opened:
        return None
    start = opened[-1].start_mark
    return start.line + 1, f"a {_char(text, start)} opened here is never closed"


def _char(text: str, mark: yaml.Mark | None) -> str:
    if mark is None or not 0 <= mark.index < len(text):
        return "this character"
    return text[mark.index]


def _line_text(text: str, mark: yaml.Mark) -> str:
    start = text.rfind("\n", 0, mark.index) + 1
    end = text.find("\n", mark.index)
    return text[start : end if end >= 0 else len(text)]
