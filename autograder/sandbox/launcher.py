"""Starts the student's process behind the strongest boundary this OS offers.

Three ways, tried in order:
- bubblewrap: a private read-only view of the system holding only the
  Python interpreter and the worker script (no course files, no other
  submissions), no network, own process tree, an unprivileged user id;
- namespaces (`unshare`): no network and an own process tree;
- process: a separate process with resource limits only.
Every way adds rlimits (memory, CPU, file size) and a new session, and a
result records which protections were active. A grader started as root
(Gradescope's and PrairieLearn's containers) starts every way as nobody
when nobody can run it, so the student's code never runs as root.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

from .limits import Limits

WORKER = Path(__file__).with_name("worker.py")
SANDBOX_WORKER = "/opt/atomgpt/worker.py"
SANDBOX_WORKDIR = "/opt/atomgpt/work"
NOBODY = 65534
CLEAN_ENV = {
    "PATH": "/usr/bin:/bin",
    "HOME": "/tmp",
    "LANG": "C.UTF-8",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "PYTHONDONTWRITEBYTECODE": "1",
}
# The worker starts without `site` (-S), which would scan the environment's .pth files on every start
# (about 15 ms of CPU, more than a1's cells take to run); the installed libraries stay importable.
LIBRARIES = tuple(f"--library={path}" for path in sorted({sysconfig.get_path(kind) for kind in ("purelib", "platlib")}))

ALL_PROTECTIONS = {
    "separate-process": "student code runs in its own process, never in the grader's",
    "resource-limits": "memory, CPU time and file size are capped",
    "private-filesystem": "course files, solutions and other submissions are not visible",
    "no-network": "no network access",
    "process-isolation": "cannot see or signal the grader's processes",
    "unprivileged-user": "runs as an unprivileged user",
}


@dataclass(frozen=True)
class Boundary:
    """One way of starting the worker and what it protects against."""

    name: str
    active: tuple[str, ...]
    prefix: tuple[str, ...] = ()
    worker: str = str(WORKER)
    worker_args: tuple[str, ...] = ()
    env: dict = field(default_factory=lambda: dict(CLEAN_ENV))
    run_as: int | None = None  # drop to this uid/gid before exec (when started as root)
    workdir_mount: str | None = None  # where a private filesystem shows the working folder

    def describe(self) -> dict:
        return {
            "backend": self.name,
            "active": list(self.active),
            "inactive": [p for p in ALL_PROTECTIONS if p not in self.active],
        }

    def command(self, workdir: Path, limits: Limits) -> list[str]:
        mount = []
        if self.workdir_mount:
            mount = ["--bind", str(workdir), self.workdir_mount, "--chdir", self.workdir_mount]
        return [*self.prefix, *mount, python(), "-I", "-S", self.worker, *self.worker_args, *rlimit_args(limits),
                *LIBRARIES]

    def start(self, limits: Limits, workdir: Path) -> subprocess.Popen:
        """The worker, in its private working folder (with the course data files).

        The worker sets its own caps before it reads a request, and the user
        is changed by Popen itself: with no Python to run between fork and
        exec, the grader starts it without copying its own memory (vfork).
        """
        return subprocess.Popen(
            self.command(workdir, limits),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=workdir,
            env=self.env,
            start_new_session=True,
            **as_user(self.run_as),
        )


def python() -> str:
    """This Python, its path without `..`: inside bubblewrap only the mounted folders exist, so a path that
    passes through another one (a command started as `../.venv/bin/python`) could not be run there."""
    return os.path.abspath(sys.executable)


def rlimit_args(limits: Limits) -> list[str]:
    """The worker's caps, as `--rlimit=NAME:SOFT:HARD` (`worker.apply_rlimits` sets them)."""
    mb = 1024 * 1024
    cpu = int(limits.budget) + 5
    caps = [  # past the CPU soft limit the kernel sends SIGXCPU, so the student is told why
        ("AS", limits.memory_mb * mb, limits.memory_mb * mb),
        ("CPU", cpu, cpu + 1),
        ("FSIZE", limits.file_mb * mb, limits.file_mb * mb),
        ("CORE", 0, 0),
    ]
    return [f"--rlimit={name}:{soft}:{hard}" for name, soft, hard in caps]


def as_user(run_as: int | None) -> dict:
    """Popen's arguments that start the process as run_as, with no other groups."""
    return {} if run_as is None else {"user": run_as, "group": run_as, "extra_groups": []}


def readonly_binds(paths) -> list[str]:
    """bwrap arguments mounting each path read-only, symlinks kept as links."""
    args, seen = [], set()
    for raw in paths:
        path = Path(raw)
        if not path.exists() or str(path) in seen:
            continue
        seen.add(str(path))
        if path.is_symlink() and path.parent == Path("/"):
            args += ["--symlink", os.readlink(path), str(path)]
        else:
            args += ["--ro-bind", str(path), str(path)]
    return args


def bubblewrap() -> Boundary:
    system = ["/usr", "/bin", "/lib", "/lib64", "/lib32", "/sbin", "/etc/alternatives",
              "/etc/ld.so.cache", "/etc/localtime"]
    pythons = sorted({sys.base_prefix, sys.prefix, str(Path(sys.executable).resolve().parent.parent)})
    prefix = [
        shutil.which("bwrap"), "--die-with-parent", "--new-session",
        "--unshare-all", "--uid", str(NOBODY), "--gid", str(NOBODY),
        "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
        *readonly_binds(system + pythons),
        "--ro-bind", str(WORKER), SANDBOX_WORKER, "--chdir", "/tmp",
    ]
    active = ("separate-process", "resource-limits", "private-filesystem", "no-network", "process-isolation")
    # the working folder gets its own mount point: Python itself may live under /tmp; its user 65534 maps to
    # the caller's, so started by root it is root outside unless bubblewrap itself is started as nobody
    return unprivileged(Boundary("bubblewrap", active, tuple(prefix), worker=SANDBOX_WORKER,
                                 workdir_mount=SANDBOX_WORKDIR))


def namespaces() -> Boundary:
    prefix = [shutil.which("unshare"), "--user", "--map-root-user", "--net", "--ipc",
              "--pid", "--fork", "--kill-child"]
    active = ("separate-process", "resource-limits", "no-network", "process-isolation")
    return unprivileged(Boundary("namespaces", active, tuple(prefix)))


def plain_process() -> Boundary:
    return unprivileged(Boundary("process", ("separate-process", "resource-limits"), worker_args=("--shield",)))


def unprivileged(boundary: Boundary) -> Boundary:
    """As root, run the worker (or what starts it) as nobody when nobody can start this Python at all."""
    if os.geteuid() != 0:
        return replace(boundary, active=(*boundary.active, "unprivileged-user"))
    as_nobody = replace(boundary, run_as=NOBODY, active=(*boundary.active, "unprivileged-user"))
    return as_nobody if works(as_nobody) else boundary


def works(boundary: Boundary) -> bool:
    """Starts the boundary once with a trivial program to see that it holds."""
    command = [*boundary.prefix, python(), "-I", "-c", "print('ok')"]
    try:
        done = subprocess.run(command, capture_output=True, timeout=20, env=boundary.env,
                              cwd=tempfile.gettempdir(), **as_user(boundary.run_as))
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0 and done.stdout.strip() == b"ok"


class SandboxError(Exception):
    """The sandbox asked for is not available or does not work here."""


@functools.cache
def strongest_boundary(preferred: str | None = None) -> Boundary:
    """The best boundary that works here; ATOMGPT_SANDBOX names one outright."""
    wanted = preferred or os.environ.get("ATOMGPT_SANDBOX")
    candidates = {}
    if sys.platform.startswith("linux"):
        if shutil.which("bwrap"):
            candidates["bubblewrap"] = bubblewrap
        if shutil.which("unshare"):
            candidates["namespaces"] = namespaces
    candidates["process"] = plain_process
    if wanted:
        if wanted not in candidates:
            raise SandboxError(f"sandbox {wanted!r} is not available here (available: {', '.join(candidates)})")
        candidates = {wanted: candidates[wanted]}
    for name, make in candidates.items():
        boundary = make()
        if name == "process" or works(boundary):
            return boundary
    raise SandboxError(f"sandbox {wanted!r} does not work on this machine")
