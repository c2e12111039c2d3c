"""`atomgpt check` as a student runs it: in a folder holding nothing but a release notebook, with the kit
installed and no course (ATOMGPT_ROOT names an empty folder, so reading source_lib/ would fail)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.course import load_assignment
from autograder.release_info import KEY, PYTHON, REQUIREMENT, read_info
from autograder.variants import apply_variant, load_variants, solution_notebook

from .conftest import ROOT, TOY_ROOT


def check(folder: Path, *args) -> subprocess.CompletedProcess:
    nowhere = folder.parent / "no-course"
    nowhere.mkdir(exist_ok=True)
    env = {**os.environ, "ATOMGPT_ROOT": str(nowhere), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "autograder", "check", *map(str, args)], capture_output=True,
                          text=True, cwd=folder, env=env, timeout=600)


def alone(tmp_path: Path, name: str, notebook) -> Path:
    """A folder holding only this notebook."""
    folder = tmp_path / name
    folder.mkdir()
    path = folder / f"{notebook.metadata[KEY]['assignment']}.ipynb"
    nbformat.write(notebook, path)
    return folder


def variant(root: Path, assignment_id: str, variant_id: str):
    assignment = load_assignment(assignment_id, root)
    variants = {v.id: v for v in load_variants(assignment)}
    return apply_variant(solution_notebook(assignment), variants[variant_id], variants)


def table(output: str) -> dict[str, tuple[str, str]]:
    """Part title -> (passed or failed, what to look at), joined across the lines the table wraps them on."""
    found: list[list[str]] = []
    for line in output.splitlines():
        cells = [c.strip() for c in line.split("│")]
        if len(cells) != 5:  # not a row of the table: borders, title, notes
            continue
        if cells[2] in ("passed", "failed"):
            found.append(cells[1:4])
        elif found:
            found[-1] = [" ".join(filter(None, pair)) for pair in zip(found[-1], cells[1:4], strict=True)]
    return {title: (status, advice) for title, status, advice in found}


def rows(output: str) -> dict[str, str]:
    """Part title -> passed or failed."""
    return {title: status for title, (status, _) in table(output).items()}


def test_a_solved_and_a_buggy_toy_notebook_are_checked_with_nothing_but_the_notebook(tmp_path):
    solved = alone(tmp_path, "solved", nbformat.read(TOY_ROOT / "solutions" / "toy" / "toy.ipynb", 4))
    done = check(solved, "toy")
    assert done.returncode == 0, done.stderr
    assert rows(done.stdout) == {"Squares": "passed", "Counting": "passed"} and "2 of 2 parts pass" in done.stdout
    buggy = alone(tmp_path, "buggy", variant(TOY_ROOT, "toy", "doubling"))
    done = check(buggy, "toy")
    assert done.returncode == 0, done.stderr
    assert rows(done.stdout) == {"Squares": "failed", "Counting": "passed"}
    assert "square(3) should be 9" in done.stdout and "Hint: x squared is x times x." in done.stdout
    assert "its checks cell (code cell 2) raised AssertionError" in done.stdout  # the second code cell


def test_a_buggy_a1_notebook_shows_every_checkpoint_with_its_hint(tmp_path):
    """The real thing: each checkpoint of a1 in the table, the failing ones with their hints."""
    rubric = load_assignment("a1_values", ROOT).rubric
    folder = alone(tmp_path, "buggy", variant(ROOT, "a1_values", "relu-leaky"))
    done = check(folder, "a1_values", folder / "a1_values.ipynb")
    assert done.returncode == 0, done.stderr
    shown = rows(done.stdout)
    assert sorted(shown) == sorted(c.title for c in rubric.checkpoints)
    failed = [c for c in rubric.checkpoints if shown[c.title] == "failed"]
    assert {c.id for c in failed} == {"atomic_ops", "milestone"}
    advice = {title: text for title, (_, text) in table(done.stdout).items()}
    assert all(f"Hint: {c.hint}" in advice[c.title] for c in failed)
    assert "relu() of a negative number should be 0.0" in advice[failed[0].title]


def test_a_cell_that_raises_is_named_by_its_place_among_code_cells_and_its_part(tmp_path):
    notebook = nbformat.read(TOY_ROOT / "solutions" / "toy" / "toy.ipynb", 4)
    notebook.cells.insert(1, nbformat.v4.new_markdown_cell("A note of my own."))
    notebook.cells[2].source += "\n\nundefined_name"  # the first code cell, the third cell
    done = check(alone(tmp_path, "raises", notebook), "toy")
    assert 'Code cell 1, line 17 (in "Squares") raised NameError' in " ".join(done.stdout.split()), done.stdout


def test_the_release_describes_itself_and_hides_nothing(tmp_path):
    """What check reads travels in the release; none of what only the grader may know does."""
    assignment = load_assignment("a1_values", ROOT)
    release = json.loads((ROOT / "assignments" / "a1_values" / "a1_values.ipynb").read_text())
    info = read_info(release)
    rubric = assignment.rubric
    assert [(c.id, c.title, c.hint) for c in info.checkpoints] == [(c.id, c.title, c.hint) for c in rubric.checkpoints]
    assert info.limits == rubric.limits and info.python == PYTHON
    described = json.dumps(release["metadata"][KEY])
    secrets = [m.message for m in rubric.misconceptions] + [m.rubric for m in rubric.manual]
    secrets += [c.answer.feedback for c in rubric.checkpoints if c.answer]
    assert not [s for s in secrets if s in described]
    assert not any(key in described for key in ('"answer"', '"misconception', '"functions"', '"suite"'))
    assert REQUIREMENT in "".join(release["cells"][0]["source"])  # said where the student starts reading


def test_a_notebook_without_its_description_or_for_another_assignment_is_refused_with_a_reason(tmp_path):
    notebook = nbformat.read(TOY_ROOT / "assignments" / "toy" / "toy.ipynb", 4)
    folder = alone(tmp_path, "other", notebook)
    shutil.copyfile(folder / "toy.ipynb", folder / "a1_values.ipynb")
    wrong = check(folder, "a1_values")
    assert wrong.returncode == 2 and "is the notebook of toy, not of a1_values" in wrong.stderr
    del notebook.metadata[KEY]
    nbformat.write(notebook, folder / "toy.ipynb")
    old = check(folder, "toy")
    assert old.returncode == 2 and "does not describe its assignment" in old.stderr


@pytest.mark.parametrize("running, ok", [((3, 9), False), (PYTHON, True), ((3, 13), True)])
def test_the_python_a_release_needs_is_checked(running, ok):
    info = read_info(json.loads((TOY_ROOT / "assignments" / "toy" / "toy.ipynb").read_text()))
    problem = info.python_problem(running)
    assert (problem is None) == ok and (ok or f"needs Python {PYTHON[0]}.{PYTHON[1]} or newer" in problem)
