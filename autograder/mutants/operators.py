"""What an operator is: a named rule that turns one node of a graded function into mutated versions of it."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import libcst as cst

from .targets import GradedFunction, Target


@dataclass(frozen=True)
class Context:
    """What an operator may look at besides its node: the function it is in, and which lines students wrote."""

    target: Target
    function: GradedFunction

    @functools.cached_property
    def fixed_names(self) -> frozenset[int]:
        """The ids of Name nodes that are not a variable read or written: attributes, keywords, definitions."""
        return frozenset(id(name) for name in fixed_names(self.function.node))

    @functools.cached_property
    def variables(self) -> frozenset[str]:
        """The names the function's code uses as variables, its parameters included."""
        used = {node.value for node in walk(self.function.node)
                if isinstance(node, cst.Name) and id(node) not in self.fixed_names}
        return frozenset(used | self.parameters)

    @functools.cached_property
    def parameters(self) -> frozenset[str]:
        return frozenset(param.name.value for param in walk(self.function.node.params) if isinstance(param, cst.Param))


@dataclass(frozen=True)
class Operator:
    """A mutation rule for nodes of one type; its name starts each mutant's id."""

    name: str
    kind: str  # "typo" (a slip of the keyboard) or "student" (a mistake students make when they reason)
    node_type: type
    mutate: Callable[[cst.CSTNode, Context], Iterable[cst.CSTNode]]  # the node's mutated versions
    whole_function: bool = False  # applies to the graded function's `def` itself, not to the nodes in its body


CONSTANTS = frozenset({"True", "False", "None"})


def walk(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """The node and every node below it, in source order."""
    yield node
    for child in node.children:
        yield from walk(child)


def fixed_names(function: cst.FunctionDef) -> Iterator[cst.Name]:
    for node in walk(function):
        if isinstance(node, cst.Attribute):
            yield node.attr
        elif isinstance(node, cst.Arg) and node.keyword is not None:
            yield node.keyword
        elif isinstance(node, cst.Param | cst.FunctionDef | cst.ClassDef):
            yield node.name
        elif isinstance(node, cst.ImportAlias):
            yield from (n for n in walk(node) if isinstance(n, cst.Name))
        elif isinstance(node, cst.Name) and node.value in CONSTANTS:
            yield node
