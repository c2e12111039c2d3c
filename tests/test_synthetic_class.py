"""The demo's synthetic class: named students, their own mistakes, late, missing, broken and copied work."""

from __future__ import annotations

import random

import pytest

from autograder.check import release_info, run_checks
from autograder.course import load_assignment
from autograder.disguise import disguise
from autograder.synthetic_class import LEVELS, copied_notebook, make_class, touched, write_class
from autograder.variants import solution_notebook, write_notebook

from .conftest import ROOT

IDS = ["a1_values", "a3_backprop"]


@pytest.fixture(scope="module")
def assignments():
    return [load_assignment(i, ROOT) for i in IDS]


@pytest.fixture(scope="module")
def plan(assignments):
    return make_class(12, assignments, seed=3)


def picture(plan) -> dict:
    """Everything a class is, as plain data."""
    return {"students": plan.students, "due": plan.due, "missing": plan.missing, "late": plan.late,
            "broken": plan.broken, "copies": plan.copies,
            "written": {a: {s: [v.id for v in vs] for s, vs in w.items()} for a, w in plan.written.items()}}


def test_the_same_seed_gives_the_same_class_and_another_seed_another(plan, assignments):
    assert picture(make_class(12, assignments, seed=3)) == picture(plan)
    assert picture(make_class(12, assignments, seed=4)) != picture(plan)


def test_students_have_distinct_ids_and_real_names_at_every_level(assignments):
    students = make_class(40, assignments[:1], seed=1).students
    assert len({s.id for s in students}) == 40
    assert all(s.first_name.istitle() and s.last_name.istitle() and s.id.isidentifier() for s in students)
    assert {s.level for s in students} == set(LEVELS)


def test_a_few_hand_in_late_a_few_not_at_all_one_notebook_is_broken_and_two_copy(plan):
    ids = {s.id for s in plan.students}
    for assignment in IDS:
        assert 1 <= len(plan.missing[assignment]) <= 2 and 1 <= len(plan.late[assignment]) <= 2
        assert not plan.missing[assignment] & plan.late[assignment]
        assert set(plan.written[assignment]) == ids - plan.missing[assignment]
        late = {s for s in ids if plan.handed_in_at(s, assignment) > plan.due[assignment]}
        assert late == plan.late[assignment]
    assert plan.broken[0] in ids and plan.broken[1] in IDS
    assert len(plan.copies) == 2 and len({c.copier for c in plan.copies} | {c.source for c in plan.copies}) == 4
    for copy in plan.copies:
        assert copy.source in plan.written[copy.assignment] and plan.made(copy.assignment, copy.copier) == [
            f"copy of {copy.source}"]


def test_each_student_makes_their_levels_bugs_each_in_a_function_of_its_own(plan, assignments):
    levels = {s.id: s.level for s in plan.students}
    for assignment in assignments:
        solution = solution_notebook(assignment)
        for student, variants in plan.written[assignment.id].items():
            bugs = [v for v in variants if v.kind == "bug"]
            assert len(bugs) <= LEVELS[levels[student]][1]
            places = [touched(solution, v) for v in variants]
            assert sum(map(len, places)) == len(set().union(*places)), f"{student} changes a function twice"
    bugs = [len([v for v in vs if v.kind == "bug"]) for w in plan.written.values() for vs in w.values()]
    assert max(bugs) >= 2, "some students make several mistakes"


def test_the_class_is_written_as_drawn(plan, assignments, tmp_path):
    for assignment in assignments:
        folders = write_class(plan, assignment, [], tmp_path / assignment.id)
        assert set(folders) == set(plan.written[assignment.id])
        for student, folder in folders.items():
            text = (folder / f"{assignment.id}.ipynb").read_text()
            broken = (student, assignment.id) == plan.broken
            assert text.startswith("{") and (text.rstrip().endswith("}") != broken)


def test_a_disguised_copy_does_what_the_original_does(tmp_path):
    """Renamed locals and reordered functions keep every visible check of the solution passing."""
    for assignment_id in ("a1_values", "a4_learning", "a6_attention"):
        assignment = load_assignment(assignment_id, ROOT)
        solution = solution_notebook(assignment)
        copy = copied_notebook(solution, random.Random(0))
        assert [c.source for c in copy.cells] != [c.source for c in solution.cells]
        notebook = write_notebook(copy, tmp_path / assignment_id / f"{assignment_id}.ipynb")
        results, _ = run_checks(release_info(assignment_id, notebook), notebook)
        assert results and all(r.passed for r in results), [r.title for r in results if not r.passed]


def test_disguise_renames_only_what_a_function_assigns_and_moves_only_definitions():
    source = ("def second(values, scale=2):\n    total = 0\n    for value in values:\n        total += value\n"
              "    return total * scale\n\n\ndef first(x):\n    global COUNT\n    COUNT = x\n    return x\n")
    copied = disguise(source, random.Random(1))
    assert copied.index("def first") < copied.index("def second")
    assert "    total = 0" not in copied and "total" in copied  # renamed, not dropped
    assert "def second(values, scale=2):" in copied and "COUNT = x" in copied  # parameters and globals kept
    namespace = {}
    exec(copied, namespace)  # noqa: S102 - the test's own code
    assert namespace["second"]([1, 2, 3]) == 12 and namespace["first"](4) == 4 and namespace["COUNT"] == 4
    assert namespace["second"](values=[1, 2, 3], scale=3) == 18  # callers that name the parameters still work
