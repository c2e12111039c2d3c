"""`python -m autograder.export gradescope|prairielearn`: the platform's harness, as its entry point runs it."""

import sys

from . import PLATFORMS

if len(sys.argv) != 2 or sys.argv[1] not in PLATFORMS:
    sys.exit(f"usage: python -m autograder.export {{{'|'.join(PLATFORMS)}}}")
if sys.argv[1] == "gradescope":
    from .gradescope import main
else:
    from .prairielearn import main
sys.exit(main())
