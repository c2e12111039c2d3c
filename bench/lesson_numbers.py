"""The numbers A5-A7 state about training runs, measured the way the grader measures them.

The lessons quote held-out losses (names the grader keeps and never ships)
and training times that the executed solution notebooks cannot print. This
script measures them: it runs the code of the executed solution notebooks
(`solutions/<id>/<id>.ipynb`, every cell the grader would run, so not the
training cells) and scores tables and models with the hidden suites' own
held-out NLL, exactly the number the grader compares with its bar.

- the add-one count bigram model of A5 (of all names, and of A5's training
  split) on the training split, the validation split and the held-out names;
- A5's trained table (`solutions/a5_representations/bigram.json`);
- A7's GPT untrained, and trained (`solutions/a7_gpt/checkpoint.json`);
- the A7 GPT trained again for each of `--steps` (reference CONFIG, seed 42,
  A7's training split), with its seconds per step on this machine.

    python bench/lesson_numbers.py [--steps 200 500]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import time
from pathlib import Path
from types import ModuleType

import numpy as np

from autograder.submission import read_submission

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "source_lib" / "data"


def notebook_namespace(assignment: str) -> dict:
    """The globals of the executed solution after every cell the grader runs (no training cell)."""
    program = read_submission(ROOT / "solutions" / assignment / f"{assignment}.ipynb")
    namespace: dict = {"__name__": assignment}
    with contextlib.chdir(DATA), open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):
        for cell in program.cells:
            exec(compile(cell.source, f"{assignment} cell {cell.index}", "exec"), namespace)
    return namespace


def hidden_suite(assignment: str) -> ModuleType:
    """The assignment's hidden suite as a module, for its trusted held-out scoring."""
    path = ROOT / "source_lib" / assignment / f"test_{assignment}.py"
    spec = importlib.util.spec_from_file_location(f"suite_{assignment}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def bigram_numbers() -> dict[str, float]:
    """Count model and A5's trained table, on training, validation and held-out names."""
    a5, suite = notebook_namespace("a5_representations"), hidden_suite("a5_representations")
    chars, bos = a5["chars"], a5["bos"]
    count = a5["count_table"](a5["train_docs"], chars, bos)
    count_all = a5["count_table"](a5["docs"], chars, bos)
    saved = json.loads((ROOT / "solutions" / "a5_representations" / "bigram.json").read_text())
    trained = saved["logits"]
    return {
        "count model of all names, held-out names": suite.table_nll(chars, bos, np.array(count_all)),
        "count model, A5 training split": a5["table_nll"](count, a5["train_docs"], chars, bos),
        "count model, A5 validation split": a5["table_nll"](count, a5["val_docs"], chars, bos),
        "count model, held-out names": suite.table_nll(chars, bos, np.array(count)),
        "A5 trained table, training split": a5["table_nll"](trained, a5["train_docs"], chars, bos),
        "A5 trained table, validation split": a5["table_nll"](trained, a5["val_docs"], chars, bos),
        "A5 trained table, held-out names": suite.table_nll(chars, bos, np.array(trained)),
    }


def gpt_numbers(steps: list[int]) -> dict[str, float]:
    """A7's checkpoint and fresh training runs, scored on the held-out names."""
    a7, suite = notebook_namespace("a7_gpt"), hidden_suite("a7_gpt")

    def held_out(params: dict) -> float:
        return suite.checkpoint_nll({name: np.array([[p.data for p in row] for row in table])
                                   for name, table in params.items()})

    checkpoint, _, _ = a7["load_checkpoint"](str(ROOT / "solutions" / "a7_gpt" / "checkpoint.json"))
    numbers = {"A7 untrained (init_params seed 42), held-out names": held_out(a7["init_params"](a7["CONFIG"], 42)),
               "A7 checkpoint.json, held-out names": held_out(checkpoint)}
    for count in steps:
        params = a7["init_params"](a7["CONFIG"], seed=42)
        start = time.process_time()
        a7["train"](params, a7["train_docs"], count, a7["CONFIG"], seed=42)
        seconds = time.process_time() - start
        numbers[f"A7 GPT after {count} steps, held-out names"] = held_out(params)
        numbers[f"A7 GPT, CPU seconds per training step ({count} steps)"] = seconds / count
    return numbers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, nargs="*", default=[200, 500],
                        help="A7 training runs to measure (number of steps each)")
    args = parser.parse_args()
    for name, value in {**bigram_numbers(), **gpt_numbers(args.steps)}.items():
        print(f"{name:58s} {value:.4f}")


if __name__ == "__main__":
    main()
