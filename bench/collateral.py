"""Known bugs that cost points outside the code that has them: where a grade would not be fair.

A mistake may cost points only on the checkpoints about the code that has it
and on the milestones that integrate them (`Rubric.may_cost`, from the
`functions` and `integrates` of rubric.toml). This grades every bug variant of
`variants.toml` with one hidden-input seed (`--seed`, default 7) and lists the
other checkpoints each one loses points on, with a count per assignment.
`make test` asserts the same rule with a new seed each run.

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


def collateral(assignment_id: str, seed: int = 7) -> dict[str, dict[str, float]]:
    """bug variant -> {other checkpoint: points lost}, for the bugs that lose points elsewhere."""
    assignment = load_assignment(assignment_id, ROOT)
    solved = ROOT / "solutions" / assignment_id / f"{assignment_id}.ipynb"
    rubric = assignment.rubric
    points = {c.id: c.points for c in rubric.checkpoints}
    with tempfile.TemporaryDirectory() as scratch:
        written = [(v, p) for v, p in variant_submissions(assignment, solved, Path(scratch)) if v.kind == "bug"]
        results = grade_class(ROOT, assignment_id, [Job(v.id, p) for v, p in written], Path(scratch) / "results",
                              inputs=HiddenInputs.given(seed))
    found = {}
    for variant, _ in written:
        lost = {c["id"]: round(points[c["id"]] - c["score"], 2)
                for c in results[variant.id]["extra_data"]["checkpoints"]
                if c["score"] < points[c["id"]] and c["id"] not in rubric.may_cost(variant.checkpoint)}
        if lost:
            found[variant.id] = lost
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*", help="assignment ids (default: all)")
    parser.add_argument("--seed", type=int, default=7, help="the hidden inputs' seed")
    args = parser.parse_args()
    ids = args.assignments or assignment_ids(ROOT)
    total = 0
    for assignment_id in ids:
        found = collateral(assignment_id, args.seed)
        for variant, lost in sorted(found.items()):
            print(f"{assignment_id} {variant}: also loses {lost}")
        bugs = sum(v.kind == "bug" for v in load_variants(load_assignment(assignment_id, ROOT)))
        print(f"== {assignment_id}: {len(found)} of {bugs} bug variants lose points outside their code")
        total += len(found)
    print(f"== all: {total}")


if __name__ == "__main__":
    main()
