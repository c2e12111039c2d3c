"""rubric.toml: checkpoints, points, partial credit, dependencies, misconceptions.

A checkpoint earns its points from the hidden tests marked with it, or,
for a checkpoint question, from its `answer` table (the variable the
student sets, its kind, the right value and the feedback when it is not),
which one engine test grades (`autograder.suite.questions`). Answers stay
on the trusted side: they are never sent to the student's process.

`proportional` gives points x passed/total, `all-or-nothing` gives the
points only when every test passes. A checkpoint whose `requires` list
names one that scored zero is skipped. `functions` names the graded
code a checkpoint judges (functions, or the answer a question sets), and a milestone lists in
`integrates` the checkpoints whose code it runs together: a mistake may
cost points only on the checkpoints about its function and on the
milestones that integrate them, and a milestone that loses points names
the integrated checkpoints that explain it. A misconception is a pattern in
the outcomes (symptoms the suite observed, tests that failed or passed)
mapped to a sentence a student understands. A checkpoint's `visibility`
says when a platform shows its entry to the student (Gradescope's values);
`[[leaderboard]]` columns rank submissions by a measure a hidden test
records (a7's held-out NLL), which never changes a score.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .sandbox import Limits

PARTIAL_RULES = ("proportional", "all-or-nothing")
VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")  # Gradescope's, for a checkpoint's entry
ORDERS = ("asc", "desc")  # a leaderboard column: lower ranks first (asc), or higher (desc)
ANSWER_KINDS = ("number", "choice")  # a number within a tolerance; one letter of a multiple choice


class RubricError(Exception):
    """The rubric or suite is inconsistent: the instructor must fix it."""


@dataclass(frozen=True)
class Answer:
    """What earns a checkpoint question its points: the student sets `variable` to `value`."""

    variable: str
    kind: str
    value: float | str
    feedback: str  # said when the answer is wrong, without giving it away
    tolerance: float = 0.0

    def form_problem(self, given) -> str | None:
        """Why `given` is not even an answer of the right form, or None."""
        if self.kind == "choice":
            return None if isinstance(given, str) else f'{self.variable} should be one letter: "a", "b", "c" or "d"'
        number = isinstance(given, int | float) and not isinstance(given, bool) and math.isfinite(given)
        return None if number else f"{self.variable} should be a number"

    def accepts(self, given) -> bool:
        if self.form_problem(given) is not None:
            return False
        if self.kind == "choice":
            return given.strip().lower() == self.value
        return abs(given - self.value) <= self.tolerance


@dataclass(frozen=True)
class Checkpoint:
    id: str
    title: str
    points: float
    partial: str = "proportional"
    requires: tuple[str, ...] = ()
    hint: str = ""
    answer: Answer | None = None  # set for an auto-graded checkpoint question
    functions: tuple[str, ...] = ()  # the graded code its tests judge: functions, or a question's answer
    integrates: tuple[str, ...] = ()  # for a milestone: the checkpoints whose code it runs together
    visibility: str = "visible"  # when a platform shows the student this checkpoint's entry (Gradescope's values)


@dataclass(frozen=True)
class LeaderboardColumn:
    """A measure a hidden test records (`measure` fixture) that a platform's leaderboard ranks submissions by."""

    name: str
    measure: str
    order: str = "desc"


@dataclass(frozen=True)
class ManualQuestion:
    id: str
    points: float
    prompt: str
    rubric: str


@dataclass(frozen=True)
class Misconception:
    id: str
    checkpoint: str
    message: str
    symptom: str | None = None
    failed: tuple[str, ...] = ()
    passed: tuple[str, ...] = ()


@dataclass(frozen=True)
class TestOutcome:
    """One hidden test's result, already safe to show a student."""

    __test__ = False  # not a test class, whatever its name

    name: str  # the test function's name, without parameters
    checkpoint: str
    passed: bool
    feedback: str  # empty when passed
    symptoms: tuple[str, ...] = ()
    measures: tuple[tuple[str, float], ...] = ()  # what the test measured (a held-out loss), never a score


@dataclass
class CheckpointScore:
    checkpoint: Checkpoint
    score: float
    passed: int
    total: int
    failures: list[str] = field(default_factory=list)
    skipped_because: str | None = None
    misconceptions: list[Misconception] = field(default_factory=list)
    explained_by: list[str] = field(default_factory=list)  # titles of integrated checkpoints short of full marks

    @property
    def full(self) -> bool:
        return self.score >= self.checkpoint.points


@dataclass(frozen=True)
class Rubric:
    assignment: str
    title: str
    notebook: str
    suite: str
    checkpoints: tuple[Checkpoint, ...]
    manual: tuple[ManualQuestion, ...]
    misconceptions: tuple[Misconception, ...]
    limits: Limits
    total: float = 100
    data: tuple[str, ...] = ()  # course data files shipped with the notebook (source_lib/data/)
    hand_in: tuple[str, ...] = ()  # files the notebook writes and the student hands in beside it
    grader_data: tuple[str, ...] = ()  # course data files only the hidden suite reads (held-out names); never shipped
    leaderboard: tuple[LeaderboardColumn, ...] = ()

    @property
    def auto_points(self) -> float:
        return sum(c.points for c in self.checkpoints)

    def checkpoint(self, checkpoint_id: str) -> Checkpoint:
        for checkpoint in self.checkpoints:
            if checkpoint.id == checkpoint_id:
                return checkpoint
        raise RubricError(f"{self.assignment}: no checkpoint {checkpoint_id!r} in rubric.toml")

    def may_cost(self, checkpoint_id: str) -> set[str]:
        """The checkpoints a mistake in `checkpoint_id`'s code may cost points on, and no others.

        Those about the same functions (one function can have several
        checkpoints) and the milestones that integrate any of them.
        """
        about = self.about_the_same_code(checkpoint_id)
        return about | {c.id for c in self.checkpoints if about & set(c.integrates)}

    def about_the_same_code(self, checkpoint_id: str) -> set[str]:
        """The checkpoints that judge some of the functions `checkpoint_id` judges, itself included."""
        own = self.checkpoint(checkpoint_id)
        return {c.id for c in self.checkpoints if c.id == own.id or set(c.functions) & set(own.functions)}

    def score(self, outcomes: list[TestOutcome]) -> list[CheckpointScore]:
        """Scores each checkpoint in order, honouring `requires`."""
        known = {c.id for c in self.checkpoints}
        stray = sorted({o.checkpoint for o in outcomes} - known)
        if stray:
            raise RubricError(f"{self.assignment}: tests mark unknown checkpoints {stray}")
        scores: dict[str, CheckpointScore] = {}
        for checkpoint in self.checkpoints:
            mine = [o for o in outcomes if o.checkpoint == checkpoint.id]
            scores[checkpoint.id] = self._score_one(checkpoint, mine, scores, outcomes)
        return list(scores.values())

    def _score_one(self, checkpoint, mine, earlier, outcomes) -> CheckpointScore:
        passed = sum(o.passed for o in mine)
        failures = [o.feedback for o in mine if not o.passed]
        blocked = [r for r in checkpoint.requires if earlier[r].score == 0]
        if blocked:
            titles = ", ".join(earlier[r].checkpoint.title for r in blocked)
            return CheckpointScore(checkpoint, 0.0, passed, len(mine), failures,
                                   skipped_because=f"it builds on {titles}, which scored no points")
        if not mine:
            fraction = 0.0
        elif checkpoint.partial == "all-or-nothing":
            fraction = 1.0 if passed == len(mine) else 0.0
        else:
            fraction = passed / len(mine)
        result = CheckpointScore(checkpoint, round(checkpoint.points * fraction, 2), passed,
                                 len(mine), failures)
        if not result.full:
            result.explained_by = [earlier[i].checkpoint.title for i in checkpoint.integrates if not earlier[i].full]
            result.misconceptions = [m for m in self.misconceptions
                                     if m.checkpoint == checkpoint.id and matches(m, outcomes)]
        return result


def matches(misconception: Misconception, outcomes: list[TestOutcome]) -> bool:
    failed = {o.name for o in outcomes if not o.passed}
    passed = {o.name for o in outcomes if o.passed} - failed
    symptoms = {s for o in outcomes for s in o.symptoms}
    return ((misconception.symptom is None or misconception.symptom in symptoms)
            and set(misconception.failed) <= failed
            and set(misconception.passed) <= passed)


def load_rubric(path: Path) -> Rubric:
    """Reads and checks rubric.toml; every mistake is a RubricError naming the file."""
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise RubricError(f"{path} does not exist") from None
    except tomllib.TOMLDecodeError as error:
        raise RubricError(f"{path} is not valid TOML: {error}") from None
    try:
        rubric = _parse(data)
    except (KeyError, TypeError, ValueError) as error:
        raise RubricError(f"{path}: {error}") from None
    _validate(rubric, path)
    return rubric


def _parse(data: dict) -> Rubric:
    head = data["assignment"]
    checkpoints = tuple(
        Checkpoint(c["id"], c["title"], float(c["points"]), c.get("partial", "proportional"),
                   tuple(c.get("requires", ())), c.get("hint", ""), _answer(c["id"], c.get("answer")),
                   tuple(c.get("functions", ())), tuple(c.get("integrates", ())), c.get("visibility", "visible"))
        for c in data.get("checkpoint", []))
    manual = tuple(ManualQuestion(m["id"], float(m["points"]), m["prompt"], m["rubric"])
                   for m in data.get("manual", []))
    misconceptions = tuple(
        Misconception(m["id"], m["checkpoint"], m["message"], m.get("symptom"),
                      tuple(m.get("failed", ())), tuple(m.get("passed", ())))
        for m in data.get("misconception", []))
    return Rubric(head["id"], head.get("title", head["id"]), head.get("notebook", f"{head['id']}.py"),
                  head.get("suite", f"test_{head['id']}.py"), checkpoints, manual, misconceptions,
                  Limits.from_table(data.get("limits", {})), float(head.get("points", 100)),
                  tuple(str(name) for name in head.get("data", ())),
                  tuple(str(name) for name in head.get("hand_in", ())),
                  tuple(str(name) for name in head.get("grader_data", ())),
                  tuple(LeaderboardColumn(c["name"], c["measure"], c.get("order", "desc"))
                        for c in data.get("leaderboard", [])))


def _answer(checkpoint_id: str, table: dict | None) -> Answer | None:
    if table is None:
        return None
    kind = table["kind"]
    if kind not in ANSWER_KINDS:
        raise ValueError(f"checkpoint {checkpoint_id}: answer kind must be one of {ANSWER_KINDS}")
    value = table["value"]
    if kind == "choice" and not isinstance(value, str):
        raise ValueError(f"checkpoint {checkpoint_id}: a choice's value is a letter")
    if kind == "number" and not isinstance(value, int | float):
        raise ValueError(f"checkpoint {checkpoint_id}: a number's value is a number")
    value = value.strip().lower() if kind == "choice" else float(value)
    return Answer(table.get("variable", f"ANSWER_{checkpoint_id.upper()}"), kind, value, table["feedback"],
                  float(table.get("tolerance", 0.0)))


def _validate(rubric: Rubric, path: Path) -> None:
    problems = []
    ids = [c.id for c in rubric.checkpoints] + [m.id for m in rubric.manual]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        problems.append(f"ids used twice: {dupes}")
    seen: set[str] = set()
    for checkpoint in rubric.checkpoints:
        if checkpoint.partial not in PARTIAL_RULES:
            problems.append(f"checkpoint {checkpoint.id}: partial must be one of {PARTIAL_RULES}")
        for required in checkpoint.requires:
            if required not in seen:
                problems.append(f"checkpoint {checkpoint.id} requires {required!r}, "
                                "which must be a checkpoint listed before it")
            elif required not in checkpoint.integrates:
                problems.append(f"checkpoint {checkpoint.id} requires {required!r}, so it must also integrate it")
        for integrated in checkpoint.integrates:
            if integrated not in seen:
                problems.append(f"checkpoint {checkpoint.id} integrates {integrated!r}, "
                                "which must be a checkpoint listed before it")
        if checkpoint.visibility not in VISIBILITIES:
            problems.append(f"checkpoint {checkpoint.id}: visibility must be one of {VISIBILITIES}")
        if checkpoint.answer is None and not (checkpoint.functions or checkpoint.integrates):
            problems.append(f"checkpoint {checkpoint.id}: name the graded code it judges (functions = [...]) "
                            "or, for a milestone, the checkpoints it integrates")
        seen.add(checkpoint.id)
    for column in rubric.leaderboard:
        if column.order not in ORDERS:
            problems.append(f"leaderboard column {column.name!r}: order must be one of {ORDERS}")
    for misconception in rubric.misconceptions:
        if misconception.checkpoint not in seen:
            problems.append(f"misconception {misconception.id}: unknown checkpoint {misconception.checkpoint!r}")
        if not (misconception.symptom or misconception.failed):
            problems.append(f"misconception {misconception.id}: needs a symptom or failed tests")
    total = rubric.auto_points + sum(m.points for m in rubric.manual)
    if abs(total - rubric.total) > 1e-9:
        problems.append(f"points add up to {total:g}, not {rubric.total:g}")
    if problems:
        raise RubricError(f"{path}: " + "; ".join(problems))
