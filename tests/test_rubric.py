"""rubric.toml: validation, partial credit, dependencies, misconceptions."""

from __future__ import annotations

import pytest

from autograder.rubric import RubricError, TestOutcome, load_rubric

RUBRIC = '''
[assignment]
id = "demo"
title = "Demo"
points = 100

[[checkpoint]]
id = "base"
title = "Base"
points = 60
functions = ["f"]

[[checkpoint]]
id = "strict"
title = "Strict"
points = 30
partial = "all-or-nothing"
requires = ["base"]
integrates = ["base"]

[[manual]]
id = "essay"
points = 10
prompt = "Why?"
rubric = "Because."

[[misconception]]
id = "flipped"
checkpoint = "base"
message = "You flipped it."
symptom = "flipped"
failed = ["test_b"]
'''


def rubric_from(tmp_path, text=RUBRIC):
    path = tmp_path / "rubric.toml"
    path.write_text(text)
    return load_rubric(path)


def outcome(name, checkpoint, passed, symptoms=()):
    return TestOutcome(name, checkpoint, passed, "" if passed else f"{name} failed", symptoms)


def test_proportional_and_all_or_nothing(tmp_path):
    rubric = rubric_from(tmp_path)
    scores = rubric.score([
        outcome("test_a", "base", True), outcome("test_b", "base", False), outcome("test_c", "base", True),
        outcome("test_d", "strict", True), outcome("test_e", "strict", False),
    ])
    assert [s.score for s in scores] == [40.0, 0.0]
    assert scores[0].failures == ["test_b failed"]


def test_a_checkpoint_is_skipped_when_what_it_requires_scored_zero(tmp_path):
    scores = rubric_from(tmp_path).score([outcome("test_a", "base", False), outcome("test_d", "strict", True)])
    assert scores[1].score == 0 and "Base" in scores[1].skipped_because


def test_a_milestone_names_the_integrated_checkpoints_that_explain_its_failure(tmp_path):
    rubric = rubric_from(tmp_path)
    broken = rubric.score([outcome("test_a", "base", True), outcome("test_b", "base", False),
                           outcome("test_d", "strict", False)])
    assert broken[1].explained_by == ["Base"]
    alone = rubric.score([outcome("test_a", "base", True), outcome("test_d", "strict", False)])
    assert alone[1].explained_by == []


def test_a_mistake_may_cost_points_on_its_functions_and_the_milestones_that_integrate_them(tmp_path):
    text = RUBRIC.replace('[[manual]]', """[[checkpoint]]
id = "more_f"
title = "More of f"
points = 5
functions = ["f", "g"]

[[checkpoint]]
id = "other"
title = "Other"
points = 5
functions = ["h"]

[[manual]]""").replace('points = 10\nprompt', 'points = 0\nprompt')
    rubric = rubric_from(tmp_path, text)
    assert rubric.may_cost("base") == {"base", "strict", "more_f"}
    assert rubric.may_cost("other") == {"other"}


def test_misconceptions_need_every_condition(tmp_path):
    rubric = rubric_from(tmp_path)
    seen = rubric.score([outcome("test_b", "base", False, ("flipped",)), outcome("test_d", "strict", True)])
    assert [m.id for m in seen[0].misconceptions] == ["flipped"]
    unseen = rubric.score([outcome("test_b", "base", False), outcome("test_d", "strict", True)])
    assert unseen[0].misconceptions == []


def test_tests_marking_unknown_checkpoints_are_an_instructor_error(tmp_path):
    with pytest.raises(RubricError, match="unknown checkpoints"):
        rubric_from(tmp_path).score([outcome("test_x", "nope", True)])


@pytest.mark.parametrize("change, message", [
    (('points = 60', 'points = 50'), "add up to 90"),
    (('partial = "all-or-nothing"', 'partial = "some"'), "partial must be one of"),
    (('requires = ["base"]', 'requires = ["later"]'), "requires 'later'"),
    (('integrates = ["base"]', 'integrates = []'), "must also integrate it"),
    (('integrates = ["base"]', 'integrates = ["base", "later"]'), "integrates 'later'"),
    (('functions = ["f"]', ''), "checkpoint base: name the graded code"),
    (('checkpoint = "base"', 'checkpoint = "nope"'), "unknown checkpoint 'nope'"),
    (('id = "essay"', 'id = "base"'), "ids used twice"),
    (('title = "Base"', ''), "title"),
    (('[assignment]', '[assignment'), "not valid TOML"),
    (('functions = ["f"]', 'functions = ["f"]\nvisibility = "secret"'), "visibility must be one of"),
    (('[[manual]]', '[[leaderboard]]\nname = "Loss"\nmeasure = "loss"\norder = "lowest"\n\n[[manual]]'),
     "order must be one of"),
])
def test_broken_rubrics_name_the_problem(tmp_path, change, message):
    with pytest.raises(RubricError, match=message):
        rubric_from(tmp_path, RUBRIC.replace(*change, 1))


def test_visibility_and_leaderboard_default_to_a_visible_entry_and_no_columns(tmp_path):
    rubric = rubric_from(tmp_path)
    assert [c.visibility for c in rubric.checkpoints] == ["visible", "visible"] and rubric.leaderboard == ()
    text = RUBRIC.replace('functions = ["f"]', 'functions = ["f"]\nvisibility = "after_due_date"').replace(
        "[[manual]]", '[[leaderboard]]\nname = "Loss"\nmeasure = "loss"\norder = "asc"\n\n[[manual]]')
    rubric = rubric_from(tmp_path, text)
    assert rubric.checkpoints[0].visibility == "after_due_date"
    assert [(c.name, c.measure, c.order) for c in rubric.leaderboard] == [("Loss", "loss", "asc")]


def test_unknown_limits_are_rejected(tmp_path):
    with pytest.raises(RubricError, match="unknown limits"):
        rubric_from(tmp_path, RUBRIC + "\n[limits]\ntimeout = 3\n")


def test_a_missing_rubric(tmp_path):
    with pytest.raises(RubricError, match="does not exist"):
        load_rubric(tmp_path / "rubric.toml")
