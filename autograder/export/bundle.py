"""What both platform exports share: the kit as a wheel, the hidden material, grading a handed-in folder.

The hidden material is the assignment's part of the kit laid out as the kit
lays it out (as a cluster worker gets it), so the engine loads the
assignment from it unchanged, plus the hidden inputs' record: the seed the
export was made with, never the secret it came from.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from ..cluster import KitSlice
from ..course import PACKAGE_ROOT, Assignment, assignment_ids, load_assignment
from ..files import write_atomically
from ..hidden_inputs import HiddenInputs

KIT = "kit"  # the hidden material's folder among the platform's grader files
INPUTS = "hidden_inputs.json"
WHEEL_SOURCES = ("pyproject.toml", "README.md", "autograder")
GRADER_FAILURE = "The grader could not finish grading this submission; your instructor has been told."


class ExportError(Exception):
    """The export cannot be made (no release built, the wheel does not build)."""


def build_wheel(into: Path) -> Path:
    """The kit as a wheel, built from a copy of its sources so the checkout gains no build folders."""
    source = into / "source"
    for name in WHEEL_SOURCES:
        path = PACKAGE_ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            source.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, source / name)
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(into),
                           str(source)], capture_output=True, text=True)
    wheels = sorted(into.glob("*.whl"))
    if done.returncode != 0 or len(wheels) != 1:
        raise ExportError(f"the kit's wheel did not build: {done.stderr.strip()[-2000:]}")
    return wheels[0]


def hidden_material(assignment: Assignment, inputs: HiddenInputs) -> list[tuple[str, bytes]]:
    """(relative path, bytes) of everything the grader reads besides the submission, under KIT/."""
    if not assignment.release.is_file():
        raise ExportError(f"{assignment.id} has no release notebook yet: run `atomgpt build {assignment.id}` first")
    kit = KitSlice.of(assignment, assignment.release)
    files = [*kit.files, (INPUTS, json.dumps(inputs.record(), indent=2).encode() + b"\n")]
    return [(f"{KIT}/{name}", data) for name, data in files]


def load_material(folder: Path) -> tuple[Assignment, HiddenInputs]:
    """The assignment and hidden inputs an export laid out in `folder` (the KIT folder)."""
    ids = assignment_ids(folder)
    if len(ids) != 1:
        raise ExportError(f"{folder} should hold one assignment's hidden material, not {len(ids)}")
    record = json.loads((folder / INPUTS).read_text())
    return load_assignment(ids[0], folder), HiddenInputs(int(record["seed"]), record["source"], record["secret"])


def keep_from_student(*folders: Path) -> None:
    """Folders only the grader's user may enter: hidden material, results.

    A grader started as root runs the student's code as nobody (see the
    sandbox's launcher), who then can neither read the hidden suite nor
    write the results file; bubblewrap, where it works, shows neither at all.
    """
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o700)


def write_results(path: Path, results: dict) -> None:
    """The platform's results file, written whole by the grader after the student's code has stopped."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, results)


def platform_root(variable: str, default: str) -> Path:
    """The platform's fixed root (`/autograder`, `/grade`), moved by an environment variable for tests."""
    return Path(os.environ.get(variable) or default)


@dataclass(frozen=True)
class Entry:
    """One auto-graded checkpoint of an engine result, as both platforms list it."""

    id: str
    title: str
    score: float
    max_score: float
    passed: bool
    feedback: str
    visibility: str


def checkpoint_entries(result: dict) -> list[Entry]:
    """The result's checkpoints in rubric order, with the feedback the engine wrote for each."""
    return [Entry(checkpoint["id"], test["name"], test["score"], test["max_score"], test["status"] == "passed",
                  test["output"], test["visibility"])
            for test, checkpoint in zip(result["tests"], result["extra_data"]["checkpoints"], strict=True)]
