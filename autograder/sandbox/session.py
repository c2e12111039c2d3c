"""The trusted side of the wire: one student's process, seen as plain data.

`StudentSession` starts the worker, loads the submission's cells and sends
calls with a deadline. A call that hangs, crashes or runs out of memory
costs that call only: the worker is replaced and later calls go on. A
function that timed out once is not waited for again, and the whole
submission has a wall-clock budget.

`Remote` is how a hidden suite holds an object that lives in the student's
process; `Student` is the `student` fixture's face.
"""

from __future__ import annotations

import functools
import inspect
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import textwrap
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from . import worker as wire
from .launcher import Boundary, strongest_boundary
from .limits import Limits

DEFINITIONS = ("type", "function")  # globals a notebook defines once: cached per process


class StudentError(Exception):
    """Something went wrong in the student's code; the text is written for them."""


class StudentRaised(StudentError):
    pass


class MissingName(StudentError):
    pass


class StudentTimeout(StudentError):
    pass


class StudentCrashed(StudentError):
    pass


class LimitReached(StudentError):
    pass


@dataclass
class Incident:
    """A limit hit or a crash, reported to the student."""

    kind: str  # timeout | memory | crash | budget | output
    what: str
    detail: str

    def as_dict(self) -> dict:
        return {"kind": self.kind, "what": self.what, "detail": self.detail}


@dataclass
class Cell:
    index: int
    source: str


@dataclass
class LoadReport:
    names: list[str] = field(default_factory=list)
    cell_errors: list[dict] = field(default_factory=list)


class Remote:
    """An object that lives in the student's process.

    Equal only to a proxy of the very same object there; no truth value, so
    `assert remote_thing` can never pass by accident.
    """

    __slots__ = ("_session", "_ref", "_type", "_label", "_generation", "_exchange")

    def __init__(self, session: StudentSession, ref: int, type_name: str, label: str, generation: int):
        object.__setattr__(self, "_session", session)
        object.__setattr__(self, "_ref", ref)
        object.__setattr__(self, "_type", type_name)
        object.__setattr__(self, "_label", label)
        object.__setattr__(self, "_generation", generation)
        object.__setattr__(self, "_exchange", session.exchanges)  # the reply it came in

    def __getattr__(self, name: str):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        if self._exchange == self._session.exchanges:  # no student code ran since the reply it came in
            snapshot = self._session.snapshots.get(self._ref)
            if snapshot is not None and name in snapshot:
                return snapshot[name]
        return self._session.request(
            {"op": "getattr", "target": self._tag(), "name": name}, what=f"{self._type}.{name}")

    def __setattr__(self, name, value):
        raise AttributeError("objects in the student's process are read-only from the grader")

    def __call__(self, *args, **kwargs):
        return self._session.request(
            {"op": "call", "target": self._tag(), "args": self._session.encode(list(args)),
             "kwargs": self._session.encode(kwargs)}, what=self._label)

    def __eq__(self, other):
        return isinstance(other, Remote) and self._key() == other._key()

    def __hash__(self):
        return hash(self._key())

    def __bool__(self):
        raise TypeError(f"{self!r} has no truth value on the grader's side; compare plain data")

    def __repr__(self):
        return f"<student {self._type} #{self._ref}>"

    def _key(self):
        return (id(self._session), self._generation, self._ref)

    def _tag(self) -> dict:
        if self._generation != self._session.generation or self._session.process is None:
            raise StudentCrashed(
                "an object from before your code was restarted (after an earlier failure) "
                "was used again")
        return {"$ref": self._ref}


def _binary(name: str, reflected: bool = False):
    def method(self, other):
        args = [other, self] if reflected else [self, other]
        dunder = f"__r{name}__" if reflected else f"__{name}__"
        return self._session.operator(name, args, what=f"{self._type}.{dunder}")

    return method


for _name in ("add", "sub", "mul", "truediv", "pow"):
    setattr(Remote, f"__{_name}__", _binary(_name))
    setattr(Remote, f"__r{_name}__", _binary(_name, reflected=True))
Remote.__neg__ = lambda self: self._session.operator("neg", [self], what=f"{self._type}.__neg__")


class DeadlineReader:
    """A pipe whose reads raise TimeoutError once the deadline has passed."""

    def __init__(self, fd: int, deadline: float):
        self.fd = fd
        self.deadline = deadline
        self.pending = b""

    def read(self, size: int) -> bytes:
        if not self.pending:
            wait = self.deadline - time.monotonic()
            if wait <= 0 or not select.select([self.fd], [], [], wait)[0]:
                raise TimeoutError
            self.pending = os.read(self.fd, 1 << 16)  # a whole small frame in one read
        chunk, self.pending = self.pending[:size], self.pending[size:]
        return chunk


class StudentSession:
    """One submission's code in one sandboxed process, restarted on failure."""

    def __init__(self, cells: list[Cell], limits: Limits, boundary: Boundary | None = None,
                 files: Sequence[Path] = ()):
        self.cells = cells
        self.limits = limits
        self.boundary = boundary or strongest_boundary()
        self.files = list(files)
        self.workdir: Path | None = None
        self.process: subprocess.Popen | None = None
        self.generation = 0
        self.started = time.monotonic()
        self.incidents: list[Incident] = []
        self.hung: set[str] = set()
        self.definitions: dict[str, Remote] = {}
        self.helpers: dict[tuple, Remote] = {}  # the grader's helpers (and what they need) defined in this process
        self.exchanges = 0
        self.snapshots: dict[int, dict] = {}  # ref -> its attributes, as the last reply sent them
        self.cpu_used: dict[int, float] = {}  # CPU seconds each of its processes reported last (one per restart)
        self.load_report: LoadReport | None = None
        self.load_failure: StudentError | None = None

    # ------------------------------------------------------------ lifecycle

    def close(self) -> None:
        """Ends the student's process for good and removes its working folder."""
        self._stop()
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    def _stop(self) -> None:
        if self.process is None:
            return
        process, self.process = self.process, None
        if process.poll() is None:  # once reaped, its id may belong to another process
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        for stream in (process.stdin, process.stdout):
            try:
                stream.close()
            except OSError:
                pass
        process.wait()

    @property
    def cpu_seconds(self) -> float:
        """CPU time the student's processes reported using (a killed one's last call is not counted)."""
        return sum(self.cpu_used.values())

    def ensure_started(self) -> None:
        if self.process is not None:
            return
        if self.load_failure is not None and self.generation:
            raise self.load_failure.with_traceback(None)  # raised afresh each time, its traceback does not grow
        self.generation += 1
        self.definitions = {}
        self.helpers = {}
        self.process = self.boundary.start(self.limits, self._working_folder())
        message = {"op": "load", "cells": [c.__dict__ for c in self.cells],
                   "output_chars": self.limits.output_chars}
        try:
            reply = self._exchange(message, self.limits.load_timeout, "your notebook's cells")
        except StudentError as error:
            self.load_failure = error
            raise
        if self.load_report is None:
            self.load_report = LoadReport(reported_names(reply.get("value")), reported_errors(reply.get("cell_errors")))

    def _working_folder(self) -> Path:
        """A private folder, with copies of the course data files the notebook reads.

        Every sandbox gets one, so what a student's code writes never lands
        in a folder that others share; it goes away with the session.
        """
        if self.workdir is not None:
            return self.workdir
        self.workdir = Path(tempfile.mkdtemp(prefix="atomgpt-work-"))
        for source in self.files:
            shutil.copyfile(source, self.workdir / source.name)
        if self.boundary.run_as is not None:
            self.workdir.chmod(0o755)  # readable by the unprivileged user the code runs as
        return self.workdir

    def load(self) -> LoadReport:
        """Runs the notebook's cells now; failures are kept, not raised."""
        try:
            self.ensure_started()
        except StudentError:
            pass
        return self.load_report or LoadReport()

    # ------------------------------------------------------------ calls

    def request(self, message: dict, what: str):
        if what in self.hung:
            raise StudentTimeout(f"{what} did not finish earlier in this run, so it was not called again")
        self.ensure_started()
        reply = self._exchange(message, self.limits.call_timeout, what)
        if "error" in reply:
            raise self._error(reply["error"] if isinstance(reply["error"], dict) else {}, what)
        return reply["value"]

    def operator(self, name: str, args: list, what: str):
        return self.request({"op": "operator", "name": name, "args": self.encode(args)}, what=what)

    def global_(self, name: str):
        """A global of the notebook; classes and functions are fetched once per process."""
        if name in self.definitions and self.process is not None:
            return self.definitions[name]
        value = self.request({"op": "global", "name": name}, what=name)
        if isinstance(value, Remote) and value._type in DEFINITIONS:
            self.definitions[name] = value
        return value

    def define(self, function: Callable, *needs: Callable) -> Remote:
        """A helper function shipped as its source, defined once per process (see `Student.define`)."""
        key = (function, *needs)
        if self.process is not None and key in self.helpers:
            return self.helpers[key]
        source = "\n\n".join(helper_source(helper) for helper in (*needs, function))
        message = {"op": "define", "name": function.__name__, "source": source}
        handle = self.request(message, what=f"the grader's {function.__name__}")
        self.helpers[key] = handle
        return handle

    def type_name(self, value) -> str:
        """The type's name, as sent with the object (no extra call)."""
        return value._type if isinstance(value, Remote) else type(value).__name__

    def run_cell(self, index: int, source: str, what: str | None = None) -> None:
        """Runs a visible check cell (code cell `index`, or as `what` names it); raises StudentRaised when it fails."""
        self.request({"op": "exec", "index": index, "source": source}, what=what or f"code cell {index}")

    # ------------------------------------------------------------ codec

    def encode(self, value):
        return wire.encode(value, self._outgoing)

    def _tagged(self, data: dict):
        """A JSON object of a reply as json reads it, innermost first: tags become values, the rest stays.

        A tag's key comes first (the worker writes it so); an object that
        does not start with one is plain data, as the frame's own fields are.
        """
        tag = next(iter(data), None)
        if tag == "$tuple":
            return tuple(data["$tuple"])
        if tag == "$ref":
            ref, attributes = int(data["$ref"]), data.get("$attrs")
            if isinstance(attributes, dict):
                self.snapshots[ref] = attributes
            return Remote(self, ref, str(data.get("$type", "object"))[:80], str(data.get("$label", "object"))[:120],
                          self.generation)
        if tag == "$dict":
            return dict(data["$dict"])
        if tag == "$npy":
            return wire.decode_numpy(data["$npy"])
        return data

    @staticmethod
    def _outgoing(value):
        """How a grader-side value that is not plain data is sent: proxies by number."""
        if isinstance(value, Remote):
            return value._tag()
        try:
            import numpy

            if isinstance(value, numpy.generic):
                return value.item()
        except ImportError:
            pass
        raise TypeError(f"cannot send a {type(value).__name__} to the student's process")

    # ------------------------------------------------------------ the wire

    def _exchange(self, message: dict, timeout: float, what: str) -> dict:
        remaining = self.limits.budget - (time.monotonic() - self.started)
        if remaining <= 0:
            self._note("budget", what, f"the submission used its {self.limits.budget:g} s time budget")
            raise LimitReached(
                f"not run: your code used the whole time budget of {self.limits.budget:g} s "
                "for this submission")
        budget_ends_first = remaining < timeout
        deadline = time.monotonic() + min(timeout, remaining)
        self.exchanges += 1  # attribute snapshots sent before this are out of date from now on
        self.snapshots = {}
        try:
            wire.send_request(self.process.stdin, message)
            reply = self._read(deadline)
        except (BrokenPipeError, OSError, ValueError):
            reply = None
        if reply is None:
            self._fail(what, timeout, deadline, budget_ends_first)
        cpu = reply.get("cpu")  # reported from inside the student's process: only a plausible number counts
        if type(cpu) in (int, float) and 0 <= cpu < float("inf"):
            self.cpu_used[self.generation] = float(cpu)
        if reply.get("output_dropped") and message["op"] != "load":  # a notebook's own printing is not a call's
            self._note("output", what, f"printed more than the {self.limits.output_chars:,} characters kept per call "
                                       "(the rest was dropped)")
        return reply

    def _read(self, deadline: float) -> dict | None:
        """The reply, its values decoded; what this side cannot read as a reply is a ValueError."""
        body = wire.read_frame(DeadlineReader(self.process.stdout.fileno(), deadline))
        if body is None:
            return None
        try:
            reply = json.loads(body, object_hook=self._tagged)
        except (TypeError, KeyError, RecursionError) as error:  # the student's code may write to the wire
            raise ValueError(f"unreadable reply: {error!r}") from None
        if not isinstance(reply, dict):
            raise ValueError("a reply must be a JSON object")
        return reply

    def _fail(self, what: str, timeout: float, deadline: float, budget_ends_first: bool):
        """The worker went silent or died: say which, and replace it."""
        process = self.process
        timed_out = time.monotonic() >= deadline - 0.01
        try:
            exit_code = None if timed_out else process.wait(timeout=1)
        except subprocess.TimeoutExpired:
            exit_code = None
        self._stop()
        if timed_out and budget_ends_first:
            self._note("budget", what, f"the submission used its {self.limits.budget:g} s time budget")
            raise LimitReached(f"{what} was stopped: your code used the whole time budget of "
                               f"{self.limits.budget:g} s for this submission")
        if timed_out:
            self.hung.add(what)
            self._note("timeout", what, f"did not finish within {timeout:g} s (an endless loop?)")
            raise StudentTimeout(f"{what} did not finish within {timeout:g} s: is there an endless loop?")
        detail = describe_exit(exit_code)
        self._note("crash", what, detail)
        raise StudentCrashed(f"your code's process ended while {what} ran: {detail}")

    def _error(self, error: dict, what: str) -> StudentError:
        kind = str(error.get("type", "Error"))[:80]
        text = str(error.get("message", ""))[:500]
        if kind == "MissingName":
            return MissingName(missing_name_message(text, self.load_report))
        if kind == "MemoryError":
            self._note("memory", what, f"used more than the {self.limits.memory_mb} MB memory limit")
            return StudentRaised(f"{what} used more than the {self.limits.memory_mb} MB memory limit")
        where = error.get("where")
        place = ""
        if isinstance(where, dict):
            place = f" (code cell {where.get('cell')}, line {where.get('line')}: {str(where.get('code'))[:120]})"
        if kind == "NotImplementedError":
            return StudentRaised(f"{what} reached code that is not written yet (NotImplementedError){place}")
        detail = f"{kind}: {text}" if text else kind
        return StudentRaised(f"{what} raised {detail}{place}")

    def _note(self, kind: str, what: str, detail: str) -> None:
        incident = Incident(kind, what, detail)
        if incident not in self.incidents:
            self.incidents.append(incident)


# What the worker reports comes from the student's process, where their code could have changed the
# worker: the grader keeps only what has the shape it reads.

def reported_names(value) -> list[str]:
    return [name for name in value if isinstance(name, str)] if isinstance(value, list) else []


def reported_errors(value) -> list[dict]:
    """Cell errors, each a dict whose `where` is a dict or None."""
    if not isinstance(value, list):
        return []
    return [{**error, "where": error.get("where") if isinstance(error.get("where"), dict) else None}
            for error in value if isinstance(error, dict)]


@functools.cache
def helper_source(function: Callable) -> str:
    """The source of a helper the grader may ship: a plain module-level function, nothing it closes over."""
    if (not inspect.isfunction(function) or function.__name__ == "<lambda>" or function.__closure__
            or function.__qualname__ != function.__name__):
        raise TypeError(f"{function!r}: only module-level functions (no lambda, no closure) can be defined")
    return textwrap.dedent(inspect.getsource(function))


def describe_exit(code: int | None) -> str:
    if code is None:
        return "it stopped answering"
    if code > 128 and code - 128 in signal.Signals._value2member_map_:
        code = 128 - code  # bubblewrap reports a signal that ended the worker as 128 + its number
    if code < 0:
        name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
        if name == "SIGXCPU":
            return "it used up its CPU time"
        if name == "SIGKILL":
            return "it was killed (too much memory, or it killed itself)"
        return f"it was stopped by {name}"
    return f"it exited with code {code} (os._exit, sys.exit or a crash in your code)"


def missing_name_message(name: str, report: LoadReport | None) -> str:
    import difflib

    names = report.names if report else []
    close = difflib.get_close_matches(name, names, n=2, cutoff=0.6)
    hint = f" Did you rename it? Close names in your notebook: {', '.join(close)}." if close else ""
    return (f"your notebook does not define `{name}` (was its cell deleted, renamed, or "
            f"did it fail to run?).{hint}")


class Student:
    """The `student` fixture: the submission's globals, seen from the grader."""

    def __init__(self, session: StudentSession):
        object.__setattr__(self, "_session", session)

    def __getattr__(self, name: str):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return self._session.global_(name)

    def has(self, name: str) -> bool:
        try:
            self._session.global_(name)
        except MissingName:
            return False
        return True

    def type_name(self, value) -> str:
        return self._session.type_name(value)

    def hold(self, value) -> Remote:
        """Sends plain data to keep in the student's process: a handle, not a copy.

        For arguments a student's function must change in place (Adam's
        moment lists); read them back with `handle.copy()`.
        """
        return self._session.request({"op": "hold", "value": self._session.encode(value)}, what="the grader's data")

    def define(self, function: Callable, *needs: Callable) -> Remote:
        """The grader's helper function, defined in the student's process, as a handle to call there.

        For code that must run beside the student's objects (build a graph
        with their `Value`, read the grads of many nodes in one call). Only
        the function's source travels (`inspect.getsource`), so a helper is a
        plain module-level function of a real, linted module: no closure, no
        lambda, and it holds no expected value. Its globals are the
        notebook's, plus the helpers named in `needs`, defined beside it. Defined
        once per student process.
        """
        return self._session.define(function, *needs)

    def evaluate(self, expression: str) -> Remote:
        """One expression evaluated among the student's globals, kept there as a handle.

        For functions a test passes to the student's code, e.g.
        `student.evaluate("lambda a, b: a * b + a.exp()")`. Only the expression
        travels, never the test's expected values.
        """
        return self._session.request({"op": "evaluate", "source": expression}, what="the grader's expression")
