"""What a release notebook says about itself, in its metadata, so `atomgpt check` needs nothing else.

The build writes the assignment's id and title, the Python its code needs,
each checkpoint's id, title and hint, the data files it reads, the files it
hands in and the limits its visible checks run under. All of it is public:
titles and hints are in every student's feedback anyway, and no hidden test,
expected value, misconception rule or solution is among it.
"""

from __future__ import annotations

import sys
from dataclasses import asdict, dataclass

from .rubric import Rubric
from .sandbox import Limits

KEY = "atomgpt"  # the course's own key in a notebook's metadata
PYTHON = (3, 10)  # the releases' own code calls zip(strict=True) and itertools.pairwise
REQUIREMENT = (f"*This notebook needs Python {PYTHON[0]}.{PYTHON[1]} or newer and nothing beyond its "
               "standard library.*")


class ReleaseInfoError(Exception):
    """The notebook carries no usable description of its assignment; the text says what to do."""


@dataclass(frozen=True)
class CheckpointInfo:
    id: str
    title: str
    hint: str


@dataclass(frozen=True)
class ReleaseInfo:
    assignment: str
    title: str
    python: tuple[int, int]
    checkpoints: tuple[CheckpointInfo, ...]
    data: tuple[str, ...]
    hand_in: tuple[str, ...]
    limits: Limits

    def python_problem(self, running: tuple[int, int] = sys.version_info[:2]) -> str | None:
        """Why this Python cannot run the notebook, or None. The kit itself needs 3.11, so this speaks only once
        `PYTHON` asks for more than the kit does."""
        if running >= self.python:
            return None
        return (f"this notebook needs Python {self.python[0]}.{self.python[1]} or newer; "
                f"this is Python {running[0]}.{running[1]}")


def describe(rubric: Rubric) -> dict:
    """The release's own description, as notebook metadata."""
    return {
        "assignment": rubric.assignment,
        "title": rubric.title,
        "requires_python": f">={PYTHON[0]}.{PYTHON[1]}",
        "checkpoints": [{"id": c.id, "title": c.title, "hint": c.hint} for c in rubric.checkpoints],
        "data": list(rubric.data),
        "hand_in": list(rubric.hand_in),
        "limits": asdict(rubric.limits),
    }


def read_info(notebook: dict) -> ReleaseInfo:
    """The description a release notebook carries (a student may have edited it: it only ever advises them)."""
    data = (notebook.get("metadata") or {}).get(KEY)
    if not isinstance(data, dict):
        raise ReleaseInfoError("this notebook does not describe its assignment (it was released before "
                               "`atomgpt check` could read it, or its metadata was removed): fetch the "
                               "current release and copy your work into it")
    try:
        version = data["requires_python"].removeprefix(">=").split(".")
        return ReleaseInfo(
            data["assignment"], data["title"], (int(version[0]), int(version[1])),
            tuple(CheckpointInfo(c["id"], c["title"], c.get("hint", "")) for c in data["checkpoints"]),
            tuple(map(str, data.get("data", ()))), tuple(map(str, data.get("hand_in", ()))),
            Limits.from_table(data.get("limits", {})))
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as error:
        raise ReleaseInfoError(f"this notebook's description of its assignment is damaged ({error}): "
                               "fetch the current release and copy your work into it") from None
