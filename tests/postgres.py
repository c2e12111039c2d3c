"""A throwaway PostgreSQL server for the tests: Debian's postgresql, a temporary data folder, loopback only.

PostgreSQL refuses to run as root, so as root the server runs as the
`postgres` user that Debian's package creates. Without PostgreSQL the
tests that need it are skipped (`.ci/run` installs it).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

USER = "atomgpt"


def server_programs() -> Path | None:
    """The folder holding initdb and pg_ctl, newest version first."""
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[4]))
    return Path(versions[-1]).parent if versions else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@contextmanager
def postgres_server() -> Iterator[str]:
    """A running server; yields the SQLAlchemy URL of its maintenance database (user `atomgpt`, no password)."""
    programs = server_programs()
    if programs is None:
        raise FileNotFoundError("PostgreSQL is not installed (Debian's postgresql package)")
    folder = Path(tempfile.mkdtemp(prefix="atomgpt-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    data, port = folder / "data", free_port()
    subprocess.run(as_server_user([str(programs / "initdb"), "-D", str(data), "-U", USER, "--auth=trust",
                                   "--no-sync"]), check=True, capture_output=True)
    options = f"-h 127.0.0.1 -p {port} -k {folder} -c fsync=off"
    subprocess.run(as_server_user([str(programs / "pg_ctl"), "-D", str(data), "-o", options, "-l",
                                   str(folder / "log"), "-w", "start"]), check=True, capture_output=True)
    try:
        yield f"postgresql+psycopg://{USER}@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(as_server_user([str(programs / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                       capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def new_database(server_url: str, name: str) -> str:
    """An empty database on the server; its SQLAlchemy URL."""
    import psycopg

    with psycopg.connect(server_url.replace("+psycopg", ""), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return server_url.rsplit("/", 1)[0] + f"/{name}"
