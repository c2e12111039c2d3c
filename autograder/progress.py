"""Progress of long work (grading a class, building the course): a bar on a terminal, a line per item otherwise.

On a terminal the bar shows how many are done of how many, grader
failures, time spent and time left; where output is a log (CI, a file)
each item is one plain line with the same counts, so nothing is redrawn.
Progress goes to the console it is given (stderr for the command line),
leaving stdout to the tables and results a command prints. The bar is
redrawn when an item finishes, not by a thread of its own: grading
processes are forked from this one, and a fork must find no other thread
(one holding a lock would leave it held in the child).
"""

from __future__ import annotations

import time

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.progress import Progress as Bar


def time_left(seconds: float) -> str:
    return f"about {seconds:.0f} s left" if seconds < 90 else f"about {seconds / 60:.0f} min left"


class Progress:
    """Counts items done of a total (known from the start or once planned) and shows them as they finish.

    Use it as a context manager around the work; `done` for each item,
    `graded` for each graded submission (its score, and whether the grader
    failed on it).
    """

    def __init__(self, verb: str, console: Console, total: int | None = None):
        self.verb, self.console, self.total = verb, console, total
        self.finished = self.failures = 0
        self.started = time.monotonic()
        self.bar: Bar | None = None

    def __enter__(self) -> Progress:
        self.started = time.monotonic()
        if self.console.is_terminal:
            self.bar = Bar(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                           TextColumn("{task.fields[failures]}"), TimeElapsedColumn(), TextColumn("left"),
                           TimeRemainingColumn(), console=self.console, transient=False, auto_refresh=False,
                           redirect_stdout=False, redirect_stderr=False)
            self.bar.start()
            self.task = self.bar.add_task(self.verb, total=self.total, failures="")
        return self

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()

    def expect(self, total: int) -> None:
        """The total, once the work is planned (a rerun may leave students out)."""
        self.total = total
        if self.bar is not None:
            self.bar.update(self.task, total=total, refresh=True)

    def graded(self, name: str, result: dict) -> None:
        failed = bool(result.get("extra_data", {}).get("grader_failure"))
        self.done(name, f"{result['score']:g}", failed=failed)

    def done(self, name: str, note: str = "", *, failed: bool = False) -> None:
        self.finished += 1
        self.failures += failed
        failures = f"{self.failures} grader failure{'s' if self.failures != 1 else ''}" if self.failures else ""
        if self.bar is not None:
            self.bar.update(self.task, advance=1, failures=failures, refresh=True)
            return
        counts = [f"{self.finished} of {self.total} done" if self.total else f"{self.finished} done"]
        if failures:
            counts.append(failures)
        if self.total and self.finished < self.total:
            elapsed = time.monotonic() - self.started
            counts.append(time_left(elapsed / self.finished * (self.total - self.finished)))
        self.console.print(f"{self.verb} {name}{': ' + note if note else ''} ({', '.join(counts)})",
                           highlight=False, markup=False, soft_wrap=True)
