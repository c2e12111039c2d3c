"""The `atomgpt` command line.

Exit codes: 0 when the job ran (whatever students scored); 2 when the
grader itself could not do its job (bad path, unknown assignment, broken
rubric or suite, failed build).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from .course import CONFIG_NAME

# A grader's own failure is one of these; each is looked up only if its module was loaded, so that
# the command line imports what a command needs and no more (nbgrader, nbformat, pytest cost seconds).
GRADER_ERRORS = [("autograder.build", "BuildError"), ("autograder.build.cells", "NotebookSourceError"),
                 ("autograder.class_report.gather", "ReportError"), ("autograder.cluster", "ClusterError"),
                 ("autograder.course", "CourseError"),
                 ("autograder.export.bundle", "ExportError"),
                 ("autograder.hidden_inputs", "SecretError"), ("autograder.nbgrader_tools", "ToolError"),
                 ("autograder.release_info", "ReleaseInfoError"),
                 ("autograder.rubric", "RubricError"), ("autograder.sandbox.launcher", "SandboxError"),
                 ("autograder.submission", "SubmissionError"), ("autograder.suite.runner", "SuiteError"),
                 ("autograder.variants", "VariantError")]
COURSE_HELP = f"nbgrader course folder (default: this folder if it holds {CONFIG_NAME}, else the kit's course/)"


def grader_errors() -> tuple[type[BaseException], ...]:
    loaded = [getattr(sys.modules[module], name) for module, name in GRADER_ERRORS if module in sys.modules]
    return (OSError, *loaded)


TABLE_ROWS = 100  # `atomgpt grade` prints a row per student up to this many, else one per checkpoint
SCHEDULER_HELP = ("grade on this Dask cluster (e.g. tcp://10.0.0.5:8786) instead of this machine's cores; "
                  "its workers need only the kit installed")


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="atomgpt", description="From Atomic Ops to GPT: course kit and grader")
    commands = main.add_subparsers(dest="command", required=True)

    build_cmd = commands.add_parser("build", help="source_lib -> nbgrader course, assignments/, solutions/")
    build_cmd.add_argument("assignments", nargs="*", help="assignment ids (default: all)")
    build_cmd.add_argument("--course", type=Path, help=COURSE_HELP)
    build_cmd.add_argument("--check", action="store_true", help="only report generated files that are stale")

    grade = commands.add_parser("grade", help="grade submissions into DIR/<name>.json")
    grade.add_argument("assignment")
    grade.add_argument("paths", nargs="+", type=Path, help="notebooks, or folders holding one each")
    grade.add_argument("--out", type=Path, required=True, help="folder for the results")
    grade.add_argument("--course", type=Path, help="use this nbgrader course's hidden inputs (default: the kit's)")
    grade.add_argument("--seed", type=int, help="replay a result's hidden inputs from its seed")
    grade.add_argument("--workers", type=int, help="parallel graders (default: one per core)")
    grade.add_argument("--scheduler", metavar="ADDRESS", help=SCHEDULER_HELP)

    autograde = commands.add_parser(
        "autograde", help="grade a class in an nbgrader course: autograded/ and the gradebook, in parallel")
    autograde.add_argument("assignment")
    autograde.add_argument("--course", type=Path, help=COURSE_HELP)
    autograde.add_argument("--student", action="append", help="only this student (repeatable)")
    autograde.add_argument("--force", action="store_true", help="regrade students whose submission did not change")
    autograde.add_argument("--workers", type=int, help="parallel graders (default: one per core)")
    autograde.add_argument("--scheduler", metavar="ADDRESS", help=SCHEDULER_HELP)
    autograde.add_argument("--seed", type=int, help="hidden inputs from this seed, not the course's secret")

    check = commands.add_parser("check", help="run a notebook's visible checks, with hints")
    check.add_argument("assignment")
    check.add_argument("notebook", nargs="?", type=Path)

    export = commands.add_parser("export", help="a Gradescope autograder zip or a PrairieLearn question and grader")
    export.add_argument("platform", choices=["gradescope", "prairielearn"])
    export.add_argument("assignment")
    export.add_argument("--out", type=Path, help="the zip (default: autograder.zip) or folder (default: prairielearn)")
    export.add_argument("--course", type=Path, help="use this nbgrader course's hidden inputs (default: the kit's)")
    export.add_argument("--seed", type=int, help="hidden inputs from this seed instead")
    export.add_argument("--image", help="PrairieLearn: the grader image's name (default: atomgpt-grader)")

    report = commands.add_parser("report", help="an HTML class report with plots, from the results and the gradebook")
    report.add_argument("assignments", nargs="*", help="assignment ids (default: every one with results)")
    report.add_argument("--course", type=Path, help=COURSE_HELP)
    report.add_argument("--out", type=Path, help="folder for report.html (default: the course folder)")

    demo = commands.add_parser("demo", help="build, grade a synthetic class, look for copying, print the report")
    demo.add_argument("assignments", nargs="*", help="assignment ids (default: all)")
    demo.add_argument("--out", type=Path, default=Path("demo"))
    demo.add_argument("--students", type=int, default=40, help="how many students the class has (default: 40)")
    demo.add_argument("--seed", type=int, help="draws the class and the hidden inputs (default: the same class "
                                               "every time, the course's grading secret)")
    demo.add_argument("--workers", type=int)

    similarity = commands.add_parser(
        "similarity", help="pairs of submissions whose own code (or handed-in model) is suspiciously alike")
    similarity.add_argument("assignment")
    similarity.add_argument("--course", type=Path, help=COURSE_HELP)
    similarity.add_argument("--threshold", type=float,
                            help="flag pairs sharing at least this share of each one's own code (default: 0.8)")
    return main


def run(args: argparse.Namespace, console, errors) -> int:
    """Runs a command: what it made goes to `console` (stdout), its progress to `errors` (stderr)."""
    from .course import assignment_ids, project_root

    if args.command == "check":  # a student's command: it reads the release notebook, never source_lib/
        from .check import default_notebook, print_checks, release_info, run_checks

        notebook = args.notebook or default_notebook(args.assignment)
        results, notes = run_checks(release_info(args.assignment, notebook), notebook)
        print_checks(results, notes, console)
        return 0
    root = project_root()
    ids = getattr(args, "assignments", None) or assignment_ids(root)
    if args.command == "build":
        from .build import build, stale_files
        from .progress import Progress

        with Progress("checked" if args.check else "built", errors, len(ids)) as progress:
            if args.check:
                stale = stale_files(root, ids, progress=progress.done)
            else:
                written = build(root, ids, course_folder(args.course, root), progress=progress.done)
        if args.check:
            for path in stale:
                console.print(f"stale: {path} (run `atomgpt build`)")
            return 1 if stale else 0
        for path in written:
            console.print(f"wrote {path.relative_to(root)}")
        return 0
    if args.command == "grade":
        return run_grade(root, args, console, errors)
    if args.command == "autograde":
        return run_autograde(root, args, console, errors)
    if args.command == "export":
        from .export import run_export

        return run_export(root, args, console)
    if args.command == "report":
        return run_report(root, args, console)
    if args.command == "similarity":
        return run_similarity(root, args, console)
    from .demo import run_demo

    run_demo(root, ids, args.out, students=args.students, seed=args.seed, workers=args.workers, console=console,
             errors=errors)
    return 0


def run_similarity(root: Path, args: argparse.Namespace, console) -> int:
    from nbgrader.coursedir import CourseDirectory

    from .classroom.autograde import submitted_students
    from .classroom.config import load_config
    from .classroom.record import release_notebook
    from .course import CourseError, load_assignment
    from .similarity import THRESHOLD, compare_class, solved_notebook, write_findings

    assignment = load_assignment(args.assignment, root)
    course = course_folder(args.course, root).resolve()
    if not (course / CONFIG_NAME).is_file():
        raise CourseError(f"{course} is not an nbgrader course folder (no {CONFIG_NAME})")
    coursedir = CourseDirectory(config=load_config(course))
    findings = compare_class(assignment, release_notebook(coursedir, assignment.id),
                             submitted_students(coursedir, assignment.id), solved_notebook(assignment),
                             threshold=THRESHOLD if args.threshold is None else args.threshold)
    path = write_findings(Path(coursedir.root), findings)
    for pair in findings["pairs"]:
        console.print(f"{' and '.join(pair['students'])}: {pair['similarity'][0]:.0%} and "
                      f"{pair['similarity'][1]:.0%} of their own code shared ({pair['shared_tokens']} tokens)",
                      highlight=False)
    for model in findings["models"]:
        console.print(f"{' and '.join(model['students'])}: nearly the same {model['file']} "
                      f"(relative distance {model['distance']:g})", highlight=False)
    console.print(f"{len(findings['compared'])} notebooks compared, {len(findings['pairs'])} pairs and "
                  f"{len(findings['models'])} models flagged; side by side in {path.with_suffix('.md')}",
                  highlight=False)
    return 0


def run_grade(root: Path, args: argparse.Namespace, console, errors) -> int:
    from .batch import grade_class, jobs_for
    from .course import load_assignment
    from .hidden_inputs import hidden_inputs
    from .progress import Progress
    from .report import ClassTally, class_table, compact, print_table

    assignment = load_assignment(args.assignment, root)
    missing = [str(p) for p in args.paths if not p.exists()]
    if missing:
        raise FileNotFoundError(f"no such file or folder: {', '.join(missing)}")
    course = None
    if args.course:
        from .classroom.config import course_root

        course = course_root(args.course)
    inputs = hidden_inputs(assignment.id, kit=root, course=course, seed=args.seed)
    jobs = jobs_for(args.paths)
    tally = ClassTally(assignment.rubric)
    per_student = len(jobs) <= TABLE_ROWS  # a larger class gets the per-checkpoint table: its memory stays flat

    def keep(result: dict) -> dict | None:
        tally.add(result)
        return compact(result) if per_student else None

    with Progress("graded", errors, len(jobs)) as progress:
        results = grade_class(root, assignment.id, jobs, args.out, inputs=inputs, workers=args.workers,
                              scheduler=args.scheduler, progress=lambda job, result: progress.graded(job.name, result),
                              keep=keep)
    print_table(class_table(assignment.rubric, results) if per_student else tally.table(), console)
    console.print(f"{tally.count} results in {args.out} ({inputs.describe()})", highlight=False)
    return 0


def course_folder(given: Path | None, root: Path) -> Path:
    """As nbgrader sees it, the folder it runs in is the course when it holds nbgrader's config."""
    if given is not None:
        return given
    return Path.cwd() if (Path.cwd() / CONFIG_NAME).is_file() else root / "course"


def run_autograde(root: Path, args: argparse.Namespace, console, errors) -> int:
    from .classroom.autograde import autograde_class
    from .classroom.record import RESULTS
    from .progress import Progress

    course = course_folder(args.course, root).resolve()
    started = time.monotonic()
    with Progress("autograded", errors) as progress:
        run = autograde_class(root, args.assignment, course, force=args.force, students=args.student,
                              workers=args.workers, scheduler=args.scheduler, seed=args.seed,
                              progress=progress.graded, planned=progress.expect)
    for student, reason in sorted(run.failed.items()):
        console.print(f"[red]not graded[/red] {student}: {reason}", highlight=False)
    for student, reason in sorted(run.refused.items()):
        console.print(f"[yellow]nbgrader refuses[/yellow] {student}: {reason}; graded here with the reason in its "
                      "feedback, but `nbgrader autograde` would report an error and record no grade",
                      highlight=False)
    console.print(
        f"{len(run.results)} autograded, {len(run.unchanged)} unchanged since the last run (--force regrades "
        f"them), {len(run.failed)} not graded, in {time.monotonic() - started:.1f} s ({run.inputs.describe()}); "
        f"results in {course / RESULTS / args.assignment}", highlight=False)
    return 0


def run_report(root: Path, args: argparse.Namespace, console) -> int:
    from .class_report import write_report
    from .classroom.record import RESULTS
    from .course import CourseError, assignment_ids, load_assignment

    course = course_folder(args.course, root).resolve()
    if not (course / CONFIG_NAME).is_file():
        raise CourseError(f"{course} is not an nbgrader course folder (no {CONFIG_NAME})")
    ids = args.assignments or [i for i in assignment_ids(root) if (course / RESULTS / i).is_dir()]
    if not ids:
        raise CourseError(f"no results in {course / RESULTS}: run `atomgpt autograde ASSIGNMENT` first")
    page = write_report(course, [load_assignment(i, root) for i in ids], args.out or course)
    console.print(f"class report of {', '.join(ids)} in {page}", highlight=False)
    return 0


def skip_iri_grammars() -> None:
    """Keeps jsonschema (imported by nbformat) from loading rfc3987_syntax, its optional IRI format checker.

    That import builds 38 grammars, about 0.9 s of every command that reads
    notebooks with nbformat; no notebook or nbgrader schema has an IRI field,
    and jsonschema leaves the check out when the module cannot be imported.
    """
    sys.modules.setdefault("rfc3987_syntax", None)


def main(argv: list[str] | None = None) -> int:
    from rich.console import Console

    from .nbgrader_tools import tool_env

    skip_iri_grammars()
    args = parser().parse_args(argv)
    os.environ["PATH"] = tool_env()["PATH"]  # nbgrader runs helper programs (alembic) by name
    console = Console()
    try:
        return run(args, console, Console(stderr=True))
    except Exception as error:
        if not isinstance(error, grader_errors()):
            raise
        print(f"atomgpt: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("atomgpt: interrupted; results written so far are complete", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
