"""Scores -> one result per submission, in Gradescope's results.json format.

`tests[]` holds one entry per auto-graded checkpoint, so `score` is their
sum; `output` sums the run up for the student (the score, the likely
misconceptions, what is left to mark by hand, what went wrong running the
notebook). Checkpoints, misconceptions, hand-graded questions still to
mark, limit hits, the sandbox's protections, the CPU seconds the student's
code used and what its hidden tests measured (both added by `grading`) and
what the hidden inputs derived from (the seed that replays them, the
secret's fingerprint) go under
`extra_data`, which the feedback leaves out.
"""

from __future__ import annotations

from .rubric import CheckpointScore, Rubric

MAX_LINES = 6


def checkpoint_output(score: CheckpointScore) -> str:
    """Feedback in words: what failed, why, and what it usually means."""
    checkpoint = score.checkpoint
    if score.skipped_because:
        return f"Not graded: {score.skipped_because}. Fix that first; this part is then graded on its own."
    lines = [f"{score.passed} of {score.total} checks passed."]
    if score.explained_by:
        lines.append(f"This part runs your code from earlier checkpoints together, and these are not yet right: "
                     f"{'; '.join(score.explained_by)}. Fix them first: they explain failures here.")
    shown: list[str] = []
    for failure in score.failures:
        if failure not in shown:
            shown.append(failure)
    for failure in shown[:MAX_LINES]:
        lines.append(f"- {failure}")
    hidden = len(score.failures) - min(len(shown), MAX_LINES)
    if hidden > 0:
        lines.append(f"- ... and {hidden} more failed checks like these")
    for misconception in score.misconceptions:
        lines.append(f"Likely misconception: {misconception.message}")
    if not score.full and checkpoint.hint:
        lines.append(f"Hint: {checkpoint.hint}")
    return "\n".join(lines)


def misconception_line(title: str, message: str) -> str:
    """The summary's line for a misconception found in a checkpoint's code."""
    return f"Likely misconception in {title}: {message}"


def gradescope_result(
    rubric: Rubric,
    scores: list[CheckpointScore],
    *,
    submission: str,
    problems: list[str],
    sandbox: dict,
    incidents: list[dict],
    seconds: float,
    hidden_inputs: dict,
) -> dict:
    tests = [
        {
            "name": score.checkpoint.title,
            "score": score.score,
            "max_score": score.checkpoint.points,
            "status": "passed" if score.full else "failed",
            "output": checkpoint_output(score),
            "visibility": score.checkpoint.visibility,
        }
        for score in scores
    ]
    total = round(sum(t["score"] for t in tests), 2)
    summary = [f"Auto-graded: {total:g} of {rubric.auto_points:g} points."]
    summary += [misconception_line(score.checkpoint.title, misconception.message)
                for score in scores for misconception in score.misconceptions]
    if rubric.manual:
        manual_points = sum(m.points for m in rubric.manual)
        summary.append(f"{len(rubric.manual)} short answers ({manual_points:g} points) are graded by hand.")
    summary += problems
    return {
        "score": total,
        "execution_time": round(seconds, 3),
        "output": "\n".join(summary),
        "tests": tests,
        "extra_data": {
            "assignment": rubric.assignment,
            "submission": submission,
            "checkpoints": [
                {"id": s.checkpoint.id, "score": s.score, "max_score": s.checkpoint.points,
                 "passed": s.passed, "total": s.total, "skipped_because": s.skipped_because}
                for s in scores
            ],
            "misconceptions": [
                {"id": m.id, "checkpoint": m.checkpoint, "message": m.message}
                for s in scores for m in s.misconceptions
            ],
            "manual": [{"id": m.id, "max_score": m.points, "status": "to be graded by hand"}
                       for m in rubric.manual],
            "problems": problems,
            "limits": incidents,
            "sandbox": sandbox,
            "hidden_inputs": hidden_inputs,
        },
    }
