"""Stand-ins for the names a course notebook defines, for helpers that run among them.

A helper shipped with `student.define` is defined in the student's process
among the notebook's globals, where `Value` is the notebook's own class.
Importing this stand-in lets the helper's module be read and linted; on the
grader's side it refuses to be used.
"""

from __future__ import annotations


class Value:
    """The notebook's Value class, as seen by a helper running in the student's process."""

    def __init__(self, *args, **kwargs):
        raise RuntimeError("a student-side helper ran in the grader's process: call it through student.define")
