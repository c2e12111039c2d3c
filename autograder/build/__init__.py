"""source_lib -> nbgrader course source -> release (via nbgrader) and solutions.

The release is made by nbgrader's own `generate_assignment`, so what
students get is exactly what an nbgrader course would give them. The
solution notebook is the master, executed. Outputs are byte-stable, so a
rebuild of an unchanged source changes nothing and CI can spot stale files.
"""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient

from ..course import Assignment, load_assignment
from .cells import course_notebook

NBGRADER_CONFIG = '''"""nbgrader configuration of the From Atomic Ops to GPT course (made by `atomgpt build`)."""
import os

c = get_config()  # noqa: F821
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = "atomgpt"
'''


class BuildError(Exception):
    """A step of the build failed; the message says which and why."""


def ensure_course(course: Path) -> None:
    course.mkdir(parents=True, exist_ok=True)
    config = course / "nbgrader_config.py"
    if not config.exists():
        config.write_text(NBGRADER_CONFIG)


def write_source(assignment: Assignment, course: Path) -> Path:
    notebook = course_notebook(jupytext.read(assignment.source), assignment.rubric)
    target = course / "source" / assignment.id / f"{assignment.id}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, target)
    return target


def tool_env() -> dict:
    """nbgrader calls helper programs (alembic) by name: put ours first on PATH."""
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return {**os.environ, "PATH": path}


def generate_release(assignment: Assignment, course: Path) -> Path:
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", "generate_assignment", assignment.id, "--force",
         "--log-level=WARN"],
        cwd=course, capture_output=True, text=True, env=tool_env())
    release = course / "release" / assignment.id / f"{assignment.id}.ipynb"
    if done.returncode != 0 or not release.exists():
        raise BuildError(f"nbgrader generate_assignment {assignment.id} failed:\n{done.stderr[-3000:]}")
    return release


def execute_solution(source: Path, target: Path) -> None:
    notebook = nbformat.read(source, as_version=4)
    target.parent.mkdir(parents=True, exist_ok=True)
    client = NotebookClient(notebook, timeout=1800, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(target.parent)}})
    try:
        client.execute(stderr=subprocess.DEVNULL)  # the kernel's own start-up chatter
    except Exception as error:  # nbclient raises several kinds; all mean the same here
        raise BuildError(f"the solution of {source.stem} does not run: {error}") from None
    nbformat.write(notebook, target)


def build_assignment(assignment: Assignment, course: Path, out: Path) -> list[Path]:
    """Writes out/assignments/<id>/ and out/solutions/<id>/; returns the files."""
    ensure_course(course)
    source = write_source(assignment, course)
    release = generate_release(assignment, course)
    released = out / "assignments" / assignment.id / release.name
    released.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(release, released)
    solution = out / "solutions" / assignment.id / f"{assignment.id}.ipynb"
    execute_solution(source, solution)
    return [released, solution]


def build(root: Path, ids: list[str], course: Path, out: Path | None = None) -> list[Path]:
    return [path for i in ids for path in build_assignment(load_assignment(i, root), course, out or root)]


def stale_files(root: Path, ids: list[str]) -> list[str]:
    """Generated files that differ from a fresh build (empty when in sync)."""
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        fresh = build(root, ids, scratch / "course", scratch / "out")
        stale = []
        for path in fresh:
            committed = root / path.relative_to(scratch / "out")
            if not committed.exists() or not filecmp.cmp(path, committed, shallow=False):
                stale.append(str(committed.relative_to(root)))
        return stale
