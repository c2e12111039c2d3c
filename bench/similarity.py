"""How far apart copies and honest pairs are for `atomgpt similarity`, in synthetic classes.

For each seed this draws the demo's class (`--students`, default 40) over
every assignment, writes it, and compares each assignment's submissions
pair by pair, as the command does. It prints, over all seeds, the least
that a copier and the classmate they copied share (their share of their
own code and the tokens of it) and the most that two honest students
share, with the flag rule (`similarity.THRESHOLD`, `MIN_SHARED`) between
them. Nothing is graded; about 25 s a seed on two busy cores.

    python bench/similarity.py [--seeds 1 2 3] [--students 40]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from autograder.course import assignment_ids, load_assignment
from autograder.similarity import MIN_SHARED, THRESHOLD, boilerplate, class_codes, code_pairs, given_code
from autograder.synthetic_class import make_class, write_class

ROOT = Path(__file__).resolve().parent.parent


def pairs_of_class(students: int, seed: int) -> list[tuple[bool, float, int, str]]:
    """(a copier and their source?, the smaller share, shared tokens, assignment) for each pair sharing code."""
    assignments = [load_assignment(i, ROOT) for i in assignment_ids(ROOT)]
    plan = make_class(students, assignments, seed)
    found = []
    with tempfile.TemporaryDirectory() as scratch:
        for assignment in assignments:
            folders = write_class(plan, assignment, [], Path(scratch) / assignment.id)
            codes, _ = class_codes(assignment, assignment.release, folders)
            copies = {frozenset((c.copier, c.source)) for c in plan.copies if c.assignment == assignment.id}
            given = boilerplate(given_code(assignment, assignment.release))
            found += [(frozenset(p.students) in copies, min(p.similarity), p.shared_tokens, assignment.id)
                      for p in code_pairs(codes, given)]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(1, 11)))
    parser.add_argument("--students", type=int, default=40)
    args = parser.parse_args()
    found = [row for seed in args.seeds for row in pairs_of_class(args.students, seed)]
    copies = [row for row in found if row[0]]
    honest = [row for row in found if not row[0]]
    print(f"{len(args.seeds)} classes of {args.students}: {len(copies)} copies, {len(honest)} honest pairs sharing "
          f"any code of their own; flagged when both share at least {THRESHOLD:.0%} and {MIN_SHARED} tokens")
    print(f"copies: least share {min(r[1] for r in copies):.2f}, fewest tokens {min(r[2] for r in copies)} "
          f"({min(copies, key=lambda r: r[2])[3]})")
    print(f"honest: most share {max(r[1] for r in honest):.2f}, most tokens {max(r[2] for r in honest)}, "
          f"most tokens at a share of {THRESHOLD:.0%} or more "
          f"{max([r[2] for r in honest if r[1] >= THRESHOLD], default=0)}")
    wrong = [r for r in found if r[0] != (r[1] >= THRESHOLD and r[2] >= MIN_SHARED)]
    print(f"pairs the rule gets wrong: {len(wrong)}", *(f"  {r}" for r in wrong), sep="\n")


if __name__ == "__main__":
    main()
