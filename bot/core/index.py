"""Word overlap between a message and every example, touching only the examples that matter.

The matcher scores an intent by its best example's overlap (the harmonic mean of
IDF-weighted precision and recall) and by its whole vocabulary's coverage of the message.
Computed over every example, each of a message's (up to 12) segments cost a few arrays
as long as the knowledge: 15.9 ms p50 at 50,000 examples. Only examples that share a
topic word with the message can score (the rest are not candidates), so this index
finds those from the topic words' postings, and computes overlap for them alone; and
it scores a long message's segments together rather than one by one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from bot.core.sparse import Rows

try:  # built with the package where there is a C compiler (setup.py)
    from bot.core import _overlap
except ImportError:  # pragma: no cover - numpy does the same sums, more slowly
    _overlap = None

_FIRST = np.zeros(1, dtype=np.intp)
# Segments x examples up to which a message's segments are scored together: 13 segments
# of the shipped knowledge (5,426 examples) fit, three of 50,000 do not.
_KEYED_CELLS = 2**17


@dataclass(frozen=True)
class Overlap:
    """Per intent with a positive best overlap: its position, best overlap and coverage."""

    intents: np.ndarray  # ascending positions into the index's intents
    best: np.ndarray
    coverage: np.ndarray


class Query(NamedTuple):
    """One segment of a message, as ``OverlapIndex.score_all`` takes it (a tuple: one is
    made per segment of every message, and a frozen dataclass cost three times as much)."""

    columns: list[int]  # its known terms, each once, ascending
    known_weight: float  # the weight of its known words
    short: bool  # three words or fewer


class Penalties(NamedTuple):
    """A segment's unknown-word factors: for in-scope intents, and for near misses."""

    in_scope: float
    near_miss: float


class OverlapIndex:
    """Examples (grouped by intent) as sets of weighted terms, stored both ways round."""

    def __init__(
        self,
        example_terms: list[list[int]],
        term_weights: ArrayLike,
        topical: ArrayLike,
        intent_of: ArrayLike,
        intents: int,
    ) -> None:
        """``example_terms`` holds each example's term numbers (each term once).

        ``term_weights`` and ``topical`` are per term; ``intent_of`` per example, and
        never decreasing: an intent's examples are together.
        """
        self.weights = np.asarray(term_weights, dtype=float)
        self.topical = np.asarray(topical, dtype=bool)
        self.intent_of = np.asarray(intent_of, dtype=np.intp)
        if np.any(np.diff(self.intent_of) < 0):
            raise ValueError("examples must be grouped by intent")
        terms = len(self.weights)
        lengths = np.array([len(t) for t in example_terms], dtype=np.intp)
        cells = np.array([c for t in example_terms for c in t], dtype=np.intp)
        examples = np.repeat(np.arange(len(example_terms)), lengths)
        # Each example's weight is its terms' weights summed in ascending term order.
        by_example = Rows.of(examples, cells, self.weights[cells], (len(lengths), terms))
        self.by_term = Rows.of(cells, examples, self.weights[cells], (terms, len(lengths)))
        # An intent holds a term's weight once, however many of its examples use it.
        pairs = np.unique(cells * intents + self.intent_of[examples])
        term, intent = np.divmod(pairs, intents)
        self.term_intents = Rows.of(term, intent, self.weights[term], (terms, intents))
        self.totals = by_example.row_sums()

    @property
    def compiled(self) -> bool:
        """Whether ``raise_scores`` can use the compiled kernel (``bot.core._overlap``)."""
        return _overlap is not None and self.by_term.columns.dtype == np.int32

    def raise_scores(
        self,
        queries: Sequence[Query],
        penalties: Sequence[Penalties],
        near_miss: np.ndarray,
        best: np.ndarray,
        substantive: np.ndarray,
    ) -> None:
        """Raise ``best`` (a score per intent) to the first segment's overlap scores, and
        ``substantive`` to the best of the other segments': each intent's score is
        ``0.7 * best overlap + 0.3 * coverage``, times its segment's penalty (the near
        miss one for the intents ``near_miss`` marks).

        Compiled where it was built: one call, not a hundred array calls, and the same
        doubles, to the bit.
        """
        if self.compiled:
            assert _overlap is not None
            segments = [
                (q.columns, q.known_weight, q.short, p.in_scope, p.near_miss)
                for q, p in zip(queries, penalties, strict=True)
            ]
            by, ti = self.by_term, self.term_intents
            _overlap.raise_scores(
                by.starts, by.columns, by.values, self.totals, self.intent_of,
                ti.starts, ti.columns, ti.values, self.topical, near_miss,
                best, substantive, segments,
            )  # fmt: skip
            return
        for i, (found, penalty) in enumerate(zip(self.score_all(queries), penalties, strict=True)):
            if found is None:
                continue
            totals = (0.7 * found.best + 0.3 * found.coverage) * np.where(
                near_miss[found.intents], penalty.near_miss, penalty.in_scope
            )
            into = best if i == 0 else substantive
            into[found.intents] = np.maximum(into[found.intents], totals)

    def score_all(self, queries: Sequence[Query]) -> list[Overlap | None]:
        """Per segment of a message: the best overlap and coverage of the intents whose
        examples share a topic word with it (None if none do).

        A ``Query`` that is ``short`` (three words or fewer) with no topic word at all
        ("who are you") is scored against every example sharing any of its words.

        The segments are scored together, each step one array call for all of them (a
        posting's key is its segment and example): a long message is five or six
        segments sharing most of their words, and scored one by one its array calls cost
        more than their arithmetic. Within a key, weights are still added in ascending
        term order, so the scores are those of scoring each segment alone, to the bit.
        """
        found: list[Overlap | None] = [None] * len(queries)
        scored, rows, picks, weights = [], [], [], []
        for at, query in enumerate(queries):
            if not query.columns:
                continue
            index = np.asarray(query.columns, dtype=np.intp)
            pick = index[self.topical[index]]
            if not len(pick):
                if not query.short:
                    continue
                pick = index  # a short message: any shared word makes a candidate
            scored.append(at)
            rows.append(index)
            picks.append(pick)
            weights.append(query.known_weight)
        if not scored:
            return found
        # A segment of no known weight has no precision or coverage: x / inf is 0.
        known = [w if w > 0 else np.inf for w in weights]
        if len(scored) == 1 or len(scored) * len(self.intent_of) > _KEYED_CELLS:
            # Most messages are one segment: a few rows, sliced, and no keys. In a big
            # knowledge base each segment's own arrays stay in the CPU's cache, and all
            # of them keyed together would not (at 50,000 examples the keyed path's p99
            # was 22% slower on the staff messages, not 16% faster).
            for slot, at in enumerate(scored):
                found[at] = self._score_one(queries[at].columns, picks[slot], known[slot])
            return found
        keys, shared, covered = self._keyed_sums(rows, picks)
        if not len(keys):
            return found
        segment, candidates = np.divmod(keys, len(self.intent_of))
        known_at = np.asarray(known)[segment]
        intents = self.term_intents.width
        group = segment * intents + self.intent_of[candidates]
        starts, group, best = self._best_runs(shared, known_at, candidates, group)
        coverage = covered[group] / known_at[starts]
        segment, intent = np.divmod(group, intents)
        bounds = np.searchsorted(segment, np.arange(len(scored) + 1))
        for slot, (a, b) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
            found[scored[slot]] = Overlap(intent[a:b], best[a:b], coverage[a:b])
        return found

    def _score_one(self, columns: list[int], pick: np.ndarray, known: float) -> Overlap | None:
        """One segment (its ``columns``, of them the ``pick`` that make candidates, and
        its known weight) scored alone."""
        candidates = self.by_term.union(pick)
        if not len(candidates):
            return None
        shared = self.by_term.sum(columns)[candidates]
        _, group, best = self._best_runs(shared, known, candidates, self.intent_of[candidates])
        return Overlap(group, best, self.term_intents.sum(columns)[group] / known)

    def _best_runs(
        self,
        shared: np.ndarray,
        known: float | np.ndarray,
        candidates: np.ndarray,
        group: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each candidate's overlap, and the best of each run of equal ``group`` (an intent,
        or a segment's intent): where the positive runs start, their groups, their best."""
        precision = shared / known
        recall = shared / self.totals[candidates]
        overlap = 2 * precision * recall / (precision + recall)
        # Keys ascend, and examples are grouped by intent: each (segment, intent) is a run.
        starts = np.concatenate((_FIRST, np.flatnonzero(group[1:] != group[:-1]) + 1))
        best = np.maximum.reduceat(overlap, starts)
        positive = best > 0
        return starts[positive], group[starts][positive], best[positive]

    def _keyed_sums(
        self, rows: list[np.ndarray], picks: list[np.ndarray]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For several segments (each its ``rows``, and of them the ``picks`` that make
        candidates): the candidates' keys (segment * examples + example, ascending),
        their shared weights, and each segment's weight per intent, as one vector
        (segment * intents + intent)."""
        rows_all = np.concatenate(rows)
        owner = np.repeat(np.arange(len(rows)), [len(r) for r in rows])
        examples, intents = len(self.intent_of), self.term_intents.width
        picker = np.repeat(np.arange(len(picks)), [len(p) for p in picks])
        columns, _, lengths = self.by_term.cells_of(np.concatenate(picks))
        used = np.zeros(len(rows) * examples, dtype=bool)
        used[_keyed(columns, picker, lengths, examples)] = True
        keys = np.flatnonzero(used)
        columns, values, lengths = self.by_term.cells_of(rows_all)
        key = _keyed(columns, owner, lengths, examples)
        shared = np.bincount(key, values, minlength=len(rows) * examples)[keys]
        columns, values, lengths = self.term_intents.cells_of(rows_all)
        key = _keyed(columns, owner, lengths, intents)
        return keys, shared, np.bincount(key, values, minlength=len(rows) * intents)


def _keyed(columns: np.ndarray, owners: np.ndarray, lengths: np.ndarray, width: int) -> np.ndarray:
    """Each cell's key: its row's owner (segment) times ``width``, plus its column."""
    return np.repeat(owners * width, lengths) + columns
