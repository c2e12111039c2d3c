"""A handed-in notebook put back in the shape of its release, with a sentence for every repair.

Jupyter lets a student delete, copy, move, split and merge cells, change a
cell's type, and it copies nbgrader's metadata along with a cell. Grading
needs the release's structure with the student's work in it, the same way
whichever command grades:

- every locked cell of the release (lesson text, provided code, visible
  checks) comes from the release, once and in its place, whatever happened
  to it; text a student added to one (a merge) is kept as their own cell;
- each answer cell keeps the student's text in the release's cell type and
  metadata; the first copy of it is the answer, later copies are the
  student's own cells;
- cells the student added stay after the release cell they followed, with
  any grading marks taken off: they run, and they earn nothing.

Outputs are cleared. Cell ids are renewed where missing or repeated
without a word, since they change nothing a student wrote. A restored
notebook restores to itself with no repairs.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

ROLE_TAGS = re.compile(r"^(checks:|manual:|solution$)")  # tags the build gives the release's graded cells
CELL_TYPES = ("code", "markdown", "raw")
GRADING_FLAGS = ("grade", "solution", "locked", "task")
VALID_ID = re.compile(r"^[a-zA-Z0-9-_]{1,64}$")
ATTACHMENT = re.compile(r"attachment:([^\s)\"'>]+)")


class NotebookNode(dict):
    """A notebook, cell or metadata table whose keys read as attributes, like nbformat's.

    Grading uses this one: importing nbformat (and the jsonschema it loads)
    would cost every grading command most of a second before it starts.
    Where a notebook is written, `nbformat.from_dict` takes it as it is.
    """

    def __getattr__(self, name: str):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value) -> None:
        self[name] = value


def from_dict(value):
    """Dicts inside value, at any depth, as NotebookNodes: a deep copy of notebook JSON, made anew.

    Four times faster than copy.deepcopy, and every student's notebook is restored from the release.
    """
    if isinstance(value, dict):
        return NotebookNode({key: from_dict(item) for key, item in value.items()})
    if isinstance(value, list | tuple):
        return [from_dict(item) for item in value]
    return value


@dataclass
class Restored:
    notebook: NotebookNode
    repairs: list[str] = field(default_factory=list)


def text(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(map(str, source)) if isinstance(source, list) else str(source)


def marks(cell: dict) -> dict:
    """A cell's nbgrader metadata, or {} when it has none that reads as such."""
    metadata = cell.get("metadata")
    grading = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    return grading if isinstance(grading, dict) else {}


def tags(cell: dict) -> list:
    metadata = cell.get("metadata")
    found = metadata.get("tags") if isinstance(metadata, dict) else None
    return [t for t in found if isinstance(t, str)] if isinstance(found, list) else []


def key(cell: dict) -> str | tuple:
    """What names a release cell: its nbgrader grade id, else its type and text."""
    grade_id = marks(cell).get("grade_id")
    return grade_id if isinstance(grade_id, str) else (cell.get("cell_type"), text(cell))


def is_answer(cell: dict) -> bool:
    return bool(marks(cell).get("solution"))


def grading_role(cell: dict) -> tuple:
    """What a cell's marks say about its grading: nbgrader's flags and points, and the role tags."""
    grading = marks(cell)
    flags = tuple(bool(grading.get(flag)) for flag in GRADING_FLAGS)
    return flags, grading.get("points") if grading.get("grade") else None, sorted(filter(ROLE_TAGS.match, tags(cell)))


def quote(cell: dict) -> str:
    """A cell named by its first line of text, as a student sees it in Jupyter."""
    line = next((line.strip() for line in text(cell).splitlines() if line.strip()), "")
    return f'"{line[:50]}{"..." if len(line) > 50 else ""}"' if line else "(empty)"


def fresh(cell: dict, cell_type: str, source: str, metadata: dict, cell_id: str | None = None) -> NotebookNode:
    """A clean cell of a type: no outputs, attachments only where the type allows them."""
    made = {"cell_type": cell_type, "metadata": metadata, "source": source}
    if cell_type == "code":
        made.update(outputs=[], execution_count=None)
    elif isinstance(cell.get("attachments"), dict) and cell.get("cell_type") == cell_type:
        made["attachments"] = cell["attachments"]
    cell_id = cell_id or cell.get("id")
    if isinstance(cell_id, str):
        made["id"] = cell_id
    return from_dict(made)


def own_cell(cell: dict, source: str | None = None) -> NotebookNode:
    """A cell of the student's own: their text and type, without grading marks or role tags."""
    metadata = cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {}
    metadata = {k: v for k, v in metadata.items() if k != "nbgrader"}
    kept = [t for t in tags(cell) if not ROLE_TAGS.match(t)]
    if kept:
        metadata["tags"] = kept
    else:
        metadata.pop("tags", None)
    return fresh(cell, cell["cell_type"], text(cell) if source is None else source, metadata)


def carries_marks(cell: dict) -> bool:
    metadata = cell.get("metadata")
    return (isinstance(metadata, dict) and "nbgrader" in metadata) or any(ROLE_TAGS.match(t) for t in tags(cell))


def readable(cell: object) -> bool:
    return isinstance(cell, dict) and cell.get("cell_type") in CELL_TYPES


class Restorer:
    """One pass over the handed-in cells, in order, against the release."""

    def __init__(self, release: NotebookNode):
        self.release = release
        self.slots = {key(cell): cell for cell in release.cells}
        self.order = {name: index for index, name in enumerate(self.slots)}
        self.filled: dict = {}  # release key -> the cell that fills its slot
        self.added: dict = {}  # release key (None: the top) -> the student's own cells after it
        self.anchor = None
        self.furthest = -1
        self.repairs: list[str] = []

    def add_own(self, cell: NotebookNode) -> None:
        self.added.setdefault(self.anchor, []).append(cell)

    def take(self, cell: object) -> None:
        if not readable(cell):
            self.repairs.append("A cell that Jupyter could not read (no known cell type) was left out.")
            return
        name = key(cell)
        slot = self.slots.get(name)
        if slot is None:
            self.take_own(cell)
        elif name in self.filled:
            self.take_copy(cell, slot)
        else:
            self.take_slot(cell, slot, name)

    def take_own(self, cell: dict) -> None:
        if carries_marks(cell):
            self.repairs.append(f"Your cell {quote(cell)} carried grading marks that are not the assignment's; "
                                "they were taken off: it runs as your own code and earns no points itself.")
        self.add_own(own_cell(cell))

    def take_copy(self, cell: dict, slot: NotebookNode) -> None:
        if is_answer(slot):
            self.repairs.append(f"Your cell {quote(cell)} carried the grading marks of an answer cell (copied or "
                                "split from it): the first such cell is graded as the answer, this one runs as "
                                "your own code.")
            self.add_own(own_cell(cell))
            return
        self.repairs.append(f"A copy of the assignment's cell {quote(slot)} was removed: the assignment's cells "
                            "count once.")
        self.keep_added_text(cell, slot)

    def take_slot(self, cell: dict, slot: NotebookNode, name: str | tuple) -> None:
        index = self.order[name]
        if index < self.furthest:
            self.repairs.append(f"The cell {quote(slot)} had been moved; it is graded in the assignment's place.")
        self.furthest = max(self.furthest, index)
        self.anchor = name
        if grading_role(cell) != grading_role(slot):
            self.repairs.append(f"The grading marks of the cell {quote(slot)} had been changed; the "
                                "assignment's were put back.")
        if is_answer(slot):
            if cell["cell_type"] != slot.cell_type:
                self.repairs.append(f"Your answer cell {quote(cell)} had been made a {cell['cell_type']} cell; it "
                                    f"is graded as a {slot.cell_type} cell, as in the assignment.")
            self.filled[name] = fresh(cell, slot.cell_type, text(cell), slot.metadata, slot.get("id"))
            return
        self.filled[name] = slot
        if text(cell) != slot.source or cell["cell_type"] != slot.cell_type:
            self.repairs.append(f"The assignment's cell {quote(slot)} had been changed; it was put back as "
                                "released (changes there are not graded).")
            self.keep_added_text(cell, slot)

    def keep_added_text(self, cell: dict, slot: NotebookNode) -> None:
        """Text around the assignment's own (a merge, or code added to a locked cell) stays the student's cell."""
        before, found, after = text(cell).partition(slot.source) if slot.source.strip() else ("", "", "")
        extra = [part.strip("\n") for part in (before, after) if part.strip()] if found else []
        if extra:
            self.repairs.append(f"What you had added to the cell {quote(slot)} runs as a cell of your own.")
            self.add_own(own_cell(cell, "\n".join(extra)))

    def notebook(self) -> NotebookNode:
        cells = list(self.added.get(None, []))
        for name, slot in self.slots.items():
            if name not in self.filled:
                if is_answer(slot) and not marks(slot).get("grade"):  # its stub would undo code merged elsewhere
                    self.repairs.append(f"The answer cell {quote(slot)} was not in the notebook; an empty one "
                                        "takes its place, and code written elsewhere in the notebook is still graded.")
                    self.filled[name] = fresh(slot, slot.cell_type, "", slot.metadata, slot.get("id"))
                else:
                    what = "answer cell" if is_answer(slot) else "cell"
                    self.repairs.append(f"The assignment's {what} {quote(slot)} was missing; it was put back "
                                        "as released.")
                    self.filled[name] = slot
            cells.append(self.filled[name])
            cells += self.added.get(name, [])
        notebook = from_dict({"cells": cells, "metadata": self.release.metadata,
                              "nbformat": 4, "nbformat_minor": self.release.nbformat_minor})
        unique_ids(notebook.cells)
        for cell in notebook.cells:
            self.drop_missing_attachments(cell)
        return notebook

    def drop_missing_attachments(self, cell: NotebookNode) -> None:
        """A picture named `attachment:x` that the cell does not carry stops nbgrader's feedback: unlink it."""
        if cell.cell_type != "markdown":
            return
        attached = cell.get("attachments") if isinstance(cell.get("attachments"), dict) else {}
        missing = sorted({name for name in ATTACHMENT.findall(cell.source) if name not in attached})
        if missing:
            cell.source = ATTACHMENT.sub(lambda m: m.group(1) if m.group(1) in missing else m.group(0), cell.source)
            self.repairs.append(f"Your cell {quote(cell)} showed a picture that is not attached to it "
                                f"({', '.join(missing)}); the link was taken out so that your feedback can be shown.")


def unique_ids(cells: list[NotebookNode]) -> list[NotebookNode]:
    """Release cells keep their ids; any other cell whose id is missing, invalid or taken gets a new one."""
    taken = {cell.get("id") for cell in cells if cell.get("id") and VALID_ID.match(cell["id"])}
    seen, number = set(), 0
    for cell in cells:
        current = cell.get("id")
        if isinstance(current, str) and VALID_ID.match(current) and current not in seen:
            seen.add(current)
            continue
        number += 1
        while f"cell-{number}" in taken or f"cell-{number}" in seen:
            number += 1
        cell["id"] = f"cell-{number}"
        seen.add(cell["id"])
    return cells


def restore(handed_in: dict, release: NotebookNode) -> Restored:
    """The handed-in notebook in the release's shape, and what had to be repaired, in words."""
    restorer = Restorer(release)
    cells = handed_in.get("cells")
    for cell in cells if isinstance(cells, list) else []:
        restorer.take(cell)
    return Restored(restorer.notebook(), restorer.repairs)


def read_release(path: Path) -> NotebookNode:
    """The release notebook, read once per version of the file; a copy, so a caller may change it."""
    return from_dict(shared_release(path))


def shared_release(path: Path) -> NotebookNode:
    """The release notebook as read once per version of the file, shared: only to read (`restore` copies
    what it takes from it)."""
    path = Path(path)
    return _parsed_release(str(path.resolve()), path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=16)
def _parsed_release(path: str, version: int) -> NotebookNode:
    """nbformat 4, as nbgrader writes releases; an older format is upgraded by nbformat."""
    notebook = json.loads(Path(path).read_text(encoding="utf-8"))
    if notebook.get("nbformat") != 4:
        import nbformat

        notebook = nbformat.read(path, as_version=4)
    for cell in notebook["cells"]:
        cell["source"] = text(cell)  # the file keeps it as a list of lines; nbformat's reader joins them too
    return from_dict(notebook)
