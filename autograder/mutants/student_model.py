"""Student-model operators: mistakes students make while reasoning, not slips of the keyboard.

Each is a small function from one node (or, for a default that keeps state,
the graded function's `def`) to its mutated versions. They complement
mutmut's typo operators with the mistakes issue 14 lists: swapped arguments,
off-by-one bounds, `=` for `+=`, a copy for an update in place and the
reverse, a missing call, the wrong one of two similar names, and a default
argument that keeps state between calls.
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from .operators import Context, Operator

NON_COMMUTATIVE = (cst.Subtract, cst.Divide, cst.FloorDivide, cst.Modulo, cst.Power, cst.MatrixMultiply,
                   cst.LeftShift, cst.RightShift)
LOOSE = (cst.BinaryOperation, cst.BooleanOperation, cst.Comparison, cst.IfExp, cst.Lambda, cst.UnaryOperation)
COPIES = ("list", "dict", "tuple")  # a call that copies its one argument
APPENDS = {"append": lambda value: cst.List([cst.Element(value)]), "extend": lambda value: value}
AUGMENTED = {cst.AddAssign: cst.Add, cst.SubtractAssign: cst.Subtract, cst.MultiplyAssign: cst.Multiply,
             cst.DivideAssign: cst.Divide}
BINARY = {binary: augmented for augmented, binary in AUGMENTED.items()}
LIST_VALUES = (cst.List, cst.ListComp)


def parenthesized(expression: cst.BaseExpression) -> cst.BaseExpression:
    """The expression, in parentheses when moving it could change how it binds."""
    if isinstance(expression, LOOSE) and not expression.lpar:
        return expression.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return expression


def literal_int(expression: cst.BaseExpression) -> int | None:
    if isinstance(expression, cst.Integer):
        return int(expression.evaluated_value)
    if (isinstance(expression, cst.UnaryOperation) and isinstance(expression.operator, cst.Minus)
            and isinstance(expression.expression, cst.Integer)):
        return -int(expression.expression.evaluated_value)
    return None


def shifted(expression: cst.BaseExpression, delta: int) -> cst.BaseExpression:
    """`expression + 1` or `expression - 1`, folded when it is a literal."""
    value = literal_int(expression)
    if value is not None:
        value += delta
        return cst.Integer(str(value)) if value >= 0 else cst.UnaryOperation(cst.Minus(), cst.Integer(str(-value)))
    operator = cst.Add() if delta > 0 else cst.Subtract()
    return cst.BinaryOperation(parenthesized(expression), operator, cst.Integer(str(abs(delta))))


def swapped_arguments(node: cst.Call, context: Context) -> Iterator[cst.Call]:
    """Two neighbouring positional arguments in each other's place: `f(a, b)` -> `f(b, a)`."""
    args = list(node.args)
    positional = [i for i, arg in enumerate(args) if arg.keyword is None and not arg.star]
    for i, j in zip(positional, positional[1:], strict=False):
        swapped = list(args)
        swapped[i], swapped[j] = args[j].with_changes(comma=args[i].comma), args[i].with_changes(comma=args[j].comma)
        yield node.with_changes(args=swapped)


def swapped_operands(node: cst.BinaryOperation, context: Context) -> Iterator[cst.BinaryOperation]:
    """The operands of an operator where order matters in each other's place: `a - b` -> `b - a`."""
    if isinstance(node.operator, NON_COMMUTATIVE):
        yield node.with_changes(left=parenthesized(node.right), right=parenthesized(node.left))


def range_off_by_one(node: cst.Call, context: Context) -> Iterator[cst.Call]:
    """Each bound of a `range()` one more or one less, and `range(n)` started at 1."""
    if not (isinstance(node.func, cst.Name) and node.func.value == "range"):
        return
    args = list(node.args)
    if any(arg.keyword or arg.star for arg in args):
        return
    for index in range(min(len(args), 2)):  # start and stop; a step is not a bound
        for delta in (1, -1):
            changed = list(args)
            changed[index] = args[index].with_changes(value=shifted(args[index].value, delta))
            yield node.with_changes(args=changed)
    if len(args) == 1:
        yield node.with_changes(args=[cst.Arg(cst.Integer("1")), *args])


def slice_off_by_one(node: cst.Slice, context: Context) -> Iterator[cst.Slice]:
    """Each bound of a slice one more or one less: `x[i:j]` -> `x[i + 1:j]`, `x[i:j - 1]`, ..."""
    for bound in ("lower", "upper"):
        value = getattr(node, bound)
        if value is not None:
            for delta in (1, -1):
                yield node.with_changes(**{bound: shifted(value, delta)})


def assignment_for_update(node: cst.AugAssign, context: Context) -> Iterator[cst.Assign]:
    """`=` where the code accumulates: `total += x` -> `total = x`."""
    yield cst.Assign([cst.AssignTarget(node.target)], node.value)


def copy_removed(node: cst.BaseExpression, context: Context) -> Iterator[cst.BaseExpression]:
    """The original where the code takes a copy, so it changes its input: `list(x)`, `x[:]`, `x.copy()` -> `x`."""
    if isinstance(node, cst.Call) and len(node.args) == 1 and not node.args[0].keyword and not node.args[0].star:
        if isinstance(node.func, cst.Name) and node.func.value in COPIES:
            yield node.args[0].value
    if isinstance(node, cst.Call) and not node.args and isinstance(node.func, cst.Attribute) \
            and node.func.attr.value == "copy":
        yield node.func.value
    if isinstance(node, cst.Subscript) and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Slice):
        whole = node.slice[0].slice
        if whole.lower is None and whole.upper is None and whole.step is None:
            yield node.value


def update_for_copy(node: cst.Assign, context: Context) -> Iterator[cst.AugAssign]:
    """An update in place where the code makes a new list from an argument: `xs = xs + [x]` -> `xs += [x]`
    (the caller's list changes)."""
    if len(node.targets) != 1 or not isinstance(node.targets[0].target, cst.Name):
        return
    name, value = node.targets[0].target.value, node.value
    if (name in context.parameters and isinstance(value, cst.BinaryOperation) and type(value.operator) in BINARY
            and isinstance(value.left, cst.Name) and value.left.value == name and isinstance(value.right, LIST_VALUES)):
        yield cst.AugAssign(cst.Name(name), BINARY[type(value.operator)](), value.right)


def copy_for_update(node: cst.SimpleStatementLine, context: Context) -> Iterator[cst.SimpleStatementLine]:
    """A new list where the code changes an argument in place: `xs.append(x)` -> `xs = xs + [x]` (the caller's
    list stays as it was; for a list the function made itself the two are the same)."""
    if len(node.body) != 1 or not isinstance(node.body[0], cst.Expr):
        return
    call = node.body[0].value
    if (isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) and isinstance(call.func.value, cst.Name)
            and call.func.value.value in context.parameters
            and call.func.attr.value in APPENDS and len(call.args) == 1 and not call.args[0].keyword):
        owner = call.func.value
        added = APPENDS[call.func.attr.value](call.args[0].value)
        rebound = cst.Assign([cst.AssignTarget(owner)], cst.BinaryOperation(owner, cst.Add(), added))
        yield node.with_changes(body=[rebound])


def missing_call(node: cst.SimpleStatementLine, context: Context) -> Iterator[cst.SimpleStatementLine]:
    """A statement that is a bare call left out (no shift, no scale, no seed, no `zero_grad()`)."""
    if len(node.body) == 1 and isinstance(node.body[0], cst.Expr) and isinstance(node.body[0].value, cst.Call):
        yield node.with_changes(body=[cst.Pass()])


def similar(a: str, b: str) -> bool:
    """Parallel names a copy-paste slip confuses: same length, one character apart (`wk`/`wv`, `x`/`y`);
    `_` names nothing to confuse."""
    return len(a) == len(b) and "_" not in (a, b) and sum(p != q for p, q in zip(a, b, strict=True)) == 1


def similar_name(node: cst.Name, context: Context) -> Iterator[cst.Name]:
    """The wrong one of two similar names of the same function: `wk` -> `wv`, `i` -> `j`."""
    if id(node) in context.fixed_names:
        return
    for other in sorted(context.variables):
        if similar(node.value, other):
            yield node.with_changes(value=other)


def stateful_default(node: cst.FunctionDef, context: Context) -> Iterator[cst.FunctionDef]:
    """A fresh empty list or dict made a default argument, so it keeps what earlier calls put in it:
    `acc = []` in the body -> `def f(..., acc=[])`."""
    for statement in node.body.body:
        if not (context.target.written_by_student(statement) and isinstance(statement, cst.SimpleStatementLine)
                and len(statement.body) == 1 and isinstance(statement.body[0], cst.Assign)):
            continue
        assign = statement.body[0]
        empty = isinstance(assign.value, cst.List | cst.Dict) and not assign.value.elements
        if len(assign.targets) == 1 and isinstance(assign.targets[0].target, cst.Name) and empty:
            param = cst.Param(cst.Name(assign.targets[0].target.value), default=assign.value,
                              equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")))
            params = node.params
            if isinstance(params.star_arg, cst.Param | cst.ParamStar) or params.kwonly_params:
                params = params.with_changes(kwonly_params=[*params.kwonly_params, param])
            else:
                params = params.with_changes(params=[*params.params, param])
            body = [s for s in node.body.body if s is not statement]
            yield node.with_changes(params=params, body=node.body.with_changes(body=body))


def student_operators() -> list[Operator]:
    return [
        Operator("swapped_arguments", "student", cst.Call, swapped_arguments),
        Operator("swapped_operands", "student", cst.BinaryOperation, swapped_operands),
        Operator("range_off_by_one", "student", cst.Call, range_off_by_one),
        Operator("slice_off_by_one", "student", cst.Slice, slice_off_by_one),
        Operator("assignment_for_update", "student", cst.AugAssign, assignment_for_update),
        Operator("copy_removed", "student", cst.BaseExpression, copy_removed),
        Operator("update_for_copy", "student", cst.Assign, update_for_copy),
        Operator("copy_for_update", "student", cst.SimpleStatementLine, copy_for_update),
        Operator("missing_call", "student", cst.SimpleStatementLine, missing_call),
        Operator("similar_name", "student", cst.Name, similar_name),
        Operator("stateful_default", "student", cst.FunctionDef, stateful_default, whole_function=True),
    ]
