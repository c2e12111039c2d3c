"""The command line: grade, check and build on the toy course; exit codes."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys

from .conftest import TOY_ROOT

RELEASE = TOY_ROOT / "assignments" / "toy" / "toy.ipynb"
SOLUTION = TOY_ROOT / "solutions" / "toy" / "toy.ipynb"


def atomgpt(*args, cwd=TOY_ROOT, root=TOY_ROOT):
    env = {**os.environ, "ATOMGPT_ROOT": str(root), "COLUMNS": "160"}
    return subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, env=env)


def test_grade_writes_one_result_per_submission_and_prints_a_table(tmp_path):
    folder = tmp_path / "alice"
    folder.mkdir()
    (folder / "toy.ipynb").write_bytes(SOLUTION.read_bytes())
    broken = tmp_path / "bob.ipynb"
    broken.write_text("not json")
    kit = shutil.copytree(TOY_ROOT, tmp_path / "kit")  # grading makes the kit's secret: not in the checkout
    done = atomgpt("grade", "toy", folder, broken, RELEASE, "--out", tmp_path / "out", "--workers", "2", root=kit)
    assert done.returncode == 0, done.stderr
    results = {p.stem: json.loads(p.read_text()) for p in (tmp_path / "out").glob("*.json")}
    assert {k: v["score"] for k, v in results.items()} == {"alice": 90, "bob": 0, "toy": 0}
    assert "alice" in done.stdout and "score" in done.stdout
    assert not list((tmp_path / "out").glob(".*tmp*"))


def test_grading_problems_exit_non_zero_with_a_message(tmp_path):
    missing = atomgpt("grade", "toy", tmp_path / "nope.ipynb", "--out", tmp_path)
    assert missing.returncode == 2 and "no such file" in missing.stderr
    unknown = atomgpt("grade", "a0_nothing", SOLUTION, "--out", tmp_path)
    assert unknown.returncode == 2 and "unknown assignment 'a0_nothing' (known: toy)" in unknown.stderr


def test_check_shows_visible_checks_with_hints(tmp_path):
    done = atomgpt("check", "toy", RELEASE)
    assert done.returncode == 0, done.stderr
    assert "0 of 2 parts pass" in done.stdout and "not written yet" in done.stdout
    assert "x squared is x times x" in done.stdout
    good = atomgpt("check", "toy", cwd=SOLUTION.parent)
    assert "2 of 2 parts pass" in good.stdout


def test_check_without_a_notebook_says_where_it_looked(tmp_path):
    done = atomgpt("check", "toy", cwd=tmp_path)
    assert done.returncode == 2 and "no toy.ipynb here" in done.stderr


def test_build_check_spots_stale_generated_files(tmp_path):
    assert atomgpt("build", "--check").returncode == 0
    copy = tmp_path / "course_kit"
    shutil.copytree(TOY_ROOT, copy)
    release = copy / "assignments" / "toy" / "toy.ipynb"
    release.write_text(release.read_text().replace("Toy assignment", "Toy assignment, edited"))
    stale = atomgpt("build", "--check", root=copy)
    assert stale.returncode == 1 and "stale: assignments/toy/toy.ipynb" in stale.stdout


def test_demo_builds_grades_a_synthetic_class_and_reports(tmp_path):
    done = atomgpt("demo", "--out", tmp_path / "demo", "--seed", "5", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    summary = json.loads((tmp_path / "demo" / "summary.json").read_text())["toy"]
    assert summary["submissions"] == 8 and summary["seed"] == 5
    scores = summary["scores"]
    assert scores["solution"] == scores["style-power-style"] == scores["style-warns-on-stderr"] == 90
    assert summary["scores"]["broken-notebook"] == 0 and summary["scores"]["empty-file"] == 0
    assert summary["misconceptions"] == {"doubling": 1}
    assert "bug-doubling" in done.stdout and "score" in done.stdout
    assert "# toy: class summary" in (tmp_path / "demo" / "report.md").read_text()
    with (tmp_path / "demo" / "course" / "grades.csv").open() as exported:  # nbgrader's export of the gradebook
        exported_scores = {row["student_id"]: float(row["score"]) for row in csv.DictReader(exported)}
    assert exported_scores == {name: float(score) for name, score in scores.items()}


def test_bracketed_code_in_messages_is_printed_as_written():
    from rich.console import Console

    from autograder.check import CheckResult, print_checks

    console = Console(record=True, width=200)
    failed = CheckResult("wrap", "wrap", False, "wrap(ids, bos) should start with [bos]", "look at ids[0]")
    print_checks([failed], ["cell 3 printed [1, 2]"], console)
    text = console.export_text()
    assert "[bos]" in text and "ids[0]" in text and "[1, 2]" in text
