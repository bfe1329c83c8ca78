"""Choose the matcher's answer thresholds from a sweep over labelled sets, not by hand.

Each message is scored once; only the banding (answer, suggest, fall back) depends on
the thresholds, so every setting in the grid is judged on the same ranked candidates.
A setting's value counts a wrong confident answer double: "I'm not sure" with the
helpdesk's number costs the person a minute, a wrong answer can cost them their morning.
A "did you mean" counts half when it is one tap from the right outcome: it offers the
right answer, or (for a question that is not ours) "none of these" and the helpdesk.

Sweep the team's own sets (``tests/data/eval*.yaml``) and check the result on the staff
messages, which must stay out of the tuning to keep measuring anything.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from itertools import product

from bot.core.matcher import Band, Match, Matcher, Thresholds
from bot.core.redact import redact
from bot.evaluation import Case, EvalSetInvalid

WRONG_ANSWER_COST = 2.0
ONE_TAP = 0.5
ANSWER = [round(0.20 + 0.02 * i, 2) for i in range(21)]  # 0.20 .. 0.60
SUGGEST = [round(0.09 + 0.03 * i, 2) for i in range(15)]  # 0.09 .. 0.51
MARGIN = [round(0.02 * i, 2) for i in range(13)]  # 0.00 .. 0.24
# How much of a score comes from the trained model, the rest from word overlap: it
# changes the ranking itself, so each share is scored anew.
SHARE = [0.4, 0.5, 0.6, 0.7, 0.8]
TIE = 0.005  # half a message in a hundred: differences below this are noise


@dataclass(frozen=True)
class Setting:
    thresholds: Thresholds
    right: float  # in-scope messages answered outright with the right intent
    wrong: float  # in-scope messages answered outright with a wrong intent
    fallback: float  # out-of-scope messages that fell back
    leaked: float  # out-of-scope messages answered outright
    offered: float = 0.0  # in-scope messages offered the right intent as "did you mean"
    asked: float = 0.0  # out-of-scope messages given a "did you mean" ("none" falls back)

    @property
    def value(self) -> float:
        # A "did you mean" that holds the right answer, or for a question not ours one
        # whose "none of these" gives the helpdesk, is half: one more tap for the person.
        gained = self.right + self.fallback + ONE_TAP * (self.offered + self.asked)
        return gained - WRONG_ANSWER_COST * (self.wrong + self.leaked)


def sweep(matcher: Matcher, cases: list[Case]) -> list[Setting]:
    """Every setting of the grid, best first (near-ties: the most right answers first)."""
    _require(cases)
    texts = [redact(case.text) for case in cases]
    settings = []
    by_share: dict[float, tuple[Matcher, list[tuple[Case, Match]]]] = {}
    for share in SHARE:
        scorer = matcher.with_thresholds(replace(matcher.thresholds, classifier_share=share))
        matches = [(case, scorer.match(text)) for case, text in zip(cases, texts, strict=True)]
        for answer, suggest, margin in product(ANSWER, SUGGEST, MARGIN):
            if suggest > answer:
                continue
            # Agreement and a clear lead off (their bars equal the plain ones) while the
            # plain bars are chosen.
            t = replace(
                scorer.thresholds,
                answer=answer,
                suggest=suggest,
                margin=margin,
                agreed_answer=answer,
                agreed_margin=margin,
            ).without_clear_lead()
            settings.append(_judge(scorer, t, matches))
        by_share[share] = (scorer, matches)
    # Then, with the plain bars fixed, how much lower they may be when every view agrees
    # (a second pass: the whole grid at once would be 40 times slower).
    plain = _ordered(settings)[0].thresholds
    scorer, matches = by_share[plain.classifier_share]
    settings += _agreement(scorer, plain, matches)
    # Last, with those fixed, how much lower the bar may be when the first candidate is
    # far ahead of the rest.
    agreed = _ordered(settings)[0].thresholds
    settings += _clear(scorer, agreed, matches)
    return _ordered(settings)


def sweep_agreement(matcher: Matcher, cases: list[Case]) -> list[Setting]:
    """The agreed bars alone, at the matcher's own plain bars and share, best first."""
    return _ordered(_agreement(matcher, matcher.thresholds, _matched(matcher, cases)))


def sweep_clear(matcher: Matcher, cases: list[Case]) -> list[Setting]:
    """The clear-lead bars alone, at the matcher's own plain and agreed bars, best first."""
    return _ordered(_clear(matcher, matcher.thresholds, _matched(matcher, cases)))


def _matched(matcher: Matcher, cases: list[Case]) -> list[tuple[Case, Match]]:
    _require(cases)
    return [(case, matcher.match(redact(case.text))) for case in cases]


def _require(cases: list[Case]) -> None:
    if not cases:
        raise EvalSetInvalid("no cases to sweep over")


def _agreement(
    scorer: Matcher, plain: Thresholds, matches: list[tuple[Case, Match]]
) -> list[Setting]:
    return [
        _judge(scorer, replace(plain, agreed_answer=answer, agreed_margin=margin), matches)
        for answer, margin in product(ANSWER, MARGIN)
        if plain.suggest <= answer <= plain.answer and margin <= plain.margin
    ]


def _clear(scorer: Matcher, fixed: Thresholds, matches: list[tuple[Case, Match]]) -> list[Setting]:
    # A lower bar, but a wider lead: between the suggestion bar and the plain answer bar.
    return [
        _judge(scorer, replace(fixed, clear_answer=answer, clear_margin=margin), matches)
        for answer, margin in product(ANSWER, MARGIN)
        if fixed.suggest <= answer <= fixed.answer and margin >= fixed.margin
    ]


def _ordered(settings: list[Setting]) -> list[Setting]:
    """Best first. Settings within TIE of the best are as good as measured: of those,
    the one that answers most people right away comes first (its extra answers cost no
    more than they gain, and an answer is what someone locked out wants)."""
    best = max(s.value for s in settings)

    def order(s: Setting) -> tuple[bool, float, float]:
        tied = s.value >= best - TIE
        return (not tied, -s.right if tied else 0.0, -s.value)

    return sorted(settings, key=order)


def judge(matcher: Matcher, cases: list[Case]) -> Setting:
    """The matcher's own thresholds, judged the same way."""
    return _judge(matcher, matcher.thresholds, [(c, matcher.match(redact(c.text))) for c in cases])


def _judge(matcher: Matcher, t: Thresholds, matches: list[tuple[Case, Match]]) -> Setting:
    right = wrong = fallback = leaked = offered = asked = 0
    ours = sum(1 for case, _ in matches if case.intent is not None)
    in_scope, out_scope = max(ours, 1), max(len(matches) - ours, 1)
    for case, match in matches:
        band = matcher.band_of(match, t)
        best = match.best.intent if match.best else None
        if case.intent is None:
            fallback += band is Band.FALLBACK
            leaked += band is Band.ANSWER
            asked += band is Band.SUGGEST
        elif band is Band.ANSWER:
            right += best == case.intent
            wrong += best != case.intent
        elif band is Band.SUGGEST:
            offered += case.intent in {c.intent for c in matcher.suggestions(match, t)}
    return Setting(
        t,
        right / in_scope,
        wrong / in_scope,
        fallback / out_scope,
        leaked / out_scope,
        offered / in_scope,
        asked / out_scope,
    )


def format_sweep(settings: list[Setting], current: Setting, top: int = 8) -> str:
    lines = [
        f"value = right + fallback + {ONE_TAP:g} x (offered + asked)"
        f" - {WRONG_ANSWER_COST:g} x (wrong + leaked)",
        f"{'share':>5} {'answer':>6} {'suggest':>7} {'margin':>6} {'agreed':>6} {'margin':>6} "
        f"{'clear':>6} {'margin':>6} {'right':>6} {'offerd':>6} {'wrong':>6} {'fallbk':>6} "
        f"{'leaked':>6} {'value':>6}",
    ]
    for label, s in [("current", current)] + [("", s) for s in settings[:top]]:
        t = s.thresholds
        lines.append(
            f"{t.classifier_share:5.2f} {t.answer:6.2f} {t.suggest:7.2f} {t.margin:6.2f} "
            f"{t.agreed_answer:6.2f} {t.agreed_margin:6.2f} "
            f"{t.clear_answer:6.2f} {t.clear_margin:6.2f} "
            f"{s.right:6.1%} {s.offered:6.1%} "
            f"{s.wrong:6.1%} "
            f"{s.fallback:6.1%} {s.leaked:6.1%} {s.value:6.3f} {label}"
        )
    return "\n".join(lines)
