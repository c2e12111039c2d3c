"""The pytest plugin hidden suites are written against.

Fixtures:
- `student`: the submission's globals; calls run in the sandboxed worker
  and come back as plain data or `Remote` proxies.
- `rng`: a numpy Generator from the run's secret seed and the test's id,
  so hidden inputs change every run but a given seed replays exactly.
- `diagnose`: records a symptom (a known wrong pattern) the test observed;
  rubric misconceptions key on it.
- `submitted_file`: reads a file handed in next to the notebook (a trained
  checkpoint) as bytes, in the trusted process; the student's code never
  runs on it.
Marker: `@pytest.mark.checkpoint("id")`, the rubric checkpoint of a test
(the closest one counts, so a module's `pytestmark` can be overridden);
`@pytest.mark.feedback("line")` replaces the docstring as a test's feedback line.
The `question` parameter of `test_checkpoint_question` (see `questions`)
runs once per checkpoint question of the suite's rubric.toml.

An instructor can run a suite by hand against one notebook:
    pytest source_lib/a1_values/test_a1_values.py --submission NOTEBOOK
"""

from __future__ import annotations

import functools
import secrets
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from ..course import data_files
from ..rubric import load_rubric
from ..sandbox import Boundary, Limits, Student, StudentSession, strongest_boundary
from ..submission import Program, SubmissionError, read_submission
from .questions import question_params


@dataclass
class GradingContext:
    """What one run of a suite grades, shared by the fixtures."""

    program: Program | None
    seed: int
    limits: Limits | None = None
    boundary: Boundary | None = None
    files: tuple[Path, ...] = ()  # course data files the notebook reads
    sessions: list[StudentSession] = field(default_factory=list)


CONTEXT = pytest.StashKey[GradingContext]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("atomgpt", "hidden suites of the course kit")
    group.addoption("--submission", help="the notebook (or a folder with one) to grade")
    group.addoption("--seed", type=int, help="seed of the hidden inputs (default: a new secret each run)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "checkpoint(id): the rubric checkpoint this test earns points for")
    config.addinivalue_line("markers", "feedback(line): what the student reads about this test, for its docstring")
    if CONTEXT in config.stash or not config.getoption("--submission", None):
        return
    seed = config.getoption("--seed")
    try:
        program = read_submission(Path(config.getoption("--submission")))
    except (SubmissionError, FileNotFoundError) as error:
        raise pytest.UsageError(str(error)) from None
    config.stash[CONTEXT] = GradingContext(program, seed if seed is not None else secrets.randbits(63))


def pytest_report_header(config: pytest.Config) -> list[str]:
    context = config.stash.get(CONTEXT, None)
    return [f"atomgpt: grading {context.program.notebook} with seed {context.seed}"] if context else []


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "question" in metafunc.fixturenames:
        metafunc.parametrize("question", question_params(Path(metafunc.definition.path).parent))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        mark = item.get_closest_marker("checkpoint")
        if mark is None or len(mark.args) != 1:
            raise pytest.UsageError(f"{item.nodeid}: a hidden test needs a checkpoint marker with one id")


def pytest_unconfigure(config: pytest.Config) -> None:
    context = config.stash.get(CONTEXT, None)
    for session in context.sessions if context else ():
        session.close()


def context_of(request: pytest.FixtureRequest) -> GradingContext:
    context = request.config.stash.get(CONTEXT, None)
    if context is None:
        raise pytest.UsageError("hidden suites need --submission NOTEBOOK")
    return context


@pytest.fixture(scope="module")
def student(request: pytest.FixtureRequest) -> Student:
    context = context_of(request)
    if context.limits is None:  # run by hand with plain pytest: the suite's own rubric
        folder = Path(request.path).parent
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
def submitted_file(request: pytest.FixtureRequest):
    """`read(name, max_mb=8) -> bytes` for the submission being graded (see `read_handed_in`)."""
    return functools.partial(read_handed_in, context_of(request).program.notebook.parent)


@pytest.fixture
def rng(request: pytest.FixtureRequest) -> np.random.Generator:
    seed = context_of(request).seed
    return np.random.default_rng([seed, zlib.crc32(request.node.nodeid.encode())])


@pytest.fixture
def diagnose(request: pytest.FixtureRequest):
    def record(symptom: str) -> None:
        request.node.user_properties.append(("symptom", symptom))

    return record


def checkpoint_of(item: pytest.Item) -> str:
    return str(item.get_closest_marker("checkpoint").args[0])
