"""Provided code: reference code written once in `source_lib/provided/`, copied into each release.

A master notebook imports what it provides like any module,
`from provided.backprop import backward, zero_grad`, so the master stays
real Python that the linter checks. The build replaces those imports with
the definitions themselves, each course part under a banner from its module
docstring, plus whatever they need (`backward` needs `topological_order`)
unless the notebook defines that name itself (a2's students write the rules
its `Value` calls). Every release so stands alone and provides the same code.
"""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass
from pathlib import Path

import jupytext

from ..course import Assignment

PACKAGE = "provided"


class ProvidedCodeError(Exception):
    """A master notebook imports a part or name that `source_lib/provided/` does not have."""


@dataclass(frozen=True)
class Definition:
    name: str
    part: str
    source: str
    needs: tuple[str, ...]  # names it uses that its part imports from other parts


@dataclass(frozen=True)
class Part:
    banner: str  # the module docstring's first line, "A1: the Value node, ...": it orders the parts
    imports: tuple[str, ...]  # standard-library imports, as written
    definitions: dict[str, Definition]


def statement_source(lines: list[str], node: ast.stmt) -> str:
    start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", ()))])
    return "".join(lines[start - 1:node.end_lineno]).rstrip()


@functools.cache
def read_part(folder: Path, name: str) -> Part:
    path = folder / f"{name}.py"
    if not path.is_file():
        raise ProvidedCodeError(f"no provided part {name!r} (looked for {path})")
    text = path.read_text()
    lines = text.splitlines(keepends=True)
    tree = ast.parse(text)
    banner = (ast.get_docstring(tree) or name).splitlines()[0].rstrip(".")
    imports, from_parts, nodes = [], set(), []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level:
            from_parts.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            imports.append(statement_source(lines, node))
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            nodes.append(node)
        elif not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
            raise ProvidedCodeError(f"{path}: a provided part holds imports and definitions only")
    definitions = {}
    for node in nodes:
        used = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        definitions[node.name] = Definition(node.name, name, statement_source(lines, node),
                                            tuple(sorted(used & from_parts)))
    return Part(banner, tuple(imports), definitions)


def find(folder: Path, name: str) -> Definition:
    """The definition of a name in whichever part defines it."""
    for path in sorted(folder.glob("*.py")):
        if path.stem != "__init__" and name in read_part(folder, path.stem).definitions:
            return read_part(folder, path.stem).definitions[name]
    raise ProvidedCodeError(f"no provided part defines {name!r}")


def provided_imports(tree: ast.Module) -> list[ast.ImportFrom]:
    return [node for node in tree.body if isinstance(node, ast.ImportFrom) and not node.level
            and (node.module or "").split(".")[0] == PACKAGE]


def own_definitions(notebook) -> set[str]:
    """Names the notebook itself defines at top level (lesson code and the student's functions)."""
    names = set()
    for cell in notebook.cells:
        if cell.cell_type == "code":
            for node in ast.parse(cell.source).body:
                if isinstance(node, ast.FunctionDef | ast.ClassDef):
                    names.add(node.name)
    return names


def resolve(folder: Path, wanted: list[tuple[str, str]], skip: set[str]) -> list[tuple[str, Definition]]:
    """The definitions asked for (part, name) and those they need, each once, needs first."""
    found: dict[str, Definition] = {}

    def add(name: str, definition: Definition) -> None:
        if name in found or name in skip:
            return
        for need in definition.needs:
            add(need, find(folder, need))
        found[name] = definition

    for part, name in wanted:
        definitions = read_part(folder, part).definitions
        if name not in definitions:
            raise ProvidedCodeError(f"provided part {part!r} defines no {name!r}")
        add(name, definitions[name])
    return list(found.items())


def merged_imports(lines: list[str]) -> list[str]:
    unique = list(dict.fromkeys(lines))
    return sorted(i for i in unique if i.startswith("import ")) + sorted(i for i in unique if i.startswith("from "))


def expand_cell(source: str, folder: Path, skip: set[str]) -> tuple[str, list[str]]:
    """A cell's source with its `from provided... import` lines replaced by code, and the names it provided."""
    tree = ast.parse(source)
    imports = provided_imports(tree)
    if not imports:
        return source, []
    lines = source.splitlines(keepends=True)
    leading = 0
    while leading < len(tree.body) and isinstance(tree.body[leading], ast.Import | ast.ImportFrom):
        leading += 1
    if any(node not in tree.body[:leading] for node in imports):
        raise ProvidedCodeError("provided code is imported at the top of a cell, before any other code")
    wanted = [(node.module.split(".", 1)[1], alias.name) for node in imports for alias in node.names]
    definitions = resolve(folder, wanted, skip)
    own_imports = [statement_source(lines, node) for node in tree.body[:leading] if node not in imports]
    part_imports = [i for part in dict.fromkeys(d.part for _, d in definitions)
                    for i in read_part(folder, part).imports]
    blocks = ["\n".join(merged_imports(own_imports + part_imports))]
    for part in sorted({d.part for _, d in definitions}, key=lambda p: read_part(folder, p).banner):
        order = list(read_part(folder, part).definitions)  # course order (A1, A2, ...), then the module's
        chosen = sorted((d for _, d in definitions if d.part == part), key=lambda d: order.index(d.name))
        code = "\n\n\n".join(d.source for d in chosen)
        blocks.append(f"# ---------- {read_part(folder, part).banner} ----------\n\n{code}")
    blocks.append("".join(lines[tree.body[leading - 1].end_lineno:]).strip())
    return "\n\n\n".join(b for b in blocks if b), [name for name, _ in definitions]


def insert_provided(notebook, folder: Path) -> None:
    """Replaces every `from provided... import` in the notebook's code cells by the code it names."""
    skip = own_definitions(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.source, names = expand_cell(cell.source, folder, skip)
            skip.update(names)


def read_master(assignment: Assignment, text: str | None = None):
    """The master notebook of an assignment (or `text` in its place, e.g. a mutant), its provided code filled in."""
    notebook = jupytext.read(assignment.source) if text is None else jupytext.reads(text, fmt="py:percent")
    insert_provided(notebook, assignment.folder.parent / PACKAGE)
    return notebook
