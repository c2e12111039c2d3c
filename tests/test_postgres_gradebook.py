"""A gradebook in PostgreSQL: a class graded into it by either command exports what SQLite's does.

Large courses keep nbgrader's gradebook in PostgreSQL so that several graders
can use formgrader at once; nbgrader takes any SQLAlchemy URL. The server is
a real one, started for this module on loopback (tests/postgres.py).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.build import generate_release, write_source
from autograder.classroom.config import write_config
from autograder.classroom.steps import export_grades, hand_in
from autograder.course import load_assignment
from autograder.nbgrader_tools import tool_env

from .conftest import TOY_ROOT
from .postgres import new_database, postgres_server, server_programs

SOLUTION = TOY_ROOT / "solutions" / "toy" / "toy.ipynb"
COMMANDS = {
    "atomgpt autograde": [sys.executable, "-m", "autograder", "autograde", "toy", "--workers", "2"],
    "nbgrader autograde": [sys.executable, "-m", "nbgrader", "autograde", "toy", "--log-level=WARN"],
}


@pytest.fixture(scope="module")
def server():
    if server_programs() is None:
        pytest.skip("PostgreSQL is not installed (Debian's postgresql package; .ci/run installs it)")
    with postgres_server() as url:
        yield url


def handed_in(top: Path) -> dict[str, Path]:
    """Three students: right, wrong (square doubles), and an untouched release."""
    folders = {}
    wrong = nbformat.read(SOLUTION, as_version=4)
    wrong.cells.append(nbformat.v4.new_code_cell("def square(x):\n    return 2 * x\n"))
    for student, notebook in [("ada", nbformat.read(SOLUTION, as_version=4)), ("ben", wrong)]:
        folders[student] = top / "work" / student
        folders[student].mkdir(parents=True)
        nbformat.write(notebook, folders[student] / "toy.ipynb")
    return folders


def graded_course(top: Path, db_url: str | None, command: str) -> list[dict[str, str]]:
    """A toy course with its gradebook at db_url (SQLite when None), graded by one command; its export."""
    course = top / "course"
    config = write_config(course, TOY_ROOT)
    if db_url:
        config.write_text(config.read_text() + f"c.CourseDirectory.db_url = {db_url!r}\n")
    assignment = load_assignment("toy", TOY_ROOT)
    write_source(assignment, course)
    generate_release(assignment, course)
    folders = handed_in(top)
    folders["cy"] = course / "release" / "toy"
    hand_in(course, "toy", folders, "2026-11-20 10:00:00.000000 UTC")
    env = {**tool_env(), "HOME": str(top), "ATOMGPT_ROOT": str(TOY_ROOT)}
    done = subprocess.run(COMMANDS[command], cwd=course, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return sorted(export_grades(course), key=lambda row: row["student_id"])


@pytest.mark.parametrize("command", COMMANDS)
def test_a_class_graded_into_postgresql_exports_what_sqlite_does(server, command, tmp_path):
    in_postgres = graded_course(tmp_path / "postgres", new_database(server, command.split()[0]), command)
    in_sqlite = graded_course(tmp_path / "sqlite", None, command)
    assert not (tmp_path / "postgres" / "course" / "gradebook.db").exists()
    scores = {row["student_id"]: float(row["score"]) for row in in_postgres}
    assert scores["ada"] == load_assignment("toy", TOY_ROOT).rubric.auto_points and scores["cy"] == 0
    assert 0 < scores["ben"] < scores["ada"]
    columns = ("student_id", "assignment", "score", "max_score", "raw_score", "late_submission_penalty")
    assert [[row[c] for c in columns] for row in in_postgres] == [[row[c] for c in columns] for row in in_sqlite]
