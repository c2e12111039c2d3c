"""Notebooks a student changed in Jupyter, graded through the commands an instructor types: each gets a
grade and is told what was repaired, every record agrees, and no student's file stops a run."""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys

import nbformat
import pytest
from nbgrader.api import Gradebook
from nbgrader.coursedir import CourseDirectory

from autograder.batch import Job
from autograder.classroom.autograde import Plan, prepare_student, staging_folder
from autograder.classroom.config import load_config
from autograder.classroom.record import RESULTS
from autograder.hidden_inputs import HiddenInputs
from autograder.nbgrader_tools import tool_env

from .conftest import TOY_ROOT

SOLUTION = TOY_ROOT / "solutions" / "toy" / "toy.ipynb"
TIMESTAMP = "2026-11-20 10:00:00.000000 UTC"


@pytest.fixture
def course(template, tmp_path):
    return shutil.copytree(template, tmp_path / "course")


def handed_in(change) -> dict:
    """The correct notebook as it comes from the release (nbgrader's metadata on every cell), then changed."""
    release = nbformat.read(TOY_ROOT / "assignments" / "toy" / "toy.ipynb", as_version=4)
    solution = nbformat.read(SOLUTION, as_version=4)
    for cell, answer in zip(release.cells, solution.cells, strict=True):
        if cell.metadata.nbgrader.get("solution"):
            cell.source = answer.source
    change(release.cells)
    return release


def submit(course, student: str, notebook: dict) -> None:
    folder = course / "submitted" / student / "toy"
    folder.mkdir(parents=True)
    nbformat.write(nbformat.from_dict(notebook), folder / "toy.ipynb")
    (folder / "timestamp.txt").write_text(TIMESTAMP)


def command(args: list, cwd, expect: int = 0) -> str:
    env = {**tool_env(), "ATOMGPT_ROOT": str(TOY_ROOT), "COLUMNS": "200"}
    done = subprocess.run([sys.executable, "-m", *map(str, args)], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == expect, f"{args} exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout + done.stderr  # what it made, then its progress


def gradebook_scores(course) -> dict[str, float]:
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "atomgpt") as gradebook:
        return {s.student.id: s.score for s in gradebook.find_assignment("toy").submissions}


def result(course, student: str) -> dict:
    return json.loads((course / RESULTS / "toy" / f"{student}.json").read_text())["result"]


def copy_checks(cells) -> None:
    """Copy and paste of a checks cell: Jupyter copies its metadata, nbgrader's included."""
    cells.insert(3, copy.deepcopy(cells[2]))


def delete_checks(cells) -> None:
    cells[:] = [c for c in cells if not (c.metadata.nbgrader.get("grade") and c.cell_type == "code")]


def add_graded_cell(cells) -> None:
    cell = nbformat.v4.new_code_cell("helper = 1")
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": "mine", "points": 5, "locked": False,
                                 "solution": False, "schema_version": 3}
    cells.append(cell)


def claim_points(cells) -> None:
    cells[1].metadata.nbgrader.update(grade=True, points=500)


def test_a_copied_checks_cell_is_graded_both_ways_without_stopping_the_run(course, tmp_path):
    submit(course, "alice", handed_in(lambda cells: None))
    submit(course, "bob", handed_in(copy_checks))
    submit(course, "carol", handed_in(lambda cells: None))
    theirs = shutil.copytree(course, tmp_path / "theirs")
    out = command(["autograder", "autograde", "toy", "--course", course, "--workers", "1"], course)
    assert "autograded bob: 90" in out and "3 autograded" in out, out
    assert "A copy of the assignment's cell" in result(course, "bob")["output"]
    command(["nbgrader", "autograde", "toy"], theirs)
    assert gradebook_scores(theirs) == gradebook_scores(course) == {"alice": 90.0, "bob": 90.0, "carol": 90.0}


def test_deleted_checks_cells_score_the_same_in_every_record(course):
    submit(course, "dave", handed_in(delete_checks))
    command(["autograder", "autograde", "toy", "--course", course], course)
    command(["nbgrader", "generate_feedback", "toy"], course)
    graded = result(course, "dave")
    assert graded["score"] == gradebook_scores(course)["dave"] == 90.0
    page = (course / "feedback" / "dave" / "toy" / "toy.html").read_text()
    assert "toy (Score: 90.0 / 100.0)" in page
    assert "The assignment's cell \"assert square(3) == 9" in graded["output"]


@pytest.mark.parametrize("change, told", [
    (add_graded_cell, "carried grading marks that are not the assignment's"),
    (claim_points, "grading marks of the cell \"def square(x):\" had been changed"),
])
def test_foreign_grade_metadata_earns_nothing_and_the_student_is_told(course, change, told):
    submit(course, "erin", handed_in(change))
    command(["autograder", "autograde", "toy", "--course", course], course)
    assert gradebook_scores(course) == {"erin": 90.0}
    assert told in result(course, "erin")["output"]


def test_run_in_the_course_folder_it_is_the_course(course):
    submit(course, "alice", handed_in(lambda cells: None))
    out = command(["autograder", "autograde", "toy"], course)
    assert "autograded alice: 90" in out and str(course / RESULTS / "toy") in out.replace("\n", ""), out


def test_a_notebook_nbgrader_refuses_is_named_in_the_output(course):
    folder = course / "submitted" / "frank" / "toy"
    folder.mkdir(parents=True)
    (folder / "toy.ipynb").write_text('{"nbformat": 5, "metadata": {}, "cells": []}')  # a format nbformat does not know
    out = command(["autograder", "autograde", "toy", "--course", course], course)
    assert "autograded frank: 0" in out and "nbgrader refuses frank" in out, out


def test_a_grading_process_that_died_is_retried_from_a_clean_staging_folder(course):
    submit(course, "gina", handed_in(lambda cells: None))
    config = load_config(course)
    plan = Plan(str(TOY_ROOT), "toy", HiddenInputs.given(7), f"{os.getpid()}-retry", config)
    job = Job("gina", course / "submitted" / "gina" / "toy")
    staged = staging_folder(CourseDirectory(config=config), "gina", "toy", plan.run)
    staged.mkdir(parents=True)
    (staged / "half-written.txt").write_text("left by a grading process that died")
    prepared = prepare_student(plan, job)
    assert prepared.result["score"] == 90.0 and not (staged / "half-written.txt").exists()
