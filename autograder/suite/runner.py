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
from .plugin import CONTEXT, GradingContext, checkpoint_of

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


def feedback_for(item: pytest.Item, excinfo) -> str:
    marker = item.get_closest_marker("feedback")
    doc = [marker.args[0]] if marker else (getattr(item, "function", None).__doc__ or "").strip().splitlines()
    what = doc[0].rstrip(".") if doc else item.name
    if excinfo is None:
        return f"{what}: not run"
    error = excinfo.value
    if isinstance(error, StudentError):
        reason = str(error)
    elif isinstance(error, AssertionError):
        reason = str(error).split("\nassert ", 1)[0].strip()
    elif isinstance(error, pytest.skip.Exception):
        reason = "not run"
    else:
        reason = f"the check could not use what your code returned ({type(error).__name__})"
    return f"{what}: {reason}" if reason else what


class OutcomeCollector:
    """Records one TestOutcome per test, safe to show the student, and what went wrong in collection."""

    def __init__(self):
        self.outcomes: list[TestOutcome] = []
        self.collection_errors: list[str] = []

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call):
        report = (yield).get_result()
        if report.when == "call" or (report.when == "setup" and not report.passed):
            symptoms = tuple(v for k, v in item.user_properties if k == "symptom")
            feedback = "" if report.passed else feedback_for(item, call.excinfo)
            name = getattr(item, "originalname", None) or item.name
            self.outcomes.append(TestOutcome(name, checkpoint_of(item), report.passed, feedback, symptoms))

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collection_errors.append(str(report.longrepr))


class UnformattedReports:
    """pytest's test reports without the formatted traceback of a failure, which nobody here reads.

    Formatting one costs a third of a millisecond, and a struggling student's
    submission fails many tests. Skips are left to pytest.
    """

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo) -> pytest.TestReport | None:
        error = call.excinfo.value if call.excinfo else None
        if isinstance(error, (pytest.skip.Exception, BaseExceptionGroup)):
            return None
        return pytest.TestReport(item.nodeid, item.location, {}, "failed" if error else "passed",
                                 type(error).__name__ if error else None, call.when, duration=call.duration,
                                 start=call.start, stop=call.stop, user_properties=item.user_properties)


class CollectedSuite:
    """A hidden suite configured and collected once, then run against one submission after another.

    The suite, its rubric and data files are the same for every student, so
    a grading process pays pytest's configuration and collection once. Each
    run is pytest's own loop over the items (`pytest_runtest_protocol`, with
    the last item tearing every fixture down), so no fixture value, symptom
    or student session carries over from one submission to the next.
    """

    def __init__(self, suite: Path):
        self.suite = suite
        self.collector = OutcomeCollector()
        args = [str(suite), "-p", "autograder.suite.plugin", "-p", "no:cacheprovider", "-p", "no:terminal",
                "--assert=plain", "--rootdir", str(suite.parent),
                "-o", "addopts=", "-W", "ignore", "--disable-plugin-autoload", *LEAN]
        with quiet():
            # what pytest.main does up to collection (pytest-xdist's workers start the same way)
            try:
                self.config = _prepareconfig(args, plugins=[self.collector, UnformattedReports()])
            except pytest.UsageError as error:
                raise SuiteError(f"the hidden suite {suite} could not be configured: {error}") from None
            self.config.option.tbstyle = "value"  # a failure's report is never shown: do not format its source
            self.config._do_configure()
            self.session = pytest.Session.from_config(self.config)
            self.config.hook.pytest_sessionstart(session=self.session)
            try:
                self.config.hook.pytest_collection(session=self.session)
            except (pytest.UsageError, pytest.Session.Interrupted, pytest.Session.Failed) as error:
                self.collector.collection_errors.append(str(error))
        self.items: list[pytest.Item] = list(self.session.items)
        if self.collector.collection_errors or not self.items:
            self.close()
            problem = "\n".join(self.collector.collection_errors)[-3000:] or "no tests were collected"
            raise SuiteError(f"the hidden suite {suite} could not be collected:\n{problem}")

    def run(self, context: GradingContext) -> list[TestOutcome]:
        """Every test against one submission; its student sessions are closed afterwards."""
        self.config.stash[CONTEXT] = context
        self.collector.outcomes = []
        try:
            with quiet():
                for i, item in enumerate(self.items):
                    item.user_properties.clear()
                    following = self.items[i + 1] if i + 1 < len(self.items) else None
                    item.ihook.pytest_runtest_protocol(item=item, nextitem=following)
        finally:
            for session in context.sessions:
                session.close()
            del self.config.stash[CONTEXT]
        if not self.collector.outcomes:
            raise SuiteError(f"the hidden suite {self.suite} ran no test")
        return self.collector.outcomes

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
