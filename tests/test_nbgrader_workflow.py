"""Acceptance test of the nbgrader integration: a temporary course run with nbgrader's own commands.

The instructor generates a1_values and releases it into an exchange folder in the test's temporary
folder; four students (correct, partly correct, a broken notebook, a cheat) fetch it, put their work in
place and submit; the instructor collects. The collected course is then graded both ways, each on its
own copy: `nbgrader autograde` (the course configuration puts the engine in place of nbgrader's Execute
step) and `atomgpt autograde`. Each way's feedback must keep the hidden suite and the graders' rubrics
to itself, and its exported grades.csv must hold the scores the engine gives the same notebooks.
"""

from __future__ import annotations

import ast
import csv
import html
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import nbformat
import pytest

from autograder.build import write_source
from autograder.classroom.config import write_config
from autograder.classroom.notebook import GRADER_ONLY, is_checks_cell
from autograder.course import Assignment, load_assignment
from autograder.grading import grade_submission
from autograder.hidden_inputs import hidden_inputs
from autograder.nbgrader_tools import tool_env
from autograder.variants import apply_variant, load_variants, solution_notebook, write_notebook

from .conftest import ROOT

ASSIGNMENT = "a1_values"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
COURSE_ID = "atomgpt"  # what write_config puts in the course's nbgrader_config.py
BUG = "sub-reversed"  # the partly correct student's mistake
CHEAT = "cheat-patch-testing"  # patches the checking libraries to hide its base bug
STUDENTS = ("correct", "partial", "broken", "cheater")
GRADED_NORMALLY = ("correct", "partial", "cheater")  # nbgrader itself refuses the broken notebook
AUTO_POINTS = load_assignment(ASSIGNMENT, ROOT).rubric.auto_points
MAX_SCORE = 100.0  # the auto-graded points and the hand-graded ones, left ungraded here
NBGRADER = [sys.executable, "-m", "nbgrader"]
ATOMGPT = [sys.executable, "-m", "autograder"]


def run(command: list[str], cwd: Path, home: Path, expect: int = 0) -> subprocess.CompletedProcess:
    """Runs a command and checks its exit code, showing its errors when it is not `expect`.

    HOME is the acting user's folder in the test's temporary folder, so nobody's own Jupyter
    configuration leaks in; the venv's programs come first on PATH because nbgrader runs alembic by name.
    """
    env = {**tool_env(), "HOME": str(home), "ATOMGPT_ROOT": str(ROOT), "COLUMNS": "200"}
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == expect, (
        f"`{' '.join(command[2:])}` in {cwd} exited {done.returncode}, not {expect}:\n{done.stderr[-6000:]}")
    return done


@pytest.fixture(scope="module")
def assignment() -> Assignment:
    return load_assignment(ASSIGNMENT, ROOT)


@pytest.fixture(scope="module")
def work(assignment: Assignment, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The notebooks students hand in (the broken one is made from the fetched copy), and the cheat's base bug."""
    folder = tmp_path_factory.mktemp("work")
    variants = {v.id: v for v in load_variants(assignment)}
    solution = solution_notebook(assignment)
    correct = folder / "correct" / NOTEBOOK
    correct.parent.mkdir()
    shutil.copyfile(ROOT / "solutions" / ASSIGNMENT / NOTEBOOK, correct)
    return {
        "correct": correct,
        "partial": write_notebook(apply_variant(solution, variants[BUG], variants), folder / "partial" / NOTEBOOK),
        "cheater": write_notebook(apply_variant(solution, variants[CHEAT], variants), folder / "cheater" / NOTEBOOK),
        "base": write_notebook(apply_variant(solution, variants[variants[CHEAT].base], variants),
                               folder / "base" / NOTEBOOK),
    }


@pytest.fixture(scope="module")
def expected(assignment: Assignment, work: dict[str, Path],
             collected: tuple[Path, dict[str, bytes]]) -> dict[str, float]:
    """What the engine itself gives each notebook, graded directly with the hidden inputs of the course (made
    here, before any way copies it); the broken notebook cannot score."""
    inputs = hidden_inputs(ASSIGNMENT, kit=ROOT, course=collected[0])
    scores = {name: grade_submission(assignment, path, name=name, inputs=inputs)["score"]
              for name, path in work.items()}
    return {**scores, "broken": 0.0}


def student_config(exchange: Path, home: Path) -> None:
    """A student's nbgrader_config.py: the course and the exchange the instructor named."""
    (home / "nbgrader_config.py").write_text(
        f'c = get_config()  # noqa: F821\nc.CourseDirectory.course_id = "{COURSE_ID}"\n'
        f"c.Exchange.root = {str(exchange)!r}\n")


def hand_in(student: str, *, exchange: Path, homes: Path, work: dict[str, Path]) -> bytes:
    """One student fetches the release, replaces it with their work and submits; returns what they submitted.

    nbgrader names a submission after the process's user (pwd), not $USER, so every student here is the
    same user and names themselves with `--student`, as nbgrader allows for such setups.
    """
    home = homes / student
    home.mkdir(parents=True)
    student_config(exchange, home)
    run([*NBGRADER, "fetch_assignment", ASSIGNMENT], home, home)
    fetched = home / ASSIGNMENT / NOTEBOOK
    assert fetched.is_file(), f"fetch_assignment left no {fetched}"
    if student == "broken":  # cut off halfway: not JSON any more
        fetched.write_bytes(fetched.read_bytes()[: fetched.stat().st_size // 2])
    else:
        shutil.copyfile(work[student], fetched)
    run([*NBGRADER, "submit", ASSIGNMENT, f"--student={student}"], home, home)
    return fetched.read_bytes()


@pytest.fixture(scope="module")
def collected(assignment: Assignment, work: dict[str, Path],
              tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, bytes]]:
    """The course after generate_assignment, release_assignment, each student's fetch and submit, and collect.

    The students work at the same time, as a class does, so the exchange also takes concurrent submissions.
    """
    top = tmp_path_factory.mktemp("class")
    course, exchange, instructor = top / "course", top / "exchange", top / "instructor"
    instructor.mkdir()
    write_config(course, ROOT)
    with (course / "nbgrader_config.py").open("a") as config:
        config.write(f"c.Exchange.root = {str(exchange)!r}\n")
    write_source(assignment, course)
    run([*NBGRADER, "generate_assignment", ASSIGNMENT], course, instructor)
    run([*NBGRADER, "release_assignment", ASSIGNMENT], course, instructor)
    with ThreadPoolExecutor(len(STUDENTS)) as students:
        handed_in = dict(zip(STUDENTS, students.map(
            partial(hand_in, exchange=exchange, homes=top / "homes", work=work), STUDENTS), strict=True))
    run([*NBGRADER, "collect", ASSIGNMENT], course, instructor)
    return course, handed_in


def grading_copy(collected: tuple[Path, dict[str, bytes]], tmp_path: Path) -> Path:
    """Each way grades its own copy of the collected course, gradebook included."""
    return shutil.copytree(collected[0], tmp_path / "course")


def exported_scores(course: Path) -> dict[str, tuple[float, float, float]]:
    """`nbgrader export` in the course: student id -> (raw_score, score, max_score) from grades.csv."""
    run([*NBGRADER, "export"], course, course.parent)
    with (course / "grades.csv").open(newline="") as table:
        rows = [row for row in csv.DictReader(table) if row["assignment"] == ASSIGNMENT]
    return {row["student_id"]: (float(row["raw_score"]), float(row["score"]), float(row["max_score"]))
            for row in rows}


def assert_scores(exported: dict[str, tuple[float, float, float]], expected: dict[str, float]) -> None:
    """Every student exported with the engine's score, raw and final alike (no late penalty), out of 100."""
    assert exported == {student: (pytest.approx(expected[student]), pytest.approx(expected[student]), MAX_SCORE)
                        for student in STUDENTS}


def hidden_suite_lines(assignment: Assignment) -> list[str]:
    """The suite's code lines long enough to be telling and not also in the release students already have;
    docstrings and comments are feedback or notes, not code."""
    release = nbformat.read(ROOT / "assignments" / ASSIGNMENT / NOTEBOOK, as_version=4)
    public = {line.strip() for cell in release.cells for line in cell.source.splitlines()}
    source = assignment.suite.read_text()
    docstrings = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) \
                and ast.get_docstring(node) is not None:
            docstrings.update(range(node.body[0].lineno, node.body[0].end_lineno + 1))
    lines = [line.strip() for number, line in enumerate(source.splitlines(), start=1) if number not in docstrings]
    return [line for line in lines if len(line) > 30 and not line.startswith("#") and line not in public]


def rubric_lines(assignment: Assignment) -> list[str]:
    """The graders' rubric of each hand-graded answer, line by line."""
    return [line.strip() for question in assignment.rubric.manual for line in question.rubric.splitlines()
            if len(line.strip()) > 30]


def misconception_message(assignment: Assignment, variant_id: str) -> str:
    """What the rubric tells a student who made this bug's mistake."""
    variant = next(v for v in load_variants(assignment) if v.id == variant_id)
    return next(m.message for m in assignment.rubric.misconceptions if m.id == variant.misconception)


def page_text(page: Path) -> str:
    """An HTML page as the student reads it: code is highlighted token by token, so tags go before comparing."""
    return html.unescape(re.sub(r"<[^>]+>", "", page.read_text()))


def visible_check_lines(notebook) -> list[str]:
    """The checks cells' code lines: feedback shows them, so finding them proves the leak check can see code."""
    return [line.strip() for cell in notebook.cells if is_checks_cell(cell)
            for line in cell.source.splitlines() if len(line.strip()) > 30]


def check_feedback(course: Path, assignment: Assignment, students: tuple[str, ...]) -> dict[str, str]:
    """`nbgrader generate_feedback`: each student's page, free of the suite and the rubrics graders see.

    The rubric notes must be in the autograded notebook (graders read them there) and only be left out
    of feedback. Returns each student's page as text.
    """
    run([*NBGRADER, "generate_feedback", ASSIGNMENT], course, course.parent)
    suite, rubrics = hidden_suite_lines(assignment), rubric_lines(assignment)
    pages = {}
    for student in students:
        graded = nbformat.read(course / "autograded" / student / ASSIGNMENT / NOTEBOOK, as_version=4)
        notes = "\n".join(html.unescape(c.source) for c in graded.cells if GRADER_ONLY in c.metadata.get("tags", []))
        assert all(line in notes for line in rubrics), f"{student}: the graders' rubric notes are missing"
        page = course / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html"
        assert page.is_file(), f"no feedback for {student}"
        text = page_text(page)
        shown = visible_check_lines(graded)
        assert shown and all(line in text for line in shown), f"{student}: the visible checks are not in the page"
        leaked = [line for line in suite + rubrics if line in text]
        assert not leaked, f"{student}'s feedback shows what only graders may see: {leaked[:3]}"
        pages[student] = text
    assert misconception_message(assignment, BUG) in pages["partial"]
    return pages


def test_students_work_reaches_the_course_through_the_exchange(collected: tuple[Path, dict[str, bytes]]) -> None:
    """collect puts exactly what each student submitted into submitted/<student>/, with its timestamp."""
    course, handed_in = collected
    for student in STUDENTS:
        folder = course / "submitted" / student / ASSIGNMENT
        assert (folder / NOTEBOOK).read_bytes() == handed_in[student], student
        assert (folder / "timestamp.txt").is_file(), student


def test_the_engine_scores_set_the_expectations(expected: dict[str, float]) -> None:
    """The four students really are correct, partly correct, broken and a cheat gaining nothing."""
    assert expected["correct"] == AUTO_POINTS
    assert 0 < expected["partial"] < AUTO_POINTS
    assert expected["cheater"] == expected["base"] < AUTO_POINTS


def test_nbgrader_autograde_grades_with_the_engine(collected: tuple[Path, dict[str, bytes]], expected: dict[str, float],
                                                   assignment: Assignment, tmp_path: Path) -> None:
    """Stock nbgrader would run the notebook in a kernel and score its checks cells all or nothing.

    With the engine in place of Execute the scores are the engine's; the notebook nbgrader cannot read
    stays ungraded (nbgrader reports it and exits 1) and exports as 0.
    """
    course = grading_copy(collected, tmp_path)
    done = run([*NBGRADER, "autograde", ASSIGNMENT], course, tmp_path, expect=1)
    failed = [line for line in done.stderr.splitlines() if "There was an error processing assignment '" in line]
    assert len(failed) == 1 and "for student 'broken'" in failed[0], done.stderr[-6000:]
    assert_scores(exported_scores(course), expected)
    check_feedback(course, assignment, GRADED_NORMALLY)
    again = run([*ATOMGPT, "autograde", ASSIGNMENT, "--course", str(course)], course, tmp_path)
    assert f"1 autograded, {len(STUDENTS) - 1} unchanged" in again.stdout, again.stdout  # only the one nbgrader refused
    assert_scores(exported_scores(course), expected)


def test_atomgpt_autograde_grades_the_class_into_nbgrader(collected: tuple[Path, dict[str, bytes]],
                                                         expected: dict[str, float], assignment: Assignment,
                                                         tmp_path: Path) -> None:
    """The whole class graded in parallel, the unreadable notebook included: it gets a zero and says why."""
    course = grading_copy(collected, tmp_path)
    done = run([*ATOMGPT, "autograde", ASSIGNMENT, "--course", str(course), "--workers", "2"], course, tmp_path)
    assert f"{len(STUDENTS)} autograded" in done.stdout, done.stdout
    assert_scores(exported_scores(course), expected)
    pages = check_feedback(course, assignment, STUDENTS)
    assert "is not a valid notebook: it is not JSON" in pages["broken"]
