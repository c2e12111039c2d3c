"""Thousands of notebooks a student could hand in, graded every way, with every record compared.

The property test (tests/test_restore.py) grades a few classes in `make
test`; this runs the same cases and the same checks (tests/handed_in.py)
for as long as asked, on the toy course: classes of edited notebooks
(cells deleted, copied, moved, split, merged, retyped, their ids and
nbgrader metadata dropped or copied, locked cells edited, outputs,
attachments and huge outputs added, older nbformat versions, extra files
beside), each graded by `atomgpt autograde`, `nbgrader autograde` and
`atomgpt grade`. A case that breaks a check is recorded and the run goes
on; the summary gives how many cases were tried and each distinct finding
with the steps that made it.

    python bench/handed_in.py [--cases 2000] [--minutes 60] [--class-size 10] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the checks and strategies live beside the tests that use them

from autograder.build import generate_release, write_source  # noqa: E402
from autograder.classroom.config import write_config  # noqa: E402
from autograder.course import load_assignment  # noqa: E402
from tests.conftest import TOY_ROOT  # noqa: E402
from tests.handed_in import check_class, edited  # noqa: E402
from tests.test_restore import STARTS  # noqa: E402


class Enough(Exception):
    """The case or time budget is spent."""


def toy_course(folder: Path) -> Path:
    course = folder / "course"
    assignment = load_assignment("toy", TOY_ROOT)
    write_config(course, TOY_ROOT)
    write_source(assignment, course)
    generate_release(assignment, course)
    return course


def run(cases: int, minutes: float, class_size: int) -> dict:
    """Grades classes of random cases until the budget is spent; returns counts and findings."""
    started, tried, findings = time.monotonic(), Counter(), {}
    with tempfile.TemporaryDirectory() as scratch:
        template = toy_course(Path(scratch))

        @settings(max_examples=10**9, deadline=None, database=None, phases=[Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(st.lists(edited(STARTS, "toy", max_edits=6), min_size=class_size, max_size=class_size))
        def grade_a_class(batch):
            if tried["cases"] >= cases or time.monotonic() - started > minutes * 60:
                raise Enough
            with tempfile.TemporaryDirectory() as work:
                try:
                    check_class(TOY_ROOT, "toy", template, batch, Path(work))
                except Exception as error:  # a finding: recorded, and the run goes on
                    kind = f"{type(error).__name__}: {str(error).splitlines()[0][:1000] if str(error) else ''}"
                    findings.setdefault(kind, []).append(" | ".join(str(case) for case in batch))
            tried["cases"] += len(batch)
            tried["classes"] += 1
            for case in batch:
                tried.update(step.split(" ")[0] for step in case.steps[1:])
            print(f"{tried['cases']} cases in {time.monotonic() - started:.0f} s, {len(findings)} findings",
                  flush=True)

        try:
            grade_a_class()
        except Enough:
            pass
    return {"cases": tried.pop("cases", 0), "classes": tried.pop("classes", 0),
            "seconds": round(time.monotonic() - started), "edits": dict(tried.most_common()),
            "findings": {kind: {"count": len(where), "first": where[0]} for kind, where in findings.items()}}


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--cases", type=int, default=2000)
    options.add_argument("--minutes", type=float, default=60)
    options.add_argument("--class-size", type=int, default=10)
    options.add_argument("--json", type=Path)
    args = options.parse_args()
    summary = run(args.cases, args.minutes, args.class_size)
    text = json.dumps(summary, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
