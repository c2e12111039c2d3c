"""Mutation testing's machinery: the operators, where mutants may go, and how graded mutants are judged."""

from __future__ import annotations

import difflib

import pytest

from autograder.course import assignment_ids, load_assignment
from autograder.mutants.generate import assignment_mutants, graded_names, mutants_of
from autograder.mutants.grading import SOLUTION, Graded, grade_mutants, judge, message_verdict
from autograder.mutants.ledger import Ledger, load_ledger
from autograder.mutants.targets import find_targets

from .conftest import ROOT, TOY_ROOT

HEADER = '# %% [markdown]\n# A lesson.\n\n'


def master(body: str, signature: str = "def f(xs, ys):") -> str:
    """A master notebook with one graded function `f`, whose solution is `body` (indented by 4)."""
    lines = "".join(f"    {line}\n" for line in body.strip("\n").splitlines())
    return (f'{HEADER}# %% tags=["solution"]\n{signature}\n    """The contract."""\n'
            f"    ### BEGIN SOLUTION\n{lines}    ### END SOLUTION\n")


def made_by(operator: str, text: str, graded=("f",)) -> list[str]:
    return [m.source for m in mutants_of(text, graded) if m.operator == operator]


@pytest.mark.parametrize("operator, body, wanted", [
    ("swapped_arguments", "return g(xs, ys)", "return g(ys, xs)"),
    ("swapped_operands", "return xs - ys", "return ys - xs"),
    ("swapped_operands", "return xs / (ys - 1)", "return (ys - 1) / xs"),
    ("range_off_by_one", "return [i for i in range(len(xs))]", "range(len(xs) + 1)"),
    ("range_off_by_one", "return [i for i in range(len(xs))]", "range(len(xs) - 1)"),
    ("range_off_by_one", "return [i for i in range(len(xs))]", "range(1, len(xs))"),
    ("range_off_by_one", "return [i for i in range(2, 9)]", "range(2, 10)"),
    ("slice_off_by_one", "return xs[1:]", "return xs[2:]"),
    ("slice_off_by_one", "return xs[:-1]", "return xs[:-2]"),
    ("assignment_for_update", "total = 0\nfor x in xs:\n    total += x\nreturn total", "    total = x\n"),
    ("copy_removed", "out = list(xs)\nout.sort()\nreturn out", "out = xs\n"),
    ("copy_removed", "out = xs[:]\nout.sort()\nreturn out", "out = xs\n"),
    ("copy_removed", "out = xs.copy()\nout.sort()\nreturn out", "out = xs\n"),
    ("update_for_copy", "xs = xs + [1]\nreturn xs", "xs += [1]"),
    ("copy_for_update", "xs.append(1)", "xs = xs + [1]"),
    ("missing_call", "xs.sort()\nreturn xs", "    pass\n"),
    ("similar_name", "wk, wv = xs\nreturn wk * 2", "return wv * 2"),
    ("similar_name", "return [xs[i] for i in range(2) for j in ys]", "xs[j]"),
    ("stateful_default", "seen = []\nseen.append(xs)\nreturn seen", "def f(xs, ys, seen=[]):"),
    ("swap_op", "return xs < ys", "return xs <= ys"),  # one of mutmut's
])
def test_operator_makes_the_expected_mutant(operator, body, wanted):
    """Each operator turns a tiny function into the mutant it is named after."""
    assert any(wanted in source for source in made_by(operator, master(body))), made_by(operator, master(body))


@pytest.mark.parametrize("operator, body", [
    ("swapped_operands", "return data + mean"),  # order does not matter
    ("stateful_default", "seen = [1]\nreturn seen"),  # not a fresh empty list
    ("missing_call", "return data.sort()"),  # a call whose value is used
    ("similar_name", "return data.meat * mean"),  # an attribute is not a variable
    ("similar_name", "return [x for _ in data for x in mean]"),  # `_` is no variable to confuse
    ("copy_for_update", "seen = []\nseen.append(data)\nreturn seen"),  # the function's own list
    ("update_for_copy", "seen = []\nseen = seen + [data]\nreturn seen"),
])
def test_operator_leaves_other_code_alone(operator, body):
    assert made_by(operator, master(body, "def f(data, mean):")) == []


def test_mutants_are_compiled_unique_and_in_a_fixed_order():
    """A mutant that does not compile, repeats the solution or an earlier mutant is not made; ids are stable."""
    text = master("return xs - xs")  # swapping the operands changes nothing
    first, second = mutants_of(text, ["f"]), mutants_of(text, ["f"])
    assert [m.id for m in first] == [m.id for m in second]
    assert len({m.id for m in first}) == len(first)
    assert not any(m.operator == "swapped_operands" for m in first)
    assert first and all(m.id.split(":")[1:3] == ["f", "3"] for m in first)  # the line counted from `def`


def changed_lines(before: str, after: str) -> set[int]:
    matcher = difflib.SequenceMatcher(a=before.splitlines(), b=after.splitlines(), autojunk=False)
    return {line + 1 for tag, i1, i2, _, _ in matcher.get_opcodes() if tag != "equal"
            for line in range(i1, max(i2, i1 + 1))}


def test_only_code_students_write_in_graded_functions_is_mutated():
    """Provided code, lesson cells, visible checks, ungraded functions and a graded function's contract
    (signature, docstring, code outside the solution markers) are never mutated."""
    text = (f'{HEADER}# %%\ndef f(xs, ys):\n    return xs - ys\n\n'  # lesson code of the same name
            '# %% tags=["solution"]\ndef f(xs, ys=1 - 2):\n    """Doc."""\n    prepared = xs - ys\n    cache = {}\n'
            '    ### BEGIN SOLUTION\n    return prepared - ys\n    ### END SOLUTION\n\n\n'
            'def helper(xs, ys):\n    return xs - ys\n\n'
            '# %% tags=["checks:f"]\nassert f(3, 1) - 1 == 1\n')
    mutants = mutants_of(text, ["f"])
    assert mutants
    assert all(changed_lines(text, m.source) == {text.splitlines().index("    return prepared - ys") + 1}
               for m in mutants)
    assert mutants_of(text, ["helper", "g"]) == []


def test_a_real_assignment_is_mutated_only_inside_its_graded_functions():
    """For a1 (methods of Value and two functions): every mutant changes lines of one graded function only."""
    assignment = load_assignment("a1_values", ROOT)
    text = assignment.source.read_text()
    target = find_targets(text, graded_names(assignment))
    spans = {f.name: range(f.line, target.positions[f.node].end.line + 1) for f in target.functions}
    assert set(spans) == set(graded_names(assignment))
    mutants = assignment_mutants(assignment)
    assert {m.kind for m in mutants} == {"typo", "student"}
    for mutant in mutants:
        assert changed_lines(text, mutant.source) <= set(spans[mutant.function]), mutant.id


def graded(score: float, *misconceptions: str) -> Graded:
    return Graded(score, misconceptions)


@pytest.fixture(scope="module")
def toy_mutant():
    assignment = load_assignment("toy", TOY_ROOT)
    return {m.id: m for m in assignment_mutants(assignment)}


def test_judging_by_score_ledger_and_seeds(toy_mutant):
    """Killed only when it loses points with every seed; a listed survivor is equivalent or accepted."""
    mutant = toy_mutant["assignment_for_update:Counter.bump:2:0"]
    ledger = Ledger(equivalent={mutant.id: "same for a fresh counter"})
    lost, kept = {SOLUTION: graded(90), mutant.id: graded(60)}, {SOLUTION: graded(90), mutant.id: graded(90)}
    assert judge(mutant, [lost, lost], Ledger()).status == "killed"
    assert judge(mutant, [lost, kept], Ledger()).status == "survived"
    assert judge(mutant, [lost, kept], Ledger()).caught_in == 1
    assert judge(mutant, [kept], ledger).status == "equivalent"
    assert judge(mutant, [kept], ledger).reason == "same for a fresh counter"
    assert judge(mutant, [kept], Ledger(accepted={mutant.id: "why"})).status == "accepted"
    assert judge(mutant, [lost], ledger).status == "killed"  # a listed mutant that loses points is killed


@pytest.mark.parametrize("shown, expected, verdict", [
    ((), None, "none"), (("a",), None, "unjudged"), (("a",), frozenset({"a", "b"}), "accurate"),
    (("a", "c"), frozenset({"a"}), "wrong"), (("a",), frozenset(), "wrong"),
])
def test_misconception_messages_are_judged_only_where_mutants_toml_says(shown, expected, verdict):
    assert message_verdict(shown, expected) == verdict


def test_toy_mutants_graded_by_the_engine(toy_mutant):
    """The toy's mutants graded as students are: the listed equivalent is reported as such, the rest killed."""
    assignment = load_assignment("toy", TOY_ROOT)
    ledger = load_ledger(assignment.folder)
    assert ledger.unknown(toy_mutant) == []
    mutants = list(toy_mutant.values())
    per_seed = grade_mutants(TOY_ROOT, assignment, mutants, [1, 2])
    outcomes = {m.id: judge(m, per_seed, ledger) for m in mutants}
    assert outcomes.pop("assignment_for_update:Counter.bump:2:0").status == "equivalent"
    assert {o.status for o in outcomes.values()} == {"killed"}
    assert outcomes["swap_op:square:2:0"].misconceptions == ()



@pytest.mark.parametrize("assignment_id", assignment_ids(ROOT))
def test_each_ledger_expects_only_messages_the_rubric_has(assignment_id):
    """A renamed misconception would silently turn an [[expect]] entry's accurate messages into wrong ones."""
    assignment = load_assignment(assignment_id, ROOT)
    declared = {m.id for m in assignment.rubric.misconceptions}
    undeclared = {mutant: sorted(named - declared) for mutant, named in load_ledger(assignment.folder).expect.items()
                  if named - declared}
    assert undeclared == {}
