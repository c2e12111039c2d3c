"""nbgrader's own command line, run from the kit: the build and the classroom steps both call it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


class ToolError(Exception):
    """An nbgrader command failed; the message ends with what it printed."""


def tool_env() -> dict:
    """nbgrader calls helper programs (alembic) by name: put ours first on PATH."""
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return {**os.environ, "PATH": path}


def run_nbgrader(args: list[str], course: Path) -> None:
    """`nbgrader ARGS` in the course folder, with this kit's interpreter; ToolError if it fails."""
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args, "--log-level=WARN"], cwd=course,
                          capture_output=True, text=True, env=tool_env())
    if done.returncode != 0:
        raise ToolError(f"nbgrader {' '.join(args)} failed in {course}:\n{done.stderr[-3000:]}")
