"""Exports that grade on other platforms with the same engine: a Gradescope autograder, a PrairieLearn grader.

Each writes what its platform needs around the engine as it is: the kit as
a wheel, the assignment's hidden material (rubric, hidden suite, the data
they read, the release notebooks are repaired against, the hidden inputs'
seed) where the platform keeps grader files from students, and a harness
that grades the handed-in folder and writes the platform's results file
from the trusted side, last. `bundle` holds what both share.
"""

from __future__ import annotations

import argparse
from pathlib import Path

PLATFORMS = ("gradescope", "prairielearn")


def run_export(root: Path, args: argparse.Namespace, console) -> int:
    """`atomgpt export PLATFORM ASSIGNMENT`: writes the platform's package and says where."""
    import tempfile

    from ..course import load_assignment
    from ..hidden_inputs import hidden_inputs
    from . import bundle, gradescope, prairielearn

    assignment = load_assignment(args.assignment, root)
    course = None
    if args.course:
        from ..classroom.config import course_root

        course = course_root(args.course)
    inputs = hidden_inputs(assignment.id, kit=root, course=course, seed=args.seed)
    with tempfile.TemporaryDirectory(prefix="atomgpt-wheel-") as folder:
        wheel = bundle.build_wheel(Path(folder))
        if args.platform == "gradescope":
            out = gradescope.export(assignment, inputs, args.out or Path("autograder.zip"), wheel)
        else:
            out = prairielearn.export(assignment, inputs, args.out or Path("prairielearn"), wheel, image=args.image)
    console.print(f"wrote {out} for {assignment.id} ({inputs.describe()})", highlight=False)
    return 0
