"""Grading mutants as students are graded, and telling killed from survived.

Each mutant becomes a notebook the way a known-bug variant does (the master
notebook with its change, as a student who solved everything else would
hand it in, beside the files the solution hands in) and the whole set, the
unmutated solution with it, is graded by the engine in parallel
(`batch.grade_class`), once per hidden-input seed. A mutant is killed when
it scores below the solution with every seed.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..batch import Job, grade_class
from ..course import Assignment
from ..hidden_inputs import HiddenInputs
from ..variants import handed_in_with, solution_notebook, write_notebook
from .generate import Mutant
from .ledger import Ledger

SOLUTION = "solution"  # the job name of the unmutated solution (no mutant id has no colon)


@dataclass(frozen=True)
class Graded:
    """What grading kept of one submission: its score and the misconception messages it showed."""

    score: float
    misconceptions: tuple[str, ...]


@dataclass(frozen=True)
class Outcome:
    mutant: Mutant
    status: str  # "killed", "survived", "equivalent" or "accepted"
    caught_in: int  # how many seeds' hidden inputs made it lose points
    seeds: int
    misconceptions: tuple[str, ...]  # shown when it lost points, every seed together
    reason: str = ""  # from mutants.toml, for equivalent and accepted ones
    message: str = ""  # student-model and killed: "accurate", "wrong", "unjudged" or "none"


def kept(result: dict) -> Graded:
    extra = result.get("extra_data", {})
    return Graded(float(result["score"]), tuple(sorted({m["id"] for m in extra.get("misconceptions", [])})))


def grade_mutants(root: Path, assignment: Assignment, mutants: Sequence[Mutant], seeds: Sequence[int], *,
                  workers: int | None = None,
                  progress: Callable[[], None] = lambda: None) -> list[dict[str, Graded]]:
    """Per seed: job name -> what it scored, for the solution (`SOLUTION`) and every mutant."""
    solved = root / "solutions" / assignment.id / f"{assignment.id}.ipynb"
    beside = handed_in_with(solved)
    per_seed = []
    with tempfile.TemporaryDirectory(prefix="atomgpt-mutants-") as scratch:
        folder = Path(scratch)
        jobs = [Job(SOLUTION, write_notebook(solution_notebook(assignment), folder / SOLUTION / "0" /
                                             f"{assignment.id}.ipynb", beside))]
        for index, mutant in enumerate(mutants):
            notebook = solution_notebook(assignment, mutant.source)
            jobs.append(Job(mutant.id, write_notebook(notebook, folder / "m" / str(index) / f"{assignment.id}.ipynb",
                                                      beside)))
        for seed in seeds:
            per_seed.append(grade_class(root, assignment.id, jobs, folder / f"results-{seed}",
                                        inputs=HiddenInputs.given(seed), workers=workers,
                                        progress=lambda job, result: progress(), keep=kept))
    return per_seed


def judge(mutant: Mutant, per_seed: Sequence[dict[str, Graded]], ledger: Ledger) -> Outcome:
    """Killed, survived, equivalent or accepted; for a killed student-model mutant, whether its message fits."""
    lost = [graded[mutant.id] for graded in per_seed if graded[mutant.id].score < graded[SOLUTION].score - 1e-9]
    shown = tuple(sorted({m for graded in lost for m in graded.misconceptions}))
    caught_in, seeds = len(lost), len(per_seed)
    if caught_in == seeds:
        status, reason = "killed", ""
    elif mutant.id in ledger.equivalent:
        status, reason = "equivalent", ledger.equivalent[mutant.id]
    elif mutant.id in ledger.accepted:
        status, reason = "accepted", ledger.accepted[mutant.id]
    else:
        status, reason = "survived", ""
    message = ""
    if status == "killed" and mutant.kind == "student":
        message = message_verdict(shown, ledger.expect.get(mutant.id))
    return Outcome(mutant, status, caught_in, seeds, shown, reason, message)


def message_verdict(shown: Sequence[str], expected: frozenset[str] | None) -> str:
    """"none" without a message; else "accurate" when every message shown is one mutants.toml expects for this
    mutant, "wrong" when one is not, "unjudged" when mutants.toml says nothing about it."""
    if not shown:
        return "none"
    if expected is None:
        return "unjudged"
    return "accurate" if set(shown) <= expected else "wrong"
