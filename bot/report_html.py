"""``helpbot report --html``: the report as one self-contained page with charts.

The charts are drawn by matplotlib as inline SVG; the page loads nothing from anywhere
(its Content-Security-Policy forbids it), so it opens offline and can be emailed.
"""

from __future__ import annotations

import html

from bot.charts import svg
from bot.report import Period, as_text

_CSS = (
    "body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;"
    "color:#212b32}h1{color:#005eb8}figure{margin:1.5rem 0}figcaption{font-weight:600}"
    "li{margin:.2rem 0}"
)


def _daily(p: Period):  # noqa: ANN202
    def draw(axes) -> None:  # noqa: ANN001
        days = [d.strftime("%d %b") for d, _ in p.daily] or ["none"]
        axes.bar(days, [n for _, n in p.daily] or [0], color="#005eb8")
        axes.set_ylabel("questions")
        axes.tick_params(axis="x", labelrotation=45)

    return draw


def _intents(p: Period):  # noqa: ANN202
    def draw(axes) -> None:  # noqa: ANN001
        shown = list(reversed(p.top_intents)) or [("none", 0)]
        axes.barh([i for i, _ in shown], [n for _, n in shown], color="#41b6e6")
        axes.set_xlabel("answers given")

    return draw


def _outcomes(p: Period):  # noqa: ANN202
    def draw(axes) -> None:  # noqa: ANN001
        names = ["answered", "did you mean", "fell back"]
        axes.bar(
            names, [p.answered, p.suggested, p.fell_back], color=["#007f3b", "#ffb81c", "#d5281b"]
        )
        axes.set_ylabel("replies")

    return draw


def page(p: Period) -> str:
    """The whole page, one string."""
    charts = [
        ("Questions per day", _daily(p)),
        ("Top intents", _intents(p)),
        ("Outcomes of the replies", _outcomes(p)),
    ]
    figures = "".join(
        f'<figure class="chart"><figcaption>{html.escape(title)}</figcaption>{svg(draw)}</figure>'
        for title, draw in charts
    )
    facts = "".join(f"<li>{html.escape(line)}</li>" for line in as_text(p))
    policy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
        "<title>helpbot report</title>"
        f"<style>{_CSS}</style></head><body><h1>helpbot report</h1>"
        f'<ul id="figures">{facts}</ul>{figures}</body></html>'
    )
