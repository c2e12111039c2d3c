"""Hidden tests for a1_values: values, atomic operations and expression graphs.

These tests run on the trusted side. `student` calls into the student's
process and every number compared here comes back as plain data. Each
docstring is the feedback line a student reads when the test fails; the
assertion messages speak to the student and never contain expected values or
hidden inputs.
"""
import math
import operator
from dataclasses import dataclass

import pytest

from autograder.sandbox import Remote
from autograder.suite.notebook import Value  # the student's class, in helpers that run beside it
from autograder.suite.plugin import seeded_by
from autograder.suite.questions import test_checkpoint_question  # noqa: F401 (rubric.toml's questions)
from autograder.suite.student_side import as_values, calls_during, calls_on_new_values, graph_from_spec
from autograder.suite.trusted import close, diagnosing, distinct_pair, is_value, signed

atomic = pytest.mark.checkpoint("atomic_ops")
composed = pytest.mark.checkpoint("composed_ops")
nodes_checkpoint = pytest.mark.checkpoint("graph_nodes")
topo_checkpoint = pytest.mark.checkpoint("topological_order")
milestone = pytest.mark.checkpoint("milestone")

ATOMIC_KINDS = {"add", "mul", "pow", "exp", "log", "relu"}
OP_SYMBOLS = {"+", "*", "**", "^"}  # micrograd-style labels instead of operation names

# What Python says when the student's code makes a known mistake -> its symptom. Only the error's own words are
# read: an error of another kind records nothing.
ATOMIC_ERRORS = {
    # Value((self, other), data, ...): the constructor's float(data) was handed the tuple of children
    r"float\(\) argument must be a string or a (real )?number, not 'tuple'": "constructor-argument-order",
}
COMPOSED_ERRORS = {
    r"isinstance\(\) arg 2 must be a type": "isinstance-arguments-swapped",  # isinstance(Value, other)
}
DIVISION_ERRORS = {
    **COMPOSED_ERRORS,
    r"for \*\* or pow\(\): '(int|float)' and 'Value'": "reciprocal-reversed",  # (-1) ** other: a Value exponent
}


# ------------------------------------------------------------ trusted helpers


def check_arguments_in_place(diagnose, node, children, kind):
    """Records the symptom of a node whose constructor arguments went to each other's places: its inputs or its
    op name turned up in _local_grads. Reads the node again only when it is already known to be wrong."""
    local_grads = node._local_grads
    if local_grads == children or local_grads == tuple(kind):
        diagnose("constructor-argument-order")


def check_node(student, diagnose, node, children, kind, expr, inputs):
    """The shared checks for a node made by one atomic operation."""
    assert is_value(student, node), f"{expr} should return a new Value node"
    got = node._children
    if got == () or got == []:
        diagnose("graph-not-recorded")
        check_arguments_in_place(diagnose, node, children, kind)
    assert got == children, f"{expr} should record its inputs: _children == {inputs}, in that order"
    op = node._op
    if op in OP_SYMBOLS:
        diagnose("op-as-symbol")
    if op != kind and not isinstance(op, str):
        check_arguments_in_place(diagnose, node, children, kind)
    assert op == kind, f"the node made by {expr} should have _op == '{kind}'"


def new_values(student, numbers):
    """Fresh leaf Values of the student's class in the shape of numbers (nested lists), made in one call."""
    return student.define(as_values)(numbers)


# ------------------------------------------------------------ Task A: atomic operations

def number_pairs(rng):
    fixed = [(2.0, -3.0), (-1.5, -2.25), (0.0, 4.0)]
    drawn = [(float(rng.uniform(-5, 5)), float(rng.uniform(-5, 5))) for _ in range(3)]
    return fixed + drawn


@atomic
def test_add_gives_the_sum(student, rng, diagnose):
    """a + b holds the sum of the two numbers."""
    pairs = number_pairs(rng)
    for (x, y), (a, b) in zip(pairs, new_values(student, pairs), strict=True):
        with diagnosing(diagnose, ATOMIC_ERRORS):
            c = a + b
        assert is_value(student, c), "a + b should return a new Value node"
        assert close(c.data, x + y), "(a + b).data should be a.data + b.data"


@atomic
def test_add_records_its_inputs(student, rng, diagnose):
    """a + b is an 'add' node whose children are (a, b), in order, even when a and b are the same Value."""
    x, y = distinct_pair(rng)
    a, b = student.Value(x), student.Value(y)
    check_node(student, diagnose, a + b, (a, b), "add", "a + b", "(a, b)")
    check_node(student, diagnose, b + a, (b, a), "add", "b + a", "(b, a)")
    check_node(student, diagnose, a + a, (a, a), "add", "a + a", "(a, a)")


@atomic
def test_mul_gives_the_product(student, rng, diagnose):
    """a * b holds the product of the two numbers."""
    pairs = number_pairs(rng)
    for (x, y), (a, b) in zip(pairs, new_values(student, pairs), strict=True):
        with diagnosing(diagnose, ATOMIC_ERRORS):
            c = a * b
        assert is_value(student, c), "a * b should return a new Value node"
        assert close(c.data, x * y), "(a * b).data should be a.data * b.data"


@atomic
def test_mul_records_its_inputs(student, rng, diagnose):
    """a * b is a 'mul' node whose children are (a, b), in order, even when a and b are the same Value."""
    x, y = distinct_pair(rng)
    a, b = student.Value(x), student.Value(y)
    check_node(student, diagnose, a * b, (a, b), "mul", "a * b", "(a, b)")
    check_node(student, diagnose, b * a, (b, a), "mul", "b * a", "(b, a)")
    check_node(student, diagnose, a * a, (a, a), "mul", "a * a", "(a, a)")


@atomic
def test_numbers_are_wrapped_as_leaf_values(student, rng, diagnose):
    """A plain number in a + number or a * number becomes a leaf Value child holding that number."""
    x = signed(rng, 0.5, 3.0)
    k_add = round(float(rng.uniform(1.0, 9.0)), 3)
    k_mul = int(rng.integers(2, 9))
    for expr, op, k, want in [("a + number", "add", k_add, x + k_add),
                              ("a * number", "mul", k_mul, x * k_mul)]:
        a = student.Value(x)
        node = a + k if op == "add" else a * k
        assert is_value(student, node), f"{expr} should return a new Value node"
        assert close(node.data, want), f"{expr} has the wrong value"
        kids = node._children
        assert isinstance(kids, tuple) and len(kids) == 2 and kids[0] == a, \
            f"{expr} should have two children: a, then the number wrapped as a Value"
        constant = kids[1]
        if not is_value(student, constant):
            diagnose("constant-not-wrapped")
        assert is_value(student, constant), \
            f"in {expr} the number should be wrapped as a leaf Value before it becomes a child"
        assert close(constant.data, float(k)) and constant._children == () and constant._op == "", \
            f"in {expr} the wrapped number should be a leaf: Value(number), no children, _op ''"


@atomic
def test_pow_gives_the_power(student, rng, diagnose):
    """a ** k holds a.data ** k for int and float exponents, including negative and fractional ones."""
    cases = [(2.0, 3), (-2.0, 3), (3.0, -1), (4.0, 0.5), (5.0, 0), (-1.5, 2), (2.5, -2.0)]
    cases += [(float(rng.uniform(0.5, 3.0)), float(rng.uniform(-2.0, 3.0))),
              (signed(rng, 0.5, 3.0), int(rng.integers(-3, 5)))]
    for (x, k), a in zip(cases, new_values(student, [x for x, _ in cases]), strict=True):
        with diagnosing(diagnose, ATOMIC_ERRORS):
            p = a ** k
        assert is_value(student, p), "a ** k should return a new Value node"
        assert close(p.data, x ** k), "(a ** k).data should be a.data ** k"


@atomic
def test_pow_has_one_child_the_base(student, rng, diagnose):
    """a ** k is a 'pow' node with exactly one child, a: the exponent is part of the operation."""
    for k in (int(rng.integers(2, 5)), float(rng.uniform(0.5, 2.5)), -1):
        a = student.Value(float(rng.uniform(0.5, 3.0)))
        p = a ** k
        assert is_value(student, p), "a ** k should return a new Value node"
        kids = p._children
        if isinstance(kids, tuple) and len(kids) == 2:
            diagnose("pow-exponent-as-child")
        if kids == () or kids == []:
            diagnose("graph-not-recorded")
            check_arguments_in_place(diagnose, p, (a,), "pow")
        assert kids == (a,), "a ** k should have exactly one child, a: the exponent is not a child"
        op = p._op
        if op in OP_SYMBOLS:
            diagnose("op-as-symbol")
        if op != "pow" and not isinstance(op, str):
            check_arguments_in_place(diagnose, p, (a,), "pow")
        assert op == "pow", "the node made by a ** k should have _op == 'pow'"


@atomic
def test_exp_value_child_and_kind(student, rng, diagnose):
    """a.exp() holds e ** a.data and is an 'exp' node with the one child a."""
    xs = [0.0, 1.0, -2.0, float(rng.uniform(-3.0, 3.0))]
    for x, a in zip(xs, new_values(student, xs), strict=True):
        with diagnosing(diagnose, ATOMIC_ERRORS):
            e = a.exp()
        assert is_value(student, e), "a.exp() should return a new Value node"
        assert close(e.data, math.exp(x)), "a.exp().data should be math.exp(a.data)"
        check_node(student, diagnose, e, (a,), "exp", "a.exp()", "(a,)")


@atomic
def test_log_is_the_natural_log(student, rng, diagnose):
    """a.log() holds the natural logarithm of a.data and is a 'log' node with the one child a."""
    xs = [2.0, 10.0, 0.25, float(rng.uniform(1.5, 6.0))]
    for x, a in zip(xs, new_values(student, xs), strict=True):
        with diagnosing(diagnose, ATOMIC_ERRORS):
            g = a.log()
        assert is_value(student, g), "a.log() should return a new Value node"
        got = g.data
        if close(got, math.log10(x)) or close(got, math.log2(x)):
            diagnose("log-not-natural")
        assert close(got, math.log(x)), "a.log().data should be the natural log of a.data (math.log)"
        check_node(student, diagnose, g, (a,), "log", "a.log()", "(a,)")


@atomic
def test_relu_values(student, rng, diagnose):
    """a.relu() holds a.data for positive a and exactly 0.0 for zero and negative a."""
    cases = [3.0, 0.5, 0.0, -2.0, -0.001, float(rng.uniform(0.1, 5.0)), -float(rng.uniform(0.1, 5.0))]
    for x, a in zip(cases, new_values(student, cases), strict=True):
        with diagnosing(diagnose, ATOMIC_ERRORS):
            r = a.relu()
        assert is_value(student, r), "relu() should return a new Value node, not a plain number"
        got = r.data
        if x < 0 and not close(got, 0.0):
            diagnose("relu-wrong-negative")
        assert close(got, x if x > 0 else 0.0), "relu() should hold a.data for positive a and 0.0 otherwise"


@atomic
def test_relu_returns_a_node(student, rng, diagnose):
    """a.relu() returns a 'relu' Value node with the one child a, for negative and positive a."""
    for x in (-float(rng.uniform(0.5, 3.0)), float(rng.uniform(0.5, 3.0))):
        a = student.Value(x)
        r = a.relu()
        if not is_value(student, r):
            diagnose("relu-returns-float")
        assert is_value(student, r), "relu() should return a Value node: a plain number drops out of the graph"
        check_node(student, diagnose, r, (a,), "relu", "a.relu()", "(a,)")


@atomic
def test_operations_leave_their_inputs_unchanged(student, rng, diagnose):
    """a + b and a * b build a new node and leave a and b exactly as they were."""
    x, y = distinct_pair(rng)
    for expr in ("a + b", "a * b"):
        a, b = student.Value(x), student.Value(y)
        c = a + b if expr == "a + b" else a * b
        unchanged = (close(a.data, x) and close(b.data, y)
                     and a._children == () and b._children == () and a._op == "" and b._op == "")
        is_new = not (c == a or c == b)
        if not (unchanged and is_new):
            diagnose("mutates-inputs")
        assert unchanged, f"{expr} should not change a or b: put the result in a new Value"
        assert is_new, f"{expr} should return a new Value, not one of its inputs"


@atomic
def test_local_grads_stay_empty(student, rng):
    """Every atomic node leaves _local_grads empty: A2 fills it in."""
    x, y = float(rng.uniform(0.5, 3.0)), float(rng.uniform(-3.0, -0.5))
    cases = {"a + b": lambda a, b: a + b, "a * b": lambda a, b: a * b, "a ** 2": lambda a, b: a ** 2,
             "a.exp()": lambda a, b: a.exp(), "a.log()": lambda a, b: a.log(), "b.relu()": lambda a, b: b.relu()}
    for (expr, build), (a, b) in zip(cases.items(), new_values(student, [[x, y]] * len(cases)), strict=True):
        node = build(a, b)  # fresh inputs for each case, so a mutating bug cannot change later cases
        assert is_value(student, node), f"{expr} should return a new Value node"
        assert node._local_grads == (), f"{expr} should leave _local_grads empty (pass ()) in this assignment"


# ------------------------------------------------------------ Task B: composed operations
#
# A composed operation is judged on how it combines the atomic operations, not
# on what the student's own atomic operations compute: it runs with them
# recording each call (`calls_during`), and the recorded composition is
# replayed here with correct arithmetic. A slip in an atomic operation so
# costs points on atomic_ops (and the milestone) only.

def float_relu(x):
    return max(0.0, x)


ATOMIC_ARITHMETIC = {"__add__": operator.add, "__mul__": operator.mul, "__pow__": operator.pow,
                     "exp": math.exp, "log": math.log, "relu": float_relu}
COMPOSED_CASES = [  # (what the student reads, the expression, the Values it must reach)
    ("-a", "lambda a, b, k: -a", "a"),
    ("a - b", "lambda a, b, k: a - b", "ab"),
    ("a - number", "lambda a, b, k: a - k", "a"),
    ("number - a", "lambda a, b, k: k - a", "a"),
    ("number + a", "lambda a, b, k: k + a", "a"),
    ("number * a", "lambda a, b, k: k * a", "a"),
    ("a / b", "lambda a, b, k: a / b", "ab"),
    ("a / number", "lambda a, b, k: a / k", "a"),
    ("number / a", "lambda a, b, k: k / a", "a"),
]


@dataclass(frozen=True)
class Composition:
    """What a composed operation built, with correct atomic operations in place of the student's."""

    value: float | None  # the result's number (None when it is no Value and no atomic operation made it)
    reaches: frozenset[str]  # the inputs ("a", "b") that number was computed from
    hand_made: tuple[str, ...]  # the _op of every node it put together itself instead of by an atomic operation
    changed_inputs: bool  # it changed a or b itself, outside the atomic operations


def replayed(method, numbers):
    try:
        return float(ATOMIC_ARITHMETIC[method](*numbers))
    except (TypeError, ValueError, ArithmeticError):
        return None


def compose(student, source, x, y=1.0, k=3.0) -> Composition:
    """Runs the expression `source` on fresh Values a, b (holding x, y) and the number k, and replays what it did."""
    record = student.define(calls_on_new_values, calls_during)
    (a, b), result, calls, start, end = record(source, [x, y], [k], list(ATOMIC_ARITHMETIC))
    known = {a: (x, frozenset("a")), b: (y, frozenset("b"))}  # Value -> (trusted number, inputs it comes from)
    hand_made = []

    def follow(node, data):
        """(number, inputs reached) of an operand or the result: hand-made nodes reach what their children reach."""
        if isinstance(node, Remote) and node in known:
            return known[node]
        if not is_value(student, node) or (node._children == () and node._op == ""):
            return data, frozenset()
        hand_made.append(node._op)
        children = node._children
        below = [follow(child, None)[1] for child in children] if isinstance(children, tuple | list) else []
        return data, frozenset().union(*below)

    for method, operands, numbers, made, *_ in calls:
        followed = [follow(operand, data) for operand, data in zip(operands, numbers, strict=True)]
        if isinstance(made, Remote):
            known[made] = (replayed(method, [number for number, _ in followed]),
                           frozenset().union(*(reached for _, reached in followed)))
    value, reaches = follow(result, result.data if is_value(student, result) else None)
    watched = [repr(data) for data in [start, *(data for call in calls for data in call[4:]), end]]  # nan == nan
    changed = any(watched[i] != watched[i + 1] for i in range(0, len(watched), 2))  # between the calls
    return Composition(value, reaches, tuple(hand_made), changed)


class Compositions:
    """Each composed expression run once per student on each input: the composed tests judge the same runs.

    The inputs are a fixed pair and a random one (x, y non-zero and apart; k
    a number in [4, 9]), drawn once. A run that raised is not kept: the next
    test runs it again and meets the error itself.
    """

    def __init__(self, student, rng):
        x, y = distinct_pair(rng)
        self.inputs = [(-4.0, 2.0, 3.0), (x, y, float(rng.uniform(4.0, 9.0)))]
        self.student = student
        self.runs: dict[tuple, Composition] = {}

    def run(self, source, x, y=1.0, k=3.0) -> Composition:
        key = (source, x, y, k)
        if key not in self.runs:
            self.runs[key] = compose(self.student, source, x, y, k)
        return self.runs[key]


@pytest.fixture(scope="module")
def compositions(student):
    return Compositions(student, seeded_by("composed inputs"))


def check_composed_value(made, want, expr):
    assert made.value is not None, f"{expr} should return a Value node"
    assert close(made.value, want), f"{expr} has the wrong value"


@composed
def test_neg_is_built_from_atomic_ops(compositions, rng, diagnose):
    """-a holds the negated number and stays connected to a through atomic operations."""
    for x in (-4.0, 0.0, signed(rng, 0.5, 5.0)):
        made = compositions.run("lambda a, b, k: -a", x)
        check_composed_value(made, -x, "-a")
        if "a" not in made.reaches:
            diagnose("neg-as-leaf")
        assert "a" in made.reaches, "-a should be built from a with atomic operations (e.g. a * -1), not as a new leaf"


@composed
def test_sub_gives_left_minus_right(compositions, diagnose):
    """a - b and a - number hold left minus right."""
    for x, y, k in compositions.inputs:
        for expr, source, want, flipped in [("a - b", "lambda a, b, k: a - b", x - y, y - x),
                                            ("a - number", "lambda a, b, k: a - k", x - k, k - x)]:
            with diagnosing(diagnose, COMPOSED_ERRORS):
                made = compositions.run(source, x, y, k)
            if made.value is not None and close(made.value, flipped):
                diagnose("sub-reversed")
            check_composed_value(made, want, expr)


@composed
def test_rsub_number_minus_value(compositions, diagnose):
    """number - a holds the number minus a.data (Python calls a.__rsub__(number))."""
    for x, y, k in compositions.inputs:
        made = compositions.run("lambda a, b, k: k - a", x, y, k)
        if made.value is not None and close(made.value, x - k):
            diagnose("rsub-reversed")
        check_composed_value(made, k - x, "number - a")


@composed
def test_radd_and_rmul_with_number_on_the_left(compositions):
    """number + a and number * a give Value nodes with the right numbers."""
    for x, y, k in compositions.inputs:
        for expr, source, want in [("number + a", "lambda a, b, k: k + a", k + x),
                                   ("number * a", "lambda a, b, k: k * a", k * x),
                                   ("int + a", "lambda a, b, k: 2 + a", 2 + x),
                                   ("int * a", "lambda a, b, k: 2 * a", 2 * x)]:
            check_composed_value(compositions.run(source, x, y, k), want, expr)


@composed
def test_truediv_value_by_value_and_by_number(compositions, diagnose):
    """a / b and a / number hold the quotient."""
    for x, y, k in compositions.inputs:
        for expr, source, want in [("a / b", "lambda a, b, k: a / b", x / y),
                                   ("a / number", "lambda a, b, k: a / k", x / k),
                                   ("a / int", "lambda a, b, k: a / 4", x / 4)]:
            with diagnosing(diagnose, DIVISION_ERRORS):
                made = compositions.run(source, x, y, k)
            check_composed_value(made, want, expr)


@composed
def test_rtruediv_number_by_value(compositions, diagnose):
    """number / a holds the number divided by a.data (Python calls a.__rtruediv__(number))."""
    for x, y, k in compositions.inputs:
        with diagnosing(diagnose, DIVISION_ERRORS):
            made = compositions.run("lambda a, b, k: k / a", x, y, k)
        if made.value is not None and close(made.value, x / k):
            diagnose("rtruediv-reversed")
        check_composed_value(made, k / x, "number / a")


@composed
def test_composed_ops_create_only_atomic_nodes(compositions, diagnose):
    """Composed operations build every node with the atomic operations: no new kinds, no nodes put together by hand."""
    for x, y, k in compositions.inputs:
        for expr, source, _ in COMPOSED_CASES:
            made = compositions.run(source, x, y, k)
            if made.hand_made:
                diagnose("composed-on-data" if set(made.hand_made) <= ATOMIC_KINDS else "new-node-kind")
            assert not made.hand_made, \
                f"{expr} should be built from the atomic operations only, with no new kind of node"


@composed
def test_composed_results_stay_connected_to_their_inputs(compositions, diagnose):
    """The graph of every composed result reaches its input Values, so gradients can flow back later."""
    for x, y, k in compositions.inputs:
        for expr, source, inputs in COMPOSED_CASES:
            connected = set(inputs) <= compositions.run(source, x, y, k).reaches
            if not connected:
                diagnose("neg-as-leaf" if expr == "-a" else "composed-on-data")
            assert connected, \
                f"the graph of {expr} does not reach its inputs: build it from Value operations, not from .data"


@composed
def test_composed_ops_leave_their_inputs_unchanged(compositions):
    """Composed operations do not change the Values they are applied to."""
    for x, y, k in compositions.inputs:
        for expr, source, _ in COMPOSED_CASES:
            assert not compositions.run(source, x, y, k).changed_inputs, f"{expr} should not change its inputs"


# ------------------------------------------------------------ Task C: graph_nodes
#
# Graphs here are built with the provided constructor, Value(data, children,
# (), op), so a slip in an operation never costs graph_nodes points.
# A graph "spec" is a list of (op, child indices); index -1 of the list is the root.

def build(student, spec):
    """The graph of a spec, made with the provided constructor in one call: node i holds i."""
    return student.define(graph_from_spec)([[float(i), list(kids), [], op] for i, (op, kids) in enumerate(spec)])


def reachable_indices(spec, root):
    seen, stack = set(), [root]
    while stack:
        i = stack.pop()
        if i not in seen:
            seen.add(i)
            stack.extend(spec[i][1])
    return seen


def chain_shape(rng):
    kinds = ["exp", "relu", "log", "pow"]
    length = int(rng.integers(6, 21))
    return [("", ())] + [(kinds[i % 4], (i,)) for i in range(length)]


def diamond_spec():
    return [
        ("", ()),              # 0: a
        ("exp", (0,)),         # 1: a.exp()
        ("relu", (0,)),        # 2: a.relu()
        ("add", (1, 2)),       # 3: both reach a
        ("", ()),              # 4: another leaf
        ("mul", (3, 4)),       # 5
        ("add", (5, 3)),       # 6: reaches 3 directly and through 5
        ("mul", (6, 6)),       # 7: the root, the same child twice
    ]


def random_shape(rng):
    """A random DAG with some unreachable nodes and at least one shared node."""
    n = int(rng.integers(10, 16))
    spec = [("", ()) for _ in range(3)]
    for i in range(3, n):
        low = max(0, i - 5)
        if rng.random() < 0.6:
            op = "add" if rng.random() < 0.5 else "mul"
            spec.append((op, (int(rng.integers(low, i)), int(rng.integers(low, i)))))
        else:
            op = ["exp", "log", "relu", "pow"][int(rng.integers(4))]
            spec.append((op, (int(rng.integers(low, i)),)))
    last = n - 1
    spec.append(("add", (last, spec[last][1][0])))  # the root: shares a child of `last`
    return spec


def as_node_list(result, name):
    assert isinstance(result, list), f"{name} should return a list of Value nodes"
    return result


def check_exactly_reachable(result, made, spec, diagnose, name):
    """result lists each node reachable from the root once, and nothing else."""
    want = {made[i] for i in reachable_indices(spec, len(spec) - 1)}
    got = set(result)
    direct = {made[-1], *(made[k] for k in spec[-1][1])}
    prefix = "graph-nodes" if name == "graph_nodes" else "topo"
    if not result:
        diagnose(f"{prefix}-empty")
    elif result == [made[-1]] and len(want) > 1:
        diagnose(f"{prefix}-root-only")
    elif name == "graph_nodes" and got == direct and want != direct:
        diagnose("graph-nodes-direct-children-only")
    elif len(result) > len(got) and got <= want:
        diagnose(f"{prefix}-duplicates")
    assert len(result) == len(got), f"{name} should list a node used in several places only once"
    assert got == want, \
        f"{name} should return exactly the nodes reachable from the root, all the way down to the leaves"


@nodes_checkpoint
def test_graph_nodes_of_a_leaf_is_the_leaf(student, rng):
    """graph_nodes of a lone leaf is a list holding just that leaf."""
    leaf = student.Value(float(rng.uniform(-5, 5)))
    result = as_node_list(student.graph_nodes(leaf), "graph_nodes")
    assert result == [leaf], "graph_nodes of a leaf should be [leaf]"


@nodes_checkpoint
def test_graph_nodes_follows_a_chain_to_the_bottom(student, rng, diagnose):
    """graph_nodes follows children of children all the way down a long chain."""
    spec = chain_shape(rng)
    made = build(student, spec)
    result = as_node_list(student.graph_nodes(made[-1]), "graph_nodes")
    check_exactly_reachable(result, made, spec, diagnose, "graph_nodes")


@nodes_checkpoint
def test_graph_nodes_lists_shared_nodes_once(student, diagnose):
    """graph_nodes lists a node reached along several paths (a diamond, x * x) only once."""
    spec = diamond_spec()
    made = build(student, spec)
    result = as_node_list(student.graph_nodes(made[-1]), "graph_nodes")
    check_exactly_reachable(result, made, spec, diagnose, "graph_nodes")


@nodes_checkpoint
def test_graph_nodes_of_a_random_graph(student, rng, diagnose):
    """graph_nodes finds exactly the reachable nodes of a random graph with shared nodes."""
    spec = random_shape(rng)
    made = build(student, spec)
    result = as_node_list(student.graph_nodes(made[-1]), "graph_nodes")
    check_exactly_reachable(result, made, spec, diagnose, "graph_nodes")


@nodes_checkpoint
def test_graph_nodes_leaves_out_nodes_above_the_root(student, diagnose):
    """graph_nodes of an inner node leaves out the nodes built on top of it and does not change the graph."""
    spec = diamond_spec()
    made = build(student, spec)
    inner = spec[:4]  # node 3 and what it uses; nodes 4..7 sit above or beside it
    result = as_node_list(student.graph_nodes(made[3]), "graph_nodes")
    check_exactly_reachable(result, made[:4], inner, diagnose, "graph_nodes")
    assert made[7]._children == (made[6], made[6]), "graph_nodes should not change the graph it walks"


# ------------------------------------------------------------ Task D: topological_order

def first_positions(order):
    positions = {}
    for i, node in enumerate(order):
        positions.setdefault(node, i)
    return positions


def check_children_first(order, made, spec, diagnose):
    positions = first_positions(order)
    for i in reachable_indices(spec, len(spec) - 1):
        node = made[i]
        assert node in positions, "topological_order should list every node reachable from the root"
        for k in spec[i][1]:
            child = made[k]
            assert child in positions, "topological_order should list every node reachable from the root"
            if positions[child] > positions[node]:
                diagnose("topo-parent-before-child")
            assert positions[child] < positions[node], "each node should come after all of its children"


@topo_checkpoint
def test_topological_order_of_a_leaf_is_the_leaf(student, rng):
    """topological_order of a lone leaf is a list holding just that leaf."""
    leaf = student.Value(float(rng.uniform(-5, 5)))
    result = as_node_list(student.topological_order(leaf), "topological_order")
    assert result == [leaf], "topological_order of a leaf should be [leaf]"


@topo_checkpoint
def test_topological_order_of_a_chain_is_bottom_up(student, rng, diagnose):
    """A chain has one valid order: from the bottom leaf up to the root."""
    spec = chain_shape(rng)
    made = build(student, spec)
    result = as_node_list(student.topological_order(made[-1]), "topological_order")
    if result == made[::-1]:
        diagnose("topo-parent-before-child")
    assert result == made, "a chain should be listed from its bottom leaf up to the root, each node once"


@topo_checkpoint
def test_topological_order_puts_children_first(student, rng, diagnose):
    """In a random graph every node comes after all of its children."""
    spec = random_shape(rng)
    made = build(student, spec)
    result = as_node_list(student.topological_order(made[-1]), "topological_order")
    check_children_first(result, made, spec, diagnose)


@topo_checkpoint
def test_topological_order_ends_with_the_root(student, rng, diagnose):
    """The root comes last, in a diamond and in a random graph."""
    for spec in (diamond_spec(), random_shape(rng)):
        made = build(student, spec)
        result = as_node_list(student.topological_order(made[-1]), "topological_order")
        assert result, "topological_order should not be empty"
        if result[0] == made[-1] and len(result) > 1:
            diagnose("topo-parent-before-child")
        assert result[-1] == made[-1], "the root should come last"


@topo_checkpoint
def test_topological_order_lists_shared_nodes_once(student, diagnose):
    """A node reached along several paths (a diamond, x * x) appears once, after its children."""
    spec = diamond_spec()
    made = build(student, spec)
    result = as_node_list(student.topological_order(made[-1]), "topological_order")
    check_exactly_reachable(result, made, spec, diagnose, "topological_order")
    check_children_first(result, made, spec, diagnose)


@topo_checkpoint
def test_topological_order_of_a_random_graph_is_complete(student, rng, diagnose):
    """A random graph's order holds exactly its reachable nodes, each once."""
    spec = random_shape(rng)
    made = build(student, spec)
    result = as_node_list(student.topological_order(made[-1]), "topological_order")
    check_exactly_reachable(result, made, spec, diagnose, "topological_order")


# ------------------------------------------------------------ milestone

def readme_expression(a, b, relu):
    """micrograd's README expression; works on Values (through proxies) and on floats."""
    c = a + b
    d = a * b + b**3
    c = c + (c + 1)
    c = c + (1 + c + (-a))
    d = d + (d * 2 + relu(b + a))
    d = d + (3 * d + relu(b - a))
    e = c - d
    f = e**2
    g = f / 2.0
    g = g + 10.0 / f
    return g


def value_relu(v):
    return v.relu()


def readme_on_new_values(x, y):
    """The expression on new Values holding x and y: shipped with `student.define`, so it runs in one call."""
    return readme_expression(Value(x), Value(y), value_relu)


def readme_on_student_values(student, x, y):
    return student.define(readme_on_new_values, readme_expression, value_relu)(x, y)


@milestone
def test_milestone_readme_expression(student):
    """micrograd's README expression gives the milestone value of g.data."""
    g = readme_on_student_values(student, -4.0, 2.0)
    assert is_value(student, g), "micrograd's README expression should produce a Value"
    want = readme_expression(-4.0, 2.0, float_relu)
    assert close(g.data, want), "g.data for micrograd's README expression does not match the milestone"


def milestone_inputs(rng):
    """Random starting values for a and b that keep f = e**2 away from zero (g divides by it)."""
    while True:
        x, y = float(rng.uniform(-5, 5)), float(rng.uniform(-5, 5))
        try:
            want = readme_expression(x, y, float_relu)
        except ZeroDivisionError:
            continue
        if abs(want) < 1e4:
            return x, y, want


@milestone
def test_milestone_expression_on_other_inputs(student, rng):
    """The same expression gives the right g.data for other starting values of a and b."""
    for _ in range(2):
        x, y, want = milestone_inputs(rng)
        g = readme_on_student_values(student, x, y)
        assert is_value(student, g), "micrograd's README expression should produce a Value"
        assert close(g.data, want), "g.data is wrong for other starting values of a and b"
