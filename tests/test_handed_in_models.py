"""Questions graded against a student's own handed-in model earn points only when that model singles the
answer out: a7's Q1, Q3 and Q4 give nothing for a checkpoint where everything ties (all-zero weights), and full
points for the solution's trained checkpoint."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from .conftest import ROOT

SOLVED = ROOT / "solutions" / "a7_gpt"
SUITE = ROOT / "source_lib" / "a7_gpt" / "test_a7_gpt.py"
QUESTIONS = "test_q1_letter_after_q or test_q3_head_that_looks_at_bos or test_q4_letter_nearest_to_a"


def zero_weights(checkpoint: dict) -> dict:
    """The same model with every weight 0: every letter and every head ties."""
    params = {name: [[0.0] * len(row) for row in rows] for name, rows in checkpoint["params"].items()}
    return {**checkpoint, "params": params}


def questions_passed(folder) -> tuple[int, str]:
    """How many of Q1, Q3 and Q4 the solution's answers pass against the checkpoint.json in folder."""
    done = subprocess.run([sys.executable, "-m", "pytest", str(SUITE), "--submission", str(folder / "a7_gpt.ipynb"),
                           "--seed", "1", "-k", QUESTIONS, "-p", "no:cacheprovider", "-q", "--tb=short"],
                          capture_output=True, text=True, cwd=ROOT)
    summary = done.stdout.strip().splitlines()[-1]
    assert "3 deselected" not in summary and ("passed" in summary or "failed" in summary), done.stdout[-3000:]
    passed = int(summary.split(" passed")[0].split()[-1]) if " passed" in summary else 0
    return passed, done.stdout


@pytest.mark.parametrize("checkpoint", ["trained", "all-zero"])
def test_a_question_about_the_handed_in_model_needs_a_model_that_singles_out_its_answer(tmp_path, checkpoint):
    folder = tmp_path / checkpoint
    shutil.copytree(SOLVED, folder)
    if checkpoint == "all-zero":
        path = folder / "checkpoint.json"
        path.write_text(json.dumps(zero_weights(json.loads(path.read_text()))))
    passed, output = questions_passed(folder)
    if checkpoint == "trained":
        assert passed == 3, output[-3000:]
    else:
        assert passed == 0, output[-3000:]
        assert "ranks no letter after 'q' clearly first" in output, output[-3000:]
        assert "no head gives BOS clearly the most weight" in output, output[-3000:]
