"""What grading costs per submission as a class grows, and the floor under it.

Grades classes of a1 submissions (the solution and its other correct styles,
alternating with known bugs, as in `make bench`) with `atomgpt grade`, one
class size after the other, and reports for each size:
- wall seconds and seconds per submission;
- CPU seconds of the whole process tree (the command, its grading processes
  and every sandboxed worker) divided by N, and the marginal CPU per
  submission between two sizes;
- the peak resident memory of the largest single process, sampled every
  0.2 s (memory must stay flat as the class grows).
Then it measures the floor: starting one sandboxed worker and running the
solution's cells in it, with no test run (the part of grading that cannot be
avoided); and what one call into the student's process costs, with the
grader and the worker kept to one core and free to use any, alternated.

    python bench/scale.py [--sizes 200 2000] [--floor-runs 50]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from autograde import ASSIGNMENT, TreeSampler  # bench/autograde.py: the class and the memory sampler

from autograder.course import load_assignment, project_root
from autograder.sandbox import Student, StudentSession, strongest_boundary
from autograder.submission import read_submission
from autograder.variants import solution_notebook, variant_submissions, write_notebook


def class_of(n: int, folder: Path) -> list[Path]:
    """n notebooks: correct ones (solution and styles) alternating with known bugs."""
    root = project_root()
    assignment = load_assignment(ASSIGNMENT, root)
    solved = root / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    made = variant_submissions(assignment, solved, folder / "variants")
    correct = [write_notebook(solution_notebook(assignment), folder / "solution" / f"{ASSIGNMENT}.ipynb")]
    correct += [p for v, p in made if v.kind == "style"]
    buggy = [p for v, p in made if v.kind == "bug"]
    notebooks = []
    for i in range(n):
        pool = correct if i % 2 == 0 else buggy
        target = folder / "class" / f"s{i:05d}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(pool[(i // 2) % len(pool)], target)
        notebooks.append(target)
    return notebooks


def children_cpu() -> float:
    """CPU time of this process's reaped descendants. A sandboxed worker is killed with its launcher, which
    never reaps it, so its time is not in here: the workers report their own (`student_cpu_seconds`)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def grade(notebooks: list[Path], out: Path) -> dict:
    """`atomgpt grade` of the notebooks: wall, CPU of the whole process tree, peak memory of one process."""
    command = [sys.executable, "-m", "autograder", "grade", ASSIGNMENT, *map(str, notebooks), "--out", str(out),
               "--seed", "1"]
    cpu_before, started = children_cpu(), time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    sampler = TreeSampler(process.pid)
    sampler.start()
    _, errors = process.communicate()
    sampler.stop()
    seconds, cpu = time.perf_counter() - started, children_cpu() - cpu_before
    if process.returncode != 0:
        raise SystemExit(f"atomgpt grade failed:\n{errors[-3000:]}")
    results = [json.loads(path.read_text()) for path in out.glob("*.json")]
    cpu += sum(r["extra_data"]["student_cpu_seconds"] for r in results)
    return {"n": len(notebooks), "seconds": seconds, "cpu": cpu, "peak_process_mib": sampler.peak_process_kib / 1024,
            "results": len(results)}


def solved_program():
    """The assignment and its solution's program, as the engine reads it for grading."""
    root = project_root()
    assignment = load_assignment(ASSIGNMENT, root)
    return assignment, read_submission(root / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", ASSIGNMENT,
                                       assignment.release)


def floor(runs: int) -> dict:
    """Starting a sandboxed worker and running the solution's cells, no test: mean wall and CPU seconds."""
    assignment, program = solved_program()
    boundary = strongest_boundary()
    cpu_before, own_before, started = children_cpu(), time.process_time(), time.perf_counter()
    reported = 0.0
    for _ in range(runs):
        session = StudentSession(program.cells, assignment.rubric.limits, boundary, assignment.data_files)
        report = session.load()
        session.close()
        reported += session.cpu_seconds
        assert not report.cell_errors, report.cell_errors
    cpu = children_cpu() - cpu_before + time.process_time() - own_before + reported
    return {"runs": runs, "sandbox": boundary.name, "seconds": (time.perf_counter() - started) / runs,
            "cpu": cpu / runs}


def round_trip(calls: int, one_core: bool) -> dict:
    """Mean wall and CPU microseconds of one call into the student's process (a Value made), with the grader
    and the worker kept to one core (as each grading process of `atomgpt grade` is) or free to use any."""
    assignment, program = solved_program()
    allowed = os.sched_getaffinity(0)
    if one_core:
        os.sched_setaffinity(0, {min(allowed)})  # the worker started next inherits it
    session = StudentSession(program.cells, assignment.rubric.limits, strongest_boundary(), assignment.data_files)
    try:
        make = Student(session).Value
        make(0.0)
        worker_before, own_before, started = session.cpu_seconds, time.process_time(), time.perf_counter()
        for i in range(calls):
            make(float(i))
        seconds = time.perf_counter() - started
        cpu = time.process_time() - own_before + session.cpu_seconds - worker_before
    finally:
        session.close()
        os.sched_setaffinity(0, allowed)
    return {"one_core": one_core, "wall_us": seconds / calls * 1e6, "cpu_us": cpu / calls * 1e6}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 2000])
    parser.add_argument("--floor-runs", type=int, default=50)
    parser.add_argument("--calls", type=int, default=5000, help="calls timed for the cost of one round trip")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="atomgpt-scale-"))
    try:
        notebooks = class_of(max(args.sizes), work)
        rows = [grade(notebooks[:n], work / f"out-{n}") for n in args.sizes]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for row in rows:
        print(f"N={row['n']:>5}: {row['seconds']:7.1f} s wall ({row['seconds'] / row['n']:.3f} s per submission), "
              f"{row['cpu'] / row['n']:.3f} CPU s per submission, largest process {row['peak_process_mib']:.0f} MiB, "
              f"{row['results']} results")
    for small, large in zip(rows, rows[1:], strict=False):
        marginal = (large["cpu"] - small["cpu"]) / (large["n"] - small["n"])
        growth = large["peak_process_mib"] / small["peak_process_mib"] - 1
        print(f"N={small['n']} -> {large['n']}: marginal {marginal:.3f} CPU s per submission; "
              f"largest process {growth:+.1%} (target: at most +10%)")
    measured = floor(args.floor_runs)
    print(f"floor ({measured['sandbox']}): {measured['seconds']:.3f} s wall, {measured['cpu']:.3f} CPU s to start a "
          f"sandboxed worker and run the solution's cells, no test ({measured['runs']} runs)")
    trips = [round_trip(args.calls, one_core) for one_core in (False, True, False, True)]
    for one_core in (False, True):
        mean = {key: sum(t[key] for t in trips if t["one_core"] == one_core) / 2 for key in ("wall_us", "cpu_us")}
        print(f"one call into the student's process, grader and worker {'on one core' if one_core else 'free'}: "
              f"{mean['wall_us']:.0f} us wall, {mean['cpu_us']:.0f} us CPU")
    print(json.dumps({"sizes": rows, "floor": measured, "round_trips": trips}))


if __name__ == "__main__":
    main()
