"""The demo's synthetic class: named students who hand in every assignment, each in their own way.

A student is strong, average or struggling; per assignment they make that
many of the assignment's known bugs (`variants.toml`, each in a different
function), and each other correct style there is the way one student of
the class writes that code. A few students hand an assignment in late, a
few not at all, one hands in a notebook cut in half, and two copy a
classmate's work on one assignment, with renamed variables and reordered
functions (`disguise`); the classmates they copy write that assignment in
their own styles. Everything is drawn from the seed, so the same seed
gives the same class, file for file.
"""

from __future__ import annotations

import ast
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from .course import Assignment
from .disguise import disguise
from .variants import Variant, VariantError, apply_variant, load_variants, solution_notebook, write_notebook

FIRST_NAMES = ("Amara", "Ben", "Chen", "Dana", "Elif", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kavya", "Liam",
               "Maya", "Nikolai", "Olu", "Priya", "Quentin", "Rosa", "Samir", "Tess", "Umar", "Vera", "Wen",
               "Ximena", "Yusuf", "Zoe", "Aiko", "Bruno", "Carla", "Dmitri", "Esther", "Felix", "Greta", "Hassan",
               "Ivy", "Jamal", "Keiko", "Lucia", "Mateo", "Nadia", "Oscar", "Paula", "Rafael", "Sofia", "Tomas")
LAST_NAMES = ("Abebe", "Bianchi", "Castro", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad", "Ivanova",
              "Jensen", "Kim", "Lopez", "Moreau", "Nakamura", "Okafor", "Patel", "Quinn", "Rossi", "Schmidt",
              "Tanaka", "Usman", "Varga", "Wang", "Xu", "Yilmaz", "Zhang", "Almeida", "Brown", "Costa", "Novak",
              "Mensah", "Singh", "Berg", "Ortiz", "Kowalski", "Larsen", "Murphy", "Nguyen", "Sato", "Weber")
LEVELS = {"strong": (0, 1), "average": (1, 2), "struggling": (2, 4)}  # how many bugs per assignment, at least/most
SHARES = {"strong": 0.3, "average": 0.45, "struggling": 0.25}
FIRST_DUE = datetime(2026, 1, 16, 17, 0)  # the first assignment's due date; one a week after it
COPIERS = 2


@dataclass(frozen=True)
class Student:
    id: str
    first_name: str
    last_name: str
    level: str


@dataclass(frozen=True)
class Copy:
    """The copier hands in the source's work on one assignment, disguised."""

    copier: str
    source: str
    assignment: str


@dataclass
class SyntheticClass:
    """A made-up class: who is in it, what each student writes, and what happens to whom."""

    seed: int
    students: list[Student]
    due: dict[str, datetime]  # assignment -> due date (UTC, naive as nbgrader keeps it)
    missing: dict[str, set[str]]  # assignment -> students who hand in nothing
    late: dict[str, set[str]]  # assignment -> students who hand in after the due date
    broken: tuple[str, str]  # (student, assignment) whose notebook is cut in half
    copies: list[Copy] = field(default_factory=list)
    written: dict[str, dict[str, list[Variant]]] = field(default_factory=dict)  # assignment -> student -> variants
    notebooks: dict[str, dict[str, NotebookNode]] = field(default_factory=dict)  # assignment -> student -> notebook

    def rng(self, *what: str) -> random.Random:
        """A generator of its own for each decision, so one decision never shifts another's draws."""
        return random.Random(":".join([str(self.seed), *what]))

    def handed_in_at(self, student: str, assignment: str) -> datetime:
        hours = self.rng("timestamp", student, assignment).uniform(1, 72)
        return self.due[assignment] + timedelta(hours=hours if student in self.late[assignment] else -hours)

    def made(self, assignment: str, student: str) -> list[str]:
        """What a student's notebook of an assignment is, in words: variant ids, a copy, a broken file."""
        if (student, assignment) == self.broken:
            return ["a notebook cut in half"]
        copied = [c.source for c in self.copies if (c.copier, c.assignment) == (student, assignment)]
        return [f"copy of {copied[0]}"] if copied else [v.id for v in self.written[assignment].get(student, [])]


def roster(count: int, rng: random.Random) -> list[Student]:
    """`count` students with distinct names and ids (last name and first initial, as a university might)."""
    levels = [level for level, share in SHARES.items() for _ in range(round(share * count))]
    levels = (levels + ["average"] * count)[:count]
    rng.shuffle(levels)
    names = rng.sample([(f, last) for f in FIRST_NAMES for last in LAST_NAMES], count)
    students, taken = [], set()
    for (first, last), level in zip(names, levels, strict=True):
        base = f"{last}{first[0]}".lower()
        student_id = next(f"{base}{n or ''}" for n in range(len(taken) + 1) if f"{base}{n or ''}" not in taken)
        taken.add(student_id)
        students.append(Student(student_id, first, last, level))
    return sorted(students, key=lambda s: s.id)


def make_class(count: int, assignments: list[Assignment], seed: int) -> SyntheticClass:
    """Who is in the class, what each writes, and what happens to whom."""
    if count < 2 * COPIERS + 2:
        raise ValueError(f"a synthetic class needs at least {2 * COPIERS + 2} students")
    rng = random.Random(seed)
    students = roster(count, rng)
    ids = [s.id for s in students]
    copiers = rng.sample(ids, COPIERS)
    broken = (rng.choice([i for i in ids if i not in copiers]), rng.choice(assignments).id)
    few = max(1, round(count / 20))
    missing, late = {}, {}
    for assignment in (a.id for a in assignments):
        free = [s for s in students if s.id not in copiers and (s.id, assignment) != broken]
        struggling = [s.id for s in free if s.level == "struggling"] or [s.id for s in free]
        missing[assignment] = set(rng.sample(struggling, min(few, len(struggling))))
        late[assignment] = set(rng.sample([s.id for s in free if s.id not in missing[assignment]], few))
    due = {a.id: FIRST_DUE + timedelta(weeks=n) for n, a in enumerate(assignments)}
    plan = SyntheticClass(seed, students, due, missing, late, broken)
    for copier in copiers:  # on assignments of their own while there are enough
        assignment = rng.choice([a.id for a in assignments if a.id not in {c.assignment for c in plan.copies}]
                                or [a.id for a in assignments])
        involved = {*copiers, *(c.source for c in plan.copies), *missing[assignment]}
        sources = [i for i in ids if i not in involved and (i, assignment) != broken]
        plan.copies.append(Copy(copier, rng.choice(sources), assignment))
    for assignment in assignments:
        own_variants(plan, assignment, solution_notebook(assignment))
    return plan


def touched(solution, variant: Variant) -> set[str]:
    """The functions (or module-level lines) a variant's replacements change."""
    places = set()
    for old, _ in variant.replace:
        index = next(i for i, cell in enumerate(solution.cells) if old in cell.source)
        source = solution.cells[index].source
        line = source[:source.index(old)].count("\n") + 1
        place = f"cell {index} line {line}"
        try:
            tree = ast.parse(source)
        except SyntaxError:
            places.add(place)
            continue
        for node in ast.walk(tree):  # outer functions first: the innermost one around the line is kept
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.lineno <= line <= node.end_lineno:
                place = f"cell {index} {node.name}"
        places.add(place)
    return places | {f"appended {variant.id}" for _ in variant.append}


def own_variants(plan: SyntheticClass, assignment: Assignment, solution) -> None:
    """Per student handing the assignment in, the variants their notebook is made of, and that notebook.

    Each style is the way one student writes that code: the classmate a
    copier copies writes them all (a copy of work like everyone else's is
    like everyone else's, and no check could tell it from honest work), else
    a student drawn for each. Each student makes as many bugs as their level
    draws, each in a function no other of their variants changes.
    """
    variants = load_variants(assignment)
    bugs = [v for v in variants if v.kind == "bug"]
    styles = [v for v in variants if v.kind == "style"]
    places = {v.id: touched(solution, v) for v in [*bugs, *styles]}
    students = [s for s in plan.students if s.id not in plan.missing[assignment.id]]
    copied = [c.source for c in plan.copies if c.assignment == assignment.id]
    writers = ([copied[n % len(copied)] for n in range(len(styles))] if copied
               else plan.rng("styles", assignment.id).choices([s.id for s in students], k=len(styles)))
    plan.written[assignment.id], plan.notebooks[assignment.id] = {}, {}
    for student in students:
        rng = plan.rng("bugs", student.id, assignment.id)
        wanted = rng.randint(*LEVELS[student.level])
        mine = [v for v, writer in zip(styles, writers, strict=True) if writer == student.id]
        mine += rng.sample(bugs, len(bugs))
        chosen, taken, notebook = [], set(), solution
        for variant in mine:
            if variant.kind == "bug" and sum(v.kind == "bug" for v in chosen) == wanted:
                break
            if places[variant.id] & taken:
                continue
            try:
                notebook = apply_variant(notebook, variant, {variant.id: variant})
            except VariantError:  # another of its variants changed the text this one replaces
                continue
            chosen.append(variant)
            taken |= places[variant.id]
        plan.written[assignment.id][student.id] = chosen
        plan.notebooks[assignment.id][student.id] = notebook


def copied_notebook(notebook, rng: random.Random):
    """A classmate's notebook, every answer cell disguised."""
    notebook = nbformat.reads(nbformat.writes(notebook), as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = disguise(cell.source, rng)
    return notebook


def write_class(plan: SyntheticClass, assignment: Assignment, handed_in: list[Path], folder: Path) -> dict[str, Path]:
    """Writes folder/<student>/ for each student who hands the assignment in; student -> that folder.

    Each holds the notebook and the files the executed solution handed in
    beside it (a trained checkpoint).
    """
    name = f"{assignment.id}.ipynb"
    notebooks = dict(plan.notebooks[assignment.id])
    for copy in (c for c in plan.copies if c.assignment == assignment.id):
        notebooks[copy.copier] = copied_notebook(notebooks[copy.source], plan.rng("copy", copy.copier))
    folders = {}
    for student, notebook in sorted(notebooks.items()):
        path = write_notebook(notebook, folder / student / name, handed_in)
        if (student, assignment.id) == plan.broken:
            path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
        folders[student] = path.parent
    return folders


def timestamp(moment: datetime) -> str:
    """As `nbgrader collect` writes timestamp.txt."""
    return f"{moment.replace(tzinfo=UTC):%Y-%m-%d %H:%M:%S.%f} UTC"
