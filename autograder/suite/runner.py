"""Runs a hidden suite in the trusted process and keeps only what a student may see.

Assertions run without pytest's rewriting, so a failed check says only the
message its author wrote for students, never the compared values; any other
error in the trusted test code becomes a generic sentence.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest
from _pytest.config import _prepareconfig

from ..rubric import TestOutcome
from ..sandbox import StudentError
from .plugin import CONTEXT, RUNNING, GradingContext, checkpoint_of

# pytest plugins a grading run has no use for (nor for installed ones, not loaded either): a hidden suite
# uses the fixtures of `autograder.suite.plugin`, never tmp_path, monkeypatch, capsys or unittest classes.
# Each plugin left would add hooks to every test of every submission; unraisableexception alone costs a
# gc.collect() per run.
LEAN = [arg for name in ("unraisableexception", "threadexception", "logging", "warnings", "faulthandler",
                         "junitxml", "doctest", "pastebin", "stepwise", "lfplugin", "nfplugin", "capture",
                         "unittest", "tmpdir", "legacypath", "monkeypatch", "recwarn", "setuponly", "setupplan",
                         "debugging", "subtests")
        for arg in ("-p", f"no:{name}")]


class SuiteError(Exception):
    """The hidden suite itself could not run: the instructor must look."""


def feedback_for(item: pytest.Item, error: BaseException | None) -> str:
    marker = item.get_closest_marker("feedback")
    doc = [marker.args[0]] if marker else (getattr(item, "function", None).__doc__ or "").strip().splitlines()
    what = doc[0].rstrip(".") if doc else item.name
    if error is None:
        return f"{what}: not run"
    if isinstance(error, StudentError):
        reason = str(error)
    elif isinstance(error, AssertionError):
        reason = str(error).split("\nassert ", 1)[0].strip()
    elif isinstance(error, pytest.skip.Exception):
        reason = "not run"
    else:
        reason = f"the check could not use what your code returned ({type(error).__name__})"
    return f"{what}: {reason}" if reason else what


class CollectionErrors:
    """What went wrong while pytest collected the suite."""

    def __init__(self):
        self.errors: list[str] = []

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.errors.append(str(report.longrepr))


def run_test(item: pytest.Item, nextitem: pytest.Item | None) -> TestOutcome:
    """One test, set up, called and torn down as pytest's runner does, without its reports and hooks.

    pytest's `runtestprotocol` dispatches a dozen hooks per test and builds
    three reports that nobody here reads: for a1's 38 tests 7.5 ms of CPU
    per submission, against 2.8 ms here. A test fails when its setup or its call raises; what a
    teardown raises is not the student's (pytest's own runner is kept for
    suites run by hand).
    """
    RUNNING.item = item  # before the fixtures are made, which read it
    item.user_properties.clear()
    item._initrequest()  # a fresh fixture request, as pytest makes for a test run again
    error = None
    try:
        item.session._setupstate.setup(item)
        item.runtest()
    except (pytest.exit.Exception, KeyboardInterrupt):
        raise
    except BaseException as raised:  # noqa: BLE001 - every failure of a test is its outcome
        error = raised
    try:
        item.session._setupstate.teardown_exact(nextitem)
    except (pytest.exit.Exception, KeyboardInterrupt):
        raise
    except BaseException:  # noqa: BLE001, S110 - see the docstring
        pass
    item._request, item.funcargs = False, None  # what the test made goes, as pytest lets it go
    symptoms = tuple(value for key, value in item.user_properties if key == "symptom")
    measures = tuple(value for key, value in item.user_properties if key == "measure")
    name = getattr(item, "originalname", None) or item.name
    feedback = "" if error is None else feedback_for(item, error)
    return TestOutcome(name, checkpoint_of(item), error is None, feedback, symptoms, measures)


class CollectedSuite:
    """A hidden suite configured and collected once, then run against one submission after another.

    The suite, its rubric and data files are the same for every student, so
    a grading process pays pytest's configuration and collection once. Each
    run takes the items in order (`run_test`, the last one tearing every
    fixture down), so no fixture value, symptom or student session carries
    over from one submission to the next.
    """

    def __init__(self, suite: Path):
        self.suite = suite
        self.collection = CollectionErrors()
        args = [str(suite), "-p", "autograder.suite.plugin", "-p", "no:cacheprovider", "-p", "no:terminal",
                "--assert=plain", "--rootdir", str(suite.parent),
                "-o", "addopts=", "-W", "ignore", "--disable-plugin-autoload", *LEAN]
        with quiet():
            # what pytest.main does up to collection (pytest-xdist's workers start the same way)
            try:
                self.config = _prepareconfig(args, plugins=[self.collection])
            except pytest.UsageError as error:
                raise SuiteError(f"the hidden suite {suite} could not be configured: {error}") from None
            self.config._do_configure()
            self.session = pytest.Session.from_config(self.config)
            self.config.hook.pytest_sessionstart(session=self.session)
            try:
                self.config.hook.pytest_collection(session=self.session)
            except (pytest.UsageError, pytest.Session.Interrupted, pytest.Session.Failed) as error:
                self.collection.errors.append(str(error))
        self.items: list[pytest.Item] = list(self.session.items)
        if self.collection.errors or not self.items:
            self.close()
            problem = "\n".join(self.collection.errors)[-3000:] or "no tests were collected"
            raise SuiteError(f"the hidden suite {suite} could not be collected:\n{problem}")

    def run(self, context: GradingContext) -> list[TestOutcome]:
        """Every test against one submission; its student sessions are closed afterwards."""
        self.config.stash[CONTEXT] = context
        try:
            with quiet():
                outcomes = [run_test(item, self.items[i + 1] if i + 1 < len(self.items) else None)
                            for i, item in enumerate(self.items)]
        finally:
            for session in context.sessions:
                session.close()
            del self.config.stash[CONTEXT]
        return outcomes

    def close(self) -> None:
        """What pytest.main does after its run: the session's end and the plugins' unconfigure hooks."""
        with quiet():
            self.config.hook.pytest_sessionfinish(session=self.session, exitstatus=pytest.ExitCode.OK)
            self.config._ensure_unconfigure()


@contextlib.contextmanager
def quiet():
    """Nothing the suite prints reaches the grader's terminal."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
        yield


COLLECTED: dict[Path, CollectedSuite] = {}  # this grading process's suites, as first collected


def run_suite(suite: Path, context: GradingContext) -> list[TestOutcome]:
    """Runs one suite against one submission; raises SuiteError if it cannot run.

    A suite is collected once per process (pytest imports a test module once
    per process anyway); a run that breaks off halfway drops it, so the next
    submission starts from a fresh collection.
    """
    suite = suite.resolve()
    if suite not in COLLECTED:
        COLLECTED[suite] = CollectedSuite(suite)
    try:
        return COLLECTED[suite].run(context)
    except BaseException:
        COLLECTED.pop(suite).close()
        raise
