"""Grades a class in parallel on local cores (or a Dask cluster), one result file per submission.

Each result is written to a temporary file and renamed into place, so a run
killed halfway leaves whole results or none. A grading process that dies
is replaced and its submissions retried; one that keeps dying is reported
as a grader failure for that submission alone.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import secrets
import sys
import tempfile
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from .cluster import ONE_AT_A_TIME, HandedIn, KitSlice, run_on_cluster
from .course import cached_assignment
from .files import write_atomically
from .grading import grade_submission
from .hidden_inputs import HiddenInputs

# On Linux the grading processes start as copies of this one (fork), so they do not import the engine,
# pytest and nbgrader again (about 1.5 s of CPU each); no threads run here when they start. Elsewhere
# fork is unsafe and they start fresh.
START_METHOD = "fork" if sys.platform.startswith("linux") else "spawn"


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


def grade_to_file(root: str, assignment_id: str, job: Job, *, inputs: HiddenInputs, out: str) -> dict:
    """Runs in a grading process: grade one submission and write its result."""
    result = grade_submission(cached_assignment(root, assignment_id), job.path, name=job.name, inputs=inputs)
    write_atomically(Path(out) / f"{job.name}.json", result)
    return result


def grade_handed_in(kit: KitSlice, handed_in: HandedIn, *, inputs: HiddenInputs) -> dict:
    """Runs on a cluster worker: one submission graded from the files that travelled with it."""
    assignment = kit.unpack()
    with ONE_AT_A_TIME, tempfile.TemporaryDirectory(prefix="atomgpt-handed-in-") as folder:
        return grade_submission(assignment, handed_in.write(Path(folder)), name=handed_in.name, inputs=inputs)


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
    inputs: HiddenInputs,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Callable[[Job, dict], None] = lambda job, result: None,
    grade: Callable[..., dict] = grade_to_file,
    keep: Callable[[dict], dict | None] = lambda result: result,
) -> dict[str, dict]:
    """Grades every job into out/<name>.json, all with the same hidden inputs; returns results by name.

    `grade(root, assignment_id, job, inputs=, out=)` runs in the grading
    processes (a module-level function, so it can be sent to them); what
    `keep(result)` returns is what the returned dict holds (nothing for None). With a
    `scheduler` the class is graded on that Dask cluster instead, and the
    results are written here. A submission that kills its grader again and
    again is reported as a grader failure.
    """
    out.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict] = {}

    def finished(job: Job, result: dict) -> None:
        kept = keep(result)
        if kept is not None:
            results[job.name] = kept
        progress(job, result)

    def arrived(job: Job, result: dict) -> None:
        write_atomically(out / f"{job.name}.json", result)
        finished(job, result)

    def failed(job: Job) -> None:
        arrived(job, grader_failure(job, assignment_id))

    if scheduler:
        assignment = cached_assignment(str(root), assignment_id)
        run_on_cluster(scheduler, KitSlice.of(assignment, assignment.release), jobs,
                       lambda job: HandedIn.read(job.name, job.path),
                       functools.partial(grade_handed_in, inputs=inputs), run=secrets.token_hex(4),
                       finished=arrived, failed=failed)
    else:
        run_jobs(jobs, functools.partial(grade, str(root), assignment_id, inputs=inputs, out=str(out)),
                 workers=workers, finished=finished, failed=failed)
    return results


def run_jobs(jobs: list[Job], work: Callable[[Job], dict], *, workers: int | None,
             finished: Callable[[Job, dict], None], failed: Callable[[Job], None]) -> None:
    """Runs `work(job)` for every job in grading processes, at most `workers` at once.

    `finished` and `failed` run here, in this process, as results arrive.
    When a grading process dies, only the submissions it might have been
    grading are suspects; each is retried alone, and one that kills its
    grader again goes to `failed`.
    """
    workers = max(1, min(workers or len(usable_cores()), len(jobs) or 1))
    queue = deque(jobs)
    while queue:
        for suspect in run_pool(queue, workers, work, finished):
            if run_pool(deque([suspect]), 1, work, finished):
                failed(suspect)


def usable_cores() -> list[int]:
    """The cores this process may run on (a container or `taskset` may allow fewer than the machine has)."""
    return sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else list(range(os.cpu_count() or 1))


def keep_to_one_core(lanes) -> None:
    """Starts a grading process on a core of its own, shared with the student processes it starts.

    Each call to the student's code is a request and an answer between the
    two: on one core the answer does not wake another, which cuts what a
    round trip costs by about 40% (`bench/scale.py` measures it).
    Processes beyond the number of cores share them in turn.
    """
    if not hasattr(os, "sched_setaffinity"):
        return
    with lanes.get_lock():
        lane = lanes.value
        lanes.value += 1
    cores = usable_cores()
    os.sched_setaffinity(0, {cores[lane % len(cores)]})


def run_pool(queue: deque, workers: int, work: Callable[[Job], dict],
             finished: Callable[[Job, dict], None]) -> list[Job]:
    """Works through the queue; returns the jobs in flight if a process died."""
    context = multiprocessing.get_context(START_METHOD)
    lanes = context.Value("i", 0)
    with ProcessPoolExecutor(workers, mp_context=context, initializer=keep_to_one_core, initargs=(lanes,)) as pool:
        running: dict = {}
        while queue or running:
            while queue and len(running) < workers:
                job = queue.popleft()
                running[pool.submit(work, job)] = job
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                try:
                    result = future.result()
                except BrokenProcessPool:
                    return list(running.values())
                finished(running.pop(future), result)
    return []
