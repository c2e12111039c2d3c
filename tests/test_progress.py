"""Progress of long work: a bar with counts and time left on a terminal, plain lines where output is a log."""

from __future__ import annotations

import io
import os
import pty
import re
import select
import shutil
import subprocess
import sys
import threading

from rich.console import Console

from autograder.progress import Progress

from .conftest import TOY_ROOT

SOLUTION = TOY_ROOT / "solutions" / "toy" / "toy.ipynb"
FAILED = {"score": 0.0, "extra_data": {"grader_failure": True}}


def graded_three(console: Console, total: int | None = 3) -> None:
    with Progress("graded", console, total) as progress:
        if total is None:
            progress.expect(3)
        progress.graded("alice", {"score": 90.0})
        progress.graded("bob", FAILED)
        progress.graded("carol", {"score": 45.5})


def test_a_log_gets_one_plain_line_per_item_with_counts_failures_and_time_left():
    log = io.StringIO()
    graded_three(Console(file=log, width=200))
    lines = log.getvalue().splitlines()
    assert len(lines) == 3 and "\x1b" not in log.getvalue()  # no bar, no cursor movement
    assert re.fullmatch(r"graded alice: 90 \(1 of 3 done, about \d+ s left\)", lines[0]), lines[0]
    assert re.fullmatch(r"graded bob: 0 \(2 of 3 done, 1 grader failure, about \d+ s left\)", lines[1]), lines[1]
    assert lines[2] == "graded carol: 45.5 (3 of 3 done, 1 grader failure)"


def test_a_total_known_only_once_planned_is_counted_against():
    log = io.StringIO()
    graded_three(Console(file=log, width=200), total=None)
    assert log.getvalue().splitlines()[-1] == "graded carol: 45.5 (3 of 3 done, 1 grader failure)"


def test_a_terminal_gets_a_bar_with_counts_failures_and_time_left():
    threads = threading.active_count()
    with Progress("graded", Console(file=io.StringIO(), force_terminal=True), 3):
        assert threading.active_count() == threads  # no drawing thread: grading processes are forked meanwhile
    screen = io.StringIO()
    graded_three(Console(file=screen, force_terminal=True, width=120))
    drawn = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen.getvalue())  # the text without colours and cursor moves
    last = drawn.strip().splitlines()[-1]
    assert re.search(r"graded .*━+.* 3/3 1 grader failure \d:\d\d:\d\d left \d:\d\d:\d\d", last), last
    assert "graded alice" not in drawn  # a bar, not a line per submission


def test_the_command_draws_a_bar_on_a_terminal_and_keeps_stdout_for_the_table(tmp_path):
    kit = shutil.copytree(TOY_ROOT, tmp_path / "kit", ignore=shutil.ignore_patterns("grading_secret"))
    for name in ("ann", "ben"):
        (tmp_path / f"{name}.ipynb").write_bytes(SOLUTION.read_bytes())
    terminal, screen = pty.openpty()
    env = {**os.environ, "ATOMGPT_ROOT": str(kit), "TERM": "xterm", "COLUMNS": "120"}
    process = subprocess.Popen([sys.executable, "-m", "autograder", "grade", "toy", str(tmp_path / "ann.ipynb"),
                                str(tmp_path / "ben.ipynb"), "--out", str(tmp_path / "out"), "--workers", "2"],
                               stdout=subprocess.PIPE, stderr=screen, text=True, env=env)
    os.close(screen)
    drawn = b""
    while True:  # read the terminal until the command closes it
        select.select([terminal], [], [], 120)
        try:
            chunk = os.read(terminal, 1 << 16)
        except OSError:  # the other end closed
            break
        if not chunk:
            break
        drawn += chunk
    stdout, _ = process.communicate(timeout=120)
    os.close(terminal)
    assert process.returncode == 0
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", drawn.decode())
    assert "2/2" in text and "━" in text and "left" in text and "graded ann" not in text, text
    assert "ann" in stdout and "score" in stdout and "2/2" not in stdout  # the table, apart from the bar
