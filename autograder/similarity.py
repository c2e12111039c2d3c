"""`atomgpt similarity`: pairs of submissions whose student-written code is suspiciously alike.

What is compared is what students write: the code of each notebook's answer
cells, read in the release's shape (`restore`), whatever the student did to
the other cells. Code the course expects students to write alike does not
count: the release's stubs, the solution (the lessons often say "write it
exactly as follows", and a short composed operation has one natural
spelling) and the solution with each known mistake of `variants.toml`
(known because many make it). Two students share evidence only in what
each wrote their own way. Code is compared by copydetect's winnowing (the
method of MOSS) on tokens, names and layout ignored, with functions and
methods in name order, so renamed variables and reordered functions hide
nothing. A pair is flagged when the code they share is at least
`threshold` of each one's own code and at least `MIN_SHARED` tokens
(`bench/similarity.py` measures both rules on synthetic classes).

Handed-in models count too: two JSON files handed in beside the notebook
(a7's checkpoint.json) whose numbers are nearly the same
(`MODEL_TOLERANCE`, relative) were not trained apart, unless both are
what the notebook's prescribed training gives (the executed solution's
file): the notebook fixes the seed, so every correct student hands in
that model; nor when both wrote the same code that is not the solution's
(the same known mistake trains the same wrong model). Without the executed
solution's file, models are not compared (`models_not_compared`): every
correct pair would look alike.

The findings go to `<course>/similarity/<assignment>.json`, for the class
report to read, and a markdown page beside it with the shared code side
by side. The JSON's shape:

    {"assignment": "a1_values", "threshold": 0.8, "min_shared": 100,
     "compared": ["almeidao", ...],            # students whose code was compared
     "not_compared": {"castrod": "why"},       # notebooks that could not be read
     "pairs": [{"students": ["nakamurap", "webere"],
                "similarity": [0.97, 0.99],     # shared share of each one's own code
                "shared_tokens": 412,
                "code": {"nakamurap": "...", "webere": "..."},   # each one's answer code, functions in name order
                "shared": {"nakamurap": [[start, end], ...], "webere": [...]}}],  # character spans in "code"
     "models": [{"students": ["a", "b"], "file": "checkpoint.json", "distance": 0.0003}],
     "models_not_compared": ["checkpoint.json"]}  # handed-in files with no executed solution's copy

Pairs come most similar first; both lists are empty when nothing is flagged.
"""

from __future__ import annotations

import ast
import html
import io
import json
import math
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

from copydetect import CodeFingerprint, compare_files

from .build.provided import statement_source
from .course import Assignment
from .files import write_atomically
from .restore import restore, shared_release
from .submission import SubmissionError, find_notebook, read_notebook
from .variants import apply_variant, load_variants, solution_notebook

K = 25  # copydetect's default noise threshold: shared runs shorter than this many tokens are not seen
WINDOW = 1  # every k-gram is a fingerprint: the classes are small, and no shared run slips between windows
THRESHOLD = 0.8
MIN_SHARED = 100  # tokens, about three lines (see bench/similarity.py)
MODEL_TOLERANCE = 0.01
FOLDER = "similarity"
DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def in_name_order(lines: list[str], body: list[ast.stmt]) -> list[str]:
    """A body's statements, its definitions first and sorted by name (a class's methods too)."""
    definitions = sorted((n for n in body if isinstance(n, DEFINITIONS)), key=lambda n: n.name)
    texts = []
    for node in [*definitions, *(n for n in body if not isinstance(n, DEFINITIONS))]:
        if isinstance(node, ast.ClassDef) and node.body:
            start = min([d.lineno for d in node.decorator_list] + [node.lineno])
            texts.append("".join(lines[start - 1:node.body[0].lineno - 1]))
            texts += in_name_order(lines, node.body)
        else:
            texts.append(statement_source(lines, node) + "\n")
    return texts


def canonical(code: str) -> str:
    """The code with its functions and methods in name order: the order they are written in says nothing.

    Graded functions keep their names, so moving them about changes nothing
    here; code that does not parse is compared as written.
    """
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code
    return "".join(in_name_order(code.splitlines(keepends=True), tree.body))


def answer_code(notebook) -> str:
    """The code of a notebook's answer cells (nbgrader's solution cells), one after another, in `canonical` form."""
    cells = [cell for cell in notebook.cells if cell.cell_type == "code"
             and cell.get("metadata", {}).get("nbgrader", {}).get("solution")]
    return "\n".join(canonical(cell.source) for cell in cells)


def given_code(assignment: Assignment, release: Path) -> str:
    """What students are given or expected to write alike: the answer cells of the release, of the solution
    and of the solution with each known mistake of `variants.toml`."""
    solution = solution_notebook(assignment)
    bugs = [v for v in load_variants(assignment) if v.kind == "bug"]
    return "\n".join(answer_code(notebook) for notebook in [
        shared_release(release), solution, *(apply_variant(solution, bug, {bug.id: bug}) for bug in bugs)])


def fingerprint(name: str, code: str, given: list[int] | None = None) -> CodeFingerprint:
    return CodeFingerprint(f"{name}.py", K, WINDOW, given, fp=io.StringIO(code), language="python")


def boilerplate(given: str) -> list[int]:
    """Every fingerprint of the given code (`given_code`): what nobody's own code is made of."""
    return list(fingerprint("given", given).hashes)


@dataclass(frozen=True)
class Pair:
    students: tuple[str, str]
    similarity: tuple[float, float]
    shared_tokens: int
    shared: tuple[list[list[int]], list[list[int]]]

    def flagged(self, threshold: float, min_shared: int) -> bool:
        return min(self.similarity) >= threshold and self.shared_tokens >= min_shared


def code_pairs(codes: dict[str, str], given: list[int]) -> list[Pair]:
    """Every pair of students who share code of their own (outside `given`), with how much."""
    prints = {student: fingerprint(student, code, given) for student, code in sorted(codes.items())}
    pairs = []
    for a, b in combinations(sorted(prints), 2):
        tokens, similarity, slices = compare_files(prints[a], prints[b])
        if tokens:
            pairs.append(Pair((a, b), (round(float(similarity[0]), 3), round(float(similarity[1]), 3)), int(tokens),
                              tuple(s.T.astype(int).tolist() for s in slices)))
    return pairs


def numbers(value) -> list[float]:
    """Every number in a JSON value, in order (a model's parameters)."""
    if isinstance(value, bool | str) or value is None:
        return []
    if isinstance(value, int | float):
        return [float(value)]
    items = value.values() if isinstance(value, dict) else value
    return [x for item in items for x in numbers(item)]


def distance(a: list[float], b: list[float]) -> float:
    """How far apart two models' numbers are, relative to their size; inf when they cannot be compared."""
    if len(a) != len(b) or not a:
        return math.inf
    scale = max(math.hypot(*a), math.hypot(*b)) or 1.0
    return math.hypot(*(x - y for x, y in zip(a, b, strict=True))) / scale


def model_pairs(models: dict[str, list[float]], reference: list[float]) -> list[tuple[str, str, float]]:
    """Pairs of nearly the same models that are not both the model the prescribed training gives."""
    expected = {s for s, m in models.items() if distance(m, reference) < MODEL_TOLERANCE}
    return [(a, b, d) for a, b in combinations(sorted(models), 2)
            if not {a, b} <= expected and (d := distance(models[a], models[b])) < MODEL_TOLERANCE]


def read_model(path: Path) -> list[float] | None:
    try:
        return numbers(json.loads(path.read_text()))
    except (OSError, ValueError, RecursionError):
        return None


def class_codes(assignment: Assignment, release: Path, submitted: dict[str, Path]
                ) -> tuple[dict[str, str], dict[str, str]]:
    """Each student's answer code, read in the release's shape; and why a notebook could not be read."""
    release_notebook = shared_release(release)
    codes, not_compared = {}, {}
    for student, folder in sorted(submitted.items()):
        try:
            handed_in = read_notebook(find_notebook(folder, assignment.id))
            codes[student] = answer_code(restore(handed_in, release_notebook).notebook)
        except (SubmissionError, FileNotFoundError, ValueError) as error:
            not_compared[student] = str(error)
    return codes, not_compared


def compare_class(assignment: Assignment, release: Path, submitted: dict[str, Path], solved: Path | None = None,
                  threshold: float = THRESHOLD, min_shared: int = MIN_SHARED) -> dict:
    """The similarity findings for a class (student -> folder handed in), in the shape the module describes.

    `solved` is the executed solution, whose handed-in files are the models the prescribed training gives.
    """
    codes, not_compared = class_codes(assignment, release, submitted)
    pairs = code_pairs(codes, boilerplate(given_code(assignment, release)))
    flagged = sorted((p for p in pairs if p.flagged(threshold, min_shared)),
                     key=lambda p: (-min(p.similarity), p.students))
    models, unchecked = [], []
    solution_code = answer_code(restore(solution_notebook(assignment), shared_release(release)).notebook)

    def same_mistake(a: str, b: str) -> bool:  # the same code, not the solution's, trains the same model
        return codes.get(a) is not None and codes.get(a) == codes.get(b) != solution_code

    for name in assignment.rubric.hand_in:
        reference = read_model(solved.parent / name) if solved else None
        if reference is None:  # without the prescribed model every correct pair would look alike
            unchecked.append(name)
            continue
        handed = {s: m for s, folder in submitted.items() if (m := read_model(folder / name)) is not None}
        models += [{"students": [a, b], "file": name, "distance": round(d, 6)}
                   for a, b, d in model_pairs(handed, reference) if not same_mistake(a, b)]
    return {"assignment": assignment.id, "threshold": threshold, "min_shared": min_shared,
            "compared": sorted(codes), "not_compared": not_compared,
            "pairs": [{"students": list(p.students), "similarity": list(p.similarity),
                       "shared_tokens": p.shared_tokens,
                       "code": {s: codes[s] for s in p.students},
                       "shared": dict(zip(p.students, p.shared, strict=True))} for p in flagged],
            "models": models, "models_not_compared": unchecked}


def marked(code: str, spans: list[list[int]]) -> str:
    """The code as HTML, its shared spans in bold."""
    out, at = [], 0
    for start, end in sorted(spans):
        start = max(start, at)
        out += [html.escape(code[at:start]), f"<b>{html.escape(code[start:end])}</b>"]
        at = max(at, end)
    return "".join(out) + html.escape(code[at:])


def findings_markdown(findings: dict) -> str:
    lines = [f"# {findings['assignment']}: submissions suspiciously alike", "",
             f"{len(findings['compared'])} notebooks compared (answer cells only, the release's stubs and the "
             f"solution's code left out); a pair is listed when each shares at least "
             f"{findings['threshold']:.0%} of its own code with the other, {findings['min_shared']} tokens or more.",
             ""]
    for student, why in findings["not_compared"].items():
        lines.append(f"- not compared: {student} ({why})")
    for name in findings["models_not_compared"]:
        lines.append(f"- handed-in {name} files not compared: the executed solution's {name} is missing")
    if not findings["pairs"] and not findings["models"]:
        lines.append("No pair is suspiciously alike.")
    for pair in findings["pairs"]:
        a, b = pair["students"]
        lines += [f"## {a} and {b}: {pair['similarity'][0]:.0%} and {pair['similarity'][1]:.0%} shared, "
                  f"{pair['shared_tokens']} tokens", "", "<table><tr>",
                  *(f"<th>{s}</th>" for s in (a, b)), "</tr><tr>",
                  *(f"<td valign=\"top\"><pre>{marked(pair['code'][s], pair['shared'][s])}</pre></td>" for s in (a, b)),
                  "</tr></table>", ""]
    for model in findings["models"]:
        a, b = model["students"]
        lines.append(f"- {a} and {b} handed in nearly the same {model['file']} "
                     f"(relative distance {model['distance']:g}): not trained apart")
    return "\n".join(lines) + "\n"


def write_findings(course: Path, findings: dict) -> Path:
    """Writes <course>/similarity/<assignment>.json and .md; the JSON's path."""
    folder = course / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{findings['assignment']}.json"
    write_atomically(path, findings)
    (folder / f"{findings['assignment']}.md").write_text(findings_markdown(findings))
    return path


def solved_notebook(assignment: Assignment) -> Path:
    """The executed solution the build wrote (its handed-in files are the expected models)."""
    return assignment.kit_root / "solutions" / assignment.id / f"{assignment.id}.ipynb"

