"""Class-level views of a set of results: a terminal table and a summary."""

from __future__ import annotations

import statistics
from collections import Counter

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .rubric import Rubric


def class_table(rubric: Rubric, results: dict[str, dict], title: str | None = None) -> Table:
    table = Table(title=title or f"{rubric.assignment}: {rubric.title}", show_lines=False)
    table.add_column("submission", style="bold", no_wrap=True)
    table.add_column(f"score\n/{rubric.auto_points:g}", justify="right", no_wrap=True)
    for number, checkpoint in enumerate(rubric.checkpoints, start=1):
        table.add_column(f"c{number}\n/{checkpoint.points:g}", justify="right", no_wrap=True)
    table.add_column("notes", no_wrap=True, overflow="ellipsis", max_width=60)
    legend = ", ".join(f"c{n} {c.id}" for n, c in enumerate(rubric.checkpoints, start=1))
    table.caption = f"checkpoints: {legend}"
    for name in sorted(results):
        result = results[name]
        extra = result.get("extra_data", {})
        by_id = {c["id"]: c for c in extra.get("checkpoints", [])}
        cells = []
        for checkpoint in rubric.checkpoints:
            score = by_id.get(checkpoint.id, {}).get("score", 0.0)
            style = "green" if score >= checkpoint.points else ("yellow" if score > 0 else "red")
            cells.append(f"[{style}]{score:g}[/{style}]")
        table.add_row(escape(name), f"{result['score']:g}", *cells, escape(notes_for(result)))
    return table


def compact(result: dict) -> dict:
    """What the class table reads of a result, in the result's own shape: a class of thousands is held
    in memory as these while it is graded, the full results being on disk."""
    extra = result.get("extra_data", {})
    return {"score": result["score"], "extra_data": {
        "checkpoints": [{"id": c["id"], "score": c["score"]} for c in extra.get("checkpoints", [])],
        "misconceptions": [{"id": m["id"]} for m in extra.get("misconceptions", [])],
        "limits": [{"kind": i["kind"], "what": i["what"]} for i in extra.get("limits", [])],
        "grader_failure": extra.get("grader_failure", False),
        "problems": extra.get("problems", [])[:1]}}


class ClassTally:
    """Per-checkpoint means and full marks and the misconceptions of a class, added up one result at a time,
    so a class of any size is summed up in the same memory."""

    def __init__(self, rubric: Rubric):
        self.rubric = rubric
        self.points = {c.id: c.points for c in rubric.checkpoints}
        self.count = 0
        self.total = 0.0
        self.sums = Counter()
        self.full = Counter()
        self.misconceptions = Counter()

    def add(self, result: dict) -> None:
        extra = result.get("extra_data", {})
        self.count += 1
        self.total += result["score"]
        for checkpoint in extra.get("checkpoints", []):
            self.sums[checkpoint["id"]] += checkpoint["score"]
            self.full[checkpoint["id"]] += checkpoint["score"] >= self.points.get(checkpoint["id"], float("inf"))
        self.misconceptions.update(m["id"] for m in extra.get("misconceptions", []))

    def mean(self, checkpoint_id: str) -> float:
        return self.sums[checkpoint_id] / max(1, self.count)

    def table(self) -> Table:
        table = Table(title=f"{self.rubric.assignment}: {self.count} submissions, mean "
                            f"{self.total / max(1, self.count):.1f} of {self.rubric.auto_points:g}")
        for column in ("checkpoint", "max", "mean", "full marks"):
            table.add_column(column, justify="left" if column == "checkpoint" else "right", no_wrap=True)
        for checkpoint in self.rubric.checkpoints:
            table.add_row(checkpoint.id, f"{checkpoint.points:g}", f"{self.mean(checkpoint.id):.2f}",
                          str(self.full[checkpoint.id]))
        for misconception, students in self.misconceptions.most_common():
            table.add_row(f"[dim]misconception[/dim] {escape(misconception)}", "", "", f"{students} students")
        return table


def notes_for(result: dict) -> str:
    extra = result.get("extra_data", {})
    notes = [m["id"] for m in extra.get("misconceptions", [])]
    notes += [f"{i['kind']}: {i['what']}" for i in extra.get("limits", [])]
    if extra.get("grader_failure"):
        notes.append("grader failure")
    if not notes and extra.get("problems"):
        notes.append(extra["problems"][0])
    return ", ".join(notes)


def summary(rubric: Rubric, results: dict[str, dict], seed: int) -> dict:
    scores = [r["score"] for r in results.values()]
    tally = ClassTally(rubric)
    for result in results.values():
        tally.add(result)
    misconceptions = tally.misconceptions
    per_checkpoint = {
        checkpoint.id: {"max_score": checkpoint.points,
                        "mean": round(tally.mean(checkpoint.id), 2),
                        "full_marks": tally.full[checkpoint.id]}
        for checkpoint in rubric.checkpoints}
    return {
        "assignment": rubric.assignment,
        "submissions": len(results),
        "seed": seed,
        "auto_points": rubric.auto_points,
        "mean": round(statistics.fmean(scores), 2) if scores else 0.0,
        "median": statistics.median(scores) if scores else 0.0,
        "full_marks": sum(s >= rubric.auto_points for s in scores),
        "zero": sum(s == 0 for s in scores),
        "checkpoints": per_checkpoint,
        "misconceptions": dict(misconceptions.most_common()),
        "misconception_messages": {m.id: m.message for m in rubric.misconceptions if m.id in misconceptions},
        "scores": {name: results[name]["score"] for name in sorted(results)},
    }


def summary_markdown(report: dict) -> str:
    lines = [
        f"# {report['assignment']}: class summary",
        "",
        f"- submissions: {report['submissions']}",
        f"- mean {report['mean']:g}, median {report['median']:g} of {report['auto_points']:g} auto-graded points",
        f"- full marks: {report['full_marks']}, zero: {report['zero']}",
        "",
        "| checkpoint | max | mean | full marks |",
        "| --- | ---: | ---: | ---: |",
    ]
    for checkpoint_id, row in report["checkpoints"].items():
        lines.append(f"| {checkpoint_id} | {row['max_score']:g} | {row['mean']:g} | {row['full_marks']} |")
    if report["misconceptions"]:
        messages = report["misconception_messages"]
        lines += ["", "| misconception | what it tells the student | students |", "| --- | --- | ---: |"]
        lines += [f"| {key} | {messages[key].replace('|', '&#124;')} | {count} |"
                  for key, count in report["misconceptions"].items()]
    return "\n".join(lines) + "\n"


def print_table(table: Table, console: Console) -> None:
    """Prints wide tables whole even when the output is not a terminal."""
    width = console.width if console.is_terminal else 200
    Console(width=width, force_terminal=console.is_terminal).print(table)
