"""The PrairieLearn export: the question and grader files, and the entry point run as PrairieLearn runs it.

For each submission of `exports.subjects` a temporary /grade is laid out as
PrairieLearn lays it out (the handed-in files in student/, the question's
tests/ in tests/, the named serverFilesCourse folders in serverFilesCourse/,
data/data.json) and the exported entry point run with GRADE_ROOT pointing
there; the results file must follow PrairieLearn's published format and give
what `atomgpt grade` gives the same notebook with the same seed.
"""

from __future__ import annotations

import functools
import json
import math
import os
import shutil
import stat
import subprocess
import sys
import uuid
from pathlib import Path

import jsonschema
import pytest

from autograder.cli import main as atomgpt
from autograder.course import PACKAGE_ROOT
from autograder.export import prairielearn
from autograder.hidden_inputs import SECRET_FILE, hidden_inputs

from .exports import FAKE, Subjects, hand_in, misconception_message, subjects, the_cheat_ran

# PrairieLearn's results.json, as its external grading documentation describes it (docs/externalGrading.md,
# "Grading results"): `score` from 0 to 1 when gradable; `gradable: false` with `format_errors` (a string or a
# list of strings) when the submission cannot be graded; tests rendered by <pl-external-grader-results> with
# name, description, points, max_points, message, output (and images); the whole file under 1 MB.
TEXT = {"type": "string"}
POINTS = {"type": "number", "minimum": 0}
TEST_SCHEMA = {
    "type": "object",
    "required": ["name", "points", "max_points"],
    "additionalProperties": False,
    "properties": {"name": TEXT, "description": TEXT, "points": POINTS, "max_points": POINTS, "message": TEXT,
                   "output": TEXT, "images": {"type": "array"}},
}
RESULTS_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "gradable": {"type": "boolean"},
        "score": {"type": "number", "minimum": 0, "maximum": 1},
        "message": TEXT,
        "output": TEXT,
        "format_errors": {"anyOf": [TEXT, {"type": "array", "items": TEXT}]},
        "images": {"type": "array"},
        "tests": {"type": "array", "items": TEST_SCHEMA},
    },
    "if": {"properties": {"gradable": {"const": False}}, "required": ["gradable"]},
    "then": {"required": ["format_errors"]},
    "else": {"required": ["score"]},
}
# info.json's external grading options, as the same page lists them (timeout: at most 600 seconds)
INFO_SCHEMA = {
    "type": "object",
    "required": ["uuid", "type", "title", "topic", "gradingMethod", "externalGradingOptions"],
    "properties": {
        "uuid": TEXT, "type": {"const": "v3"}, "title": TEXT, "topic": TEXT, "singleVariant": {"type": "boolean"},
        "tags": {"type": "array", "items": TEXT}, "gradingMethod": {"const": "External"},
        "externalGradingOptions": {
            "type": "object",
            "required": ["image"],
            "additionalProperties": False,
            "properties": {
                "enabled": {"type": "boolean"}, "image": TEXT, "entrypoint": TEXT,
                "serverFilesCourse": {"type": "array", "items": TEXT},
                "timeout": {"type": "integer", "minimum": 1, "maximum": 600},
                "enableNetworking": {"type": "boolean"}, "environment": {"type": "object"},
            },
        },
    },
}
MAX_BYTES = 1024 * 1024


@pytest.fixture(scope="module", params=["a1_values", "a7_gpt"])
def exported(request, tmp_path_factory) -> tuple[Subjects, Path]:
    made = subjects(request.param)
    inputs = hidden_inputs(made.assignment.id, kit=PACKAGE_ROOT)  # the kit's, as `atomgpt grade` used
    return made, prairielearn.export(made.assignment, inputs, tmp_path_factory.mktemp("course"), made.wheel)


@functools.cache
def run_as_prairielearn(made: Subjects, course: Path, subject: str) -> tuple[dict, Path]:
    """Lays out /grade for one submission, runs the question's entry point there; results.json and the root.

    Each submission runs once per export; the tests judge that one run from several sides.
    """
    root = made.root("prairielearn", subject)
    shutil.rmtree(root, ignore_errors=True)
    question = course / "questions" / made.assignment.id
    options = json.loads((question / "info.json").read_text())["externalGradingOptions"]
    shutil.copytree(question / "tests", root / "tests")
    for folder in options["serverFilesCourse"]:
        shutil.copytree(course / "serverFilesCourse" / folder, root / "serverFilesCourse" / folder)
    hand_in(made.folders[subject], root / "student")
    (root / "data").mkdir()
    (root / "data" / "data.json").write_text(json.dumps({"params": {}, "submitted_answers": {}}))
    entrypoint = root / Path(options["entrypoint"]).relative_to("/grade")
    entrypoint.chmod(0o755)  # PrairieLearn makes a mounted entry point executable before running it
    sandbox = {"ATOMGPT_SANDBOX": "process"} if subject == "cheat" else {}  # where the cheat can do most
    env = {**os.environ, **sandbox, prairielearn.ROOT_VARIABLE: str(root), "ATOMGPT_PYTHON": sys.executable}
    done = subprocess.run([str(entrypoint)], cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    raw = (root / "results" / "results.json").read_bytes()
    assert len(raw) < MAX_BYTES
    results = json.loads(raw)
    jsonschema.validate(results, RESULTS_SCHEMA)
    return results, root


def assert_same_scores(results: dict, graded: dict, total: float) -> None:
    """The entry point's points are `atomgpt grade`'s, checkpoint by checkpoint; its score their fraction."""
    assert results["gradable"] is True
    assert results["score"] == pytest.approx(graded["score"] / total)
    assert [(t["description"], t["points"], t["max_points"]) for t in results["tests"]] == \
        [(f"checkpoint {c['id']}", c["score"], c["max_score"]) for c in graded["extra_data"]["checkpoints"]]
    assert all({"name", "description", "points", "max_points", "message", "output"} <= set(t)
               for t in results["tests"])


def test_the_solution_earns_full_marks(exported):
    made, course = exported
    results, root = run_as_prairielearn(made, course, "solution")
    assert results["score"] == 1.0
    assert_same_scores(results, made.graded["solution"], made.assignment.rubric.auto_points)
    for folder in ("tests", "serverFilesCourse", "results", "data"):
        assert stat.S_IMODE((root / folder).stat().st_mode) == 0o700


def test_the_untouched_release_scores_zero(exported):
    made, course = exported
    results, _ = run_as_prairielearn(made, course, "release")
    assert results["score"] == 0
    assert_same_scores(results, made.graded["release"], made.assignment.rubric.auto_points)


def test_a_known_bug_loses_its_checkpoints_points_and_names_its_misconception(exported):
    made, course = exported
    results, _ = run_as_prairielearn(made, course, "bug")
    assert_same_scores(results, made.graded["bug"], made.assignment.rubric.auto_points)
    lost = [t for t in results["tests"] if t["points"] < t["max_points"]]
    assert [t["description"] for t in lost] == [f"checkpoint {made.bug.checkpoint}"]
    message = misconception_message(made.assignment, made.bug.misconception)
    assert message in lost[0]["output"] and message in results["message"]


def test_a_notebook_that_cannot_be_read_is_not_gradable_and_says_why(exported):
    made, course = exported
    results, _ = run_as_prairielearn(made, course, "broken")
    assert results["gradable"] is False and "score" not in results
    assert f"{made.assignment.id}.ipynb is not a valid notebook" in results["format_errors"][0]


def test_a_cheat_gains_nothing_and_the_results_file_is_the_graders(exported):
    made, course = exported
    results, root = run_as_prairielearn(made, course, "cheat")
    assert_same_scores(results, made.graded["cheat"], made.assignment.rubric.auto_points)
    assert results["score"] * made.assignment.rubric.auto_points <= made.graded["bug"]["score"]
    text = (root / "results" / "results.json").read_text()
    the_cheat_ran(root)
    assert FAKE["output"] not in text and "def test_" not in text  # the grader wrote last; no hidden test


def test_info_json_asks_for_external_grading_by_the_exported_entry_point(exported):
    made, course = exported
    info = json.loads((course / "questions" / made.assignment.id / "info.json").read_text())
    jsonschema.validate(info, INFO_SCHEMA)
    options = info["externalGradingOptions"]
    assert info["singleVariant"] is True and uuid.UUID(info["uuid"])
    assert options["entrypoint"] == f"/grade/serverFilesCourse/{options['serverFilesCourse'][0]}run_grader"
    budget = made.assignment.rubric.limits.budget
    assert options["timeout"] == min(prairielearn.MAX_TIMEOUT, math.ceil(budget) + prairielearn.GRADER_MARGIN)
    assert budget < options["timeout"] <= prairielearn.MAX_TIMEOUT


def test_question_html_takes_the_notebook_and_every_handed_in_file(exported):
    made, course = exported
    html = (course / "questions" / made.assignment.id / "question.html").read_text()
    names = [f"{made.assignment.id}.ipynb", *made.assignment.rubric.hand_in]
    assert f'<pl-file-upload file-names="{", ".join(names)}">' in html
    assert "<pl-external-grader-results>" in html


def test_students_get_the_release_and_the_grader_the_hidden_material_of_this_assignment_only(exported):
    made, course = exported
    assignment = made.assignment
    files = sorted(str(p.relative_to(course)) for p in course.rglob("*") if p.is_file())
    question, kit = f"questions/{assignment.id}", f"questions/{assignment.id}/tests/kit"
    shipped = sorted(p.name for p in (PACKAGE_ROOT / "assignments" / assignment.id).iterdir())
    assert files == sorted([
        f"{question}/info.json", f"{question}/question.html",
        *(f"{question}/clientFilesQuestion/{name}" for name in shipped),  # exactly what the release ships
        f"{kit}/hidden_inputs.json", f"{kit}/source_lib/{assignment.id}/rubric.toml",
        f"{kit}/source_lib/{assignment.id}/{assignment.suite.name}",
        f"{kit}/assignments/{assignment.id}/{assignment.id}.ipynb",
        *(f"{kit}/source_lib/data/{name}" for name in (*assignment.rubric.data, *assignment.rubric.grader_data)),
        "serverFilesCourse/atomgpt/run_grader", "graders/atomgpt/Dockerfile", f"graders/atomgpt/{made.wheel.name}",
    ])
    secret = (PACKAGE_ROOT / SECRET_FILE).read_bytes().strip()
    assert not any(secret in (course / name).read_bytes() for name in files)


def test_the_dockerfile_installs_the_wheel_beside_it_and_the_entry_point_is_valid_bash(exported):
    _, course = exported
    dockerfile = (course / "graders" / "atomgpt" / "Dockerfile").read_text()
    assert dockerfile.count("FROM python:3.") == 1 and "COPY *.whl" in dockerfile and "bubblewrap" in dockerfile
    entry = (course / "serverFilesCourse" / "atomgpt" / "run_grader").read_text()
    assert subprocess.run(["bash", "-n"], input=entry, text=True).returncode == 0


def test_atomgpt_export_names_the_grader_image_it_is_given(tmp_path):
    out = tmp_path / "course"
    assert atomgpt(["export", "prairielearn", "a1_values", "--out", str(out), "--image", "someone/atomgpt-grader"]) == 0
    info = json.loads((out / "questions" / "a1_values" / "info.json").read_text())
    assert info["externalGradingOptions"]["image"] == "someone/atomgpt-grader"


def test_a_grader_failure_costs_the_student_no_attempt(tmp_path, monkeypatch, capsys):
    (tmp_path / "tests" / "kit").mkdir(parents=True)  # no hidden material: the grader cannot grade
    (tmp_path / "student").mkdir()
    monkeypatch.setenv(prairielearn.ROOT_VARIABLE, str(tmp_path))
    assert prairielearn.main() == 1
    results = json.loads((tmp_path / "results" / "results.json").read_text())
    jsonschema.validate(results, RESULTS_SCHEMA)
    assert results["gradable"] is False and "could not finish" in results["message"]
    assert "Traceback" in capsys.readouterr().out
