"""The page `nbgrader generate_feedback` writes, in the course's words.

nbgrader's feedback template labels every checks cell "Test cell" in its
list of links and shows an answer nobody has marked yet as "Score: 0.0".
The course's template (`templates/atomgpt_feedback`) extends nbgrader's and
uses the titles the autograde step put in each graded cell's metadata and
the marking state `GetGradesAndMarking` reads from the gradebook.
Formgrader renders with its own template and is left as it is.
"""

from __future__ import annotations

from pathlib import Path

import nbgrader
from nbconvert.exporters import HTMLExporter

TEMPLATES = Path(__file__).resolve().parent / "templates"
NBGRADER_TEMPLATES = str(Path(nbgrader.__file__).parent / "server_extensions" / "formgrader" / "templates")
TEMPLATE = "atomgpt_feedback"


class FeedbackExporter(HTMLExporter):
    """nbgrader's feedback exporter with the course's template in front of nbgrader's.

    `nbgrader generate_feedback` configures every HTMLExporter with its own
    template, and configuration outranks a trait's default, so the course's
    template is put in place here, after configuration is read (and the
    search path it made is made again).
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.extra_template_basedirs = [str(TEMPLATES), *self.extra_template_basedirs]
        self.extra_template_paths = [*self.extra_template_paths, NBGRADER_TEMPLATES]  # {% extends 'feedback/...' %}
        self.template_name = TEMPLATE
        self.template_paths = self._template_paths()
