"""Checkpoint questions declared in rubric.toml, graded by one engine test.

A suite takes them in with one import:

    from autograder.suite.questions import test_checkpoint_question  # noqa: F401

and the plugin runs the test once per checkpoint whose rubric entry has an
`answer` table, marked with that checkpoint and described by its title. The
student's answer is read as plain data and compared here, in the trusted
process; the right answer never travels to the student's side.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ..rubric import Checkpoint, load_rubric
from ..sandbox import Student


def question_params(suite_folder: Path) -> list:
    """One pytest parameter per checkpoint question of the suite's rubric."""
    rubric = load_rubric(suite_folder / "rubric.toml")
    return [pytest.param(c, id=c.id, marks=[pytest.mark.checkpoint(c.id), pytest.mark.feedback(c.title)])
            for c in rubric.checkpoints if c.answer is not None]


def test_checkpoint_question(student: Student, question: Checkpoint) -> None:
    """A checkpoint question: the value its cell set is the right answer."""
    answer = question.answer
    assert student.has(answer.variable), \
        f"{answer.variable} is not set: replace the raise line in its cell with {answer.variable} = <your answer>"
    given = getattr(student, answer.variable)
    problem = answer.form_problem(given)
    assert problem is None, problem
    assert answer.accepts(given), answer.feedback
