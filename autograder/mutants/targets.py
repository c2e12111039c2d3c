"""Where mutants may go: the graded functions of a master notebook, and only the code students write in them.

A graded function is one a checkpoint names in rubric.toml (`functions`:
`name`, or `Class.method` for a method). Inside it only lines between
`### BEGIN SOLUTION` and `### END SOLUTION` (in a `solution` cell) are
mutated: the signature, docstring and provided code around them are the
contract, not the student's work, and a lesson cell's function of the same
name has no solution lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

BEGIN = re.compile(r"^\s*### BEGIN SOLUTION\s*$")
END = re.compile(r"^\s*### END SOLUTION\s*$")


@dataclass(frozen=True)
class GradedFunction:
    name: str  # as rubric.toml names it: "graph_nodes" or "Value.__add__"
    node: cst.FunctionDef
    line: int  # of its `def` in the master notebook
    statement: cst.CSTNode  # the top-level statement holding it: the function, or its class


@dataclass(frozen=True)
class Target:
    """A parsed master notebook and the places in it that may be mutated."""

    module: cst.Module
    positions: Mapping[cst.CSTNode, CodeRange]
    functions: tuple[GradedFunction, ...]
    student_lines: frozenset[int]  # lines students write: inside solution markers

    def line(self, node: cst.CSTNode) -> int:
        return self.positions[node].start.line

    def written_by_student(self, node: cst.CSTNode) -> bool:
        return self.line(node) in self.student_lines


def student_lines(text: str) -> frozenset[int]:
    """The lines between solution markers, numbered from 1 (markers in markdown answers are comments)."""
    inside, in_markers = set(), False
    for number, line in enumerate(text.splitlines(), start=1):
        if BEGIN.match(line) or END.match(line):
            in_markers = bool(BEGIN.match(line))
        elif in_markers:
            inside.add(number)
    return frozenset(inside)


def definitions(module: cst.Module) -> Iterable[tuple[str, cst.FunctionDef, cst.CSTNode]]:
    """Top-level functions and the methods of top-level classes: rubric name, definition, top-level statement."""
    for statement in module.body:
        if isinstance(statement, cst.FunctionDef):
            yield statement.name.value, statement, statement
        elif isinstance(statement, cst.ClassDef):
            for member in statement.body.body:
                if isinstance(member, cst.FunctionDef):
                    yield f"{statement.name.value}.{member.name.value}", member, statement


def find_targets(text: str, graded: Iterable[str]) -> Target:
    """The graded functions of a master notebook's text (jupytext percent format)."""
    wrapper = MetadataWrapper(cst.parse_module(text), unsafe_skip_copy=True)
    positions = wrapper.resolve(PositionProvider)
    wanted = set(graded)
    functions = tuple(GradedFunction(name, node, positions[node].start.line, statement)
                      for name, node, statement in definitions(wrapper.module) if name in wanted)
    return Target(wrapper.module, positions, functions, student_lines(text))
