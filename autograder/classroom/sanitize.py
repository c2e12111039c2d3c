"""nbgrader's own first autograde pass (clear outputs, restore protected cells, check metadata), for many
notebooks in one process.

nbgrader's steps look the source notebook up in the gradebook again for
every cell of every submission, and check every cell's metadata against
its schema from scratch. Neither answer changes during a run, so here the
three steps that do this run as small subclasses that ask once per
grading process. Every other step, and every step a course configures
itself, runs as nbgrader ships it.
"""

from __future__ import annotations

import functools
import json

from nbconvert.preprocessors import Preprocessor
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.nbgraderformat import MetadataValidator
from nbgrader.preprocessors import CheckCellMetadata, OverwriteCells, OverwriteKernelspec
from traitlets.config import Config
from traitlets.utils.importstring import import_item


class SourceLookups:
    """The gradebook's answers about the source notebook, each asked once.

    Rows come back detached from the database session, with their columns
    loaded, so no read transaction stays open while the run writes grades.
    """

    def __init__(self, db_url: str):
        self.gradebook = Gradebook(db_url)
        self.answers: dict[tuple, object] = {}

    def ask(self, question: str, *args: str):
        key = (question, *args)
        if key not in self.answers:
            try:
                self.answers[key] = getattr(self.gradebook, question)(*args)
            except MissingEntry as missing:
                self.answers[key] = missing
            finally:
                self.gradebook.db.close()
        answer = self.answers[key]
        if isinstance(answer, MissingEntry):
            raise answer
        return answer

    def find_source_cell(self, name: str, notebook: str, assignment: str):
        return self.ask("find_source_cell", name, notebook, assignment)

    def find_graded_cell(self, name: str, notebook: str, assignment: str):
        return self.ask("find_graded_cell", name, notebook, assignment)

    def find_notebook(self, notebook: str, assignment: str):
        return self.ask("find_notebook", notebook, assignment)


@functools.cache
def source_lookups(db_url: str) -> SourceLookups:
    return SourceLookups(db_url)


class OverwriteCellsOnce(OverwriteCells):
    """nbgrader's OverwriteCells (locked and grade cells restored from the source), with cached lookups."""

    def preprocess(self, nb, resources):
        if self.add_missing_cells:  # re-adding cells walks the source notebook's relationships: nbgrader's way
            return super().preprocess(nb, resources)
        self.notebook_id = resources["nbgrader"]["notebook"]
        self.assignment_id = resources["nbgrader"]["assignment"]
        self.gradebook = source_lookups(resources["nbgrader"]["db_url"])
        return Preprocessor.preprocess(self, nb, resources)  # nbgrader's preprocess_cell for every cell


class OverwriteKernelspecOnce(OverwriteKernelspec):
    """nbgrader's OverwriteKernelspec (the source notebook's kernel), with a cached lookup."""

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        kernelspec = source_lookups(info["db_url"]).find_notebook(info["notebook"], info["assignment"]).kernelspec
        if kernelspec:
            nb.metadata["kernelspec"] = json.loads(kernelspec)
        return nb, resources


class RememberingValidator(MetadataValidator):
    """nbgrader's metadata checks, skipped for metadata already found valid in this process.

    A cell's check depends only on its type and its nbgrader metadata, and
    after the cells are restored from the source those repeat in every
    submission.
    """

    valid: set[str] = set()

    def validate_cell(self, cell) -> None:
        key = json.dumps([cell.cell_type, cell.metadata.get("nbgrader")], sort_keys=True, default=str)
        if key not in self.valid:
            super().validate_cell(cell)
            self.valid.add(key)


class CheckCellMetadataOnce(CheckCellMetadata):
    """nbgrader's CheckCellMetadata, remembering metadata it already found valid."""

    def preprocess(self, nb, resources):
        RememberingValidator().validate_nb(nb)  # raises nbgrader's ValidationError: the notebook is unreadable
        return nb, resources


CACHED = {OverwriteCells: OverwriteCellsOnce, OverwriteKernelspec: OverwriteKernelspecOnce,
          CheckCellMetadata: CheckCellMetadataOnce}


def sanitize(steps: list, config: Config, notebook, resources: dict):
    """Runs nbgrader's sanitize steps (`Autograde.sanitize_preprocessors`) over one notebook."""
    for step in steps:
        step = import_item(step) if isinstance(step, str) else step
        notebook, resources = CACHED.get(step, step)(config=config).preprocess(notebook, resources)
    return notebook
