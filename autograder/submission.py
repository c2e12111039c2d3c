"""A submission on disk -> the code cells that run in the student's process.

The visible check cells (nbgrader's locked test cells) are left out: they
are the student's own checks, not the code being graded. So are cells
tagged `heavy` (a training run, a plot, a file written for the grader):
they belong to the student's session, and the hidden suite tests the
functions they call. Notebook-only syntax (`%magic`, `!shell`) is turned
into comments so plain Python runs it. Cells are numbered the way a student
finds them in Jupyter: by their position among the notebook's code cells,
each in the part of the notebook that ends with a checkpoint's checks cell.
A notebook graded in the release's shape is numbered in that shape, which
is the student's own unless they deleted, copied or moved a locked cell.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .restore import restore, shared_release
from .sandbox import Cell

MAGIC = re.compile(r"^(\s*)([%!?].*)$")
HEAVY = "heavy"


class SubmissionError(Exception):
    """The submission cannot be run at all; the text is written for the student."""


@dataclass
class Program:
    """What the worker runs, plus the visible checks grouped by checkpoint."""

    notebook: Path
    cells: list[Cell]
    checks: dict[str, list[Cell]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    restored: dict | None = None  # the notebook in the release's shape, when read against a release
    parts: dict[int, str] = field(default_factory=dict)  # code cell number -> the checkpoint ending its part

    def part_titles(self, titles: Mapping[str, str]) -> dict[int, str]:
        """Code cell number -> the title of the part it is in, for naming cells to the student."""
        return {number: titles[checkpoint] for number, checkpoint in self.parts.items() if checkpoint in titles}


def find_notebook(path: Path, assignment: str | None = None) -> Path:
    """A notebook path, or the one notebook inside a folder."""
    if not path.exists():
        raise FileNotFoundError(f"no such file or folder: {path}")
    if path.is_file():
        return path
    found = sorted(p for p in path.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    if assignment:
        named = [p for p in found if p.stem == assignment]
        if named:
            return named[0]
    if not found:
        raise SubmissionError(f"the folder {path.name} holds no notebook (.ipynb file)")
    if len(found) > 1:
        names = ", ".join(p.name for p in found[:5])
        raise SubmissionError(
            f"the folder {path.name} holds several notebooks ({names}); "
            f"submit one, named {assignment or 'after the assignment'}.ipynb")
    return found[0]


def read_notebook(path: Path) -> dict:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise SubmissionError(f"{path.name} could not be read ({error.strerror})") from None
    if not raw.strip():
        raise SubmissionError(f"{path.name} is empty: was it saved before submitting?")
    try:
        notebook = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        where = f" (line {error.lineno}, column {error.colno})" if hasattr(error, "lineno") else ""
        raise SubmissionError(
            f"{path.name} is not a valid notebook: it is not JSON{where}. "
            "Open it in Jupyter, save it, and submit again.") from None
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise SubmissionError(f"{path.name} is not a Jupyter notebook (it has no list of cells)")
    return notebook


def cell_source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def is_heavy(cell: dict) -> bool:
    return HEAVY in ((cell.get("metadata") or {}).get("tags") or [])


def check_id(cell: dict) -> str | None:
    """The checkpoint a visible check cell belongs to, or None for other cells."""
    meta = cell.get("metadata") or {}
    grading = meta.get("nbgrader") or {}
    if grading.get("grade") and not grading.get("solution"):
        return str(grading.get("grade_id"))
    for tag in meta.get("tags") or []:
        if isinstance(tag, str) and tag.startswith("checks:"):
            return tag.split(":", 1)[1]
    return None


def plain_python(source: str) -> tuple[str, bool]:
    """Comments out notebook-only lines; says whether any were found."""
    lines, changed = [], False
    for line in source.splitlines():
        match = MAGIC.match(line)
        if match and not line.strip().startswith("#"):
            lines.append(f"{match.group(1)}pass  # not run by the grader: {match.group(2)}")
            changed = True
        else:
            lines.append(line)
    return "\n".join(lines), changed


def read_submission(path: Path, assignment: str | None = None, release: Path | None = None) -> Program:
    """The program to run; given the release, the notebook is first put back in its shape (see `restore`)."""
    notebook_path = find_notebook(Path(path), assignment)
    notebook = read_notebook(notebook_path)
    program = Program(notebook_path, [])
    cells = notebook["cells"]
    if release is not None:
        restored = restore(notebook, shared_release(release))
        program.notes += restored.repairs
        program.restored = restored.notebook
        cells = restored.notebook.cells
    code = [cell for cell in cells if isinstance(cell, dict) and cell.get("cell_type") == "code"]
    in_part: list[int] = []  # code cells whose part's checks cell is still to come
    for number, cell in enumerate(code, start=1):
        checkpoint = check_id(cell)
        in_part.append(number)
        if checkpoint is not None:
            program.parts.update(dict.fromkeys(in_part, checkpoint))
            in_part = []
        if is_heavy(cell):
            continue
        source, changed = plain_python(cell_source(cell))
        if changed:
            program.notes.append(f"code cell {number}: notebook commands (% or !) were skipped")
        if checkpoint is None:
            program.cells.append(Cell(number, source))
        else:
            program.checks.setdefault(checkpoint, []).append(Cell(number, source))
    return program
