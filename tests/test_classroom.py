"""The nbgrader side on the toy course: course configuration, the graded notebook, and `atomgpt autograde`
(gradebook, autograded folders, reruns, late penalties, a run killed halfway)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from datetime import datetime

import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder.classroom.autograde import autograde_class
from autograder.classroom.config import BEGIN, load_config, write_config
from autograder.classroom.notebook import (
    GRADER_ONLY,
    REPORT,
    cell_grades,
    record_result,
    unscored,
    without_grader_notes,
)
from autograder.classroom.record import RESULTS, Recorder
from autograder.course import load_assignment

from .conftest import TOY_ROOT

SOLUTION = TOY_ROOT / "solutions" / "toy" / "toy.ipynb"
TIMESTAMP = "2026-11-20 10:00:00.000000 UTC"


@pytest.fixture
def course(template, tmp_path):
    return shutil.copytree(template, tmp_path / "course")


def submit(course, student: str, notebook: bytes | None, timestamp: str = TIMESTAMP):
    """What `nbgrader collect` leaves: submitted/<student>/toy/ with the notebook and its timestamp."""
    folder = course / "submitted" / student / "toy"
    folder.mkdir(parents=True, exist_ok=True)
    if notebook is not None:
        (folder / "toy.ipynb").write_bytes(notebook)
    (folder / "timestamp.txt").write_text(timestamp)
    return folder


def with_cell(source: str) -> bytes:
    notebook = nbformat.read(SOLUTION, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(source))
    return nbformat.writes(notebook).encode()


def scores(course) -> dict[str, float]:
    """Each student's score as `nbgrader export` computes it: the total less any late penalty."""
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "atomgpt") as gradebook:
        return {s.student.id: max(0.0, s.score - (s.late_submission_penalty or 0.0))
                for s in gradebook.find_assignment("toy").submissions}


def autograde(course, **options):
    return autograde_class(TOY_ROOT, "toy", course, workers=2, **options)


def test_the_config_block_is_replaced_and_everything_else_kept(tmp_path):
    course = tmp_path / "course"
    path = write_config(course, tmp_path / "old-kit")
    instructor = 'c.CourseDirectory.db_url = "sqlite:////tmp/elsewhere.db"\n'
    path.write_text(path.read_text() + instructor)
    write_config(course, TOY_ROOT)
    text = path.read_text()
    assert text.count(BEGIN) == 1 and text.count(instructor) == 1
    assert "old-kit" not in text and str(TOY_ROOT) in text
    config = load_config(course)
    assert config.CourseDirectory.db_url == "sqlite:////tmp/elsewhere.db"
    assert config.CourseDirectory.root == str(course)
    assert config.Autograde.autograde_preprocessors[0] == "autograder.classroom.preprocessors.GradeWithEngine"


def test_nothing_hidden_is_in_a_folder_nbgrader_copies(template):
    copied = [p.relative_to(template) for folder in ("source", "release") for p in (template / folder).rglob("*")]
    assert sorted(map(str, copied)) == ["release/toy", "release/toy/toy.ipynb", "source/toy", "source/toy/toy.ipynb"]


def test_the_gradebook_can_live_at_any_url_nbgrader_accepts(course, tmp_path):
    elsewhere = tmp_path / "gradebooks" / "toy.db"
    elsewhere.parent.mkdir()
    (course / "gradebook.db").rename(elsewhere)
    with (course / "nbgrader_config.py").open("a") as config:
        config.write(f'c.CourseDirectory.db_url = "sqlite:///{elsewhere}"\n')
    submit(course, "alice", SOLUTION.read_bytes())
    autograde(course)
    assert not (course / "gradebook.db").exists()
    with Gradebook(f"sqlite:///{elsewhere}", "atomgpt") as gradebook:
        assert gradebook.find_submission("toy", "alice").score == 90.0


def test_scores_go_in_the_checks_cells_as_nbgrader_reads_them_and_rubrics_only_to_graders(course):
    notebook = nbformat.read(course / "release" / "toy" / "toy.ipynb", as_version=4)
    result = {"output": "Cell 3 raised <script>alert(1)</script>", "tests": [
        {"name": "Squares", "score": 45.0, "max_score": 60, "output": "3 of 4 checks passed."},
        {"name": "Counting", "score": 0.0, "max_score": 30, "output": "0 of 1 checks passed."}],
        "extra_data": {"checkpoints": [{"id": "squares"}, {"id": "counting"}]}}
    graded = record_result(notebook, result, load_assignment("toy", TOY_ROOT).rubric)
    assert cell_grades(graded) == {"squares": 45.0, "counting": 0.0, "why": 0}  # `why` untouched: no response
    report = graded.cells[0]
    assert report.metadata.tags == [REPORT] and "&lt;script&gt;" in report.source and "<script>" not in report.source
    notes = [c for c in graded.cells if GRADER_ONLY in c.metadata.get("tags", [])]
    assert len(notes) == 1 and "it becomes positive" in notes[0].source
    assert not any(GRADER_ONLY in c.metadata.get("tags", []) for c in without_grader_notes(graded).cells)


def test_a_notebook_the_rubric_does_not_cover_earns_nothing(course):
    notebook = nbformat.read(course / "release" / "toy" / "toy.ipynb", as_version=4)
    assert cell_grades(notebook)["squares"] == 60.0  # nbgrader's reading of a checks cell without outputs
    assert cell_grades(unscored(notebook)) == {"squares": 0.0, "counting": 0.0, "why": 0}


def test_the_class_is_graded_into_autograded_and_the_gradebook(course, tmp_path):
    (tmp_path / "secret.txt").write_text("only the grader may read this")
    (submit(course, "alice", SOLUTION.read_bytes()) / "notes.txt").symlink_to(tmp_path / "secret.txt")
    submit(course, "bob", (course / "release" / "toy" / "toy.ipynb").read_bytes())
    submit(course, "carol", SOLUTION.read_bytes()[:300])  # cut off: not JSON
    submit(course, "dave", None)  # the notebook is missing
    submit(course, "erin", with_cell("import sys, warnings\nprint('note: slow', file=sys.stderr)\n"
                                     "warnings.warn('deprecated')"))
    run = autograde(course)
    assert sorted(run.results) == ["alice", "bob", "carol", "dave", "erin"] and not run.failed
    assert scores(course) == {"alice": 90.0, "bob": 0.0, "carol": 0.0, "dave": 0.0, "erin": 90.0}
    assert "is not a valid notebook: it is not JSON" in run.results["carol"]["output"]
    assert list(run.refused) == ["carol"]  # nbgrader itself stops at it
    assert "No toy.ipynb was submitted" in run.results["dave"]["output"]
    for student in run.results:
        graded = nbformat.read(course / "autograded" / student / "toy" / "toy.ipynb", as_version=4)
        record = json.loads((course / RESULTS / "toy" / f"{student}.json").read_text())
        assert cell_grades(graded) == record["grades"]
        assert (course / "autograded" / student / "toy" / "timestamp.txt").exists()
    assert not list((course / "autograded").glob("*/.toy.*"))
    assert not (course / "autograded" / "alice" / "toy" / "notes.txt").exists()  # a link is not followed


def gradebook_rows(course) -> list[tuple]:
    """Every submission's rows, by student and cell name: what nbgrader's tools read back."""
    rows = []
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "atomgpt") as gradebook:
        for submission in gradebook.find_assignment("toy").submissions:
            rows.append((submission.student.id, str(submission.timestamp), submission.extension))
            for notebook in submission.notebooks:
                rows.append((submission.student.id, notebook.name, notebook.flagged, notebook.late_submission_penalty))
                rows += [(submission.student.id, grade.name, grade.auto_score, grade.manual_score, grade.extra_credit,
                          grade.needs_manual_grade) for grade in notebook.grades]
                rows += [(submission.student.id, comment.name, comment.auto_comment, comment.manual_comment)
                         for comment in notebook.comments]
    return sorted(rows, key=repr)


def test_a_first_submission_gets_the_rows_nbgraders_own_helpers_write(template, tmp_path, monkeypatch):
    """A new, on-time submission's rows are inserted at once; they are the rows add_submission and scoring leave."""
    def graded(name: str) -> list[tuple]:
        course = shutil.copytree(template, tmp_path / name)
        submit(course, "alice", SOLUTION.read_bytes())
        submit(course, "bob", (course / "release" / "toy" / "toy.ipynb").read_bytes())
        submit(course, "carol", with_cell("print('hello')"))
        autograde(course)
        return gradebook_rows(course)

    inserts, insert_new = [], Recorder.insert_new
    monkeypatch.setattr(Recorder, "insert_new", lambda self, *args: inserts.append(1) or insert_new(self, *args))
    inserted = graded("inserted")
    assert len(inserts) == 3  # all three went in at once: the comparison below is of the two paths
    monkeypatch.setattr(Recorder, "can_insert", lambda self, timestamp: False)
    assert inserted == graded("by-nbgrader") and len(inserted) > 3


def test_a_rerun_grades_only_what_changed_or_what_the_gradebook_lost(course):
    release = (course / "release" / "toy" / "toy.ipynb").read_bytes()
    for student in ("alice", "bob", "carol"):
        submit(course, student, SOLUTION.read_bytes() if student != "bob" else release)
    assert len(autograde(course).results) == 3
    again = autograde(course)
    assert again.results == {} and sorted(again.unchanged) == ["alice", "bob", "carol"]
    submit(course, "bob", SOLUTION.read_bytes(), timestamp="2026-11-21 10:00:00.000000 UTC")
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "atomgpt") as gradebook:
        gradebook.find_grade("squares", "toy", "toy", "carol").auto_score = 0.0
        gradebook.db.commit()
    changed = autograde(course)
    assert sorted(changed.results) == ["bob", "carol"] and changed.unchanged == ["alice"]
    assert scores(course) == {"alice": 90.0, "bob": 90.0, "carol": 90.0}
    assert sorted(autograde(course, force=True).results) == ["alice", "bob", "carol"]


def test_late_submissions_follow_nbgrader_penalty_settings(course):
    with (course / "nbgrader_config.py").open("a") as config:
        config.write('c.LateSubmissionPlugin.penalty_method = "zero"\n')
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "atomgpt") as gradebook:
        gradebook.update_or_create_assignment("toy", duedate=datetime(2026, 11, 20, 12, 0))
    submit(course, "ontime", SOLUTION.read_bytes(), timestamp="2026-11-20 11:00:00.000000 UTC")
    submit(course, "late", SOLUTION.read_bytes(), timestamp="2026-11-20 13:00:00.000000 UTC")
    autograde(course)
    assert scores(course) == {"ontime": 90.0, "late": 0.0}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "atomgpt") as gradebook:
        assert gradebook.find_submission_notebook("toy", "toy", "late").late_submission_penalty == 90.0
        gradebook.update_or_create_assignment("toy", duedate=datetime(2026, 11, 21, 12, 0))
    assert sorted(autograde(course).results) == ["late", "ontime"]  # a new due date regrades everyone
    assert scores(course) == {"ontime": 90.0, "late": 90.0}


def atomgpt(*args, **popen):
    env = {**os.environ, "ATOMGPT_ROOT": str(TOY_ROOT), "COLUMNS": "200"}
    return subprocess.Popen([sys.executable, "-m", "autograder", *map(str, args)], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **popen)


def test_a_run_killed_halfway_leaves_whole_students_and_the_next_run_does_the_rest(course):
    slow = with_cell("import time\ntime.sleep(0.4)")
    students = [f"s{i}" for i in range(6)]
    for student in students:
        submit(course, student, slow)
    process = atomgpt("autograde", "toy", "--course", course, "--workers", "1", start_new_session=True)
    for line in process.stderr:  # progress goes to stderr
        if line.startswith("autograded "):
            break
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    gradebook = scores(course)
    done = {p.stem for p in (course / RESULTS / "toy").glob("*.json")}
    assert done and len(done) < len(students)
    for student in done:  # whole: folder in place and the gradebook holding the recorded scores
        assert (course / "autograded" / student / "toy" / "toy.ipynb").is_file()
        assert gradebook[student] == 90.0
    rest = autograde(course)
    assert sorted(rest.results) == sorted(set(students) - done) and sorted(rest.unchanged) == sorted(done)
    assert scores(course) == dict.fromkeys(students, 90.0)
    assert not list((course / "autograded").glob("*/.toy.*"))


def test_the_command_says_what_is_wrong_with_the_course(course, tmp_path):
    submit(course, "alice", SOLUTION.read_bytes())
    cases = [
        (["--course", tmp_path / "nowhere"], "not an nbgrader course folder"),
        (["--course", course, "--student", "zoe"], "no submission of toy from zoe"),
    ]
    fresh = tmp_path / "fresh"
    write_config(fresh, TOY_ROOT)
    cases.append((["--course", fresh], "generate_assignment toy"))
    for args, message in cases:
        process = atomgpt("autograde", "toy", *args)
        _, stderr = process.communicate()
        assert process.returncode == 2 and message in stderr, stderr
    shutil.rmtree(fresh)
    process = atomgpt("autograde", "toy", "--course", course, "--student", "alice")
    stdout, stderr = process.communicate()
    assert process.returncode == 0, stderr
    assert "autograded alice: 90 (1 of 1 done)" in stderr and "1 autograded" in stdout
