"""Helpers the grader ships into the student's process, run there on a small Value class."""

from __future__ import annotations

import pytest

from autograder.sandbox import Student, StudentRaised
from autograder.suite.student_side import calls_during, calls_on_new_values

CODE = '''
class Scalar:
    def __mul__(self, other):
        return self + other * 0 if other == 1 else Value(self.data * other, (self,))  # adds inside mul


class Value(Scalar):
    def __init__(self, data, children=()):
        self.data = data
        self._children = tuple(children)

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        self.data += 0.0 if other.data else 100.0  # changes self when other is 0
        return Value(self.data + other.data, (self, other))

    def __sub__(self, other):
        return self + other * -1

    def __neg__(self):
        self.data = -self.data  # changes self outside add and mul
        return self * 1
'''


def test_calls_during_records_the_outermost_calls_in_order(run_student):
    student = Student(run_student(CODE))
    a, b = student.Value(2.0), student.Value(5.0)
    result, calls, start, end = student.define(calls_during)(
        student.evaluate("lambda a, b: a - b"), [a, b], ["__add__", "__mul__"], [a, b])
    assert [call[0] for call in calls] == ["__mul__", "__add__"]
    (_, mul_operands, mul_numbers, negated, *_), (_, add_operands, add_numbers, made, *_) = calls
    assert mul_operands == [b, -1] and mul_numbers == [5.0, -1] and add_operands == [a, negated]
    assert add_numbers == [2.0, -5.0] and made == result and result.data == -3.0
    assert start == end == [2.0, 5.0]


def test_calls_during_shows_where_an_input_changed(run_student):
    student = Student(run_student(CODE))
    a, zero = student.Value(2.0), student.Value(0.0)
    _, calls, start, end = student.define(calls_during)(
        student.evaluate("lambda a, zero: (a + zero, -a)"), [a, zero], ["__add__", "__mul__"], [a])
    assert [call[0] for call in calls] == ["__add__", "__mul__"]  # not the add that mul makes inside itself
    (*_, add_before, add_after), (*_, mul_before, mul_after) = calls
    assert start == add_before == [2.0] and add_after == [102.0]  # inside add
    assert mul_before == [-102.0]  # by __neg__ itself, between the calls
    assert mul_after == end == [-2.0]  # inside mul, by the add it makes


def test_calls_during_puts_the_methods_back_however_the_function_ends(run_student):
    student = Student(run_student(CODE))
    record = student.define(calls_during)
    with pytest.raises(StudentRaised, match="ZeroDivisionError"):
        record(student.evaluate("lambda a: (a * 2, 1 / 0)"), [student.Value(1.0)], ["__add__", "__mul__"], [])
    assert student.evaluate("lambda: Value.__dict__['__add__'].__name__")() == "__add__"
    assert student.evaluate("lambda: '__mul__' in Value.__dict__")() is False  # inherited, as it was


def test_calls_on_new_values_builds_runs_and_records_in_one_call(run_student):
    session = run_student(CODE)
    record = Student(session).define(calls_on_new_values, calls_during)
    before = session.exchanges
    (a, b), result, calls, start, end = record("lambda a, b, k: a - b * k", [2.0, 5.0], [2], ["__add__", "__mul__"])
    assert session.exchanges == before + 1
    assert [call[0] for call in calls] == ["__mul__", "__mul__", "__add__"] and calls[2][1][0] == a
    assert result.data == -8.0 and start == end == [2.0, 5.0]


def test_a_helper_sees_only_the_helpers_defined_beside_it(run_student):
    student = Student(run_student(CODE))
    with pytest.raises(StudentRaised, match="NameError"):
        student.define(calls_on_new_values)("lambda a: a", [1.0], [], [])
