"""The Gradescope export: its zip, and its harness run as Gradescope runs it, in a temporary /autograder.

Each submission of `exports.subjects` is handed in under AUTOGRADER_ROOT/submission/,
the zip unzipped into AUTOGRADER_ROOT/source/ and `run_autograder` run from
AUTOGRADER_ROOT; the results file must follow Gradescope's published format and
give what `atomgpt grade` gives the same notebook with the same seed.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest

from autograder.cli import main as atomgpt
from autograder.course import PACKAGE_ROOT
from autograder.export import gradescope
from autograder.hidden_inputs import SECRET_FILE, hidden_inputs

from .exports import FAKE, Subjects, hand_in, misconception_message, subjects, the_cheat_ran

# Gradescope's results.json, as its autograder specification and leaderboard page describe it
# (gradescope-autograders.readthedocs.io: /specs/ and /leaderboards/): every field optional but
# `score` (or a score on every test); visibility one of four values; output formats text, html,
# simple_format, md or ansi; a leaderboard entry a name, a value and an optional order.
VISIBILITY = {"enum": ["hidden", "after_due_date", "after_published", "visible"]}
FORMAT = {"enum": ["text", "html", "simple_format", "md", "ansi"]}
NUMBER = {"type": "number", "minimum": 0}
RESULTS_SCHEMA = {
    "type": "object",
    "required": ["score"],
    "additionalProperties": False,
    "properties": {
        "score": NUMBER,
        "execution_time": NUMBER,
        "output": {"type": "string"},
        "output_format": FORMAT,
        "test_output_format": FORMAT,
        "test_name_format": FORMAT,
        "visibility": VISIBILITY,
        "stdout_visibility": VISIBILITY,
        "extra_data": {"type": "object"},
        "tests": {"type": "array", "items": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "score": NUMBER, "max_score": NUMBER, "status": {"enum": ["passed", "failed"]},
                "name": {"type": "string"}, "name_format": FORMAT, "number": {"type": "string"},
                "output": {"type": "string"}, "output_format": FORMAT,
                "tags": {"type": "array", "items": {"type": "string"}},
                "visibility": VISIBILITY, "extra_data": {"type": "object"},
            },
        }},
        "leaderboard": {"type": "array", "items": {
            "type": "object",
            "required": ["name", "value"],
            "additionalProperties": False,
            "properties": {"name": {"type": "string"}, "value": {"type": ["number", "string"]},
                           "order": {"enum": ["asc", "desc"]}},
        }},
    },
}
# what this export promises on top of the format: the fields the issue asks for, on every entry
PROMISED = {"score", "execution_time", "output", "output_format", "stdout_visibility", "tests"}
PROMISED_TEST = {"name", "score", "max_score", "status", "output", "output_format", "visibility", "tags"}


@pytest.fixture(scope="module", params=["a1_values", "a7_gpt"])
def exported(request, tmp_path_factory) -> tuple[Subjects, Path]:
    made = subjects(request.param)
    zipped = tmp_path_factory.mktemp("zip") / "autograder.zip"
    inputs = hidden_inputs(made.assignment.id, kit=PACKAGE_ROOT)  # the kit's, as `atomgpt grade` used
    return made, gradescope.export(made.assignment, inputs, zipped, made.wheel)


@functools.cache
def run_as_gradescope(made: Subjects, zipped: Path, subject: str) -> tuple[dict, Path]:
    """Lays out /autograder for one submission, runs run_autograder there, returns results.json and the root.

    Each submission runs once per export; the tests judge that one run from several sides.
    """
    root = made.root("gradescope", subject)
    shutil.rmtree(root, ignore_errors=True)
    with zipfile.ZipFile(zipped) as archive:
        archive.extractall(root / "source")
    shutil.copyfile(root / "source" / "run_autograder", root / "run_autograder")
    (root / "run_autograder").chmod(0o755)
    (root / "results").mkdir()
    hand_in(made.folders[subject], root / "submission")
    sandbox = {"ATOMGPT_SANDBOX": "process"} if subject == "cheat" else {}  # where the cheat can do most
    env = {**os.environ, **sandbox, gradescope.ROOT_VARIABLE: str(root), "ATOMGPT_PYTHON": sys.executable}
    done = subprocess.run([str(root / "run_autograder")], cwd=root, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(results, RESULTS_SCHEMA)
    assert PROMISED <= set(results) and all(PROMISED_TEST <= set(test) for test in results["tests"])
    return results, root


def assert_same_scores(results: dict, graded: dict) -> None:
    """The harness's scores are `atomgpt grade`'s, checkpoint by checkpoint, under the checkpoint's id."""
    assert results["score"] == graded["score"]
    assert [(t["tags"], t["score"], t["max_score"], t["status"]) for t in results["tests"]] == \
        [([c["id"]], c["score"], c["max_score"], t["status"])
         for c, t in zip(graded["extra_data"]["checkpoints"], graded["tests"], strict=True)]
    assert results["score"] == pytest.approx(sum(t["score"] for t in results["tests"]))


def test_the_solution_earns_full_marks(exported):
    made, zipped = exported
    results, root = run_as_gradescope(made, zipped, "solution")
    assert results["score"] == made.assignment.rubric.auto_points
    assert_same_scores(results, made.graded["solution"])
    assert results["stdout_visibility"] == "hidden"
    assert stat.S_IMODE((root / "source").stat().st_mode) == stat.S_IMODE((root / "results").stat().st_mode) == 0o700


def test_a7s_leaderboard_is_the_held_out_nll_atomgpt_grade_measured(exported):
    made, zipped = exported
    results, _ = run_as_gradescope(made, zipped, "solution")
    if made.assignment.id != "a7_gpt":
        assert "leaderboard" not in results  # a1's rubric asks for none
        return
    nll = made.graded["solution"]["extra_data"]["measures"]["held_out_nll"]
    assert results["leaderboard"] == [{"name": "Held-out NLL per token", "value": nll, "order": "asc"}]
    assert 2.3 < nll < 2.6  # the solution's checkpoint passes the bar of 2.60


def test_the_untouched_release_scores_zero(exported):
    made, zipped = exported
    results, _ = run_as_gradescope(made, zipped, "release")
    assert results["score"] == 0
    assert_same_scores(results, made.graded["release"])
    assert "leaderboard" not in results  # no checkpoint handed in, nothing measured


def test_a_known_bug_loses_its_checkpoints_points_and_names_its_misconception(exported):
    made, zipped = exported
    results, _ = run_as_gradescope(made, zipped, "bug")
    assert_same_scores(results, made.graded["bug"])
    lost = [t for t in results["tests"] if t["score"] < t["max_score"]]
    assert [t["tags"] for t in lost] == [[made.bug.checkpoint]]
    message = misconception_message(made.assignment, made.bug.misconception)
    assert message in lost[0]["output"]  # plain text
    assert gradescope.plain(message) in results["output"]  # markdown: shown as written
    assert results["output"].count(gradescope.plain(message)) == 1  # the summary names it once


def test_a_checkpoint_not_yet_visible_keeps_its_misconception_out_of_the_summary(exported):
    made, _ = exported
    graded = copy.deepcopy(made.graded["bug"])
    (hidden,) = [t for t, c in zip(graded["tests"], graded["extra_data"]["checkpoints"], strict=True)
                 if c["id"] == made.bug.checkpoint]
    hidden["visibility"] = "after_due_date"
    results = gradescope.results(made.assignment.rubric, graded)
    message = misconception_message(made.assignment, made.bug.misconception)
    assert gradescope.plain(message) not in results["output"]
    (shown_later,) = [t for t in results["tests"] if t["tags"] == [made.bug.checkpoint]]
    assert shown_later["visibility"] == "after_due_date" and message in shown_later["output"]


def test_a_broken_notebook_scores_zero_with_a_clear_message(exported):
    made, zipped = exported
    results, _ = run_as_gradescope(made, zipped, "broken")
    assert results["score"] == 0 and results["tests"]
    assert gradescope.plain(f"{made.assignment.id}.ipynb is not a valid notebook") in results["output"]


def test_a_cheat_gains_nothing_and_the_results_file_is_the_graders(exported):
    made, zipped = exported
    results, root = run_as_gradescope(made, zipped, "cheat")
    assert_same_scores(results, made.graded["cheat"])
    assert results["score"] <= made.graded["bug"]["score"]  # no more than the bug it hides
    text = (root / "results" / "results.json").read_text()
    the_cheat_ran(root)
    assert FAKE["output"] not in text and "def test_" not in text  # the grader wrote last; no hidden test


def test_the_zip_holds_the_scripts_the_wheel_and_this_assignments_hidden_material_only(exported):
    made, zipped = exported
    assignment = made.assignment
    kit = "kit/source_lib"
    data = [*assignment.rubric.data, *assignment.rubric.grader_data]
    with zipfile.ZipFile(zipped) as archive:
        names = sorted(archive.namelist())
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
        contents = {name: archive.read(name) for name in names}
    assert names == sorted(["setup.sh", "run_autograder", made.wheel.name, "kit/hidden_inputs.json",
                            f"{kit}/{assignment.id}/rubric.toml", f"{kit}/{assignment.id}/{assignment.suite.name}",
                            f"kit/assignments/{assignment.id}/{assignment.id}.ipynb",
                            *(f"{kit}/data/{name}" for name in data)])
    assert stat.S_IMODE(modes["setup.sh"]) == stat.S_IMODE(modes["run_autograder"]) == 0o755
    assert contents[f"kit/assignments/{assignment.id}/{assignment.id}.ipynb"] == assignment.release.read_bytes()
    secret = (PACKAGE_ROOT / SECRET_FILE).read_bytes().strip()
    assert not any(secret in data for data in contents.values())  # the seed travels, never the secret
    assert json.loads(contents["kit/hidden_inputs.json"])["seed"] == made.graded["solution"]["extra_data"][
        "hidden_inputs"]["seed"]
    with zipfile.ZipFile(made.wheel) as wheel:  # the engine only: no suite, solution or other assignment
        assert all(name.startswith(("autograder/", "atomgpt_course-")) for name in wheel.namelist())


def test_the_scripts_are_valid_bash_and_install_the_wheel_they_travel_with(exported):
    _, zipped = exported
    with zipfile.ZipFile(zipped) as archive:
        for script in ("setup.sh", "run_autograder"):
            text = archive.read(script).decode()
            assert text.startswith("#!/usr/bin/env bash\n")
            assert subprocess.run(["bash", "-n"], input=text, text=True).returncode == 0
        setup = archive.read("setup.sh").decode()
    assert "pip install ./*.whl" in setup and "bubblewrap" in setup and "sys.version_info < (3, 11)" in setup


def test_atomgpt_export_writes_the_zip_and_refuses_an_unknown_assignment(tmp_path, capsys):
    zipped = tmp_path / "a1.zip"
    assert atomgpt(["export", "gradescope", "a1_values", "--out", str(zipped), "--seed", "7"]) == 0
    with zipfile.ZipFile(zipped) as archive:
        assert json.loads(archive.read("kit/hidden_inputs.json")) == {"source": "seed", "secret": "", "seed": 7}
    assert atomgpt(["export", "gradescope", "a9_nothing", "--out", str(zipped)]) == 2
    assert "unknown assignment 'a9_nothing'" in capsys.readouterr().err


def test_a_grader_failure_still_writes_a_results_file(tmp_path, monkeypatch, capsys):
    (tmp_path / "source" / "kit").mkdir(parents=True)  # no hidden material: the grader cannot grade
    monkeypatch.setenv(gradescope.ROOT_VARIABLE, str(tmp_path))
    assert gradescope.main() == 1
    results = json.loads((tmp_path / "results" / "results.json").read_text())
    jsonschema.validate(results, RESULTS_SCHEMA)
    assert results["score"] == 0 and "could not finish" in results["output"]
    assert "Traceback" in capsys.readouterr().out  # for the instructor, in Gradescope's hidden stdout
