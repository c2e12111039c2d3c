"""The command line: grade, check and build on the toy course; exit codes."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys

from autograder.build.machine import NUMBER

from .conftest import TOY_ROOT

RELEASE = TOY_ROOT / "assignments" / "toy" / "toy.ipynb"
SOLUTION = TOY_ROOT / "solutions" / "toy" / "toy.ipynb"


def atomgpt(*args, cwd=TOY_ROOT, root=TOY_ROOT, env=None):
    env = {**os.environ, "ATOMGPT_ROOT": str(root), "COLUMNS": "160", **(env or {})}
    return subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, env=env)


def test_grade_writes_one_result_per_submission_and_prints_a_table(tmp_path):
    folder = tmp_path / "alice"
    folder.mkdir()
    (folder / "toy.ipynb").write_bytes(SOLUTION.read_bytes())
    broken = tmp_path / "bob.ipynb"
    broken.write_text("not json")
    kit = shutil.copytree(TOY_ROOT, tmp_path / "kit")  # grading makes the kit's secret: not in the checkout
    done = atomgpt("grade", "toy", folder, broken, RELEASE, "--out", tmp_path / "out", "--workers", "2", root=kit)
    assert done.returncode == 0, done.stderr
    results = {p.stem: json.loads(p.read_text()) for p in (tmp_path / "out").glob("*.json")}
    assert {k: v["score"] for k, v in results.items()} == {"alice": 90, "bob": 0, "toy": 0}
    assert "alice" in done.stdout and "score" in done.stdout
    assert not list((tmp_path / "out").glob(".*tmp*"))


def test_a_class_larger_than_the_table_gets_one_row_per_checkpoint(tmp_path, monkeypatch, capsys):
    from autograder import cli

    monkeypatch.setattr(cli, "TABLE_ROWS", 2)
    monkeypatch.setenv("ATOMGPT_ROOT", str(TOY_ROOT))
    monkeypatch.setenv("COLUMNS", "160")
    for name in ("ann", "ben", "cy"):
        (tmp_path / f"{name}.ipynb").write_bytes(SOLUTION.read_bytes())
    notebooks = [str(tmp_path / f"{name}.ipynb") for name in ("ann", "ben", "cy")]
    assert cli.main(["grade", "toy", *notebooks, "--out", str(tmp_path / "out"), "--seed", "1"]) == 0
    shown = capsys.readouterr().out
    assert "toy: 3 submissions, mean 90.0 of 90" in shown and "full marks" in shown
    assert "squares" in shown and "│ ann" not in shown  # no row per student
    assert len(list((tmp_path / "out").glob("*.json"))) == 3


def test_grading_problems_exit_non_zero_with_a_message(tmp_path):
    missing = atomgpt("grade", "toy", tmp_path / "nope.ipynb", "--out", tmp_path)
    assert missing.returncode == 2 and "no such file" in missing.stderr
    unknown = atomgpt("grade", "a0_nothing", SOLUTION, "--out", tmp_path)
    assert unknown.returncode == 2 and "unknown assignment 'a0_nothing' (known: toy)" in unknown.stderr


def test_check_shows_visible_checks_with_hints(tmp_path):
    done = atomgpt("check", "toy", RELEASE)
    assert done.returncode == 0, done.stderr
    assert "0 of 2 parts pass" in done.stdout and "not written yet" in done.stdout
    assert "x squared is x times x" in done.stdout
    good = atomgpt("check", "toy", cwd=SOLUTION.parent)
    assert "2 of 2 parts pass" in good.stdout


def test_check_without_a_notebook_says_where_it_looked(tmp_path):
    done = atomgpt("check", "toy", cwd=tmp_path)
    assert done.returncode == 2 and "no toy.ipynb here" in done.stderr


def test_build_check_spots_stale_generated_files(tmp_path):
    assert atomgpt("build", "--check").returncode == 0
    copy = tmp_path / "course_kit"
    shutil.copytree(TOY_ROOT, copy)
    release = copy / "assignments" / "toy" / "toy.ipynb"
    release.write_text(release.read_text().replace("Toy assignment", "Toy assignment, edited"))
    stale = atomgpt("build", "--check", root=copy)
    assert stale.returncode == 1 and "stale: assignments/toy/toy.ipynb" in stale.stdout
    assert "checked toy (1 of 1 done)" in stale.stderr  # progress, a plain line where stderr is not a terminal


def test_a_build_on_another_machine_is_not_stale(tmp_path):
    """Another Python, user, home, folder and personal `python3` kernel build the same course."""
    copy = tmp_path / "someone else's kit"
    shutil.copytree(TOY_ROOT, copy)
    solution = copy / "solutions" / "toy" / "toy.ipynb"
    built_elsewhere = json.loads(solution.read_text())
    built_elsewhere["metadata"]["language_info"].update(version="3.13.0", codemirror_mode={"version": 3})
    built_elsewhere["metadata"]["kernelspec"]["display_name"] = "Python 3 (ipykernel)"
    solution.write_text(json.dumps(built_elsewhere, indent=1))
    home = tmp_path / "home"
    kernel = home / ".local" / "share" / "jupyter" / "kernels" / "python3"
    kernel.mkdir(parents=True)
    (kernel / "kernel.json").write_text(json.dumps(
        {"argv": ["/nonexistent/python", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
         "display_name": "a user's own kernel", "language": "python"}))
    env = {"HOME": str(home), "USER": "someone", "LOGNAME": "someone", "JUPYTER_PREFER_ENV_PATH": "0"}
    check = atomgpt("build", "--check", root=copy, cwd=copy, env=env)
    assert check.returncode == 0 and "stale" not in check.stdout, check.stdout + check.stderr
    rebuilt = atomgpt("build", "--course", tmp_path / "course", root=copy, cwd=copy, env=env)
    assert rebuilt.returncode == 0, rebuilt.stderr
    for generated in ["assignments/toy/toy.ipynb", "solutions/toy/toy.ipynb"]:
        assert (copy / generated).read_bytes() == (TOY_ROOT / generated).read_bytes(), generated


def test_build_check_ignores_printed_noise_but_not_source_changes(tmp_path):
    """A last printed digit may move between Python releases; a changed lesson may not."""
    copy = tmp_path / "kit"
    shutil.copytree(TOY_ROOT, copy)
    solution = copy / "solutions" / "toy" / "toy.ipynb"
    notebook = json.loads(solution.read_text())
    printed = next(o for c in notebook["cells"] for o in c.get("outputs", []) if o.get("name") == "stdout")
    assert any(NUMBER.search(line) for line in printed["text"]), "the toy solution prints a decimal"
    printed["text"] = [NUMBER.sub(nudged, line) for line in printed["text"]]
    solution.write_text(json.dumps(notebook, indent=1))
    assert atomgpt("build", "--check", root=copy).returncode == 0
    lesson = next(c for c in notebook["cells"] if c["cell_type"] == "markdown")
    lesson["source"] = [line + " 0.5" for line in lesson["source"]]
    solution.write_text(json.dumps(notebook, indent=1))
    stale = atomgpt("build", "--check", root=copy)
    assert stale.returncode == 1 and "stale: solutions/toy/toy.ipynb" in stale.stdout


def nudged(match) -> str:
    """The printed number moved by one unit of its last digit."""
    text = match.group(0)
    decimals = len(text.partition(".")[2])
    return f"{float(text) + 10.0 ** -decimals:.{decimals}f}"


def test_demo_grades_a_class_of_named_students_into_one_row_per_student_and_assignment(tmp_path):
    kit = shutil.copytree(TOY_ROOT, tmp_path / "kit", ignore=shutil.ignore_patterns("grading_secret"))
    demo = ("demo", "--out", tmp_path / "demo", "--seed", "5", "--students", "9")
    assert atomgpt(*demo, cwd=tmp_path, root=kit).returncode == 0
    master = kit / "source_lib" / "toy" / "toy.py"  # the kit changes a notebook's cells; the demo runs again
    master.write_text(master.read_text() + "\n# %% [markdown]\n# A note added later.\n")
    assert atomgpt("build", "toy", "--course", tmp_path / "kit-course", cwd=tmp_path, root=kit).returncode == 0
    done = atomgpt(*demo, cwd=tmp_path, root=kit)
    assert done.returncode == 0, done.stderr
    summary = json.loads((tmp_path / "demo" / "summary.json").read_text())["toy"]
    assert summary["submissions"] == 8 and summary["seed"] == 5  # one of the nine hands nothing in
    assert sorted(summary["scores"].values()).count(0) == 1  # the notebook cut in half
    assert set(summary["misconceptions"]) == {"doubling"} and "score" in done.stdout
    assert "You doubled x instead" in (tmp_path / "demo" / "report.html").read_text()
    with (tmp_path / "demo" / "course" / "grades.csv").open() as exported:  # nbgrader's export of the gradebook
        rows = list(csv.DictReader(exported))
    assert len(rows) == 9 and all(row["first_name"] and row["last_name"] for row in rows)
    assert {row["student_id"]: float(row["score"]) for row in rows if row["student_id"] in summary["scores"]} == {
        name: float(score) for name, score in summary["scores"].items()}
    late = [row for row in rows if row["timestamp"] and row["timestamp"] > row["duedate"]]
    assert len(late) == 1
    report = (tmp_path / "demo" / "report.md").read_text()
    assert "Every student here is made up" in report and "You doubled x instead of multiplying it by itself." in report
    assert json.loads((tmp_path / "demo" / "course" / "similarity" / "toy.json").read_text())["compared"]
    assert (tmp_path / "demo" / "exchange").is_dir()


def test_bracketed_code_in_messages_is_printed_as_written():
    from rich.console import Console

    from autograder.check import CheckResult, print_checks

    console = Console(record=True, width=200)
    failed = CheckResult("wrap", "wrap", False, "wrap(ids, bos) should start with [bos]", "look at ids[0]")
    print_checks([failed], ["cell 3 printed [1, 2]"], console)
    text = console.export_text()
    assert "[bos]" in text and "ids[0]" in text and "[1, 2]" in text


def loaded_after(*args, root=TOY_ROOT) -> set[str]:
    """The slow-to-import libraries a command has loaded when it ends (a command starts fast when it loads few)."""
    slow = ("nbformat", "nbgrader", "jsonschema", "rfc3987_syntax")
    program = ("import sys; from autograder.cli import main; code = main(sys.argv[1:]); "
               f"print(' '.join(m for m in {slow!r} if sys.modules.get(m))); sys.exit(code)")
    done = subprocess.run([sys.executable, "-c", program, *map(str, args)], capture_output=True, text=True,
                          cwd=TOY_ROOT, env={**os.environ, "ATOMGPT_ROOT": str(root)})
    assert done.returncode == 0, done.stderr
    return set(done.stdout.split("\n")[-2].split())


def test_grade_loads_no_notebook_library_and_build_no_iri_grammars(tmp_path):
    kit = shutil.copytree(TOY_ROOT, tmp_path / "kit")
    assert loaded_after("grade", "toy", SOLUTION, "--out", tmp_path / "out", root=kit) == set()
    building = loaded_after("build", "--check", root=kit)
    assert "jsonschema" in building and "rfc3987_syntax" not in building
