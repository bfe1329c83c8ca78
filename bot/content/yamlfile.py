"""Read YAML while remembering where every value came from.

Admins edit the knowledge by hand, so every problem we report must name a file and a
line. PyYAML forgets positions once it builds Python objects; these containers keep them.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from bot.content.yamlerrors import DuplicateKey, explain
from bot.errors import HelpbotError


class LineDict(dict):
    """A mapping that knows its own line and the line of each key (1-based).

    ``value_source`` keeps, for each plain-text value, its first line and its text as
    written in the file, so a problem inside a long text can be pinned to its own line.
    """

    line: int
    key_lines: dict[Any, int]
    value_source: dict[Any, tuple[int, str]]


class LineList(list):
    """A sequence that knows its own line and the line of each item (1-based)."""

    line: int
    item_lines: list[int]


_MERGE_TAG = "tag:yaml.org,2002:merge"


class _LineLoader(yaml.SafeLoader):
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> LineDict:  # type: ignore[override]
        # Keys are checked before super() flattens merges ("<<"), which may repeat keys.
        key_lines: dict[Any, int] = {}
        value_source: dict[Any, tuple[int, str]] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                continue
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                first = key_lines.get(key)
            except TypeError:
                continue  # an unhashable key: super() reports it
            if first is not None:
                raise DuplicateKey(key, first, key_node.start_mark)
            key_lines[key] = line
            start, end = value_node.start_mark, value_node.end_mark
            if isinstance(value_node, yaml.ScalarNode) and start.buffer is not None:
                value_source[key] = (start.line + 1, start.buffer[start.index : end.index])
        mapping = LineDict(super().construct_mapping(node, deep=True))
        mapping.line = node.start_mark.line + 1
        mapping.key_lines = key_lines
        mapping.value_source = value_source
        return mapping

    def construct_sequence(self, node: yaml.SequenceNode, deep: bool = False) -> LineList:  # type: ignore[override]
        items = LineList(super().construct_sequence(node, deep=True))
        items.line = node.start_mark.line + 1
        items.item_lines = [child.start_mark.line + 1 for child in node.value]
        return items


_LineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _LineLoader.construct_mapping
)
_LineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _LineLoader.construct_sequence
)


class YamlSyntaxError(HelpbotError):
    """A file that is not valid YAML; ``line`` is the line to fix, ``problem`` says how."""

    def __init__(self, path: Path, line: int, problem: str) -> None:
        super().__init__(f"{path}:{line}: {problem}")
        self.path = path
        self.line = line
        self.problem = problem


def read_yaml(path: Path) -> Any:
    """Parse one file into LineDict/LineList values, or raise ``YamlSyntaxError``."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise YamlSyntaxError(path, line, "not UTF-8 text; save the file as UTF-8") from None
    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        line, problem = explain(exc, text)
        raise YamlSyntaxError(path, line, problem) from None


def line_of(data: Any, loc: Iterable[Any]) -> int:
    """The line of the value at ``loc`` (a pydantic error location) inside ``data``.

    Walks as deep as the path exists and returns the deepest known line, so a missing
    field is reported at the mapping that lacks it.
    """
    line = getattr(data, "line", 1)
    node = data
    for part in loc:
        if isinstance(node, LineDict) and part in node:
            line = node.key_lines.get(part, line)
            node = node[part]
        elif isinstance(node, LineList) and isinstance(part, int) and 0 <= part < len(node):
            line = node.item_lines[part]
            node = node[part]
        else:
            break
        line = getattr(node, "line", line)
    return line


def line_within(data: Any, loc: Iterable[Any], needle: str) -> int:
    """The line where ``needle`` appears in the text value at ``loc``.

    Multi-line answers and steps are long; an admin fixing a typo needs its own line,
    not the line of ``text: |``. Falls back to ``line_of`` if the text is not found as
    written (an escape sequence, say).
    """
    *parents, key = loc
    line = line_of(data, loc)
    node = data
    for part in parents:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return line
    source = getattr(node, "value_source", {}).get(key)
    if source is None:
        return line
    first, written = source
    at = written.find(needle)
    return first + written.count("\n", 0, at) if at >= 0 else line
