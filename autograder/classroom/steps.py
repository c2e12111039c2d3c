"""The nbgrader steps on either side of autograding, for the demo and the benchmark: submissions put
where `nbgrader collect` puts them, and the gradebook exported by `nbgrader export`."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

from ..nbgrader_tools import run_nbgrader


def hand_in(course: Path, assignment_id: str, folders: dict[str, Path], timestamp: str) -> None:
    """Copies each student's folder to submitted/<student>/<assignment>/ with collect's timestamp.txt."""
    for student, folder in folders.items():
        target = course / "submitted" / student / assignment_id
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(folder, target)
        (target / "timestamp.txt").write_text(timestamp)


def export_grades(course: Path) -> list[dict[str, str]]:
    """Runs `nbgrader export` in the course; the rows of the grades.csv it writes."""
    run_nbgrader(["export"], course)
    with (course / "grades.csv").open(newline="") as grades:
        return list(csv.DictReader(grades))
