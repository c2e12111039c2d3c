"""Submissions the platform exports are tried on, and what `atomgpt grade` gives each, for the export tests.

For an assignment: the solution (with the files it hands in), the untouched
release, a known bug of variants.toml, a notebook that is not JSON, and a
cheat (the bug, plus a last cell that overwrites both platforms' results
files, reads the hidden suite where each platform keeps it, and exits the
process early; graded by the exports in the plainest sandbox, where it
can do most). Each is graded once per test session by `atomgpt grade`
with the kit's hidden inputs, which the exports carry as their seed.
"""

from __future__ import annotations

import atexit
import functools
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat

from autograder.cli import main as atomgpt
from autograder.course import PACKAGE_ROOT, Assignment, load_assignment
from autograder.export.bundle import build_wheel
from autograder.sandbox import strongest_boundary
from autograder.variants import apply_variant, handed_in_with, load_variants, solution_notebook, write_notebook

SUBJECTS = ("solution", "release", "bug", "broken", "cheat")
FAKE = {"score": 1000.0, "output": "graded by the submission itself", "gradable": True, "tests": []}
MARKER = "overwritten-by-the-cheat"  # left beside the results file when the cheat could write there
BUG = {"a1_values": "add-forgets-children", "a7_gpt": "init-mlp-transposed"}  # known bugs of variants.toml


@dataclass(frozen=True, eq=False)  # hashed by identity: subjects() makes one per assignment
class Subjects:
    assignment: Assignment
    folders: dict[str, Path]  # subject -> the folder a student hands in
    graded: dict[str, dict]  # subject -> `atomgpt grade`'s result
    roots: Path  # <platform>/<subject>/ is where a test lays out that platform's root for a subject
    wheel: Path

    def root(self, platform: str, subject: str) -> Path:
        return self.roots / platform / subject

    @property
    def bug(self):
        return {v.id: v for v in load_variants(self.assignment)}[BUG[self.assignment.id]]


def cheat_cell(roots: Path, suite: str) -> str:
    """Code a student appends: every results file a platform reads, overwritten; the hidden suite, read; exit."""
    targets = [str(roots / platform / "cheat" / "results" / "results.json")
               for platform in ("gradescope", "prairielearn")]
    suites = [str(roots / "gradescope" / "cheat" / "source" / "kit" / suite),
              str(roots / "prairielearn" / "cheat" / "tests" / "kit" / suite)]
    return "\n".join([
        "import json, os",
        f"for target in {targets!r}:",
        "    try:",
        "        with open(target, 'w') as file:",
        f"            json.dump({FAKE!r}, file)",
        f"        open(os.path.join(os.path.dirname(target), {MARKER!r}), 'w').close()",
        "    except OSError:",
        "        pass",
        f"for suite in {suites!r}:",
        "    try:",
        "        print(open(suite).read())",
        "    except OSError:",
        "        pass",
        "os._exit(0)",
    ])


@functools.cache
def subjects(assignment_id: str) -> Subjects:
    """The five submissions of an assignment, graded by `atomgpt grade` (once per test session)."""
    assignment = load_assignment(assignment_id, PACKAGE_ROOT)
    base = Path(tempfile.mkdtemp(prefix=f"atomgpt-export-{assignment_id}-"))
    atexit.register(shutil.rmtree, base, True)
    solved = PACKAGE_ROOT / "solutions" / assignment_id / f"{assignment_id}.ipynb"
    beside = handed_in_with(solved)
    variants = {v.id: v for v in load_variants(assignment)}
    bug = variants[BUG[assignment_id]]
    solution = solution_notebook(assignment)
    cheat = apply_variant(solution, bug, variants)
    cheat.cells.append(nbformat.v4.new_code_cell(
        cheat_cell(base / "roots", f"source_lib/{assignment_id}/{assignment.suite.name}"), id="cheat"))
    notebook = f"{assignment_id}.ipynb"
    folders = {name: base / "handed_in" / name for name in SUBJECTS}
    write_notebook(solution, folders["solution"] / notebook, beside)
    folders["release"].mkdir(parents=True)
    shutil.copyfile(assignment.release, folders["release"] / notebook)
    write_notebook(apply_variant(solution, bug, variants), folders["bug"] / notebook, beside)
    folders["broken"].mkdir(parents=True)
    (folders["broken"] / notebook).write_text('{"cells": [ this is not JSON')
    write_notebook(cheat, folders["cheat"] / notebook, beside)
    out = base / "graded"
    assert atomgpt(["grade", assignment_id, *map(str, folders.values()), "--out", str(out)]) == 0
    graded = {name: json.loads((out / f"{name}.json").read_text()) for name in SUBJECTS}
    return Subjects(assignment, folders, graded, base / "roots", wheel())


@functools.cache
def wheel() -> Path:
    """The kit as a wheel, built once per test session: every assignment's export holds the same one."""
    folder = Path(tempfile.mkdtemp(prefix="atomgpt-export-wheel-"))
    atexit.register(shutil.rmtree, folder, True)
    return build_wheel(folder)


def hand_in(folder: Path, into: Path) -> None:
    """A platform's copy of what the student handed in."""
    into.mkdir(parents=True, exist_ok=True)
    for path in folder.iterdir():
        shutil.copyfile(path, into / path.name)


def the_cheat_ran(root: Path) -> None:
    """The cheat wrote into the results folder, as it can in the plainest sandbox unless its code runs as nobody."""
    reached = (root / "results" / MARKER).exists()
    assert reached or strongest_boundary("process").run_as is not None, "the cheat's last cell never ran"


def misconception_message(assignment: Assignment, misconception_id: str) -> str:
    return next(m.message for m in assignment.rubric.misconceptions if m.id == misconception_id)
