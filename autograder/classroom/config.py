"""A course folder's nbgrader configuration: the engine's settings live in a
marked block of `nbgrader_config.py`, rewritten by each build; everything an
instructor adds outside the block (course id, gradebook URL, late penalties,
exchange) is kept.
"""

from __future__ import annotations

import os
from pathlib import Path

from jupyter_core.paths import jupyter_config_path
from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

CONFIG_NAME = "nbgrader_config.py"
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
# student code runs in a sandboxed process, the hidden suite in this one.
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
# feedback leaves out the notes meant for graders only (rubrics of hand-graded answers)
c.GenerateFeedback.preprocessors = [
    "autograder.classroom.preprocessors.HideGraderNotes",
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
{end}
'''


def engine_block(kit: Path) -> str:
    return ENGINE_BLOCK.format(begin=BEGIN, end=END, kit=str(kit.resolve()))


def write_config(course: Path, kit: Path) -> Path:
    """Creates nbgrader_config.py, or replaces only its atomgpt block."""
    course.mkdir(parents=True, exist_ok=True)
    path = course / CONFIG_NAME
    text = path.read_text() if path.exists() else HEADER
    block = engine_block(kit)
    if BEGIN in text and END in text:
        before, rest = text.split(BEGIN, 1)
        after = rest.split(END, 1)[1].lstrip("\n")
        text = before + block + after
    else:
        text = text.rstrip("\n") + "\n\n" + block
    if not path.exists() or path.read_text() != text:
        temporary = path.with_name(f".{path.name}.tmp{os.getpid()}")
        temporary.write_text(text)
        os.replace(temporary, path)
    return path


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


def course_directory(config: Config) -> CourseDirectory:
    return CourseDirectory(config=config)
