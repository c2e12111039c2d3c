"""The feedback a student reads, rendered in headless Chromium: nbgrader's feedback page and formgrader's view.

A student with a known bug in a1 is graded by `atomgpt autograde`, and `nbgrader generate_feedback` writes
their page. Every line of the engine's text (the report at the top, each checkpoint's feedback) must stay
inside its cell's box, in the feedback page and in formgrader's rendering of the same notebook; the list of
links names checkpoints by title and says which answers wait to be marked by hand; no checks cell shows a
bare score; the report lists the misconception.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbconvert.exporters import HTMLExporter
from nbgrader.api import Gradebook

from autograder.build import generate_release, write_source
from autograder.classroom.autograde import autograde_class
from autograder.classroom.config import write_config
from autograder.classroom.feedback import NBGRADER_TEMPLATES
from autograder.classroom.record import RESULTS
from autograder.classroom.steps import hand_in
from autograder.course import load_assignment
from autograder.nbgrader_tools import tool_env
from autograder.variants import apply_variant, load_variants, solution_notebook, write_notebook

from .browser import needs_chromium, open_page
from .conftest import ROOT

ASSIGNMENT = "a1_values"
BUG = "relu-leaky"  # a failure line, a misconception and a long hint in one checkpoint
STUDENT = "leaky"
WIDTH = 1000  # narrower than the engine's longest lines, so they must wrap
LINE = 20  # engine lines shorter than this are not telling about wrapping
SLACK = 4  # px: the space a wrapped line ends with may hang past the edge; text that does not wrap runs far out

# For each line of engine text: the text node holding it, and each piece of it on screen (one per wrapped
# line) measured against the box of the notebook cell it is in.
MEASURE = """((lines, slack) => {
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const nodes = [];
  while (walker.nextNode()) nodes.push(walker.currentNode);
  return lines.map((line) => {
    const node = nodes.find((n) => n.data.includes(line));
    if (!node) return {line, found: false};
    const range = document.createRange();
    const start = node.data.indexOf(line);
    range.setStart(node, start);
    range.setEnd(node, start + line.length);
    const box = (node.parentElement.closest('.cell') || document.body).getBoundingClientRect();
    const pieces = Array.from(range.getClientRects()).filter((r) => r.width > 0);
    const outside = pieces.filter((r) => r.right > box.right + slack || r.left < box.left - slack);
    return {line, found: true, pieces: pieces.length, overflow: outside.map((r) => r.right - box.right)};
  });
})"""


def run(command: list[str], cwd: Path) -> None:
    env = {**tool_env(), "HOME": str(cwd), "ATOMGPT_ROOT": str(ROOT)}
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-4000:]


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> tuple[Path, dict]:
    """The course after a buggy student was autograded and given feedback; and the student's result."""
    top = tmp_path_factory.mktemp("feedback")
    course = top / "course"
    assignment = load_assignment(ASSIGNMENT, ROOT)
    write_config(course, ROOT)
    write_source(assignment, course)
    generate_release(assignment, course)
    variants = {v.id: v for v in load_variants(assignment)}
    notebook = write_notebook(apply_variant(solution_notebook(assignment), variants[BUG], variants),
                              top / "work" / f"{ASSIGNMENT}.ipynb")
    hand_in(course, ASSIGNMENT, {STUDENT: notebook.parent}, "2026-11-30 09:00:00.000000 UTC")
    autograde_class(ROOT, ASSIGNMENT, course, workers=1)
    run([sys.executable, "-m", "nbgrader", "generate_feedback", ASSIGNMENT], course)
    result = json.loads((course / RESULTS / ASSIGNMENT / f"{STUDENT}.json").read_text())["result"]
    return course, result


def engine_lines(result: dict) -> list[str]:
    """The engine's text the student must be able to read: the report and each checkpoint's feedback."""
    texts = [result["output"], *(test["output"] for test in result["tests"])]
    return [line for text in texts for line in text.splitlines() if len(line) >= LINE]


def feedback_page(course: Path) -> Path:
    return course / "feedback" / STUDENT / ASSIGNMENT / f"{ASSIGNMENT}.html"


def formgrader_page(course: Path, folder: Path) -> Path:
    """The autograded notebook as formgrader's grading view renders it (its scripts and styles stay unloaded)."""
    exporter = HTMLExporter(template_name="formgrade", extra_template_basedirs=[NBGRADER_TEMPLATES])
    resources = {"assignment_id": ASSIGNMENT, "notebook_id": ASSIGNMENT, "submission_id": "1", "index": 0,
                 "total": 1, "base_url": "", "student": STUDENT, "last_name": None, "first_name": None,
                 "notebook_path": ""}
    page, _ = exporter.from_filename(str(course / "autograded" / STUDENT / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"),
                                     resources=resources)
    path = folder / "formgrader.html"
    path.write_text(page)
    return path


def assert_every_line_wraps(page: Path, lines: list[str], screenshot: Path) -> None:
    with open_page(page, width=WIDTH) as browser:
        measured = browser.evaluate(f"{MEASURE}({json.dumps(lines)}, {SLACK})")
        browser.screenshot(screenshot)
    assert all(m["found"] for m in measured), [m["line"] for m in measured if not m["found"]]
    overflowing = [(m["line"][:60], max(m["overflow"])) for m in measured if m["overflow"]]
    assert not overflowing, f"{page.name}: engine text runs out of its cell by (px): {overflowing}"
    assert any(m["pieces"] > 1 for m in measured), "no line was long enough to need wrapping: the test proves nothing"


@needs_chromium
def test_engine_text_wraps_inside_its_box_in_feedback_and_formgrader(graded, tmp_path):
    course, result = graded
    lines = engine_lines(result)
    assert any("Likely misconception" in line for line in lines) and any("Hint:" in line for line in lines)
    assert_every_line_wraps(feedback_page(course), lines, tmp_path / "feedback.png")
    assert_every_line_wraps(formgrader_page(course, tmp_path), lines, tmp_path / "formgrader.png")


def test_links_name_checkpoints_and_answers_to_mark_and_no_score_stands_bare(graded):
    course, result = graded
    page = feedback_page(course).read_text()
    toc = page.split('<div id="toc">', 1)[1].split("</ol>", 1)[0]
    links = [html.unescape(re.sub(r"<[^>]+>", "", item)).strip() for item in re.findall(r"<li.*?</li>", toc, re.S)]
    rubric = load_assignment(ASSIGNMENT, ROOT).rubric
    assert sorted(link.split(" (Score")[0] for link in links if "Score:" in link) == sorted(
        c.title for c in rubric.checkpoints)
    to_mark = [link for link in links if "to be marked by hand" in link]
    assert len(to_mark) == len(rubric.manual) and all(link.startswith("Short answer SA") for link in to_mark)
    assert "Test cell" not in page and "Written response" not in page
    graded_notebook = nbformat.read(course / "autograded" / STUDENT / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", 4)
    checks = [c for c in graded_notebook.cells if c.metadata.get("nbgrader", {}).get("grade")
              and c.cell_type == "code"]
    assert checks and all(len(c.outputs) == 1 and "atomgpt-feedback" in c.outputs[0].data["text/html"]
                          for c in checks)  # the score is the output's plain text, its face the feedback
    bug = next(v for v in load_variants(load_assignment(ASSIGNMENT, ROOT)) if v.id == BUG)
    message = next(m.message for m in rubric.misconceptions if m.id == bug.misconception)
    report = html.unescape(graded_notebook.cells[0].source)
    assert message in result["output"] and message in report


@needs_chromium
def test_a_page_can_be_measured_and_photographed(tmp_path):
    """The helper and the measurement: a line too long for its box is seen to run out of it."""
    long = "x" * 400
    page = tmp_path / "page.html"
    page.write_text(f'<div class="cell" style="width: 300px"><pre>{long}</pre></div>'
                    f'<div class="cell" style="width: 300px; overflow-wrap: anywhere">{"y" * 400}</div>')
    with open_page(page, width=400) as browser:
        measured = browser.evaluate(f"{MEASURE}({json.dumps([long, 'y' * 400])}, {SLACK})")
        shot = browser.screenshot(tmp_path / "page.png")
        browser.evaluate("console.error('seen')")
        errors = browser.console_errors()
    assert measured[0]["overflow"] and not measured[1]["overflow"] and measured[1]["pieces"] > 1
    assert shot.read_bytes().startswith(b"\x89PNG") and errors == ["seen"]


def test_an_answer_marked_by_hand_shows_its_score(graded, tmp_path):
    course = shutil.copytree(graded[0], tmp_path / "course")
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "atomgpt") as gradebook:
        grade = gradebook.find_grade("sa1", ASSIGNMENT, ASSIGNMENT, STUDENT)
        grade.manual_score, grade.needs_manual_grade = 2.0, False  # what formgrader saves
        gradebook.db.commit()
    run([sys.executable, "-m", "nbgrader", "generate_feedback", ASSIGNMENT, "--force"], course)
    page = feedback_page(course).read_text()
    assert '<a href="#sa1">Short answer SA1</a> (Score: 2.0 / 3.0)' in page
    assert page.count("to be marked by hand") == len(load_assignment(ASSIGNMENT, ROOT).rubric.manual) - 1
