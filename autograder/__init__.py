"""The grading engine: submission -> sandbox -> suite -> rubric -> result -> report.

It knows nothing of any one assignment: each assignment brings a hidden
pytest suite and a rubric in `source_lib/<id>/`.
"""

__version__ = "0.1.0"
