"""`atomgpt check`: a student's visible checks, outside Jupyter, with hints.

These are the same check cells the student runs in the notebook; nothing
hidden is involved, and the result is advice, not a grade.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .course import Assignment
from .grading import describe_cell_errors
from .sandbox import Limits, StudentError, StudentSession, strongest_boundary
from .submission import read_submission

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


def run_checks(assignment: Assignment, notebook: Path) -> tuple[list[CheckResult], list[str]]:
    """The visible checks, in a working folder with the course data and the files handed in beside the notebook."""
    program = read_submission(notebook, assignment.id)
    beside = program.notebook.parent
    handed_in = tuple(beside / name for name in assignment.rubric.hand_in if (beside / name).is_file())
    session = StudentSession(program.cells, check_limits(assignment.rubric.limits), strongest_boundary(),
                             assignment.data_files + handed_in)
    try:
        notes = program.notes + describe_cell_errors(session.load().cell_errors)
        results = []
        for checkpoint in assignment.rubric.checkpoints:
            cells = program.checks.get(checkpoint.id)
            if not cells:
                results.append(CheckResult(checkpoint.id, checkpoint.title, False,
                                           "the checks cell of this part is missing from the notebook",
                                           checkpoint.hint))
                continue
            try:
                for cell in cells:
                    session.run_cell(cell.index, cell.source)
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
