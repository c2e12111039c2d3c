"""A Gradescope autograder: `autograder.zip` (setup.sh, run_autograder, the kit's wheel, the hidden material).

Gradescope unzips it into /autograder/source/, runs setup.sh once as root
to build its image, then `run_autograder` as root for every submission
(handed in under /autograder/submission/); it uploads what
/autograder/results/results.json says. The harness keeps the hidden
material and the results folder to root, grades with the engine (the
student's code runs as nobody, see the sandbox's launcher) and writes
results.json last, whole. `AUTOGRADER_ROOT` moves /autograder, for tests.
"""

from __future__ import annotations

import re
import sys
import time
import traceback
import zipfile
from pathlib import Path

from ..course import Assignment
from ..grading import grade_submission
from ..hidden_inputs import HiddenInputs
from ..result import misconception_line
from ..rubric import Rubric
from .bundle import (
    GRADER_FAILURE,
    KIT,
    checkpoint_entries,
    hidden_material,
    keep_from_student,
    load_material,
    platform_root,
    write_results,
)

ROOT_VARIABLE = "AUTOGRADER_ROOT"
MARKDOWN = re.compile(r"([\\`*_\[\]<>#|])")  # characters markdown would read as markup
VENV = "/opt/atomgpt"  # where setup.sh installs the kit: outside /autograder, so a sandbox may show it

SETUP_SH = f"""#!/usr/bin/env bash
# Builds the grader's image on Gradescope (run once, as root, from /autograder/source).
set -euo pipefail
cd "$(dirname "$0")"
export DEBIAN_FRONTEND=noninteractive
apt-get update
# the strongest sandbox, where the container allows it; without it the grader uses the next that works
apt-get install -y bubblewrap || echo "bubblewrap could not be installed: the sandbox falls back"
python=""
for candidate in python3.13 python3.12 python3.11 python3; do
  if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    python="$candidate"; break
  fi
done
if [ -z "$python" ]; then  # an older image: Python 3.11 from the deadsnakes archive
  apt-get install -y software-properties-common
  add-apt-repository -y ppa:deadsnakes/ppa
  apt-get update
  apt-get install -y python3.11 python3.11-venv
  python=python3.11
fi
if ! "$python" -m venv {VENV}; then  # Ubuntu keeps venv in a package of its own
  apt-get install -y "$python-venv" || apt-get install -y python3-venv
  "$python" -m venv {VENV}
fi
{VENV}/bin/python -m pip install --upgrade pip
{VENV}/bin/python -m pip install ./*.whl
"""

RUN_AUTOGRADER = f"""#!/usr/bin/env bash
# Gradescope runs this as root for every submission; results.json is written by the grader alone.
exec "${{ATOMGPT_PYTHON:-{VENV}/bin/python}}" -m autograder.export gradescope
"""


def export(assignment: Assignment, inputs: HiddenInputs, out: Path, wheel: Path) -> Path:
    """Writes the autograder zip: the scripts and the wheel at its root, the hidden material under kit/."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        add(archive, "setup.sh", SETUP_SH.encode(), executable=True)
        add(archive, "run_autograder", RUN_AUTOGRADER.encode(), executable=True)
        add(archive, wheel.name, wheel.read_bytes())
        for name, data in hidden_material(assignment, inputs):
            add(archive, name, data)
    return out


def add(archive: zipfile.ZipFile, name: str, data: bytes, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
    info.external_attr = (0o100755 if executable else 0o100644) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def results(rubric: Rubric, result: dict) -> dict:
    """Gradescope's results.json from an engine result: one test per auto-graded checkpoint, tagged with its id.

    Hand-graded short answers are left out of `tests` (Gradescope grades them
    in the assignment's own outline); the summary says how many points they hold.
    """
    entries = checkpoint_entries(result)
    shown = {entry.id for entry in entries if entry.visibility == "visible"}
    titles = {entry.id: entry.title for entry in entries}
    unshown = {misconception_line(titles[found["checkpoint"]], found["message"])  # its test says nothing yet
               for found in result["extra_data"]["misconceptions"] if found["checkpoint"] not in shown}
    summary = [plain(line) for line in result["output"].splitlines() if line not in unshown]  # a paragraph each
    tests = [{"name": entry.title, "score": entry.score, "max_score": entry.max_score,
              "status": "passed" if entry.passed else "failed", "output": entry.feedback,
              "output_format": "text", "visibility": entry.visibility, "tags": [entry.id]}
             for entry in entries]
    graded = {"score": result["score"], "execution_time": result["execution_time"], "output": "\n\n".join(summary),
              "output_format": "md", "stdout_visibility": "hidden", "tests": tests}
    columns = leaderboard(rubric, result)
    if columns:
        graded["leaderboard"] = columns
    return graded


def leaderboard(rubric: Rubric, result: dict) -> list[dict]:
    """The rubric's leaderboard columns this submission has a value for (no checkpoint handed in: none)."""
    measured = result["extra_data"].get("measures", {})
    return [{"name": column.name, "value": measured[column.measure], "order": column.order}
            for column in rubric.leaderboard if column.measure in measured]


def plain(text: str) -> str:
    """Text shown as written in markdown: `_op` or `'*'` in a message must not start emphasis."""
    return MARKDOWN.sub(r"\\\1", text)


def failure(seconds: float) -> dict:
    """What the student sees when the grader itself failed (the traceback goes to the hidden stdout)."""
    return {"score": 0.0, "execution_time": round(seconds, 3), "output": GRADER_FAILURE, "output_format": "md",
            "stdout_visibility": "hidden", "tests": []}


def grade(root: Path) -> tuple[dict, bool]:
    """Grades root/submission/ with root/source/kit/ and writes root/results/results.json; returns what it wrote
    and whether the grader did its job."""
    started = time.monotonic()
    keep_from_student(root / "source", root / "results")
    try:
        assignment, inputs = load_material(root / "source" / KIT)
        result = grade_submission(assignment, root / "submission", name="submission", inputs=inputs)
        graded, ok = results(assignment.rubric, result), True
    except Exception:
        traceback.print_exc(file=sys.stdout)
        graded, ok = failure(time.monotonic() - started), False
    write_results(root / "results" / "results.json", graded)
    return graded, ok


def main() -> int:
    graded, ok = grade(platform_root(ROOT_VARIABLE, "/autograder"))
    print(f"graded: {graded['score']:g} points")
    return 0 if ok else 1
