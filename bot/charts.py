"""Charts as inline SVG for helpbot's HTML pages: matplotlib, no display, text kept as text."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any


def svg(draw: Callable[[Any], None], size: tuple[float, float] = (8, 3.2)) -> str:
    """What ``draw`` (given a matplotlib Axes) draws, as an ``<svg>`` element."""
    import matplotlib

    matplotlib.use("Agg")  # no display on a server
    from matplotlib import pyplot

    matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text: small, searchable
    figure, axes = pyplot.subplots(figsize=size)
    try:
        draw(axes)
        figure.tight_layout()
        out = io.StringIO()
        figure.savefig(out, format="svg")
    finally:
        pyplot.close(figure)
    found = out.getvalue()
    return found[found.index("<svg") :]
