"""Mutation testing of the solutions: how many plausible mistakes in graded code each hidden suite catches.

`targets` finds where mutants may go (graded functions, inside their
solution markers), `typos` and `student_model` are the operators,
`generate` makes the mutants, `ledger` reads an assignment's
`mutants.toml` (equivalent or accepted survivors, expected misconception
messages, the sample `make test` grades) and `grading` grades mutants with
the engine as students are graded and tells killed from survived.
"""
