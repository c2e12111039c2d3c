"""A handed-in notebook put back in the release's shape, and the property that every notebook Jupyter lets a
student hand in gets one grade, whichever way it is graded."""

from __future__ import annotations

import copy
import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograder.restore import read_release, restore

from .conftest import TOY_ROOT
from .handed_in import check_class, edited

RELEASE = read_release(TOY_ROOT / "assignments" / "toy" / "toy.ipynb")
PRISTINE = copy.deepcopy(RELEASE)  # restoring only reads the release: graders share one copy of it


def answered(bug: bool = False) -> dict:
    """The release with the solution's answers typed in (with a bug in bump, when asked)."""
    notebook = json.loads(json.dumps(RELEASE))
    solution = json.loads((TOY_ROOT / "solutions" / "toy" / "toy.ipynb").read_text())
    for cell, answer in zip(notebook["cells"], solution["cells"], strict=True):
        if cell["metadata"]["nbgrader"].get("solution"):
            cell["source"] = "".join(answer["source"])
    if bug:
        notebook["cells"][1]["source"] = notebook["cells"][1]["source"].replace("self.count += by", "self.count += 1")
    return notebook


STARTS = {"release": json.loads(json.dumps(RELEASE)), "correct": answered(), "bump-bug": answered(bug=True)}


def test_a_notebook_as_released_or_answered_needs_no_repair():
    for notebook in STARTS.values():
        restored = restore(notebook, RELEASE)
        assert restored.repairs == []
        assert restore(restored.notebook, RELEASE).notebook == restored.notebook


def test_copies_of_locked_cells_go_and_copies_of_answers_run_as_the_students_own():
    notebook = answered()
    checks, answer = notebook["cells"][2], notebook["cells"][1]
    notebook["cells"] += [copy.deepcopy(checks), copy.deepcopy(answer)]
    restored = restore(notebook, RELEASE)
    sources = [cell.source for cell in restored.notebook.cells]
    assert sources.count(checks["source"]) == 1 and sources.count(answer["source"]) == 2
    assert "nbgrader" not in restored.notebook.cells[-1].metadata  # the copy earns nothing
    assert len(restored.repairs) == 2


def test_text_merged_into_a_locked_cell_stays_the_students():
    notebook = answered()
    notebook["cells"][2]["source"] += "\nprint('mine')"
    restored = restore(notebook, RELEASE)
    assert restored.notebook.cells[2].source == RELEASE.cells[2].source
    assert restored.notebook.cells[3].source == "print('mine')" and restored.repairs


def test_an_answer_made_markdown_is_graded_as_code_again():
    notebook = answered()
    notebook["cells"][1]["cell_type"] = "markdown"
    del notebook["cells"][1]["outputs"], notebook["cells"][1]["execution_count"]
    restored = restore(notebook, RELEASE)
    assert restored.notebook.cells[1].cell_type == "code" and "def square" in restored.notebook.cells[1].source
    assert any("made a markdown cell" in line for line in restored.repairs)


@settings(max_examples=300, deadline=None)
@given(edited(STARTS, "toy", max_edits=6))
def test_restoring_is_total_and_a_fixpoint(case):
    restored = restore(case.notebook, RELEASE)
    again = restore(json.loads(json.dumps(restored.notebook)), RELEASE)
    assert again.repairs == [] and again.notebook == restored.notebook
    checks = [c.metadata.nbgrader.grade_id for c in restored.notebook.cells
              if c.metadata.get("nbgrader", {}).get("grade") and not c.metadata.nbgrader.get("solution")]
    assert checks == ["squares", "counting"]  # every checks cell once, in its place
    assert RELEASE == PRISTINE


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
          derandomize=True)
@given(st.lists(edited(STARTS, "toy"), min_size=1, max_size=4))
def test_every_handed_in_notebook_gets_one_grade_in_every_record_and_every_way(template, cases):
    with tempfile.TemporaryDirectory() as work:
        check_class(TOY_ROOT, "toy", template, cases, Path(work))


def test_a_picture_link_without_its_attachment_is_taken_out_so_feedback_can_be_shown():
    """nbconvert refuses a markdown cell naming an attachment it does not carry; typing one must not cost feedback."""
    from nbconvert import HTMLExporter

    notebook = answered()
    why = next(c for c in notebook["cells"] if c["metadata"]["nbgrader"].get("grade_id") == "why")
    why["source"] = "It makes it positive, see ![sketch](attachment:sketch.png)"
    restored = restore(notebook, RELEASE)
    assert len(restored.repairs) == 1 and "sketch.png" in restored.repairs[0]
    HTMLExporter().from_notebook_node(restored.notebook)  # raises on a missing attachment
    assert restore(restored.notebook, RELEASE).repairs == []
