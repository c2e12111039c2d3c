"""`atomgpt autograde`: a whole class graded in parallel and recorded through nbgrader's API.

For each student who submitted:
1. skip when nothing changed since the last run (the submission's files,
   the assignment's suite, rubric and notebook, the due date and penalty
   settings, the hidden inputs: the course's grading secret or a given
   seed) and the gradebook still holds that run's scores, unless forced;
2. in a grading process, build the student's autograded folder aside
   (afresh, even when a grading process died while building it): the
   files nbgrader would copy, and the notebook in the release's shape
   (`restore`, as `nbgrader autograde` and `atomgpt grade` do), graded
   by the engine, scores written into its cells. On a Dask cluster the
   worker grades the files sent to it and returns the graded notebook;
   the folder is then built here;
3. here, one student at a time: scores, comments and late penalty into the
   gradebook (read from the cells exactly as nbgrader's SaveAutoGrades
   reads them), the folder moved into place, the gradebook committed, then
   the student's result file written. Killed at any point, each student's
   folder, gradebook scores and result file are whole: the old ones or the
   new ones, and a rerun redoes whatever was not finished.
"""

from __future__ import annotations

import functools
import glob
import hashlib
import json
import os
import re
import secrets
import shutil
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.converters import Autograde
from nbgrader.coursedir import CourseDirectory
from nbgrader.utils import find_all_files
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SAWarning
from traitlets.config import Config

from .. import __version__
from ..batch import Job, grader_failure, run_jobs
from ..cluster import ONE_AT_A_TIME, HandedIn, KitSlice, run_on_cluster
from ..course import Assignment, CourseError, cached_assignment, load_assignment
from ..grading import grade_program, zero_result
from ..hidden_inputs import HiddenInputs, hidden_inputs
from ..restore import CELL_TYPES, read_release
from ..submission import SubmissionError, read_submission
from .config import load_config
from .notebook import cell_comments, cell_grades, record_result
from .record import Prepared, Recorder, autograded_folder, release_notebook


@dataclass(frozen=True)
class Plan:
    """What a grading process needs for any student of this run (sent to it, so plain data)."""

    kit: str
    assignment_id: str
    inputs: HiddenInputs
    run: str  # names this run's staging folders, apart from those a killed run may still be writing
    config: Config = field(compare=False, hash=False)


@dataclass
class ClassRun:
    """What a run did: the hidden inputs it used, results of the students graded now, who was skipped or failed."""

    inputs: HiddenInputs
    results: dict[str, dict] = field(default_factory=dict)
    unchanged: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)  # graded here, but `nbgrader autograde` refuses them


# ---------------------------------------------------------------- in a grading process


@functools.cache
def converter(plan: Plan) -> Autograde:
    """nbgrader's Autograde converter as this course configures it (its settings and steps)."""
    return Autograde(coursedir=CourseDirectory(config=plan.config), config=plan.config)


def copy_files(source: Path, target: Path, ignore: list[str], keep: set[str] = frozenset()) -> None:
    """Every file but notebooks, as nbgrader copies them; names in `keep` are not overwritten.

    Links are left out: followed, one could bring any file the grader can read into the student's feedback.
    """
    for name in find_all_files(str(source), ignore + ["*.ipynb"]):
        relative = os.path.relpath(name, source)
        if relative in keep or os.path.islink(name):
            continue
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            path.unlink()
        shutil.copy(name, path)


def plainly_readable(notebook) -> bool:
    """A version 4 notebook in the shape nbformat's reader walks (cells, metadata, sources, outputs): it reads it.

    Only a shape it is sure of says True; for anything else nbformat itself is asked.
    """
    def strings(value) -> bool:
        return isinstance(value, str) or (isinstance(value, list) and all(isinstance(line, str) for line in value))

    def output_ok(output) -> bool:
        kind = output.get("output_type", "") if isinstance(output, dict) else None
        return isinstance(kind, str) and isinstance(output.get("data", {}), dict) and (
            not isinstance(output.get("text", ""), list) or strings(output["text"]))

    def cell_ok(cell) -> bool:
        if not (isinstance(cell, dict) and cell.get("cell_type") in CELL_TYPES
                and isinstance(cell.get("id", ""), str)  # nbformat's repair of repeated ids needs them hashable
                and isinstance(cell.get("metadata"), dict) and strings(cell.get("source", ""))):
            return False
        attachments, outputs = cell.get("attachments", {}), cell.get("outputs", [])
        return (isinstance(attachments, dict) and all(isinstance(bundle, dict) for bundle in attachments.values())
                and (cell["cell_type"] != "code" or (isinstance(outputs, list) and all(map(output_ok, outputs)))))

    return (isinstance(notebook, dict) and type(notebook.get("nbformat")) is int and notebook["nbformat"] == 4
            and type(notebook.get("nbformat_minor", 0)) is int
            and isinstance(notebook.get("metadata"), dict) and isinstance(notebook.get("cells"), list)
            and all(map(cell_ok, notebook["cells"])))


def nbgrader_refusal(path: Path) -> str | None:
    """Why `nbgrader autograde` stops at this notebook before any grading step runs, or None.

    nbgrader reads each notebook with nbformat first; what nbformat cannot read, nbgrader reports as
    an error for that student and leaves without an autograded notebook or feedback.
    """
    if not path.is_file():
        return None  # nbgrader grades a missing notebook as zero itself
    try:
        if plainly_readable(json.loads(path.read_text(encoding="utf-8"))):
            return None  # nbformat's own reading converts and validates every cell: 20 times the CPU
    except ValueError:
        pass  # not UTF-8 JSON: nbformat says what it makes of it
    try:
        nbformat.read(path, as_version=4)
    except Exception as error:  # whatever nbformat raises, nbgrader reports it as an error for the student
        return f"nbformat cannot read it ({type(error).__name__})"
    return None


def graded_notebook(inputs: HiddenInputs, assignment: Assignment, job: Job, beside: Path, release: Path):
    """The submitted notebook in the release's shape, graded; the release with zeros when it cannot be read.

    It is graded in the folder `beside`, which holds the files handed in with it.
    """
    name = f"{assignment.id}.ipynb"
    submitted = job.path / name
    try:
        if not submitted.is_file():
            raise SubmissionError(f"No {name} was submitted.")
        program = read_submission(submitted, assignment.id, release)
    except SubmissionError as error:
        result = zero_result(assignment, name=job.name, problem=f"Your submission could not be run: {error}",
                              inputs=inputs)
        return record_result(nbformat.from_dict(read_release(release)), result, assignment.rubric), result
    if beside != job.path:
        shutil.copyfile(submitted, beside / name)
        program.notebook = beside / name  # files handed in with it are read from beside it
    result = grade_program(assignment, program, name=job.name, inputs=inputs)
    return record_result(nbformat.from_dict(program.restored), result, assignment.rubric), result


def graded_on_worker(inputs: HiddenInputs, kit: KitSlice, handed_in: HandedIn) -> tuple[dict, dict]:
    """Runs on a cluster worker: the graded notebook (as plain data) and the result of one student."""
    assignment = kit.unpack()
    with ONE_AT_A_TIME, tempfile.TemporaryDirectory(prefix="atomgpt-handed-in-") as folder:
        submitted = handed_in.write(Path(folder))
        notebook, result = graded_notebook(inputs, assignment, Job(handed_in.name, submitted), submitted,
                                           assignment.release)
    return dict(notebook), result


def prepare_student(plan: Plan, job: Job) -> Prepared:
    """Runs in a grading process: builds the student's autograded folder aside, graded there."""
    assignment = cached_assignment(plan.kit, plan.assignment_id)
    staged = staging_folder_with_files(plan, job)
    release = release_notebook(converter(plan).coursedir, assignment.id)
    return finish_staging(plan, job, staged, *graded_notebook(plan.inputs, assignment, job, staged, release))


def staging_folder_with_files(plan: Plan, job: Job) -> Path:
    """The student's autograded folder begun aside: the files nbgrader copies, the notebook still to come."""
    autograde = converter(plan)
    coursedir = autograde.coursedir
    staged = staging_folder(coursedir, job.name, plan.assignment_id, plan.run)
    shutil.rmtree(staged, ignore_errors=True)  # what a grading process that died here left
    staged.mkdir(parents=True)
    copy_files(job.path, staged, coursedir.ignore)
    source = Path(coursedir.format_path(coursedir.source_directory, ".", plan.assignment_id))
    copy_files(source, staged, coursedir.ignore, keep=set(autograde.exclude_overwriting.get(plan.assignment_id, [])))
    return staged


def finish_staging(plan: Plan, job: Job, staged: Path, notebook, result: dict) -> Prepared:
    """The graded notebook written into the staged folder, permissions as nbgrader sets them."""
    autograde = converter(plan)
    notebook = nbformat.from_dict(notebook)
    # the restored notebook is made in the release's shape: nbformat.write's schema check (which only logs)
    # and its copy that splits sources into lines would triple the cost of writing it, and change nothing
    (staged / f"{plan.assignment_id}.ipynb").write_text(json.dumps(notebook, sort_keys=True, ensure_ascii=False)
                                                        + "\n", encoding="utf-8")
    permissions = int(str(autograde.permissions), 8)
    for path in staged.rglob("*"):
        if path.is_file():
            path.chmod(permissions)
    return Prepared(job.name, str(staged), cell_grades(notebook), cell_comments(notebook), result,
                    nbgrader_refusal(job.path / f"{plan.assignment_id}.ipynb"))


# ---------------------------------------------------------------- folders and records


def staging_folder(coursedir: CourseDirectory, student: str, assignment_id: str, run: str) -> Path:
    """Beside the autograded folder (same file system, so moving it in is one rename); nbgrader ignores it."""
    folder = autograded_folder(coursedir, student, assignment_id)
    return folder.with_name(f".{folder.name}.staged-{run}")


def remove_leftovers(coursedir: CourseDirectory, student: str, assignment_id: str) -> None:
    """Staging folders of runs that were killed before they could move them into place."""
    folder = autograded_folder(coursedir, student, assignment_id)
    for leftover in folder.parent.glob(f".{folder.name}.staged-*"):
        shutil.rmtree(leftover, ignore_errors=True)


def files_digest(folder: Path, ignore: list[str]) -> str:
    digest = hashlib.sha256()
    for name in sorted(find_all_files(str(folder), ignore)):
        digest.update(os.path.relpath(name, folder).encode() + b"\0" + Path(name).read_bytes() + b"\0")
    return digest.hexdigest()


def assignment_digest(assignment: Assignment, coursedir: CourseDirectory, grading_rules: str,
                      inputs: HiddenInputs) -> str:
    """Everything besides the submission that a score depends on."""
    digest = hashlib.sha256(f"{__version__}\0{grading_rules}\0{json.dumps(inputs.record())}\0".encode())
    for path in assignment.grading_files():
        digest.update(path.read_bytes())
    source = Path(coursedir.format_path(coursedir.source_directory, ".", assignment.id))
    digest.update(files_digest(source, coursedir.ignore).encode())
    return digest.hexdigest()


def submission_fingerprint(common: str, folder: Path, coursedir: CourseDirectory) -> str:
    """What a student's grade depends on: the assignment's digest and the files they handed in."""
    return hashlib.sha256((common + files_digest(folder, coursedir.ignore)).encode()).hexdigest()


def course_digest(assignment: Assignment, coursedir: CourseDirectory, config: Config, inputs: HiddenInputs) -> str:
    """`assignment_digest` with the grading rules read from the course's gradebook."""
    with open_gradebook(coursedir, assignment) as gradebook:
        return assignment_digest(assignment, coursedir, grading_rules(gradebook, config, assignment.id), inputs)


# ---------------------------------------------------------------- the gradebook


def submitted_students(coursedir: CourseDirectory, assignment_id: str) -> dict[str, Path]:
    """Student id -> submitted folder, found the way nbgrader finds them."""
    pattern = coursedir.format_path(coursedir.submitted_directory, "(?P<student_id>[^/]+)", re.escape(assignment_id),
                                    escape=True)
    found = {}
    for path in sorted(glob.glob(coursedir.format_path(coursedir.submitted_directory, "*", assignment_id))):
        match = re.fullmatch(pattern, path)
        if match and Path(path).is_dir():
            found[match.group("student_id")] = Path(path)
    excluded = set(filter(None, coursedir.student_id_exclude.split(",")))
    return {s: p for s, p in found.items() if s not in excluded}


# ---------------------------------------------------------------- the run


def check_course(coursedir: CourseDirectory, assignment: Assignment, gradebook: Gradebook) -> None:
    """Refuses to start unless nbgrader knows the assignment and its release exists."""
    try:
        gradebook.find_notebook(assignment.id, assignment.id)
    except MissingEntry:
        raise CourseError(f"the gradebook ({coursedir.db_url}) has no notebook {assignment.id} in assignment "
                          f"{assignment.id}: {generate(assignment, coursedir)}") from None
    release = release_notebook(coursedir, assignment.id)
    if not release.is_file():
        raise CourseError(f"{release} is missing: {generate(assignment, coursedir)}")


def generate(assignment: Assignment, coursedir: CourseDirectory) -> str:
    return (f"run `atomgpt build {assignment.id}` or `nbgrader generate_assignment {assignment.id}` in "
            f"{coursedir.root} first")


def open_gradebook(coursedir: CourseDirectory, assignment: Assignment) -> Gradebook:
    """The course's gradebook; a missing SQLite file is an error here (opening it would create an empty one)."""
    database = make_url(coursedir.db_url)
    if database.get_backend_name() == "sqlite" and not Path(database.database or "").is_file():
        raise CourseError(f"there is no gradebook at {coursedir.db_url}: {generate(assignment, coursedir)}")
    return Gradebook(coursedir.db_url, coursedir.course_id)


def grading_rules(gradebook: Gradebook, config: Config, assignment_id: str) -> str:
    """The settings besides the files that change a score: due date and late-penalty settings."""
    duedate = gradebook.find_assignment(assignment_id).duedate
    return json.dumps([str(duedate), repr(config.get("LateSubmissionPlugin")),
                       repr(config.get("AssignLatePenalties"))])


def autograde_class(
    kit: Path,
    assignment_id: str,
    course: Path,
    *,
    force: bool = False,
    students: list[str] | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    seed: int | None = None,
    progress: Callable[[str, dict], None] = lambda student, result: None,
    planned: Callable[[int], None] = lambda count: None,
) -> ClassRun:
    """Grades every submitted (or the named) student whose grade is out of date; see the module's steps.

    `planned(count)` says how many will be graded; `progress(student, result)` follows each, a student who
    could not be recorded with a grader failure's result.
    """
    if not (course / "nbgrader_config.py").is_file():
        raise CourseError(f"{course} is not an nbgrader course folder (no nbgrader_config.py); "
                          "run `atomgpt build --course DIR`")
    config = load_config(course)
    coursedir = CourseDirectory(config=config)
    assignment = load_assignment(assignment_id, kit)
    submitted = submitted_students(coursedir, assignment_id)
    if students:
        unknown = sorted(set(students) - set(submitted))
        if unknown:
            raise CourseError(f"no submission of {assignment_id} from {', '.join(unknown)} in "
                              f"{coursedir.format_path(coursedir.submitted_directory, '*', assignment_id)}")
        submitted = {s: submitted[s] for s in students}
    run = ClassRun(inputs=hidden_inputs(assignment_id, kit=kit, course=Path(coursedir.root), seed=seed))
    plan = Plan(str(kit), assignment_id, run.inputs, f"{os.getpid()}-{secrets.token_hex(3)}", config)
    with open_gradebook(coursedir, assignment) as gradebook, warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)  # nbgrader's own session use warns on every new submission
        check_course(coursedir, assignment, gradebook)
        rules = grading_rules(gradebook, config, assignment_id)
        common = assignment_digest(assignment, coursedir, rules, run.inputs)
        recorder = Recorder(gradebook, coursedir, config, assignment_id)
        fingerprints, jobs = {}, []
        for student, folder in submitted.items():
            remove_leftovers(coursedir, student, assignment_id)
            fingerprints[student] = submission_fingerprint(common, folder, coursedir)
            if not force and recorder.up_to_date(student, fingerprints[student]):
                run.unchanged.append(student)
            else:
                jobs.append(Job(student, folder))

        planned(len(jobs))

        def finished(job: Job, prepared: Prepared) -> None:
            try:
                recorder.record(prepared, job.path, fingerprints[job.name])
            except MissingEntry as error:
                run.failed[job.name] = f"not in the gradebook ({error})"
                shutil.rmtree(prepared.staged, ignore_errors=True)
                progress(job.name, grader_failure(job, assignment_id))
                return
            run.results[job.name] = prepared.result
            if prepared.refused:
                run.refused[job.name] = prepared.refused
            progress(job.name, prepared.result)

        def failed(job: Job) -> None:
            run.failed[job.name] = "the grader's process died twice while grading it; nothing was recorded"
            shutil.rmtree(staging_folder(coursedir, job.name, assignment_id, plan.run), ignore_errors=True)
            progress(job.name, grader_failure(job, assignment_id))

        if scheduler:
            kit = KitSlice.of(assignment, release_notebook(coursedir, assignment_id))
            run_on_cluster(scheduler, kit, jobs, lambda job: HandedIn.read(job.name, job.path),
                           functools.partial(graded_on_worker, run.inputs), run=plan.run,
                           finished=lambda job, graded: finished(job, finish_staging(
                               plan, job, staging_folder_with_files(plan, job), *graded)),
                           failed=failed)
        else:
            run_jobs(jobs, functools.partial(prepare_student, plan), workers=workers, finished=finished,
                     failed=failed)
    return run
