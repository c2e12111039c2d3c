"""An engine result written into the notebook nbgrader keeps in `autograded/`.

Each checks cell gets its checkpoint's score the way nbgrader reads partial
credit (a number as the cell's result) and the checkpoint's feedback as
printed text. A report cell at the top sums up the run; after each
hand-graded answer a note gives graders its rubric, and feedback leaves
that note out. Text that came from the student's code is HTML-escaped, so
nothing in it can act in the formgrader's or the student's browser.
"""

from __future__ import annotations

import html

import nbformat
from nbgrader import utils

from ..rubric import Rubric

REPORT = "atomgpt-report"
GRADER_ONLY = "atomgpt-grader-only"


def escaped(text: str) -> str:
    return f'<div style="white-space: pre-wrap">{html.escape(text)}</div>'


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
    """Outputs nbgrader scores: printed feedback, then the points as the cell's value."""
    points = float(cell.metadata["nbgrader"].get("points", 0))
    if test is None:  # a grade cell the rubric does not know: never free points
        score, text = 0.0, "This cell is not graded by the course's rubric; it scores 0."
    else:
        score = min(max(float(test["score"]), 0.0), points)
        text = f"{test['name']}: {score:g} of {points:g} points\n{test['output']}"
    cell.outputs = nbformat.from_dict([
        {"output_type": "stream", "name": "stdout", "text": text.rstrip("\n") + "\n"},
        {"output_type": "execute_result", "data": {"text/plain": f"{score:.12g}"}, "metadata": {},
         "execution_count": None},
    ])


def record_result(notebook, result: dict, rubric: Rubric):
    """The graded notebook: scores in the checks cells, a report on top, rubric notes for graders."""
    tests = checkpoint_feedback(result)
    manual = {m.id: m for m in rubric.manual}
    cells = [markdown_note(REPORT, REPORT, "Autograder report (your code ran in a sandbox; hidden tests "
                           "are not shown)", result["output"])]
    for cell in notebook.cells:
        cells.append(cell)
        if not utils.is_grade(cell):
            continue
        grade_id = cell.metadata["nbgrader"]["grade_id"]
        if is_checks_cell(cell):
            score_cell(cell, tests.get(grade_id))
        elif grade_id in manual:
            question = manual[grade_id]
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
