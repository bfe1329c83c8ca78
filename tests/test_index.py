"""The overlap index's compiled kernel (``bot.core._overlap``): numpy's scores, to the bit.

The matcher's answers are held to a plain computation in ``test_matcher_scale.py``, both
ways; here the kernel's raw scores are compared with numpy's, double for double, where a
rounded score would hide a difference, and its inputs are checked, not trusted.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

import bot.core.index
from bot.benchdata import generate
from bot.content.loader import load_content
from bot.core.matcher import Matcher
from bot.core.redact import redact
from tests.test_matcher_scale import team_texts

needs_kernel = pytest.mark.skipif(
    bot.core.index._overlap is None, reason="the compiled overlap kernel was not built"
)


def scores_both_ways(matcher: Matcher, text: str) -> tuple[bytes, bytes]:
    """The first segment's and the other segments' scores per intent, compiled and by
    numpy, as bytes."""
    found = []
    for kernel in (bot.core.index._overlap, None):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(bot.core.index, "_overlap", kernel)
            best = np.zeros(len(matcher._intent_ids))
            substantive, _ = matcher._score_segments(matcher.segments(text), best)
        found.append(best.tobytes() + substantive.tobytes())
    return found[0], found[1]


@needs_kernel
def test_the_kernel_scores_every_team_text_as_numpy_does_to_the_bit(knowledge) -> None:
    matcher = knowledge.matcher
    texts = [redact(t) for t in team_texts()]
    differing = [t for t in texts if len(set(scores_both_ways(matcher, t))) != 1]
    assert not differing, f"{len(differing)} of {len(texts)} differ, e.g. {differing[:3]}"


@needs_kernel
def test_the_kernel_scores_a_big_knowledge_base_as_numpy_does_to_the_bit(tmp_path: Path) -> None:
    generate(3000, tmp_path)
    content = load_content(tmp_path / "intents", tmp_path / "knowledge")
    matcher = Matcher(content)
    texts = [e for i in content.intents.values() for e in i.examples[:2]]
    thirds = zip(texts[::5], texts[1::5], texts[2::5], strict=False)
    texts += [f"{a}. {b}, {c}" for a, b, c in thirds]
    texts += ["who are you", "thanks", "printer", "", "zzzz qqqq"]
    differing = [t for t in texts if len(set(scores_both_ways(matcher, t))) != 1]
    assert not differing, f"{len(differing)} of {len(texts)} differ, e.g. {differing[:3]}"


@needs_kernel
def test_the_kernel_refuses_what_is_not_an_index_and_its_segments_and_changes_nothing(
    knowledge,
) -> None:
    index = knowledge.matcher._index
    by, ti = index.by_term, index.term_intents
    intents = len(knowledge.matcher._near_miss)
    busiest = int(np.argmax(np.diff(by.starts)))  # the term most examples use
    segment = ([busiest], 1.0, True, 1.0, 1.0)
    best = np.zeros(intents)

    def score(segments: list[object] | None = None, **changed: np.ndarray) -> None:
        arrays = {
            "by_starts": by.starts, "by_examples": by.columns, "by_weights": by.values,
            "totals": index.totals, "intent_of": index.intent_of, "ti_starts": ti.starts,
            "ti_intents": ti.columns, "ti_weights": ti.values, "topical": index.topical,
            "near_miss": knowledge.matcher._near_miss, "best": best,
            "substantive": np.zeros(intents),
        }  # fmt: skip
        arrays.update(changed)
        best[:] = 0
        bot.core.index._overlap.raise_scores(*arrays.values(), segments or [segment])

    score()  # as the matcher calls it
    assert best.any()
    wrong_type = {
        "by_weights": by.values.astype(np.float32),
        "by_examples": by.columns.astype(np.int64),
        "ti_intents": ti.columns.astype(np.uint32),
        "totals": index.totals.astype(">f8"),  # another machine's byte order
        "best": np.zeros((1, intents)),
    }
    for name, array in wrong_type.items():
        with pytest.raises(TypeError):
            score(**{name: array})
    # Ids and rows out of range: refused, never read or written past an array's end.
    examples = by.columns.copy()
    examples[by.starts[busiest]] = 10**9
    starts = by.starts.copy()
    starts[busiest + 1] = len(by.columns) + 100
    owners = index.intent_of.copy()
    owners[examples[by.starts[busiest] + 1]] = 10**6
    for changed in ({"by_examples": examples}, {"by_starts": starts}, {"intent_of": owners}):
        with pytest.raises(ValueError, match="not one index's"):
            score(**changed)
    with pytest.raises(ValueError, match="fit together"):
        score(by_weights=by.values[:-1], best=np.zeros(intents - 1))
    # A bad segment anywhere: refused before any score is raised.
    bad_segments = [
        ([1, 0], 1.0, False, 1.0, 1.0),
        ([10**9], 1.0, False, 1.0, 1.0),
        ([2.0], 1.0, False, 1.0, 1.0),
        ([0], 1.0, 1, 1.0, 1.0),  # short: a bool, not a number
        ([0], "1", False, 1.0, 1.0),
        [[0], 1.0, False, 1.0, 1.0],  # a list, not a tuple
    ]
    for bad in bad_segments:
        with pytest.raises((TypeError, ValueError)):
            score([segment, bad])
        assert not best.any()


def test_where_there_is_a_c_compiler_the_kernel_is_built() -> None:
    # The install (make) builds it, and only says so in a warning when it cannot: a
    # compiler present and no kernel means matching is quietly twice as slow.
    if not (shutil.which("cc") or shutil.which("gcc")):
        pytest.skip("no C compiler here: numpy scores word overlap")
    assert bot.core.index._overlap is not None
