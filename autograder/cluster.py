"""Grading on a Dask cluster: the same engine on other machines, with the course folder staying here.

Workers need only the kit installed. What a grade depends on travels with
the run: the assignment's part of the kit (rubric, hidden suite, course
data, release notebook) goes once to each worker that needs it, each
submission's files go with its own task, and the result comes back as data.
This process alone writes results, autograded folders and the gradebook.
Each submission is a task with its own key; Dask runs a task again when its
worker dies, and one that keeps killing workers is tried again alone, then
ends as a grader failure for that submission alone, as on local cores. A
worker whose kit differs from this one refuses to grade, so a grade never
depends on which machine made it.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .course import Assignment, load_assignment

ENGINE = Path(__file__).resolve().parent
IN_FLIGHT_PER_THREAD = 4  # tasks handed to the scheduler ahead of the workers, per worker thread
# pytest keeps global state: a worker started with several threads still grades one submission at a time
ONE_AT_A_TIME = threading.Lock()


@functools.cache
def engine_digest() -> str:
    """The kit's own code, as a digest: workers must grade with the same engine as this process."""
    digest = hashlib.sha256()
    for path in sorted(ENGINE.rglob("*.py")):
        digest.update(str(path.relative_to(ENGINE)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


class ClusterError(Exception):
    """The cluster cannot be reached or cannot grade with this kit."""


@dataclass(frozen=True)
class KitSlice:
    """The part of the kit one assignment is graded with, as relative path -> bytes."""

    assignment_id: str
    files: tuple[tuple[str, bytes], ...]
    engine: str

    @classmethod
    def of(cls, assignment: Assignment, release: Path | None) -> KitSlice:
        """What grading reads from the kit, and the release submissions are graded against, if any."""
        root = assignment.kit_root
        files = [(str(p.relative_to(root)), p.read_bytes()) for p in assignment.grading_files()]
        if release is not None and release.is_file():
            files.append((f"assignments/{assignment.id}/{assignment.id}.ipynb", release.read_bytes()))
        return cls(assignment.id, tuple(files), engine_digest())

    @property
    def digest(self) -> str:
        digest = hashlib.sha256(self.engine.encode())
        for name, data in self.files:
            digest.update(name.encode() + b"\0" + data + b"\0")
        return digest.hexdigest()[:20]

    def unpack(self) -> Assignment:
        """On a worker: the slice laid out like a kit, once per worker process; the assignment loaded from it."""
        if self.engine != engine_digest():
            raise ClusterError("this worker's kit differs from the one that started the run: "
                               "install the same version of the kit on every worker")
        return unpacked(self)


def lay_out(files: tuple[tuple[str, bytes], ...], folder: Path) -> None:
    """Files that travelled as (relative path, bytes), written under folder."""
    for name, data in files:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)


@functools.cache
def unpacked(kit: KitSlice) -> Assignment:
    root = Path(tempfile.gettempdir()) / f"atomgpt-kit-{kit.digest}"
    if not root.is_dir():
        staged = Path(tempfile.mkdtemp(prefix=f".{root.name}-"))
        lay_out(kit.files, staged)
        try:
            os.rename(staged, root)  # another worker process may have made it meanwhile: theirs is the same
        except OSError:
            shutil.rmtree(staged, ignore_errors=True)
    return load_assignment(kit.assignment_id, root)


@dataclass(frozen=True)
class HandedIn:
    """One submission's files, read here and sent with its task: a notebook, or a folder holding one."""

    name: str
    files: tuple[tuple[str, bytes], ...]
    folder: bool

    @classmethod
    def read(cls, name: str, path: Path) -> HandedIn:
        if path.is_dir():
            files = [(str(p.relative_to(path)), p.read_bytes()) for p in sorted(path.rglob("*"))
                     if p.is_file() and not p.is_symlink()]
            return cls(name, tuple(files), True)
        return cls(name, ((path.name, path.read_bytes()),), False)

    def write(self, into: Path) -> Path:
        """The submission laid out again under `into`; the path to grade."""
        top = into / self.name if self.folder else into
        lay_out(self.files, top)
        return top if self.folder else top / self.files[0][0]


def the_kit(kit: KitSlice) -> KitSlice:
    """A task holding the kit slice, so a worker that loses it gets it back (scattered data is not recomputed)."""
    return kit


def run_on_cluster(scheduler: str, kit: KitSlice, jobs: list, read: Callable[[object], HandedIn],
                   task: Callable, *, run: str, finished: Callable[[object, object], None],
                   failed: Callable[[object], None]) -> None:
    """Runs `task(kit, handed_in)` for every job on the cluster; `finished` and `failed` run here.

    Submissions are read and sent a few at a time ahead of the workers, so a
    class of any size costs this process little memory. Dask blames every
    task that was on a worker when it died; each blamed submission is tried
    again alone on the cluster, and only one that kills its worker then too
    is a grader failure.
    """
    from distributed import Client

    try:
        client = Client(scheduler, timeout="10s")
    except OSError as error:
        raise ClusterError(f"no Dask scheduler answers at {scheduler}: {error}") from None
    with client:
        shared = client.submit(the_kit, kit, key=f"atomgpt-{run}-kit", pure=False)  # recomputed if its workers die
        ahead = (sum(client.nthreads().values()) or 1) * IN_FLIGHT_PER_THREAD
        suspects = run_tasks(client, shared, iter(jobs), ahead, read, task, f"atomgpt-{run}", finished)
        for job in suspects:
            if run_tasks(client, shared, iter([job]), 1, read, task, f"atomgpt-{run}-alone", finished):
                failed(job)


def run_tasks(client, shared, jobs: Iterator, ahead: int, read: Callable[[object], HandedIn], task: Callable,
              prefix: str, finished: Callable[[object, object], None]) -> list:
    """Runs the jobs with at most `ahead` in flight; returns those whose worker died under them."""
    from distributed import KilledWorker, as_completed

    running, suspects, pending = {}, [], as_completed()

    def submit_next() -> None:
        job = next(jobs, None)
        if job is not None:
            handed_in = read(job)
            future = client.submit(task, shared, handed_in, key=f"{prefix}-{handed_in.name}", pure=False)
            running[future] = job
            pending.add(future)

    for _ in range(ahead):
        submit_next()
    for future in pending:
        job = running.pop(future)
        try:
            outcome = future.result()
        except KilledWorker:
            suspects.append(job)
        else:
            finished(job, outcome)
        future.release()
        submit_next()
    return suspects
