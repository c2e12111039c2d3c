"""Batch grading: parallel, atomic result files, and a grader process that dies is replaced."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from autograder.batch import Job, grade_class, jobs_for
from autograder.files import write_atomically
from autograder.hidden_inputs import HiddenInputs

SEED = HiddenInputs.given(1)


def dies_once_on_bob(root: str, assignment_id: str, job: Job, *, inputs: HiddenInputs, out: str) -> dict:
    """Stands in for grading: the process grading bob dies the first time."""
    marker = Path(out) / ".bob-died-once"
    if job.name == "bob" and not marker.exists():
        marker.write_text("")
        os._exit(1)
    result = {"score": float(len(job.name)), "tests": [], "extra_data": {}}
    write_atomically(Path(out) / f"{job.name}.json", result)
    return result


def always_dies_on_bob(root: str, assignment_id: str, job: Job, *, inputs: HiddenInputs, out: str) -> dict:
    if job.name == "bob":
        os._exit(1)
    return {"score": 1.0, "tests": [], "extra_data": {}}


def test_a_grading_process_that_dies_is_replaced_and_its_submission_retried(tmp_path):
    jobs = [Job(name, tmp_path / name) for name in ("alice", "bob", "carol")]
    results = grade_class(tmp_path, "toy", jobs, tmp_path / "out", inputs=SEED, workers=2, grade=dies_once_on_bob)
    assert {name: r["score"] for name, r in results.items()} == {"alice": 5.0, "bob": 3.0, "carol": 5.0}
    assert sorted(p.name for p in (tmp_path / "out").glob("*.json")) == ["alice.json", "bob.json", "carol.json"]


def test_a_submission_that_keeps_killing_its_grader_is_reported_alone(tmp_path):
    jobs = [Job(name, tmp_path / name) for name in ("alice", "bob")]
    results = grade_class(tmp_path, "toy", jobs, tmp_path / "out", inputs=SEED, workers=1,
                          grade=always_dies_on_bob)
    assert results["alice"]["score"] == 1.0
    assert results["bob"]["extra_data"]["grader_failure"] is True
    assert (tmp_path / "out" / "bob.json").exists()


def test_names_come_from_folders_or_notebooks_and_stay_unique(tmp_path):
    (tmp_path / "ann").mkdir()
    names = [job.name for job in jobs_for([tmp_path / "ann", tmp_path / "x" / "ann.ipynb", tmp_path / "b.ipynb"])]
    assert names == ["ann", "ann-2", "b"]


class Killed(BaseException):
    """The grading process dying at that point."""


def test_results_are_written_whole_or_not_at_all(tmp_path, monkeypatch):
    path = tmp_path / "r.json"
    write_atomically(path, {"score": 1})
    real_write = Path.write_text

    def dies_halfway_through_writing(self, text, *args, **kwargs):
        real_write(self, text[: len(text) // 2])
        raise Killed

    def dies_before_renaming(*args):
        raise Killed

    for target, name, death in ((Path, "write_text", dies_halfway_through_writing),
                                (os, "replace", dies_before_renaming)):
        with monkeypatch.context() as dying:
            dying.setattr(target, name, death)
            with pytest.raises(Killed):
                write_atomically(path, {"score": 2, "tests": [{"name": "a", "output": "x" * 1000}]})
        assert json.loads(path.read_text()) == {"score": 1}, f"a grader killed in {name} left a broken result"
    assert [p.name for p in tmp_path.glob("*.json")] == ["r.json"]  # what it was writing is not a result
    write_atomically(path, {"score": 2})
    assert json.loads(path.read_text()) == {"score": 2}
