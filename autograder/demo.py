"""`atomgpt demo`: build the course, grade a synthetic class into nbgrader's gradebook, look for copying, report.

The class (`synthetic_class`) is made up from the seed: named students in
the gradebook, each assignment handed in as `nbgrader collect` leaves it
(timestamps against the due dates in the gradebook), graded by `atomgpt
autograde`, compared by `similarity`, and exported by `nbgrader export`,
one row per student and assignment.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

from rich.console import Console

from .build import build_assignment
from .class_report import write_report
from .classroom.autograde import autograde_class
from .classroom.config import add_settings
from .classroom.record import RESULTS
from .classroom.steps import enroll, export_grades, hand_in, set_due_date
from .course import load_assignment
from .progress import Progress
from .report import class_table, print_table, summary, summary_markdown
from .similarity import FOLDER, compare_class, write_findings
from .synthetic_class import SyntheticClass, make_class, timestamp, write_class
from .variants import handed_in_with

STUDENTS = 40
SEED = 2026  # the class drawn when no seed is given
EXCHANGE = '''# the demo's exchange, for `nbgrader release_assignment` and formgrader, inside the demo folder
c.Exchange.root = os.path.join(os.path.dirname(c.CourseDirectory.root), "exchange")
'''


def set_up_course(course: Path, plan: SyntheticClass) -> None:
    """The class in the gradebook with names, and an exchange folder (formgrader warns without one)."""
    add_settings(course, EXCHANGE)
    exchange = course.parent / "exchange"
    exchange.mkdir(exist_ok=True)
    exchange.chmod(0o777)  # every student's account writes there, as nbgrader's docs set it up
    enroll(course, [(s.id, s.first_name, s.last_name) for s in plan.students])


def class_markdown(plan: SyntheticClass, ids: list[str]) -> str:
    """Who the made-up students are and what each handed in."""
    lines = ["# A synthetic class", "",
             f"Every student here is made up (seed {plan.seed}): strong, average and struggling students whose "
             "mistakes are the known bugs of each assignment (`variants.toml`), each correct style written by one "
             "of them, a few late or missing submissions, one notebook cut in half, and two students who copy a "
             "classmate's work with renamed variables and reordered functions.", "",
             "| student | name | level | " + " | ".join(ids) + " |",
             "| --- | --- | --- | " + " | ".join("---" for _ in ids) + " |"]
    for student in plan.students:
        cells = []
        for assignment in ids:
            if student.id in plan.missing[assignment]:
                cells.append("missing")
                continue
            made = ", ".join(plan.made(assignment, student.id)) or "solved"
            cells.append(made + (" (late)" if student.id in plan.late[assignment] else ""))
        lines.append(f"| {student.id} | {student.first_name} {student.last_name} | {student.level} | "
                     + " | ".join(cells) + " |")
    lines += ["", "Copies: " + "; ".join(f"{c.copier} copied {c.source}'s {c.assignment}" for c in plan.copies), ""]
    return "\n".join(lines)


def similarity_markdown(findings: dict) -> str:
    flagged = [" and ".join(p["students"]) + f" ({min(p['similarity']):.0%} shared)" for p in findings["pairs"]]
    flagged += [" and ".join(m["students"]) + f" (nearly the same {m['file']})" for m in findings["models"]]
    where = f"{FOLDER}/{findings['assignment']}.md"
    return f"- suspiciously alike: {', '.join(flagged) or 'no pair'} (see `course/{where}`)\n"


def run_demo(root: Path, ids: list[str], out: Path, *, students: int = STUDENTS, seed: int | None = None,
             workers: int | None = None, console: Console, errors: Console) -> dict:
    """Builds, grades and reports; `seed` draws the class and, when given, the hidden inputs too. What it makes
    goes to `console`, the progress of grading to `errors`."""
    reports, findings = {}, {}
    course = out / "course"
    for made in ("course", "submissions", "build", "exchange"):  # all synthetic: nbgrader cannot regenerate a
        shutil.rmtree(out / made, ignore_errors=True)  # notebook whose cells changed over submissions in the gradebook
    assignments = [load_assignment(assignment_id, root) for assignment_id in ids]
    plan = make_class(students, assignments, SEED if seed is None else seed)
    for assignment in assignments:
        console.print(f"[bold]{assignment.id}[/bold]: building the course with nbgrader ...")
        built = build_assignment(assignment, course, out / "build")
        if assignment is assignments[0]:
            set_up_course(course, plan)
        set_due_date(course, assignment.id, plan.due[assignment.id])
        folders = write_class(plan, assignment, handed_in_with(built.solution), out / "submissions" / assignment.id)
        hand_in(course, assignment.id, folders,
                {student: timestamp(plan.handed_in_at(student, assignment.id)) for student in folders})
        console.print(f"autograding {len(folders)} submissions of {len(plan.students)} students in parallel "
                      "into nbgrader's gradebook ...")
        started = time.monotonic()
        with Progress("autograded", errors, len(folders)) as progress:
            run = autograde_class(root, assignment.id, course, force=True, seed=seed, workers=workers,
                                  progress=progress.graded)
        seconds = time.monotonic() - started
        print_table(class_table(assignment.rubric, run.results), console)
        reports[assignment.id] = report = summary(assignment.rubric, run.results, run.inputs.seed)
        console.print(f"{len(folders)} submissions autograded in {seconds:.1f} s "
                      f"({seconds / len(folders):.2f} s each on {workers or os.cpu_count()} cores); "
                      f"mean {report['mean']:g} of {report['auto_points']:g}, full marks {report['full_marks']}, "
                      f"zero {report['zero']}", highlight=False)
        findings[assignment.id] = compare_class(assignment, built.release, {
            student: course / "submitted" / student / assignment.id for student in folders}, built.solution)
        write_findings(course, findings[assignment.id])
        console.print(similarity_markdown(findings[assignment.id]).removeprefix("- "), highlight=False)
    export_grades(course)
    (out / "summary.json").write_text(json.dumps(reports, indent=2) + "\n")
    (out / "report.md").write_text("\n".join([class_markdown(plan, ids), *(
        summary_markdown(reports[i]) + "\n" + similarity_markdown(findings[i]) for i in ids)]))
    console.print(f"results in {course / RESULTS}, nbgrader's export in {course / 'grades.csv'}, summary in "
                  f"{out / 'summary.json'} and {out / 'report.md'}, similarity in {course / FOLDER}")
    console.print(f"class report in {write_report(course, assignments, out)}")
    return reports
