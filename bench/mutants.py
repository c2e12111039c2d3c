"""Mutation testing of every solution: how many plausible mistakes in graded code each hidden suite catches.

For each assignment this makes the mutants of its solution's graded
functions (mutmut's typo operators and our student-model operators, see
`autograder/mutants/`), grades each with the engine as students are graded
(hidden inputs from each `--seeds` seed) and prints mutants made, killed (lost
points with every seed), survived, equivalent and accepted (from the
assignment's `mutants.toml`), the kill rate among non-equivalent mutants,
the share of killed student-model mutants that show a misconception message
(accurate where `mutants.toml` says which message fits), and the time it took;
then every survivor with its id, line and description.

    python bench/mutants.py [ID ...] [--seeds 1 2 3] [--json PATH] [--sample] [--limit N] [--workers N]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from collections import Counter
from dataclasses import asdict
from pathlib import Path

from rich.progress import Progress

from autograder.course import assignment_ids, load_assignment
from autograder.mutants.generate import Mutant, assignment_mutants
from autograder.mutants.grading import Outcome, grade_mutants, judge
from autograder.mutants.ledger import LedgerError, load_ledger

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_SIZE = 5


def stable_order(mutant_id: str) -> str:
    """A fixed order that mixes operators and functions: a sample of its head is spread across both."""
    return hashlib.sha256(mutant_id.encode()).hexdigest()


def chosen(mutants: list[Mutant], ids: set[str] | None, limit: int | None) -> list[Mutant]:
    if ids is not None:
        mutants = [m for m in mutants if m.id in ids]
    if limit is not None and len(mutants) > limit:
        keep = set(sorted((m.id for m in mutants), key=stable_order)[:limit])
        mutants = [m for m in mutants if m.id in keep]
    return mutants


def summary(outcomes: list[Outcome], made: list[Mutant], seconds: float) -> dict:
    status = Counter(o.status for o in outcomes)
    kinds = Counter(m.kind for m in made)
    messages = Counter(o.message for o in outcomes if o.message)
    non_equivalent = len(outcomes) - status["equivalent"]
    student_killed = sum(messages.values())
    return {
        "made": len(made), "typo": kinds["typo"], "student": kinds["student"], "graded": len(outcomes),
        "killed": status["killed"], "survived": status["survived"], "equivalent": status["equivalent"],
        "accepted": status["accepted"],
        "kill_rate": status["killed"] / non_equivalent if non_equivalent else 1.0,
        "student_killed": student_killed, "with_message": student_killed - messages["none"],
        "accurate": messages["accurate"], "wrong": messages["wrong"], "unjudged": messages["unjudged"],
        "seconds": round(seconds, 1),
    }


def run(assignment_id: str, seeds: list[int], *, sample: bool, limit: int | None, workers: int | None) -> dict:
    assignment = load_assignment(assignment_id, ROOT)
    started = time.monotonic()
    made = assignment_mutants(assignment)
    ledger = load_ledger(assignment.folder)
    unknown = ledger.unknown(m.id for m in made)
    if unknown:
        raise LedgerError(f"{assignment_id}/mutants.toml names mutants that are not made: {unknown}")
    mutants = chosen(made, set(ledger.sample) if sample else None, limit)
    with Progress(transient=True) as bar:
        task = bar.add_task(f"{assignment_id}: {len(mutants)} mutants", total=(len(mutants) + 1) * len(seeds))
        per_seed = grade_mutants(ROOT, assignment, mutants, seeds, workers=workers,
                                 progress=lambda: bar.advance(task))
    outcomes = [judge(m, per_seed, ledger) for m in mutants]
    return {"assignment": assignment_id, "seeds": seeds, "sample": sample, "limit": limit,
            "summary": summary(outcomes, made, time.monotonic() - started),
            "outcomes": [{**{k: v for k, v in asdict(o.mutant).items() if k != "source"},
                          **{k: v for k, v in asdict(o).items() if k != "mutant"}} for o in outcomes]}


def report(found: dict) -> None:
    s = found["summary"]
    graded = f" ({s['graded']} graded)" if s["graded"] != s["made"] else ""
    print(f"== {found['assignment']}: {s['made']} mutants ({s['typo']} typo, {s['student']} student){graded}: "
          f"{s['killed']} killed, {s['survived']} survived, {s['equivalent']} equivalent, {s['accepted']} accepted; "
          f"kill rate {s['kill_rate']:.1%}; messages on {s['with_message']} of {s['student_killed']} killed "
          f"student-model mutants ({s['accurate']} accurate, {s['wrong']} wrong, {s['unjudged']} unjudged); "
          f"{s['seconds']:.0f} s")
    for o in found["outcomes"]:
        if o["status"] != "killed":
            seeds = f" (caught with {o['caught_in']} of {o['seeds']} seeds)" if o["caught_in"] else ""
            why = f" [{o['reason']}]" if o["reason"] else ""
            print(f"  {o['status']:<10} {o['id']}  line {o['line']}  {o['description']}{seeds}{why}")
    killed = sorted((o["id"] for o in found["outcomes"] if o["status"] == "killed"), key=stable_order)
    if not found["sample"] and killed:
        print(f"  a CI sample of mutants killed today: sample = {json.dumps(killed[:SAMPLE_SIZE])}")


def table(runs: list[dict]) -> None:
    print(f"\n{'assignment':<20}{'made':>6}{'typo':>6}{'stud.':>6}{'killed':>8}{'surv.':>7}{'equiv.':>8}"
          f"{'acc.':>6}{'kill rate':>11}{'messages':>10}{'seconds':>9}")
    for found in runs:
        s = found["summary"]
        share = f"{s['with_message']}/{s['student_killed']}"
        print(f"{found['assignment']:<20}{s['made']:>6}{s['typo']:>6}{s['student']:>6}{s['killed']:>8}"
              f"{s['survived']:>7}{s['equivalent']:>8}{s['accepted']:>6}{s['kill_rate']:>11.1%}{share:>10}"
              f"{s['seconds']:>9.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*", help="assignment ids (default: all)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1], help="hidden-input seeds (default: 1)")
    parser.add_argument("--json", type=Path, help="write every outcome to this file")
    parser.add_argument("--sample", action="store_true", help="grade only the sample listed in mutants.toml")
    parser.add_argument("--limit", type=int, help="at most N mutants per assignment, a fixed spread-out choice")
    parser.add_argument("--workers", type=int, help="grading processes (default: one per core)")
    args = parser.parse_args()
    runs = []
    for assignment_id in args.assignments or assignment_ids(ROOT):
        runs.append(run(assignment_id, args.seeds, sample=args.sample, limit=args.limit, workers=args.workers))
        report(runs[-1])
    table(runs)
    if args.json:
        args.json.write_text(json.dumps(runs, indent=1))


if __name__ == "__main__":
    main()
