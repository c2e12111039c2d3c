"""Grading on a Dask cluster: a real scheduler and two workers on loopback, each in a folder without the course.

The workers have the kit installed (this environment) but not the toy
course, which lives only in the tests: every grade they make comes from the
files that travelled with the run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import pytest

from autograder.batch import Job, grade_class
from autograder.classroom.autograde import autograde_class
from autograder.cluster import HandedIn, KitSlice, run_on_cluster
from autograder.course import load_assignment
from autograder.hidden_inputs import HiddenInputs

from .conftest import TOY_ROOT, write_code_notebook

distributed = pytest.importorskip("distributed")

SOLUTION = TOY_ROOT / "solutions" / "toy" / "toy.ipynb"
INPUTS = HiddenInputs.given(5)
CLASS = {
    "correct": None,
    "buggy": "def square(x):\n    return 2 * x\n",
    "looping": "def square(x):\n    while True:\n        pass\n",
    "crashing": "import os\ndef square(x):\n    os._exit(3)\n",
    "cheating": "import sys\ndef square(x):\n    print(open('/etc/passwd').read())\n    sys.exit(0)\n",
}


class Cluster:
    """A scheduler and workers started as separate programs, stopped at the end."""

    def __init__(self, top: Path):
        self.top = top
        self.file = top / "scheduler.json"
        self.env = {k: v for k, v in os.environ.items() if k != "ATOMGPT_ROOT"}
        self.env["DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES"] = "1"
        self.processes: list[subprocess.Popen] = []
        self.workers: list[subprocess.Popen] = []

    def start(self, program: str, *args: str, cwd: Path) -> subprocess.Popen:
        cwd.mkdir(parents=True, exist_ok=True)
        process = subprocess.Popen([sys.executable, "-m", f"distributed.cli.{program}", *args], cwd=cwd,
                                   env={**self.env, "HOME": str(cwd)}, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, start_new_session=True)
        self.processes.append(process)
        return process

    def add_worker(self) -> None:
        folder = self.top / f"worker-{len(self.workers)}"
        self.workers.append(self.start("dask_worker", "--scheduler-file", str(self.file), "--nthreads", "1",
                                       "--no-dashboard", "--host", "127.0.0.1", cwd=folder))

    def keep_workers(self, count: int) -> None:
        """Waits until `count` workers run, starting new ones for those whose nanny did not bring them back
        (a nanny whose worker dies again as it restarts gives up, more often on a busy machine)."""
        with distributed.Client(self.address, timeout="30s") as client:
            try:
                client.wait_for_workers(count, timeout=60)
            except TimeoutError:
                for _ in range(count - len(client.scheduler_info()["workers"])):
                    self.add_worker()
                client.wait_for_workers(count, timeout=120)

    @property
    def address(self) -> str:
        import json

        return json.loads(self.file.read_text())["address"]

    def stop(self) -> None:
        for process in self.processes:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    running = Cluster(tmp_path_factory.mktemp("cluster"))
    try:
        running.start("dask_scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                      "--scheduler-file", str(running.file), cwd=running.top / "scheduler")
        deadline = time.monotonic() + 60
        while not running.file.is_file():
            assert time.monotonic() < deadline, "the Dask scheduler did not start"
            time.sleep(0.2)
        running.add_worker()
        running.add_worker()
        running.keep_workers(2)
        yield running
    finally:
        running.stop()


def the_class(top: Path, cells: dict[str, str | None]) -> list[Job]:
    jobs = []
    for name, extra in cells.items():
        notebook = nbformat.read(SOLUTION, as_version=4)
        if extra:
            notebook.cells.append(nbformat.v4.new_code_cell(extra))
        path = top / f"{name}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, path)
        jobs.append(Job(name, path))
    return jobs


def scores(results: dict[str, dict]) -> dict[str, list[float]]:
    return {name: [t["score"] for t in result["tests"]] for name, result in results.items()}


def test_a_class_graded_on_the_cluster_gets_the_grades_of_the_local_pool(cluster, tmp_path):
    jobs = the_class(tmp_path / "class", CLASS)
    before = set(Path(tempfile.gettempdir()).glob("atomgpt-handed-in-*"))
    local = grade_class(TOY_ROOT, "toy", jobs, tmp_path / "local", inputs=INPUTS, workers=2)
    remote = grade_class(TOY_ROOT, "toy", jobs, tmp_path / "remote", inputs=INPUTS, scheduler=cluster.address)
    assert scores(remote) == scores(local) and sorted(remote) == sorted(CLASS)
    assert remote["correct"]["score"] == load_assignment("toy", TOY_ROOT).rubric.auto_points
    assert remote["buggy"]["score"] < remote["correct"]["score"]
    assert remote["cheating"]["score"] <= remote["buggy"]["score"]
    assert {p.stem for p in (tmp_path / "remote").glob("*.json")} == set(CLASS)
    sandbox = remote["correct"]["extra_data"]["sandbox"]
    assert sandbox == local["correct"]["extra_data"]["sandbox"] and "separate-process" in sandbox["active"]
    leftovers = set(Path(tempfile.gettempdir()).glob("atomgpt-handed-in-*")) - before
    assert not leftovers, leftovers  # nothing of the class stays on a worker once graded


def test_killing_a_worker_mid_run_loses_no_student(cluster, tmp_path):
    slow = {f"s{i}": "import time\ntime.sleep(1.0)\n" for i in range(8)}
    jobs = the_class(tmp_path / "class", slow)
    arrived: list[str] = []
    done = threading.Event()
    results: dict[str, dict] = {}

    def grade() -> None:
        results.update(grade_class(TOY_ROOT, "toy", jobs, tmp_path / "out", inputs=INPUTS, scheduler=cluster.address,
                                   progress=lambda job, result: arrived.append(job.name)))
        done.set()

    thread = threading.Thread(target=grade)
    thread.start()
    deadline = time.monotonic() + 120
    while not arrived:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    victim = cluster.workers[0]
    os.killpg(victim.pid, signal.SIGKILL)
    thread.join(timeout=300)
    cluster.add_worker()
    assert done.is_set() and sorted(results) == sorted(slow)
    full = load_assignment("toy", TOY_ROOT).rubric.auto_points
    assert all(r["score"] == full for r in results.values()), {n: r["score"] for n, r in results.items()}


def test_a_submission_that_keeps_killing_workers_is_a_grader_failure_for_it_alone(cluster, tmp_path):
    def poison(kit: KitSlice, handed_in: HandedIn) -> dict:
        """A grading task that kills its worker for one submission: a grader crash, not a student's.

        Defined here, so it travels by value: the workers cannot import the tests.
        """
        if handed_in.name == "poison":
            os._exit(1)
        return {"name": handed_in.name}

    jobs = [Job(name, write_code_notebook(tmp_path / f"{name}.ipynb", "x = 1")) for name in ("a", "poison", "b")]
    finished, failed = {}, []
    kit = KitSlice.of(load_assignment("toy", TOY_ROOT), None)
    run_on_cluster(cluster.address, kit, jobs, lambda job: HandedIn.read(job.name, job.path), poison, run="poison",
                   finished=lambda job, outcome: finished.update({job.name: outcome}),
                   failed=lambda job: failed.append(job.name))
    assert failed == ["poison"] and finished == {"a": {"name": "a"}, "b": {"name": "b"}}
    cluster.keep_workers(2)  # for the tests after this one


def test_atomgpt_autograde_on_the_cluster_fills_the_gradebook_as_the_local_pool_does(cluster, template, tmp_path):
    import shutil

    from nbgrader.api import Gradebook

    def graded(folder: Path, **where) -> dict[str, float]:
        course = shutil.copytree(template, folder / "course")
        for job in the_class(folder / "class", {k: CLASS[k] for k in ("correct", "buggy", "looping")}):
            target = course / "submitted" / job.name / "toy"
            target.mkdir(parents=True)
            shutil.copy(job.path, target / "toy.ipynb")
            (target / "timestamp.txt").write_text("2026-11-20 10:00:00.000000 UTC")
        run = autograde_class(TOY_ROOT, "toy", course, seed=5, **where)
        assert not run.failed and len(run.results) == 3
        assert (course / "autograded" / "buggy" / "toy" / "toy.ipynb").is_file()
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "atomgpt") as gradebook:
            return {s.student.id: s.score for s in gradebook.find_assignment("toy").submissions}

    assert graded(tmp_path / "remote", scheduler=cluster.address) == graded(tmp_path / "local", workers=2)


def test_the_command_line_grades_on_the_cluster_and_shows_progress(cluster, tmp_path):
    jobs = the_class(tmp_path / "class", {k: CLASS[k] for k in ("correct", "buggy")})
    env = {**os.environ, "ATOMGPT_ROOT": str(TOY_ROOT), "COLUMNS": "200"}
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", "toy", *[str(j.path) for j in jobs], "--out",
                           str(tmp_path / "out"), "--seed", "5", "--scheduler", cluster.address],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "(2 of 2 done)" in done.stderr
    assert {p.stem for p in (tmp_path / "out").glob("*.json")} == {"correct", "buggy"}
    nowhere = subprocess.run([sys.executable, "-m", "autograder", "grade", "toy", str(jobs[0].path), "--out",
                              str(tmp_path / "none"), "--seed", "5", "--scheduler", "tcp://127.0.0.1:9"],
                             env=env, capture_output=True, text=True, timeout=300)
    assert nowhere.returncode == 2 and "no Dask scheduler answers at tcp://127.0.0.1:9" in nowhere.stderr

