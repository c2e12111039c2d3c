"""Reading submissions: clear messages for anything that cannot run."""

from __future__ import annotations

import json

import pytest

from autograder.submission import SubmissionError, read_submission

from .conftest import write_code_notebook


def test_code_cells_run_and_check_cells_are_kept_apart(toy):
    program = read_submission(toy.folder.parent.parent / "solutions" / "toy" / "toy.ipynb")
    assert "def square" in program.cells[0].source
    assert set(program.checks) == {"squares", "counting"}
    assert all("assert" not in cell.source for cell in program.cells)


def test_notebook_commands_are_skipped_and_noted(tmp_path):
    path = write_code_notebook(tmp_path / "n.ipynb", "%matplotlib inline\n!pip install x\nx = 1")
    program = read_submission(path)
    assert "x = 1" in program.cells[0].source and "pass  # not run" in program.cells[0].source
    assert program.notes


def test_heavy_cells_are_left_to_the_student(tmp_path):
    path = write_code_notebook(tmp_path / "n.ipynb", "def f():\n    return 1", "train_for_an_hour()")
    notebook = json.loads(path.read_text())
    notebook["cells"][1]["metadata"]["tags"] = ["heavy"]
    path.write_text(json.dumps(notebook))
    assert [cell.source for cell in read_submission(path).cells] == ["def f():\n    return 1"]


def test_a_handed_in_file_must_be_a_plain_file_of_bounded_size(tmp_path):
    from autograder.suite.plugin import read_handed_in

    (tmp_path / "checkpoint.json").write_bytes(b"{}")
    (tmp_path / "big.json").write_bytes(b"0" * (2 * 1024 * 1024))
    (tmp_path / "link.json").symlink_to(tmp_path / "checkpoint.json")
    (tmp_path / "folder.json").mkdir()
    assert read_handed_in(tmp_path, "checkpoint.json") == b"{}"
    for name, message in [("missing.json", "was not handed in"), ("link.json", "not a link"),
                          ("folder.json", "not a link or a folder"), ("big.json", "larger than 1 MB")]:
        with pytest.raises(AssertionError, match=message):
            read_handed_in(tmp_path, name, max_mb=1)


@pytest.mark.parametrize("content, message", [
    (b"", "is empty"),
    (b'{"cells": [', "not a valid notebook: it is not JSON"),
    (b"\xff\xfe\x00", "not JSON"),
    (b'{"hello": 1}', "not a Jupyter notebook"),
    (b"[1, 2]", "not a Jupyter notebook"),
])
def test_unusable_files_get_a_clear_message(tmp_path, content, message):
    path = tmp_path / "a1_values.ipynb"
    path.write_bytes(content)
    with pytest.raises(SubmissionError, match=message):
        read_submission(path)


def test_a_folder_with_no_notebook(tmp_path):
    (tmp_path / "notes.txt").write_text("hi")
    with pytest.raises(SubmissionError, match="holds no notebook"):
        read_submission(tmp_path)


def test_a_folder_with_several_notebooks_prefers_the_assignment_one(tmp_path):
    write_code_notebook(tmp_path / "scratch.ipynb", "x = 1")
    write_code_notebook(tmp_path / "toy.ipynb", "y = 2")
    assert read_submission(tmp_path, "toy").notebook.name == "toy.ipynb"
    with pytest.raises(SubmissionError, match="several notebooks"):
        read_submission(tmp_path, "other")


def test_checkpoint_copies_are_ignored(tmp_path):
    write_code_notebook(tmp_path / ".ipynb_checkpoints" / "toy-checkpoint.ipynb", "x = 1")
    write_code_notebook(tmp_path / "toy.ipynb", "y = 2")
    assert read_submission(tmp_path).notebook.name == "toy.ipynb"


def test_a_missing_path_is_not_a_submission_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_submission(tmp_path / "nope.ipynb")


def test_cells_that_lost_their_metadata_still_run(tmp_path):
    path = tmp_path / "n.ipynb"
    path.write_text(json.dumps({"cells": [{"cell_type": "code", "source": ["x = ", "1"]}]}))
    assert read_submission(path).cells[0].source == "x = 1"
