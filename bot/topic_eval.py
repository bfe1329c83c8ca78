"""Score the whole engine on realistic messages labelled by topic, not by intent.

The staff messages (``../shared/messages/staff-messages.jsonl``) were written apart from
the intents and carry a topic slug each. A map file (``tests/data/staff_topics.yaml``)
says what counts as right for each topic: one of some intents answered outright, a
walk-through started, a fallback, or a warning about a typed secret. Messages go through
``Engine.handle`` (without a database, each from a new person), so what is scored is
what a person would see, controls and secret warnings included.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from bot.content.yamlfile import YamlSyntaxError, read_yaml
from bot.core.engine import Engine, Knowledge
from bot.core.messages import Message, Reply
from bot.evaluation import EvalSetInvalid, format_confusions

GROUPS = ("seed", "beyond_seed", "walkthrough", "out_of_scope", "typed_secret")


@dataclass(frozen=True)
class Expectation:
    """What a right reply to a topic is; exactly one of the fields is set."""

    group: str
    intents: tuple[str, ...] = ()
    flow: str | None = None
    fallback: bool = False
    warn: bool = False

    def met_by(self, got: Got) -> bool:
        if self.warn:
            return got.warned
        if self.fallback:
            return got.fell_back and not got.warned
        if self.flow is not None:
            return got.flow == self.flow
        return got.intent in self.intents and not got.fell_back


@dataclass(frozen=True)
class Labelled:
    id: str
    text: str
    topic: str


@dataclass(frozen=True)
class Got:
    """What the person saw, boiled down to what the score needs."""

    intent: str | None
    fell_back: bool
    flow: str | None
    warned: bool
    suggestions: tuple[str, ...]

    @classmethod
    def of(cls, replies: list[Reply]) -> Got:
        metas = [r.meta for r in replies]
        intent = next((m.intent for m in metas if m.intent), None)
        return cls(
            intent=intent,
            fell_back=any(m.fallback for m in metas),
            flow=next((m.flow for m in metas if m.flow), None),
            warned=any(m.secret_warning for m in metas),
            suggestions=next((m.suggestions for m in metas if m.suggestions), ()),
        )

    def label(self) -> str:
        if self.warned:
            return "secret warning"
        if self.fell_back:
            return "fallback"
        if self.intent:
            return self.intent
        if self.suggestions:
            return "did you mean " + "/".join(self.suggestions)
        return "other"


@dataclass(frozen=True)
class Scored:
    message: Labelled
    expected: Expectation
    got: Got

    @property
    def right(self) -> bool:
        return self.expected.met_by(self.got)


@dataclass
class TopicReport:
    scored: list[Scored] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # intents the map names but lacks

    def share(self, group: str) -> float:
        items = [s for s in self.scored if s.expected.group == group]
        return sum(s.right for s in items) / len(items) if items else 1.0

    def count(self, group: str) -> int:
        return sum(1 for s in self.scored if s.expected.group == group)

    def offered(self, group: str) -> float:
        """The share of a group's messages not answered right whose "did you mean" held a
        right answer (one more tap for the person), out of all the group's messages."""
        items = [s for s in self.scored if s.expected.group == group]
        hits = sum(
            1 for s in items if not s.right and set(s.got.suggestions) & set(s.expected.intents)
        )
        return hits / len(items) if items else 0.0

    def answered_wrongly(self) -> int:
        """Messages answered outright with an intent their topic does not accept (or any,
        for a topic that should fall back): the costliest mistake. A typed secret is
        scored by its warning alone: answering its question as well is no mistake."""
        return sum(
            1
            for s in self.scored
            if not s.right and s.got.intent is not None and s.expected.group != "typed_secret"
        )

    def by_topic(self) -> dict[str, tuple[int, int]]:
        """topic -> (right, total)."""
        totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for s in self.scored:
            totals[s.message.topic][0] += s.right
            totals[s.message.topic][1] += 1
        return {topic: (r, n) for topic, (r, n) in sorted(totals.items())}

    def confusions(self) -> Counter[tuple[str, str]]:
        return Counter((s.message.topic, s.got.label()) for s in self.scored if not s.right)


def load_topics(path: Path) -> dict[str, Expectation]:
    try:
        data = read_yaml(path)
    except FileNotFoundError:
        raise EvalSetInvalid(f"{path}: file not found") from None
    except YamlSyntaxError as exc:
        raise EvalSetInvalid(str(exc)) from None
    except OSError as exc:
        raise EvalSetInvalid(f"{path}: cannot be read ({exc.strerror})") from None
    topics = data.get("topics") if isinstance(data, dict) else None
    if not isinstance(topics, dict):
        raise EvalSetInvalid(f"{path}:1: expected a top-level 'topics:' mapping")
    out = {}
    for slug, spec in topics.items():
        where = f"{path}: topic {slug!r}"
        if not isinstance(spec, dict) or spec.get("group") not in GROUPS:
            raise EvalSetInvalid(f"{where}: needs 'group', one of {', '.join(GROUPS)}")
        intents = spec.get("intents") or []
        if not isinstance(intents, list) or not all(isinstance(i, str) for i in intents):
            raise EvalSetInvalid(f"{where}: 'intents' must be a list of intent ids")
        expected = Expectation(
            group=spec["group"],
            intents=tuple(intents),
            flow=spec.get("flow"),
            fallback=bool(spec.get("fallback")),
            warn=bool(spec.get("warn")),
        )
        if (
            sum(
                [
                    bool(expected.intents),
                    expected.flow is not None,
                    expected.fallback,
                    expected.warn,
                ]
            )
            != 1
        ):
            raise EvalSetInvalid(f"{where}: give exactly one of intents, flow, fallback, warn")
        out[str(slug)] = expected
    return out


def load_messages(path: Path) -> list[Labelled]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise EvalSetInvalid(f"{path}: file not found") from None
    except UnicodeDecodeError:
        raise EvalSetInvalid(f"{path}: not UTF-8 text; save the file as UTF-8") from None
    except OSError as exc:  # a folder, no permission, ...
        raise EvalSetInvalid(f"{path}: cannot be read ({exc.strerror})") from None
    out = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if not all(isinstance(row.get(k), str) for k in ("text", "topic")):
                raise TypeError("text and topic must be strings")
            out.append(Labelled(str(row["id"]), row["text"], row["topic"]))
        except (ValueError, KeyError, TypeError, AttributeError):
            raise EvalSetInvalid(f'{path}:{number}: expected {{"id", "text", "topic"}}') from None
    return out


def evaluate_topics(
    knowledge: Knowledge, messages: list[Labelled], topics: dict[str, Expectation]
) -> TopicReport:
    unknown = sorted({m.topic for m in messages} - set(topics))
    if unknown:
        raise EvalSetInvalid(f"topics missing from the map: {', '.join(unknown)}")
    # Named intents that do not exist (yet) are reported, not fatal: they simply never
    # count as right.
    missing = {i for e in topics.values() for i in e.intents} - set(knowledge.content.intents)
    engine = Engine(knowledge, None)
    report = TopicReport(missing=sorted(missing))
    for m in messages:
        replies = engine.handle(Message(user_id=f"eval-{m.id}", text=m.text, channel="eval"))
        report.scored.append(Scored(m, topics[m.topic], Got.of(replies)))
    return report


def format_topic_report(report: TopicReport, *, show_misses: bool = False) -> str:
    names = {
        "seed": "seed topics answered right outright",
        "beyond_seed": "beyond-seed topics answered right",
        "walkthrough": "walk-through requests start it",
        "out_of_scope": "out-of-scope messages fall back",
        "typed_secret": "typed secrets warned about",
    }
    lines = [f"messages: {len(report.scored)}"]
    if report.missing:
        lines.append(
            f"warning: the map names intents that do not exist: {', '.join(report.missing)}"
        )
    for group in GROUPS:
        if report.count(group):
            lines.append(
                f"{names[group] + ':':<40}{report.share(group):7.1%}  (of {report.count(group)})"
            )
    for group in ("seed", "beyond_seed"):
        if report.count(group):
            label = f"{group.replace('_', '-')} offered as 'did you mean':"
            lines.append(f"{label:<40}{report.offered(group):7.1%}")
    lines.append(f"{'answered with a wrong intent:':<40}{report.answered_wrongly():>4}")
    lines.append("by topic (right/total):")
    for topic, (right, total) in report.by_topic().items():
        lines.append(f"  {topic:<32}{right:>3}/{total}")
    lines += format_confusions(report.confusions(), "topic")
    if show_misses:
        lines.append("misses:")
        for s in report.scored:
            if not s.right:
                lines.append(f"  [{s.message.topic} -> {s.got.label()}] {s.message.text}")
    return "\n".join(lines)
