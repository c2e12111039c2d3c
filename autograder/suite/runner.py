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

from ..rubric import TestOutcome
from ..sandbox import StudentError
from .plugin import CONTEXT, GradingContext, checkpoint_of

# pytest plugins a grading run has no use for (nor for installed ones, not loaded either);
# unraisableexception alone costs a gc.collect() per run
LEAN = [arg for name in ("unraisableexception", "threadexception", "logging", "warnings", "faulthandler",
                         "junitxml", "doctest", "pastebin", "stepwise", "lfplugin", "nfplugin")
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
    """Records one TestOutcome per test, safe to show the student."""

    def __init__(self, context: GradingContext):
        self.context = context
        self.outcomes: list[TestOutcome] = []

    @pytest.hookimpl(tryfirst=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        config.stash[CONTEXT] = self.context

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call):
        report = (yield).get_result()
        if report.when == "call" or (report.when == "setup" and not report.passed):
            symptoms = tuple(v for k, v in item.user_properties if k == "symptom")
            feedback = "" if report.passed else feedback_for(item, call.excinfo)
            name = getattr(item, "originalname", None) or item.name
            self.outcomes.append(TestOutcome(name, checkpoint_of(item), report.passed, feedback, symptoms))


def run_suite(suite: Path, context: GradingContext) -> list[TestOutcome]:
    """Runs one suite against one submission; raises SuiteError if it cannot run."""
    collector = OutcomeCollector(context)
    args = [str(suite), "-p", "autograder.suite.plugin", "-p", "no:cacheprovider",
            "--assert=plain", "--capture=no", "--tb=native", "-q", "--rootdir", str(suite.parent),
            "-o", "addopts=", "-W", "ignore", "--disable-plugin-autoload", *LEAN]
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
        code = pytest.main(args, plugins=[collector])
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) or not collector.outcomes:
        tail = "\n".join(printed.getvalue().splitlines()[-15:])
        raise SuiteError(f"the hidden suite {suite} could not run (pytest exit {int(code)}):\n{tail}")
    return collector.outcomes
