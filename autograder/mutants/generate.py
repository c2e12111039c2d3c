"""Mutants of an assignment's solution: each the master notebook with one change in one graded function.

A mutant's id names its operator, its function, its line counted from the
function's `def` and which of the mutants made there it is
(`swapped_operands:linear_decay:4:0`), so ids stay put when lesson text above
moves. Mutants come in a fixed order (function, then node in source order,
then operator); one that does not compile, or that is the solution or an
earlier mutant after normalisation (its syntax tree), is skipped.
"""

from __future__ import annotations

import ast
import difflib
import functools
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import libcst as cst

from ..course import Assignment
from .operators import Context, Operator, walk
from .student_model import student_operators
from .targets import GradedFunction, Target, find_targets
from .typos import typo_operators


@dataclass(frozen=True)
class Mutant:
    id: str
    kind: str  # "typo" or "student"
    operator: str
    function: str
    line: int  # in the master notebook's text
    description: str
    source: str  # the whole master notebook, mutated


@functools.cache
def all_operators() -> tuple[Operator, ...]:
    """Student-model operators first: a mutation both kinds make is counted as the student's."""
    return (*student_operators(), *typo_operators())


def graded_names(assignment: Assignment) -> list[str]:
    return [name for checkpoint in assignment.rubric.checkpoints for name in checkpoint.functions]


def assignment_mutants(assignment: Assignment) -> list[Mutant]:
    return mutants_of(assignment.source.read_text(), graded_names(assignment))


def mutants_of(text: str, graded: Iterable[str]) -> list[Mutant]:
    """Every mutant of the graded functions of a master notebook's text, in a fixed order."""
    operators = all_operators()
    target = find_targets(text, graded)
    seen = {normal_form(text)}
    made: Counter[tuple[str, str, int]] = Counter()
    mutants = []
    for function in target.functions:
        context = Context(target, function)
        for node, operator in mutation_points(target, function, operators):
            for replacement in operator.mutate(node, context):
                source = replaced(target.module, function.statement, node, replacement)
                form = normal_form(source)
                if form is None or form in seen:
                    continue
                seen.add(form)
                line = target.line(node)
                place = (operator.name, function.name, line - function.line)
                mutants.append(Mutant(f"{operator.name}:{function.name}:{place[2]}:{made[place]}", operator.kind,
                                      operator.name, function.name, line,
                                      f"{operator.name}: {difference(text, source)}", source))
                made[place] += 1
    return mutants


def replaced(module: cst.Module, statement: cst.CSTNode, node: cst.CSTNode, replacement: cst.CSTNode) -> str:
    """The module's code with one node replaced, looked for only in the top-level statement holding it."""
    changed = statement.deep_replace(node, replacement)
    return module.with_changes(body=[changed if s is statement else s for s in module.body]).code


def mutation_points(target: Target, function: GradedFunction,
                    operators: tuple[Operator, ...]) -> Iterator[tuple[cst.CSTNode, Operator]]:
    """(node, operator) pairs: the `def` for whole-function operators, then each node students wrote."""
    for operator in operators:
        if operator.whole_function:
            yield function.node, operator
    for node in walk(function.node):
        if node in target.positions and target.written_by_student(node):
            for operator in operators:
                if not operator.whole_function and isinstance(node, operator.node_type):
                    yield node, operator


def normal_form(source: str) -> str | None:
    """The syntax tree of the source, or None when it does not compile."""
    try:
        tree = ast.parse(source)
        compile(tree, "<mutant>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return None
    return ast.dump(tree)


def difference(before: str, after: str, width: int = 70) -> str:
    """The changed lines, one side `->` the other, each side shortened to `width`."""
    old, new = [], []
    for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0):
        if line.startswith(("---", "+++", "@@")):
            continue
        (old if line.startswith("-") else new).append(line[1:].strip())

    before_text, after_text = " / ".join(old), " / ".join(new)
    start = len(os.path.commonprefix([before_text, after_text]))
    end = len(os.path.commonprefix([before_text[start:][::-1], after_text[start:][::-1]]))
    start = max(0, start - width // 3)  # some context before the change

    def side(text: str) -> str:
        cut = text[start:len(text) - end + width // 3] if len(text) > width else text
        cut = ("..." if cut != text and start else "") + cut
        return (cut if len(cut) <= width else cut[:width - 3] + "...") or "(nothing)"

    return f"`{side(before_text)}` -> `{side(after_text)}`"
