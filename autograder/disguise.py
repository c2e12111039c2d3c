"""A copied notebook disguised the way students disguise one: local variables renamed, functions reordered.

The demo's copying students hand in a classmate's work changed this way, so
that `similarity` is shown to see through it. Every change keeps what the
code does: only names a function assigns itself are renamed (never its
parameters, globals or attributes), and only definitions standing next to
each other swap places.
"""

from __future__ import annotations

import ast
import random

RENAMES = ("my_{}", "{}_value", "the_{}", "{}2", "tmp_{}")


def local_names(function: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """Names the function (or a function inside it) assigns, that are not parameters anywhere in it."""
    stored, fixed = set(), set()
    for node in ast.walk(function):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            stored.add(node.id)
        elif isinstance(node, ast.arg):
            fixed.add(node.arg)
        elif isinstance(node, ast.Global | ast.Nonlocal):
            fixed.update(node.names)
    return stored - fixed


def rename_locals(source: str, rng: random.Random) -> str:
    """The cell's code with each function's local variables renamed (its text otherwise as written)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    lines = source.splitlines(keepends=True)
    spans = []  # (line, start, end, new name), applied from the last so that offsets stay right
    for function in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)):
        if any(function in ast.walk(outer) for outer in ast.walk(tree)
               if isinstance(outer, ast.FunctionDef | ast.AsyncFunctionDef) and outer is not function):
            continue  # an inner function is renamed with the function around it
        names = sorted(local_names(function))
        new = {name: rng.choice(RENAMES).format(name) for name in names}
        spans += [(node.lineno - 1, node.col_offset, node.end_col_offset, new[node.id])
                  for node in ast.walk(function) if isinstance(node, ast.Name) and node.id in new]
    for line, start, end, name in sorted(spans, reverse=True):
        text = lines[line].encode()  # ast's offsets count UTF-8 bytes
        lines[line] = (text[:start] + name.encode() + text[end:]).decode()
    return "".join(lines)


def definition_runs(body: list[ast.stmt]) -> list[list[ast.stmt]]:
    """Runs of two or more function definitions next to each other in a body."""
    runs, current = [], []
    for statement in body:
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
            current.append(statement)
            continue
        runs.append(current)
        current = []
    runs.append(current)
    return [run for run in runs if len(run) > 1]


def reorder_functions(source: str, rng: random.Random) -> str:
    """The cell's code with neighbouring definitions (top level or methods of a class) in another order."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    lines = source.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    bodies = [(tree.body, "\n\n")] + [(n.body, "\n") for n in tree.body if isinstance(n, ast.ClassDef)]
    moves = []
    for body, gap in bodies:  # two blank lines between functions, one between methods
        for run in definition_runs(body):
            starts = [min([d.lineno for d in f.decorator_list] + [f.lineno]) - 1 for f in run]
            ends = [*starts[1:], run[-1].end_lineno]
            pieces = ["".join(lines[a:b]).rstrip("\n") + "\n" for a, b in zip(starts, ends, strict=True)]
            order = list(range(len(pieces)))
            while order == sorted(order):
                rng.shuffle(order)
            moves.append((starts[0], ends[-1], gap.join(pieces[i] for i in order)))
    for start, end, text in sorted(moves, reverse=True):
        lines[start:end] = [text]
    return "".join(lines)


def disguise(source: str, rng: random.Random) -> str:
    """A copy of one cell's code with its local variables renamed and its functions reordered."""
    return reorder_functions(rename_locals(source, rng), rng)
