"""Provided code is written once in source_lib/provided/ and copied by the build into every release."""

from __future__ import annotations

import ast
import json

import nbformat
import pytest

from autograder.build.provided import ProvidedCodeError, insert_provided
from autograder.course import assignment_ids

from .conftest import ROOT

PROVIDED = ROOT / "source_lib" / "provided"


def release_code(assignment_id: str) -> list[str]:
    cells = json.loads((ROOT / "assignments" / assignment_id / f"{assignment_id}.ipynb").read_text())["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]


def canonical(name: str) -> str:
    for path in PROVIDED.glob("*.py"):
        for node in ast.parse(path.read_text()).body:
            if getattr(node, "name", None) == name:
                return ast.get_source_segment(path.read_text(), node)
    raise LookupError(name)


def notebook_of(*sources: str):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    return notebook


RELEASES_WITH_VALUE = [a for a in assignment_ids(ROOT) if a != "a1_values"]


@pytest.mark.parametrize("assignment_id", RELEASES_WITH_VALUE)
def test_every_release_provides_the_one_canonical_value(assignment_id):
    code = "\n".join(release_code(assignment_id))
    assert canonical("Value") in code and code.count("class Value") == 1


@pytest.mark.parametrize("assignment_id", [a for a in RELEASES_WITH_VALUE if a != "a3_backprop"])
def test_provided_backward_handles_a_loss_over_thousands_of_examples(assignment_id):
    """A mean over 5,000 terms is a graph 5,000 deep: no provided walk may recurse."""
    namespace: dict = {}
    exec((PROVIDED / "derivatives.py").read_text(), namespace)  # a2's students write these rules
    provided = next(c for c in release_code(assignment_id) if "class Value" in c)
    exec(provided, namespace)
    xs = [namespace["Value"](float(i)) for i in range(5000)]
    total = sum(x * x for x in xs)
    if "backward" in namespace:
        namespace["backward"](total)
        assert xs[3].grad == 6.0
    assert len(namespace["topological_order"](total)) == 3 * 5000 + 1


def test_a_name_the_notebook_defines_itself_is_not_provided_again():
    """a2's students write the rules that the provided Value calls."""
    notebook = notebook_of("from provided.values import Value\n", "def d_add(a, b):\n    return (1.0, 1.0)\n")
    insert_provided(notebook, PROVIDED)
    first = notebook.cells[0].source
    assert canonical("Value") in first and "def d_mul" in first and "def d_add" not in first
    assert "provided" not in first.split("class Value")[0].replace("# ----------", "")


def test_what_provided_code_needs_comes_with_it_once():
    notebook = notebook_of("import math\n\nfrom provided.backprop import backward\n\nprint(1)\n",
                           "from provided.values import topological_order\n")
    insert_provided(notebook, PROVIDED)
    first, second = notebook.cells[0].source, notebook.cells[1].source
    assert canonical("topological_order") in first and canonical("backward") in first
    assert first.index("def topological_order") < first.index("def backward")
    assert first.startswith("import math\n") and first.count("import math") == 1 and first.endswith("print(1)")
    assert second == ""


def test_an_unknown_provided_name_stops_the_build():
    with pytest.raises(ProvidedCodeError, match="defines no 'Nope'"):
        insert_provided(notebook_of("from provided.values import Nope\n"), PROVIDED)
