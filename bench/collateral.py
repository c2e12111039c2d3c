"""Known bugs that cost points outside their own checkpoint: where a grade is not yet fair.

A mistake should cost points only in the checkpoints about the code that has
it (and in a milestone that integrates it). This grades every bug variant of
`variants.toml` with one fixed seed and lists the other checkpoints each one
loses points on, milestones apart, with a count per assignment.

    python bench/collateral.py [ASSIGNMENT...]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from autograder.batch import Job, grade_class
from autograder.course import assignment_ids, load_assignment
from autograder.hidden_inputs import HiddenInputs
from autograder.variants import load_variants, variant_submissions

ROOT = Path(__file__).resolve().parent.parent
INTEGRATING = ("milestone", "capstone")  # checkpoints about the parts working together


def collateral(assignment_id: str) -> dict[str, dict[str, float]]:
    """bug variant -> {other checkpoint: points lost}, for the bugs that lose points elsewhere."""
    assignment = load_assignment(assignment_id, ROOT)
    solved = ROOT / "solutions" / assignment_id / f"{assignment_id}.ipynb"
    points = {c.id: c.points for c in assignment.rubric.checkpoints}
    with tempfile.TemporaryDirectory() as scratch:
        written = [(v, p) for v, p in variant_submissions(assignment, solved, Path(scratch)) if v.kind == "bug"]
        results = grade_class(ROOT, assignment_id, [Job(v.id, p) for v, p in written], Path(scratch) / "results",
                              inputs=HiddenInputs.given(7))
    found = {}
    for variant, _ in written:
        lost = {c["id"]: round(points[c["id"]] - c["score"], 2)
                for c in results[variant.id]["extra_data"]["checkpoints"]
                if c["score"] < points[c["id"]] and c["id"] != variant.checkpoint and c["id"] not in INTEGRATING}
        if lost:
            found[variant.id] = lost
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*", help="assignment ids (default: all)")
    ids = parser.parse_args().assignments or assignment_ids(ROOT)
    total = 0
    for assignment_id in ids:
        found = collateral(assignment_id)
        for variant, lost in sorted(found.items()):
            print(f"{assignment_id} {variant}: also loses {lost}")
        bugs = sum(v.kind == "bug" for v in load_variants(load_assignment(assignment_id, ROOT)))
        print(f"== {assignment_id}: {len(found)} of {bugs} bug variants lose points outside their checkpoint")
        total += len(found)
    print(f"== all: {total}")


if __name__ == "__main__":
    main()
