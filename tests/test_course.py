"""Every assignment in source_lib/ is sound.

Solutions earn every auto-graded point, untouched releases earn none, each
known bug loses points on its own checkpoint with its misconception and
nowhere but on the checkpoints about its code and the milestones that
integrate them, other correct styles keep full marks, cheats gain nothing
over the bug they hide, and the generated notebooks match their sources.
"""

from __future__ import annotations

import json
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.batch import Job, grade_class
from autograder.check import release_info, run_checks
from autograder.course import assignment_ids, load_assignment
from autograder.hidden_inputs import HiddenInputs
from autograder.sandbox import strongest_boundary
from autograder.submission import is_heavy
from autograder.variants import load_variants, variant_submissions

from .conftest import ROOT

IDS = assignment_ids(ROOT)
INPUTS = HiddenInputs.given(secrets.randbits(63))  # a new draw each run, as a new course would make
SOLUTION_REGION = re.compile(r"### BEGIN SOLUTION(.*?)### END SOLUTION", re.DOTALL)
CASES = [(a, v) for a in IDS for v in load_variants(load_assignment(a, ROOT))]


def release_of(assignment_id: str) -> Path:
    return ROOT / "assignments" / assignment_id / f"{assignment_id}.ipynb"


class GradedClass(dict):
    """assignment id -> its synthetic submissions' results, each class graded (in parallel) when first asked for."""

    def __init__(self, scratch: pytest.TempPathFactory):
        super().__init__()
        self.scratch = scratch

    def __missing__(self, assignment_id: str) -> dict[str, dict]:
        folder = self.scratch.mktemp(assignment_id)
        written = variant_submissions(load_assignment(assignment_id, ROOT), solution_path(assignment_id), folder)
        jobs = [Job("solution", solution_path(assignment_id)), Job("release", release_of(assignment_id))]
        jobs += [Job(v.id, path) for v, path in written]
        self[assignment_id] = grade_class(ROOT, assignment_id, jobs, folder / "results", inputs=INPUTS)
        return self[assignment_id]


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> GradedClass:
    return GradedClass(tmp_path_factory)


def checkpoint_scores(result: dict) -> dict[str, float]:
    return {c["id"]: c["score"] for c in result["extra_data"]["checkpoints"]}


@pytest.mark.parametrize("assignment_id", IDS)
def test_the_solution_earns_every_auto_graded_point(graded, assignment_id):
    result = graded[assignment_id]["solution"]
    assert result["score"] == load_assignment(assignment_id, ROOT).rubric.auto_points, result["output"]


@pytest.mark.parametrize("assignment_id", IDS)
def test_the_untouched_release_earns_nothing(graded, assignment_id):
    assert graded[assignment_id]["release"]["score"] == 0


@pytest.mark.parametrize("assignment_id, variant", [c for c in CASES if c[1].kind == "bug"],
                         ids=lambda x: getattr(x, "id", x))
def test_a_known_bug_loses_points_on_its_checkpoint_with_its_message(graded, assignment_id, variant):
    result = graded[assignment_id][variant.id]
    rubric = load_assignment(assignment_id, ROOT).rubric
    assert checkpoint_scores(result)[variant.checkpoint] < rubric.checkpoint(variant.checkpoint).points
    found = {m["id"] for m in result["extra_data"]["misconceptions"]}
    assert variant.misconception in found, f"{variant.id} gave {found}"
    message = next(m.message for m in rubric.misconceptions if m.id == variant.misconception)
    assert message in json.dumps(result["tests"], ensure_ascii=False)


@pytest.mark.parametrize("assignment_id, variant", [c for c in CASES if c[1].kind == "bug"],
                         ids=lambda x: getattr(x, "id", x))
def test_a_known_bug_costs_points_only_where_it_is(graded, assignment_id, variant):
    """Only on the checkpoints about its code, and on milestones that integrate them, which name them."""
    result = graded[assignment_id][variant.id]
    rubric = load_assignment(assignment_id, ROOT).rubric
    lost = {i for i, score in checkpoint_scores(result).items() if score < rubric.checkpoint(i).points}
    assert lost <= rubric.may_cost(variant.checkpoint), \
        f"{variant.id} also loses {sorted(lost - rubric.may_cost(variant.checkpoint))}"
    own_titles = [rubric.checkpoint(i).title for i in rubric.about_the_same_code(variant.checkpoint)]
    for integrating in lost - rubric.about_the_same_code(variant.checkpoint):
        output = next(t["output"] for t in result["tests"] if t["name"] == rubric.checkpoint(integrating).title)
        assert any(title in output for title in own_titles), f"{integrating} does not say what explains it: {output}"


@pytest.mark.parametrize("assignment_id", IDS)
def test_every_misconception_is_proved_by_a_known_bug(assignment_id):
    """A message no known bug shows is a message nobody has seen fire."""
    assignment = load_assignment(assignment_id, ROOT)
    proved = {v.misconception for v in load_variants(assignment) if v.kind == "bug"}
    assert [m.id for m in assignment.rubric.misconceptions if m.id not in proved] == []


@pytest.mark.parametrize("assignment_id, variant", [c for c in CASES if c[1].kind == "style"],
                         ids=lambda x: getattr(x, "id", x))
def test_a_correct_answer_in_another_style_keeps_full_marks(graded, assignment_id, variant):
    result = graded[assignment_id][variant.id]
    assert result["score"] == load_assignment(assignment_id, ROOT).rubric.auto_points, result["tests"]


@pytest.mark.parametrize("assignment_id, variant", [c for c in CASES if c[1].kind == "cheat"],
                         ids=lambda x: getattr(x, "id", x))
def test_a_cheat_earns_no_more_than_the_wrong_answer_it_hides(graded, assignment_id, variant):
    missing = set(variant.needs) - set(strongest_boundary().active)
    if missing:
        pytest.skip(f"this machine's sandbox lacks {', '.join(sorted(missing))} (install bubblewrap)")
    results = graded[assignment_id]
    assert results[variant.id]["score"] <= results[variant.base]["score"]
    assert results[variant.id]["execution_time"] < 30


def shown_code(suite: str, text: str) -> list[str]:
    """The suite's code lines that appear in text: long lines without quotes, so never feedback wording."""
    code_lines = [line.strip() for line in suite.splitlines()
                  if len(line.strip()) > 30 and not line.strip().startswith(("#", '"', "'"))
                  and '"' not in line and "'" not in line]
    assert code_lines, "no code line of the suite to look for: the search would find nothing anywhere"
    return [line for line in code_lines if line in text]


@pytest.mark.parametrize("assignment_id", IDS)
def test_no_result_shows_hidden_test_code(graded, assignment_id):
    suite = load_assignment(assignment_id, ROOT).suite.read_text()
    assert shown_code(suite, json.dumps({"output": suite}, ensure_ascii=False)), "the search cannot see code"
    for name, result in graded[assignment_id].items():
        assert not shown_code(suite, json.dumps(result, ensure_ascii=False)), name


@pytest.mark.parametrize("assignment_id", IDS)
def test_the_release_ships_nothing_hidden(assignment_id):
    assignment = load_assignment(assignment_id, ROOT)
    folder = release_of(assignment_id).parent
    shipped = sorted([f"{assignment_id}.ipynb", *(f.name for f in assignment.data_files)])
    assert sorted(p.name for p in folder.iterdir()) == shipped
    for data in assignment.data_files:
        assert (folder / data.name).read_bytes() == data.read_bytes()
    held_out = set((ROOT / "source_lib" / "data" / "heldout_names.txt").read_text().split())
    assert not [f for f in assignment.data_files if held_out & set(f.read_text().split())]
    cells = json.loads(release_of(assignment_id).read_text())["cells"]
    release = "\n".join("".join(c["source"]) for c in cells)
    assert "BEGIN SOLUTION" not in release and "BEGIN HIDDEN TESTS" not in release
    solution_lines = {line.strip() for region in SOLUTION_REGION.findall(assignment.source.read_text())
                      for line in region.splitlines() if len(line.strip()) > 25}
    assert solution_lines and not [line for line in solution_lines if line in release]
    hidden_tests = [line.strip() for line in assignment.suite.read_text().splitlines()
                    if line.strip().startswith("def test_")]
    assert hidden_tests and not [line for line in hidden_tests if line in release]


@pytest.mark.parametrize("assignment_id", IDS)
def test_the_release_is_worth_the_rubric_points_in_nbgrader(assignment_id):
    rubric = load_assignment(assignment_id, ROOT).rubric
    notebook = json.loads(release_of(assignment_id).read_text())
    points = {c["metadata"]["nbgrader"]["grade_id"]: c["metadata"]["nbgrader"]["points"]
              for c in notebook["cells"] if c["metadata"].get("nbgrader", {}).get("grade")}
    expected = {c.id: c.points for c in rubric.checkpoints} | {m.id: m.points for m in rubric.manual}
    assert points == expected and sum(points.values()) == rubric.total == 100


@pytest.mark.parametrize("assignment_id", IDS)
def test_the_solution_notebook_runs_clean_and_passes_its_visible_checks(assignment_id):
    notebook = json.loads((ROOT / "solutions" / assignment_id / f"{assignment_id}.ipynb").read_text())
    outputs = [o for c in notebook["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o["output_type"] == "error"]
    checks = [c for c in notebook["cells"] if c["metadata"].get("nbgrader", {}).get("grade")
              and c["cell_type"] == "code"]
    assert checks and all(c.get("execution_count") for c in checks)


def test_generated_notebooks_match_their_sources():
    from autograder.build import stale_files

    assert stale_files(ROOT, IDS) == []


def solution_path(assignment_id: str) -> Path:
    return ROOT / "solutions" / assignment_id / f"{assignment_id}.ipynb"


@pytest.mark.parametrize("assignment_id", IDS)
def test_an_instructor_runs_the_hidden_suite_with_plain_pytest(assignment_id):
    suite = load_assignment(assignment_id, ROOT).suite

    def pytest_on(notebook: Path) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "pytest", str(suite), "--submission", str(notebook),
                               "--seed", "3", "-q", "-p", "no:cacheprovider"], capture_output=True, text=True, cwd=ROOT)

    solved, untouched = pytest_on(solution_path(assignment_id)), pytest_on(release_of(assignment_id))
    assert solved.returncode == 0, solved.stdout[-2000:]
    assert untouched.returncode == 1 and " passed" not in untouched.stdout.splitlines()[-1]


def student_folder(assignment_id: str, notebook: Path, folder: Path, handed_in: bool = True) -> Path:
    """What a student has: the notebook in the release's folder, beside its data files (and what it wrote)."""
    assignment = load_assignment(assignment_id, ROOT)
    folder.mkdir()
    written = [solution_path(assignment_id).parent / name for name in assignment.rubric.hand_in] if handed_in else []
    for path in [*assignment.data_files, *written]:
        (folder / path.name).write_bytes(path.read_bytes())
    (folder / f"{assignment_id}.ipynb").write_bytes(notebook.read_bytes())
    return folder / f"{assignment_id}.ipynb"


def checks_of(assignment_id: str, notebook: Path):
    """`atomgpt check` on a notebook: its visible checks, with what its own metadata says."""
    return run_checks(release_info(assignment_id, notebook), notebook)[0]


@pytest.mark.parametrize("assignment_id", IDS)
def test_students_see_their_visible_checks_with_hints(assignment_id, tmp_path):
    assignment = load_assignment(assignment_id, ROOT)
    solved = checks_of(assignment_id, student_folder(assignment_id, solution_path(assignment_id), tmp_path / "a"))
    untouched = checks_of(assignment_id, release_of(assignment_id))
    assert all(r.passed for r in solved) and len(solved) == len(assignment.rubric.checkpoints)
    assert not any(r.passed for r in untouched)
    assert all(r.message for r in untouched)


@pytest.mark.parametrize("assignment_id", IDS)
def test_visible_checks_run_with_nothing_installed_but_numpy(assignment_id, tmp_path):
    """The solved notebook's code, checks included, under `python -S` with only numpy on the path."""
    import numpy

    (tmp_path / "numpy").symlink_to(Path(numpy.__file__).parent)
    assignment = load_assignment(assignment_id, ROOT)
    handed_in = [solution_path(assignment_id).parent / name for name in assignment.rubric.hand_in]
    for data in [*assignment.data_files, *handed_in]:
        (tmp_path / data.name).write_bytes(data.read_bytes())
    cells = json.loads(solution_path(assignment_id).read_text())["cells"]
    code = "\n\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code" and not is_heavy(c))
    (tmp_path / "notebook.py").write_text(code)
    runner = f"import sys; sys.path.insert(0, {str(tmp_path)!r}); exec(open('notebook.py').read())"
    done = subprocess.run([sys.executable, "-S", "-c", runner], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.count("passed") >= len(assignment.rubric.checkpoints)


def test_no_two_suites_define_the_same_helper():
    """What suites share lives in autograder/suite (trusted.py, student_side.py), defined once."""
    import ast
    from collections import Counter

    defined = Counter(node.name for a in IDS
                      for node in ast.parse(load_assignment(a, ROOT).suite.read_text()).body
                      if isinstance(node, ast.FunctionDef | ast.ClassDef) and not node.name.startswith("test_"))
    assert defined and [name for name, count in defined.items() if count > 1] == []


@pytest.mark.parametrize("assignment_id", [a for a in IDS if load_assignment(a, ROOT).rubric.hand_in])
def test_a_visible_check_fails_when_its_handed_in_file_is_missing(assignment_id, tmp_path):
    """The grader gives 0 without the file; the visible check must not say "passed" either."""
    assignment = load_assignment(assignment_id, ROOT)
    alone = student_folder(assignment_id, solution_path(assignment_id), tmp_path / "a", handed_in=False)
    results = checks_of(assignment_id, alone)
    failed = [r for r in results if not r.passed]
    assert failed and all(any(name in r.message for name in assignment.rubric.hand_in) for r in failed)
