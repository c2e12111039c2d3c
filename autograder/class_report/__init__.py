"""`atomgpt report`: a self-contained HTML class report with plots, for one assignment or the whole course.

From the results files and nbgrader's gradebook: per assignment the score
distribution, each checkpoint's mean and share of full marks, the
misconceptions students showed (with their sentence and who), limit hits
and grader failures, answers waiting for hand grading, similar pairs when
`atomgpt similarity` found some, and every student linked to their
feedback; for the course a students x assignments heat map and the students
whose scores fell most. `gather` reads, `plots` draws, the template lays out.
"""

from __future__ import annotations

import statistics
from pathlib import Path

import jinja2

from ..course import Assignment
from . import plots
from .gather import AssignmentData, ClassData, gather

REPORT = "report.html"
HEAT_MAP_ROWS = 100  # a larger class's heat map shows the students with the lowest mean share
TEMPLATE = jinja2.Environment(loader=jinja2.PackageLoader("autograder.class_report", ""), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True
                              ).get_template("report.html.j2")


def write_report(course: Path, assignments: list[Assignment], out: Path) -> Path:
    """Writes out/report.html about these assignments of the course; returns its path."""
    out = out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    data = gather(course.resolve(), assignments, out)
    page = out / REPORT
    page.write_text(render(data), encoding="utf-8")
    return page


def render(data: ClassData) -> str:
    title = (f"{data.assignments[0].id}: {data.assignments[0].assignment.rubric.title}"
             if len(data.assignments) == 1 else data.course.name)
    return TEMPLATE.render(title=title, course=str(data.course), students=len(data.names), names=data.names,
                           course_view=course_view(data), assignments=[assignment_view(a) for a in data.assignments])


def course_view(data: ClassData) -> dict | None:
    """The heat map and the falls, for a report of two or more assignments with results."""
    graded = [a for a in data.assignments if a.results]
    if len(graded) < 2:
        return None
    graded_data = ClassData(data.course, graded, data.names)
    shares, students = graded_data.shares(), graded_data.heat_map_students(HEAT_MAP_ROWS)
    grid = [[shares[s].get(a.id) for a in graded] for s in students]
    return {"heat_map": plots.heat_map([data.names[s] for s in students], [a.id for a in graded], grid),
            "heat_map_rows": len(students), "fell": graded_data.fell_most()}


def assignment_view(data: AssignmentData) -> dict:
    scores = data.scores()
    view = {"id": data.id, "title": data.assignment.rubric.title, "count": len(scores), "points": data.points}
    if not scores:
        return view
    checkpoints = data.checkpoint_rows()
    return {**view, "mean": statistics.fmean(scores), "median": statistics.median(scores),
            "full_marks": sum(s >= data.points for s in scores), "zero": sum(s == 0 for s in scores),
            "distribution": plots.score_distribution(scores, data.points), "checkpoints": checkpoints,
            "checkpoint_bars": plots.checkpoint_bars(checkpoints), "misconceptions": data.misconceptions(),
            "troubles": data.troubles(), "waiting": data.waiting, "similar": data.similar,
            "feedback": data.feedback, "feedback_written": data.feedback_written,
            "students": sorted(data.results.values(), key=lambda r: (r.score, r.student))}
