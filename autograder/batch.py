"""Grades a class in parallel on local cores, one result file per submission.

Each result is written to a temporary file and renamed into place, so a run
killed halfway leaves whole results or none. A grading process that dies
is replaced and its submissions retried; one that keeps dying is reported
as a grader failure for that submission alone.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import secrets
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from .course import load_assignment
from .grading import grade_submission

ATTEMPTS = 2


@dataclass(frozen=True)
class Job:
    name: str
    path: Path


def submission_name(path: Path) -> str:
    """A folder's name, or a notebook's stem."""
    return path.name if path.is_dir() else path.stem


def jobs_for(paths: Iterable[Path]) -> list[Job]:
    """One job per path, names made unique with a numeric suffix."""
    jobs, used = [], set()
    for path in paths:
        base = name = submission_name(Path(path))
        counter = 2
        while name in used:
            name, counter = f"{base}-{counter}", counter + 1
        used.add(name)
        jobs.append(Job(name, Path(path)))
    return jobs


def write_atomically(path: Path, data: dict) -> None:
    temporary = path.with_name(f".{path.name}.tmp{os.getpid()}")
    temporary.write_text(json.dumps(data, indent=2) + "\n")
    os.replace(temporary, path)


def grade_to_file(root: str, assignment_id: str, job: Job, seed: int, out: str) -> dict:
    """Runs in a grading process: grade one submission and write its result."""
    assignment = load_assignment(assignment_id, Path(root))
    result = grade_submission(assignment, job.path, name=job.name, seed=seed)
    write_atomically(Path(out) / f"{job.name}.json", result)
    return result


def grader_failure(job: Job, assignment_id: str) -> dict:
    return {
        "score": 0.0,
        "output": "The grader could not finish this submission; your instructor has been told.",
        "tests": [],
        "extra_data": {"assignment": assignment_id, "submission": job.name, "grader_failure": True},
    }


def grade_class(
    root: Path,
    assignment_id: str,
    jobs: list[Job],
    out: Path,
    *,
    seed: int | None = None,
    workers: int | None = None,
    progress: Callable[[Job, dict], None] = lambda job, result: None,
) -> tuple[dict[str, dict], int]:
    """Grades every job; returns results by name and the seed used."""
    out.mkdir(parents=True, exist_ok=True)
    seed = secrets.randbits(63) if seed is None else seed
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs) or 1))
    results: dict[str, dict] = {}
    attempts = {job.name: 0 for job in jobs}
    pending = list(jobs)
    context = multiprocessing.get_context("spawn")
    while pending:
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            running = {pool.submit(grade_to_file, str(root), assignment_id, job, seed, str(out)): job
                       for job in pending}
            pending = []
            while running:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    job = running.pop(future)
                    try:
                        results[job.name] = future.result()
                    except BrokenProcessPool:
                        attempts[job.name] += 1
                        if attempts[job.name] < ATTEMPTS:
                            pending.append(job)
                            continue
                        results[job.name] = grader_failure(job, assignment_id)
                        write_atomically(out / f"{job.name}.json", results[job.name])
                    progress(job, results[job.name])
    return results, seed
