"""An engine result written into the notebook nbgrader keeps in `autograded/`.

Each checks cell gets one result: its checkpoint's score as plain text, the
way nbgrader reads partial credit, and the checkpoint's feedback as HTML
that wraps, which nbgrader's feedback page and formgrader both show in its
place (so no bare score box). Each graded cell carries its title for the
feedback page's list of links (`feedback`). A report cell at the top sums
up the run; after each hand-graded answer a note gives graders its rubric,
and feedback leaves that note out. Text that came from the student's code
is HTML-escaped, so nothing in it can act in the formgrader's or the
student's browser.
"""

from __future__ import annotations

import html

import nbformat
from nbgrader import utils

from ..release_info import KEY
from ..rubric import Rubric

REPORT = "atomgpt-report"
GRADER_ONLY = "atomgpt-grader-only"
FEEDBACK_CLASS = "atomgpt-feedback"  # the engine's text on a page
WRAPPING = "white-space: pre-wrap; overflow-wrap: anywhere"  # inline: the feedback page and formgrader's alike


def escaped(text: str, heading: str = "") -> str:
    """The engine's text as HTML that keeps its line breaks and wraps long lines at the box's edge."""
    title = f"<strong>{html.escape(heading)}</strong>\n" if heading else ""
    return f'<div class="{FEEDBACK_CLASS}" style="{WRAPPING}">{title}{html.escape(text)}</div>'


def markdown_note(cell_id: str, tag: str, heading: str, body: str):
    return nbformat.from_dict({"cell_type": "markdown", "id": cell_id, "metadata": {"tags": [tag]},
                               "source": f"**{heading}**\n\n{escaped(body)}"})


def is_checks_cell(cell) -> bool:
    """A locked code cell that earns points: nbgrader scores it from its outputs."""
    return utils.is_grade(cell) and cell.cell_type == "code" and not utils.is_solution(cell)


def checkpoint_feedback(result: dict) -> dict[str, dict]:
    """Checkpoint id -> its test entry (score, max_score, output) in the result."""
    return {c["id"]: test for c, test in zip(result["extra_data"]["checkpoints"], result["tests"], strict=True)}


def score_cell(cell, test: dict | None) -> None:
    """One output nbgrader scores: the points as the cell's plain value, the feedback as its HTML face."""
    points = float(cell.metadata["nbgrader"].get("points", 0))
    if test is None:  # a grade cell the rubric does not know: never free points
        score, heading, text = 0.0, "", "This cell is not graded by the course's rubric; it scores 0."
    else:
        score = min(max(float(test["score"]), 0.0), points)
        heading, text = f"{test['name']}: {score:g} of {points:g} points", test["output"]
    cell.outputs = nbformat.from_dict([
        {"output_type": "execute_result", "metadata": {}, "execution_count": None,
         "data": {"text/plain": f"{score:.12g}", "text/html": escaped(text.rstrip("\n"), heading)}},
    ])


def set_title(cell, title: str) -> None:
    cell.metadata[KEY] = {"title": title}  # graded cells: the feedback links' labels


def record_result(notebook, result: dict, rubric: Rubric):
    """The graded notebook: scores in the checks cells, a report on top, rubric notes for graders."""
    tests = checkpoint_feedback(result)
    manual = {m.id: m for m in rubric.manual}
    titles = {c.id: c.title for c in rubric.checkpoints}
    cells = [markdown_note(REPORT, REPORT, "Autograder report (your code ran in a sandbox; hidden tests "
                           "are not shown)", result["output"])]
    for cell in notebook.cells:
        cells.append(cell)
        if not utils.is_grade(cell):
            continue
        grade_id = cell.metadata["nbgrader"]["grade_id"]
        if is_checks_cell(cell):
            score_cell(cell, tests.get(grade_id))
            if grade_id in titles:
                set_title(cell, titles[grade_id])
        elif grade_id in manual:
            question = manual[grade_id]
            set_title(cell, f"Short answer {grade_id.upper()}")
            cells.append(markdown_note(
                f"{GRADER_ONLY}-{grade_id}", GRADER_ONLY,
                f"Rubric for {grade_id} ({question.points:g} points), for graders only: "
                "not shown in student feedback", question.rubric))
    notebook.cells = cells
    return notebook


def unscored(notebook):
    """A notebook the rubric does not cover: every checks cell scores 0 (an empty one would get full points)."""
    for cell in notebook.cells:
        if is_checks_cell(cell):
            score_cell(cell, None)
    return notebook


def without_grader_notes(notebook):
    notebook.cells = [c for c in notebook.cells if GRADER_ONLY not in c.get("metadata", {}).get("tags", [])]
    return notebook


def cell_grades(notebook) -> dict[str, float | None]:
    """Grade id -> auto score, read exactly as nbgrader's SaveAutoGrades reads it."""
    return {cell.metadata["nbgrader"]["grade_id"]: utils.determine_grade(cell)[0]
            for cell in notebook.cells if utils.is_grade(cell)}


def cell_comments(notebook) -> dict[str, str | None]:
    """Grade id -> nbgrader's automatic comment ("No response." for an untouched answer)."""
    comments = {}
    for cell in notebook.cells:
        if utils.is_solution(cell) or utils.is_task(cell):
            untouched = cell.metadata["nbgrader"].get("checksum") == utils.compute_checksum(cell)
            comments[cell.metadata["nbgrader"]["grade_id"]] = (
                "No response." if untouched and not utils.is_task(cell) else None)
    return comments
