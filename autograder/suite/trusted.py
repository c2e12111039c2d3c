"""Small helpers hidden suites share; they run on the trusted side and look at plain data only."""

from __future__ import annotations

import numpy as np

from ..sandbox import Student


def is_number(x) -> bool:
    """A real int or float (a bool, a proxy or a string is not)."""
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def is_value(student: Student, x) -> bool:
    """True when x is a Value node living in the student's process."""
    if x is None or isinstance(x, (bool, int, float, str, list, tuple, dict)):
        return False
    return student.type_name(x) == "Value"


def signed(rng: np.random.Generator, low: float, high: float) -> float:
    """A random float with magnitude in [low, high] and a random sign."""
    magnitude = float(rng.uniform(low, high))
    return magnitude if rng.random() < 0.5 else -magnitude


def check_answer(student: Student, name: str):
    """The value a checkpoint question's cell set, or a failed test telling the student to set it."""
    assert student.has(name), f"{name} is not set: replace the raise line in its cell with {name} = <your answer>"
    return getattr(student, name)

