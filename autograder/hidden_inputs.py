"""Where hidden inputs come from: a grading secret that belongs to the course, never released.

Each assignment's seed is an HMAC of the secret and the assignment's id, so
every student of a course meets the same hidden inputs and a regrade, by
any command, gives the same grade. The secret lives in a file
(`grading_secret`) in the nbgrader course folder, outside everything
nbgrader releases or copies into `autograded/` and feedback; loose
notebooks graded without a course use the kit's own, beside `source_lib/`.
It is made on first use and never leaves the grader's process: student code
sees only the inputs drawn from it. A result records the seed (which
replays those inputs with `--seed`) and a fingerprint of the secret, never
the secret.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

SECRET_FILE = "grading_secret"


class SecretError(Exception):
    """The grading secret's file exists but holds no secret."""


@dataclass(frozen=True)
class HiddenInputs:
    """What one assignment's hidden inputs derive from: a seed, and where it came from."""

    seed: int
    source: str  # "course" or "kit" (the secret's owner), or "seed" (given outright, e.g. `--seed`)
    secret: str = ""  # the secret's fingerprint: tells secrets apart, reveals nothing of them

    @classmethod
    def given(cls, seed: int) -> HiddenInputs:
        """Inputs replayed (or overridden) from a seed, as `--seed` does."""
        return cls(seed, "seed")

    def record(self) -> dict:
        """For a result: enough to replay these inputs and to tell which secret they came from."""
        return {"source": self.source, "secret": self.secret, "seed": self.seed}

    def describe(self) -> str:
        """For the instructor's console."""
        origin = f"the {self.source}'s grading secret {self.secret}" if self.secret else "the seed given"
        return f"hidden inputs from {origin}; --seed {self.seed} replays them"


@dataclass(frozen=True)
class GradingSecret:
    """A course's (or the kit's) grading secret, read from its file."""

    owner: str  # "course" or "kit"
    key: bytes = field(repr=False)

    @property
    def fingerprint(self) -> str:
        return hmac.new(self.key, b"fingerprint", hashlib.sha256).hexdigest()[:16]

    def inputs(self, assignment_id: str) -> HiddenInputs:
        digest = hmac.new(self.key, f"hidden inputs of {assignment_id}".encode(), hashlib.sha256).digest()
        return HiddenInputs(int.from_bytes(digest[:8], "big") >> 1, self.owner, self.fingerprint)


def read_secret(folder: Path, owner: str) -> GradingSecret:
    """The secret kept in `folder`, made (once, whatever runs at the same time) when there is none yet."""
    path = folder / SECRET_FILE
    if not path.exists():
        create_secret(path)
    key = path.read_bytes().strip()
    if not key:
        raise SecretError(f"{path} is empty: restore it from your backup (or delete it to start a new one, "
                          "which changes every hidden input)")
    return GradingSecret(owner, key)


def create_secret(path: Path) -> None:
    """Writes a new secret readable by its owner only, kept out of git; a secret already there wins."""
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(secrets.token_hex(32) + "\n")
    try:
        os.link(draft, path)  # fails when another process made one first: everyone then reads that one
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    keep_out_of_git(path)


def keep_out_of_git(path: Path) -> None:
    """Lists the secret in its folder's .gitignore, so committing the course folder leaves it out."""
    ignore = path.parent / ".gitignore"
    lines = ignore.read_text().splitlines() if ignore.is_file() else []
    if path.name not in lines and f"/{path.name}" not in lines:
        ignore.write_text("".join(f"{line}\n" for line in [*lines, path.name]))


def hidden_inputs(assignment_id: str, *, kit: Path, course: Path | None = None,
                  seed: int | None = None) -> HiddenInputs:
    """A given seed; else the course's secret; else, for loose notebooks, the kit's."""
    if seed is not None:
        return HiddenInputs.given(seed)
    secret = read_secret(course, "course") if course is not None else read_secret(kit, "kit")
    return secret.inputs(assignment_id)
