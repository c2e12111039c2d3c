"""Checkpoint questions declared in rubric.toml and graded by the engine's one test."""

from __future__ import annotations

import json

import pytest

from autograder.course import load_assignment
from autograder.grading import grade_submission
from autograder.hidden_inputs import HiddenInputs
from autograder.rubric import RubricError, load_rubric
from autograder.sandbox import worker

from .conftest import write_code_notebook

RUBRIC = '''
[assignment]
id = "quiz"

[[checkpoint]]
id = "q1"
title = "Q1: the number of legs of a spider"
points = 60
[checkpoint.answer]
kind = "number"
value = 8
tolerance = 0.01
feedback = "ANSWER_Q1 is not that number: count them in pairs"

[[checkpoint]]
id = "q2"
title = "Q2: which is a mammal"
points = 40
[checkpoint.answer]
kind = "choice"
value = "C"
feedback = "ANSWER_Q2 is not the right choice: which one feeds its young on milk?"
'''
SUITE = "from autograder.suite.questions import test_checkpoint_question  # noqa: F401\n"


@pytest.fixture(scope="module")
def quiz(tmp_path_factory):
    """One suite file for the module: pytest runs in this process and remembers the module by name."""
    root = tmp_path_factory.mktemp("quiz")
    folder = root / "source_lib" / "quiz"
    folder.mkdir(parents=True)
    (folder / "rubric.toml").write_text(RUBRIC)
    (folder / "test_quiz.py").write_text(SUITE)
    return load_assignment("quiz", root)


def graded(quiz, tmp_path, code: str) -> dict:
    notebook = write_code_notebook(tmp_path / "answers" / "quiz.ipynb", code)
    return grade_submission(quiz, notebook, name="student", inputs=HiddenInputs.given(1))


def scores(result: dict) -> dict[str, float]:
    return {c["id"]: c["score"] for c in result["extra_data"]["checkpoints"]}


def test_right_answers_earn_the_points_whatever_their_form(quiz, tmp_path):
    assert scores(graded(quiz, tmp_path, "ANSWER_Q1 = 8.005\nANSWER_Q2 = ' c '")) == {"q1": 60, "q2": 40}


@pytest.mark.parametrize("code, lost, says", [
    ("ANSWER_Q1 = 8.02\nANSWER_Q2 = 'c'", "q1", "count them in pairs"),
    ("ANSWER_Q1 = True\nANSWER_Q2 = 'c'", "q1", "ANSWER_Q1 should be a number"),
    ("ANSWER_Q1 = 8\nANSWER_Q2 = 'b'", "q2", "feeds its young on milk"),
    ("ANSWER_Q1 = 8\nANSWER_Q2 = 3", "q2", 'ANSWER_Q2 should be one letter'),
    ("ANSWER_Q1 = 8", "q2", "ANSWER_Q2 is not set"),
])
def test_a_wrong_or_missing_answer_loses_its_question_only_and_says_why(quiz, tmp_path, code, lost, says):
    result = graded(quiz, tmp_path, code)
    assert scores(result) == {"q1": 60 * (lost != "q1"), "q2": 40 * (lost != "q2")}
    feedback = next(t["output"] for t in result["tests"] if t["name"].startswith(lost.upper()))
    title = quiz.rubric.checkpoint(lost).title
    assert f"{title}: " in feedback and says in feedback


def test_the_right_answer_never_travels_to_the_students_process(quiz, tmp_path, monkeypatch):
    sent = []
    original = worker.send_request

    def recording(stream, message):
        sent.append(message)
        original(stream, message)

    monkeypatch.setattr(worker, "send_request", recording)
    graded(quiz, tmp_path, "ANSWER_Q1 = 3\nANSWER_Q2 = 'a'")
    wire = json.dumps([m for m in sent if m.get("op") != "load"])
    assert sent and '"global"' in wire
    assert "8" not in wire and '"C"' not in wire and "pairs" not in wire


def test_a_question_of_an_unknown_kind_is_a_rubric_error(tmp_path):
    (tmp_path / "rubric.toml").write_text(RUBRIC.replace('kind = "choice"', 'kind = "essay"'))
    with pytest.raises(RubricError, match="answer kind"):
        load_rubric(tmp_path / "rubric.toml")
