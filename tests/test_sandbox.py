"""The worker boundary: plain data only, limits that cost one call, a grader that survives."""

from __future__ import annotations

import inspect
import math
import os
import shutil
import socket
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

from autograder.grading import describe_cell_errors
from autograder.sandbox import (
    Cell,
    LimitReached,
    Limits,
    MissingName,
    Remote,
    Student,
    StudentCrashed,
    StudentRaised,
    StudentSession,
    StudentTimeout,
    launcher,
)
from autograder.sandbox.launcher import (
    ALL_PROTECTIONS,
    SandboxError,
    bubblewrap,
    strongest_boundary,
    works,
)
from autograder.sandbox.session import describe_exit
from autograder.sandbox.worker import Worker, send_request

CODE = '''
import math
class Node:
    def __init__(self, data, kids=()):
        self.data = data
        self.kids = tuple(kids)
    def __add__(self, other):
        other = other if isinstance(other, Node) else Node(other)
        return Node(self.data + other.data, (self, other))
    __radd__ = __add__

class Liar:
    def __eq__(self, other):
        return True
    def __bool__(self):
        return True

class SlyFloat(float):
    def __eq__(self, other):
        return True

def plain():
    return {"i": 3, "f": 2.5, "nan": math.nan, "inf": -math.inf, "t": (1, [2, 3]), "b": True, "s": "x"}
def array():
    import numpy
    return numpy.arange(6.0).reshape(2, 3)
def liar():
    return Liar()
def sly():
    return SlyFloat(1.0)
def spin():
    while True:
        pass
def hog():
    return bytearray(4 * 1024 ** 3)
def shout():
    print("x" * 10_000_000)
    return 1
def boom():
    return 1 / 0
def big_file():
    with open("big.bin", "wb") as f:
        f.write(b"0" * (64 * 1024 * 1024))
ANSWER = 42
'''


def test_plain_data_arrives_as_real_python_values(run_student):
    student = Student(run_student(CODE))
    got = student.plain()
    assert got["i"] == 3 and type(got["i"]) is int
    assert got["f"] == 2.5 and got["t"] == (1, [2, 3]) and got["b"] is True and got["s"] == "x"
    assert math.isnan(got["nan"]) and got["inf"] == -math.inf
    np.testing.assert_array_equal(student.array(), np.arange(6.0).reshape(2, 3))
    assert student.ANSWER == 42


def test_objects_stay_remote_and_compare_by_identity(run_student):
    student = Student(run_student(CODE))
    a = student.Node(2.0)
    c = a + 3
    d = 1 + c
    assert isinstance(c, Remote) and c.data == 5.0 and d.data == 6.0
    assert c.kids[0] == a and c.kids[1] != a
    assert len({a, c.kids[0], c}) == 2
    with pytest.raises(TypeError):
        bool(c)


SNAPSHOTS = """
class Box:
    def __init__(self, value):
        self.value, self.reads = value, 0
    def bump(self):
        self.value += 1

class Counted:
    def __init__(self):
        self.reads = 0
    @property
    def value(self):
        self.reads += 1
        return self.reads

class Logged(Box):
    def __getattribute__(self, name):
        if name == "value":
            object.__setattr__(self, "reads", object.__getattribute__(self, "reads") + 1)
        return object.__getattribute__(self, name)
"""


def test_attributes_sent_with_an_object_are_read_only_until_the_next_request(run_student):
    session = run_student(SNAPSHOTS)
    student = Student(session)
    box = student.Box(1.0)
    before = session.exchanges
    assert box.value == 1.0 and box.reads == 0 and session.exchanges == before  # read from what came with it
    box.bump()
    assert box.value == 2.0 and session.exchanges == before + 3  # bump fetched, called; then value asked again
    counted = student.Counted()
    assert counted.value == 1 and counted.value == 2  # a property runs every time, as in the student's process
    logged = student.Logged(5.0)
    assert logged.value == 5.0 and logged.value == 5.0 and logged.reads == 2  # custom attribute access too


def test_an_object_sent_several_times_in_one_reply_is_read_from_one_snapshot(run_student):
    code = ("class Node:\n    def __init__(self, data, kids=()):\n        self.data, self.kids = data, tuple(kids)\n"
            "def chain():\n    leaf = Node(1.0)\n    top = Node(3.0, [Node(2.0, [leaf])])\n"
            "    return [top, leaf, leaf]\n")
    session = run_student(code)
    top, leaf, again = Student(session).chain()
    before = session.exchanges
    assert leaf == again and leaf.data == 1.0 and again.data == 1.0
    (middle,) = top.kids
    (bottom,) = middle.kids  # too deep for top's own snapshot; the leaf's came with the reply all the same
    assert middle.data == 2.0 and bottom == leaf and bottom.data == 1.0 and bottom.kids == ()
    assert session.exchanges == before


def test_the_worker_starts_without_the_modules_that_cost_most_to_import(run_student):
    """A worker starts for every submission: json, functools and linecache cost about 9 ms of CPU to import."""
    session = run_student("import sys\nLOADED = [m for m in ('json', 'functools', 'linecache') if m in sys.modules]\n")
    assert Student(session).LOADED == []


def test_tracebacks_the_students_code_prints_show_its_lines(run_student):
    code = ("import traceback\ndef shown():\n    try:\n        1 / 0\n    except ZeroDivisionError:\n"
            "        return traceback.format_exc()\n")
    assert "1 / 0" in Student(run_student(code)).shown()


def test_held_data_is_changed_in_place_and_expressions_see_student_globals(run_student):
    student = Student(run_student(CODE + "def bump(xs):\n    xs[0] += 1.0\n"))
    moments = student.hold([1.0, 2.0])
    assert isinstance(moments, Remote)
    student.bump(moments)
    student.bump([5.0])
    assert moments.copy() == [2.0, 2.0]
    square = student.evaluate("lambda x: Node(x.data * x.data)")
    assert square(student.Node(3.0)).data == 9.0
    with pytest.raises(StudentRaised, match="NameError") as raised:
        student.evaluate("no_such_name + 1")
    assert "+ 1" not in str(raised.value)  # the grader's code is not shown to the student


EXPECTED = 9.0  # a value of the trusted side: a defined helper must never see it


def squared_node(node):
    """A helper the grader ships: it runs among the student's globals (their Node)."""
    return globals()["Node"](node.data * node.data)


def leaks_expected():
    return EXPECTED


def countdown(n):
    """Recursion by its own name works: the helper is a global where it runs."""
    return 0 if n == 0 else countdown(n - 1)


def test_a_defined_helper_runs_beside_the_students_objects_and_is_sent_once(run_student):
    session = run_student(CODE)
    student = Student(session)
    square = student.define(squared_node)
    assert isinstance(square, Remote) and square(student.Node(3.0)).data == 9.0
    before = session.exchanges
    assert student.define(squared_node) == square and session.exchanges == before
    assert student.define(countdown)(50) == 0
    assert not student.has("squared_node")  # the notebook's names stay the student's


def test_only_a_helpers_source_travels_never_the_graders_values(run_student):
    student = Student(run_student(CODE))
    with pytest.raises(StudentRaised, match="NameError") as raised:
        student.define(leaks_expected)()
    assert "EXPECTED" in str(raised.value) and "9.0" not in str(raised.value)
    threshold = 2.0
    for not_a_plain_function in (lambda x: x, lambda x: x > threshold, Student.define):
        with pytest.raises(TypeError, match="module-level"):
            student.define(not_a_plain_function)


def test_a_helper_is_defined_again_in_a_restarted_process(run_student):
    student = Student(run_student(CODE))
    square = student.define(squared_node)
    with pytest.raises(StudentTimeout):
        student.spin()
    with pytest.raises(StudentCrashed, match="restarted"):
        square(student.Node(2.0))  # made in the process the hang ended
    assert student.define(squared_node)(student.Node(2.0)).data == 4.0


def test_a_hang_in_one_of_the_graders_functions_blocks_only_that_one(run_student):
    student = Student(run_student(CODE))
    endless, cube = student.evaluate("lambda: [0 for _ in iter(int, 1)]"), student.evaluate("lambda x: x ** 3")
    with pytest.raises(StudentTimeout) as hung:
        endless()
    assert "iter(int" not in str(hung.value)
    with pytest.raises(StudentCrashed, match="restarted"):
        cube(2)  # made in the process the hang ended
    assert student.evaluate("lambda x: x ** 3")(2) == 8
    with pytest.raises(StudentTimeout, match="not called again"):
        student.evaluate("lambda: [0 for _ in iter(int, 1)]")()


def test_course_data_files_are_in_the_working_folder_and_go_away(tmp_path):
    data = tmp_path / "names.txt"
    data.write_text("emma\nava\n")
    code = "NAMES = open('names.txt').read().split()\ndef write():\n    open('out.txt', 'w').write('x')\n"
    session = StudentSession([Cell(1, code)], Limits(call_timeout=1.0), strongest_boundary(), [data])
    try:
        student = Student(session)
        assert student.NAMES == ["emma", "ava"]
        student.write()
        workdir = session.workdir
        assert (workdir / "out.txt").read_text() == "x" and not (tmp_path / "out.txt").exists()
    finally:
        session.close()
    assert not workdir.exists() and data.read_text() == "emma\nava\n"


def test_rigged_equality_cannot_reach_the_grader(run_student):
    student = Student(run_student(CODE))
    liar = student.liar()
    assert isinstance(liar, Remote)
    assert liar != 1.0 and liar != student.Liar() and not liar == 1.0
    sly = student.sly()
    assert isinstance(sly, Remote) and sly != 1.0


def test_an_endless_loop_costs_one_timeout_and_the_rest_still_runs(run_student):
    session = run_student(CODE, call_timeout=0.5)
    student = Student(session)
    started = time.monotonic()
    with pytest.raises(StudentTimeout):
        student.spin()
    with pytest.raises(StudentTimeout, match="not called again"):
        student.spin()
    assert time.monotonic() - started < 2.5
    assert student.ANSWER == 42
    assert [i.kind for i in session.incidents] == ["timeout"]


def test_memory_limit_is_a_message_not_a_crash(run_student):
    session = run_student(CODE, memory_mb=256)
    with pytest.raises(StudentRaised, match="256 MB memory limit"):
        Student(session).hog()
    assert Student(session).ANSWER == 42
    assert session.incidents[0].kind == "memory"


def test_printing_is_bounded(run_student):
    assert Student(run_student(CODE, output_chars=100)).shout() == 1
    worker = Worker()
    reply = worker.handle({"op": "load", "output_chars": 100,
                           "cells": [{"index": 1, "source": "print('x' * 10_000_000)"}]})
    assert reply["output"].startswith("x" * 100) and len(reply["output"]) < 200
    assert "more characters not shown" in reply["output"]


def test_printing_past_the_cap_is_reported_as_an_incident(run_student):
    session = run_student(CODE, output_chars=100)
    assert Student(session).ANSWER == 42
    assert session.incidents == []
    Student(session).shout()
    assert [(i.kind, i.what) for i in session.incidents] == [("output", "shout")]
    assert "100 characters" in session.incidents[0].detail


def working_boundaries() -> list:
    """Every sandbox that works on this machine, strongest first."""
    found = []
    for name in ("bubblewrap", "namespaces", "process"):
        try:
            found.append(strongest_boundary(name))
        except SandboxError:
            pass
    return found


@pytest.mark.parametrize("boundary", working_boundaries(), ids=lambda b: b.name)
def test_every_sandbox_gives_the_worker_a_private_working_folder(boundary):
    name = f"notes-{os.getpid()}-{time.monotonic_ns()}.txt"
    code = f"import os\ndef write():\n    open({name!r}, 'w').write('x')\n    return os.listdir('.')\n"
    session = StudentSession([Cell(1, code)], Limits(call_timeout=2.0), boundary)
    try:
        assert Student(session).write() == [name]
        workdir = session.workdir
        assert (workdir / name).read_text() == "x"
        assert not (Path(tempfile.gettempdir()) / name).exists() and not Path(name).exists()
    finally:
        session.close()
    assert not workdir.exists()


def test_a_call_cut_short_by_the_time_budget_says_so(run_student):
    session = run_student(CODE, call_timeout=10.0, budget=1.0)
    with pytest.raises(LimitReached, match="whole time budget of 1 s"):
        Student(session).spin()
    assert [i.kind for i in session.incidents] == ["budget"]


def test_a_worker_past_its_cpu_time_is_told_so(tmp_path):
    """The CPU soft limit sits below the hard one, so the kernel's SIGXCPU names the cause."""
    worker = strongest_boundary().start(Limits(budget=0.0), tmp_path)
    try:
        send_request(worker.stdin, {"op": "load", "cells": [{"index": 1, "source": "while True: pass"}]})
        assert describe_exit(worker.wait(timeout=120)) == "it used up its CPU time"
    finally:
        worker.kill()
        worker.wait()


def test_student_exceptions_say_where(run_student):
    with pytest.raises(StudentRaised, match=r"ZeroDivisionError.*cell 1, line \d+"):
        Student(run_student(CODE)).boom()


def test_missing_names_suggest_close_ones(run_student):
    with pytest.raises(MissingName, match="`Nodes`.*Node"):
        _ = Student(run_student(CODE)).Nodes


def test_exit_at_load_fails_every_call_quickly(run_student):
    session = run_student("def f():\n    return 1\nimport os\nos._exit(0)")
    with pytest.raises(StudentCrashed, match="exited with code 0"):
        Student(session).f()
    started = time.monotonic()
    with pytest.raises(StudentCrashed):
        Student(session).f()
    assert time.monotonic() - started < 0.5


def test_sys_exit_at_load_is_a_cell_error(run_student):
    session = run_student("def f():\n    return 1\nimport sys\nsys.exit(0)")
    assert Student(session).f() == 1
    assert session.load_report.cell_errors[0]["type"] == "SystemExit"


def test_killing_the_parent_leaves_the_grader_alive(run_student):
    session = run_student(
        "import os, signal\n"
        "def parent():\n    return os.getppid()\n"
        "def kill():\n    os.kill(os.getppid(), signal.SIGKILL)\n    return 1\n"
        "def f():\n    return 7")
    student = Student(session)
    assert student.parent() != os.getpid(), "the student's code must not see the grader as its parent"
    try:
        student.kill()
    except StudentCrashed:
        pass
    assert student.f() == 7  # the grader went on, restarting the student's process if it had to


def test_the_time_budget_stops_further_calls(run_student):
    session = run_student(CODE, budget=1.0, call_timeout=0.6)
    student = Student(session)
    with pytest.raises(StudentTimeout):
        student.spin()
    time.sleep(0.5)
    with pytest.raises(LimitReached, match="time budget"):
        _ = student.ANSWER


def test_file_writes_are_capped(run_student):
    with pytest.raises((StudentRaised, StudentCrashed)):
        Student(run_student(CODE, file_mb=1)).big_file()


def outer_uid() -> int:
    """The worker's user id as the machine outside any user namespace sees it."""
    import os

    uid = os.geteuid()
    try:
        with open("/proc/self/uid_map") as mapping:
            for line in mapping:
                inside, outside, count = map(int, line.split())
                if inside <= uid < inside + count:
                    return outside + uid - inside
    except OSError:
        pass
    return uid


def protections_seen(grader_pid: int, grader_port: int, grader_file: str) -> dict:
    """Runs in the worker: which protections hold, each tried from the inside."""
    import os
    import resource
    import socket

    seen = {"separate-process": os.getpid() != grader_pid,
            "resource-limits": resource.getrlimit(resource.RLIMIT_AS)[0] != resource.RLIM_INFINITY,
            "private-filesystem": not os.path.exists(grader_file),
            "unprivileged-user": outer_uid() != 0}
    try:
        socket.create_connection(("127.0.0.1", grader_port), timeout=2).close()
        seen["no-network"] = False
    except OSError:
        seen["no-network"] = True
    try:
        os.kill(grader_pid, 0)
        seen["process-isolation"] = False
    except OSError:  # no such process here, or not allowed to signal it
        seen["process-isolation"] = True
    return seen


def test_every_protection_a_result_lists_as_active_holds_in_the_worker(run_student):
    described = strongest_boundary().describe()
    assert "separate-process" in described["active"]
    with socket.create_server(("127.0.0.1", 0)) as server:
        session = run_student(inspect.getsource(outer_uid) + inspect.getsource(protections_seen))
        seen = Student(session).protections_seen(os.getpid(), server.getsockname()[1], os.path.abspath(__file__))
    assert set(seen) == set(ALL_PROTECTIONS)
    assert [p for p in described["active"] if not seen[p]] == [], f"claimed but not in force ({described['backend']})"


@pytest.mark.skipif(strongest_boundary().name != "bubblewrap", reason="needs bubblewrap")
def test_bubblewrap_hides_course_files_and_network(run_student):
    here = os.path.abspath(__file__)
    session = run_student(
        "import os, socket\n"
        f"def sees():\n    return os.path.exists({here!r})\n"
        "def net():\n    socket.create_connection(('127.0.0.1', 9), timeout=1)\n"
        "def uid():\n    return os.getuid()\n")
    student = Student(session)
    assert student.sees() is False
    assert student.uid() != 0
    with pytest.raises(StudentRaised, match="OSError|ConnectionRefused|Network"):
        student.net()


def test_the_cpu_time_the_students_code_used_is_counted_across_restarts(run_student):
    session = run_student("def work():\n    return sum(i * i for i in range(2_000_000))\n", call_timeout=10.0)
    student = Student(session)
    student.work()
    first = session.cpu_seconds
    session._stop()  # a restart, as after a crash: the new process counts from zero, the old one's time stays
    student.work()
    assert first > 0.05 and session.cpu_seconds > first + 0.05


def test_a_cpu_time_the_students_code_forged_is_not_counted(run_student):
    """The worker reports its CPU time from inside the student's process: a forged figure must not break grading."""
    forged = ("import os\nclass Lots:\n    def __radd__(self, other):\n        return 'lots'\n"
              "os.times = lambda: (Lots(),) * 5\ndef f():\n    return 1\n")
    session = run_student(forged)
    assert Student(session).f() == 1
    assert session.cpu_seconds == 0.0


@pytest.mark.skipif(not shutil.which("bwrap"), reason="bubblewrap is not installed")
def test_bubblewrap_works_for_a_python_started_through_a_relative_path(monkeypatch):
    """`../.venv/bin/python` from a folder bubblewrap does not mount (here tests/) must not lose the sandbox."""
    tests = Path(__file__).resolve().parent
    if not Path(sys.executable).is_relative_to(tests.parent):
        pytest.skip("this Python is not in the kit's folder")
    monkeypatch.setattr(sys, "executable", str(tests / ".." / Path(sys.executable).relative_to(tests.parent)))
    assert works(bubblewrap())


def test_a_load_report_the_students_code_forged_keeps_the_shape_the_grader_reads(run_student):
    """Student code can reach the worker it runs in: what it reports must not break the grader's reading."""
    forged = ("import sys\nsys.modules['__main__'].Worker.describe = lambda self, error: {'type': 1, 'where': [2]}\n"
              "raise ValueError('x')\n")
    report = run_student(forged).load()
    assert [error["where"] for error in report.cell_errors] == [None]
    assert describe_cell_errors(report.cell_errors) == ["Code cell 1 raised 1"]


@pytest.mark.parametrize("nobody_can_run_it", [True, False])
@pytest.mark.parametrize("make", [launcher.bubblewrap, launcher.namespaces, launcher.plain_process])
def test_a_grader_running_as_root_starts_student_code_as_nobody_when_nobody_can_run_it(
        make, nobody_can_run_it, monkeypatch):
    monkeypatch.setattr(launcher.os, "geteuid", lambda: 0)
    monkeypatch.setattr(launcher, "works", lambda boundary: nobody_can_run_it and boundary.run_as == launcher.NOBODY)
    monkeypatch.setattr(launcher.shutil, "which", lambda name: f"/usr/bin/{name}")
    boundary = make()
    assert (boundary.run_as == launcher.NOBODY) is nobody_can_run_it
    assert ("unprivileged-user" in boundary.active) is nobody_can_run_it


@pytest.mark.parametrize("make", [launcher.bubblewrap, launcher.namespaces, launcher.plain_process])
def test_a_grader_not_running_as_root_keeps_its_own_unprivileged_user(make, monkeypatch):
    monkeypatch.setattr(launcher.os, "geteuid", lambda: 1000)
    monkeypatch.setattr(launcher.shutil, "which", lambda name: f"/usr/bin/{name}")
    boundary = make()
    assert boundary.run_as is None and "unprivileged-user" in boundary.active
