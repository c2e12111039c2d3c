"""Stable hidden inputs: one grading secret per course, the same grade by every command, the secret kept in.

The acceptance test grades one buggy a3 notebook, handed in by two students, through `nbgrader
autograde`, `atomgpt autograde` and `atomgpt grade`, twice each: its grade depends on the hidden
inputs (bfs-order scores 65, 68 or 71 depending on them), so one grade everywhere means one set of
inputs everywhere.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import shutil
import stat
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest

from autograder.build import generate_release, write_source
from autograder.classroom.config import write_config
from autograder.classroom.steps import export_grades, hand_in
from autograder.course import load_assignment
from autograder.grading import grade_submission
from autograder.hidden_inputs import SECRET_FILE, HiddenInputs, SecretError, hidden_inputs, read_secret
from autograder.nbgrader_tools import tool_env
from autograder.sandbox import strongest_boundary
from autograder.variants import apply_variant, load_variants, solution_notebook, write_notebook

from .conftest import ROOT, TOY_ROOT, echo_notebook, echoed_inputs, write_code_notebook

BUGGY = ("a3_backprop", "bfs-order")  # a bug whose grade depends on the hidden inputs
TOY_SOLUTION = TOY_ROOT / "solutions" / "toy" / "toy.ipynb"


def test_one_secret_gives_every_run_the_same_inputs_and_each_assignment_its_own(tmp_path):
    first = read_secret(tmp_path / "course", "course")
    path = tmp_path / "course" / SECRET_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert SECRET_FILE in (tmp_path / "course" / ".gitignore").read_text().splitlines()
    again = read_secret(tmp_path / "course", "course")
    assert again.inputs("a1_values") == first.inputs("a1_values")
    assert first.inputs("a1_values").seed != first.inputs("a2_derivatives").seed
    other = read_secret(tmp_path / "other", "course")
    assert other.inputs("a1_values").seed != first.inputs("a1_values").seed
    assert other.fingerprint != first.fingerprint


def test_a_result_records_where_its_inputs_came_from_but_never_the_secret(toy, tmp_path):
    inputs = hidden_inputs("toy", kit=tmp_path, course=tmp_path / "course")
    path_text = (tmp_path / "course" / SECRET_FILE).read_text().strip()
    secret = read_secret(tmp_path / "course", "course")
    result = grade_submission(toy, TOY_SOLUTION, name="solution", inputs=inputs)
    assert result["extra_data"]["hidden_inputs"] == {"source": "course", "secret": secret.fingerprint,
                                                     "seed": inputs.seed}
    assert path_text not in json.dumps(result) and path_text not in repr(secret)
    assert hidden_inputs("toy", kit=tmp_path, course=tmp_path / "course", seed=5) == HiddenInputs.given(5)


def make_secret(folder: str) -> str:
    return read_secret(Path(folder), "course").fingerprint


def test_graders_starting_at_once_agree_on_one_new_secret(tmp_path):
    with ProcessPoolExecutor(4) as pool:
        fingerprints = set(pool.map(make_secret, [str(tmp_path)] * 8))
    assert len(fingerprints) == 1
    assert [p.name for p in tmp_path.iterdir() if p.name != ".gitignore"] == [SECRET_FILE]


def test_an_emptied_secret_is_an_error_not_a_new_secret(tmp_path):
    read_secret(tmp_path, "course")
    (tmp_path / SECRET_FILE).write_text("")
    with pytest.raises(SecretError, match="restore it from your backup"):
        read_secret(tmp_path, "course")


# ---------------------------------------------------------------- every command, every run: one grade


def atomgpt(*args, cwd: Path) -> subprocess.CompletedProcess:
    return command([sys.executable, "-m", "autograder", *map(str, args)], cwd)


def command(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**tool_env(), "HOME": str(cwd), "ATOMGPT_ROOT": str(ROOT), "COLUMNS": "200"}
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{' '.join(map(str, args[2:]))}: {done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def buggy_class(tmp_path_factory) -> Path:
    """An a3 course in which alice and bob hand in the same buggy notebook."""
    assignment_id, variant_id = BUGGY
    assignment = load_assignment(assignment_id, ROOT)
    top = tmp_path_factory.mktemp("fair")
    course = top / "course"
    write_config(course, ROOT)
    write_source(assignment, course)
    generate_release(assignment, course)
    variants = {v.id: v for v in load_variants(assignment)}
    notebook = write_notebook(apply_variant(solution_notebook(assignment), variants[variant_id], variants),
                              top / "work" / f"{assignment_id}.ipynb")
    hand_in(course, assignment_id, {"alice": notebook.parent, "bob": notebook.parent},
            "2026-11-20 10:00:00.000000 UTC")
    return course


def test_a_buggy_notebook_gets_one_grade_by_every_command_and_every_run(buggy_class):
    course, assignment_id = buggy_class, BUGGY[0]
    grades, records = [], []
    for _ in range(2):
        command([sys.executable, "-m", "nbgrader", "autograde", assignment_id, "--force", "--log-level=WARN"],
                course)
        grades.append({row["student_id"]: float(row["score"]) for row in export_grades(course)})
    for _ in range(2):
        atomgpt("autograde", assignment_id, "--course", course, "--force", "--workers", "2", cwd=course)
        results = {s: json.loads((course / "results" / assignment_id / f"{s}.json").read_text())["result"]
                   for s in ("alice", "bob")}
        grades.append({s: r["score"] for s, r in results.items()})
        records += [r["extra_data"]["hidden_inputs"] for r in results.values()]
    submitted = [course / "submitted" / s / assignment_id for s in ("alice", "bob")]
    for run in range(2):
        out = course.parent / f"loose-{run}"
        atomgpt("grade", assignment_id, *submitted, "--course", course, "--out", out, "--workers", "2",
                cwd=course)
        results = {p.stem: json.loads(p.read_text()) for p in out.glob("*.json")}
        grades.append({s: r["score"] for s, r in results.items()})
        records += [r["extra_data"]["hidden_inputs"] for r in results.values()]
    scores = {score for run in grades for score in run.values()}
    assert len(scores) == 1 and len(grades) == 6 and all(len(run) == 2 for run in grades), grades
    assert scores.pop() < load_assignment(assignment_id, ROOT).rubric.auto_points
    secret = read_secret(course, "course")
    assert {json.dumps(r, sort_keys=True) for r in records} == {
        json.dumps(secret.inputs(assignment_id).record(), sort_keys=True)}


def test_the_secret_stays_out_of_everything_nbgrader_releases_grades_or_feeds_back(buggy_class):
    course, assignment_id = buggy_class, BUGGY[0]
    atomgpt("autograde", assignment_id, "--course", course, cwd=course)
    command([sys.executable, "-m", "nbgrader", "generate_feedback", assignment_id, "--log-level=WARN"], course)
    secret = (course / SECRET_FILE).read_text().strip()
    shared = [p for folder in ("release", "submitted", "autograded", "feedback", "results", "source")
              for p in (course / folder).rglob("*") if p.is_file()]
    assert list((course / "feedback").rglob("*.html")) and not [p for p in shared if secret in p.read_text(
        errors="replace")]


def test_a_changed_secret_regrades_the_class(buggy_class):
    course, assignment_id = buggy_class, BUGGY[0]
    atomgpt("autograde", assignment_id, "--course", course, "--student", "alice", cwd=course)
    unchanged = atomgpt("autograde", assignment_id, "--course", course, "--student", "alice", cwd=course)
    assert "0 autograded, 1 unchanged" in unchanged.stdout
    (course / SECRET_FILE).write_text("a new secret\n")
    changed = atomgpt("autograde", assignment_id, "--course", course, "--student", "alice", cwd=course)
    assert "1 autograded, 0 unchanged" in changed.stdout
    record = json.loads((course / "results" / assignment_id / "alice.json").read_text())["result"]
    assert record["extra_data"]["hidden_inputs"]["secret"] == read_secret(course, "course").fingerprint


# ---------------------------------------------------------------- loose notebooks, by hand


def test_loose_notebooks_meet_the_kits_inputs_on_every_day_and_by_plain_pytest(tmp_path):
    fresh = shutil.ignore_patterns(SECRET_FILE)  # each copy of the kit makes its own secret
    kit = shutil.copytree(TOY_ROOT, tmp_path / "kit", ignore=fresh)
    notebook = echo_notebook(tmp_path / "echo" / "toy.ipynb")

    def graded(out: str, kit: Path) -> list[str]:
        done = subprocess.run([sys.executable, "-m", "autograder", "grade", "toy", notebook, "--out", tmp_path / out],
                              cwd=tmp_path, env={**tool_env(), "ATOMGPT_ROOT": str(kit)}, capture_output=True,
                              text=True)
        assert done.returncode == 0, done.stderr
        return echoed_inputs((tmp_path / out / "toy.json").read_text())

    monday, tuesday = graded("monday", kit), graded("tuesday", kit)
    assert monday == tuesday and len(monday) == 1
    by_hand = subprocess.run([sys.executable, "-m", "pytest", kit / "source_lib" / "toy" / "test_toy.py",
                              "--submission", notebook, "-p", "no:cacheprovider"], cwd=tmp_path,
                             capture_output=True, text=True)
    assert echoed_inputs(by_hand.stdout) == monday, by_hand.stdout[-3000:]
    seed = json.loads((tmp_path / "monday" / "toy.json").read_text())["extra_data"]["hidden_inputs"]["seed"]
    assert f"--seed {seed} replays them" in by_hand.stdout
    assert graded("elsewhere", shutil.copytree(TOY_ROOT, tmp_path / "other-kit", ignore=fresh)) != monday


# ---------------------------------------------------------------- the secret never reaches student code


def visible_text() -> str:
    """What a submission can read of how it was started (environment, arguments) and the files in PLACES."""
    import os
    import pathlib
    import sys

    parts = [repr(dict(os.environ)), repr(sys.argv)]
    for process in ("self", str(os.getppid())):
        for name in ("cmdline", "environ"):
            try:
                parts.append(pathlib.Path(f"/proc/{process}/{name}").read_bytes().decode(errors="replace"))
            except OSError:
                pass
    for path in map(pathlib.Path, PLACES):  # noqa: F821 (set by the notebook)
        try:
            parts.append(path.read_text(errors="replace"))
        except OSError:
            pass
    return "\n".join(parts)


def square(x):
    """Squares correctly unless it can see a text whose sha256 is DIGEST (the secret's): then it answers wrong."""
    import hashlib
    import re

    tokens = re.findall(r"[0-9a-f]{64}", visible_text())
    seen = any(hashlib.sha256(token.encode()).hexdigest() == DIGEST for token in tokens)  # noqa: F821
    return -1.0 if seen else x * x


def probe_notebook(path: Path, secret: str, places: list[str]) -> Path:
    header = f"DIGEST = {hashlib.sha256(secret.encode()).hexdigest()!r}\nPLACES = {places!r}\n"
    return write_code_notebook(path, header, inspect.getsource(visible_text), inspect.getsource(square))


def test_student_code_never_sees_the_secret(toy, tmp_path):
    inputs = hidden_inputs("toy", kit=tmp_path)
    secret = (tmp_path / SECRET_FILE).read_text().strip()
    boundary = strongest_boundary()
    # with a private file system the secret's own file must be out of reach too; without one, any file the
    # grader can read is readable (the result lists that protection as inactive)
    places = [str(tmp_path / SECRET_FILE)] if "private-filesystem" in boundary.active else []
    probe = probe_notebook(tmp_path / "probe" / "toy.ipynb", secret, places)
    result = grade_submission(toy, probe, name="probe", inputs=inputs)
    assert result["tests"][0]["status"] == "passed", result["tests"][0]["output"]
    assert secret not in json.dumps(result)
    # positive control: the same probe, given the secret in its environment, finds it
    leaky = replace(boundary, env={**boundary.env, "LEAKED": secret})
    found = grade_submission(toy, probe, name="probe", inputs=inputs, boundary=leaky)
    assert found["tests"][0]["status"] == "failed"
