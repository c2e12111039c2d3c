"""Hidden tests for a3_backprop: the chain rule on a graph.

These tests run on the trusted side. `student` calls into the student's
process and every number compared here comes back as plain data. Expected
gradients come from trusted code in this file: forward-mode dual numbers and
central differences on plain floats for expressions, and a trusted reverse
sweep over graphs whose every number (data and local gradients) was chosen
here and built in the student's process with the provided constructor.
zero_grad and grad_of are judged alone: gradients are set as plain data, or
compared with what the student's own backward gives on the same graph, so a
backward mistake costs points only on backward's checkpoints.
Each docstring is the feedback line a student reads when the test fails; the
assertion messages speak to the student and never contain expected values or
hidden inputs.

The deep-graph tests come last: a backward without a visited set takes
exponential time on a deep graph with shared nodes, and a call that times out
is not made again.
"""
import copy
import math
import re
from collections import deque

import pytest

from autograder.suite.questions import test_checkpoint_question  # noqa: F401 (rubric.toml's questions)
from autograder.suite.student_side import (
    are_leaves,
    chain_of_steps,
    graph_from_spec,
    ladder_of_steps,
    leaves_and_sum,
    read_data,
    read_grads,
    set_grads,
)
from autograder.suite.trusted import (
    Dual,
    close,
    close_to_one_of,
    distinct_pair,
    exact_gradient,
    is_number,
    signed,
    trusted_function,
)

basics = pytest.mark.checkpoint("backward_basics")
accumulate = pytest.mark.checkpoint("accumulate")
order_checkpoint = pytest.mark.checkpoint("backward_order")
deep = pytest.mark.checkpoint("deep_graphs")
zero_checkpoint = pytest.mark.checkpoint("zero_grad")
grad_of_checkpoint = pytest.mark.checkpoint("grad_of")
milestone = pytest.mark.checkpoint("milestone")

DEPTH = 5000        # operations in the deep graphs
MAX_PATHS = 3000    # random graphs stay small enough for a backward that follows every path
ORDER_LIMIT = 20000

# What grad_of raises when a name stands where another belongs: Value(f) or a Value wrapped again (float() of a
# function or a Value), or a Value called in f's place.
GRAD_OF_WRONG_NAME = r"float\(\) argument must be .*, not '(function|Value)'|'Value' object is not callable"

README = ("lambda a, b: ((c := a + b), (d := a * b + b**3), (c := c + (c + 1)), (c := c + (1 + c + (-a))), "
          "(d := d + (d * 2 + (b + a).relu())), (d := d + (3 * d + (b - a).relu())), (e := c - d), "
          "(f := e**2), (g := f / 2.0), (g := g + 10.0 / f))[-1]")


# ------------------------------------------------------------ trusted numbers


def gradients_close(actual, *expected, rel=1e-9):
    """A list of plain numbers close to one of the expected lists, with a floor scaled to the first one's largest."""
    if not isinstance(actual, list) or not all(is_number(a) for a in actual):
        return False
    return close_to_one_of(actual, expected, rel, 1e-11 * max([1.0] + [abs(e) for e in expected[0]]))


def finite_differences(source, xs, h=1e-5):
    """Central differences of f at xs, on plain floats."""
    fn = trusted_function(source)
    grads = []
    for i in range(len(xs)):
        up = [Dual(x + h if j == i else x) for j, x in enumerate(xs)]
        down = [Dual(x - h if j == i else x) for j, x in enumerate(xs)]
        grads.append((fn(*up).val - fn(*down).val) / (2 * h))
    return grads


# ------------------------------------------------------------ random expressions (real Value operations)

# (template, when it is safe for operand values a and b)
TEMPLATES = [
    ("{a} + {b}", lambda a, b: True),
    ("{a} * {b}", lambda a, b: True),
    ("{a} - {b}", lambda a, b: True),
    ("{a} / {b}", lambda a, b: abs(b) > 0.3),
    ("{a}.exp()", lambda a, b: a < 2.0),
    ("{a}.log()", lambda a, b: a > 0.2),
    ("{a}.relu()", lambda a, b: abs(a) > 0.05),
    ("{a} ** 2", lambda a, b: True),
    ("{a} ** 3", lambda a, b: True),
    ("{a} ** 0.5", lambda a, b: a > 0.2),
    ("-{a}", lambda a, b: True),
    ("{k} * {a}", lambda a, b: True),
    ("{a} + {k}", lambda a, b: True),
    ("{k} - {a}", lambda a, b: True),
    ("{k} / {a}", lambda a, b: abs(a) > 0.3),
]


def random_expression(rng, n_inputs, n_steps):
    """A random program over x0.. with shared sub-expressions: (lambda source, input floats)."""
    while True:
        xs = [signed(rng, 0.4, 1.6) for _ in range(n_inputs)]
        env = {f"x{i}": Dual(x) for i, x in enumerate(xs)}
        names, used, steps = list(env), set(), []
        for _ in range(400):
            if len(steps) == n_steps:
                break
            unused = [name for name in names if name not in used]
            recent = names[-4:]
            first = unused[0] if unused and rng.random() < 0.5 else recent[int(rng.integers(len(recent)))]
            second = names[int(rng.integers(len(names)))]
            template, safe = TEMPLATES[int(rng.integers(len(TEMPLATES)))]
            if not safe(env[first].val, env[second].val):
                continue
            expr = template.format(a=first, b=second, k=round(float(rng.uniform(0.5, 2.5)), 3))
            value = eval(expr, {"__builtins__": {}}, env)  # noqa: S307 - written here
            if abs(value.val) > 25:
                continue
            name = f"t{len(steps)}"
            env[name] = value
            steps.append(f"({name} := {expr})")
            used.update({first, second} if "{b}" in template else {first})
            names.append(name)
        dangling = [name for name in names if name not in used]
        steps.append(f"(out := {' + '.join(dangling)})")
        source = f"lambda {', '.join(f'x{i}' for i in range(n_inputs))}: ({', '.join(steps)},)[-1]"
        want = exact_gradient(source, xs)
        fd = finite_differences(source, xs)
        well_conditioned = all(math.isclose(f, w, rel_tol=1e-6, abs_tol=1e-7) for f, w in zip(fd, want, strict=True))
        if len(steps) > n_steps and well_conditioned and max(abs(w) for w in want) > 1e-3:
            return source, xs


def leaf_values(student, xs):
    return [student.Value(float(x)) for x in xs]


def expression_on_student(student, source, xs):
    """Builds the expression in the student's process: (input leaves, output node)."""
    leaves = leaf_values(student, xs)
    return leaves, student.evaluate(source)(*leaves)


def own_backward(student, root, nodes):
    """The grads of nodes after the student's own backward(root), as plain numbers; None when it raises."""
    try:
        student.backward(root)
    except Exception:
        return None
    grads = student.define(read_grads)(nodes)
    return grads if all(is_number(g) for g in grads) else None


def backward_gradient(student, source, xs):
    """What the student's own backward gives the fresh input leaves of an expression (None when it raises)."""
    leaves, out = expression_on_student(student, source, xs)
    return own_backward(student, out, leaves)


def backward_sound(student):
    """True when the student's backward handles a small graph with shared nodes correctly.

    grad_of symptoms are only diagnosed when this holds, so that a backward
    bug is not reported as a grad_of mistake.
    """
    source = "lambda a, b: (a * b + a) * (a * b).exp()"
    return gradients_close(backward_gradient(student, source, [0.7, -1.2]), exact_gradient(source, [0.7, -1.2]))


# ------------------------------------------------------------ graphs with trusted numbers (a "spec")
#
# A spec is a list of nodes (data, child indices, local grads, op), children
# before parents; the last node is the root. It is built in the student's
# process with the provided constructor, so every number in the graph was
# chosen here.

class Reject(Exception):
    pass


def node_for(spec, op, kids, k=None, limit=20.0):
    """One atomic node over existing nodes, with its data and local grads; Reject outside a safe range."""
    xs = [spec[i][0] for i in kids]
    if op == "add":
        data, local = xs[0] + xs[1], (1.0, 1.0)
    elif op == "mul":
        data, local = xs[0] * xs[1], (xs[1], xs[0])
    elif op == "exp":
        if xs[0] > 2.5:
            raise Reject
        data = math.exp(xs[0])
        local = (data,)
    elif op == "log":
        if xs[0] < 0.2:
            raise Reject
        data, local = math.log(xs[0]), (1.0 / xs[0],)
    elif op == "relu":
        if abs(xs[0]) < 0.05:
            raise Reject
        data, local = max(0.0, xs[0]), (1.0 if xs[0] > 0 else 0.0,)
    elif op == "pow":
        if (k < 0 and abs(xs[0]) < 0.3) or (not float(k).is_integer() and xs[0] < 0.2):
            raise Reject
        data, local = xs[0] ** k, (k * xs[0] ** (k - 1),)
    else:
        raise ValueError(op)
    if abs(data) > limit or any(abs(g) > limit for g in local):
        raise Reject
    return (data, tuple(kids), local, op)


def append(spec, op, kids, k=None, limit=20.0):
    spec.append(node_for(spec, op, kids, k, limit))
    return len(spec) - 1


def add_leaf(spec, x):
    spec.append((float(x), (), (), ""))
    return len(spec) - 1


POW_EXPONENTS = (2, 3, -1, 0.5, 1.5)
UNARY = ("exp", "log", "relu", "pow")


def unary_step(spec, rng, kid, ops=UNARY, limit=20.0, dead_relu=True):
    op = ops[int(rng.integers(len(ops)))]
    if op == "relu" and not dead_relu and spec[kid][0] <= 0.05:
        raise Reject  # a relu at a negative input would stop every gradient below it
    k = POW_EXPONENTS[int(rng.integers(len(POW_EXPONENTS)))] if op == "pow" else None
    return append(spec, op, (kid,), k, limit)


def chain_spec(rng, length, long=False):
    """A chain: each step uses the previous node (with a fresh side leaf for add and mul)."""
    spec = []
    top = add_leaf(spec, signed(rng, 0.5, 1.5))
    for _ in range(length):
        for _ in range(50):
            mark = len(spec)
            try:
                if rng.random() < 0.6:
                    op = "mul" if rng.random() < 0.6 else "add"
                    side = signed(rng, 0.8, 1.25) if op == "mul" else signed(rng, 0.5, 1.5)
                    leaf = add_leaf(spec, side)
                    kids = (top, leaf) if rng.random() < 0.5 else (leaf, top)
                    top = append(spec, op, kids)
                else:
                    top = unary_step(spec, rng, top, ("relu",) if long else ("relu", "pow", "exp", "log"),
                                     limit=3.0, dead_relu=False)
                break
            except Reject:
                del spec[mark:]
        else:
            top = append(spec, "add", (top, add_leaf(spec, -spec[top][0] / 2)))
    return spec


def uneven_spec(rng, c_first):
    """c = a * b is used by the root directly and again through a path of 2 or 3 more nodes."""
    while True:
        try:
            spec = []
            a, b = add_leaf(spec, signed(rng, 0.3, 0.9)), add_leaf(spec, signed(rng, 0.3, 0.9))
            c = append(spec, "mul", (a, b))
            top = c
            for _ in range(int(rng.integers(2, 4))):
                top = unary_step(spec, rng, top, ("exp", "pow", "log"), limit=8.0)
            op = "add" if rng.random() < 0.5 else "mul"
            append(spec, op, (c, top) if c_first else (top, c))
            return spec
        except Reject:
            continue


def shared_inner_spec(rng):
    """An inner node c used three times (twice by one mul), and a root that uses c again."""
    while True:
        try:
            spec = []
            a, b = add_leaf(spec, signed(rng, 0.4, 1.2)), add_leaf(spec, signed(rng, 0.4, 1.2))
            c = append(spec, "add" if rng.random() < 0.5 else "mul", (a, b))
            d = append(spec, "mul", (c, c))
            e = unary_step(spec, rng, c, ("exp", "pow", "relu"))
            r = append(spec, "add", (d, e))
            append(spec, "mul", (r, c))
            return spec
        except Reject:
            continue


def reachable(spec):
    seen, stack = set(), [len(spec) - 1]
    while stack:
        i = stack.pop()
        if i not in seen:
            seen.add(i)
            stack.extend(spec[i][1])
    return seen


def path_count(spec):
    """Number of root-to-node paths, summed over all nodes (the work of a backward without a visited set)."""
    paths = [0] * len(spec)
    paths[-1] = 1
    for i in range(len(spec) - 1, -1, -1):
        for k in spec[i][1]:
            paths[k] += paths[i]
    return sum(paths)


def random_spec(rng, n_leaves, n_inner):
    """A random graph with shared nodes (inner ones included) and a few unreachable nodes."""
    while True:
        spec = [(signed(rng, 0.5, 1.5), (), (), "") for _ in range(n_leaves)]
        for _ in range(50 * n_inner):
            if len(spec) == n_leaves + n_inner:
                break
            low = max(0, len(spec) - 6)
            try:
                if rng.random() < 0.55:
                    kids = (int(rng.integers(low, len(spec))), int(rng.integers(low, len(spec))))
                    append(spec, "add" if rng.random() < 0.5 else "mul", kids, limit=8.0)
                else:
                    unary_step(spec, rng, int(rng.integers(low, len(spec))), limit=8.0)
            except Reject:
                continue
        seen = reachable(spec)
        uses = [0] * len(spec)
        for i in seen:
            for k in spec[i][1]:
                uses[k] += 1
        shared_inner = any(uses[i] > 1 and spec[i][1] for i in seen)
        leaves_reached = sum(1 for i in seen if not spec[i][1])
        grads = trusted_backward(spec)
        if (len(spec) == n_leaves + n_inner and len(seen) >= 0.6 * len(spec) and shared_inner
                and leaves_reached >= 2 and path_count(spec) <= MAX_PATHS
                and max(abs(grads[i]) for i in seen if not spec[i][1]) > 1e-3):
            return spec


def trusted_backward(spec):
    """The reference: reverse index order is a reverse topological order of a spec."""
    grads = [0.0] * len(spec)
    grads[-1] = 1.0
    for i in range(len(spec) - 1, -1, -1):
        _, kids, local, _ = spec[i]
        for k, g in zip(kids, local, strict=True):
            grads[k] += g * grads[i]
    return grads


# ------------------------------------------------------------ known slips, replayed on the trusted side

def replay(spec, order, *, seed=1.0, overwrite=False, upstream=True, swap=False):
    """What a backward that processes nodes in `order` computes, with one of the known slips."""
    grads = [0.0] * len(spec)
    grads[-1] = seed
    for i in order:
        _, kids, local, _ = spec[i]
        if swap:
            local = local[::-1]
        for k, g in zip(kids, local, strict=True):
            push = g * grads[i] if upstream else g
            grads[k] = push if overwrite else grads[k] + push
    return grads


def postorder(spec, *, visited=True, explicit_stack=False, mark_on_push=False):
    """Children-first order as a recursive or an explicit-stack search makes it (None if it explodes).

    mark_on_push: the explicit-stack search that marks a child visited when
    pushing it, which can emit a node before a child still waiting lower on
    the stack (not a topological order).
    """
    root = len(spec) - 1
    order, seen = [], set()
    if mark_on_push:
        seen.add(root)
        todo = [(root, False)]
        while todo:
            i, done = todo.pop()
            if done:
                order.append(i)
                continue
            todo.append((i, True))
            for k in spec[i][1]:
                if k not in seen:
                    seen.add(k)
                    todo.append((k, False))
        return order
    if explicit_stack:
        todo = [(root, False)]
        while todo:
            i, done = todo.pop()
            if done:
                order.append(i)
            elif not visited or i not in seen:
                seen.add(i)
                todo.append((i, True))
                todo.extend((k, False) for k in spec[i][1])
            if len(order) + len(todo) > ORDER_LIMIT:
                return None
        return order
    seen.add(root)
    frames = [[root, 0]]
    while frames:
        frame = frames[-1]
        i, position = frame
        kids = spec[i][1]
        if position < len(kids):
            frame[1] += 1
            k = kids[position]
            if not visited or k not in seen:
                seen.add(k)
                frames.append([k, 0])
        else:
            frames.pop()
            order.append(i)
            if len(order) > ORDER_LIMIT:
                return None
    return order


def breadth_first(spec, reverse_children=False):
    root = len(spec) - 1
    order, seen, queue = [], {root}, deque([root])
    while queue:
        i = queue.popleft()
        order.append(i)
        kids = spec[i][1][::-1] if reverse_children else spec[i][1]
        for k in kids:
            if k not in seen:
                seen.add(k)
                queue.append(k)
    return order


def known_slips(spec):
    """(symptom, gradients) for each known wrong backward."""
    n = len(spec)
    forward = [postorder(spec), postorder(spec, explicit_stack=True)]
    reverse = [order[::-1] for order in forward]
    yield "root-not-seeded", [0.0] * n
    yield "nothing-below-root", [0.0] * (n - 1) + [1.0]
    yield "chain-rule-missing-upstream", replay(spec, reverse[0], upstream=False)
    for order in reverse:
        yield "local-grad-pairing", replay(spec, order, swap=True)
        yield "grad-overwritten", replay(spec, order, overwrite=True)
    for order in forward:
        yield "wrong-order", replay(spec, order)
    yield "wrong-order", replay(spec, postorder(spec, mark_on_push=True)[::-1])
    for flip in (False, True):
        yield "wrong-order", replay(spec, breadth_first(spec, flip))
    for explicit_stack in (False, True):
        order = postorder(spec, visited=False, explicit_stack=explicit_stack)
        if order is not None:
            yield "visited-missing", replay(spec, order[::-1])


def diagnose_spec(spec, got, diagnose):
    """Records the known slip that reproduces the student's gradients exactly, if there is just one."""
    want = trusted_backward(spec)
    if gradients_close(got, want):
        return
    matching = {symptom for symptom, slip in known_slips(spec)
                if not gradients_close(slip, want, rel=1e-6) and gradients_close(got, slip, rel=1e-6)}
    if len(matching) == 1:  # two slips that give the same numbers here cannot be told apart
        diagnose(matching.pop())


def build_spec(student, spec):
    return student.define(graph_from_spec)([[data, list(kids), list(local), op] for data, kids, local, op in spec])


def check_spec(student, spec, diagnose, message):
    """Runs backward on the spec's graph in the student's process and compares every node's grad."""
    made = build_spec(student, spec)
    student.backward(made[-1])
    got = student.define(read_grads)(made)
    diagnose_spec(spec, got, diagnose)
    assert gradients_close(got, trusted_backward(spec)), message


# ------------------------------------------------------------ Task A: the chain rule along the graph

def not_seeded(grads):
    """True when nothing flowed down from the root (all zero below it)."""
    return all(is_number(g) and g == 0 for g in grads)


def diagnose_nothing_flowed(root, below, diagnose):
    """Nothing reached the nodes below the root: it was never seeded, or it was and still passed nothing on."""
    if not_seeded(below) and not_seeded([root]):
        diagnose("root-not-seeded")
    elif not_seeded(below) and close(root, 1.0):
        diagnose("nothing-below-root")


@basics
def test_backward_sets_the_root_grad_to_one(student, rng, diagnose):
    """backward sets root.grad to 1.0, for a lone leaf and for the output of an operation."""
    leaf = student.Value(signed(rng, 0.5, 3.0))
    student.backward(leaf)
    got = leaf.grad
    if is_number(got) and got == 0:
        diagnose("root-not-seeded")
    assert close(got, 1.0), "backward of a lone leaf should set its grad to 1.0"
    x, y = distinct_pair(rng)
    a, b = student.Value(x), student.Value(y)
    c = a * b
    student.backward(c)
    root, *below = student.define(read_grads)([c, a, b])
    diagnose_nothing_flowed(root, below, diagnose)
    assert close(root, 1.0), "backward should set root.grad = 1.0 (d root / d root is 1)"
    assert not not_seeded(below), "backward should pass gradient from the root down to its children"


@basics
def test_backward_through_add_and_mul(student, rng, diagnose):
    """Through one add or mul node each child gets its local gradient: 1 for add, the other factor for mul."""
    x, y = distinct_pair(rng)
    a, b = student.Value(x), student.Value(y)
    c = a + b
    student.backward(c)
    root, *got = student.define(read_grads)([c, a, b])
    diagnose_nothing_flowed(root, got, diagnose)
    assert gradients_close(got, [1.0, 1.0]), "for a + b, a.grad and b.grad should both be 1.0"
    a, b = student.Value(x), student.Value(y)
    student.backward(a * b)
    got = student.define(read_grads)([a, b])
    if gradients_close(got, [x, y]):
        diagnose("local-grad-pairing")
    assert gradients_close(got, [y, x]), "for a * b, a.grad should be b.data and b.grad should be a.data"
    k = int(rng.integers(2, 9))
    a = student.Value(x)
    student.backward(a * k)
    assert close(a.grad, float(k)), "for a * number, a.grad should be the number"
    a = student.Value(x)
    student.backward(k - a)
    assert close(a.grad, -1.0), "for number - a, a.grad should be -1 (a chain through mul by -1 and add)"


@basics
def test_backward_through_pow_exp_log_relu(student, rng):
    """Through one pow, exp, log or relu node the child gets that operation's local derivative."""
    positive = float(rng.uniform(0.5, 2.5))
    anywhere = signed(rng, 0.5, 2.5)
    cases = [
        ("a ** 2", anywhere, lambda v: v ** 2, 2 * anywhere),
        ("a ** 3", anywhere, lambda v: v ** 3, 3 * anywhere ** 2),
        ("a ** -1", anywhere, lambda v: v ** -1, -1 / anywhere ** 2),
        ("a ** 0.5", positive, lambda v: v ** 0.5, 0.5 / math.sqrt(positive)),
        ("a.exp()", anywhere, lambda v: v.exp(), math.exp(anywhere)),
        ("a.log()", positive, lambda v: v.log(), 1 / positive),
        ("a.relu() for a > 0", positive, lambda v: v.relu(), 1.0),
        ("a.relu() for a < 0", -positive, lambda v: v.relu(), 0.0),
    ]
    for expr, x, make, want in cases:
        a = student.Value(x)
        student.backward(make(a))
        assert close(a.grad, want), f"wrong gradient through {expr}"


@basics
def test_chain_rule_multiplies_along_a_chain(student, rng, diagnose):
    """Along a chain of operations the local gradients multiply: each node gets local_grad * node.grad."""
    spec = chain_spec(rng, int(rng.integers(6, 12)))
    check_spec(student, spec, diagnose,
               "along a chain, each child should receive local_grad * node.grad, visiting the root first")


TREES = [
    ("lambda a, b, c, d: (a * b + c.exp()) * d", 4),
    ("lambda a, b, c: ((a + b) ** 2 + 1).log() * c", 3),
    ("lambda a, b, c, d: (a * 2 - b / c).exp() + d.relu()", 4),
]


@basics
def test_backward_on_expressions_without_shared_nodes(student, rng):
    """Expressions in which every input is used once get exactly the gradients of calculus."""
    for source, n in TREES:
        xs = [signed(rng, 0.5, 1.5) for _ in range(n)]
        leaves, out = expression_on_student(student, source, xs)
        student.backward(out)
        assert gradients_close(student.define(read_grads)(leaves), exact_gradient(source, xs)), \
            "the gradients of an expression without shared nodes are wrong: check the chain rule"


@basics
def test_backward_leaves_other_nodes_alone(student, rng):
    """backward(c) changes only the grads of c and the nodes below it, and never any data."""
    x, y = distinct_pair(rng)
    a, b, z = student.Value(x), student.Value(y), student.Value(signed(rng, 0.5, 2.0))
    c = a * b
    d = c + z
    student.backward(c)
    grads = student.define(read_grads)([c, a, b, d, z])
    assert gradients_close(grads[:3], [1.0, y, x]), "backward(c) for c = a * b should fill in c, a and b"
    assert grads[3:] == [0.0, 0.0], "backward(c) must not touch nodes that are not below c (here d = c + z and z)"
    data = student.define(read_data)([a, b, c])
    assert gradients_close(data, [x, y, x * y]), "backward must not change any node's data"


# ------------------------------------------------------------ shared nodes and repeated calls

@accumulate
def test_a_node_used_twice_by_one_operation(student, rng, diagnose):
    """a * a, a + a and a * a * a: every use of a adds its contribution to a.grad."""
    x = signed(rng, 0.5, 3.0)
    for expr, make, want, overwritten in [
        ("a * a", lambda v: v * v, 2 * x, x),
        ("a + a", lambda v: v + v, 2.0, 1.0),
        ("a * a * a", lambda v: v * v * v, 3 * x * x, None),  # = gives x * x, like a forward order: no symptom
    ]:
        a = student.Value(x)
        student.backward(make(a))
        got = a.grad
        if overwritten is not None and close(got, overwritten):
            diagnose("grad-overwritten")
        assert close(got, want), f"{expr} uses a more than once: add every contribution into a.grad (+=)"


@accumulate
def test_x_used_along_two_paths(student, rng, diagnose):
    """In (x * y) * (x * z), x reaches the root along two paths and collects both contributions."""
    x, y, z = (signed(rng, 0.5, 2.0) for _ in range(3))
    xv, yv, zv = student.Value(x), student.Value(y), student.Value(z)
    student.backward((xv * yv) * (xv * zv))
    got = student.define(read_grads)([xv, yv, zv])
    if isinstance(got, list) and got and close(got[0], x * y * z):
        diagnose("grad-overwritten")
    assert gradients_close(got, [2 * x * y * z, x * x * z, x * x * y]), \
        "(x * y) * (x * z): x.grad must be the sum of the contributions along both paths"


@accumulate
def test_an_inner_node_used_several_times(student, rng, diagnose):
    """An inner node with several users passes its complete gradient down once."""
    check_spec(student, shared_inner_spec(rng), diagnose,
               "an inner node used several times should collect every contribution, then pass its grad down once")


@accumulate
def test_backward_twice_doubles_the_gradients(student, rng, diagnose):
    """Calling backward(a * b) or backward(a + b) twice without zero_grad doubles the children's grads."""
    x, y = distinct_pair(rng)
    for expr, want in [("a * b", [1.0, y, x]), ("a + b", [1.0, 1.0, 1.0])]:
        a, b = student.Value(x), student.Value(y)
        c = a * b if expr == "a * b" else a + b
        student.backward(c)
        first = student.define(read_grads)([c, a, b])
        student.backward(c)
        second = student.define(read_grads)([c, a, b])
        if gradients_close(first, want):
            if gradients_close(second, first):
                diagnose("second-call-not-doubled")
            elif gradients_close(second[1:], [3 * g for g in want[1:]]) or close(second[0], 2.0):
                diagnose("seed-added")
        assert gradients_close(first, want), f"the first backward({expr}) gives wrong gradients"
        assert close(second[0], 1.0), "backward sets root.grad = 1.0; it does not add 1 to the old value"
        assert gradients_close(second[1:], [2 * g for g in want[1:]]), \
            f"calling backward({expr}) twice without zero_grad should double the gradients of a and b"


@accumulate
def test_random_graph_with_shared_nodes(student, rng, diagnose):
    """A random graph with shared leaves and shared inner nodes gets every gradient right."""
    check_spec(student, random_spec(rng, 3, 12), diagnose,
               "some gradients in a graph with shared nodes are wrong")


# ------------------------------------------------------------ reverse topological order

@order_checkpoint
def test_uneven_paths_to_a_shared_node(student, rng, diagnose):
    """A node used by the root directly and again through a longer path waits for both before passing on."""
    for c_first in (True, False):
        check_spec(student, uneven_spec(rng, c_first), diagnose,
                   "a node must wait for every one of its users before passing its gradient on")


@order_checkpoint
def test_random_expressions_match_finite_differences(student, rng):
    """Random expressions with shared sub-expressions agree with finite differences."""
    for n_inputs, n_steps in ((2, 8), (3, 12)):
        source, xs = random_expression(rng, n_inputs, n_steps)
        leaves, out = expression_on_student(student, source, xs)
        student.backward(out)
        got = student.define(read_grads)(leaves)
        want = finite_differences(source, xs)
        assert isinstance(got, list) and all(is_number(g) for g in got), "every grad should be a number"
        assert all(abs(g - w) <= 1e-5 * (1 + abs(w)) for g, w in zip(got, want, strict=True)), \
            "the gradients of a random expression disagree with finite differences"


@order_checkpoint
def test_a_larger_random_graph(student, rng, diagnose):
    """Every node of a larger random graph with shared nodes gets the right gradient."""
    check_spec(student, random_spec(rng, 4, 30), diagnose,
               "some gradients in a larger graph are wrong: visit nodes in reverse topological order")


@order_checkpoint
def test_a_long_chain(student, rng, diagnose):
    """A chain of a few hundred operations: the gradient reaches the bottom leaf."""
    check_spec(student, chain_spec(rng, int(rng.integers(150, 250)), long=True), diagnose,
               "the gradient of a long chain does not reach the bottom correctly")


# ------------------------------------------------------------ Task B: zero_grad

def graph_with_sharing(student, rng):
    source = "lambda a, b, c: (a * b + c).exp() * a + (b * c).relu()"
    xs = [signed(rng, 0.3, 1.0) for _ in range(3)]
    leaves, out = expression_on_student(student, source, xs)
    return source, xs, leaves, out


def check_cleared(student, nodes, diagnose):
    """All nodes hold 0 after zero_grad; records which partial clearing it was otherwise."""
    got = student.define(read_grads)(nodes)
    cleared = [is_number(g) and g == 0 for g in got]
    if not all(cleared):
        leafy = student.define(are_leaves)(list(nodes))
        if sum(cleared) == 1:
            diagnose("zero-grad-one-node")
        elif cleared == leafy:
            diagnose("zero-grad-leaves-only")
    return all(cleared)


@zero_checkpoint
def test_zero_grad_clears_every_node_of_a_graph(student, rng, diagnose):
    """zero_grad(graph_nodes(root)) sets grad to 0.0 on every node, inner nodes and leaves alike."""
    _, _, _, out = graph_with_sharing(student, rng)
    nodes = student.graph_nodes(out)
    student.define(set_grads)(nodes, [signed(rng, 0.5, 3.0) for _ in nodes])
    student.zero_grad(nodes)
    assert check_cleared(student, nodes, diagnose), \
        "zero_grad should set grad = 0.0 on every node in the list, inner nodes and leaves alike"


@zero_checkpoint
def test_zero_grad_clears_a_list_of_parameters(student, rng, diagnose):
    """zero_grad(params) clears each Value in a plain list; an empty list is fine."""
    params = leaf_values(student, [signed(rng, 0.5, 3.0) for _ in range(int(rng.integers(4, 8)))])
    student.define(set_grads)(params, [signed(rng, 0.5, 3.0) for _ in params])
    student.zero_grad(params)
    assert check_cleared(student, params, diagnose), "zero_grad should clear the grad of every Value in the list"
    student.zero_grad([])


@zero_checkpoint
def test_zero_grad_then_backward_gives_fresh_gradients(student, rng, diagnose):
    """Old grads, zero_grad on every node, backward: the same gradients as backward on the fresh graph."""
    twin = copy.deepcopy(rng)  # the same graph again, untouched: a backward that keeps state on nodes is not
    _, _, _, out = graph_with_sharing(student, rng)  # zero_grad's mistake (accumulate catches it)
    _, _, _, fresh = graph_with_sharing(student, twin)
    nodes = student.graph_nodes(out)
    first = own_backward(student, fresh, student.graph_nodes(fresh))  # the student's own, judged on its checkpoints
    student.define(set_grads)(nodes, [signed(rng, 0.5, 3.0) for _ in nodes])
    student.zero_grad(nodes)
    assert check_cleared(student, nodes, diagnose), "zero_grad should set grad = 0.0 on every node in the list"
    if first is not None:  # backward runs on this graph: after zero_grad it must give what it gave at first
        assert gradients_close(own_backward(student, out, nodes), first), \
            "after zero_grad on every node, a new backward should give the same gradients as a first call"


@zero_checkpoint
def test_zero_grad_changes_only_grad(student, rng):
    """zero_grad leaves every node's data and children as they were."""
    _, xs, leaves, out = graph_with_sharing(student, rng)
    nodes = student.graph_nodes(out)
    before = student.define(read_data)(nodes), student.define(are_leaves)(nodes)
    student.define(set_grads)(nodes, [1.0 for _ in nodes])
    student.zero_grad(nodes)
    after = student.define(read_data)(nodes), student.define(are_leaves)(nodes)
    assert after == before, "zero_grad must change nothing but grad"
    assert gradients_close(student.define(read_data)(leaves), xs), "zero_grad must not change the data of the inputs"


# ------------------------------------------------------------ Task C: grad_of

def call_grad_of(student, diagnose, source, xs):
    """grad_of(f, xs) with f built in the student's process: (result, [exact gradient, the student's backward's])."""
    fn = student.evaluate(source)
    try:
        result = student.grad_of(fn, [float(x) for x in xs])
    except Exception as error:
        if re.search(GRAD_OF_WRONG_NAME, str(error)):
            diagnose("grad-of-wrong-name")
        elif "'float' object" in str(error) and backward_sound(student):  # not backward's own mistake
            diagnose("grad-of-floats")
        raise
    want = exact_gradient(source, xs)
    if not gradients_close(result, want, rel=1e-8) and backward_sound(student):
        if isinstance(result, list) and result and all(is_number(g) and g == 0 for g in result):
            diagnose("grad-of-no-backward")
        elif (not isinstance(result, list) or len(result) != len(want)
              or (all(is_number(g) for g in result) and gradients_close(sorted(result), sorted(want), rel=1e-8))):
            diagnose("grad-of-wrong-leaves")
    return result, [want, backward_gradient(student, source, xs)]


@grad_of_checkpoint
def test_grad_of_returns_a_list_of_floats(student, rng, diagnose):
    """grad_of(lambda a, b: a * b, [x, y]) returns the plain list [y, x]."""
    x, y = distinct_pair(rng)
    result, wants = call_grad_of(student, diagnose, "lambda a, b: a * b", [x, y])
    assert isinstance(result, list), "grad_of should return a list"
    assert len(result) == 2, "grad_of should return one gradient per input"
    assert all(isinstance(g, float) for g in result), "grad_of should return plain floats (the leaves' .grad)"
    assert gradients_close(result, *wants), "grad_of(lambda a, b: a * b, [x, y]) should be [y, x]"


@grad_of_checkpoint
def test_grad_of_one_gradient_per_input_in_order(student, rng, diagnose):
    """One gradient per input, in the order of xs, even for unused inputs, constants and f returning an input."""
    for source, n in [
        ("lambda a, b, c: a * 3 + b ** 2 - c", 3),
        ("lambda a, b: a", 2),
        ("lambda a, b, c: (c * a).exp() + 2", 3),
    ]:
        xs = [signed(rng, 0.5, 1.5) for _ in range(n)]
        result, wants = call_grad_of(student, diagnose, source, xs)
        assert isinstance(result, list) and len(result) == n, "grad_of should return one gradient per input"
        assert gradients_close(result, *wants), \
            "grad_of should return the gradient of each input in the order of xs (0.0 for an unused input)"


@grad_of_checkpoint
def test_grad_of_random_expressions(student, rng, diagnose):
    """grad_of gives the exact gradient of random expressions with shared sub-expressions."""
    for n_inputs, n_steps in ((2, 6), (4, 14)):
        source, xs = random_expression(rng, n_inputs, n_steps)
        result, wants = call_grad_of(student, diagnose, source, xs)
        assert gradients_close(result, *wants, rel=1e-8), "grad_of gives wrong gradients for a random expression"


@grad_of_checkpoint
def test_grad_of_inputs_used_several_times(student, rng, diagnose):
    """grad_of of x * x * x and (x * y) * (x * y) adds up every use of each input."""
    x, y = distinct_pair(rng)
    for source, xs in [("lambda x: x * x * x", [x]), ("lambda x, y: (x * y) * (x * y)", [x, y])]:
        result, wants = call_grad_of(student, diagnose, source, xs)
        assert gradients_close(result, *wants), "grad_of should add up the contributions of an input used several times"


@grad_of_checkpoint
def test_grad_of_is_fresh_on_every_call(student, rng, diagnose):
    """Calling grad_of again, at the same or another point, is not affected by earlier calls."""
    source = "lambda a, b: (a * b).exp() + a * a"
    xs = [signed(rng, 0.3, 1.2) for _ in range(2)]
    first, wants = call_grad_of(student, diagnose, source, xs)
    again, _ = call_grad_of(student, diagnose, source, xs)
    assert gradients_close(first, *wants) and gradients_close(again, first), \
        "two calls of grad_of at one point should agree"
    other = [signed(rng, 0.3, 1.2) for _ in range(2)]
    result, wants = call_grad_of(student, diagnose, source, other)
    assert gradients_close(result, *wants), "grad_of at a new point should not be affected by earlier calls"


# ------------------------------------------------------------ milestone

def readme_inputs(rng):
    """Starting values for a and b with f = e**2 away from zero and both relus away from their kink."""
    fn = trusted_function(README)
    while True:
        x, y = float(rng.uniform(-5, 5)), float(rng.uniform(-5, 5))
        if abs(x + y) < 0.05 or abs(y - x) < 0.05:
            continue
        try:
            g = fn(Dual(x), Dual(y)).val
        except ZeroDivisionError:
            continue
        if abs(g) < 1e4 and max(abs(d) for d in exact_gradient(README, [x, y])) < 1e6:
            return x, y


@milestone
def test_milestone_readme_gradients(student):
    """micrograd's README expression gives the milestone gradients a.grad and b.grad."""
    leaves, out = expression_on_student(student, README, [-4.0, 2.0])
    student.backward(out)
    assert gradients_close(student.define(read_grads)(leaves), exact_gradient(README, [-4.0, 2.0])), \
        "a.grad and b.grad for micrograd's README expression do not match the milestone"


@milestone
def test_milestone_expression_at_other_points(student, rng):
    """The same expression gets the right a.grad and b.grad for other starting values of a and b."""
    for _ in range(2):
        xs = readme_inputs(rng)
        leaves, out = expression_on_student(student, README, xs)
        student.backward(out)
        assert gradients_close(student.define(read_grads)(leaves), exact_gradient(README, list(xs)), rel=1e-8), \
            "a.grad and b.grad are wrong for other starting values of a and b"


# ------------------------------------------------------------ deep graphs (last: see the module docstring)

def deep_backward(student, root, diagnose):
    """backward on a deep graph; a RecursionError is recorded as a symptom."""
    try:
        student.backward(root)
    except Exception as error:
        if "RecursionError" in str(error):
            diagnose("recursion-too-deep")
        raise


@deep
def test_a_chain_5000_operations_deep(student, rng, diagnose):
    """A chain of 5,000 operations: backward finishes and the bottom leaf gets the product of the factors."""
    steps = [(float(rng.uniform(0.995, 1.005)), signed(rng, 0.001, 0.01)) for _ in range(DEPTH // 2)]
    x = student.Value(signed(rng, 0.5, 1.5))
    root = student.define(chain_of_steps)(x, steps)
    deep_backward(student, root, diagnose)
    assert close(x.grad, math.prod(m for m, _ in steps), rel=1e-8), \
        "the bottom leaf of a 5,000-operation chain gets the wrong gradient"


@deep
def test_a_sum_of_5000_values(student, rng, diagnose):
    """sum() of 5,000 Values (a chain of 5,000 add nodes): every term gets gradient 1."""
    xs = [float(rng.uniform(-1, 1)) for _ in range(DEPTH)]
    leaves, total = student.define(leaves_and_sum)(xs)
    deep_backward(student, total, diagnose)
    grads = student.define(read_grads)(leaves)
    assert gradients_close(grads, [1.0] * DEPTH), "every term of a sum of 5,000 Values should get gradient 1.0"


@deep
def test_a_deep_graph_with_shared_nodes(student, rng, diagnose):
    """v = v * k + v * m repeated 2,500 times (5,000 levels, v used twice per step): exact and fast."""
    steps = []
    for _ in range(DEPTH // 2):
        k = float(rng.uniform(0.3, 0.7))
        steps.append((k, 1.0 - k + float(rng.uniform(-0.004, 0.004))))
    x = student.Value(signed(rng, 0.5, 1.5))
    root = student.define(ladder_of_steps)(x, steps)
    deep_backward(student, root, diagnose)
    assert close(x.grad, math.prod(k + m for k, m in steps), rel=1e-8), \
        "the bottom leaf of a deep graph with shared nodes gets the wrong gradient"
