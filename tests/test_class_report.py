"""`atomgpt report`: the HTML class report of a graded toy class, read as data and opened in headless Chromium."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder.build import generate_release, write_source
from autograder.class_report import plots, write_report
from autograder.class_report.gather import SIMILARITY, ReportError, gather, shared_lines, student_result
from autograder.classroom.autograde import autograde_class
from autograder.classroom.config import write_config
from autograder.classroom.record import RESULTS
from autograder.course import load_assignment

from .browser import needs_chromium, open_page
from .conftest import TOY_ROOT

SOLUTION = TOY_ROOT / "solutions" / "toy" / "toy.ipynb"


def solution_with(old: str, new: str) -> bytes:
    notebook = nbformat.read(SOLUTION, as_version=4)
    assert any(old in cell.source for cell in notebook.cells)
    for cell in notebook.cells:
        cell.source = cell.source.replace(old, new)
    return nbformat.writes(notebook).encode()


def hand_in(course: Path, student: str, assignment_id: str, notebook: bytes) -> None:
    folder = course / "submitted" / student / assignment_id
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{assignment_id}.ipynb").write_bytes(notebook)
    (folder / "timestamp.txt").write_text("2026-11-20 10:00:00.000000 UTC")


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> tuple[Path, Path]:
    """(kit, course): a toy class graded by `atomgpt autograde`, and a second assignment's results beside it.

    The class is graded with the toy kit itself (its hidden suite is imported from there, in this process
    too). The report's kit has a second assignment, `toy2`, with the toy's rubric; its results are the toy's
    of other students (alice did as bob did in toy), so the course has a heat map and a student whose score fell.
    """
    base = tmp_path_factory.mktemp("class")
    kit = shutil.copytree(TOY_ROOT, base / "kit", ignore=shutil.ignore_patterns("grading_secret"))
    rubric = (kit / "source_lib" / "toy" / "rubric.toml").read_text()
    (kit / "source_lib" / "toy2").mkdir()
    (kit / "source_lib" / "toy2" / "rubric.toml").write_text(rubric.replace('id = "toy"', 'id = "toy2"', 1))
    course = base / "course"
    write_config(course, TOY_ROOT)
    write_source(load_assignment("toy", TOY_ROOT), course)
    generate_release(load_assignment("toy", TOY_ROOT), course)
    hand_in(course, "alice", "toy", SOLUTION.read_bytes())
    hand_in(course, "bob", "toy", solution_with("return x * x", "return x + x"))
    hand_in(course, "carol", "toy", (course / "release" / "toy" / "toy.ipynb").read_bytes())
    hand_in(course, "dave", "toy", solution_with("return x * x", "while True:\n        pass"))
    hand_in(course, "erin", "toy", b"not a notebook")
    autograde_class(TOY_ROOT, "toy", course, workers=2)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "atomgpt") as gradebook:
        gradebook.update_or_create_student("alice", first_name="Alice", last_name="Liddell")
    toy, toy2 = course / RESULTS / "toy", course / RESULTS / "toy2"
    toy2.mkdir()
    for student, like in (("alice", "bob"), ("bob", "alice"), ("carol", "carol")):
        shutil.copyfile(toy / f"{like}.json", toy2 / f"{student}.json")
    return kit, course


def assignments(kit: Path, *ids: str):
    return [load_assignment(i, kit) for i in ids]


def test_the_report_reads_what_the_class_did(graded, tmp_path):
    kit, course = graded
    data = gather(course, assignments(kit, "toy", "toy2"), tmp_path)
    toy = data.assignments[0]
    assert {s: r.score for s, r in toy.results.items()} == {"alice": 90, "bob": 45, "carol": 0, "dave": 0, "erin": 0}
    (doubling,) = toy.misconceptions()
    assert doubling.students == ("bob",) and doubling.message.startswith("You doubled x")
    troubles = dict(toy.troubles())
    assert troubles["dave"].startswith("Limit reached: square did not finish") and \
        "not a valid notebook" in troubles["erin"]
    assert set(troubles) == {"dave", "erin"}
    assert "why" in toy.waiting["alice"] and "carol" not in toy.waiting  # carol's answer is the release's: no answer
    rows = {r["id"]: r for r in toy.checkpoint_rows()}
    assert rows["squares"]["mean"] == (60 + 15) / 5 and rows["squares"]["full"] == 1 / 5
    assert toy.feedback["alice"] == os.path.relpath(course / "feedback" / "alice" / "toy" / "toy.html", tmp_path)
    assert data.names["alice"] == "Alice Liddell" and data.names["bob"] == "bob"
    assert data.heat_map_students(9) == ["alice", "bob", "carol", "dave", "erin"]  # highest mean share first
    assert data.heat_map_students(2) == ["carol", "dave"]  # a large class shows those with the lowest
    (fall,) = data.fell_most()
    assert (fall["student"], fall["from"], fall["to"], fall["fall"]) == ("alice", "toy", "toy2", 0.5)


def test_the_page_shows_every_part_and_links_each_student_to_their_feedback(graded, tmp_path):
    kit, course = graded
    (course / SIMILARITY).mkdir()
    code = {"alice": "def square(x):\n    return x * x\n", "bob": "def square(y):\n    return y * y\n"}
    (course / SIMILARITY / "toy.json").write_text(json.dumps({  # as `atomgpt similarity` writes it
        "assignment": "toy", "compared": ["alice", "bob"], "not_compared": {},
        "pairs": [{"students": ["alice", "bob"], "similarity": [0.93, 0.95], "shared_tokens": 120, "code": code,
                   "shared": {"alice": [[0, 33]], "bob": [[0, 33]]}}],
        "models": [{"students": ["carol", "dave"], "file": "checkpoint.json", "distance": 0.0003}]}))
    try:
        page = write_report(course, assignments(kit, "toy", "toy2"), tmp_path / "out").read_text()
        alone = write_report(course, assignments(kit, "toy"), tmp_path / "alone").read_text()
    finally:
        shutil.rmtree(course / SIMILARITY)
    for text in ("Students whose scores fell most", "You doubled x instead of multiplying it by itself.",
                 "did not finish within 1 s", "Waiting for hand grading", "def square(y):", "0.93",
                 "nearly the same checkpoint.json",
                 f'<a href="{os.path.relpath(course / "feedback/alice/toy/toy.html", tmp_path / "out")}">'):
        assert text in page, text
    assert "<script" not in page and "http" not in page  # nothing to fetch or run
    assert "fell most" not in alone and "Similar submissions" in alone  # one assignment: its own parts only


def test_the_command_writes_the_report_and_says_when_there_is_nothing_to_report(graded, tmp_path):
    kit, course = graded
    env = {**os.environ, "ATOMGPT_ROOT": str(kit)}
    done = subprocess.run([sys.executable, "-m", "autograder", "report", "--course", str(course), "--out",
                           str(tmp_path)], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert "class report of toy, toy2" in done.stdout and (tmp_path / "report.html").is_file()
    empty = tmp_path / "empty"
    write_config(empty, kit)
    done = subprocess.run([sys.executable, "-m", "autograder", "report", "--course", str(empty)],
                          capture_output=True, text=True, env=env)
    assert done.returncode == 2 and "no results" in done.stderr


# ---------------------------------------------------------------- in a browser


PLOTS = """[...document.querySelectorAll('img')].map(img => ({
    alt: img.alt, loaded: img.complete, natural: [img.naturalWidth, img.naturalHeight],
    shown: [img.getBoundingClientRect().width, img.getBoundingClientRect().height]}))"""
WIDTH = 1100  # a laptop's browser window


@needs_chromium
def test_every_plot_renders_in_chromium_with_nothing_fetched_and_no_console_errors(graded, tmp_path):
    kit, course = graded
    report = write_report(course, assignments(kit, "toy", "toy2"), tmp_path / "out")
    with open_page(report, WIDTH) as page:
        plots = page.evaluate(PLOTS)
        assert len(plots) == 1 + 2 * 2  # the heat map, and per assignment the distribution and the checkpoints
        for plot in plots:
            assert plot["loaded"] and min(plot["natural"]) > 50 and min(plot["shown"]) > 50, plot
        assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH  # nothing runs off the page
        assert page.console_errors(("error", "warning", "assert")) == []
        fetched = [url for url in page.requested() if not url.startswith("data:")]
        assert fetched == [report.resolve().as_uri()]  # the plots are in the page: nothing else is fetched
        shot = page.screenshot(tmp_path / "report.png")
    assert shot.stat().st_size > 10_000
    if os.environ.get("ATOMGPT_SCREENSHOTS"):  # a folder to keep the screenshot in, to look at it
        shutil.copyfile(shot, Path(os.environ["ATOMGPT_SCREENSHOTS"]) / "class_report.png")


def test_shared_code_is_shown_in_whole_lines_with_gaps_marked():
    code = "def f(x):\n    y = x\n    return y\n\ndef g(x):\n    return 2 * x\n"
    assert shared_lines(code, [[12, 16]]) == "    y = x"  # a span inside a line shows the whole line
    assert shared_lines(code, [[0, 3], [36, 39]]) == "def f(x):\n...\ndef g(x):"


def test_a_student_handed_in_but_not_graded_is_listed_and_a_crash_is_not_a_limit(graded, tmp_path):
    kit, course = graded
    hand_in(course, "frank", "toy", SOLUTION.read_bytes())  # the grader failed on it: no result was written
    try:
        toy = gather(course, assignments(kit, "toy"), tmp_path).assignments[0]
    finally:
        shutil.rmtree(course / "submitted" / "frank")
    assert toy.ungraded == ("frank",) and "not graded" in dict(toy.troubles())["frank"]
    crashed = student_result("gina", {"score": 0, "extra_data": {"limits": [
        {"kind": "crash", "what": "your notebook's cells", "detail": "it exited with code 0 (os._exit)"}]}})
    assert crashed.limits == ("Your code's process ended while your notebook's cells ran: it exited with code 0 "
                              "(os._exit).",)


def test_an_unreadable_similarity_file_is_an_error_not_an_empty_section(graded, tmp_path):
    kit, course = graded
    (course / SIMILARITY).mkdir()
    (course / SIMILARITY / "toy.json").write_text('{"pairs": [{"students": ["a"]}]}')  # not what the kit writes
    try:
        with pytest.raises(ReportError, match="atomgpt similarity toy"):
            gather(course, assignments(kit, "toy"), tmp_path)
    finally:
        shutil.rmtree(course / SIMILARITY)


def test_a_dollar_in_a_name_is_drawn_as_written():
    assert plots.heat_map(["Jo $\\bad$ Smith", "A $5 and $6 B"], ["toy"], [[0.5], [1.0]]).startswith("data:")
