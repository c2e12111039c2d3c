"""What a generated file must not remember about the machine that built it.

Executing a notebook stamps it with the kernel's interpreter version, and
a solution's printed figures and trained checkpoint can move in their last
digits between Python and numpy releases (Python 3.12 sums floats more
exactly than 3.11). A course built on Python 3.13, by another user, in
another folder, is the same course: generated notebooks are written with
the machine's details pinned, and the staleness check compares what the
course is made of: numbers to `RELATIVE_TOLERANCE`, and a printed decimal
to one unit of its last printed digit.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager

from ..release_info import KEY

NOTEBOOK_METADATA = {
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}
RELATIVE_TOLERANCE = 1e-6
NUMBER = re.compile(r"-?\d+\.\d+(?:[eE][-+]?\d+)?")


def pin_machine_details(notebook) -> None:
    """The course's own notebook metadata (the kernel, the release's description), no per-cell execution stamps."""
    course = {KEY: notebook.metadata[KEY]} if KEY in notebook.metadata else {}
    notebook.metadata = nbformat.from_dict(json.loads(json.dumps({**NOTEBOOK_METADATA, **course})))
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)


def own_kernel() -> AsyncKernelManager:
    """A kernel of the interpreter running the build, never a user's own `python3` kernelspec."""
    return AsyncKernelManager(kernel_name="python3", kernel_spec_manager=KernelSpecManager(kernel_dirs=[]))


def _close(a: float, b: float, last_digit: float = 0.0) -> bool:
    return abs(a - b) <= last_digit * (1 + 1e-9) or math.isclose(
        a, b, rel_tol=RELATIVE_TOLERANCE, abs_tol=RELATIVE_TOLERANCE)


def _last_digit(number: str) -> float:
    mantissa, _, exponent = number.lower().partition("e")
    return 10.0 ** (int(exponent or 0) - len(mantissa.partition(".")[2]))


def _same_printed(a: str, b: str) -> bool:
    """Printed decimals agree to one unit of the last digit both show (2.4731 and 2.4732 do)."""
    numbers_a, numbers_b = NUMBER.findall(a), NUMBER.findall(b)
    if NUMBER.sub("#", a) != NUMBER.sub("#", b) or len(numbers_a) != len(numbers_b):
        return False
    return all(_close(float(x), float(y), max(_last_digit(x), _last_digit(y)))
               for x, y in zip(numbers_a, numbers_b, strict=True))


def same_content(a, b, printed: bool = False) -> bool:
    """Equal as data: floats within the tolerance; what a cell printed, to its last printed digit."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_content(a[k], b[k], printed or k == "outputs") for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_content(x, y, printed) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, int | float) and isinstance(b, int | float) and _close(a, b)
    if printed and isinstance(a, str) and isinstance(b, str):
        return a == b or _same_printed(a, b)
    return a == b


def course_content(path: Path):
    """What a generated file is made of: a notebook without machine details, JSON as data, else bytes."""
    if path.suffix == ".ipynb":
        notebook = nbformat.read(path, as_version=4)
        pin_machine_details(notebook)
        return json.loads(nbformat.writes(notebook))
    if path.suffix == ".json":
        return json.loads(path.read_text())
    return path.read_bytes()
