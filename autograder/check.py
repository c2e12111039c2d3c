"""`atomgpt check`: a student's visible checks, outside Jupyter, with hints.

These are the same check cells the student runs in the notebook; nothing
hidden is involved, and the result is advice, not a grade. All it needs is
the release notebook itself: the titles, hints, data files and limits come
from the description the build put in its metadata (`release_info`), so it
works in a folder holding only the release, with the kit installed. Cells
are named as the student finds them: by part and position among code cells.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .grading import describe_cell_errors
from .release_info import ReleaseInfo, ReleaseInfoError, read_info
from .sandbox import Limits, StudentError, StudentSession, strongest_boundary
from .submission import find_notebook, read_notebook, read_submission

CHECK_CELL_SECONDS = 60.0  # one check cell: still an end for an endless loop
CHECK_BUDGET_SECONDS = 300.0  # the whole notebook and its checks


@dataclass(frozen=True)
class CheckResult:
    checkpoint: str
    title: str
    passed: bool
    message: str
    hint: str


def default_notebook(assignment_id: str) -> Path:
    """Where a student's notebook usually is, seen from where they stand."""
    for candidate in (Path(f"{assignment_id}.ipynb"), Path(assignment_id) / f"{assignment_id}.ipynb"):
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"no {assignment_id}.ipynb here or in ./{assignment_id}/; "
                            "give the notebook's path")


def check_limits(limits: Limits) -> Limits:
    """The grading limits, with the time a student's own check needs (scoring a trained model takes seconds)."""
    return replace(limits, call_timeout=max(limits.call_timeout, CHECK_CELL_SECONDS),
                   budget=max(limits.budget, CHECK_BUDGET_SECONDS))


def release_info(assignment_id: str, notebook: Path) -> ReleaseInfo:
    """The notebook's description of its assignment, which must be the one asked for."""
    info = read_info(read_notebook(find_notebook(notebook, assignment_id)))
    if info.assignment != assignment_id:
        raise ReleaseInfoError(f"{notebook} is the notebook of {info.assignment}, not of {assignment_id}")
    return info


def run_checks(info: ReleaseInfo, notebook: Path) -> tuple[list[CheckResult], list[str]]:
    """The visible checks, in a working folder with the data files and the files handed in beside the notebook."""
    program = read_submission(notebook, info.assignment)
    beside = program.notebook.parent
    files = [beside / name for name in (*info.data, *info.hand_in) if (beside / name).is_file()]
    notes = [f"{name} is not beside the notebook: the checks that read it fail"
             for name in info.data if not (beside / name).is_file()]
    notes += filter(None, [info.python_problem()])
    session = StudentSession(program.cells, check_limits(info.limits), strongest_boundary(), tuple(files))
    try:
        titles = {checkpoint.id: checkpoint.title for checkpoint in info.checkpoints}
        notes += program.notes + describe_cell_errors(session.load().cell_errors, program.part_titles(titles))
        results = []
        for checkpoint in info.checkpoints:
            cells = program.checks.get(checkpoint.id)
            if not cells:
                results.append(CheckResult(checkpoint.id, checkpoint.title, False,
                                           "the checks cell of this part is missing from the notebook",
                                           checkpoint.hint))
                continue
            try:
                for cell in cells:
                    session.run_cell(cell.index, cell.source, what=f"its checks cell (code cell {cell.index})")
                results.append(CheckResult(checkpoint.id, checkpoint.title, True, "", ""))
            except StudentError as error:
                results.append(CheckResult(checkpoint.id, checkpoint.title, False, str(error),
                                           checkpoint.hint))
        return results, notes
    finally:
        session.close()


def print_checks(results: list[CheckResult], notes: list[str], console: Console | None = None) -> None:
    console = console or Console()
    table = Table(title="Visible checks (the hidden tests check more)", show_lines=True)
    table.add_column("part")
    table.add_column("result")
    table.add_column("what to look at")
    for result in results:
        status = "[green]passed[/green]" if result.passed else "[red]failed[/red]"
        advice = result.message + (f"\nHint: {result.hint}" if result.hint and not result.passed else "")
        table.add_row(escape(result.title), status, escape(advice))  # students' text may hold [brackets]
    console.print(table)
    for note in notes:
        console.print(f"[yellow]note:[/yellow] {escape(note)}")
    passed = sum(r.passed for r in results)
    console.print(f"{passed} of {len(results)} parts pass their visible checks.")
