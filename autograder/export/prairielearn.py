"""A PrairieLearn externally graded question, its grader's entry point and the grader image's Dockerfile.

`export` writes, shaped like a course's root: `questions/<id>/` (info.json,
question.html, the release for students in clientFilesQuestion/, the hidden
material in tests/, which PrairieLearn gives the grader and never students),
`serverFilesCourse/atomgpt/run_grader` (the entry point) and
`graders/atomgpt/` (a Dockerfile and the kit's wheel). PrairieLearn copies the
student's files to /grade/student/, tests/ to /grade/tests/ and the named
serverFilesCourse folders to /grade/serverFilesCourse/, runs the entry
point and sends back /grade/results/results.json. `GRADE_ROOT` moves /grade,
for tests.
"""

from __future__ import annotations

import json
import math
import sys
import traceback
import uuid
from html import escape
from pathlib import Path

from ..cluster import lay_out
from ..course import Assignment
from ..grading import grade_program
from ..hidden_inputs import HiddenInputs
from ..submission import SubmissionError, read_submission
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

ROOT_VARIABLE = "GRADE_ROOT"
VENV = "/opt/atomgpt"
SERVER_FILES = "atomgpt"  # the folder of serverFilesCourse/ the question asks for
ENTRYPOINT = f"/grade/serverFilesCourse/{SERVER_FILES}/run_grader"
DEFAULT_IMAGE = "atomgpt-grader"
TOPIC = "From Atomic Ops to GPT"
GRADER_MARGIN = 60  # seconds beyond the student's budget: starting Python, reading the notebook, the trusted side
MAX_TIMEOUT = 600  # PrairieLearn's ceiling
QUESTION_NAMESPACE = uuid.UUID("6f1c2b8e-3d4a-4e5f-9a7b-1c2d3e4f5a6b")  # a question keeps its uuid when re-exported

DOCKERFILE = f"""# The grader image: a Python base image with the kit installed. Build and push it, e.g.
#   docker build -t YOUR_DOCKERHUB_NAME/atomgpt-grader graders/atomgpt
#   docker push YOUR_DOCKERHUB_NAME/atomgpt-grader
FROM python:3.12-slim
RUN apt-get update && apt-get install -y --no-install-recommends bubblewrap && rm -rf /var/lib/apt/lists/*
COPY *.whl /tmp/
RUN python -m venv {VENV} && {VENV}/bin/pip install --no-cache-dir /tmp/*.whl && rm /tmp/*.whl
"""

RUN_GRADER = f"""#!/usr/bin/env bash
# PrairieLearn's entry point: grades /grade/student/ and writes /grade/results/results.json.
exec "${{ATOMGPT_PYTHON:-{VENV}/bin/python}}" -m autograder.export prairielearn
"""


def export(assignment: Assignment, inputs: HiddenInputs, out: Path, wheel: Path, image: str | None = None) -> Path:
    """Writes the question, the entry point and the grader image's files under `out`; returns `out`."""
    files = [
        (f"questions/{assignment.id}/info.json", json.dumps(info(assignment, image), indent=2).encode() + b"\n"),
        (f"questions/{assignment.id}/question.html", question_html(assignment).encode()),
        *((f"questions/{assignment.id}/clientFilesQuestion/{path.name}", path.read_bytes())
          for path in (assignment.release, *assignment.data_files)),
        *((f"questions/{assignment.id}/tests/{name}", data) for name, data in hidden_material(assignment, inputs)),
        (f"serverFilesCourse/{SERVER_FILES}/run_grader", RUN_GRADER.encode()),
        ("graders/atomgpt/Dockerfile", DOCKERFILE.encode()),
        (f"graders/atomgpt/{wheel.name}", wheel.read_bytes()),
    ]
    lay_out(tuple(files), out)
    (out / "serverFilesCourse" / SERVER_FILES / "run_grader").chmod(0o755)
    return out


def timeout(assignment: Assignment) -> int:
    """The grading job's timeout: the student's budget plus the grader's own work, within PrairieLearn's ceiling."""
    return min(MAX_TIMEOUT, math.ceil(assignment.rubric.limits.budget) + GRADER_MARGIN)


def info(assignment: Assignment, image: str | None) -> dict:
    return {
        "uuid": str(uuid.uuid5(QUESTION_NAMESPACE, assignment.id)),
        "type": "v3",
        "title": assignment.rubric.title,
        "topic": TOPIC,
        "singleVariant": True,
        "gradingMethod": "External",
        "externalGradingOptions": {
            "enabled": True,
            "image": image or DEFAULT_IMAGE,
            "entrypoint": ENTRYPOINT,
            "serverFilesCourse": [f"{SERVER_FILES}/"],
            "timeout": timeout(assignment),
        },
    }


def handed_in_names(assignment: Assignment) -> list[str]:
    return [f"{assignment.id}.ipynb", *assignment.rubric.hand_in]


def question_html(assignment: Assignment) -> str:
    rubric = assignment.rubric
    downloads = "\n".join(f'    <li><a href="{{{{options.client_files_question_url}}}}/{escape(path.name)}" download>'
                          f"{escape(path.name)}</a></li>" for path in (assignment.release, *assignment.data_files))
    written = f", with {escape(', '.join(rubric.hand_in))}, which it writes" if rubric.hand_in else ""
    manual = ""
    if rubric.manual:
        points = sum(m.points for m in rubric.manual)
        manual = (f"\n  <p>{len(rubric.manual)} short answers in the notebook ({points:g} points) are graded by hand; "
                  "the grader scores the rest.</p>")
    return f"""<pl-question-panel>
  <p><strong>{escape(rubric.title)}</strong></p>
  <p>Download the notebook, fill it in and run it top to bottom, then upload it here for grading{written}.</p>
  <ul>
{downloads}
  </ul>{manual}
</pl-question-panel>

<pl-file-upload file-names="{escape(", ".join(handed_in_names(assignment)))}"></pl-file-upload>

<pl-submission-panel>
  <pl-external-grader-results></pl-external-grader-results>
  <pl-file-preview></pl-file-preview>
</pl-submission-panel>
"""


def results(assignment: Assignment, result: dict) -> dict:
    """PrairieLearn's results.json from an engine result: the score as a fraction, one test per checkpoint."""
    tests = [{"name": entry.title, "description": f"checkpoint {entry.id}", "points": entry.score,
              "max_points": entry.max_score, "message": entry.feedback.splitlines()[0], "output": entry.feedback}
             for entry in checkpoint_entries(result)]
    total = assignment.rubric.auto_points
    return {"gradable": True, "score": min(1.0, max(0.0, result["score"] / total)) if total else 0.0,
            "message": result["output"], "output": "", "tests": tests}


def not_gradable(reason: str) -> dict:
    """A submission that cannot be read: no attempt is used up, and the student reads why."""
    return {"gradable": False, "format_errors": [reason], "message": reason, "tests": []}


def grade(root: Path) -> tuple[dict, bool]:
    """Grades root/student/ with root/tests/kit/ and writes root/results/results.json; returns what it wrote and
    whether the grader did its job."""
    keep_from_student(root / "tests", root / "serverFilesCourse", root / "results")
    if (root / "data").is_dir():
        keep_from_student(root / "data")
    try:
        assignment, inputs = load_material(root / "tests" / KIT)
        try:
            program = read_submission(root / "student", assignment.id, assignment.release)
        except SubmissionError as error:
            graded = not_gradable(f"Your submission could not be read: {error}")
        else:
            graded = results(assignment, grade_program(assignment, program, name="student", inputs=inputs))
        ok = True
    except Exception:
        traceback.print_exc(file=sys.stdout)
        graded, ok = not_gradable(GRADER_FAILURE), False  # the student loses no attempt to the grader's failure
    write_results(root / "results" / "results.json", graded)
    return graded, ok


def main() -> int:
    graded, ok = grade(platform_root(ROOT_VARIABLE, "/grade"))
    print(f"graded: score {graded.get('score', 0):g}, gradable {graded['gradable']}")
    return 0 if ok else 1
