"""The matcher's fast paths give the answers of a plain computation over every example.

The index scores only the examples sharing a topic word with the message, the ranking
keeps a shortlist, and scores live in arrays. The reference below does none of that:
for every example it intersects word sets and adds weights in a loop, with dicts, as the
matcher's own description says. Both must give the same Match (band, candidates and
their rounded scores, flags) for every text in the team's eval and held-out sets.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.benchdata import generate
from bot.config import PROJECT_ROOT
from bot.content.loader import Content, load_content
from bot.core.matcher import _GUIDE_ME, MAX_CHARS, Candidate, Match, Matcher, Thresholds
from bot.core.redact import redact
from bot.core.words import STEMMED_FILLER, STEMMED_STOPWORDS, stem

DATA = PROJECT_ROOT / "tests" / "data"
# Every test here twice: overlap scored by the compiled kernel, and by numpy.
pytestmark = pytest.mark.usefixtures("overlap_scoring")


def team_texts() -> list[str]:
    files = [*sorted(DATA.glob("eval*.yaml")), DATA / "holdout.yaml"]
    return [case["text"] for f in files for case in yaml.safe_load(f.read_text())["cases"]]


def topical(term: str) -> bool:
    return term not in STEMMED_STOPWORDS and term not in STEMMED_FILLER


class Reference:
    """The matcher's scoring written out directly: loops over every example."""

    def __init__(self, matcher: Matcher, content: Content) -> None:
        self.m = matcher
        normaliser = content.normaliser()
        self.examples = [
            (intent.id, {stem(t) for t in normaliser.tokens(example)})
            for intent in content.intents.values()
            for example in intent.examples
        ]
        self.totals = [self.weight_of(terms) for _, terms in self.examples]
        self.vocabulary: dict[str, set[str]] = {}
        for intent, terms in self.examples:
            self.vocabulary.setdefault(intent, set()).update(terms)
        self.known = set().union(*self.vocabulary.values())
        self.out_of_scope = {i.id for i in content.intents.values() if i.out_of_scope}
        self.smalltalk = {i.id for i in content.intents.values() if i.smalltalk}
        self.walkthroughs = {i.id for i in content.intents.values() if i.flow}

    def weight_of(self, terms: set[str]) -> float:
        return sum(self.m.weight(t) for t in sorted(terms))  # the index adds in this order

    def segment(self, terms: list[str]) -> dict[str, float]:
        query = set(terms)
        penalty, near_miss_penalty, known_weight = self.m._unknown_penalty(query)
        has_topic = any(topical(t) for t in query & self.known)
        if not has_topic and len(query) > 3:
            return {}
        best: dict[str, float] = {}
        for (intent, example), total in zip(self.examples, self.totals, strict=True):
            if query.isdisjoint(example):
                continue
            common = query & example
            if has_topic and not any(map(topical, common)):
                continue
            shared = self.weight_of(common)
            precision = shared / known_weight if known_weight else 0.0
            recall = shared / total
            overlap = 2 * precision * recall / (precision + recall) if precision else 0.0
            best[intent] = max(best.get(intent, -1.0), overlap)
        scores = {}
        for intent, overlap in best.items():
            if overlap <= 0:
                continue
            covered = self.weight_of(query & self.vocabulary[intent])
            coverage = covered / known_weight if known_weight else 0.0
            factor = near_miss_penalty if intent in self.out_of_scope else penalty
            if (total := (0.7 * overlap + 0.3 * coverage) * factor) > 0:
                scores[intent] = total
        return scores

    def rank(self, text: str) -> tuple[list[Candidate], bool, bool]:
        t = self.m.thresholds
        segments = self.m.segments(text)
        best = self.segment(segments[0]) if segments else {}
        substantive: dict[str, float] = {}
        for terms in segments[1:]:
            for intent, score in self.segment(terms).items():
                substantive[intent] = max(substantive.get(intent, 0.0), score)
        for intent, score in substantive.items():
            whole = best.get(intent, 0.0)
            if intent not in self.smalltalk and score > whole:
                best[intent] = (1 - t.segment_blend) * whole + t.segment_blend * score

        def first(scores: dict[str, float]) -> str | None:
            return max(scores, key=lambda i: (scores[i], i)) if scores else None

        overlap_pick = model_pick = first(best)
        if segments and t.classifier_share:
            penalty, near_miss_penalty, _ = self.m._unknown_penalty(set(segments[0]))
            found = self.m._classifier.probabilities(segments[0])
            model_pick = first(found)
            penalised = {
                i: p * (near_miss_penalty if i in self.out_of_scope else penalty)
                for i, p in found.items()
            }
            for intent in set(best) | {i for i, p in penalised.items() if p >= 0.01}:
                best[intent] = (1 - t.classifier_share) * best.get(
                    intent, 0.0
                ) + t.classifier_share * penalised.get(intent, 0.0)
        ranked = sorted(
            (Candidate(i, round(min(s, 1.0), 4)) for i, s in best.items()),
            key=lambda c: (-c.score, c.intent),
        )
        disputed = overlap_pick in self.out_of_scope or model_pick in self.out_of_scope
        agreed = bool(ranked) and ranked[0].intent == overlap_pick == model_pick
        return ranked, disputed, agreed

    def match(self, text: str) -> Match:
        ranked, disputed, agreed = self.rank(text)
        guided = False
        if ranked and not disputed and _GUIDE_ME.search(text[:MAX_CHARS]):
            top = ranked[0]
            if top.intent not in self.out_of_scope and top.intent not in self.walkthroughs:
                rest, _, _ = self.rank(_GUIDE_ME.sub(" ", text[:MAX_CHARS]))
                t = self.m.thresholds
                bar = max(t.suggest, rest[0].score - t.suggest_window) if rest else 2.0
                for candidate in rest[:3]:
                    if candidate.intent in self.walkthroughs and candidate.score >= bar:
                        raised = Candidate(candidate.intent, top.score)
                        ranked = [raised, *(c for c in ranked if c.intent != candidate.intent)]
                        break
            guided = ranked[0].intent in self.walkthroughs
        band = self.m.band(ranked, disputed=disputed, agreed=agreed, guided=guided)
        return Match(band, tuple(ranked[:5]), disputed, agreed, guided)


def test_the_fast_matcher_answers_every_team_text_as_the_plain_computation(
    matcher_and_content,
) -> None:
    matcher, content = matcher_and_content
    reference = Reference(matcher, content)
    texts = team_texts()
    assert len(texts) > 500
    differing = [t for t in texts if matcher.match(redact(t)) != reference.match(redact(t))]
    assert not differing, f"{len(differing)} of {len(texts)} differ, e.g. {differing[:3]}"


def test_at_scale_the_shortlist_and_index_still_rank_as_the_plain_computation(
    tmp_path: Path,
) -> None:
    # Thousands of examples, with words shared across most intents: the index's
    # candidates and the ranking's shortlist both have much to leave out. Overlap alone
    # (the model's share is zero) is computed the same way at any size.
    generate(3000, tmp_path)
    content = load_content(tmp_path / "intents", tmp_path / "knowledge")
    matcher = Matcher(content).with_thresholds(Thresholds(classifier_share=0.0))
    reference = Reference(matcher, content)
    texts = [e for i in content.intents.values() for e in i.examples[:3]]
    texts += [f"{a} and also {b}" for a, b in zip(texts[::7], texts[3::7], strict=False)]
    # Several sentences and clauses: each segment is scored, all of them together.
    texts += [
        f"{a}. {b}, {c}? {d}" for a, b, c, d in zip(*(texts[k::11] for k in range(4)), strict=False)
    ]
    texts += ["who are you", "thanks", "printer", "reset", "my phone and laptop and vpn"]
    differing = [t for t in texts if matcher.match(t) != reference.match(t)]
    assert not differing, f"{len(differing)} of {len(texts)} differ, e.g. {differing[:3]}"
    assert sum(len(matcher.match(t).candidates) == 5 for t in texts) > len(texts) / 2


@pytest.fixture(scope="module")
def matcher_and_content(knowledge) -> tuple[Matcher, Content]:
    return knowledge.matcher, knowledge.content


def test_segments_scored_one_by_one_in_a_big_knowledge_base_rank_the_same(
    matcher_and_content, monkeypatch
) -> None:
    # Above a size the segments are scored one by one (their arrays stay in cache):
    # forced here at the shipped size, the answers are the plain computation's still.
    import bot.core.index

    monkeypatch.setattr(bot.core.index, "_KEYED_CELLS", 0)
    matcher, content = matcher_and_content
    reference = Reference(matcher, content)
    texts = [t for t in team_texts() if len(matcher.segments(redact(t))) > 2]
    assert len(texts) > 100
    differing = [t for t in texts if matcher.match(redact(t)) != reference.match(redact(t))]
    assert not differing, f"{len(differing)} of {len(texts)} differ, e.g. {differing[:3]}"
