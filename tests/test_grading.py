"""Grading a submission end to end on the toy course: scores, feedback, no leaks."""

from __future__ import annotations

import json
import subprocess
import sys
import zlib
from dataclasses import replace

import nbformat
import numpy as np
import pytest

from autograder.grading import grade_submission
from autograder.hidden_inputs import HiddenInputs
from autograder.suite.runner import SuiteError
from autograder.variants import apply_variant, load_variants, solution_notebook, write_notebook

from .conftest import TOY_ROOT, echo_notebook, echoed_inputs, write_code_notebook

RELEASE = TOY_ROOT / "assignments" / "toy" / "toy.ipynb"
SOLUTION = TOY_ROOT / "solutions" / "toy" / "toy.ipynb"


def grade(toy, path, seed=7):
    return grade_submission(toy, path, name=path.stem, inputs=HiddenInputs.given(seed))


def variant_notebook(toy, tmp_path, variant_id):
    variants = {v.id: v for v in load_variants(toy)}
    notebook = apply_variant(solution_notebook(toy), variants[variant_id], variants)
    return write_notebook(notebook, tmp_path / variant_id / "toy.ipynb")


def test_the_solution_earns_every_auto_graded_point(toy):
    result = grade(toy, SOLUTION)
    assert result["score"] == toy.rubric.auto_points == 90
    assert all(t["status"] == "passed" for t in result["tests"])
    assert result["score"] == sum(t["score"] for t in result["tests"])


def test_the_untouched_release_scores_zero_and_says_why(toy):
    result = grade(toy, RELEASE)
    assert result["score"] == 0
    assert "not written yet" in result["tests"][0]["output"]
    assert "builds on Squares" in result["tests"][1]["output"]


def test_a_bug_loses_its_checkpoint_with_its_misconception(toy, tmp_path):
    result = grade(toy, variant_notebook(toy, tmp_path, "doubling"))
    assert [t["score"] for t in result["tests"]] == [15.0, 30.0]
    assert [m["id"] for m in result["extra_data"]["misconceptions"]] == ["doubling"]
    assert "You doubled x" in result["tests"][0]["output"]


def test_another_correct_style_keeps_full_marks(toy, tmp_path):
    assert grade(toy, variant_notebook(toy, tmp_path, "power-style"))["score"] == 90


def test_a_cheat_scores_no_more_than_its_wrong_answer(toy, tmp_path):
    wrong = grade(toy, variant_notebook(toy, tmp_path, "doubling"))["score"]
    cheat = grade(toy, variant_notebook(toy, tmp_path, "cheat-exit"))
    assert cheat["score"] <= wrong
    assert "exited with code 0" in json.dumps(cheat)
    assert "Your code's process ended while your notebook's cells ran: it exited with code 0" in cheat["output"]


def test_a_broken_notebook_scores_zero_with_a_message(toy, tmp_path):
    path = tmp_path / "toy.ipynb"
    path.write_text('{"cells": [')
    result = grade(toy, path)
    assert result["score"] == 0 and len(result["tests"]) == 2
    assert "not a valid notebook" in result["output"]


def test_a_renamed_function_is_named_in_the_feedback(toy, tmp_path):
    path = write_code_notebook(tmp_path / "toy.ipynb", "def squares(x):\n    return x * x")
    result = grade(toy, path)
    assert "does not define `square`" in result["tests"][0]["output"]
    assert "squares" in result["tests"][0]["output"]


def test_results_never_show_hidden_test_code(toy, tmp_path):
    suite_lines = [line.strip() for line in toy.suite.read_text().splitlines()
                   if len(line.strip()) > 25 and '"' not in line and not line.strip().startswith("#")]
    assert suite_lines
    for variant in ("doubling", "cheat-exit"):
        text = json.dumps(grade(toy, variant_notebook(toy, tmp_path, variant)))
        assert not [line for line in suite_lines if line in text]
        assert "assert " not in text


def test_a_seed_replays_the_same_result(toy, tmp_path):
    path = variant_notebook(toy, tmp_path, "doubling")
    first, second = grade(toy, path, seed=11), grade(toy, path, seed=11)
    for result in (first, second):  # what the run took, not what it graded
        result.pop("execution_time")
        result["extra_data"].pop("student_cpu_seconds")
    assert first == second


def test_an_instructor_can_run_a_suite_with_plain_pytest(toy):
    def run(notebook):
        return subprocess.run(
            [sys.executable, "-m", "pytest", str(toy.suite), "--submission", str(notebook), "--seed", "3", "-q",
             "-p", "no:cacheprovider"], capture_output=True, text=True, cwd=TOY_ROOT)

    passed, failed = run(SOLUTION), run(RELEASE)
    assert passed.returncode == 0, passed.stdout
    assert "5 passed" in passed.stdout
    assert failed.returncode == 1 and "5 failed" in failed.stdout


def test_random_inputs_change_with_the_seed_but_scores_do_not(toy, tmp_path):
    echo = echo_notebook(tmp_path / "echo" / "toy.ipynb")
    seen = {seed: echoed_inputs(json.dumps(grade(toy, echo, seed=seed))) for seed in (1, 2)}
    assert len(seen[1]) == len(seen[2]) == 1 and seen[1] != seen[2]
    doubling = variant_notebook(toy, tmp_path, "doubling")
    assert [grade(toy, doubling, seed=seed)["score"] for seed in (1, 2)] == [45, 45]


def test_a_warning_on_stderr_costs_a_correct_answer_nothing(toy, tmp_path):
    assert grade(toy, variant_notebook(toy, tmp_path, "warns-on-stderr"))["score"] == 90


def hidden_input_of_test_square_random(seed: int) -> float:
    """The x the toy suite's random test draws, derived as the rng fixture does."""
    rng = np.random.default_rng([seed, zlib.crc32(b"test_toy.py::test_square_random")])
    return float(rng.uniform(1, 10))


def test_results_never_show_hidden_inputs_or_expected_values(toy, tmp_path):
    seed = 1234
    x = hidden_input_of_test_square_random(seed)
    # Positive control: a submission that prints its own input shows x, so the derivation is right.
    echo = write_code_notebook(tmp_path / "echo" / "toy.ipynb", "def square(x):\n    raise ValueError(f'{x:.4f}')")
    assert f"{x:.4f}" in json.dumps(grade(toy, echo, seed=seed))
    result = grade(toy, variant_notebook(toy, tmp_path, "doubling"), seed=seed)
    result.pop("execution_time")
    result["extra_data"].pop("student_cpu_seconds")
    text = json.dumps(result)
    for secret in (x, x * x, 2 * x):
        assert f"{secret:.4f}"[:-1] not in text


def test_grades_do_not_depend_on_who_was_graded_before_in_the_same_process(toy, tmp_path):
    """A grading process collects the suite once: nothing of one student (symptoms, sessions) reaches the next."""
    notebook = nbformat.read(SOLUTION, as_version=4)
    for cell in notebook.cells:
        cell.source = cell.source.replace("return x * x", "return x * x + 1")
    off_by_one = tmp_path / "off-by-one" / "toy.ipynb"
    off_by_one.parent.mkdir()
    nbformat.write(notebook, off_by_one)
    alone = grade(toy, off_by_one)
    grade(toy, variant_notebook(toy, tmp_path, "doubling"))  # its symptom must not stick to the next student
    after_another = grade(toy, off_by_one)
    assert alone["score"] < 90 and alone["extra_data"]["misconceptions"] == []
    assert [(t["score"], t["output"]) for t in after_another["tests"]] == \
        [(t["score"], t["output"]) for t in alone["tests"]]
    assert after_another["extra_data"]["misconceptions"] == []
    assert grade(toy, SOLUTION)["score"] == 90  # every fixture made afresh for the third student in a row


def test_a_suite_that_cannot_be_collected_is_the_instructors_problem(toy, tmp_path):
    broken = replace(toy, folder=tmp_path, rubric=replace(toy.rubric, suite="test_broken_toy.py"))
    broken.suite.write_text(toy.suite.read_text() + "\ndef unfinished(:\n")
    with pytest.raises(SuiteError, match="could not be collected(.|\n)*SyntaxError"):
        grade(broken, SOLUTION)
