"""Load and check the YAML knowledge: every problem as ``file:line: message``.

Loading either returns a complete, consistent ``Content`` or raises ``ContentInvalid``
listing every problem found, so the running bot can keep its last good version.
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterator
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.content import flowgraph, placeholders
from bot.content.model import Answer, Choice, Contact, Flow, Intent, Link, Step, Synonyms
from bot.core.normalise import Normaliser
from bot.errors import HelpbotError

if TYPE_CHECKING:
    from bot.content import schema
    from bot.content.yamlfile import LineDict

MIN_EXAMPLES = 8


@dataclass(frozen=True)
class Problem:
    path: Path
    line: int
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        prefix = "" if self.severity == "error" else f"{self.severity}: "
        return f"{self.path}:{self.line}: {prefix}{self.message}"


class ContentInvalid(HelpbotError):
    """The YAML has errors; ``problems`` lists each one with its file and line."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        errors = [p for p in problems if p.severity == "error"]
        super().__init__(
            f"{len(errors)} error(s) in the knowledge:\n" + "\n".join(map(str, errors))
        )


@dataclass(frozen=True)
class Where:
    path: Path
    line: int


@dataclass
class Content:
    """All intents, answers, contacts and synonyms, cross-checked."""

    intents: dict[str, Intent] = field(default_factory=dict)
    answers: dict[str, Answer] = field(default_factory=dict)
    contacts: list[Contact] = field(default_factory=list)
    synonyms: Synonyms = field(default_factory=Synonyms)
    flows: dict[str, Flow] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)
    # Where each intent, answer, flow and example ("intent#n") was read: for tools
    # that point an admin at a line (``bot.content.lint``).
    places: dict[tuple[str, str], Where] = field(default_factory=dict)

    def answer_for(self, intent_id: str) -> Answer | None:
        answer_id = self.intents[intent_id].answer
        return self.answers.get(answer_id) if answer_id else None

    def normaliser(self) -> Normaliser:
        return Normaliser(self.synonyms.words, self.synonyms.spellings)


FLOWS_FOLDER = "flows"  # guided flows live in knowledge/flows/, one file each by convention


def yaml_files(*folders: Path) -> Iterator[Path]:
    for folder in folders:
        yield from sorted(folder.glob("*.yaml"))
        yield from sorted(folder.glob("*.yml"))


def content_files(intents_dir: Path, knowledge_dir: Path) -> list[Path]:
    """Every file ``load_content`` reads, in the order it reads them."""
    return list(yaml_files(intents_dir, knowledge_dir, knowledge_dir / FLOWS_FOLDER))


def load_content(intents_dir: Path, knowledge_dir: Path) -> Content:
    """Read both folders; raise ``ContentInvalid`` if anything is wrong.

    The YAML parser and the schema's checks (pydantic) are imported here, not with this
    module: a process that starts from a snapshot of built knowledge never needs them.
    """
    from bot.content.yamlfile import line_of, line_within

    problems: list[Problem] = []
    for folder in (intents_dir, knowledge_dir):
        if not folder.is_dir():
            problems.append(Problem(folder, 1, "folder not found"))
    if problems:
        raise ContentInvalid(problems)

    content = Content()
    where: dict[tuple[str, str], Where] = {}
    # A file that failed to load is reported once; references to the ids it may define
    # are not reported again as "unknown" in every other file.
    broken: list[Path] = []
    unloaded: set[str] = set()
    words: dict[str, list[str]] = {}
    spellings: dict[str, str] = {}

    for path in content_files(intents_dir, knowledge_dir):
        found = len(problems)
        parsed = _parse(path, problems)
        if parsed is None:
            if any(p.severity == "error" for p in problems[found:]):
                broken.append(path)
                unloaded |= _ids_mentioned(path)
            continue
        data, model = parsed
        for loc, written, message in placeholders.problems(model):
            problems.append(Problem(path, line_within(data, loc, written), message))
        for kind, items, store in (
            ("intent", [_plain(Intent, i) for i in model.intents], content.intents),
            ("answer", [_plain(Answer, a) for a in model.answers], content.answers),
            ("flow", [_flow(f) for f in model.flows], content.flows),
        ):
            section = data.get(f"{kind}s")
            for index, item in enumerate(items):
                here = Where(path, line_of(section, [index]) if section else 1)
                first = where.get((kind, item.id))
                if first is not None:
                    problems.append(
                        Problem(
                            path,
                            here.line,
                            f"duplicate {kind} id '{item.id}' "
                            f"(first defined at {first.path}:{first.line})",
                        )
                    )
                    continue
                where[(kind, item.id)] = here
                store[item.id] = item
                if isinstance(item, Intent):
                    for j in range(len(item.examples)):
                        line = line_of(section, [index, "examples", j]) if section else 1
                        where[("example", f"{item.id}#{j}")] = Where(path, line)
                if isinstance(item, Flow):
                    for loc, message in flowgraph.problems(item):
                        line = line_of(section, [index, *loc]) if section else 1
                        problems.append(Problem(path, line, message))
        content.contacts.extend(_plain(Contact, c) for c in model.contacts)
        if model.synonyms is not None:
            words.update(model.synonyms.words)
            spellings.update(model.synonyms.spellings)

    content.synonyms = Synonyms(words=words, spellings=spellings)
    problems.extend(_cross_check(content, where, unloaded, all_loaded=not broken))
    problems.extend(_fill_local_team(content, where, all_loaded=not broken))
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise ContentInvalid(problems)
    content.warnings = problems
    content.places = where
    return content


def _fill_local_team(
    content: Content, where: dict[tuple[str, str], Where], *, all_loaded: bool
) -> Iterator[Problem]:
    """Put the deployment's own team (the contact marked ``local``) where texts name it.

    Filled once, here, so every channel and the walk-throughs show the same words, and a
    deployment for another area changes one contact entry, not every answer.
    """
    token = placeholders.LOCAL_TEAM
    users = [("answer", a.id) for a in content.answers.values() if token in a.text] + [
        ("flow", f.id) for f in content.flows.values() if any(token in s.text for s in f.steps)
    ]
    local = [c for c in content.contacts if c.local]
    if len(local) > 1:
        names = ", ".join(f"'{c.id}'" for c in local)
        yield Problem(Path("knowledge"), 1, f"only one contact may be local: true (found {names})")
        return
    if not local:
        if not all_loaded:
            return  # the local contact may be in the file that did not load
        for kind, item_id in users:
            at = where[(kind, item_id)]
            yield Problem(
                at.path,
                at.line,
                f"{kind} '{item_id}' says {token} but no contact is marked local: true",
            )
        return
    team = local[0]
    reach = ", ".join(x for x in (team.email, team.phone) if x)
    filled = f"**{team.name}** ({reach})" if reach else f"**{team.name}**"
    for answer_id, answer in list(content.answers.items()):
        if token in answer.text:
            text = answer.text.replace(token, filled)
            content.answers[answer_id] = replace(answer, text=text)
    for flow_id, flow in list(content.flows.items()):
        steps = [
            replace(s, text=s.text.replace(token, filled)) if token in s.text else s
            for s in flow.steps
        ]
        content.flows[flow_id] = replace(flow, steps=steps)


def _plain(kind: type, checked: Any, **parts: Any) -> Any:
    """The schema's checked item as the running bot holds it (``bot.content.model``)."""
    return kind(**{f.name: parts.get(f.name, getattr(checked, f.name)) for f in fields(kind)})


def _flow(checked: schema.Flow) -> Flow:
    steps = [
        _plain(
            Step,
            s,
            choices=[_plain(Choice, c) for c in s.choices],
            links=[_plain(Link, link) for link in s.links],
        )
        for s in checked.steps
    ]
    return _plain(Flow, checked, steps=steps)


def _parse(path: Path, problems: list[Problem]) -> tuple[LineDict, schema.ContentFile] | None:
    from pydantic import ValidationError

    from bot.content.schema import ContentFile
    from bot.content.schemaerrors import describe
    from bot.content.yamlfile import LineDict, YamlSyntaxError, line_of, read_yaml

    try:
        data = read_yaml(path)
    except YamlSyntaxError as exc:
        problems.append(Problem(path, exc.line, exc.problem))
        return None
    if data is None:
        problems.append(Problem(path, 1, "file is empty", "warning"))
        return None
    if not isinstance(data, LineDict):
        problems.append(Problem(path, 1, "expected a mapping with 'intents:', 'answers:', ..."))
        return None
    try:
        return data, ContentFile.model_validate(dict(data))
    except ValidationError as exc:
        for error in exc.errors():
            problems.append(Problem(path, line_of(data, error["loc"]), describe(error)))
        return None


# "id: x" or "{id: x", as written; enough to recognise ids in a file YAML cannot read.
_ID = re.compile(r"\bid\s*:\s*[\"']?([a-z][a-z0-9_]*)")


def _ids_mentioned(path: Path) -> set[str]:
    try:
        return set(_ID.findall(path.read_text(encoding="utf-8", errors="replace")))
    except OSError:
        return set()


def _cross_check(
    content: Content, where: dict[tuple[str, str], Where], unloaded: set[str], *, all_loaded: bool
) -> Iterator[Problem]:
    """References between files; ids in ``unloaded`` may exist in a file that did not load."""

    def unknown(ref: str, known: Container[str]) -> bool:
        return ref not in known and ref not in unloaded

    for intent in content.intents.values():
        at = where[("intent", intent.id)]
        if intent.flow is not None and unknown(intent.flow, content.flows):
            yield Problem(
                at.path, at.line, f"intent '{intent.id}' starts unknown flow '{intent.flow}'"
            )
        if intent.answer is None:
            if not intent.out_of_scope and intent.flow is None and intent.does is None:
                yield Problem(at.path, at.line, f"intent '{intent.id}' has no answer or flow")
        elif unknown(intent.answer, content.answers):
            yield Problem(
                at.path, at.line, f"intent '{intent.id}' refers to unknown answer '{intent.answer}'"
            )
        if len(intent.examples) < MIN_EXAMPLES and not intent.out_of_scope:
            yield Problem(
                at.path,
                at.line,
                f"intent '{intent.id}' has {len(intent.examples)} examples; "
                f"give it at least {MIN_EXAMPLES} varied phrasings",
                "warning",
            )
    for answer in content.answers.values():
        at = where[("answer", answer.id)]
        if answer.walkthrough is not None and unknown(answer.walkthrough, content.flows):
            yield Problem(
                at.path,
                at.line,
                f"answer '{answer.id}' offers unknown flow '{answer.walkthrough}'",
            )
        for related in answer.related:
            if unknown(related, content.intents):
                yield Problem(
                    at.path, at.line, f"answer '{answer.id}' relates to unknown intent '{related}'"
                )
    if not content.contacts and all_loaded:
        yield Problem(
            Path("knowledge"), 1, "no contacts defined: the fallback must offer the helpdesk"
        )
    yield from _shared_examples(content, where)


def _shared_examples(content: Content, where: dict[tuple[str, str], Where]) -> Iterator[Problem]:
    normaliser = content.normaliser()
    owner: dict[tuple[str, ...], str] = {}
    for intent in content.intents.values():
        for j, example in enumerate(intent.examples):
            key = tuple(normaliser.tokens(example))
            first = owner.setdefault(key, intent.id)
            if first != intent.id:
                at = where[("example", f"{intent.id}#{j}")]
                yield Problem(
                    at.path,
                    at.line,
                    f"example '{example}' of intent '{intent.id}' is also an example "
                    f"of intent '{first}'",
                )
