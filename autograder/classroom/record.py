"""One graded student into the course: gradebook rows, the autograded folder, the result file.

The gradebook rows are the ones nbgrader's Autograde writes (student,
submission and timestamp, each grade's auto score and needs-manual-grade
flag, the "No response." comments, the late penalty from nbgrader's
penalty plugin), read from the graded notebook's cells exactly as
nbgrader's SaveAutoGrades reads them. They stay uncommitted until the new
folder is in place; the result file, written last, marks the student done.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from nbgrader.api import (
    Comment,
    Grade,
    Gradebook,
    MissingEntry,
    Student,
    SubmittedAssignment,
    SubmittedNotebook,
    new_uuid,
)
from nbgrader.converters import Autograde
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import AssignLatePenalties
from traitlets.config import Config

from ..files import write_atomically

RESULTS = "results"  # <course>/results/<assignment>/<student>.json: the engine's result per student


@dataclass
class Prepared:
    """One student's autograded folder, built aside, and what goes into the gradebook."""

    student: str
    staged: str
    grades: dict[str, float | None]
    comments: dict[str, str | None]
    result: dict
    refused: str | None = None  # why `nbgrader autograde` would refuse the notebook, if it would


def autograded_folder(coursedir: CourseDirectory, student: str, assignment_id: str) -> Path:
    return Path(coursedir.format_path(coursedir.autograded_directory, student, assignment_id))


def release_notebook(coursedir: CourseDirectory, assignment_id: str) -> Path:
    """The notebook nbgrader released: the shape every submission is graded in."""
    return Path(coursedir.format_path(coursedir.release_directory, ".", assignment_id)) / f"{assignment_id}.ipynb"


def move_into_place(staged: Path, folder: Path) -> None:
    old = folder.with_name(f".{folder.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if folder.exists():
        os.replace(folder, old)
    os.replace(staged, folder)
    shutil.rmtree(old, ignore_errors=True)


def result_file(coursedir: CourseDirectory, assignment_id: str, student: str) -> Path:
    return Path(coursedir.root) / RESULTS / assignment_id / f"{student}.json"


def read_record(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def write_record(coursedir: CourseDirectory, assignment_id: str, student: str, fingerprint: str,
                 grades: dict[str, float | None], result: dict) -> None:
    """The result file that marks a student graded: what was graded (fingerprint), the scores, the result.

    A later run skips the student while the fingerprint matches and the
    gradebook still holds these scores, whichever command graded them.
    """
    path = result_file(coursedir, assignment_id, student)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, {"fingerprint": fingerprint, "grades": grades, "result": result})


class Recorder:
    """One student's grading state in the course: whether it is up to date, and writing it, whole."""

    def __init__(self, gradebook: Gradebook, coursedir: CourseDirectory, config: Config, assignment_id: str):
        self.gradebook = gradebook
        self.coursedir = coursedir
        self.assignment_id = assignment_id
        self.create_student = Autograde(coursedir=coursedir, config=config).create_student
        penalties = AssignLatePenalties(config=config)
        penalties.init_plugin()
        self.late_penalty = penalties.plugin_inst.late_submission_penalty
        source = gradebook.find_notebook(assignment_id, assignment_id)  # cell id -> name: a grade's name costs no query
        self.source_ids = source.assignment.id, source.id  # kept as data: each commit expires the ORM rows
        self.graded_cells = {cell.id: cell.name for cell in [*source.grade_cells, *source.task_cells]}
        self.commented_cells = {cell.id: cell.name for cell in [*source.solution_cells, *source.task_cells]}
        self.cell_names = {**self.graded_cells, **self.commented_cells}
        self.only_notebook = len(source.assignment.notebooks) == 1
        self.duedate = source.assignment.duedate

    def by_name(self, rows: list) -> dict:
        """A submitted notebook's grade or comment rows by their cell's name."""
        return {self.cell_names[row.cell_id]: row for row in rows}

    def up_to_date(self, student: str, fingerprint: str) -> bool:
        """The last run graded these very files, its folder is in place and the gradebook still holds its scores."""
        record = read_record(result_file(self.coursedir, self.assignment_id, student))
        notebook = autograded_folder(self.coursedir, student, self.assignment_id) / f"{self.assignment_id}.ipynb"
        if record is None or record.get("fingerprint") != fingerprint or not notebook.is_file():
            return False
        try:
            submitted = self.gradebook.find_submission_notebook(self.assignment_id, self.assignment_id, student)
        except MissingEntry:
            return False
        scores = {name: grade.auto_score for name, grade in self.by_name(submitted.grades).items()}
        return scores == record.get("grades")

    def record(self, prepared: Prepared, submitted: Path, fingerprint: str) -> None:
        try:
            self.store(prepared, submitted)
            move_into_place(Path(prepared.staged), autograded_folder(self.coursedir, prepared.student,
                                                                     self.assignment_id))
            self.gradebook.db.commit()
        except BaseException:
            self.gradebook.db.rollback()
            raise
        write_record(self.coursedir, self.assignment_id, prepared.student, fingerprint, prepared.grades,
                     prepared.result)

    def store(self, prepared: Prepared, submitted: Path) -> None:
        """The gradebook rows nbgrader's Autograde would write, left uncommitted.

        nbgrader's own helpers commit on every call; only the one that
        creates a new submission (with its rows for every cell) is used,
        which is harmless alone, so a regrade is a single transaction.
        """
        gradebook, student, assignment_id = self.gradebook, prepared.student, self.assignment_id
        try:
            gradebook.find_student(student)
        except MissingEntry:
            if not self.create_student:
                raise  # nbgrader refuses unknown students too
            gradebook.db.add(Student(id=student))  # committed with the submission below
        timestamp = self.coursedir.get_existing_timestamp(str(submitted))
        try:
            submission = gradebook.find_submission(assignment_id, student)
        except MissingEntry:
            if self.can_insert(timestamp):
                self.insert_new(prepared, timestamp)
                return
            submission = gradebook.add_submission(assignment_id, student)
        if timestamp:
            submission.timestamp = timestamp
        notebook = gradebook.find_submission_notebook(assignment_id, assignment_id, student)
        grades, comments = self.by_name(notebook.grades), self.by_name(notebook.comments)
        self.require_cells(prepared, grades)
        for grade_id, score in prepared.grades.items():
            grade = grades[grade_id]
            grade.auto_score = score
            grade.needs_manual_grade = grade.manual_score is not None or score is None
        for grade_id, text in prepared.comments.items():
            comments[grade_id].auto_comment = text
        penalty = None
        if submission.total_seconds_late > 0:
            gradebook.db.flush()
            gradebook.db.refresh(notebook)  # its score is summed by the database, from the grades just set
            penalty = self.late_penalty(student, notebook.score, submission.total_seconds_late)
            if penalty is not None:  # nbgrader's bounds: not below zero, not above the score
                penalty = min(max(penalty, 0), notebook.score)
        notebook.late_submission_penalty = penalty

    def require_cells(self, prepared: Prepared, known: Iterable[str]) -> None:
        """Every cell the graded notebook scores has a row (or a source cell) in the gradebook."""
        unknown = sorted(set(prepared.grades) - set(known))
        if unknown:
            raise MissingEntry(f"grade cells {', '.join(unknown)} of {self.assignment_id} are not in the gradebook")

    def can_insert(self, timestamp) -> bool:
        """Whether a first submission's rows can go in at once (see `insert_new`)."""
        return self.only_notebook and not (timestamp and self.duedate and timestamp > self.duedate)

    def insert_new(self, prepared: Prepared, timestamp) -> None:
        """A first submission's rows, as add_submission and the scoring above would leave them, in four inserts.

        nbgrader's add_submission builds them one ORM object at a time and
        commits: about 9 ms of the main process's CPU per student, taken from
        the grading processes beside it. Only an assignment of one notebook,
        submitted on time, comes here; a late one needs its penalty from the
        database's score.
        """
        self.require_cells(prepared, self.graded_cells.values())
        submission, notebook = new_uuid(), new_uuid()
        assignment_row, notebook_row = self.source_ids
        db = self.gradebook.db
        db.flush()  # a new Student row first: the submission refers to it
        db.execute(SubmittedAssignment.__table__.insert(), [{
            "id": submission, "assignment_id": assignment_row, "student_id": prepared.student,
            "timestamp": timestamp, "extension": None}])
        db.execute(SubmittedNotebook.__table__.insert(), [{
            "id": notebook, "assignment_id": submission, "notebook_id": notebook_row, "flagged": False,
            "late_submission_penalty": None}])
        grades = [{"id": new_uuid(), "notebook_id": notebook, "cell_id": cell, "auto_score": score,
                   "manual_score": None, "extra_credit": None, "needs_manual_grade": score is None}
                  for cell, name in self.graded_cells.items() for score in [prepared.grades.get(name)]]
        comments = [{"id": new_uuid(), "notebook_id": notebook, "cell_id": cell,
                     "auto_comment": prepared.comments.get(name), "manual_comment": None}
                    for cell, name in self.commented_cells.items()]
        for table, rows in ((Grade.__table__, grades), (Comment.__table__, comments)):
            if rows:  # an empty list would insert one row of defaults
                db.execute(table.insert(), rows)
