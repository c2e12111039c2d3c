"""The nbgrader steps on either side of autograding, for the demo and the benchmark: students and due dates in
the gradebook, submissions put where `nbgrader collect` puts them, and the gradebook exported by `nbgrader export`."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path

from nbgrader.api import Gradebook
from nbgrader.coursedir import CourseDirectory

from ..nbgrader_tools import run_nbgrader
from .config import load_config


def gradebook(course: Path) -> Gradebook:
    """The course's gradebook, wherever its configuration keeps it."""
    coursedir = CourseDirectory(config=load_config(course))
    return Gradebook(coursedir.db_url, coursedir.course_id)


def enroll(course: Path, students: Iterable[tuple[str, str, str]]) -> None:
    """Puts (id, first name, last name) students in the gradebook, as `nbgrader db student add` does."""
    with gradebook(course) as book:
        for student_id, first, last in students:
            book.update_or_create_student(student_id, first_name=first, last_name=last)


def set_due_date(course: Path, assignment_id: str, due: datetime) -> None:
    """The assignment's due date (UTC), as `nbgrader db assignment add --duedate` sets it."""
    with gradebook(course) as book:
        book.update_or_create_assignment(assignment_id, duedate=due)


def hand_in(course: Path, assignment_id: str, folders: dict[str, Path], timestamp: str | Mapping[str, str]) -> None:
    """Copies each student's folder to submitted/<student>/<assignment>/ with collect's timestamp.txt
    (one for all, or one per student)."""
    for student, folder in folders.items():
        target = course / "submitted" / student / assignment_id
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(folder, target)
        (target / "timestamp.txt").write_text(timestamp if isinstance(timestamp, str) else timestamp[student])


def export_grades(course: Path) -> list[dict[str, str]]:
    """Runs `nbgrader export` in the course; the rows of the grades.csv it writes."""
    run_nbgrader(["export"], course)
    with (course / "grades.csv").open(newline="") as grades:
        return list(csv.DictReader(grades))
