"""variants.toml: known-buggy variants, other correct styles and cheats.

Each variant is the solution with text replacements (each `old` must occur
exactly once) and optional appended cells; a cheat also inherits the
replacements of its `base`, the wrong answer it tries to hide. They become
synthetic submissions for the demo and the tests that prove a suite.
"""

from __future__ import annotations

import re
import shutil
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .build.cells import course_notebook
from .build.provided import read_master
from .course import Assignment
from .sandbox.launcher import ALL_PROTECTIONS

KINDS = ("bug", "style", "cheat")
MARKER = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.MULTILINE)


class VariantError(Exception):
    """variants.toml is inconsistent with the solution it patches."""


@dataclass(frozen=True)
class Variant:
    id: str
    kind: str
    description: str
    checkpoint: str | None = None
    misconception: str | None = None
    base: str | None = None
    replace: tuple[tuple[str, str], ...] = ()
    append: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()  # sandbox protections a cheat is stopped by (e.g. "private-filesystem")


def load_variants(assignment: Assignment) -> list[Variant]:
    data = tomllib.loads(assignment.variants.read_text())
    variants = [
        Variant(v["id"], v["kind"], v.get("description", ""), v.get("checkpoint"), v.get("misconception"),
                v.get("base"), tuple((r["old"], r["new"]) for r in v.get("replace", [])),
                tuple(v.get("append", [])), tuple(v.get("needs", [])))
        for v in data.get("variant", [])
    ]
    by_id = {v.id: v for v in variants}
    for variant in variants:
        if variant.kind not in KINDS:
            raise VariantError(f"{variant.id}: kind must be one of {KINDS}")
        if variant.kind == "bug" and not (variant.checkpoint and variant.misconception):
            raise VariantError(f"{variant.id}: a bug names its checkpoint and misconception")
        if variant.kind == "cheat" and by_id.get(variant.base, Variant("", "", "")).kind != "bug":
            raise VariantError(f"{variant.id}: a cheat's base must be a bug variant")
        unknown = set(variant.needs) - set(ALL_PROTECTIONS)
        if unknown:
            raise VariantError(f"{variant.id}: needs names unknown protections {sorted(unknown)}")
    return variants


def solution_notebook(assignment: Assignment, text: str | None = None):
    """The master notebook (or `text` in its place) as a student who solved everything would submit it."""
    notebook = course_notebook(read_master(assignment, text), assignment.rubric)
    for cell in notebook.cells:
        cell.source = MARKER.sub("", cell.source)
    return notebook


def apply_variant(notebook, variant: Variant, by_id: dict[str, Variant]):
    """A copy of the notebook with the variant's (and its base's) changes."""
    notebook = nbformat.reads(nbformat.writes(notebook), as_version=4)
    changes = list(by_id[variant.base].replace) if variant.base else []
    changes += variant.replace
    for old, new in changes:
        hits = [cell for cell in notebook.cells if old in cell.source]
        count = sum(cell.source.count(old) for cell in hits)
        if count != 1:
            raise VariantError(f"{variant.id}: {old[:60]!r} occurs {count} times in the solution, not once")
        hits[0].source = hits[0].source.replace(old, new)
    for index, code in enumerate(variant.append, start=1):
        cell = nbformat.v4.new_code_cell(code)
        cell.id = f"{variant.id}-{index}"[:64]
        notebook.cells.append(cell)
    return notebook


def handed_in_with(solution: Path) -> list[Path]:
    """The files a solved notebook hands in beside it (a trained checkpoint)."""
    return sorted(p for p in solution.parent.iterdir() if p.is_file() and p.suffix != ".ipynb")


def write_notebook(notebook, path: Path, beside: Sequence[Path] = ()) -> Path:
    """Writes a submission: the notebook and copies of the files handed in with it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    for companion in beside:
        shutil.copyfile(companion, path.parent / companion.name)
    return path


def variant_submissions(assignment: Assignment, solved: Path, folder: Path) -> list[tuple[Variant, Path]]:
    """Each variant written as folder/<variant id>/<id>.ipynb, beside the files the executed solution handed in."""
    variants = load_variants(assignment)
    by_id = {v.id: v for v in variants}
    solution = solution_notebook(assignment)
    beside = handed_in_with(solved)
    return [(v, write_notebook(apply_variant(solution, v, by_id), folder / v.id / f"{assignment.id}.ipynb", beside))
            for v in variants]
