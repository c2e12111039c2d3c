"""A course folder's nbgrader configuration: the engine's settings live in a
marked block of `nbgrader_config.py`, rewritten by each build; everything an
instructor adds outside the block (course id, gradebook URL, late penalties,
exchange) is kept.
"""

from __future__ import annotations

from pathlib import Path

from jupyter_core.paths import jupyter_config_path
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from ..course import CONFIG_NAME
from ..files import replace_text

BEGIN = "# >>> atomgpt: managed by `atomgpt build`; edits inside this block are replaced"
END = "# <<< atomgpt"

HEADER = '''"""nbgrader configuration of the From Atomic Ops to GPT course."""
import os

c = get_config()  # noqa: F821
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = "atomgpt"
# Any SQLAlchemy URL nbgrader accepts works for the gradebook, e.g.
# c.CourseDirectory.db_url = "postgresql://user@host/atomgpt"
'''

ENGINE_BLOCK = '''{begin}
# `nbgrader autograde` (and formgrader's autograde button) grades with the engine:
# student code runs in a sandboxed process, the hidden suite in this one. The engine
# puts each notebook back in the release's shape itself, whatever a student did to
# its cells, so nbgrader's sanitize steps (which refuse some such notebooks) are off.
c.Autograde.sanitize_preprocessors = []
c.Autograde.autograde_preprocessors = [
    "autograder.classroom.preprocessors.GradeWithEngine",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.GradeWithEngine.kit = {kit!r}
# feedback leaves out the notes meant for graders only (rubrics of hand-graded answers), lists the
# checkpoints by title and says which answers are still to be marked by hand
c.GenerateFeedback.preprocessors = [
    "autograder.classroom.preprocessors.HideGraderNotes",
    "autograder.classroom.preprocessors.GetGradesAndMarking",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
c.GenerateFeedback.exporter_class = "autograder.classroom.feedback.FeedbackExporter"
{end}
'''


def engine_block(kit: Path) -> str:
    return ENGINE_BLOCK.format(begin=BEGIN, end=END, kit=str(kit.resolve()))


def around_block(text: str) -> tuple[str, str] | None:
    """The config's text before and after the atomgpt block, or None when it has none."""
    if BEGIN not in text or END not in text:
        return None
    before, rest = text.split(BEGIN, 1)
    return before, rest.split(END, 1)[1].lstrip("\n")


def write_config(course: Path, kit: Path) -> Path:
    """Creates nbgrader_config.py, or replaces only its atomgpt block."""
    course.mkdir(parents=True, exist_ok=True)
    path = course / CONFIG_NAME
    old = path.read_text() if path.exists() else HEADER
    parts = around_block(old)
    text = parts[0] + engine_block(kit) + parts[1] if parts else old.rstrip("\n") + "\n\n" + engine_block(kit)
    if text != (path.read_text() if path.exists() else None):
        replace_text(path, text)
    return path


def add_settings(course: Path, settings: str) -> None:
    """Adds settings of the instructor's own to the config, outside the atomgpt block, unless they are there."""
    path = course / CONFIG_NAME
    text = path.read_text()
    if settings not in text:
        replace_text(path, text.rstrip("\n") + "\n\n" + settings.rstrip("\n") + "\n")


def remove_engine(course: Path) -> None:
    """Takes the atomgpt block out of the course's config, so nbgrader's own steps apply (its stock grading)."""
    path = course / CONFIG_NAME
    parts = around_block(path.read_text())
    if parts:
        replace_text(path, parts[0].rstrip("\n") + "\n" + parts[1])


def course_root(course: Path) -> Path:
    """The course folder nbgrader's configuration in `course` names (where the grading secret lives)."""
    return Path(load_config(course).CourseDirectory.root)


def load_config(course: Path) -> Config:
    """The configuration nbgrader itself would use in this course folder."""
    config = Config()
    folders = [*reversed(jupyter_config_path()), str(course)]
    for folder in folders:
        if (Path(folder) / CONFIG_NAME).is_file():
            config.merge(PyFileConfigLoader(CONFIG_NAME, path=folder).load_config())
    if "root" not in config.CourseDirectory:
        config.CourseDirectory.root = str(course.resolve())
    return config
