"""``helpbot eval --html FILE``: the evaluation as a page, with its confusion matrix drawn.

Rows are what each case expected, columns what the bot did (an answer outright, or
``fallback``/``suggest``); a dark cell off the diagonal is two intents people's words
do not tell apart. Drawn by matplotlib as inline SVG: the page loads nothing.
"""

from __future__ import annotations

import html

from bot.charts import svg
from bot.core.matcher import Band
from bot.eval_compare import format_intent_scores, intent_scores
from bot.evaluation import Outcome, Report, format_report

FALLBACK, SUGGEST = "fallback", "did you mean"


def _did(o: Outcome) -> str:
    if o.band is Band.ANSWER and o.predicted:
        return o.predicted
    return SUGGEST if o.band is Band.SUGGEST else FALLBACK


def matrix(report: Report) -> tuple[list[str], list[str], list[list[int]]]:
    """(expected labels, outcome labels, counts[expected][outcome])."""
    # The same intents in the same order both ways, so right answers form the diagonal.
    intents = sorted({o.case.intent for o in report.outcomes if o.case.intent})
    expected = intents + [FALLBACK]
    others = sorted({_did(o) for o in report.outcomes} - set(intents) - {FALLBACK, SUGGEST})
    did = intents + others + [SUGGEST, FALLBACK]
    counts = [[0] * len(did) for _ in expected]
    for o in report.outcomes:
        counts[expected.index(o.case.intent or FALLBACK)][did.index(_did(o))] += 1
    return expected, did, counts


def _picture(report: Report) -> str:
    rows, columns, counts = matrix(report)
    side = max(6.0, 0.22 * max(len(rows), len(columns)))
    # Each row as shares of its cases, so a rare intent's misses show as clearly.
    shares = [[n / (sum(row) or 1) for n in row] for row in counts]

    def draw(axes) -> None:  # noqa: ANN001 - a matplotlib Axes
        # Cells as shapes, not an embedded bitmap: crisp at any zoom, nothing to load.
        axes.pcolormesh(shares, cmap="Blues", vmin=0, vmax=1, edgecolors="#eeeeee", linewidth=0.3)
        axes.invert_yaxis()
        axes.set_xticks([i + 0.5 for i in range(len(columns))], columns, rotation=90, fontsize=7)
        axes.set_yticks([i + 0.5 for i in range(len(rows))], rows, fontsize=7)
        axes.set_xlabel("what the bot did")
        axes.set_ylabel("what the case expected")

    return svg(draw, size=(side + 2, side))


def page(report: Report) -> str:
    text = format_report(report) + "\n" + "\n".join(format_intent_scores(intent_scores(report)))
    policy = "default-src 'none'; style-src 'unsafe-inline'"
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
        "<title>helpbot eval</title><style>body{font:15px system-ui,sans-serif;margin:2rem}"
        "pre{font-size:13px}</style></head><body><h1>helpbot eval</h1>"
        f'<figure class="confusion"><figcaption>Confusion matrix</figcaption>{_picture(report)}'
        f"</figure><pre>{html.escape(text)}</pre></body></html>"
    )
