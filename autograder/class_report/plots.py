"""The report's plots, drawn by matplotlib and embedded as SVG data URIs: the page fetches nothing to show them.

Figures are made without pyplot (no global state, no display needed), with
text left as text and fixed ids and no date, so the same class draws the
same bytes.
"""

from __future__ import annotations

import base64
import io
import math

import matplotlib
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure

STYLE = {"svg.fonttype": "none", "svg.hashsalt": "atomgpt-class-report", "font.size": 9,
         "axes.spines.top": False, "axes.spines.right": False,
         "text.parse_math": False}  # a "$" in a student's name is a dollar sign, not the start of a formula
SCORES = LinearSegmentedColormap.from_list("scores", ["#c0392b", "#f1c40f", "#27ae60"])  # none, some, all points
ROW_INCHES = 0.24  # height of one student's row in the heat map


def data_uri(figure: Figure) -> str:
    with matplotlib.rc_context(STYLE):
        buffer = io.BytesIO()
        figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def styled(width: float, height: float) -> Figure:
    with matplotlib.rc_context(STYLE):
        return Figure(figsize=(width, height), layout="constrained")


def score_distribution(scores: list[float], points: float) -> str:
    """How many students got how many points, with the mean and the median marked."""
    figure = styled(6, 2.8)
    with matplotlib.rc_context(STYLE):
        axes = figure.add_subplot()
        bins = [points * i / 20 for i in range(21)]
        axes.hist(scores, bins=bins, color="#2c7fb8", edgecolor="white")
        ordered = sorted(scores)
        middle = (ordered[(len(ordered) - 1) // 2] + ordered[len(ordered) // 2]) / 2
        axes.axvline(sum(scores) / len(scores), color="#333333", linestyle="--", label="mean")
        axes.axvline(middle, color="#e67e22", linestyle=":", label="median")
        axes.set_xlim(0, points)
        axes.set_xlabel(f"score (of {points:g} auto-graded points)")
        axes.set_ylabel("students")
        axes.yaxis.get_major_locator().set_params(integer=True)
        axes.legend(frameon=False, loc="lower right", ncols=2, bbox_to_anchor=(1, 1))
    return data_uri(figure)


def checkpoint_bars(rows: list[dict]) -> str:
    """Per checkpoint, the mean score and the share of students with full marks, as shares of its points."""
    figure = styled(6, 0.9 + 0.42 * len(rows))
    with matplotlib.rc_context(STYLE):
        axes = figure.add_subplot()
        places = range(len(rows))
        axes.barh([p + 0.2 for p in places], [r["mean"] / r["points"] for r in rows], height=0.4,
                  color="#2c7fb8", label="mean score")
        axes.barh([p - 0.2 for p in places], [r["full"] for r in rows], height=0.4, color="#7fcdbb",
                  label="full marks")
        axes.set_yticks(list(places), [r["title"] for r in rows])
        axes.invert_yaxis()
        axes.set_xlim(0, 1)
        axes.xaxis.set_major_formatter(lambda value, _: f"{value:.0%}")
        axes.set_xlabel("share of the checkpoint's points / of students")
        axes.legend(frameon=False, loc="lower right", ncols=2, bbox_to_anchor=(1, 1))
    return data_uri(figure)


def heat_map(students: list[str], assignments: list[str], shares: list[list[float | None]]) -> str:
    """Students x assignments, each cell the share of auto-graded points; a blank cell is no result."""
    figure = styled(1.8 + 0.75 * len(assignments), 0.9 + ROW_INCHES * len(students))
    with matplotlib.rc_context(STYLE):
        axes = figure.add_subplot()
        grid = [[math.nan if share is None else share for share in row] for row in shares]
        image = axes.imshow(grid, cmap=SCORES, vmin=0, vmax=1, aspect="auto", interpolation="nearest")
        axes.set_xticks(range(len(assignments)), assignments, rotation=30, ha="right")
        axes.set_yticks(range(len(students)), students)
        axes.tick_params(length=0)
        for spine in axes.spines.values():
            spine.set_visible(False)
        for row, values in enumerate(shares):
            for column, share in enumerate(values):
                axes.text(column, row, "–" if share is None else f"{share:.0%}", ha="center", va="center",
                          fontsize=7, color="#222222")
        figure.colorbar(image, ax=axes, shrink=0.6, format=lambda value, _: f"{value:.0%}",
                        label="share of auto-graded points")
    return data_uri(figure)
