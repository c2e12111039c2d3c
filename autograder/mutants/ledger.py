"""mutants.toml: what an assignment's authors decided about its mutants.

    sample = ["missing_call:fit_line:8:0", ...]  # graded by `make test`; each was killed when listed

    [[equivalent]]   # behaves like the solution for every input the contract allows
    id = "..."
    reason = "why"

    [[accepted]]     # survives, and catching it is not worth a test
    id = "..."
    reason = "why"

    [[expect]]       # the misconception messages that name this mutant's mistake
    id = "..."
    misconceptions = ["..."]

The file is optional; every id it names must be a mutant the generator makes.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

FILE = "mutants.toml"


class LedgerError(Exception):
    """mutants.toml is malformed or names mutants that are not made."""


@dataclass(frozen=True)
class Ledger:
    equivalent: dict[str, str] = field(default_factory=dict)  # id -> reason
    accepted: dict[str, str] = field(default_factory=dict)  # id -> reason
    expect: dict[str, frozenset[str]] = field(default_factory=dict)  # id -> misconception ids
    sample: tuple[str, ...] = ()

    def unknown(self, ids: Iterable[str]) -> list[str]:
        """The ids this ledger names that are not among `ids`."""
        made = set(ids)
        named = [*self.equivalent, *self.accepted, *self.expect, *self.sample]
        return sorted({i for i in named if i not in made})


def load_ledger(folder: Path) -> Ledger:
    path = folder / FILE
    if not path.is_file():
        return Ledger()
    data = tomllib.loads(path.read_text())

    def reasons(kind: str) -> dict[str, str]:
        entries = data.get(kind, [])
        for entry in entries:
            if not entry.get("id") or not entry.get("reason"):
                raise LedgerError(f"{path}: each [[{kind}]] needs an id and a reason")
        return {entry["id"]: entry["reason"] for entry in entries}

    equivalent, accepted = reasons("equivalent"), reasons("accepted")
    both = set(equivalent) & set(accepted)
    if both:
        raise LedgerError(f"{path}: listed as both equivalent and accepted: {sorted(both)}")
    expect = {entry["id"]: frozenset(entry.get("misconceptions", ())) for entry in data.get("expect", [])}
    return Ledger(equivalent, accepted, expect, tuple(data.get("sample", ())))
