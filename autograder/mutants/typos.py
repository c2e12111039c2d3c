"""Typo-style operators: mutmut's own operator table, used as a library.

mutmut 3 keeps its operators in `mutmut.mutation.mutators.mutation_operators`:
pure functions from one libcst node to its mutated versions (numbers, strings,
names, comparison and arithmetic operators, `=` for `+=`, dropped arguments,
...), separate from its test runner, its trampolines and its database. We
take that table and nothing else, so the mutants are the ones a well-kept
tool makes, and grading stays ours (the engine, the sandbox, hidden inputs
as students get them). cosmic-ray's operators work on parso trees and are
driven through its work database and configuration, so they are harder to
call one node at a time.
"""

from __future__ import annotations

from mutmut.mutation.mutators import mutation_operators

from .operators import Operator


def typo_operators() -> list[Operator]:
    """One Operator per entry of mutmut's table, named after its function (`operator_swap_op` -> `swap_op`)."""
    return [Operator(function.__name__.removeprefix("operator_"), "typo", node_type,
                     lambda node, context, function=function: function(node))
            for node_type, function in mutation_operators]
