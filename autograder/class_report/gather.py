"""What the class report shows, read from the course: results files, the gradebook, the rubrics, similar pairs.

Everything here is plain data; the plots and the page are made from it.
Nothing is graded or run: a report can be written while a class is graded.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from ..classroom.record import RESULTS, read_record
from ..course import Assignment
from ..grading import incident_line
from ..similarity import FOLDER as SIMILARITY

FELL_MOST = 10  # students listed as falling most from one assignment to the next


class ReportError(Exception):
    """The report cannot be made as asked: a file it reads is not what the kit writes."""


@dataclass(frozen=True)
class StudentResult:
    """One student's graded assignment, as the report needs it."""

    student: str
    score: float
    checkpoints: dict[str, float]
    misconceptions: tuple[str, ...]
    limits: tuple[str, ...]  # "Limit reached: square did not finish within 1 s (an endless loop?)."
    unrunnable: str | None  # why nothing of the notebook could run (unreadable, missing), if so
    grader_failure: bool


@dataclass(frozen=True)
class MisconceptionSeen:
    id: str
    checkpoint: str
    message: str
    students: tuple[str, ...]


@dataclass
class AssignmentData:
    assignment: Assignment
    results: dict[str, StudentResult]
    feedback: dict[str, str]  # student -> link to nbgrader's feedback page, relative to the report
    feedback_written: int  # how many of those pages nbgrader has written so far
    waiting: dict[str, tuple[str, ...]] = field(default_factory=dict)  # student -> questions not yet marked
    similar: list[dict] = field(default_factory=list)
    ungraded: tuple[str, ...] = ()  # students who handed in but have no result (the grader failed on them)

    @property
    def id(self) -> str:
        return self.assignment.id

    @property
    def points(self) -> float:
        return self.assignment.rubric.auto_points

    def scores(self) -> list[float]:
        return [r.score for r in self.results.values()]

    def checkpoint_rows(self) -> list[dict]:
        """Per checkpoint: its title, points, mean score and the share of students with full marks."""
        count = max(1, len(self.results))
        rows = []
        for checkpoint in self.assignment.rubric.checkpoints:
            got = [r.checkpoints.get(checkpoint.id, 0.0) for r in self.results.values()]
            rows.append({"id": checkpoint.id, "title": checkpoint.title, "points": checkpoint.points,
                         "mean": sum(got) / count, "full": sum(s >= checkpoint.points for s in got) / count})
        return rows

    def misconceptions(self) -> list[MisconceptionSeen]:
        """The misconceptions students showed, most frequent first, each with its sentence from the rubric."""
        students: dict[str, list[str]] = {}
        for name in sorted(self.results):
            for misconception in self.results[name].misconceptions:
                students.setdefault(misconception, []).append(name)
        known = {m.id: m for m in self.assignment.rubric.misconceptions}
        seen = [MisconceptionSeen(key, known[key].checkpoint if key in known else "",
                                  known[key].message if key in known else "(no longer in the rubric)", tuple(who))
                for key, who in students.items()]
        return sorted(seen, key=lambda m: (-len(m.students), m.id))

    def troubles(self) -> list[tuple[str, str]]:
        """(student, what happened): limit hits, notebooks that could not run, grader failures."""
        rows = []
        for name in sorted(self.results):
            result = self.results[name]
            rows += [(name, limit) for limit in result.limits]
            if result.unrunnable:
                rows.append((name, result.unrunnable))
            if result.grader_failure:
                rows.append((name, "grader failure: the grader could not finish this submission"))
        rows += [(name, "handed in, but not graded: the grader failed on it (see atomgpt autograde's output)")
                 for name in self.ungraded]
        return sorted(rows)


@dataclass
class ClassData:
    course: Path
    assignments: list[AssignmentData]
    names: dict[str, str]  # student id -> the name the gradebook gives, or the id

    def students(self) -> list[str]:
        return sorted({s for a in self.assignments for s in a.results})

    def shares(self) -> dict[str, dict[str, float]]:
        """student -> assignment -> score as a share of the auto-graded points."""
        return {s: {a.id: a.results[s].score / a.points for a in self.assignments if s in a.results and a.points}
                for s in self.students()}

    def heat_map_students(self, rows: int) -> list[str]:
        """The `rows` students with the lowest mean share of the points (all, in a small class), highest first."""
        shares = self.shares()
        mean = {s: sum(shares[s].values()) / max(1, len(shares[s])) for s in shares}
        lowest = sorted(shares, key=lambda s: (mean[s], self.names[s]))[:rows]
        return sorted(lowest, key=lambda s: (-mean[s], self.names[s]))

    def fell_most(self, count: int = FELL_MOST) -> list[dict]:
        """Each student's largest fall in share of points between consecutive assignments, largest first."""
        shares, falls = self.shares(), []
        for student in self.students():
            steps = [(a.id, b.id, shares[student][a.id] - shares[student][b.id])
                     for a, b in zip(self.assignments, self.assignments[1:], strict=False)
                     if a.id in shares[student] and b.id in shares[student]]
            if steps:
                before, after, fall = max(steps, key=lambda step: step[2])
                if fall > 0:
                    falls.append({"student": student, "from": before, "to": after, "fall": fall,
                                  "before": shares[student][before], "after": shares[student][after]})
        return sorted(falls, key=lambda f: (-f["fall"], f["student"]))[:count]


def student_result(name: str, result: dict) -> StudentResult:
    extra = result.get("extra_data", {})
    return StudentResult(
        student=name, score=float(result.get("score", 0.0)),
        checkpoints={c["id"]: float(c["score"]) for c in extra.get("checkpoints", [])},
        misconceptions=tuple(dict.fromkeys(m["id"] for m in extra.get("misconceptions", []))),
        limits=tuple(incident_line(i) for i in extra.get("limits", [])),
        unrunnable=unrunnable(extra), grader_failure=bool(extra.get("grader_failure")))


def unrunnable(extra: dict) -> str | None:
    """The reason a result gives when no check could run at all (`zero_result`): an unreadable or missing notebook."""
    checkpoints, problems = extra.get("checkpoints", []), extra.get("problems", [])
    ran = any(c.get("total", 0) for c in checkpoints)
    return problems[0] if problems and checkpoints and not ran else None


def read_results(course: Path, assignment_id: str) -> dict[str, StudentResult]:
    """Every student's result file of the assignment (the engine's result, or the record that holds it)."""
    results = {}
    for path in sorted((course / RESULTS / assignment_id).glob("*.json")):
        record = read_record(path)
        if isinstance(record, dict):
            result = record["result"] if "tests" not in record and isinstance(record.get("result"), dict) else record
            results[path.stem] = student_result(path.stem, result)
    return results


def shared_lines(code: str, spans: list) -> str:
    """The whole lines of `code` that its shared character spans touch, in order, each once; "..." where lines
    are left out between them."""
    starts = [0] + [i + 1 for i, c in enumerate(code) if c == "\n"]
    lines = code.splitlines()
    touched = sorted({n for start, end in spans for n, first in enumerate(starts)
                      if first < end and (n + 1 == len(starts) or starts[n + 1] > start)})
    shown, previous = [], None
    for n in (n for n in touched if n < len(lines)):
        if previous is not None and n != previous + 1:
            shown.append("...")
        shown.append(lines[n])
        previous = n
    return "\n".join(shown)


def read_similar(course: Path, assignment_id: str) -> list[dict]:
    """The pairs and models `atomgpt similarity` flagged (its `<course>/similarity/<id>.json`), most alike first,
    each pair with the code the two share side by side; none when it has not run."""
    path = course / SIMILARITY / f"{assignment_id}.json"
    if not path.is_file():
        return []
    try:
        found = json.loads(path.read_text())
        similar = []
        for pair in found["pairs"]:
            a, b = pair["students"]
            pieces = {s: shared_lines(pair["code"][s], pair["shared"][s]) for s in (a, b)}
            similar.append({"a": a, "b": b, "score": min(pair["similarity"]),
                            "shared": [{"a": pieces[a], "b": pieces[b]}]})
        for model in found["models"]:
            a, b = model["students"]
            similar.append({"a": a, "b": b, "score": 1 - model["distance"],
                            "shared": [f"nearly the same {model['file']} (relative distance {model['distance']:g})"]})
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ReportError(f"could not read {path} ({error!r}): run `atomgpt similarity {assignment_id}` again") \
            from error
    return sorted(similar, key=lambda p: -p["score"])


class Gradebook:
    """What the report reads from nbgrader's gradebook: names, unmarked answers, where feedback goes."""

    def __init__(self, course: Path):
        from nbgrader.coursedir import CourseDirectory

        from ..classroom.config import load_config

        config = load_config(course)
        self.coursedir = CourseDirectory(config=config)

    def feedback_page(self, student: str, assignment_id: str) -> Path:
        folder = self.coursedir.format_path(self.coursedir.feedback_directory, student, assignment_id)
        return Path(folder) / f"{assignment_id}.html"

    def read(self, assignment_ids: list[str]) -> tuple[dict[str, str], dict[str, dict[str, tuple[str, ...]]]]:
        """Student names, and per assignment the students whose hand-graded answers are still unmarked."""
        from nbgrader.api import Gradebook as NbgraderGradebook
        from nbgrader.api import MissingEntry
        from sqlalchemy.engine import make_url

        database = make_url(self.coursedir.db_url)
        if database.get_backend_name() == "sqlite" and not Path(database.database or "").is_file():
            return {}, {}  # no gradebook (results only): nothing to read, and none to create
        names, waiting = {}, {}
        with NbgraderGradebook(self.coursedir.db_url, self.coursedir.course_id) as gradebook:
            for student in gradebook.students:
                full = " ".join(part for part in (student.first_name, student.last_name) if part)
                names[student.id] = full or student.id
            for assignment_id in assignment_ids:
                try:
                    submissions = gradebook.find_assignment(assignment_id).submissions
                except MissingEntry:
                    continue
                waiting[assignment_id] = {
                    submission.student.id: unmarked for submission in submissions
                    if (unmarked := tuple(grade.name for notebook in submission.notebooks for grade in notebook.grades
                                          if grade.needs_manual_grade))}
        return names, waiting


def gather(course: Path, assignments: list[Assignment], out: Path) -> ClassData:
    """The class as the report shows it; links are relative to the folder `out` the report goes in."""
    from ..classroom.autograde import submitted_students

    gradebook = Gradebook(course)
    root = Path(gradebook.coursedir.root)  # where the grading commands wrote, as the course's config says
    names, waiting = gradebook.read([a.id for a in assignments])
    data = []
    for assignment in assignments:
        results = read_results(root, assignment.id)
        pages = {s: gradebook.feedback_page(s, assignment.id) for s in results}
        ungraded = tuple(sorted(set(submitted_students(gradebook.coursedir, assignment.id)) - set(results)))
        data.append(AssignmentData(
            assignment, results, {s: quote(Path(os.path.relpath(page, out)).as_posix()) for s, page in pages.items()},
            sum(page.is_file() for page in pages.values()), waiting.get(assignment.id, {}),
            read_similar(root, assignment.id), ungraded))
    students = {s for a in data for s in (*a.results, *a.ungraded)}
    return ClassData(course, data, {s: names.get(s, s) for s in sorted(students)})

