"""Match a message to an intent: ranked candidates, and a band that says how sure we are.

Plain ``extractOne`` over example phrases gets under a third of real messages right, so
the matcher layers several cheap steps, each measured on the team's sets and checked on
the staff messages (``helpbot eval``):

1. normalise (case, accents, invisible characters, synonyms, British spellings) and drop
   redaction placeholders such as "[NHS NUMBER]";
2. correct typos against the words the intents actually use (same first letter, one or
   two edits), so "acount secrit" becomes "account secret", but never a word English
   uses ("looked" is not "locked");
3. split rambling messages into sentences and score each one as well as the whole, so a
   question buried in chit-chat is found;
4. score each intent by IDF-weighted word overlap with its examples (rare words such as
   "deadline" count more than "how"), blended with the probability from a linear model
   trained on all the examples (``bot.core.classifier``), which learns the words that
   tell intents apart and carries misspellings through letter n-grams;
5. decide: answer only above a bar and with a lead over the runner-up (lower bars when
   overlap, model and blend all rank the same intent first, or when no other intent
   comes near the first), and only when neither
   view on its own ranked a near miss first; otherwise offer the top few; otherwise
   fall back. Words the knowledge has never seen
   ("facebook", "111"), or that only the near misses use ("gmail"), pull the score
   down, which is what makes near-misses fall back. The bars come from ``helpbot sweep``.
"""

from __future__ import annotations

import copy
import math
import re
from dataclasses import dataclass, replace
from enum import Enum
from functools import lru_cache

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from bot.content.loader import Content
from bot.core.classifier import IntentClassifier
from bot.core.english import common_words
from bot.core.index import OverlapIndex, Penalties, Query
from bot.core.model_cache import ModelCache
from bot.core.redact import PLACEHOLDERS
from bot.core.words import (
    FILLER,
    SHORTHAND_WEIGHT,
    STEMMED_FILLER,
    STEMMED_STOPWORDS,
    STOPWORDS,
    stem,
)

MAX_CHARS = 4000  # longer messages are matched on their opening this long
MAX_SEGMENTS = 12
MAX_SEGMENT_TOKENS = 60
# Candidates ranked in full: a Match keeps five, and a walk-through raised to first place
# may push one out of them, so six would do.
_KEPT = 8
# What redaction leaves behind says nothing about the question: "[NHS NUMBER]" must not
# pull a message towards examples that mention NHS numbers.
_PLACEHOLDER = re.compile("|".join(map(re.escape, sorted(PLACEHOLDERS))))
# Asking to be taken through something, one step at a time: a walk-through, if there is
# one among the candidates, is what such a person wants, even when the topic words also
# fit an answer ("take me through switching from my security questions").
_GUIDE_ME = re.compile(
    r"\b(?:take|walk|talk|guide|go|run|lead)\s+(?:me|us|her|him|them)\s+(?:through|thru)\b"
    r"|\bstep[\s-]*by[\s-]*step\b"
    r"|\bone\s+(?:step|bit|screen|stage|page|thing)\s+at\s+a\s+time\b"
    r"|\bhold\s+my\s+hand\b|\bhand[\s-]*holding\b",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?;:\n])\s+|\n+")
# Rambling messages join clauses with commas and fillers; the question is often one clause.
_CLAUSE = re.compile(r",\s*|\s+(?:but|so|anyway|because|cos|and then)\s+", re.IGNORECASE)
# Stemming a message's words is most of turning it into terms; the same few thousand
# words come back in every message (a cached stem is a fifth of the cost).
_stem = lru_cache(maxsize=8192)(stem)


class Band(Enum):
    ANSWER = "answer"
    SUGGEST = "suggest"
    FALLBACK = "fallback"


@dataclass(frozen=True)
class Thresholds:
    # From `helpbot sweep tests/data/eval*.yaml` (the team's own sets); re-run it after
    # changing the matcher or many examples, and check the staff messages after.
    answer: float = 0.48
    suggest: float = 0.27
    margin: float = 0.12
    # Lower bars for when word overlap, the model and their blend all rank the same
    # intent first: three views agreeing are right more often than one score says.
    # From the sweep's second part (at the plain bars above): `helpbot sweep` prints it.
    agreed_answer: float = 0.42
    agreed_margin: float = 0.04
    # A lower bar again when no other intent comes near the first: a "did you mean"
    # with one option, far ahead of the rest, was the right one most of the time.
    # From the sweep's third part (at the plain and agreed bars above).
    clear_answer: float = 0.28
    clear_margin: float = 0.14
    suggest_window: float = 0.15  # suggestions must be this close to the best
    unknown_alpha: float = 0.5  # how hard unknown words pull a score down
    segment_blend: float = 0.65  # share of a sentence's own score vs the whole message's
    classifier_share: float = 0.5  # share of the trained model's probability in a score

    def without_clear_lead(self) -> Thresholds:
        """These bars with the clear-lead bars off (at the plain ones)."""
        return replace(self, clear_answer=self.answer, clear_margin=self.margin)


@dataclass(frozen=True)
class Candidate:
    intent: str
    score: float


@dataclass(frozen=True)
class Match:
    band: Band
    candidates: tuple[Candidate, ...]  # best first; never empty unless the text had no words
    # Word overlap or the trained model, on its own, ranked a near miss first: the two
    # views disagree about whether the question is ours at all.
    disputed: bool = False
    # Word overlap, the model and their blend each ranked the first candidate first.
    agreed: bool = False
    # Asked to be taken through it step by step, and the first candidate is a walk-through.
    guided: bool = False

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None

    @property
    def intent(self) -> str | None:
        return self.best.intent if self.band is Band.ANSWER and self.best else None

    @property
    def confidence(self) -> float:
        return self.best.score if self.best else 0.0


@dataclass(frozen=True)
class _Example:
    intent: str
    terms: tuple[str, ...]  # each once


class Matcher:
    """An index over every intent example; ``match`` is the hot path."""

    def __init__(
        self,
        content: Content,
        thresholds: Thresholds | None = None,
        *,
        models: ModelCache | None = None,
    ) -> None:
        self.thresholds = thresholds or Thresholds()
        self._normaliser = content.normaliser()
        self._smalltalk = {i.id for i in content.intents.values() if i.smalltalk}
        self._out_of_scope = {i.id for i in content.intents.values() if i.out_of_scope}
        self._walkthroughs = {i.id for i in content.intents.values() if i.flow}

        # Each example as its words' stems, in order. Each distinct word is stemmed once
        # and each stem is one string, however many examples use it: at 50,000 examples
        # that is most of the build, and of its memory.
        stem_of: dict[str, str] = {}
        stemmed = [
            (intent.id, [stem_of.get(t) or _remember(stem_of, t) for t in tokens])
            for intent in content.intents.values()
            for tokens in map(self._normaliser.tokens, intent.examples)
        ]
        vocabulary = set(stem_of)
        vocabulary |= self._normaliser.variant_words | self._normaliser.canonical_words
        self._vocabulary = frozenset(vocabulary)
        self._variant_stems = frozenset(map(stem, self._normaliser.variant_words))
        self._stemmed_vocabulary = frozenset(map(stem, vocabulary))
        self._english = common_words()
        self._by_initial: dict[str, list[str]] = {}
        for word in sorted(self._vocabulary):  # sorted: ties must not depend on hash seed
            if len(word) >= 4 and word.isalpha():
                self._by_initial.setdefault(word[0], []).append(word)

        examples = [_Example(intent, tuple(sorted(set(terms)))) for intent, terms in stemmed]

        # Document frequency over intents, not examples: a word used by one intent is
        # a strong clue whatever its count of examples.
        intent_terms: dict[str, set[str]] = {}
        for example in examples:
            intent_terms.setdefault(example.intent, set()).update(example.terms)
        n = len(intent_terms) or 1
        df: dict[str, int] = {}
        for terms in intent_terms.values():
            for term in terms:
                df[term] = df.get(term, 0) + 1
        self._weights = {t: self._weight(t, math.log((n + 1) / (c + 0.5))) for t, c in df.items()}
        ours = set().union(*(t for i, t in intent_terms.items() if i not in self._out_of_scope))
        self._foreign = frozenset(
            t
            for t in self._weights
            if t not in ours and t not in STEMMED_STOPWORDS and t not in STEMMED_FILLER
        )
        self._unknown_weight = max(self._weights.values(), default=1.0)
        self._correct = lru_cache(maxsize=8192)(self._correct_uncached)
        self._build_matrices(examples)
        del examples, intent_terms  # the index holds them now: not also while training
        self._classifier = IntentClassifier(stemmed, models)
        classes = {c: k for k, c in enumerate(self._classifier.classes)}
        self._class_of_intent = np.array([classes[i] for i in self._intent_ids], dtype=np.intp)

    @property
    def _examples(self) -> list[_Example]:
        """Each example's intent and terms, read back from the index (for tests and tools).

        Not kept as objects: at 50,000 examples they were 8 MB of every process.
        """
        names = list(self._columns)
        rows = self._index.by_term
        terms = np.repeat(np.arange(len(names)), np.diff(rows.starts))
        order = np.lexsort((terms, rows.columns))
        owners, terms = rows.columns[order], terms[order]
        bounds = np.searchsorted(owners, np.arange(len(self._index.intent_of) + 1))
        return [
            _Example(self._intent_ids[intent], tuple(names[t] for t in terms[a:b]))
            for intent, a, b in zip(self._index.intent_of, bounds[:-1], bounds[1:], strict=True)
        ]

    @property
    def model_trained(self) -> bool:
        """Whether building this matcher trained the model (not read from the cache)."""
        return self._classifier.trained

    def __getstate__(self) -> dict[str, object]:
        state = self.__dict__.copy()
        del state["_correct"]  # a cache around a bound method: made afresh when loaded
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._correct = lru_cache(maxsize=8192)(self._correct_uncached)

    def with_thresholds(self, thresholds: Thresholds) -> Matcher:
        """The same index and model scored with other thresholds (for a sweep): no rebuild."""
        other = copy.copy(self)
        other.thresholds = thresholds
        return other

    def _build_matrices(self, examples: list[_Example]) -> None:
        """The overlap index (``bot.core.index``): terms numbered, examples by intent."""
        self._columns = {t: i for i, t in enumerate(sorted(self._weights))}
        self._intent_ids = list(dict.fromkeys(e.intent for e in examples))
        position = {intent: i for i, intent in enumerate(self._intent_ids)}
        self._near_miss = np.array([i in self._out_of_scope for i in self._intent_ids], dtype=bool)
        self._is_smalltalk = np.array([i in self._smalltalk for i in self._intent_ids], dtype=bool)
        weights = np.array([self._weights[t] for t in self._columns])
        topical = [t not in STEMMED_STOPWORDS and t not in STEMMED_FILLER for t in self._columns]
        self._index = OverlapIndex(
            [[self._columns[t] for t in e.terms] for e in examples],
            weights,
            topical,
            [position[e.intent] for e in examples],
            len(self._intent_ids),
        )
        self._term_examples = self._index.by_term

    @staticmethod
    def _weight(term: str, idf: float) -> float:
        if term in STEMMED_STOPWORDS or term in STEMMED_FILLER:
            return 0.1
        return max(idf, 0.2)

    def weight(self, term: str) -> float:
        known = self._weights.get(term)
        if known is not None:
            return known
        if term in STEMMED_STOPWORDS or term in STEMMED_FILLER:
            return 0.1
        if (len(term) <= 3 and term.isalpha()) or (len(term) <= 2 and term.isdigit()):
            return SHORTHAND_WEIGHT  # "wat", "abt", "3": texting, not a topic
        if term in self._variant_stems:
            # Part of a phrase the synonyms know ("nursing" of "nursing home"): ours, not
            # a sign of another topic, though alone it says little.
            return SHORTHAND_WEIGHT
        return self._unknown_weight

    # -- text to terms ------------------------------------------------------------------

    def _correct_uncached(self, token: str) -> str:
        if (
            token in self._vocabulary
            or token in STOPWORDS
            or token in FILLER
            or len(token) < 4
            or not token.isalpha()
            or stem(token) in self._stemmed_vocabulary  # "shared" is "share", not a typo
            or token in self._english  # "looked" is not "locked"
        ):
            return token  # known, everyday, or too short to correct safely
        pool = self._by_initial.get(token[0])
        if not pool:
            return token
        limit = 1 if len(token) <= 7 else 2
        close = process.extract(token, pool, scorer=OSA.distance, score_cutoff=limit, limit=5)
        if not close:
            return token
        # Among equally close words prefer the most similar overall: "helo" is "hello".
        return max(close, key=lambda found: (-found[1], fuzz.ratio(token, found[0])))[0]

    def terms(self, text: str) -> list[str]:
        """The stemmed, corrected, canonical words of ``text`` (in order, with repeats)."""
        folded = self._normaliser.tokens(text)
        corrected = self._normaliser.rewrite([self._correct(t) for t in folded])
        return [_stem(t) for t in corrected]

    def segments(self, text: str) -> list[list[str]]:
        """The whole message and, if it has several, each sentence: as term lists."""
        text = _PLACEHOLDER.sub(" ", text[:MAX_CHARS])
        whole = self.terms(text)
        pieces = [p for p in _SENTENCE_END.split(text) if p.strip()]
        clauses = [c for p in pieces for c in _CLAUSE.split(p) if c and c.strip()]
        if len(clauses) > len(pieces):
            pieces += clauses
        if not whole:
            return []  # nothing but punctuation and redacted details
        if len(pieces) <= 1:
            return [whole[:MAX_SEGMENT_TOKENS]]
        segments = [whole[:MAX_SEGMENT_TOKENS]]
        seen = {tuple(segments[0])}
        # A sentence with no clauses to split comes back as its own clause, and a
        # single sentence is the whole: each text is made terms once (surrounding
        # spaces change no term).
        known = {text.strip(): whole}
        for piece in pieces[: MAX_SEGMENTS * 2]:
            key = piece.strip()
            found = known.get(key)
            if found is None:
                known[key] = found = self.terms(key)
            terms = found[:MAX_SEGMENT_TOKENS]
            if terms and tuple(terms) not in seen:
                seen.add(tuple(terms))
                segments.append(terms)
        return segments

    # -- scoring --------------------------------------------------------------------------

    def _unknown_penalty(self, query: set[str]) -> tuple[float, float, float]:
        """(factor for in-scope intents, factor for near misses, known weight) of terms.

        Words the knowledge has never seen ("facebook", "111", "tax") mean the question
        is probably about something else: the more of the message they are, the less
        sure. Words only the near misses use ("gmail", "banking", "rota") say the same
        of our own intents, though not of the near misses themselves.
        """
        weights = [(t, self.weight(t)) for t in query]
        query_weight = sum(w for _, w in weights)
        unknown_weight = sum(
            w for t, w in weights if t not in self._weights and w > SHORTHAND_WEIGHT
        )
        foreign_weight = sum(w for t, w in weights if t in self._foreign)
        alpha = self.thresholds.unknown_alpha

        def factor(against: float) -> float:
            return (query_weight - against) / (query_weight - (1 - alpha) * against)

        return (
            factor(unknown_weight + foreign_weight),
            factor(unknown_weight),
            query_weight - unknown_weight,
        )

    def _score_segments(
        self, segments: list[list[str]], best: np.ndarray
    ) -> tuple[np.ndarray, list[Penalties]]:
        """Raise ``best`` (a score per intent) to the whole message's scores (the first
        segment); returned: the best score of any other segment, per intent, and each
        segment's unknown-word penalties (in-scope, near miss)."""
        substantive = np.zeros(len(best))
        queries, penalties = [], []
        for terms in segments:
            query = set(terms)
            penalty, near_miss_penalty, known_weight = self._unknown_penalty(query)
            # Ascending: shared weights are then summed in one order, whatever the hash seed.
            columns = sorted(self._columns[t] for t in query if t in self._columns)
            queries.append(Query(columns, known_weight, short=len(query) <= 3))
            penalties.append(Penalties(penalty, near_miss_penalty))
        self._index.raise_scores(queries, penalties, self._near_miss, best, substantive)
        return substantive, penalties

    def match(self, text: str) -> Match:
        ranked, disputed, agreed = self._rank(text)
        guided = False
        if ranked and not disputed and _GUIDE_ME.search(text[:MAX_CHARS]):
            ranked = self._walkthrough_first(ranked, _GUIDE_ME.sub(" ", text[:MAX_CHARS]))
            guided = ranked[0].intent in self._walkthroughs
        band = self.band(ranked, disputed=disputed, agreed=agreed, guided=guided)
        return Match(band, tuple(ranked[:5]), disputed, agreed, guided)

    def _rank(self, text: str) -> tuple[list[Candidate], bool, bool]:
        """Candidates best first, whether they are disputed, and whether agreed on."""
        segments = self.segments(text)
        # One score per intent (0: not a candidate), so that thousands of intents cost
        # array operations, not Python loops.
        best = np.zeros(len(self._intent_ids))
        substantive, penalties = self._score_segments(segments, best)
        # A sentence or clause may carry the question, but alone it loses its context
        # ("how do I reset it?" after "my Windows password expired"): blend it with the
        # whole message. Small talk never wins from a fragment: "hi! how do I get
        # nhsmail?" is a question, not a greeting.
        if len(segments) > 1:
            raised = ~self._is_smalltalk & (substantive > best)
            share = self.thresholds.segment_blend
            best[raised] = (1 - share) * best[raised] + share * substantive[raised]
        ranking = best > 0
        overlap_pick = self._first(best, ranking)
        model_pick = overlap_pick
        if segments and self.thresholds.classifier_share:
            # The model knows nothing of words it never saw: the same penalty applies.
            penalty, near_miss_penalty = penalties[0]
            probabilities = self._classifier.probability_array(segments[0])
            if probabilities is None:  # none of its words or letters known
                found, model_pick = np.zeros(len(best)), None
            else:
                found = probabilities[self._class_of_intent]
                model_pick = self._first(found)
            penalised = found * np.where(self._near_miss, near_miss_penalty, penalty)
            ranking |= penalised >= 0.01
            self._blend(best, penalised, ranking)
        ranked = self._ranked(best, ranking)
        disputed = overlap_pick in self._out_of_scope or model_pick in self._out_of_scope
        agreed = bool(ranked) and ranked[0].intent == overlap_pick == model_pick
        return ranked, disputed, agreed

    def _ranked(self, scores: np.ndarray, ranking: np.ndarray) -> list[Candidate]:
        """The best ``_KEPT`` of the ``ranking`` intents, best first, scores rounded.

        Rounded, scores can tie (then the intent id decides), so the shortlist takes
        every intent within a rounding step of the last one kept.
        """
        picked = np.flatnonzero(ranking)
        if len(picked) > _KEPT:
            values = scores[picked]
            last = np.partition(values, -_KEPT)[-_KEPT]
            picked = picked[values >= last - 2e-4]
        return sorted(
            (
                Candidate(self._intent_ids[i], round(min(s, 1.0), 4))
                for i, s in zip(picked.tolist(), scores[picked].tolist(), strict=True)
            ),
            key=lambda c: (-c.score, c.intent),  # equal scores in a fixed order
        )

    def _walkthrough_first(self, ranked: list[Candidate], topic: str) -> list[Candidate]:
        """A walk-through raised to first place (level with the best), if it fits.

        The request to be guided says nothing about *what*: the walk-through must also
        fit the rest of the message (``topic``), as one of its top few and close to its
        best. "Walk me through setting up MFA" is not the Account Secret walk-through.
        """
        top = ranked[0]
        if top.intent in self._out_of_scope or top.intent in self._walkthroughs:
            return ranked
        rest, _, _ = self._rank(topic)
        if not rest:
            return ranked
        t = self.thresholds
        bar = max(t.suggest, rest[0].score - t.suggest_window)
        for candidate in rest[:3]:
            if candidate.intent in self._walkthroughs and candidate.score >= bar:
                raised = Candidate(candidate.intent, top.score)
                return [raised, *(c for c in ranked if c.intent != candidate.intent)]
        return ranked

    def _first(self, scores: np.ndarray, among: np.ndarray | None = None) -> str | None:
        """The intent (of ``among``, or all) with the highest score; the greater id on a tie."""
        picked = np.flatnonzero(among) if among is not None else None
        if picked is not None:
            if not len(picked):
                return None
            scores = scores[picked]
        tied = np.flatnonzero(scores == scores.max())
        if picked is not None:
            tied = picked[tied]
        return max(self._intent_ids[i] for i in tied.tolist())

    def _blend(self, best: np.ndarray, probabilities: np.ndarray, ranking: np.ndarray) -> None:
        """Overlap scores and the model's probabilities, weighted into one score."""
        share = self.thresholds.classifier_share
        best[ranking] = (1 - share) * best[ranking] + share * probabilities[ranking]

    def band(
        self,
        ranked: list[Candidate],
        thresholds: Thresholds | None = None,
        *,
        disputed: bool = False,
        agreed: bool = False,
        guided: bool = False,
    ) -> Band:
        """How sure to be of ``ranked`` (best first); other thresholds for a sweep.

        A ``disputed`` match (one view on its own put a near miss first: "change my
        hotmail password" is mostly about passwords to the model, mostly about Hotmail
        to word overlap) is never answered outright: it is offered, or falls back. An
        ``agreed`` one (every view put the first candidate first) has the agreed bars;
        one far ahead of the runner-up has the clear bars; a ``guided`` one (asked for
        step by step, a walk-through first) starts it.
        """
        t = thresholds or self.thresholds
        if not ranked or ranked[0].score < t.suggest:
            return Band.FALLBACK
        top = ranked[0]
        if top.intent in self._out_of_scope:
            return Band.FALLBACK
        runner_up = ranked[1].score if len(ranked) > 1 else 0.0
        lead = top.score - runner_up
        if disputed:
            return Band.SUGGEST
        if guided:
            return Band.ANSWER
        if top.score >= t.answer and lead >= t.margin:
            return Band.ANSWER
        if agreed and top.score >= t.agreed_answer and lead >= t.agreed_margin:
            return Band.ANSWER
        if top.score >= t.clear_answer and lead >= t.clear_margin:
            return Band.ANSWER
        return Band.SUGGEST

    def band_of(self, match: Match, thresholds: Thresholds) -> Band:
        """``match`` banded again at other ``thresholds``: its ranking is kept."""
        return self.band(
            list(match.candidates),
            thresholds,
            disputed=match.disputed,
            agreed=match.agreed,
            guided=match.guided,
        )

    def suggestions(
        self, match: Match, thresholds: Thresholds | None = None, limit: int = 3
    ) -> list[Candidate]:
        """The candidates worth offering as 'did you mean', best first."""
        if not match.best:
            return []
        t = thresholds or self.thresholds
        floor = max(t.suggest, match.best.score - t.suggest_window)
        return [
            c for c in match.candidates if c.score >= floor and c.intent not in self._out_of_scope
        ][:limit]


def _remember(stems: dict[str, str], word: str) -> str:
    """``word``'s stem, kept in ``stems`` so that no word is stemmed twice."""
    stems[word] = found = stem(word)
    return found
