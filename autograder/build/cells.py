"""Master notebook cells -> nbgrader cells, as a list of small steps.

Authors tag cells in the text source; each step below turns one kind of tag
into nbgrader's metadata:
- untagged cells are lesson text or provided code: read-only;
- `solution`: code the student writes (BEGIN/END SOLUTION regions);
- `checks:<checkpoint>`: the visible checks of a checkpoint, a grade cell
  worth the checkpoint's points in rubric.toml;
- `manual:<question>`: a hand-graded answer cell worth its points.
The tag `heavy` may be added to any code cell the grader must not run (a
training run, a file written for the grader); it stays in the release.
The notebook also describes itself (`release_info`) and says on top which
Python it needs.
"""

from __future__ import annotations

from collections import Counter

from ..release_info import KEY, REQUIREMENT, describe
from ..rubric import Rubric
from .machine import pin_machine_details

SCHEMA = 3


class NotebookSourceError(Exception):
    """The master notebook and its rubric disagree."""


def role_of(cell) -> tuple[str, str | None]:
    roles = [t for t in cell.metadata.get("tags", []) if t == "solution" or ":" in t]
    if len(roles) > 1:
        raise NotebookSourceError(f"a cell has several roles: {roles}")
    if not roles:
        return "lesson", None
    kind, _, target = roles[0].partition(":")
    if kind not in ("solution", "checks", "manual"):
        raise NotebookSourceError(f"unknown cell tag {roles[0]!r}")
    return kind, target or None


def nbgrader(grade_id: str, *, grade=False, solution=False, locked=False, points=None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": SCHEMA,
            "solution": solution}
    if points is not None:
        meta["points"] = points
    return meta


def mark_cells(notebook, rubric: Rubric) -> None:
    """Gives every cell its nbgrader metadata and a stable id."""
    points = {c.id: c.points for c in rubric.checkpoints} | {m.id: m.points for m in rubric.manual}
    counts: Counter = Counter()
    for cell in notebook.cells:
        kind, target = role_of(cell)
        counts[kind] += 1
        if kind == "lesson":
            grade_id = f"{cell.cell_type}-{counts[kind]:02d}"
            cell.metadata["nbgrader"] = nbgrader(grade_id, locked=True)
        elif kind == "solution":
            grade_id = f"answer-{counts[kind]:02d}"
            cell.metadata["nbgrader"] = nbgrader(grade_id, solution=True)
        else:
            grade_id = target
            if grade_id not in points:
                raise NotebookSourceError(f"cell tagged {kind}:{target} has no entry in rubric.toml")
            cell.metadata["nbgrader"] = nbgrader(
                grade_id, grade=True, solution=(kind == "manual"), locked=(kind == "checks"),
                points=points[grade_id])
        cell.id = grade_id


def check_coverage(notebook, rubric: Rubric) -> None:
    """Each checkpoint has one checks cell, each question one answer cell."""
    found = Counter(role_of(c) for c in notebook.cells)
    expected = [("checks", c.id) for c in rubric.checkpoints] + [("manual", m.id) for m in rubric.manual]
    problems = [f"{kind}:{target} appears {found[(kind, target)]} times, not once"
                for kind, target in expected if found[(kind, target)] != 1]
    if problems:
        raise NotebookSourceError("; ".join(problems))


def set_kernel(notebook, rubric: Rubric) -> None:
    pin_machine_details(notebook)


def describe_release(notebook, rubric: Rubric) -> None:
    """The notebook's description of itself for `atomgpt check`, and the Python it needs, said on top."""
    notebook.metadata[KEY] = describe(rubric)
    first = next(c for c in notebook.cells if c.cell_type == "markdown")
    first.source = f"{first.source.rstrip()}\n\n{REQUIREMENT}"


STEPS = [check_coverage, mark_cells, set_kernel, describe_release]


def course_notebook(notebook, rubric: Rubric):
    """Applies every step in order; the result is nbgrader's `source/` notebook."""
    for step in STEPS:
        step(notebook, rubric)
    return notebook
