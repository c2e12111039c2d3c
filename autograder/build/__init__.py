"""source_lib -> nbgrader course source -> release (via nbgrader) and solutions.

The release is made by nbgrader's own `generate_assignment`, so what
students get is exactly what an nbgrader course would give them. The
solution notebook is the master, executed. Outputs are stable and carry
no detail of the machine that built them (`machine`), so a rebuild of an
unchanged source changes nothing, on any Python the kit supports, and CI
can spot stale files.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbconvert.preprocessors import CoalesceStreamsPreprocessor

from ..classroom.config import write_config
from ..course import Assignment, load_assignment
from ..hidden_inputs import read_secret
from ..nbgrader_tools import ToolError, run_nbgrader
from .cells import course_notebook
from .machine import course_content, own_kernel, pin_machine_details, same_content
from .provided import read_master


class BuildError(Exception):
    """A step of the build failed; the message says which and why."""


def write_source(assignment: Assignment, course: Path) -> Path:
    """The nbgrader source notebook, with the data files it reads beside it."""
    notebook = course_notebook(read_master(assignment), assignment.rubric)
    target = course / "source" / assignment.id / f"{assignment.id}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, target)
    for data in assignment.data_files:
        shutil.copyfile(data, target.parent / data.name)
    return target


def generate_release(assignment: Assignment, course: Path) -> Path:
    try:
        run_nbgrader(["generate_assignment", assignment.id, "--force"], course)
    except ToolError as error:
        raise BuildError(str(error)) from None
    release = course / "release" / assignment.id / f"{assignment.id}.ipynb"
    if not release.exists():
        raise BuildError(f"nbgrader generate_assignment {assignment.id} wrote no {release}")
    return release


def execute_solution(source: Path, target: Path) -> list[Path]:
    """Runs the solution beside its data files; keeps the notebook and what it wrote."""
    notebook = nbformat.read(source, as_version=4)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="atomgpt-solution-") as scratch:
        scratch = Path(scratch)
        inputs = {p.name for p in source.parent.iterdir() if p.is_file() and p != source}
        for name in inputs:
            shutil.copyfile(source.parent / name, scratch / name)
        client = NotebookClient(notebook, km=own_kernel(), timeout=1800, record_timing=False,
                                resources={"metadata": {"path": str(scratch)}})
        try:
            client.execute(stderr=subprocess.DEVNULL)  # the kernel's own start-up chatter
        except Exception as error:  # nbclient raises several kinds; all mean the same here
            raise BuildError(f"the solution of {source.stem} does not run: {error}") from None
        # a print can arrive in several pieces when the machine is busy: join them, so reruns match
        CoalesceStreamsPreprocessor().preprocess(notebook, {})
        pin_machine_details(notebook)
        nbformat.write(notebook, target)
        written = []
        for path in sorted(scratch.iterdir()):
            if path.is_file() and path.name not in inputs:
                shutil.copyfile(path, target.parent / path.name)
                written.append(target.parent / path.name)
    return [target, *written]


@dataclass(frozen=True)
class Built:
    """One assignment's generated files: the release folder and the executed solution."""

    release: Path  # the released notebook
    solution: Path  # the executed solution notebook
    files: list[Path]  # everything written, data files and the solution's outputs included


def build_assignment(assignment: Assignment, course: Path, out: Path) -> Built:
    """Writes out/assignments/<id>/ (the release) and out/solutions/<id>/; the course gets its grading secret."""
    write_config(course, assignment.folder.parent.parent)
    read_secret(course, "course")
    source = write_source(assignment, course)
    release = generate_release(assignment, course)
    released_folder = out / "assignments" / assignment.id
    released_folder.mkdir(parents=True, exist_ok=True)
    released = []
    for name in [release.name, *(f.name for f in assignment.data_files)]:
        shutil.copyfile(release.parent / name, released_folder / name)
        released.append(released_folder / name)
    solution = out / "solutions" / assignment.id / f"{assignment.id}.ipynb"
    return Built(released[0], solution, [*released, *execute_solution(source, solution)])


def build(root: Path, ids: list[str], course: Path, out: Path | None = None,
          progress: Callable[[str], None] = lambda assignment_id: None) -> list[Path]:
    """Builds each assignment in turn (`progress(id)` after each); returns every file written."""
    written = []
    for assignment_id in ids:
        written += build_assignment(load_assignment(assignment_id, root), course, out or root).files
        progress(assignment_id)
    return written


def stale_files(root: Path, ids: list[str], progress: Callable[[str], None] = lambda assignment_id: None) -> list[str]:
    """Generated files whose content differs from a fresh build's (empty when in sync)."""
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        fresh = build(root, ids, scratch / "course", scratch / "out", progress)
        stale = []
        for path in fresh:
            committed = root / path.relative_to(scratch / "out")
            if not committed.exists() or not same_content(course_content(path), course_content(committed)):
                stale.append(str(committed.relative_to(root)))
        return stale
