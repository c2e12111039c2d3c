"""Autograding a class of A1 three ways, side by side, on this machine.

The class: N synthetic submissions of a1_values, built deterministically from
variants.toml. About half are correct (the solution and its other correct
styles), half carry one known bug, and one student in a hundred (at least
one whenever N >= 20) hands in `cheat-infinite-loop`, whose
topological_order never returns: the case that costs stock nbgrader a
30-second cell timeout per test cell it hangs.

The ways, each started from an identical copy of one prepared course
(release, gradebook and submissions):

* stock: `nbgrader autograde` with nbgrader's own Execute step (the course's
  atomgpt block removed from nbgrader_config.py, so nbgrader's defaults apply);
* engine-nbgrader: `nbgrader autograde` with the engine in place of Execute;
* atomgpt: `atomgpt autograde`, the whole class in parallel;
* dask: `atomgpt autograde --scheduler` on a Dask LocalCluster of
  single-threaded workers, one per core, started before the timing as a
  standing cluster would be (its workers' memory is not in the command's
  process tree).

Only the grading command is timed (wall clock). Speed-ups are ratios of
times measured in the same run, so they compare like with like on whatever
this machine is doing at the time. The two short ways (atomgpt and dask)
grade the class three times (`--repeat`), each time from a fresh copy, and
count their median run: a few seconds of other work on a shared machine
moves a 15-second run far more than a 5-minute one. Every run must give
every student the same score. Peak memory is sampled every 0.2 s over
the grading command's whole process tree (kernels and sandboxes included).
Afterwards `nbgrader export` of each course checks that the three ways graded
the same students and whether their scores agree.

    python bench/autograde.py [--n 200] [--workers N] [--repeat 3] [--keep DIR] [--skip-stock] [--json PATH]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table

from autograder.build import generate_release, write_source
from autograder.classroom.config import remove_engine, write_config
from autograder.classroom.steps import export_grades, hand_in
from autograder.course import Assignment, load_assignment, project_root
from autograder.hidden_inputs import read_secret
from autograder.nbgrader_tools import tool_env
from autograder.variants import handed_in_with, solution_notebook, variant_submissions, write_notebook

ASSIGNMENT = "a1_values"
LOOP = "cheat-infinite-loop"
TIMESTAMP = "2026-11-20 10:00:00.000000 UTC"
TARGET = 20.0  # atomgpt autograde at least this many times faster than stock nbgrader
SAMPLE_SECONDS = 0.2
WAYS = ("stock", "engine-nbgrader", "atomgpt", "dask")
REPEATED = ("atomgpt", "dask")  # the short ways, run --repeat times
LABELS = {
    "stock": "stock nbgrader",
    "engine-nbgrader": "nbgrader + engine",
    "atomgpt": "atomgpt autograde",
    "dask": "atomgpt autograde on Dask",
}


# ---------------------------------------------------------------- the class


def loop_students(n: int) -> set[int]:
    """Indices of the looping students: one per hundred (index 50, 150, ...), at least one when n >= 20."""
    loops = {i for i in range(n) if i % 100 == 50}
    if not loops and n >= 20:
        loops = {n // 2}
    return loops


def class_roster(n: int, correct: list[str], buggy: list[str]) -> list[tuple[str, str, str]]:
    """(student id, submission, "correct" | "buggy" | "loop") for n students.

    Correct and buggy submissions alternate, each list cycled in its order.
    """
    loops = loop_students(n)
    roster, ordinary = [], 0
    for i in range(n):
        if i in loops:
            name, kind = LOOP, "loop"
        else:
            kind = "correct" if ordinary % 2 == 0 else "buggy"
            pool = correct if kind == "correct" else buggy
            name = pool[(ordinary // 2) % len(pool)]
            ordinary += 1
        roster.append((f"s{i + 1:04d}", name, kind))
    return roster


def prepare_course(root: Path, assignment: Assignment, course: Path, scratch: Path,
                   n: int) -> list[tuple[str, str, str]]:
    """A course with the release, gradebook, grading secret and n submitted students; returns the roster."""
    write_config(course, root)
    write_source(assignment, course)
    generate_release(assignment, course)
    read_secret(course, "course")  # made before the course is copied, so every way grades with the same inputs
    solved = root / "solutions" / assignment.id / f"{assignment.id}.ipynb"
    name = f"{assignment.id}.ipynb"
    notebooks = {variant.id: (variant.kind, path)
                 for variant, path in variant_submissions(assignment, solved, scratch / "variants")}
    notebooks["solution"] = ("solution", write_notebook(solution_notebook(assignment),
                                                        scratch / "variants" / "solution" / name,
                                                        handed_in_with(solved)))
    correct = ["solution", *(v for v, (kind, _) in notebooks.items() if kind == "style")]
    buggy = [v for v, (kind, _) in notebooks.items() if kind == "bug"]
    roster = class_roster(n, correct, buggy)
    hand_in(course, assignment.id, {student: notebooks[variant][1].parent for student, variant, _ in roster},
            TIMESTAMP)
    return roster


# ---------------------------------------------------------------- measuring a command


def process_tree(root_pid: int) -> list[int]:
    """root_pid and all its descendants, from the parent pids in /proc/<pid>/stat."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    tree, todo = [], [root_pid]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, ()))
    return tree


def rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0  # gone, or a zombie


class TreeSampler(threading.Thread):
    """Samples the summed resident memory of a process tree until stopped (Linux only)."""

    available = Path("/proc/self/status").is_file()

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_tree_kib = 0
        self.peak_process_kib = 0
        self.peak_processes = 0
        self.halt = threading.Event()

    def run(self) -> None:
        while self.available and not self.halt.is_set():
            sizes = [rss_kib(pid) for pid in process_tree(self.pid)]
            self.peak_tree_kib = max(self.peak_tree_kib, sum(sizes))
            self.peak_process_kib = max(self.peak_process_kib, *sizes)
            self.peak_processes = max(self.peak_processes, len(sizes))
            self.halt.wait(SAMPLE_SECONDS)

    def stop(self) -> None:
        self.halt.set()
        self.join()


@dataclass
class Measurement:
    way: str
    command: list[str]
    returncode: int
    seconds: float
    peak_tree_mib: float | None
    peak_process_mib: float | None
    peak_processes: int | None
    log: str


def measure(way: str, command: list[str], cwd: Path, log: Path) -> Measurement:
    """Runs command with its output in log; times it and samples its process tree's memory."""
    with open(log, "w") as out:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, env=tool_env(), stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
        sampler = TreeSampler(process.pid)
        sampler.start()
        returncode = process.wait()
        seconds = time.perf_counter() - started
        sampler.stop()
    mib = (lambda kib: round(kib / 1024, 1)) if TreeSampler.available else (lambda kib: None)
    return Measurement(way, command, returncode, seconds, mib(sampler.peak_tree_kib), mib(sampler.peak_process_kib),
                       sampler.peak_processes if TreeSampler.available else None, str(log))


def grading_command(way: str, course: Path, workers: int | None, scheduler: str | None) -> tuple[list[str], Path]:
    """The command and its working folder for one way."""
    if way in ("atomgpt", "dask"):
        script = Path(sys.executable).parent / "atomgpt"
        program = [str(script)] if script.is_file() else [sys.executable, "-m", "autograder"]
        command = [*program, "autograde", ASSIGNMENT, "--course", str(course), "--force"]
        if way == "dask":
            return command + ["--scheduler", scheduler], course
        return command + (["--workers", str(workers)] if workers else []), course
    return [sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT, "--force", "--log-level=WARN"], course


# ---------------------------------------------------------------- checking what was graded


def exported_scores(course: Path) -> dict[str, float]:
    """Student id -> score of those with a submission, from `nbgrader export`'s grades.csv."""
    return {row["student_id"]: float(row["score"]) for row in export_grades(course)
            if row["assignment"] == ASSIGNMENT and row["timestamp"]}


def autograded(course: Path, students: list[str]) -> int:
    return sum((course / "autograded" / s / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").is_file() for s in students)


def differing(a: dict[str, float], b: dict[str, float]) -> list[str]:
    return sorted(s for s in a.keys() & b.keys() if abs(a[s] - b[s]) > 1e-6)


# ---------------------------------------------------------------- the run


@dataclass
class Report:
    n: int
    loops: int
    correct: int
    buggy: int
    workers: int | None
    cores: int | None
    measurements: dict[str, Measurement] = field(default_factory=dict)  # a repeated way's median run
    runs: dict[str, list[float]] = field(default_factory=dict)  # seconds of each run of a way
    repeats_differ: dict[str, list[str]] = field(default_factory=dict)  # students whose score changed between runs
    failed_runs: list[str] = field(default_factory=list)  # the log of every run that exited with an error
    graded: dict[str, int] = field(default_factory=dict)  # students with an autograded notebook
    exported: dict[str, int] = field(default_factory=dict)  # students with a score in grades.csv
    mean_score: dict[str, float] = field(default_factory=dict)
    same_students: bool = True
    engine_ways_differ: list[str] | None = None
    dask_differs: list[str] | None = None
    stock_differs: list[str] | None = None

    def ratio(self, way: str) -> float | None:
        """How many times longer `way` took than atomgpt autograde."""
        if way not in self.measurements or "atomgpt" not in self.measurements:
            return None
        return self.measurements[way].seconds / self.measurements["atomgpt"].seconds

    def target_met(self) -> bool | None:
        ratio = self.ratio("stock")
        return None if ratio is None else ratio >= TARGET

    def as_dict(self) -> dict:
        data = asdict(self)
        data["measurements"] = {
            way: {**asdict(m), "seconds_per_submission": m.seconds / self.n,
                  "ratio_vs_atomgpt": self.ratio(way)}
            for way, m in self.measurements.items()}
        data["target"] = TARGET
        data["target_met"] = self.target_met()
        return data


def run_benchmark(n: int, work: Path, *, workers: int | None, skip_stock: bool, repeat: int,
                  console: Console) -> Report:
    root = project_root()
    assignment = load_assignment(ASSIGNMENT, root)
    prepared = work / "prepared"
    console.print(f"preparing a class of {n} submissions of {ASSIGNMENT} in {work} ...", highlight=False)
    started = time.perf_counter()
    roster = prepare_course(root, assignment, prepared, work / "scratch", n)
    kinds = [kind for _, _, kind in roster]
    report = Report(n, kinds.count("loop"), kinds.count("correct"), kinds.count("buggy"), workers, os.cpu_count())
    console.print(f"  {report.correct} correct, {report.buggy} buggy, {report.loops} looping forever; "
                  f"ready in {time.perf_counter() - started:.1f} s", highlight=False)
    students = [s for s, _, _ in roster]
    ways = [w for w in WAYS if not (skip_stock and w == "stock")]
    scores = {}
    with contextlib.ExitStack() as stack:
        scheduler = stack.enter_context(local_cluster(workers)) if "dask" in ways else None
        for way in ways:
            runs = []
            for run in range(repeat if way in REPEATED else 1):
                course = work / (way if run == 0 else f"{way}-{run + 1}")
                shutil.copytree(prepared, course, symlinks=True)
                if way == "stock":
                    remove_engine(course)
                runs.append(run_way(way, course, workers, scheduler, work, report, students, console))
            report.runs[way] = [measured.seconds for measured, _ in runs]
            report.repeats_differ[way] = sorted({s for _, other in runs[1:] for s in differing(runs[0][1], other)})
            report.measurements[way], scores[way] = sorted(runs, key=lambda run: run[0].seconds)[len(runs) // 2]
    report.same_students = all(set(s) == set(students) for s in scores.values())
    if "engine-nbgrader" in scores and "atomgpt" in scores:
        report.engine_ways_differ = differing(scores["engine-nbgrader"], scores["atomgpt"])
    if "dask" in scores and "atomgpt" in scores:
        report.dask_differs = differing(scores["dask"], scores["atomgpt"])
    if "stock" in scores and "atomgpt" in scores:
        report.stock_differs = differing(scores["stock"], scores["atomgpt"])
    return report


@contextlib.contextmanager
def local_cluster(workers: int | None):
    """A Dask cluster on this machine, single-threaded workers, one per core; yields its address."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                      dashboard_address=None, host="127.0.0.1") as cluster:
        yield cluster.scheduler_address


def run_way(way: str, course: Path, workers: int | None, scheduler: str | None, work: Path, report: Report,
            students: list[str], console: Console) -> tuple[Measurement, dict[str, float]]:
    """Grades the class one way, timed; records what it graded; returns the measurement and exported scores."""
    command, cwd = grading_command(way, course, workers, scheduler)
    console.print(f"running {way}: {shlex.join([Path(command[0]).name, *command[1:]])} ...", highlight=False)
    measured = measure(way, command, cwd, work / f"{course.name}.log")
    if measured.returncode != 0:
        report.failed_runs.append(measured.log)
    status = "" if measured.returncode == 0 else f" [red]exit code {measured.returncode}, see {measured.log}[/red]"
    console.print(f"  done in {measured.seconds:.1f} s ({measured.seconds / report.n:.3f} s per submission){status}",
                  highlight=False)
    if measured.returncode != 0:  # the log goes with the work folder unless --keep
        tail = Path(measured.log).read_text(errors="replace").splitlines()[-20:]
        console.print("\n".join(tail), markup=False, highlight=False)
    scores = exported_scores(course)
    report.graded[way] = autograded(course, students)
    report.exported[way] = len(scores)
    report.mean_score[way] = round(sum(scores.values()) / max(1, len(scores)), 3)
    return measured, scores


def mib(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f}"


def print_report(report: Report, console: Console) -> None:
    table = Table(title=f"{ASSIGNMENT}: autograding {report.n} submissions "
                        f"({report.correct} correct, {report.buggy} buggy, {report.loops} looping) "
                        f"on {report.cores} cores",
                  caption="x atomgpt: the way's grading time divided by atomgpt autograde's, measured in this run; "
                          "memory: resident sets of the command's whole process tree, sampled every 0.2 s")
    for column in ("way", "total s", "s/submission", "peak tree MiB", "max 1 proc MiB", "procs", "graded",
                   "x atomgpt"):
        table.add_column(column, justify="left" if column == "way" else "right", no_wrap=True)
    for way, m in report.measurements.items():
        ratio = report.ratio(way)
        table.add_row(LABELS[way], f"{m.seconds:.1f}", f"{m.seconds / report.n:.3f}", mib(m.peak_tree_mib),
                      mib(m.peak_process_mib), "n/a" if m.peak_processes is None else str(m.peak_processes),
                      f"{report.graded[way]}/{report.n}", "n/a" if ratio is None else f"{ratio:.1f}")
    console.print(table)
    for way, seconds in report.runs.items():
        if len(seconds) > 1:
            console.print(f"{LABELS[way]}: runs of {', '.join(f'{s:.1f}' for s in seconds)} s, the median counts; "
                          + (f"scores changed between runs for {', '.join(report.repeats_differ[way])} (a defect)"
                             if report.repeats_differ[way] else "every run gave every student the same score"),
                          highlight=False)
    for log in report.failed_runs:
        console.print(f"[red]a run exited with an error; its output is in {log}[/red]")
    console.print(f"same students graded by every way: {'yes' if report.same_students else 'NO'}; "
                  f"mean scores: " + ", ".join(f"{w} {s:g}" for w, s in report.mean_score.items()),
                  highlight=False)
    if report.engine_ways_differ is not None:
        agree = report.exported["atomgpt"] - len(report.engine_ways_differ)
        console.print(f"engine ways (nbgrader autograde with the engine vs atomgpt autograde): {agree} of "
                      f"{report.exported['atomgpt']} students' scores agree"
                      + (f"; differ: {', '.join(report.engine_ways_differ)} (both draw hidden inputs from the "
                         "course's grading secret: a difference is a defect)" if report.engine_ways_differ else ""),
                      highlight=False)
    if report.dask_differs is not None:
        console.print(f"on Dask vs on local cores: {report.exported['dask'] - len(report.dask_differs)} of "
                      f"{report.exported['dask']} students' scores agree"
                      + (f"; differ: {', '.join(report.dask_differs)} (a defect)" if report.dask_differs else ""),
                      highlight=False)
    if report.stock_differs is not None:
        console.print(f"stock vs engine: {len(report.stock_differs)} of {report.exported['stock']} students' scores "
                      "differ (stock gives a test cell all or nothing: one failed assertion, an error or a timeout "
                      "scores 0; the engine gives partial credit per checkpoint)", highlight=False)
    met = report.target_met()
    if met is None:
        console.print(f"target ({TARGET:g}x faster than stock nbgrader autograde): not measured (stock skipped)")
    else:
        console.print(f"target: atomgpt autograde {report.ratio('stock'):.1f}x faster than stock nbgrader "
                      f"autograde at N={report.n} (target {TARGET:g}x): {'met' if met else 'NOT met'}",
                      highlight=False)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=200, help="submissions in the class (default 200)")
    parser.add_argument("--workers", type=int, help="parallel graders of atomgpt autograde (default: one per core)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each short way (atomgpt, dask), from fresh "
                        "copies; the median counts (default 3)")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="work in DIR and keep it (default: a temporary "
                        "folder, removed at the end)")
    parser.add_argument("--skip-stock", action="store_true", help="leave out stock nbgrader (for quick trials)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="write the figures here (default: print them "
                        "as the last line)")
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("--n must be at least 1")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.keep and args.keep.exists() and any(args.keep.iterdir()):
        parser.error(f"--keep {args.keep}: the folder is not empty")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    console = Console()
    if not console.is_terminal:
        console = Console(width=120)  # a log or a pipe: keep the table's rows on one line
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        work = args.keep.resolve()
    else:
        work = Path(tempfile.mkdtemp(prefix="atomgpt-bench-"))
    try:
        report = run_benchmark(args.n, work, workers=args.workers, skip_stock=args.skip_stock,
                               repeat=args.repeat, console=console)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print_report(report, console)
    figures = json.dumps(report.as_dict(), indent=2 if args.json else None)
    if args.json:
        args.json.write_text(figures + "\n")
        console.print(f"figures in {args.json}")
    else:
        print(figures)
    failed = bool(report.failed_runs) or not report.same_students or any(report.repeats_differ.values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
