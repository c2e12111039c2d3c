"""Runs a student's code in a separate, bounded process and talks plain data."""

from .launcher import Boundary, SandboxError, strongest_boundary
from .limits import Limits
from .session import (
    Cell,
    LimitReached,
    LoadReport,
    MissingName,
    Remote,
    Student,
    StudentCrashed,
    StudentError,
    StudentRaised,
    StudentSession,
    StudentTimeout,
)

__all__ = [
    "Boundary", "Cell", "SandboxError", "LimitReached", "Limits", "LoadReport", "MissingName", "Remote",
    "Student", "StudentCrashed", "StudentError", "StudentRaised", "StudentSession",
    "StudentTimeout", "strongest_boundary",
]
