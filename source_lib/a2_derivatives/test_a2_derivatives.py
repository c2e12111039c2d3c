"""Hidden tests for a2_derivatives: local derivative rules, gradient checking, the chain rule.

These tests run on the trusted side. `student` calls into the student's
process and every number compared here comes back as plain data. Expected
values are computed here, in float64, from the exact derivatives (never by
the student's code). Each docstring is the feedback line a student reads when
the test fails; the assertion messages speak to the student and never
contain expected values or hidden inputs.
"""
import math

import pytest

from autograder.sandbox import StudentRaised
from autograder.suite.questions import test_checkpoint_question  # noqa: F401 (rubric.toml's questions)
from autograder.suite.trusted import (
    close,
    diagnose_only_fit,
    distinct_pair,
    exact_gradient,
    is_number,
    is_value,
    patterns_that_fit,
    signed,
)

atomic = pytest.mark.checkpoint("atomic_rules")
tools = pytest.mark.checkpoint("gradient_tools")
composed = pytest.mark.checkpoint("composed_rules")
in_value = pytest.mark.checkpoint("rules_in_value")
milestone = pytest.mark.checkpoint("milestone")

MAX_NODES = 500  # far more than any expression in this file builds


# ------------------------------------------------------------ trusted helpers


def exact(actual, expected):
    """Equal to the exact derivative to about 12 significant digits: what a correct formula gives."""
    return close(actual, expected, rel=1e-12, abs_tol=1e-14)


def entries(result, count, call, diagnose):
    """The checks every rule's result must pass: a tuple of `count` plain numbers."""
    if is_number(result):
        diagnose("rule-not-tuple")
    assert isinstance(result, tuple), \
        f"{call} should return a tuple with one entry per input, e.g. (value,) with a comma for one entry"
    assert len(result) == count, \
        f"{call} should return {count} entr{'y' if count == 1 else 'ies'}: one per Value input of the operation"
    assert all(is_number(v) for v in result), f"{call} should hold plain numbers (floats)"
    return result


def diagnose_one_of(diagnose, got, want, patterns):
    """Records the symptom of the one wrong pattern `got` matches; none when two fit (or the pattern is right)."""
    diagnose_only_fit(diagnose, patterns_that_fit(got, want, patterns, exact))


def real(compute):
    """compute() as a float, or None where it fails or is not a real number (a pattern that cannot apply)."""
    try:
        value = compute()
    except (ArithmeticError, ValueError):
        return None
    return float(value) if is_number(value) else None


def trusted_derivatives(student, root, inputs):
    """d(root)/d(input) for each input, by reverse accumulation over the local derivatives the graph recorded."""
    order, seen = [], set()
    stack = [(root, False)]
    links = {}
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if node in seen:
            continue
        seen.add(node)
        assert len(seen) <= MAX_NODES, "this expression built an unexpectedly large graph"
        kids, local = node._children, node._local_grads
        assert isinstance(kids, tuple) and isinstance(local, tuple), "a node's _children and _local_grads are tuples"
        assert all(is_number(g) for g in local), "every entry of _local_grads should be a plain number"
        assert len(kids) == len(local), "every node should record one local derivative per child"
        links[node] = (kids, local)
        stack.append((node, True))
        stack.extend((kid, False) for kid in kids)
    grads = {root: 1.0}
    for node in reversed(order):
        kids, local = links[node]
        for kid, g in zip(kids, local, strict=True):
            grads[kid] = grads.get(kid, 0.0) + g * grads.get(node, 0.0)
    return [grads.get(v, 0.0) for v in inputs]


# ------------------------------------------------------------ Task A: the six atomic rules

@atomic
def test_d_add_is_one_for_both_inputs(student, rng, diagnose):
    """d_add(a, b) is (1.0, 1.0): the sum moves exactly as much as either input."""
    for x, y in [(2.0, -3.0), (0.0, 0.0)] + [(signed(rng, 0.1, 9.0), signed(rng, 0.1, 9.0)) for _ in range(3)]:
        got = entries(student.d_add(x, y), 2, "d_add(a, b)", diagnose)
        assert exact(got[0], 1.0) and exact(got[1], 1.0), "d_add(a, b) should be 1 for both inputs"


@atomic
def test_d_mul_is_the_other_factor(student, rng, diagnose):
    """d_mul(a, b) is (b, a): each input's rate is the other factor."""
    for _ in range(4):
        x, y = distinct_pair(rng)
        got = entries(student.d_mul(x, y), 2, "d_mul(a, b)", diagnose)
        if exact(got[0], x) and exact(got[1], y):
            diagnose("mul-not-swapped")
        if exact(got[0], got[1]) and (exact(got[0], x) or exact(got[0], y)):
            diagnose("mul-same-factor")
        assert exact(got[0], y), "the first entry of d_mul(a, b), the rate for a, should be the other factor b"
        assert exact(got[1], x), "the second entry of d_mul(a, b), the rate for b, should be a"


def check_pow(student, diagnose, x, n):
    got = entries(student.d_pow(x, n), 1, "d_pow(a, n)", diagnose)[0]
    want = n * x ** (n - 1)
    diagnose_one_of(diagnose, got, want, [
        ("pow-forgets-n", real(lambda: x ** (n - 1))),
        ("pow-keeps-exponent", real(lambda: n * x ** n)),
        ("pow-exponent-reversed", real(lambda: n * x ** (1 - n))),
        *(("pow-mixes-a-and-n", real(mixed)) for mixed in (lambda: x * x ** (n - 1), lambda: n * n ** (n - 1),
                                                           lambda: n * x ** (x - 1))),
        # (n - 1) ** a for n = 1 or 2 is the constant 0 or 1, which other mistakes give too
        ("pow-mixes-a-and-n", real(lambda: n * (n - 1) ** x) if n not in (1, 2) else None),
    ])
    assert exact(got, want), "d_pow(a, n) should be the power rule n * a ** (n - 1)"


@atomic
def test_d_pow_integer_exponents(student, rng, diagnose):
    """d_pow(a, n) follows the power rule for integer exponents, positive and negative, and any a != 0."""
    for n in (3, 2, 4, -1, -2, int(rng.integers(5, 8))):  # 3 first: at n = 2 some mistakes give a constant
        check_pow(student, diagnose, signed(rng, 0.5, 3.0), n)


@atomic
def test_d_pow_fractional_and_special_exponents(student, rng, diagnose):
    """d_pow(a, n) follows the power rule for fractional exponents (a > 0) and for n = 0 and n = 1."""
    for n in (0.5, -0.5, float(rng.uniform(1.1, 2.9)), 0, 1):
        check_pow(student, diagnose, float(rng.uniform(0.5, 4.0)), n)


@atomic
def test_d_exp_is_exp(student, rng, diagnose):
    """d_exp(a) is (exp(a),): exp is its own derivative."""
    for x in [0.0, 1.0, -2.0, float(rng.uniform(-4.0, 4.0)), float(rng.uniform(-4.0, 4.0))]:
        got = entries(student.d_exp(x), 1, "d_exp(a)", diagnose)[0]
        if exact(got, x) and not exact(x, math.exp(x)):
            diagnose("exp-rule-is-input")
        assert exact(got, math.exp(x)), "d_exp(a) should be exp(a), to full float precision"


@atomic
def test_d_log_is_one_over_a(student, rng, diagnose):
    """d_log(a) is (1 / a,) for a > 0."""
    for x in [0.5, 4.0, float(rng.uniform(0.05, 1.0)), float(rng.uniform(2.0, 50.0))]:
        got = entries(student.d_log(x), 1, "d_log(a)", diagnose)[0]
        if exact(got, math.log(x)):
            diagnose("log-rule-is-log")
        elif exact(got, x) and not exact(x, 1.0 / x):
            diagnose("log-rule-is-input")
        assert exact(got, 1.0 / x), "d_log(a) should be the slope of the natural log, 1 / a"


@atomic
def test_d_relu_away_from_the_kink(student, rng, diagnose):
    """d_relu(a) is (1.0,) for a > 0 and (0.0,) for a < 0."""
    for x in [float(rng.uniform(0.1, 5.0)), float(rng.uniform(1.5, 5.0)), 1e-3]:
        got = entries(student.d_relu(x), 1, "d_relu(a)", diagnose)[0]
        if x != 1.0 and exact(got, x):
            diagnose("relu-rule-is-relu")
        assert exact(got, 1.0), "d_relu(a) should be 1.0 for positive a: the slope of the line out = a"
    for x in [-float(rng.uniform(0.1, 5.0)), -1e-3]:
        got = entries(student.d_relu(x), 1, "d_relu(a)", diagnose)[0]
        assert exact(got, 0.0), "d_relu(a) should be 0.0 for negative a: relu is flat there"


@atomic
def test_d_relu_at_the_kink_is_zero(student, diagnose):
    """d_relu(0.0) is (0.0,): at the kink we use 0.0, as micrograd and PyTorch do."""
    for x in (0.0, 0, -0.0):
        got = entries(student.d_relu(x), 1, "d_relu(0)", diagnose)[0]
        if not exact(got, 0.0):
            diagnose("relu-kink")
        assert exact(got, 0.0), "d_relu at exactly 0 should be 0.0 (1.0 only for a > 0)"


@atomic
def test_rules_return_tuples_of_numbers(student, rng, diagnose):
    """Every atomic rule returns a tuple of plain numbers, one per Value input."""
    x, y = float(rng.uniform(0.5, 3.0)), float(rng.uniform(0.5, 3.0))
    for name, args, call, count in [("d_add", (x, y), "d_add(a, b)", 2), ("d_mul", (x, y), "d_mul(a, b)", 2),
                                    ("d_pow", (x, 3), "d_pow(a, n)", 1), ("d_exp", (x,), "d_exp(a)", 1),
                                    ("d_log", (x,), "d_log(a)", 1), ("d_relu", (x,), "d_relu(a)", 1)]:
        entries(getattr(student, name)(*args), count, call, diagnose)


# ------------------------------------------------------------ Task B: numerical_derivative, relative_error
#
# Each function is sent as source text: the student's process evaluates it,
# and this module evaluates the same text, so both sides compute the same floats.

SMOOTH = [  # (source, exact derivative, sampler); |f''| >= 4 and |f| <= 10 where sampled
    ("lambda x: x ** 3 - 2 * x", lambda x: 3 * x ** 2 - 2, lambda rng: float(rng.uniform(1.0, 2.0))),
    ("lambda x: __import__('math').exp(2 * x)", lambda x: 2 * math.exp(2 * x),
     lambda rng: float(rng.uniform(0.0, 1.0))),
    ("lambda x: __import__('math').log(x)", lambda x: 1 / x, lambda rng: float(rng.uniform(0.2, 0.45))),
    ("lambda x: __import__('math').sin(3 * x)", lambda x: 3 * math.cos(3 * x),
     lambda rng: (math.pi / 2 + math.pi * int(rng.integers(-2, 3))) / 3 + float(rng.uniform(-0.15, 0.15))),
]


def mixed_up_differences(f, x, h):
    """The central difference with x and h in each other's place somewhere (f(x + x), f(h - x), / (2 * x), ...)."""
    found = []
    for right in (x + h, h + h, x + x):
        for left in (x - h, h - h, x - x, h - x):
            for step in (h, x):
                if (right, left, step) != (x + h, x - h, h):
                    found.append(real(lambda right=right, left=left, step=step: (f(right) - f(left)) / (2 * step)))
    return [value for value in found if value is not None]


def diagnose_difference(diagnose, f, x, h, got, exact_derivative):
    """Records which wrong difference formula a result matches, if any."""
    forward = (f(x + h) - f(x)) / h
    backward = (f(x) - f(x - h)) / h
    central = (f(x + h) - f(x - h)) / (2 * h)
    if close(got, forward) or close(got, backward):
        diagnose("one-sided-difference")
    elif close(got, 2 * central, rel=1e-6):
        diagnose("central-over-h")
    elif close(got, exact_derivative, rel=1e-7) and not close(central, exact_derivative, rel=1e-7):
        diagnose("numerical-ignores-h")
    elif close(got, 0.0) or close(got, (f(x + h) + f(x - h)) / (2 * h)):
        return  # one point twice, or + for -: mistakes no message names, which look like a mix-up when f is odd
    elif close(got, -central) and not close(central, 0.0, abs_tol=1e-9):
        diagnose("numerical-sign")
    elif central != 0 and close(got, 1 / central) and not close(central * central, 1.0):
        diagnose("numerical-upside-down")
    elif any(close(got, mixed) for mixed in mixed_up_differences(f, x, h) if not close(mixed, central)):
        diagnose("numerical-mixed-names")


MIXED_UP_PARAMETERS = ("'float' object is not callable", "'int' object is not callable", "'function' and ",
                       " and 'function'")


def numerical_derivative_of(student, diagnose, *args, **kwargs):
    """The student's numerical_derivative(*args, **kwargs); calling a number or adding a function is a mix-up of
    the parameters f, x and h."""
    try:
        return student.numerical_derivative(*args, **kwargs)
    except StudentRaised as error:
        if "TypeError" in str(error) and any(text in str(error) for text in MIXED_UP_PARAMETERS):
            diagnose("numerical-mixed-names")
        raise


@tools
def test_numerical_derivative_is_accurate_with_the_default_h(student, rng, diagnose):
    """numerical_derivative(f, x) with the default h is accurate to about 1e-7 on smooth curved functions."""
    for source, derivative, sample in SMOOTH:
        f = eval(source, {})
        x = sample(rng)
        got = numerical_derivative_of(student, diagnose, student.evaluate(source), x)
        assert is_number(got), "numerical_derivative should return a float"
        diagnose_difference(diagnose, f, x, 1e-6, got, derivative(x))
        assert abs(got - derivative(x)) < 1e-7, \
            "numerical_derivative is not accurate enough on a curved function: use a central difference"


@tools
def test_numerical_derivative_uses_the_h_it_is_given(student, rng, diagnose):
    """numerical_derivative(f, x, h) is the central difference with that h, passed by position or by name."""
    source = "lambda x: x ** 3 - 2 * x"
    f = eval(source, {})
    handle = student.evaluate(source)
    for h, by_name in [(0.1, True), (0.05, False), (float(rng.uniform(0.01, 0.2)), True)]:
        x = float(rng.uniform(-2.0, 2.0))
        got = (numerical_derivative_of(student, diagnose, handle, x, h=h) if by_name
               else numerical_derivative_of(student, diagnose, handle, x, h))
        assert is_number(got), "numerical_derivative should return a float"
        diagnose_difference(diagnose, f, x, h, got, 3 * x ** 2 - 2)
        assert close(got, (f(x + h) - f(x - h)) / (2 * h)), \
            "numerical_derivative(f, x, h) should be (f(x + h) - f(x - h)) / (2h) with the h it is given"


@tools
def test_numerical_derivative_on_a_notebook_function(student, rng, diagnose):
    """numerical_derivative works on a function defined in the notebook (cube, from the lesson)."""
    cube = student.cube
    for _ in range(2):
        x = float(rng.uniform(1.0, 2.0))
        got = numerical_derivative_of(student, diagnose, cube, x)
        assert is_number(got), "numerical_derivative should return a float"
        diagnose_difference(diagnose, lambda t: t ** 3, x, 1e-6, got, 3 * x ** 2)
        assert abs(got - 3 * x ** 2) < 1e-7, "numerical_derivative(cube, x) is not accurate enough"


@tools
def test_numerical_derivative_is_exact_for_a_parabola(student, rng, diagnose):
    """For a parabola a central difference is exact whatever h is (a one-sided one is off by h times the curvature)."""
    source = "lambda x: 2.5 * x * x - x"
    f = eval(source, {})
    handle = student.evaluate(source)
    for h in (0.5, 0.25):
        x = float(rng.uniform(-3.0, 3.0))
        got = numerical_derivative_of(student, diagnose, handle, x, h)
        assert is_number(got), "numerical_derivative should return a float"
        diagnose_difference(diagnose, f, x, h, got, 5 * x - 1)
        assert close(got, 5 * x - 1, rel=1e-9, abs_tol=1e-9), \
            "numerical_derivative of a parabola should be exact for any h: step to both sides of x"


def trusted_relative_error(a, b):
    return abs(a - b) / max(1e-12, abs(a) + abs(b))


def diagnose_relative_error(diagnose, a, b, got):
    """Records which wrong version of relative_error a result matches, if any."""
    want = trusted_relative_error(a, b)
    if got < 0:
        diagnose("relative-error-signed")
    elif want != 0 and close(got, 1 / want) and not close(want, 1.0):
        diagnose("relative-error-upside-down")


def diagnose_mixed_up_relative_error(diagnose, a, b, got):
    """Records a relative_error with a in the place of b or the reverse (|a - a|, |b| + |b|); for a random pair
    only, where no other mistake gives the same number."""
    mixed_up = [0.0, abs(a - b) / max(1e-12, 2 * abs(a)), abs(a - b) / max(1e-12, 2 * abs(b))]
    if any(close(got, value, rel=1e-12, abs_tol=1e-15) for value in mixed_up):
        diagnose("relative-error-mixed-names")


@tools
def test_relative_error_formula(student, rng, diagnose):
    """relative_error(a, b) is |a - b| / max(1e-12, |a| + |b|) for numbers of any sign and size."""
    pairs = [(3.0, 1.0), (1.0, 3.0), (-2.0, 2.0), (5.0, 5.0)]
    for _ in range(4):
        scale = 10.0 ** float(rng.uniform(-6, 6))
        pairs.append((signed(rng, 0.1, 10.0) * scale, signed(rng, 0.1, 10.0) * scale))
    for a, b in pairs:
        got = student.relative_error(a, b)
        assert is_number(got), "relative_error should return a float"
        diagnose_relative_error(diagnose, a, b, got)
        assert close(got, trusted_relative_error(a, b), rel=1e-12, abs_tol=1e-15), \
            "relative_error(a, b) should be |a - b| / max(1e-12, |a| + |b|)"


@tools
def test_relative_error_is_symmetric_and_scale_free(student, rng, diagnose):
    """relative_error does not depend on the order of its arguments or on a common scale, and is 0 for equals."""
    a, b = distinct_pair(rng)
    k = float(rng.uniform(10.0, 1000.0))
    ab, ba, scaled = student.relative_error(a, b), student.relative_error(b, a), student.relative_error(k * a, k * b)
    assert is_number(ab) and is_number(ba) and is_number(scaled), "relative_error should return a float"
    if ab < 0 or ba < 0:
        diagnose("relative-error-signed")
    diagnose_mixed_up_relative_error(diagnose, a, b, ab)
    diagnose_mixed_up_relative_error(diagnose, b, a, ba)
    assert close(ab, ba, rel=1e-12), "relative_error(a, b) and relative_error(b, a) should be equal"
    assert close(ab, scaled, rel=1e-9), "relative_error should not change when both numbers are scaled"
    same = student.relative_error(a, a)
    assert is_number(same) and same == 0.0, "relative_error of two equal numbers should be 0.0"


@tools
def test_relative_error_at_zero_and_tiny_numbers(student, rng, diagnose):
    """relative_error(0, 0) is 0.0, and tiny numbers are compared against the floor 1e-12."""
    tiny = float(rng.uniform(1e-15, 5e-13))
    # (0, 0) last: an upside-down formula fails there too, and the tiny pairs tell it from a missing guard
    for a, b in [(tiny, 0.0), (0.0, -tiny), (tiny, -tiny / 2), (0.0, 0.0)]:
        try:
            got = student.relative_error(a, b)
        except Exception as error:
            if "ZeroDivisionError" in str(error):
                diagnose("relative-error-no-guard")
            raise
        want = trusted_relative_error(a, b)
        if not is_number(got) or math.isnan(got) or (a != b and close(got, 1.0) and not close(want, 1.0)):
            diagnose("relative-error-no-guard")
        assert is_number(got) and not math.isnan(got), "relative_error should return a float for zero inputs too"
        assert close(got, want, rel=1e-12, abs_tol=1e-15), \
            "for tiny numbers relative_error divides by max(1e-12, |a| + |b|)"


# ------------------------------------------------------------ Task C: composed rules

def diagnose_numerical(diagnose, got, want):
    if close(got, want, rel=1e-5, abs_tol=1e-9) and not exact(got, want):
        diagnose("composed-rule-numerical")


@composed
def test_d_sub(student, rng, diagnose):
    """d_sub(a, b) is (1.0, -1.0) for any a and b."""
    for x, y in [(5.0, 2.0)] + [distinct_pair(rng) for _ in range(3)]:
        got = entries(student.d_sub(x, y), 2, "d_sub(a, b)", diagnose)
        if exact(got[1], 1.0):
            diagnose("sub-sign")
        diagnose_numerical(diagnose, got[0], 1.0)
        diagnose_numerical(diagnose, got[1], -1.0)
        assert exact(got[0], 1.0), "the first entry of d_sub(a, b) should be 1: a - b moves with a"
        assert exact(got[1], -1.0), "the second entry of d_sub(a, b) should be -1: a - b moves against b"


@composed
def test_d_div_first_entry(student, rng, diagnose):
    """The first entry of d_div(a, b) is 1 / b."""
    for _ in range(4):
        x, y = distinct_pair(rng)
        got = entries(student.d_div(x, y), 2, "d_div(a, b)", diagnose)
        diagnose_one_of(diagnose, got[0], 1 / y, [("div-upside-down", y), ("div-mixes-a-and-b", 1 / x)])
        diagnose_numerical(diagnose, got[0], 1 / y)
        assert exact(got[0], 1 / y), "the first entry of d_div(a, b) should be the rate for a, 1 / b"


@composed
def test_d_div_second_entry(student, rng, diagnose):
    """The second entry of d_div(a, b) is -a / b ** 2 (the chain rule through mul and pow by -1)."""
    for _ in range(5):
        x, y = distinct_pair(rng)
        got = entries(student.d_div(x, y), 2, "d_div(a, b)", diagnose)
        want = -x / y ** 2
        diagnose_one_of(diagnose, got[1], want, [
            ("div-sign", -want),
            *(("div-power-rule", value) for value in (-x / y, -1 / y ** 2, x / y, 1 / y ** 2, -x / 2 ** y)),
            ("div-upside-down", y ** 2 / -x),
            *(("div-mixes-a-and-b", value) for value in (-1 / y, -1 / x)),
        ])
        diagnose_numerical(diagnose, got[1], want)
        assert exact(got[1], want), "the second entry of d_div(a, b), the rate for b, is wrong: check sign and power"


def check_tanh(student, diagnose, x):
    got = entries(student.d_tanh(x), 1, "d_tanh(a)", diagnose)[0]
    want = 1 - math.tanh(x) ** 2
    diagnose_one_of(diagnose, got, want, [("tanh-rule-on-input", 1 - x ** 2), ("tanh-sign", -want),
                                          ("tanh-square", 1 - 2 ** math.tanh(x))])
    diagnose_numerical(diagnose, got, want)
    assert exact(got, want), "d_tanh(a) is not the exact derivative of tanh at a"


@composed
def test_d_tanh_random_inputs(student, rng, diagnose):
    """d_tanh(a) is the exact derivative of tanh, at random inputs of both signs."""
    for _ in range(5):
        check_tanh(student, diagnose, signed(rng, 0.05, 3.0))


@composed
def test_d_tanh_at_zero_and_far_out(student, rng, diagnose):
    """d_tanh(a) is 1 at 0, the same at a and -a, and small but exact far from 0."""
    far = float(rng.uniform(3.0, 4.0))
    for x in (0.0, far, -far):
        check_tanh(student, diagnose, x)


@composed
def test_composed_rules_return_tuples(student, rng, diagnose):
    """d_sub and d_div return two-entry tuples, d_tanh a one-entry tuple, of plain numbers."""
    x, y = distinct_pair(rng)
    entries(student.d_sub(x, y), 2, "d_sub(a, b)", diagnose)
    entries(student.d_div(x, y), 2, "d_div(a, b)", diagnose)
    entries(student.d_tanh(x), 1, "d_tanh(a)", diagnose)


# ------------------------------------------------------------ Task D: the rules inside Value

def local_grads_of(student, node, expr, count, diagnose):
    assert is_value(student, node), f"{expr} should build a Value node (did a rule fail?)"
    got = node._local_grads
    kids = node._children
    if isinstance(got, tuple) and isinstance(kids, tuple) and len(got) != len(kids):
        diagnose("pow-exponent-entry" if node._op == "pow" and len(got) == 2 else "entries-per-child")
    assert isinstance(got, tuple) and len(got) == count, \
        f"{expr} should record {count} local derivative{'' if count == 1 else 's'}, one per child"
    assert all(is_number(g) for g in got), f"the local derivatives of {expr} should be plain numbers"
    return got


@in_value
def test_add_and_mul_nodes_record_your_rules(student, rng, diagnose):
    """a + b, a * b, a * a and a * number record their exact local derivatives, one per child, in order."""
    x, y = distinct_pair(rng)
    k = float(rng.uniform(2.0, 9.0))
    a, b = student.Value(x), student.Value(y)
    for expr, node, want in [("a + b", a + b, (1.0, 1.0)), ("a * b", a * b, (y, x)), ("b * a", b * a, (x, y)),
                             ("a * a", a * a, (x, x)), ("a + number", a + k, (1.0, 1.0)),
                             ("a * number", a * k, (k, x))]:
        got = local_grads_of(student, node, expr, 2, diagnose)
        assert exact(got[0], want[0]) and exact(got[1], want[1]), \
            f"{expr} recorded the wrong local derivatives (they come from your rule, in the order of _children)"


@in_value
def test_pow_nodes_record_the_power_rule(student, rng, diagnose):
    """a ** n records one local derivative, n * a ** (n - 1), for integer and fractional n."""
    for n in (2, 3, -1, 0.5, float(rng.uniform(1.1, 2.9))):
        x = float(rng.uniform(0.5, 3.0))
        got = local_grads_of(student, student.Value(x) ** n, "a ** n", 1, diagnose)
        assert exact(got[0], n * x ** (n - 1)), "a ** n recorded the wrong local derivative"


@in_value
def test_exp_log_relu_nodes_record_your_rules(student, rng, diagnose):
    """a.exp(), a.log() and a.relu() record their exact local derivative (relu on both sides of 0 and at 0)."""
    x = float(rng.uniform(0.2, 3.0))
    a = student.Value(x)
    cases = [("a.exp()", a.exp(), math.exp(x)), ("a.log()", a.log(), 1 / x), ("a.relu()", a.relu(), 1.0),
             ("(-a).relu()", (-a).relu(), 0.0), ("Value(0).relu()", student.Value(0.0).relu(), 0.0)]
    for expr, node, want in cases:
        got = local_grads_of(student, node, expr, 1, diagnose)
        assert exact(got[0], want), f"{expr} recorded the wrong local derivative"


@in_value
def test_every_node_has_one_local_derivative_per_child(student, rng, diagnose):
    """Every kind of node records exactly one local derivative per child."""
    x = float(rng.uniform(0.5, 3.0))
    a, b = student.Value(x), student.Value(-x)
    for expr, node in [("a + b", a + b), ("a * b", a * b), ("a ** 3", a ** 3), ("a ** 0.5", a ** 0.5),
                       ("a.exp()", a.exp()), ("a.log()", a.log()), ("b.relu()", b.relu())]:
        assert is_value(student, node), f"{expr} should build a Value node (did a rule fail?)"
        kids, got = node._children, node._local_grads
        if len(got) != len(kids):
            diagnose("pow-exponent-entry" if node._op == "pow" and len(got) == 2 else "entries-per-child")
        assert len(got) == len(kids), f"{expr} should record one local derivative per child"


CHAINED = [  # composed expressions of the provided Value, in two inputs
    ("a - b", "lambda a, b: a - b"),
    ("number - a", "lambda a, b: 2.5 - a"),
    ("-a", "lambda a, b: -a"),
    ("a / b", "lambda a, b: a / b"),
    ("a / number", "lambda a, b: a / 4.0"),
    ("number / a", "lambda a, b: 3.0 / a"),
]


def check_chained(student, rng, diagnose, label, source, x, y):
    a, b = student.Value(x), student.Value(y)
    root = student.evaluate(source)(a, b)
    assert is_value(student, root), f"{label} should build a Value node (did a rule fail?)"
    got = trusted_derivatives(student, root, [a, b])
    want = exact_gradient(source, [x, y])
    for g, w in zip(got, want, strict=True):
        assert close(g, w, rel=1e-10, abs_tol=1e-12), \
            f"the local derivatives recorded in the graph of {label} do not chain to its derivative"


@in_value
def test_sub_and_neg_chain_through_the_graph(student, rng, diagnose):
    """In the graphs of a - b, number - a and -a, the recorded local derivatives chain to the right derivatives."""
    x, y = distinct_pair(rng)
    for label, source in CHAINED[:3]:
        check_chained(student, rng, diagnose, label, source, x, y)


@in_value
def test_div_chains_through_the_graph(student, rng, diagnose):
    """In the graphs of a / b, a / number and number / a, the recorded local derivatives chain correctly."""
    x, y = distinct_pair(rng)
    for label, source in CHAINED[3:]:
        check_chained(student, rng, diagnose, label, source, x, y)


@in_value
def test_tanh_and_a_neuron_chain_through_the_graph(student, rng, diagnose):
    """tanh built from atoms, and a small neuron, get their exact derivatives from the recorded local derivatives."""
    tanh = "lambda a, b: ((2 * a).exp() - 1) / ((2 * a).exp() + 1)"
    neuron = "lambda a, b: (a * b + 0.5).relu() + (a * a + 1).log() * b ** 2 - (b / a).exp()"
    check_chained(student, rng, diagnose, "tanh(a) built from atoms", tanh, signed(rng, 0.1, 2.5), 1.0)
    x = float(rng.uniform(0.5, 2.0))
    check_chained(student, rng, diagnose, "a small neuron", neuron, x, float(rng.uniform(0.5, 2.0)))


# ------------------------------------------------------------ milestone

def sigmoid(x):
    return 1 / (1 + math.exp(-x))


def softplus_chain(student, x):
    v = student.Value(x)
    y = (1 + v.exp()).log()
    assert is_value(student, y), "softplus built with Value should give a Value node"
    return y, v


@milestone
def test_milestone_softplus_chain_gives_sigmoid(student, rng):
    """The local derivatives along softplus's graph (exp, add, log) multiply to sigmoid(x)."""
    for x in [0.0, float(rng.uniform(-4.0, -0.5)), float(rng.uniform(0.5, 4.0))]:
        y, v = softplus_chain(student, x)
        assert close(y.data, math.log(1 + math.exp(x))), "the forward value of softplus is wrong"
        (chained,) = trusted_derivatives(student, y, [v])
        assert close(chained, sigmoid(x), rel=1e-12, abs_tol=1e-14), \
            "the product of the local derivatives along softplus's chain should be sigmoid(x)"


@milestone
def test_milestone_gradient_check_of_softplus(student, rng):
    """Your central difference of the notebook's softplus agrees with the chain rule, by your relative_error."""
    for x in [float(rng.uniform(-3.0, 3.0)) for _ in range(2)]:
        numeric = student.numerical_derivative(student.softplus, x)
        assert is_number(numeric), "numerical_derivative should return a float"
        assert close(numeric, sigmoid(x), rel=1e-7), \
            "numerical_derivative(softplus, x) should agree with the chain rule to about 7 digits"
        y, v = softplus_chain(student, x)
        (chained,) = trusted_derivatives(student, y, [v])
        error = student.relative_error(chained, numeric)
        assert is_number(error), "relative_error should return a float"
        assert close(error, trusted_relative_error(chained, numeric), rel=1e-9, abs_tol=1e-15) and error < 1e-7, \
            "relative_error between the chain rule and the central difference should be below 1e-7"
