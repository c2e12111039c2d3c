"""What Jupyter and students do to a release notebook (hypothesis strategies), and what grading must do
with every such notebook (`check_class`), for the property test and bench/handed_in.py.

A case is a notebook (one of a few starting points, as JSON) after a
sequence of edits a student can make in Jupyter, saved in some nbformat 4
minor version, handed in with some extra files beside it. Each edit is
recorded in words, so a failing case reads as the steps that made it.
"""

from __future__ import annotations

import copy
import html
import json
import logging.handlers
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest
from hypothesis import strategies as st
from nbgrader.api import Gradebook
from nbgrader.converters import Autograde, GenerateFeedback
from nbgrader.converters.base import NbGraderException
from nbgrader.coursedir import CourseDirectory

from autograder import restore
from autograder.batch import Job, grade_class
from autograder.classroom.autograde import autograde_class
from autograder.classroom.config import load_config
from autograder.classroom.notebook import cell_grades, is_checks_cell
from autograder.classroom.record import RESULTS, release_notebook
from autograder.hidden_inputs import hidden_inputs

HUGE = 2_000_000  # characters of printed output: more than any cap the grader sets
TIMESTAMP = "2026-11-20 10:00:00.000000 UTC"
PIXEL = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="


@dataclass
class Case:
    """A handed-in notebook and the files beside it; `steps` says how it was made."""

    notebook: dict
    files: dict[str, bytes] = field(default_factory=dict)
    steps: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return " -> ".join(self.steps) or "unchanged"


def grading_marks(cell: dict) -> dict:
    return cell.setdefault("metadata", {}).setdefault("nbgrader", {})


def source(cell: dict) -> str:
    text = cell.get("source", "")
    return "".join(text) if isinstance(text, list) else text


def new_cell(cell_type: str, text: str) -> dict:
    cell = {"cell_type": cell_type, "metadata": {}, "source": text}
    if cell_type == "code":
        cell.update(outputs=[], execution_count=None)
    return cell


def retype(cell: dict, cell_type: str) -> None:
    """What Jupyter does when a cell's type is changed: outputs go, attachments stay only where allowed."""
    cell["cell_type"] = cell_type
    if cell_type == "code":
        cell.setdefault("outputs", [])
        cell.setdefault("execution_count", None)
        cell.pop("attachments", None)
    else:
        cell.pop("outputs", None)
        cell.pop("execution_count", None)


# each edit: (name, function(draw, cells) -> words or None when it does not apply)


def delete(draw, cells):
    index = draw(st.integers(0, len(cells) - 1))
    removed = cells.pop(index)
    return f"delete cell {index + 1} {source(removed)[:20]!r}"


def duplicate(draw, cells):
    index, to = draw(st.integers(0, len(cells) - 1)), draw(st.integers(0, len(cells)))
    cells.insert(to, copy.deepcopy(cells[index]))  # copy and paste keeps metadata, id included
    return f"copy cell {index + 1} to {to + 1}"


def move(draw, cells):
    index, to = draw(st.integers(0, len(cells) - 1)), draw(st.integers(0, len(cells) - 1))
    cells.insert(to, cells.pop(index))
    return f"move cell {index + 1} to {to + 1}"


def split(draw, cells):
    index = draw(st.integers(0, len(cells) - 1))
    lines = source(cells[index]).splitlines(keepends=True)
    at = draw(st.integers(0, len(lines)))
    second = copy.deepcopy(cells[index])  # both halves keep the cell's metadata
    second.pop("id", None)
    cells[index]["source"], second["source"] = "".join(lines[:at]), "".join(lines[at:])
    cells.insert(index + 1, second)
    return f"split cell {index + 1} at line {at + 1}"


def merge(draw, cells):
    if len(cells) < 2:
        return None
    index = draw(st.integers(0, len(cells) - 2))
    below = cells.pop(index + 1)
    cells[index]["source"] = source(cells[index]) + "\n" + source(below)  # the first cell's type and metadata
    return f"merge cells {index + 1} and {index + 2}"


def change_type(draw, cells):
    index = draw(st.integers(0, len(cells) - 1))
    cell_type = draw(st.sampled_from(["code", "markdown", "raw"]))
    retype(cells[index], cell_type)
    return f"make cell {index + 1} {cell_type}"


def drop_id(draw, cells):
    index = draw(st.integers(0, len(cells) - 1))
    cells[index].pop("id", None)
    return f"drop the id of cell {index + 1}"


def repeat_id(draw, cells):
    index, other = draw(st.integers(0, len(cells) - 1)), draw(st.integers(0, len(cells) - 1))
    if "id" in cells[other]:
        cells[index]["id"] = cells[other]["id"]
    return f"give cell {index + 1} the id of cell {other + 1}"


def drop_marks(draw, cells):
    index = draw(st.integers(0, len(cells) - 1))
    cells[index].get("metadata", {}).pop("nbgrader", None)
    return f"drop the nbgrader metadata of cell {index + 1}"


def copy_marks(draw, cells):
    index, other = draw(st.integers(0, len(cells) - 1)), draw(st.integers(0, len(cells) - 1))
    marks = cells[other].get("metadata", {}).get("nbgrader")
    if marks is not None:
        cells[index].setdefault("metadata", {})["nbgrader"] = copy.deepcopy(marks)
    return f"give cell {index + 1} the nbgrader metadata of cell {other + 1}"


def claim_points(draw, cells):
    index = draw(st.integers(0, len(cells) - 1))
    points = draw(st.sampled_from([0, 5, 500]))
    grading_marks(cells[index]).update(grade=True, points=points, grade_id=grading_marks(cells[index]).get(
        "grade_id", "mine"), locked=False, solution=draw(st.booleans()), schema_version=3)
    return f"mark cell {index + 1} as graded with {points} points"


def edit(draw, cells):
    index = draw(st.integers(0, len(cells) - 1))
    how = draw(st.sampled_from(["append", "blank", "replace"]))
    text = source(cells[index])
    cells[index]["source"] = {"append": text + "\nx_added = 1", "blank": "", "replace": "print('mine')"}[how]
    return f"{how} the text of cell {index + 1}"


def add_cell(draw, cells):
    to = draw(st.integers(0, len(cells)))
    cell = new_cell(draw(st.sampled_from(["code", "markdown"])), draw(st.sampled_from(
        ["helper = 2", "print('hello')", "%time 1 + 1", "import sys", "# notes"])))
    if draw(st.booleans()):
        cell["metadata"]["nbgrader"] = {"grade": True, "grade_id": "extra", "points": 5, "locked": False,
                                        "solution": False, "schema_version": 3}
    cells.insert(to, cell)
    return f"add a cell at {to + 1}" + (" with grade metadata" if "nbgrader" in cell["metadata"] else "")


def add_output(draw, cells):
    code = [i for i, c in enumerate(cells) if c.get("cell_type") == "code"]
    if not code:
        return None
    index = draw(st.sampled_from(code))
    size = draw(st.sampled_from([10, HUGE]))
    cells[index]["outputs"] = [
        {"output_type": "stream", "name": "stdout", "text": "y" * size},
        {"output_type": "display_data", "data": {"image/png": PIXEL}, "metadata": {}},
        {"output_type": "execute_result", "data": {"text/plain": "90"}, "metadata": {}, "execution_count": 3},
    ]
    cells[index]["execution_count"] = 3
    return f"give cell {index + 1} {size} characters of output"


def add_attachment(draw, cells):
    markdown = [i for i, c in enumerate(cells) if c.get("cell_type") == "markdown"]
    if not markdown:
        return None
    index = draw(st.sampled_from(markdown))
    cells[index]["attachments"] = {"pixel.png": {"image/png": PIXEL}}
    cells[index]["source"] = source(cells[index]) + "\n![pixel](attachment:pixel.png)"
    return f"attach an image to cell {index + 1}"


EDITS = [delete, duplicate, move, split, merge, change_type, drop_id, repeat_id, drop_marks, copy_marks,
         claim_points, edit, add_cell, add_output, add_attachment]


@st.composite
def edited(draw, starts: dict[str, dict], assignment_id: str, max_edits: int = 4) -> Case:
    """A starting notebook after a few edits, saved in some nbformat 4 minor version, with files beside it."""
    start = draw(st.sampled_from(sorted(starts)))
    notebook = copy.deepcopy(starts[start])
    steps = [start]
    for _ in range(draw(st.integers(0, max_edits))):
        if not notebook["cells"]:
            break
        step = draw(st.sampled_from(EDITS))(draw, notebook["cells"])
        if step:
            steps.append(step)
    minor = draw(st.sampled_from([5, 5, 4, 2, 0]))
    if minor < 5:  # cell ids came with 4.5; Jupyter saving an older version leaves them out
        for cell in notebook["cells"]:
            cell.pop("id", None)
        notebook["nbformat_minor"] = minor
        steps.append(f"save as nbformat 4.{minor}")
    files = {}
    for name in draw(st.lists(st.sampled_from(["notes.txt", "scratch.ipynb", f"{assignment_id}-Copy1.ipynb",
                                                ".ipynb_checkpoints/" + f"{assignment_id}-checkpoint.ipynb",
                                                "data/big.bin"]), max_size=2, unique=True)):
        files[name] = b"\0" * 100_000 if name.endswith(".bin") else json.dumps(starts[start]).encode()
        steps.append(f"hand in {name} beside it")
    return Case(notebook, files, steps)


# ---------------------------------------------------------------- what every case must satisfy


def hand_in_class(course: Path, assignment_id: str, cases: list[Case]) -> dict[str, Path]:
    """Each case as a student's folder in submitted/, as `nbgrader collect` leaves it."""
    folders = {}
    for number, case in enumerate(cases):
        folder = course / "submitted" / f"s{number}" / assignment_id
        folder.mkdir(parents=True)
        (folder / f"{assignment_id}.ipynb").write_text(json.dumps(case.notebook))
        for name, data in case.files.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(data)
        (folder / "timestamp.txt").write_text(TIMESTAMP)
        folders[f"s{number}"] = folder
    return folders


def gradebook_grades(course: Path, assignment_id: str) -> dict[str, dict[str, float | None]]:
    """Student -> grade cell -> auto score, as nbgrader's gradebook holds them."""
    with Gradebook(CourseDirectory(config=load_config(course)).db_url) as gradebook:
        return {submission.student.id: {grade.name: grade.auto_score for grade in submission.notebooks[0].grades}
                for submission in gradebook.find_assignment(assignment_id).submissions}


def nbgrader_command(course: Path, converter, assignment_id: str, cases: list[Case], writes: str) -> None:
    """An nbgrader command (Autograde, GenerateFeedback) run here as its app runs it; fails naming the cases
    it failed on (nbgrader removes what it was writing for them in `writes`/)."""
    config = load_config(course)
    config.CourseDirectory.assignment_id = assignment_id
    config.BaseConverter.force = True
    command = converter(coursedir=CourseDirectory(config=config), config=config)
    errors = logging.handlers.BufferingHandler(capacity=1000)
    errors.setLevel(logging.ERROR)
    command.log.addHandler(errors)
    try:
        command.start()
    except NbGraderException:
        failed = [str(case) for number, case in enumerate(cases)
                  if not (course / writes / f"s{number}" / assignment_id).is_dir()]
        logged = "\n".join(record.getMessage() for record in errors.buffer)[-3000:]
        raise AssertionError(f"nbgrader's {converter.__name__} failed on: {failed}\n{logged}") from None
    finally:
        command.log.removeHandler(errors)


FEEDBACK_CELL = re.compile(r'Grade cell: <code>([^<]+)</code></span>\s*<span class="pull-right">\s*Score: ([\d.]+) /')


def feedback_scores(course: Path, student: str, assignment_id: str) -> dict[str, float]:
    """Grade cell -> score as the student's feedback page shows it."""
    page = (course / "feedback" / student / assignment_id / f"{assignment_id}.html").read_text()
    return {name: float(score) for name, score in FEEDBACK_CELL.findall(page)}


def shape(cells: list) -> list[tuple]:
    """What grading sees of a notebook's cells: their type, text and grading role."""
    return [(c.get("cell_type"), restore.text(c), restore.grading_role(c)) for c in cells if restore.readable(c)]


def check_class(kit: Path, assignment_id: str, template: Path, cases: list[Case], work: Path) -> None:
    """The class graded by `atomgpt autograde`, `nbgrader autograde` and `atomgpt grade`, each on its own copy.

    Every case gets a grade and a sentence for each repair; the results file, the autograded notebook,
    the gradebook and the feedback agree on every score; the three ways agree with each other.
    """
    ours, theirs = work / "atomgpt", work / "nbgrader"
    shutil.copytree(template, ours)
    folders = hand_in_class(ours, assignment_id, cases)
    shutil.copytree(ours, theirs)
    run = autograde_class(kit, assignment_id, ours, workers=2)  # the course's secret, as nbgrader autograde uses
    assert not run.failed and sorted(run.results) == sorted(folders), run.failed
    nbgrader_command(ours, GenerateFeedback, assignment_id, cases, "feedback")
    nbgrader_command(theirs, Autograde, assignment_id, cases, "autograded")
    loose = grade_class(kit, assignment_id, [Job(s, f) for s, f in folders.items()], work / "loose",
                        inputs=hidden_inputs(assignment_id, kit=kit, course=ours), workers=2)
    release = restore.read_release(release_notebook(CourseDirectory(config=load_config(ours)), assignment_id))
    in_gradebook, by_nbgrader = gradebook_grades(ours, assignment_id), gradebook_grades(theirs, assignment_id)
    for student, case in zip(folders, cases, strict=True):
        record = json.loads((ours / RESULTS / assignment_id / f"{student}.json").read_text())
        result = record["result"]
        graded = nbformat.read(ours / "autograded" / student / assignment_id / f"{assignment_id}.ipynb", 4)
        grades = cell_grades(graded)
        checks = {c.metadata.nbgrader.grade_id: grades[c.metadata.nbgrader.grade_id] for c in graded.cells
                  if is_checks_cell(c)}
        assert record["grades"] == grades == in_gradebook[student], case
        assert sum(checks.values()) == pytest.approx(result["score"]), case
        shown = feedback_scores(ours, student, assignment_id)
        assert {name: shown.get(name) for name in checks} == pytest.approx(checks), case
        assert by_nbgrader[student] == grades, case
        assert loose[student]["score"] == pytest.approx(result["score"]), case
        repaired = restore.restore(case.notebook, release)
        if shape(repaired.notebook.cells) != shape(case.notebook["cells"]):
            assert repaired.repairs, f"repaired without a word: {case}"
        report = html.unescape(graded.cells[0].source)
        assert all(line in result["output"] and line in report for line in repaired.repairs), case
