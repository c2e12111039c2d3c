"""How much time, memory and output one submission may use."""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Limits:
    call_timeout: float = 2.0  # seconds one call into student code may take
    load_timeout: float = 10.0  # seconds running the notebook's cells may take
    budget: float = 20.0  # wall seconds for the whole submission
    memory_mb: int = 512  # address space of the student's process
    output_chars: int = 2000  # printed text kept per call
    file_mb: int = 16  # largest file the student's process may write

    @classmethod
    def from_table(cls, table: dict) -> Limits:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(table) - known)
        if unknown:
            raise ValueError(f"unknown limits: {', '.join(unknown)} (known: {', '.join(sorted(known))})")
        return cls(**table)
