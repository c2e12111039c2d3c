"""Whether nbgrader would refuse a handed-in notebook: a quick look at its shape, and nbformat itself otherwise."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import nbformat
from hypothesis import given, settings
from hypothesis import strategies as st

from autograder.classroom.autograde import nbgrader_refusal, plainly_readable

from .conftest import TOY_ROOT

SOLVED = json.loads((TOY_ROOT / "solutions" / "toy" / "toy.ipynb").read_text())
SOLVED["cells"][1]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["4\n"]},
                                 {"output_type": "execute_result", "data": {"text/plain": ["4"]}, "metadata": {},
                                  "execution_count": 1}]
KEYS = ["cells", "metadata", "nbformat", "source", "outputs", "output_type", "data", "text", "attachments",
        "cell_type", "image/png", "nbformat_minor", "id", "name"]
ANY_JSON = st.recursive(st.none() | st.booleans() | st.integers(3, 5) | st.sampled_from(["", "code", "x\n"]),
                        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(KEYS), inner,
                                                                                     max_size=3),
                        max_leaves=6)


@st.composite
def damaged(draw) -> dict:
    """The solved notebook with a few values anywhere in it replaced, removed or added."""
    notebook = copy.deepcopy(SOLVED)
    for _ in range(draw(st.integers(1, 3))):
        node = notebook
        while isinstance(node, (dict, list)) and node and draw(st.booleans()):
            key = draw(st.sampled_from(sorted(node) if isinstance(node, dict) else range(len(node))))
            if not isinstance(node[key], (dict, list)):
                break
            node = node[key]
        if isinstance(node, dict):
            key = draw(st.sampled_from([*node, *KEYS]))
            if key in node and draw(st.booleans()):
                del node[key]
            else:
                node[key] = draw(ANY_JSON)
        elif isinstance(node, list) and node:
            node[draw(st.integers(0, len(node) - 1))] = draw(ANY_JSON)
    return notebook


def test_a_notebook_as_jupyter_writes_it_is_plainly_readable():
    assert plainly_readable(SOLVED)
    assert plainly_readable(json.loads(nbformat.v4.writes(nbformat.from_dict(SOLVED))))


@settings(max_examples=1500, deadline=None)
@given(damaged())
def test_whatever_looks_plainly_readable_nbformat_reads(notebook):
    if plainly_readable(notebook):
        nbformat.reads(json.dumps(notebook), as_version=4)  # raises what nbgrader would report


def test_what_nbformat_cannot_read_is_named(tmp_path: Path):
    broken = copy.deepcopy(SOLVED)
    broken["cells"][0] = "not a cell"
    path = tmp_path / "toy.ipynb"
    path.write_text(json.dumps(broken))
    assert nbgrader_refusal(path) == "nbformat cannot read it (ValidationError)"
    path.write_text(json.dumps(SOLVED))
    assert nbgrader_refusal(path) is None
