"""Helpers the grader runs in the student's process, through `student.define(helper)`.

Only a helper's source travels: it is defined there among the notebook's
globals, so `Value` below is the notebook's class (the import only tells the
linter so), and it may use builtins, modules it imports itself and its own
name, nothing else of this module. Each builds inputs from plain data or
reads plain data back in one call; none holds an expected value.
"""

from .notebook import Value


def as_values(data, into=None):
    """Leaf Values in the shape of data (a number, or lists and dicts of them); put in the dict `into` if given."""
    if isinstance(data, dict):
        made = {key: as_values(item) for key, item in data.items()}
    elif isinstance(data, list | tuple):
        made = [as_values(item) for item in data]
    else:
        made = Value(float(data))
    if into is None:
        return made
    into.update(made)


def read_data(obj):
    """The .data of every Value in nested lists and dicts; anything that is not a Value reads as None."""
    if isinstance(obj, dict):
        return {key: read_data(item) for key, item in obj.items()}
    if isinstance(obj, list | tuple):
        return [read_data(item) for item in obj]
    return obj.data if isinstance(obj, Value) else None


def read_grads(obj):
    """The .grad of every Value in nested lists and dicts; anything that is not a Value reads as None."""
    if isinstance(obj, dict):
        return {key: read_grads(item) for key, item in obj.items()}
    if isinstance(obj, list | tuple):
        return [read_grads(item) for item in obj]
    return obj.grad if isinstance(obj, Value) else None


def describe_values(obj):
    """(type name, .data, number of children, identity) of every item in nested lists; None where not a Value."""
    if isinstance(obj, list | tuple):
        return [describe_values(item) for item in obj]
    if not isinstance(obj, Value):
        return (type(obj).__name__, None, None, id(obj))
    return (type(obj).__name__, obj.data, len(obj._children), id(obj))


# ---------------------------------------------------------------- recording how a function uses Value's methods


def calls_during(function, args, methods, watched):
    """[result, calls, start, end] of function(*args), run while Value's named methods record each call.

    So a function can be judged on how it combines Value's methods, whatever
    those methods compute: they run as written, and are restored however the
    function ends. calls holds [method name, operands, their .data (a number
    as it is), result, watched before, watched after] for each call made from
    outside the recorded methods; start, end and the watched entries are the
    .data of the `watched` Values, so a change shows where it happened.
    """
    calls, depth = [], [0]

    def data_of(values):
        return [value.data if isinstance(value, Value) else value for value in values]

    def recording(name, method):
        def recorded(self, *arguments):
            if depth[0]:
                return method(self, *arguments)
            operands, before = [self, *arguments], data_of(watched)
            numbers = data_of(operands)
            depth[0] += 1
            try:
                result = method(self, *arguments)
            finally:
                depth[0] -= 1
            calls.append([name, operands, numbers, result, before, data_of(watched)])
            return result

        return recorded

    own = vars(Value)
    originals = {name: own.get(name) for name in methods if hasattr(Value, name)}  # None: inherited
    # another name bound to the same function (`__radd__ = __add__`) records as that method too
    aliases = {alias: name for name in methods if own.get(name) is not None
               for alias, attribute in own.items() if attribute is own[name] and alias not in methods}
    saved = {**originals, **{alias: own[alias] for alias in aliases}}
    start = data_of(watched)
    try:
        for name in originals:
            setattr(Value, name, recording(name, getattr(Value, name)))
        for alias, name in aliases.items():
            setattr(Value, alias, recording(name, saved[alias]))
        result = function(*args)
    finally:
        for name, method in saved.items():
            if method is None:
                delattr(Value, name)
            else:
                setattr(Value, name, method)
    return [result, calls, start, data_of(watched)]


def calls_on_new_values(source, numbers, extra, methods):
    """[Values, result, calls, start, end]: `calls_during` of the expression `source` on new Values of numbers.

    The expression (a lambda among the notebook's globals) gets the new
    Values, then the items of extra; the Values are the ones watched. One
    call builds the inputs, runs and records: define it with
    `student.define(calls_on_new_values, calls_during)`.
    """
    values = [Value(float(number)) for number in numbers]
    return [values, *calls_during(eval(source), [*values, *extra], methods, values)]


# ---------------------------------------------------------------- more inputs and read-backs


def are_leaves(nodes):
    """Whether each node is a leaf (no children)."""
    return [len(node._children) == 0 for node in nodes]


def set_grads(nodes, grads):
    """Sets each node's grad, so a test can start from known gradients without anyone's backward."""
    for node, grad in zip(nodes, grads, strict=True):
        node.grad = float(grad)


def weighted_sum(outputs, coefficients):
    """The sum of coefficient * output over matching nested lists: one root to run backward from."""
    if isinstance(coefficients, list):
        return sum(weighted_sum(output, c) for output, c in zip(outputs, coefficients, strict=False))
    return outputs * coefficients


def cache_lengths(nested):
    """The length of every list one level down: how much a cache of keys or values holds."""
    return [[len(inner) for inner in outer] for outer in nested]


def seeded_random(seed):
    """A random.Random of the student's process, for functions that take one."""
    import random

    return random.Random(seed)


def graph_from_spec(spec):
    """Nodes made with the constructor alone from [data, child indices, local grads, op] rows, in order."""
    made = []
    for data, kids, local_grads, op in spec:
        made.append(Value(data, [made[k] for k in kids], local_grads, op))
    return made


def chain_of_steps(x, steps):
    """x, then v * a + b for each (a, b) of steps: a graph as deep as steps is long."""
    for a, b in steps:
        x = x * a + b
    return x


def ladder_of_steps(x, steps):
    """x, then v * a + v * b for each (a, b): each node used twice, a graph with exponentially many paths."""
    for a, b in steps:
        x = x * a + x * b
    return x


def leaves_and_sum(numbers):
    """Fresh leaves for the numbers and their sum: a chain of add nodes as long as the list."""
    leaves = [Value(x) for x in numbers]
    return leaves, sum(leaves)


def line_predictions(w, b, xs):
    """w * x + b for each x: predictions of a line whose parameters are Values."""
    return [w * x + b for x in xs]


def squared_distance(params, targets):
    """The sum of (p - t) ** 2: a quadratic loss with its minimum at the targets."""
    return sum((p - t) ** 2 for p, t in zip(params, targets, strict=True))


def matrix_row_lengths(function, *args):
    """The row lengths of every matrix in the dict function(*args) returns, so a shape is checked in one call.

    A row that is not a list counts -1; an entry that is not a list of rows is None.
    """
    params = function(*args)
    if not isinstance(params, dict):
        return None
    return {str(name): [len(row) if isinstance(row, list) else -1 for row in rows] if isinstance(rows, list) else None
            for name, rows in params.items()}


def leaf_census(function, *args):
    """[entries, Values, leaf Values holding a float, distinct objects] over every matrix function(*args) returns."""
    entries = [x for rows in function(*args).values() for row in rows for x in row]
    values = [x for x in entries if isinstance(x, Value)]
    leaves = [x for x in values if len(x._children) == 0 and isinstance(x.data, float)]
    return [len(entries), len(values), len(leaves), len({id(x) for x in entries})]


def matrix_data(function, *args):
    """The numbers of every matrix in the dict function(*args) returns, by name."""
    return {str(name): [[x.data for x in row] for row in rows] for name, rows in function(*args).items()}
