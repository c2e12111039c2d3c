"""`atomgpt demo`: build the course, make a synthetic class, autograde it into nbgrader's gradebook, report.

The class has, per assignment: the solution, correct submissions in other
styles, every known-buggy variant, pairs of bugs, every cheat, the untouched
release, a broken notebook and an empty one. They are handed in as
`nbgrader collect` would leave them, graded by `atomgpt autograde`, and
exported with `nbgrader export`.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from .batch import Job
from .build import Built, build_assignment
from .class_report import write_report
from .classroom.autograde import autograde_class
from .classroom.record import RESULTS
from .classroom.steps import export_grades, hand_in
from .course import Assignment, load_assignment
from .report import class_table, print_table, summary, summary_markdown
from .variants import (
    Variant,
    VariantError,
    apply_variant,
    handed_in_with,
    solution_notebook,
    variant_submissions,
    write_notebook,
)

PAIRS = 5


def student_name(variant: Variant) -> str:
    prefix = f"{variant.kind}-"
    return variant.id if variant.id.startswith(prefix) else prefix + variant.id


def bug_pairs(bugs: list[Variant]) -> list[tuple[Variant, Variant]]:
    """Bugs on different checkpoints, for partly correct students with two mistakes."""
    half = len(bugs) // 2
    pairs = [(a, b) for a, b in zip(bugs[:half], bugs[half:], strict=False) if a.checkpoint != b.checkpoint]
    return pairs[:PAIRS]


def synthetic_class(assignment: Assignment, built: Built, folder: Path) -> list[Job]:
    """Writes one folder per synthetic student; returns the grading jobs.

    The files the executed solution wrote (a trained checkpoint) are handed
    in with every variant of it.
    """
    name = f"{assignment.id}.ipynb"
    release, beside = built.release, handed_in_with(built.solution)
    written = variant_submissions(assignment, built.solution, folder)
    variants = [v for v, _ in written]
    by_id = {v.id: v for v in variants}
    solution = solution_notebook(assignment)
    jobs = [Job("solution", write_notebook(solution, folder / "solution" / name, beside))]
    jobs += [Job(student_name(v), path) for v, path in written]
    for first, second in bug_pairs([v for v in variants if v.kind == "bug"]):
        try:
            pair = apply_variant(apply_variant(solution, first, by_id), second, by_id)
        except VariantError:  # the two bugs edit the same line
            continue
        path = folder / f"pair-{first.id}+{second.id}" / name
        jobs.append(Job(path.parent.name, write_notebook(pair, path, beside)))
    untouched = folder / "untouched-release" / name
    untouched.parent.mkdir(parents=True, exist_ok=True)
    untouched.write_bytes(release.read_bytes())
    broken = folder / "broken-notebook" / name
    broken.parent.mkdir(parents=True, exist_ok=True)
    broken.write_bytes(release.read_bytes()[: len(release.read_bytes()) // 2])
    empty = folder / "empty-file" / name
    empty.parent.mkdir(parents=True, exist_ok=True)
    empty.write_bytes(b"")
    jobs += [Job("untouched-release", untouched), Job("broken-notebook", broken), Job("empty-file", empty)]
    return jobs


def run_demo(root: Path, ids: list[str], out: Path, *, seed: int | None, workers: int | None,
             console: Console) -> dict:
    reports = {}
    course = out / "course"
    for made in ("course", "submissions", "build"):  # all synthetic: nbgrader cannot regenerate a notebook whose
        shutil.rmtree(out / made, ignore_errors=True)  # cells changed over submissions in the gradebook
    for assignment_id in ids:
        assignment = load_assignment(assignment_id, root)
        console.print(f"[bold]{assignment_id}[/bold]: building the course with nbgrader ...")
        built = build_assignment(assignment, course, out / "build")
        jobs = synthetic_class(assignment, built, out / "submissions" / assignment_id)
        hand_in(course, assignment_id, {job.name: job.path.parent for job in jobs},
                f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S.%f} UTC")
        console.print(f"autograding {len(jobs)} synthetic submissions in parallel into nbgrader's gradebook ...")
        started = time.monotonic()
        run = autograde_class(root, assignment_id, course, force=True, seed=seed, workers=workers,
                              progress=lambda student, result: console.print(f"  {student}: {result['score']:g}"))
        seconds = time.monotonic() - started
        print_table(class_table(assignment.rubric, run.results), console)
        reports[assignment_id] = summary(assignment.rubric, run.results, run.inputs.seed)
        report = reports[assignment_id]
        console.print(f"{len(jobs)} submissions autograded in {seconds:.1f} s "
                      f"({seconds / len(jobs):.2f} s each on {workers or os.cpu_count()} cores); "
                      f"mean {report['mean']:g} of {report['auto_points']:g}, full marks {report['full_marks']}, "
                      f"zero {report['zero']}", highlight=False)
    export_grades(course)
    (out / "summary.json").write_text(json.dumps(reports, indent=2) + "\n")
    (out / "report.md").write_text("\n".join(summary_markdown(r) for r in reports.values()))
    console.print(f"results in {course / RESULTS}, nbgrader's export in {course / 'grades.csv'}, summary in "
                  f"{out / 'summary.json'} and {out / 'report.md'}")
    console.print(f"class report in {write_report(course, [load_assignment(i, root) for i in ids], out)}")
    return reports
