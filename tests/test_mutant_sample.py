"""make test's share of mutation testing: the sampled mutants of every assignment are still killed."""

from __future__ import annotations

import pytest

from autograder.course import assignment_ids, load_assignment
from autograder.mutants.generate import mutants_of
from autograder.mutants.grading import grade_mutants, judge
from autograder.mutants.ledger import load_ledger

from .conftest import ROOT

SAMPLE_SEED = 1  # the seed `bench/mutants.py` grades with by default, with which each sampled mutant was killed


@pytest.mark.parametrize("assignment_id", assignment_ids(ROOT))
def test_sampled_mutants_are_still_killed(assignment_id):
    """The few mutants each assignment's mutants.toml samples, killed when they were listed, still lose points."""
    assignment = load_assignment(assignment_id, ROOT)
    ledger = load_ledger(assignment.folder)
    assert len(ledger.sample) >= 3, "list a sample of killed mutants in mutants.toml (bench/mutants.py suggests one)"
    functions = {mutant_id.split(":")[1] for mutant_id in ledger.sample}  # ids do not depend on other functions
    sample = [m for m in mutants_of(assignment.source.read_text(), functions) if m.id in ledger.sample]
    assert {m.id for m in sample} == set(ledger.sample), "a sampled mutant is no longer made"
    per_seed = grade_mutants(ROOT, assignment, sample, [SAMPLE_SEED])
    survivors = [m.id for m in sample if judge(m, per_seed, ledger).status != "killed"]
    assert survivors == [], "these mutants were killed when they were sampled and now keep full marks"
