"""Grades one submission: read it, run the hidden suite against it, score, report."""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path

from .course import Assignment
from .hidden_inputs import HiddenInputs
from .result import gradescope_result
from .rubric import CheckpointScore, RubricError
from .sandbox import Boundary, strongest_boundary
from .submission import Program, SubmissionError, read_submission
from .suite.plugin import GradingContext
from .suite.runner import run_suite

MAX_CELL_ERRORS = 5


def describe_cell_errors(errors: list[dict], parts: Mapping[int, str] | None = None) -> list[str]:
    """One line per cell that raised, naming it by its code cell number and the part it is in (`parts`)."""
    lines = []
    for error in errors[:MAX_CELL_ERRORS]:
        where = error.get("where") or {}
        line = f", line {where['line']}" if where.get("line") else ""
        part = (parts or {}).get(error.get("cell"))
        within = f' (in "{part}")' if part else ""
        message = str(error.get("message", ""))[:200]
        lines.append(f"Code cell {error.get('cell')}{line}{within} raised {error.get('type')}"
                     + (f": {message}" if message else ""))
    if len(errors) > MAX_CELL_ERRORS:
        lines.append(f"... and {len(errors) - MAX_CELL_ERRORS} more cells raised errors")
    return lines


def grade_submission(
    assignment: Assignment,
    path: Path,
    *,
    name: str,
    inputs: HiddenInputs,
    boundary: Boundary | None = None,
    release: Path | None = None,
) -> dict:
    """A Gradescope-style result; a broken submission scores zero, never raises.

    The notebook is graded in the shape of `release` (default: the kit's
    release of the assignment, when built), so every way of grading repairs
    it alike and says so in the result.
    """
    boundary = boundary or strongest_boundary()
    release = release or (assignment.release if assignment.release.is_file() else None)
    try:
        program = read_submission(path, assignment.id, release)
    except SubmissionError as error:
        return zero_result(assignment, name=name, problem=f"Your submission could not be run: {error}",
                           sandbox=boundary.describe(), inputs=inputs)
    return grade_program(assignment, program, name=name, inputs=inputs, boundary=boundary)


def grade_program(assignment: Assignment, program: Program, *, name: str, inputs: HiddenInputs,
                  boundary: Boundary | None = None) -> dict:
    """The result of a submission already read (`read_submission`): its suite run, scored, reported."""
    started = time.monotonic()
    rubric = assignment.rubric
    boundary = boundary or strongest_boundary()
    context = GradingContext(program, inputs, rubric.limits, boundary, files=assignment.data_files)
    outcomes = run_suite(assignment.suite, context)
    untested = [c.id for c in rubric.checkpoints if all(o.checkpoint != c.id for o in outcomes)]
    if untested:
        raise RubricError(f"{assignment.id}: no hidden test marks checkpoints {untested}")
    problems = list(program.notes)
    incidents: list[dict] = []
    for session in context.sessions:
        report = session.load_report
        if report:
            problems += describe_cell_errors(report.cell_errors,
                                             program.part_titles({c.id: c.title for c in rubric.checkpoints}))
        incidents += [i.as_dict() for i in session.incidents]
    problems += [incident_line(i) for i in incidents]
    result = gradescope_result(
        rubric, rubric.score(outcomes), submission=name, problems=problems, sandbox=boundary.describe(),
        incidents=incidents, seconds=time.monotonic() - started, hidden_inputs=inputs.record())
    result["extra_data"]["student_cpu_seconds"] = round(sum(s.cpu_seconds for s in context.sessions), 3)
    result["extra_data"]["measures"] = {name: value for o in outcomes for name, value in o.measures}
    return result


def zero_result(assignment: Assignment, *, name: str, problem: str, sandbox: dict | None = None,
                inputs: HiddenInputs | None = None) -> dict:
    """Nothing could run (an unreadable or missing notebook): every checkpoint scores zero, with the reason."""
    scores = [CheckpointScore(c, 0.0, 0, 0, []) for c in assignment.rubric.checkpoints]
    return gradescope_result(assignment.rubric, scores, submission=name, problems=[problem],
                             sandbox=sandbox or {}, incidents=[], seconds=0.0,
                             hidden_inputs=inputs.record() if inputs else {})


def incident_line(incident: dict) -> str:
    """A limit reached, or the student's process ending, as one sentence of the feedback's report."""
    if incident["kind"] == "crash":
        return f"Your code's process ended while {incident['what']} ran: {incident['detail']}."
    return f"Limit reached: {incident['what']} {incident['detail']}."
