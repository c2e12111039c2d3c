"""nbgrader preprocessors, named in the course's nbgrader_config.py.

`GradeWithEngine` takes the place of nbgrader's `Execute` in `nbgrader
autograde`: instead of running the notebook in a kernel where the student's
code could rewrite the checks, it puts the notebook back in the release's
shape (as `atomgpt autograde` and `atomgpt grade` do, in place of
nbgrader's sanitize steps), grades it with the engine and records the
scores as nbgrader reads them. Hidden inputs derive from the course's
grading secret, as in `atomgpt autograde`, so either command gives a
student the same grade, and it leaves the same result file, so the next
`atomgpt autograde` does not grade that student again. In
`generate_feedback`, `HideGraderNotes` runs first and `GetGradesAndMarking`
takes the place of nbgrader's `GetGrades`.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
from nbconvert.preprocessors import Preprocessor
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import GetGrades, NbGraderPreprocessor
from traitlets import Bool, Integer, Unicode

from ..course import Assignment, cached_assignment, project_root
from ..grading import grade_submission
from ..hidden_inputs import HiddenInputs, hidden_inputs
from ..release_info import KEY
from ..restore import read_release, restore
from .autograde import course_digest, submission_fingerprint
from .notebook import cell_grades, record_result, unscored, without_grader_notes
from .record import release_notebook, write_record


class GradeWithEngine(NbGraderPreprocessor):
    """Grades the notebook out of process; each checks cell gets its checkpoint's points and feedback."""

    kit = Unicode("", help="The course kit's folder (holding source_lib/); default: found from here").tag(config=True)
    seed = Integer(None, allow_none=True, help="Hidden inputs from this seed (a result's, to replay it) instead of "
                   "the course's grading secret").tag(config=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.digests: dict[tuple, str] = {}

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        root = Path(self.kit) if self.kit else project_root()
        assignment = cached_assignment(str(root), info["assignment"])
        if info["notebook"] != assignment.id:  # left as it is, nbgrader would give its checks cells full points
            self.log.warning("%s is not the notebook of %s; its checks cells score 0", info["notebook"],
                             assignment.id)
            return unscored(nb), resources
        notebook = Path(resources["metadata"]["path"]) / f"{info['notebook']}.ipynb"
        coursedir = CourseDirectory(config=self.config)
        release = release_notebook(coursedir, assignment.id)
        inputs = hidden_inputs(assignment.id, kit=root, course=Path(coursedir.root), seed=self.seed)
        result = grade_submission(assignment, notebook, name=info["student"], inputs=inputs, release=release)
        self.log.info("%s: %g of %g auto-graded points", info["student"], result["score"],
                      assignment.rubric.auto_points)
        graded = record_result(nbformat.from_dict(restore(nb, read_release(release)).notebook), result,
                               assignment.rubric)
        self.record(assignment, coursedir, inputs, info["student"], graded, result)
        return graded, resources

    def record(self, assignment: Assignment, coursedir: CourseDirectory, inputs: HiddenInputs, student: str,
               graded, result: dict) -> None:
        """The result file `atomgpt autograde` would leave (nbgrader's own steps then save the gradebook)."""
        key = (assignment.id, json.dumps(inputs.record()))
        if key not in self.digests:  # once per run: it reads the due date from the gradebook
            self.digests[key] = course_digest(assignment, coursedir, self.config, inputs)
        submitted = Path(coursedir.format_path(coursedir.submitted_directory, student, assignment.id))
        fingerprint = submission_fingerprint(self.digests[key], submitted, coursedir)
        write_record(coursedir, assignment.id, student, fingerprint, cell_grades(graded), result)


class HideGraderNotes(Preprocessor):
    """Leaves the graders' rubric notes out of student feedback."""

    enabled = Bool(True).tag(config=True)

    def preprocess(self, nb, resources):
        return without_grader_notes(nb), resources


class GetGradesAndMarking(GetGrades):
    """nbgrader's scores and comments, and whether a grade still waits to be marked by hand."""

    def _get_score(self, cell, resources) -> None:
        super()._get_score(cell, resources)
        grade = self.gradebook.find_grade(cell.metadata["nbgrader"]["grade_id"], self.notebook_id,
                                          self.assignment_id, self.student_id)
        cell.metadata.setdefault(KEY, {})["to_mark"] = bool(grade.needs_manual_grade)
