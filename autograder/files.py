"""Files that are whole or absent: what a run killed halfway leaves behind."""

from __future__ import annotations

import json
import os
from pathlib import Path


def replace_text(path: Path, text: str) -> None:
    """Writes aside, then renames into place: a reader sees the old file or the new one, never half of one."""
    temporary = path.with_name(f".{path.name}.tmp{os.getpid()}")
    temporary.write_text(text)
    os.replace(temporary, path)


def write_atomically(path: Path, data: dict) -> None:
    """A JSON record, written whole (see `replace_text`)."""
    replace_text(path, json.dumps(data, indent=2) + "\n")
