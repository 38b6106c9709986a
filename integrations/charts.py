"""Charts as PNG: the support chart of the weekly digest and `/support stats`, drawn with
matplotlib on the Agg backend from the JSON spec `bot.insights.charts` builds.

matplotlib is imported once, when this module is (at start-up, by the dispatcher), and the
figure is drawn through `matplotlib.figure.Figure` directly (no pyplot global state, so the
dispatcher's threads may draw at once): a small figure at a modest dpi renders in tens of ms.
"""

from __future__ import annotations

import io
from typing import Any

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402 - after choosing the backend

WIDTH, HEIGHT, DPI = 10.0, 3.2, 72
LABEL = 16  # characters of a tag or team name shown
COLOURS = ["#2c7fb8", "#f03b20", "#31a354", "#756bb1", "#fd8d3c"]


def render(spec: dict[str, Any]) -> bytes:
    """The chart of a spec as PNG bytes: tickets per week, SLA attainment, shifts per team."""
    figure = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI)
    weekly, sla, shifts = figure.subplots(1, 3, gridspec_kw={"width_ratios": [2.2, 1, 1.6]})
    _weekly(weekly, spec)
    _sla(sla, spec.get("sla") or {})
    _shifts(shifts, spec.get("teams") or [])
    figure.suptitle(_short(str(spec.get("title") or "Support"), 80), fontsize=11)
    # A fixed layout (labels are cut to LABEL characters): tight_layout would draw twice.
    figure.subplots_adjust(left=0.04, right=0.99, bottom=0.22, top=0.82, wspace=0.6)
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI)
    return out.getvalue()


def _weekly(axes: Any, spec: dict[str, Any]) -> None:
    weeks = [str(w) for w in spec.get("weeks") or []]
    x = list(range(len(weeks)))
    total = spec.get("total") or []
    if total:
        axes.plot(x, total, color="#555555", linestyle="--", linewidth=1.2, label="all")
    for index, series in enumerate(spec.get("series") or []):
        colour = COLOURS[index % len(COLOURS)]
        name = _short(str(series["name"]), LABEL)
        axes.plot(x, series["counts"], marker="o", markersize=3, color=colour, label=name)
    axes.set_title("Tickets per week", fontsize=9)
    axes.set_xticks(x, weeks, fontsize=7, rotation=30)
    axes.tick_params(axis="y", labelsize=7)
    axes.set_ylim(bottom=0)
    if total or spec.get("series"):
        axes.legend(fontsize=6, loc="upper left", frameon=False)


def _sla(axes: Any, sla: dict[str, Any]) -> None:
    names = ["First response", "Resolution"]
    rates = [sla.get("response"), sla.get("resolve")]
    values = [100 * r if r is not None else 0 for r in rates]
    bars = axes.bar(names, values, color=["#2c7fb8", "#31a354"])
    for bar, rate in zip(bars, rates, strict=True):
        label = "–" if rate is None else f"{round(100 * rate)}%"
        axes.annotate(label, (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center",
                      va="bottom", fontsize=8)  # fmt: skip
    axes.set_ylim(0, 110)
    axes.set_title("SLA attainment (%)", fontsize=9)
    axes.tick_params(labelsize=7)


def _shifts(axes: Any, teams: list[dict[str, Any]]) -> None:
    names = [_short(str(t["team"]), LABEL) for t in teams] or ["no shifts"]
    staffed = [int(t["staffed"]) for t in teams] or [0]
    missed = [int(t["no_shows"]) for t in teams] or [0]
    y = list(range(len(names)))
    axes.barh(y, staffed, color="#31a354", label="staffed")
    axes.barh(y, missed, left=staffed, color="#f03b20", label="no-show")
    axes.set_yticks(y, names, fontsize=7)
    axes.invert_yaxis()
    axes.set_title("Shifts per team", fontsize=9)
    axes.tick_params(axis="x", labelsize=7)
    if teams:
        axes.legend(
            fontsize=6, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2, frameon=False
        )


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
