"""Where a course's assignments live: `source_lib/<id>/` under the project root."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

from .rubric import Rubric, load_rubric

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
CONFIG_NAME = "nbgrader_config.py"  # what makes a folder an nbgrader course


class CourseError(Exception):
    """A path or name given on the command line does not lead to a course."""


@dataclass(frozen=True)
class Assignment:
    id: str
    folder: Path
    rubric: Rubric
    data_files: tuple[Path, ...] = ()  # checked to exist when the assignment is loaded
    grader_data: tuple[Path, ...] = ()  # data only the hidden suite reads, checked likewise

    @property
    def suite(self) -> Path:
        return self.folder / self.rubric.suite

    @property
    def source(self) -> Path:
        return self.folder / self.rubric.notebook

    @property
    def release(self) -> Path:
        """The student release the build writes: the shape a loose notebook is graded in."""
        return self.kit_root / "assignments" / self.id / f"{self.id}.ipynb"

    @property
    def variants(self) -> Path:
        return self.folder / "variants.toml"

    def grading_files(self) -> list[Path]:
        """What grading reads from the kit besides the release: rubric, hidden suite and the data both read.

        Laid out under another root in the same places (`kit_root`), they
        grade as the kit does: a cluster worker's copy, a platform export.
        """
        return [self.folder / "rubric.toml", self.suite, *self.data_files, *self.grader_data]

    @property
    def kit_root(self) -> Path:
        return self.folder.parent.parent


def data_files(folder: Path, rubric: Rubric, names: tuple[str, ...] | None = None) -> tuple[Path, ...]:
    """Course data files from source_lib/data/: by default those the assignment ships with."""
    files = tuple(folder.parent / "data" / name for name in (rubric.data if names is None else names))
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise CourseError(f"{rubric.assignment}: data files listed in rubric.toml are missing: {', '.join(missing)}")
    return files


def project_root(start: Path | None = None) -> Path:
    """ATOMGPT_ROOT, else the nearest folder above `start` holding source_lib/."""
    if os.environ.get("ATOMGPT_ROOT"):
        return Path(os.environ["ATOMGPT_ROOT"]).resolve()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "source_lib").is_dir():
            return folder
    if (PACKAGE_ROOT / "source_lib").is_dir():
        return PACKAGE_ROOT
    raise CourseError("no source_lib/ folder here or above; run from the course kit's folder "
                      "or set ATOMGPT_ROOT")


def assignment_ids(root: Path) -> list[str]:
    return sorted(p.parent.name for p in (root / "source_lib").glob("*/rubric.toml"))


def load_assignment(assignment_id: str, root: Path | None = None) -> Assignment:
    root = root or project_root()
    folder = root / "source_lib" / assignment_id
    if not (folder / "rubric.toml").is_file():
        known = ", ".join(assignment_ids(root)) or "none"
        raise CourseError(f"unknown assignment {assignment_id!r} (known: {known})")
    rubric = load_rubric(folder / "rubric.toml")
    return Assignment(assignment_id, folder, rubric, data_files(folder, rubric),
                      data_files(folder, rubric, rubric.grader_data))


@functools.cache
def cached_assignment(root: str, assignment_id: str) -> Assignment:
    """An assignment's rubric, read once per grading process, not once per submission."""
    return load_assignment(assignment_id, Path(root))
