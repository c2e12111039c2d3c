"""The pytest plugin hidden suites are written against.

Fixtures:
- `student`: the submission's globals; calls run in the sandboxed worker
  and come back as plain data or `Remote` proxies.
- `rng`: a numpy Generator from the assignment's seed (derived from the
  course's grading secret) and the test's id within its file, so every
  student meets the same hidden inputs, one test's draws never shift
  another's, and a given seed replays them exactly. `seeded_by(key)` gives a
  module fixture the same kind of generator for inputs several tests share.
- `diagnose`: records a symptom (a known wrong pattern) the test observed;
  rubric misconceptions key on it.
- `measure`: records a number the test measured on the trusted side (a
  trained model's held-out loss) under a name; results list it and a
  rubric's `[[leaderboard]]` ranks by it; it never changes a score.
- `submitted_file`: reads a file handed in next to the notebook (a trained
  checkpoint) as bytes, in the trusted process; the student's code never
  runs on it.
Marker: `@pytest.mark.checkpoint("id")`, the rubric checkpoint of a test
(the closest one counts, so a module's `pytestmark` can be overridden);
`@pytest.mark.feedback("line")` replaces the docstring as a test's feedback line.
The `question` parameter of `test_checkpoint_question` (see `questions`)
runs once per checkpoint question of the suite's rubric.toml.

An instructor can run a suite by hand against one notebook, with the hidden
inputs of a course (`--course`), of a seed (`--seed`) or of the kit:
    pytest source_lib/a1_values/test_a1_values.py --submission NOTEBOOK [--course DIR | --seed N]
"""

from __future__ import annotations

import functools
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from ..course import data_files
from ..hidden_inputs import HiddenInputs, hidden_inputs
from ..rubric import load_rubric
from ..sandbox import Boundary, Limits, Student, StudentSession, strongest_boundary
from ..submission import Program, SubmissionError, read_submission
from .questions import question_params


@dataclass
class GradingContext:
    """What one run of a suite grades, shared by the fixtures."""

    program: Program | None
    inputs: HiddenInputs | None  # None when run by hand: chosen for the suite's assignment when first needed
    limits: Limits | None = None
    boundary: Boundary | None = None
    files: tuple[Path, ...] = ()  # course data files the notebook reads
    sessions: list[StudentSession] = field(default_factory=list)
    course: Path | None = None  # run by hand: the course whose secret the inputs derive from
    seed: int | None = None  # run by hand: the seed given instead


CONTEXT = pytest.StashKey[GradingContext]()


class RunningTest:
    """The test being set up, which the fixtures below read instead of asking for `request`.

    pytest makes a new fixture definition every time a fixture that takes
    `request` is used, even one whose value is cached: 193 for an a1
    submission, about 3 ms of the grader's CPU.
    """

    item: pytest.Item | None = None


RUNNING = RunningTest()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("atomgpt", "hidden suites of the course kit")
    group.addoption("--submission", help="the notebook (or a folder with one) to grade")
    group.addoption("--seed", type=int, help="seed of the hidden inputs, as a result records it (replays them)")
    group.addoption("--course", help="nbgrader course folder whose grading secret the hidden inputs derive from "
                                     "(default: the kit's secret, as `atomgpt grade` uses)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "checkpoint(id): the rubric checkpoint this test earns points for")
    config.addinivalue_line("markers", "feedback(line): what the student reads about this test, for its docstring")
    if CONTEXT in config.stash or not config.getoption("--submission", None):
        return
    try:
        program = read_submission(Path(config.getoption("--submission")))
    except (SubmissionError, FileNotFoundError) as error:
        raise pytest.UsageError(str(error)) from None
    course = config.getoption("--course")
    if course:
        from ..classroom.config import course_root  # imported here: the classroom side imports this module

        course = course_root(Path(course))
    config.stash[CONTEXT] = GradingContext(program, None, course=course, seed=config.getoption("--seed"))


def pytest_report_header(config: pytest.Config) -> list[str]:
    context = config.stash.get(CONTEXT, None)
    return [f"atomgpt: grading {context.program.notebook}"] if context else []


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    context = config.stash.get(CONTEXT, None)
    if context and context.inputs:
        terminalreporter.write_line(f"atomgpt: {context.inputs.describe()}")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "question" in metafunc.fixturenames:
        metafunc.parametrize("question", question_params(Path(metafunc.definition.path).parent))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        mark = item.get_closest_marker("checkpoint")
        if mark is None or len(mark.args) != 1:
            raise pytest.UsageError(f"{item.nodeid}: a hidden test needs a checkpoint marker with one id")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    RUNNING.item = item  # before pytest's own setup, which makes the fixtures


def pytest_unconfigure(config: pytest.Config) -> None:
    context = config.stash.get(CONTEXT, None)
    for session in context.sessions if context else ():
        session.close()


def context_of(item: pytest.Item) -> GradingContext:
    context = item.config.stash.get(CONTEXT, None)
    if context is None:
        raise pytest.UsageError("hidden suites need --submission NOTEBOOK")
    return context


@pytest.fixture(scope="module")
def student() -> Student:
    context = context_of(RUNNING.item)
    if context.limits is None:  # run by hand with plain pytest: the suite's own rubric
        folder = Path(RUNNING.item.path).parent
        rubric = load_rubric(folder / "rubric.toml")
        context.limits, context.files = rubric.limits, data_files(folder, rubric)
    session = StudentSession(context.program.cells, context.limits, context.boundary or strongest_boundary(),
                             context.files)
    context.sessions.append(session)
    return Student(session)


def read_handed_in(folder: Path, name: str, max_mb: float = 8) -> bytes:
    """A file handed in beside the notebook; a missing, linked or oversized one fails the test for the student."""
    path = folder / name
    if path.is_symlink() or (path.exists() and not path.is_file()):
        raise AssertionError(f"{name} must be a plain file, not a link or a folder")
    if not path.is_file():
        raise AssertionError(f"{name} was not handed in next to your notebook: run the cell that "
                             "writes it, then submit both")
    if path.stat().st_size > max_mb * 1024 * 1024:
        raise AssertionError(f"{name} is larger than {max_mb:g} MB")
    return path.read_bytes()


@pytest.fixture
def submitted_file():
    """`read(name, max_mb=8) -> bytes` for the submission being graded (see `read_handed_in`)."""
    return functools.partial(read_handed_in, context_of(RUNNING.item).program.notebook.parent)


def inputs_of(item: pytest.Item) -> HiddenInputs:
    """The run's hidden inputs; run by hand, those of the suite's assignment in its kit (or course, or seed)."""
    context = context_of(item)
    if context.inputs is None:
        suite = Path(item.path)
        context.inputs = hidden_inputs(suite.parent.name, kit=suite.parent.parent.parent, course=context.course,
                                       seed=context.seed)
    return context.inputs


def seeded_by(key: str) -> np.random.Generator:
    """A generator like `rng`, seeded by `key` instead of a test's name: for hidden inputs drawn once (in a
    module fixture) that several tests judge from different sides.

    Keys are named within the suite's file, so they are the same wherever pytest was started.
    """
    item = RUNNING.item
    return np.random.default_rng([inputs_of(item).seed, zlib.crc32(f"{Path(item.path).name}::{key}".encode())])


@pytest.fixture
def rng() -> np.random.Generator:
    return seeded_by(RUNNING.item.nodeid.split("::", 1)[1])


@pytest.fixture
def diagnose():
    item = RUNNING.item

    def record(symptom: str) -> None:
        item.user_properties.append(("symptom", symptom))

    return record


@pytest.fixture
def measure():
    item = RUNNING.item

    def record(name: str, value: float) -> None:
        item.user_properties.append(("measure", (name, float(value))))

    return record


def checkpoint_of(item: pytest.Item) -> str:
    return str(item.get_closest_marker("checkpoint").args[0])
