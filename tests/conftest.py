"""Shared fixtures: a tiny toy course that exercises the engine (and an nbgrader course of it), and notebook
writers."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from autograder.build import generate_release, write_source
from autograder.classroom.config import write_config
from autograder.course import load_assignment
from autograder.sandbox import Cell, Limits, StudentSession, strongest_boundary

ROOT = Path(__file__).resolve().parent.parent
TOY_ROOT = Path(__file__).resolve().parent / "toy_course"


@pytest.fixture(scope="session")
def toy():
    return load_assignment("toy", TOY_ROOT)


@pytest.fixture(scope="session")
def template(tmp_path_factory):
    """A toy nbgrader course with its assignment generated, built once and copied by each test."""
    course = tmp_path_factory.mktemp("template") / "course"
    write_config(course, TOY_ROOT)
    write_source(load_assignment("toy", TOY_ROOT), course)
    generate_release(load_assignment("toy", TOY_ROOT), course)
    return course


def write_code_notebook(path: Path, *sources: str) -> Path:
    """A notebook whose code cells are the given sources."""
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


def echo_notebook(path: Path) -> Path:
    """A toy submission whose square() fails showing the input it was called with."""
    return write_code_notebook(path, "def square(x):\n    raise ValueError(f'input {x!r}')\n")


def echoed_inputs(text: str) -> list[str]:
    """The random inputs an echo notebook showed (the fixed edge cases have few digits)."""
    return sorted(set(re.findall(r"input (-?\d+\.\d{6,})", text)))


@pytest.fixture
def run_student():
    """Starts a session on some code; closes every session after the test."""
    sessions = []

    def start(code: str, **limits) -> StudentSession:
        session = StudentSession([Cell(1, code)], Limits(**{"call_timeout": 1.0, **limits}),
                                 strongest_boundary())
        sessions.append(session)
        return session

    yield start
    for session in sessions:
        session.close()
