"""`atomgpt similarity`: copies are flagged through renamed variables and reordered functions; independent
work (the correct styles of variants.toml, honest classmates, models trained apart) is not."""

from __future__ import annotations

import json
import random
import shutil

import pytest

from autograder.cli import main
from autograder.course import assignment_ids, load_assignment
from autograder.similarity import compare_class, model_pairs, numbers, solved_notebook
from autograder.synthetic_class import copied_notebook, make_class, write_class
from autograder.variants import VariantError, apply_variant, load_variants, solution_notebook, write_notebook

from .conftest import ROOT, TOY_ROOT

IDS = assignment_ids(ROOT)


def flagged(findings: dict) -> set[frozenset[str]]:
    return {frozenset(pair["students"]) for pair in findings["pairs"]}


@pytest.fixture(scope="module")
def small_class(tmp_path_factory):
    """A class of twelve handing in a1 and a3: its plan and, per assignment, student -> folder."""
    assignments = [load_assignment(i, ROOT) for i in ("a1_values", "a3_backprop")]
    plan = make_class(12, assignments, seed=11)
    folder = tmp_path_factory.mktemp("class")
    return plan, {a.id: (a, write_class(plan, a, [], folder / a.id)) for a in assignments}


def test_the_copiers_of_a_class_are_flagged_and_no_honest_student_is(small_class):
    plan, handed_in = small_class
    for assignment_id, (assignment, folders) in handed_in.items():
        findings = compare_class(assignment, assignment.release, folders)
        copies = {frozenset((c.copier, c.source)) for c in plan.copies if c.assignment == assignment_id}
        assert flagged(findings) == copies
        assert all(min(pair["similarity"]) > 0.95 for pair in findings["pairs"])
        if plan.broken[1] == assignment_id:
            assert list(findings["not_compared"]) == [plan.broken[0]]
    assert {c.assignment for c in plan.copies} <= set(handed_in)


def own_work(assignment):
    """The solution written in every other correct style that applies after the ones before: work of one's own."""
    notebook = solution_notebook(assignment)
    for variant in (v for v in load_variants(assignment) if v.kind == "style"):
        try:
            notebook = apply_variant(notebook, variant, {variant.id: variant})
        except VariantError:  # a style that rewrites what another one rewrote
            continue
    return notebook


@pytest.mark.parametrize("assignment_id", ["a2_derivatives", "a5_representations"])
def test_a_copy_with_renamed_variables_and_reordered_functions_is_flagged(assignment_id, tmp_path):
    assignment = load_assignment(assignment_id, ROOT)
    original = own_work(assignment)
    copy = copied_notebook(original, random.Random(5))
    assert [c.source for c in copy.cells] != [c.source for c in original.cells]
    name = f"{assignment_id}.ipynb"
    folders = {"original": write_notebook(original, tmp_path / "original" / name).parent,
               "copy": write_notebook(copy, tmp_path / "copy" / name).parent,
               "solution": write_notebook(solution_notebook(assignment), tmp_path / "solution" / name).parent}
    findings = compare_class(assignment, assignment.release, folders)
    assert flagged(findings) == {frozenset(("original", "copy"))}
    pair = findings["pairs"][0]
    assert pair["shared"]["copy"] and pair["code"]["copy"] != pair["code"]["original"]


@pytest.mark.parametrize("assignment_id", IDS)
def test_the_correct_styles_written_independently_are_not_flagged(assignment_id, tmp_path):
    """Against the solution or each other: each style is code of its own, the rest the solution's."""
    assignment = load_assignment(assignment_id, ROOT)
    solution = solution_notebook(assignment)
    styles = [v for v in load_variants(assignment) if v.kind == "style"]
    name = f"{assignment_id}.ipynb"
    folders = {v.id: write_notebook(apply_variant(solution, v, {v.id: v}), tmp_path / v.id / name).parent
               for v in styles}
    folders["solution"] = write_notebook(solution, tmp_path / "solution" / name).parent
    findings = compare_class(assignment, assignment.release, folders)
    assert len(findings["compared"]) == len(styles) + 1 and flagged(findings) == set()


def checkpoint(weights: list[float]) -> dict:
    return {"config": {"n_embd": 2}, "chars": "ab", "params": {"wte": [weights[:2], weights[2:]]}}


def test_nearly_the_same_models_are_flagged_unless_both_are_what_the_prescribed_training_gives():
    rng = random.Random(0)
    reference = [rng.gauss(0, 1) for _ in range(4)]
    other = [x + rng.gauss(0, 0.5) for x in reference]  # trained otherwise
    models = {"honest1": reference, "honest2": list(reference),
              "trained-apart": [x + rng.gauss(0, 0.5) for x in reference],
              "source": other, "copier": [x * (1 + 1e-4) for x in other]}
    found = {frozenset((a, b)) for a, b, _ in model_pairs(models, reference)}
    assert found == {frozenset(("source", "copier"))}
    assert numbers(checkpoint(reference)) == [2.0, *reference]


def test_handed_in_checkpoints_are_compared(tmp_path):
    assignment = load_assignment("a7_gpt", ROOT)
    solved = json.loads((solved_notebook(assignment).parent / "checkpoint.json").read_text())
    rng = random.Random(1)
    trained = {name: [[x + rng.gauss(0, 0.05) for x in row] for row in rows] for name, rows in solved["params"].items()}
    notebook = solution_notebook(assignment)
    variants = {v.id: v for v in load_variants(assignment)}
    same_bug = apply_variant(notebook, variants["init-std-one"], variants)  # trains one wrong model for both
    folders = {}
    wrong = trained_wrong(solved, 2)
    for student, params, code in (("honest1", solved["params"], notebook), ("honest2", solved["params"], notebook),
                                  ("source", trained, notebook), ("copier", trained, notebook),
                                  ("bug1", wrong, same_bug), ("bug2", wrong, same_bug)):
        folder = write_notebook(code, tmp_path / student / "a7_gpt.ipynb").parent
        (folder / "checkpoint.json").write_text(json.dumps({**solved, "params": params}))
        folders[student] = folder
    findings = compare_class(assignment, assignment.release, folders, solved_notebook(assignment))
    assert [set(m["students"]) for m in findings["models"]] == [{"source", "copier"}]
    assert findings["models_not_compared"] == []
    unchecked = compare_class(assignment, assignment.release, folders, tmp_path / "no-solution" / "a7_gpt.ipynb")
    assert unchecked["models"] == [] and unchecked["models_not_compared"] == ["checkpoint.json"]


def trained_wrong(solved: dict, seed: int) -> dict:
    """A model far from the prescribed one."""
    rng = random.Random(seed)
    return {name: [[x * 3 + rng.gauss(0, 0.05) for x in row] for row in rows]
            for name, rows in solved["params"].items()}


def test_the_command_writes_its_findings_in_the_course(template, tmp_path, capsys, monkeypatch):
    course = shutil.copytree(template, tmp_path / "course")
    assignment = load_assignment("toy", TOY_ROOT)
    for student in ("ann", "bob"):
        write_notebook(solution_notebook(assignment), course / "submitted" / student / "toy" / "toy.ipynb")
    monkeypatch.setenv("ATOMGPT_ROOT", str(TOY_ROOT))
    assert main(["similarity", "toy", "--course", str(course), "--threshold", "0.5"]) == 0
    findings = json.loads((course / "similarity" / "toy.json").read_text())
    assert findings["compared"] == ["ann", "bob"] and findings["threshold"] == 0.5 and findings["pairs"] == []
    assert "2 notebooks compared" in capsys.readouterr().out
    assert (course / "similarity" / "toy.md").read_text().startswith("# toy: submissions suspiciously alike")
