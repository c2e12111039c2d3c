# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # A2 · Derivatives: local sensitivity rules
#
# In A1 every number learned to remember **how it was made**. In this
# assignment every node also learns **how it reacts**: if one of its inputs
# moves a little, how much does the node move? That number is a *local
# derivative*, and it is the raw material of all learning in a GPT.
#
# By the end of this notebook you will have
#
# - one **local derivative rule** for each of the six atomic operations
#   (`d_add`, `d_mul`, `d_pow`, `d_exp`, `d_log`, `d_relu`), recorded by
#   `Value` on every node it builds;
# - two **gradient-checking tools**: `numerical_derivative` (a central
#   difference) and `relative_error`, to test any derivative against the
#   function itself;
# - the rules of three **composed** operations (`d_sub`, `d_div`,
#   `d_tanh`), worked out by hand with the **chain rule**;
# - and, as the milestone, the derivative of a small function obtained by
#   multiplying local derivatives along its graph: the idea that A3 turns
#   into backpropagation.
#
# ### How this notebook works
#
# - Cells that contain `# YOUR CODE HERE` are yours: replace the
#   `raise NotImplementedError()` line with your code. Leave every other cell
#   as it is.
# - After each task, a **checks** cell runs a few visible checks. Passing
#   them means you are on the right track, not that you are done: when you
#   submit, the grader runs hidden tests on inputs drawn fresh for every
#   submission, and compares your rules with the exact derivatives to about
#   12 significant digits.
# - Some lesson cells use your rules (for example to print a graph with its
#   local derivatives). Until you have written the rules they stop with
#   `NotImplementedError`; that is expected. Run them again once your code is in.
# - Along the way come **tiny checkpoints**: three are graded automatically
#   (you set a variable such as `ANSWER_Q1`), five are short written answers
#   graded by hand.
# - The whole notebook runs in a second or two. Run it top to bottom
#   (*Kernel → Restart & Run All*) before you submit.
#
# | Part | Points |
# |---|---|
# | Task A: the six atomic rules | 24 |
# | Task B: `numerical_derivative` and `relative_error` | 14 |
# | Task C: composed rules by hand (`d_sub`, `d_div`, `d_tanh`) | 15 |
# | Task D: your rules inside `Value` | 10 |
# | Milestone: softplus by the chain rule | 7 |
# | Q1–Q3 (auto-graded) | 15 |
# | SA1–SA5 (short answers, graded by hand) | 15 |
# | **Total** | **100** |

# %% [markdown]
# ## 1. A derivative is a sensitivity
#
# In A1's tiny model we nudged one parameter by 0.1 and watched the loss go
# down. Training a GPT needs that answer for every one of its 4,192
# parameters, at every step: *if I move this number a little, how much does
# the loss move, and in which direction?*
#
# For a function of one number, `f(x)`, the answer is the **derivative**
# `f'(x)`: the exchange rate between a small change of the input and the
# change of the output,
#
# $$f(x + \varepsilon) \approx f(x) + f'(x)\,\varepsilon \qquad \text{for small } \varepsilon .$$
#
# You can watch it appear: nudge the input of `f(x) = x²` at `x = 3` by ever
# smaller amounts and divide the change of the output by the nudge.

# %%
import math


def nudge_ratio(f, x, eps):
    """How much f moves per unit of nudge, when its input x moves by eps."""
    return (f(x + eps) - f(x)) / eps


def square(x):
    return x * x


for eps in [0.1, 0.01, 0.001, 0.0001]:
    print(f"eps = {eps:<7}   (f(3 + eps) - f(3)) / eps = {nudge_ratio(square, 3.0, eps):.6f}")

# %% [markdown]
# The ratio settles at **6 = 2 · 3**: near `x = 3`, `x²` moves six times as
# much as its input. The leftover (`6.1`, `6.01`, ...) is the curvature of
# the parabola; it shrinks with the nudge. We will meet it again in Task B.
#
# ### Several inputs: one partial derivative each
#
# A node such as `a * b` has two inputs. Its sensitivity to each input is a
# **partial derivative**: nudge that input, hold the other still. With
# `a = 2` and `b = 5`:

# %%
def times(a, b):
    return a * b


a0, b0, eps = 2.0, 5.0, 1e-3
print("nudge a:", round((times(a0 + eps, b0) - times(a0, b0)) / eps, 6), "  (which number is that?)")
print("nudge b:", round((times(a0, b0 + eps) - times(a0, b0)) / eps, 6))

# %% [markdown]
# Nudging `a` moves the product at the rate `b = 5`, and nudging `b` moves it
# at the rate `a = 2`. Each partial derivative is **one number**, and it
# depends on where we are (the values of `a` and `b`).
#
# ### Local rules, chained
#
# A GPT's loss is a graph of tens of thousands of atomic operations. Nobody
# differentiates that formula as a whole. Instead:
#
# 1. each **kind** of node gets a **local rule**: how its output moves with
#    each of its own inputs, at the numbers it saw (Task A: six rules, one
#    per atomic operation);
# 2. the **chain rule** combines local derivatives along the graph: exchange
#    rates multiply along a path (Task C, the milestone, and all of A3).
#
# Local rules are easy to get subtly wrong, so before trusting them we build
# a way to **check** any derivative against the function itself (Task B).

# %% [markdown]
# ## 2. The `Value` from A1, now with a slot for your rules
#
# Below is A1's `Value` (the reference solution), with **one change**: each
# atomic operation now fills the third constructor argument, `local_grads`,
# by calling your rule on the input numbers. For example `__mul__` now ends
# with
#
# ```python
# return Value(self.data * other.data, (self, other), d_mul(self.data, other.data), 'mul')
# ```
#
# so `node._local_grads[i]` is **d(node) / d(child i)**, one number per
# child, in the order of `_children`, computed when the node is built.
# The rules receive plain floats (`.data`), never Values, and the name
# `d_mul` is looked up each time the operation runs: the rule you write
# in Task A is the one every node uses, so you will see each rule at work.
#
# The composed operations (`-`, `/`, the reflected forms, ...) are exactly
# A1's; `graph_nodes` and `topological_order` give A1's results but keep
# their own stack instead of recursing (A3 explains why). Read the cell, run
# it, and leave it as it is.

# %%
from provided.values import Value, graph_nodes, topological_order  # noqa: E402, F401 (provided for your use)


def show(root):
    """Print the graph below root as an indented tree, with the local derivative on every edge.

    Each node is named (n0, n1, ...) the first time it is printed. Next to a
    child, [d n1 / d n2 = 3] is its parent's local derivative with respect
    to that child: the number your rule recorded.
    """
    names = {}

    def line(node, depth, edge):
        name = names.setdefault(node, f"n{len(names)}")
        print(f"{'    ' * depth}{name}: {node._op or 'leaf':<4}  data={node.data:<10.6g}{edge}")
        for i, kid in enumerate(node._children):
            kid_name = names.get(kid, f"n{len(names)}")
            local = node._local_grads[i] if i < len(node._local_grads) else None
            local = "missing" if local is None else f"{local:.6g}"
            line(kid, depth + 1, f"  [d {name} / d {kid_name} = {local}]")

    line(root, 0, "")

# %% [markdown]
# What a node with local derivatives looks like can be seen right away by
# building one by hand with the constructor (no rule needed): a mul node for
# `x * y` at `x = 2`, `y = 3`, whose local derivatives are `(3.0, 2.0)`, the
# numbers you measured in section 1.

# %%
x = Value(2.0)
y = Value(3.0)
p = Value(6.0, (x, y), (3.0, 2.0), 'mul')   # what x * y will build once d_mul is written
show(p)

# %% [markdown]
# ## 3. Task A: the six atomic rules (24 points)
#
# Each rule takes the **input numbers** of its operation (plain floats) and
# returns a **tuple** with one partial derivative per Value input, in order.
# For each rule, the nudge argument of section 1 gives the answer; do it on
# paper before you write code.
#
# **add**, `out = a + b`. Nudge `a` by ε: `(a + ε) + b = out + ε`. The sum
# moves exactly as much as either input.
#
# **mul**, `out = a · b`. Nudge `a` by ε: `(a + ε) · b = out + ε · b`. So the
# sensitivity to `a` is **the other factor**, `b`, and the sensitivity to
# `b` is `a`. Careful with the order of the tuple.
#
# **pow by a constant**, `out = aⁿ` (`n` a plain number, not a Value, so one
# entry only, for `a`). For `n = 2`: `(a + ε)² = a² + 2aε + ε²`, so the rate
# is `2a`; in general the **power rule** gives `n · aⁿ⁻¹`. It covers negative
# and fractional exponents too: `n = -1` gives `-1/a²`, `n = 0.5` gives
# `0.5 / √a`, and `n = 0` gives 0 (a constant does not move). Notice both
# parts: the factor `n` in front, and the exponent lowered by one.
#
# **exp**, `out = eᵃ`. `e^(a + ε) = eᵃ · e^ε ≈ eᵃ · (1 + ε) = out + eᵃ · ε`.
# exp is its own derivative: the rate is `eᵃ` (use `math.exp`), **not** `a`.
#
# **log** (natural), `out = ln a`, for `a > 0`. log undoes exp: if
# `out = ln a`, then `a = e^out`, and `a` moves `e^out = a` times as fast as
# `out`. Turned around, `out` moves `1/a` times as fast as `a`. The rate is
# `1/a`, not `ln a`: large inputs barely move the log.
#
# **relu**, `out = a` if `a > 0`, else `0`. To the right of zero the graph is
# the line `out = a` (slope 1); to the left it is flat (slope 0). At exactly
# `a = 0` there is a kink and no single slope. We follow micrograd and
# PyTorch and use **0.0 at the kink**: the rule is 1.0 only for `a > 0`.
#
# Write each rule as one short `return` of a tuple. A one-entry tuple needs
# a trailing comma: `(value,)`. A bare number, or `(value)` without the
# comma, is not a tuple, and `Value` could not store it.

# %% tags=["solution"]
def d_add(a, b):
    """Local derivatives of a + b at the floats a, b: (d/da, d/db)."""
    ### BEGIN SOLUTION
    return (1.0, 1.0)
    ### END SOLUTION


def d_mul(a, b):
    """Local derivatives of a * b at the floats a, b: (d/da, d/db)."""
    ### BEGIN SOLUTION
    return (b, a)
    ### END SOLUTION


def d_pow(a, n):
    """Local derivative of a ** n with respect to a (n is a constant number): a one-entry tuple."""
    ### BEGIN SOLUTION
    return (n * a ** (n - 1),)
    ### END SOLUTION


def d_exp(a):
    """Local derivative of exp(a) at the float a: a one-entry tuple."""
    ### BEGIN SOLUTION
    return (math.exp(a),)
    ### END SOLUTION


def d_log(a):
    """Local derivative of the natural log at the float a > 0: a one-entry tuple."""
    ### BEGIN SOLUTION
    return (1.0 / a,)
    ### END SOLUTION


def d_relu(a):
    """Local derivative of relu at the float a (0.0 at the kink a == 0): a one-entry tuple."""
    ### BEGIN SOLUTION
    return (1.0 if a > 0 else 0.0,)
    ### END SOLUTION

# %% [markdown]
# ### Check Task A

# %% tags=["checks:atomic_rules"]
def _exact(got, want):
    """Equal to about 12 significant digits (the precision the grader expects of an exact rule)."""
    return isinstance(got, (int, float)) and math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-14)


for name, rule, args, entries in [("d_add", d_add, (2.0, -3.0), 2), ("d_mul", d_mul, (2.0, -3.0), 2),
                                  ("d_pow", d_pow, (2.0, 3), 1), ("d_exp", d_exp, (1.0,), 1),
                                  ("d_log", d_log, (4.0,), 1), ("d_relu", d_relu, (2.5,), 1)]:
    result = rule(*args)
    assert isinstance(result, tuple), f"{name} should return a tuple, e.g. (value,) with a comma for one entry"
    assert len(result) == entries, f"{name} should return {entries} entr{'y' if entries == 1 else 'ies'}: " \
                                   "one per Value input of the operation"

assert d_add(2.0, -3.0) == (1.0, 1.0), "d_add: the sum moves exactly as much as either input"
assert d_mul(2.0, -3.0) == (-3.0, 2.0), "d_mul: the sensitivity to a is the other factor, b (and to b it is a)"
assert _exact(d_pow(3.0, 2)[0], 6.0), "d_pow(3, 2): the power rule n * a ** (n - 1) gives 6"
assert _exact(d_pow(2.0, 3)[0], 12.0), "d_pow(2, 3) should be 12: keep the factor n in front"
assert _exact(d_pow(2.0, -1)[0], -0.25), "d_pow(2, -1) should be -1/4 (negative exponents work the same way)"
assert _exact(d_pow(4.0, 0.5)[0], 0.25), "d_pow(4, 0.5) should be 0.5 / sqrt(4) = 0.25"
assert _exact(d_pow(7.0, 0)[0], 0.0), "d_pow(a, 0) is 0: a ** 0 is the constant 1"
assert _exact(d_exp(1.0)[0], 2.718281828459045), "d_exp(1.0) should be e: exp is its own derivative"
assert _exact(d_exp(-0.5)[0], 0.6065306597126334), "d_exp(a) should be math.exp(a), not a"
assert _exact(d_log(4.0)[0], 0.25), "d_log(4.0) should be 1/4: the slope of ln a is 1/a"
assert _exact(d_log(0.5)[0], 2.0), "d_log(0.5) should be 2.0: the slope of ln a is 1/a, not ln a"
assert d_relu(2.5) == (1.0,), "d_relu of a positive number should be (1.0,)"
assert d_relu(-1.0) == (0.0,), "d_relu of a negative number should be (0.0,)"
assert d_relu(0.0) == (0.0,), "d_relu(0.0) should be (0.0,): at the kink we use 0.0"
print("atomic_rules checks passed")

# %% [markdown]
# ### See your rules at work
#
# Now that the rules exist, every operation records its local derivatives.
# Here is `x * y + y.exp()` at `x = 2`, `y = -1`: check each bracket against
# the rule for its parent's kind. Notice that `y` is used twice, once by the
# mul node and once by the exp node, each with its own local derivative.

# %% tags=["heavy"]
x = Value(2.0)
y = Value(-1.0)
z = x * y + y.exp()
show(z)

# %% [markdown]
# **SA1 (short answer, 3 points).** `d_mul(a, b)` returns `(b, a)`. Explain
# with a nudge why the sensitivity of `a * b` to `a` is `b` (and not `a`).
# Then think of a GPT weight `w` in a product `w * x`, where `x` is an input
# number: what decides how strongly this product reacts to a change of `w`,
# and what happens when `x` is 0?

# %% [markdown] tags=["manual:sa1"]
# ### BEGIN SOLUTION
# If `a` is nudged by ε, the product becomes `(a + ε) · b = a·b + ε·b`: it
# moves by ε times `b`. The factor that is *not* nudged sets the exchange
# rate, so d(ab)/da = b, and by symmetry d(ab)/db = a. For a weight in
# `w * x`, the local derivative with respect to `w` is the input `x`: the
# larger the input flowing through the weight, the more a change of `w`
# changes the product (and, further up, the loss), so the larger its
# gradient. When `x = 0` the product does not depend on `w` at all for
# this example: the local derivative is 0 and this example gives `w` no
# gradient, no matter what the rest of the network does.
# ### END SOLUTION

# %% [markdown]
# **SA2 (short answer, 3 points).** relu has no derivative at exactly 0.
# Explain why, what our choice `d_relu(0.0) == (0.0,)` means, and why the
# choice hardly matters in practice. What would a central difference
# `(f(h) - f(-h)) / (2h)` give for relu at 0, and why is that a reason to
# test derivatives away from the kink?

# %% [markdown] tags=["manual:sa2"]
# ### BEGIN SOLUTION
# Left of 0 relu is flat (slope 0), right of 0 it is the line `a` (slope 1):
# the two one-sided slopes disagree, so there is no single tangent and the
# derivative does not exist at 0. Any number between 0 and 1 is a
# reasonable "slope" there (a subgradient); we pick 0.0, as micrograd and
# PyTorch do, which means "an input sitting exactly on the kink passes no
# gradient". It hardly matters because an input that is exactly 0.0 is
# rare with real-valued parameters and data, and one example's contribution
# to one step is tiny anyway. A central difference at 0 gives
# (h - 0) / (2h) = 0.5, the average of the two slopes, which agrees with
# neither convention; near the kink (|a| < h) it also mixes the two sides.
# So a numerical check of relu is only meaningful away from the kink.
# ### END SOLUTION

# %% [markdown]
# ## 4. Task B: checking derivatives numerically (14 points)
#
# A rule is easy to get subtly wrong (a missing factor, a wrong sign, the
# input where the output belongs). Fortunately every derivative can be
# **checked** against the function itself, with no calculus: nudge and
# measure, as in section 1. That is called *gradient checking*, and you will
# use it in every later assignment.
#
# ### Forward differences have an O(h) error
#
# `nudge_ratio(f, x, h) = (f(x + h) - f(x)) / h` from section 1 is the
# *forward difference*. How wrong is it? Taylor's formula says
#
# $$f(x + h) = f(x) + h f'(x) + \tfrac{h^2}{2} f''(x) + \tfrac{h^3}{6} f'''(x) + \dots$$
#
# so the forward difference equals `f'(x) + (h/2)·f''(x) + ...`: its error
# is about `h · f''(x) / 2`, **proportional to h**. Make `h` ten times
# smaller and the error shrinks only ten times. Here it is for `f(x) = x³`
# at `x = 1.5` (exact derivative `3 · 1.5² = 6.75`, and `f'' = 9` there, so
# the error should be about `4.5 · h`):

# %%
def cube(x):
    return x ** 3


for h in [1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6]:
    error = nudge_ratio(cube, 1.5, h) - 6.75
    print(f"h = {h:7.0e}   forward difference error = {error:+.3e}   error / h = {error / h:.4f}")

# %% [markdown]
# ### Central differences have an O(h²) error
#
# Step to **both** sides and take the slope of the line through the two
# points:
#
# $$\frac{f(x + h) - f(x - h)}{2h} = f'(x) + \tfrac{h^2}{6} f'''(x) + \dots$$
#
# Write the Taylor series of `f(x - h)` (the same as above with `-h`) and
# subtract: `f(x)` cancels, the `h f'` terms add up, and the `h²/2 · f''`
# terms **cancel** because they have the same sign on both sides. What is left
# of the error is proportional to **h²**: ten times smaller `h`, a hundred
# times smaller error. This costs the same two evaluations of `f`.
#
# ### But h cannot be tiny
#
# Floats carry about 16 significant digits. `f(x + h) - f(x - h)` subtracts
# two nearly equal numbers, and each of them is already off by a rounding
# error of about `1e-16 · |f(x)|`. Dividing by `2h` magnifies that error
# by `1/(2h)`: with `h = 1e-12` the rounding part of the error is around
# `1e-4`, far worse than with `h = 1e-6`. The best `h` balances the two
# errors; for central differences on numbers of size about 1, `h` around
# 1e-5 to 1e-6 is a good choice, and `1e-6` is our default.
#
# ### Comparing two numbers: relative error
#
# Is a difference of `0.001` between two derivatives large? For derivatives
# of size 1000 it is excellent agreement; for derivatives of size 0.001 it
# is complete disagreement. So we compare **relative** to the size of the
# numbers:
#
# $$\text{relative\_error}(a, b) = \frac{|a - b|}{\max(10^{-12},\ |a| + |b|)}$$
#
# It is 0 for equal numbers, at most 1, the same whichever number comes
# first, and it does not change when both numbers are scaled by the same
# factor. The `max` with `1e-12` keeps it defined when both numbers are 0
# (then the result is 0), and treats differences between two tiny numbers
# as small. A correct rule and a central difference typically agree to a
# relative error below `1e-8`; a wrong rule is usually off by more than `1e-3`.
#
# **Your task.** Write
#
# - `numerical_derivative(f, x, h=1e-6)`: the **central** difference of the
#   plain-float function `f` at `x`, using the step `h` it is given;
# - `relative_error(a, b)`: the formula above.

# %% tags=["solution"]
def numerical_derivative(f, x, h=1e-6):
    """The central-difference estimate of f'(x), for a function f of one float."""
    ### BEGIN SOLUTION
    return (f(x + h) - f(x - h)) / (2 * h)
    ### END SOLUTION


def relative_error(a, b):
    """|a - b| / max(1e-12, |a| + |b|): how far apart two numbers are, relative to their size."""
    ### BEGIN SOLUTION
    return abs(a - b) / max(1e-12, abs(a) + abs(b))
    ### END SOLUTION

# %% [markdown]
# ### Check Task B

# %% tags=["checks:gradient_tools"]
def _quadratic(x):
    return 2 * x * x - 3 * x


d = numerical_derivative(_quadratic, 1.5)
assert isinstance(d, float), "numerical_derivative should return a float"
assert abs(d - 3.0) < 1e-7, "numerical_derivative(f, 1.5) of 2x² - 3x should be very close to 4·1.5 - 3 = 3"
assert abs(numerical_derivative(_quadratic, 1.5, 0.5) - 3.0) < 1e-12, \
    "a central difference is exact for a parabola, whatever h is: step to both sides, x + h and x - h"
assert abs(numerical_derivative(cube, 2.0, h=0.1) - 12.01) < 1e-9, \
    "with h=0.1 the central difference of x³ at 2 is 12.01: use the h you are given, and divide by 2h"
assert abs(numerical_derivative(math.exp, 1.0) - math.e) < 1e-7, \
    "numerical_derivative(math.exp, 1.0) should be very close to e"

assert relative_error(1.0, 1.0) == 0.0, "equal numbers have relative error 0"
assert math.isclose(relative_error(3.0, 1.0), 0.5), "relative_error(3, 1) = |3 - 1| / (3 + 1) = 0.5"
assert math.isclose(relative_error(1.0, 3.0), 0.5), "relative_error must not depend on the order (use abs)"
assert math.isclose(relative_error(-2.0, 2.0), 1.0), "relative_error(-2, 2) = 4 / (2 + 2) = 1: use |a| + |b|"
assert math.isclose(relative_error(3000.0, 1000.0), 0.5), "scaling both numbers does not change relative_error"
assert relative_error(0.0, 0.0) == 0.0, "relative_error(0, 0) should be 0.0: the max with 1e-12 avoids 0 / 0"
assert math.isclose(relative_error(1e-14, 0.0), 0.01), \
    "for tiny numbers the denominator is max(1e-12, |a| + |b|) = 1e-12"
print("gradient_tools checks passed")

# %% [markdown]
# ### Forward against central, in numbers
#
# The same experiment as before, now with your central difference next to
# the forward one. Watch the central error fall a hundredfold per step at
# first, then, for tiny `h`, both errors grow again: rounding has taken over.

# %% tags=["heavy"]
print("      h      forward error   central error")
for h in [1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-8, 1e-10, 1e-12]:
    forward = nudge_ratio(cube, 1.5, h) - 6.75
    central = numerical_derivative(cube, 1.5, h) - 6.75
    print(f"{h:8.0e}    {forward:+.3e}      {central:+.3e}")

# %% [markdown]
# **Q1 (auto-graded, 5 points).** For `f(x) = x²` at `x = 3` (exact
# derivative 6) and `h = 0.1`, the forward difference is
# `(f(3.1) - f(3)) / 0.1`. By how much does it **exceed** the exact
# derivative? Work it out with Taylor's formula (error ≈ `h · f''/2`), then
# confirm with `nudge_ratio`. Set `ANSWER_Q1` to a float.

# %% tags=["solution"]
# ANSWER_Q1 = a float
### BEGIN SOLUTION
ANSWER_Q1 = 0.1
### END SOLUTION

# %% tags=["checks:q1"]
assert "ANSWER_Q1" in globals(), "set ANSWER_Q1 in the cell above (replace the raise line) and run it"
assert isinstance(ANSWER_Q1, (int, float)) and not isinstance(ANSWER_Q1, bool), "ANSWER_Q1 should be a number"
print("q1 format checks passed")

# %% [markdown]
# **Q2 (auto-graded, 5 points).** A central difference of a smooth function
# has an error of 4e-8 with `h = 1e-3`. You halve `h` to `5e-4` (still far
# from the sizes where rounding matters). About what error do you expect now?
#
# - **a.** 2e-8: the error halves with `h`.
# - **b.** 1e-8: the error shrinks with `h²`.
# - **c.** 4e-8: the error of a central difference does not depend on `h`.
# - **d.** 8e-8: smaller steps always make finite differences worse.
#
# Set `ANSWER_Q2` to one letter.

# %% tags=["solution"]
# ANSWER_Q2 = one letter: "a", "b", "c" or "d"
### BEGIN SOLUTION
ANSWER_Q2 = "b"
### END SOLUTION

# %% tags=["checks:q2"]
assert "ANSWER_Q2" in globals(), "set ANSWER_Q2 in the cell above (replace the raise line) and run it"
assert ANSWER_Q2 in ("a", "b", "c", "d"), 'ANSWER_Q2 should be one lower-case letter: "a", "b", "c" or "d"'
print("q2 format checks passed")

# %% [markdown]
# **SA3 (short answer, 3 points).** Using Taylor's formula, explain why the
# central difference is much more accurate than the forward difference for
# the same `h`. Then explain why a very small step such as `h = 1e-12` makes
# both estimates *worse*, not better.

# %% [markdown] tags=["manual:sa3"]
# ### BEGIN SOLUTION
# Taylor: f(x ± h) = f(x) ± h f'(x) + h²/2 f''(x) ± h³/6 f'''(x) + ...
# The forward difference (f(x + h) - f(x)) / h = f'(x) + h/2 f''(x) + ...,
# so its error is proportional to h. In the central difference
# (f(x + h) - f(x - h)) / (2h) the even terms (f(x) and h²/2 f'') appear
# with the same sign on both sides and cancel, leaving
# f'(x) + h²/6 f'''(x) + ...: the error is proportional to h², e.g. 1e-12
# instead of 1e-6 for h = 1e-6, for the same two evaluations of f.
# With tiny h a second error takes over: floats hold ~16 digits, so f(x + h)
# and f(x - h) each carry a rounding error of about 1e-16·|f|; their
# difference is a tiny number computed from two nearly equal ones
# (cancellation), and dividing by 2h magnifies the rounding error by
# 1/(2h). For h = 1e-12 that is an error around 1e-4, much larger than the
# truncation error saved. The total error is smallest at a moderate h
# (about 1e-5 to 1e-6 for central differences).
# ### END SOLUTION

# %% [markdown]
# ## 5. Task C: composed operations by hand, with the chain rule (15 points)
#
# `a - b`, `a / b` and `tanh(a)` are not atomic: `Value` builds them from
# add, mul, pow and exp. Their derivatives follow from the atomic rules by
# the **chain rule**.
#
# ### The chain rule: exchange rates multiply
#
# If `u` depends on `x` and `y` depends on `u`, a nudge ε of `x` moves `u` by
# `(du/dx) · ε`, and that moves `y` by `(dy/du) · (du/dx) · ε`. So
#
# $$\frac{dy}{dx} = \frac{dy}{du} \cdot \frac{du}{dx}.$$
#
# On a graph: the derivative of the root with respect to a node below it is
# the **product of the local derivatives along the path** between them. If
# there are several paths (the node is used more than once), their
# contributions **add up**: nudging `x` in `x * x` moves both factors.
#
# ### Worked example: `d_sub`
#
# `Value` computes `a - b` as `a + (b * -1)`. Here is its graph at `a = 5`,
# `b = 2`, with the local derivatives your rules recorded:

# %% tags=["heavy"]
a = Value(5.0)
b = Value(2.0)
show(a - b)

# %% [markdown]
# - `a` is a child of the add node, which has local derivative 1 for it:
#   **d(a - b)/da = 1**.
# - `b` is reached through two edges: add → mul (local derivative 1, the
#   second entry of `d_add`), then mul → `b` (local derivative `-1`, the
#   first entry of `d_mul(b, -1)`, which is the *other* factor). Multiplying
#   along the path: **d(a - b)/db = 1 · (-1) = -1**.
#
# So `d_sub(a, b)` is `(1.0, -1.0)`, whatever `a` and `b` are.
#
# ### Your turn: `d_div` and `d_tanh`
#
# **`d_div(a, b)`**, for `a / b`, which `Value` computes as `a * b ** -1`
# (`b ≠ 0`). Find both entries from the graph: `a` is the first factor of
# the mul, so its local derivative is the second factor, `b⁻¹`; for `b`,
# multiply along mul → pow → `b`, using the power rule at `n = -1`. Mind
# the sign.
#
# **`d_tanh(a)`**, for
#
# $$\tanh(a) = \frac{e^{2a} - 1}{e^{2a} + 1},$$
#
# which is `(e - 1) / (e + 1)` with `e = exp(2a)`. Take the path step by step:
# `e` moves at `2·exp(2a)` per unit of `a` (chain rule: mul by 2, then exp);
# the quotient moves with its numerator and its denominator, and both move
# with `e` (use your `d_div`, or the quotient rule). Multiply, add the two
# contributions, then **simplify**: the result can be written with
# `t = tanh(a)` alone, in a famously short form. You can check any candidate
# formula with `numerical_derivative(math.tanh, a)` before you commit to it.
#
# Two warnings, from mistakes that are easy to make:
#
# - A formula written with the output `t = tanh(a)` must use the *output*:
#   plugging the input `a` into it gives a different function.
# - The rules must be **exact formulas**. Calling `numerical_derivative`
#   inside a rule gives about 10 correct digits, not 16; the grader compares
#   your rules with the exact derivatives to 12 digits, and such a rule
#   fails. Numerical derivatives are for *checking* rules, not for being them.
#
# Each rule returns a tuple: two entries for `d_sub` and `d_div` (one per
# input), one for `d_tanh`.

# %% tags=["solution"]
def d_sub(a, b):
    """Local derivatives of a - b at the floats a, b: (d/da, d/db)."""
    ### BEGIN SOLUTION
    return (1.0, -1.0)
    ### END SOLUTION


def d_div(a, b):
    """Local derivatives of a / b at the floats a, b (b != 0): (d/da, d/db)."""
    ### BEGIN SOLUTION
    return (1.0 / b, -a / b ** 2)
    ### END SOLUTION


def d_tanh(a):
    """Local derivative of tanh at the float a: a one-entry tuple."""
    ### BEGIN SOLUTION
    return (1.0 - math.tanh(a) ** 2,)
    ### END SOLUTION

# %% [markdown]
# ### Check Task C

# %% tags=["checks:composed_rules"]
def _exact(got, want):
    """Equal to about 12 significant digits (the precision the grader expects of an exact rule)."""
    return isinstance(got, (int, float)) and math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-14)


for name, result, entries in [("d_sub", d_sub(5.0, 2.0), 2), ("d_div", d_div(3.0, 2.0), 2),
                              ("d_tanh", d_tanh(0.5), 1)]:
    assert isinstance(result, tuple) and len(result) == entries, \
        f"{name} should return a tuple with {entries} entr{'y' if entries == 1 else 'ies'}"

for name, got, want in [("d_div", d_div(3.0, 2.0)[1], -0.75), ("d_tanh", d_tanh(0.5)[0], 0.7864477329659274)]:
    assert not (isinstance(got, (int, float)) and math.isclose(got, want, rel_tol=1e-5) and not _exact(got, want)), \
        f"{name} is right to a few digits but not exact, as a numerical derivative is: write the exact " \
        "formula from the chain rule (simplified), and use numerical_derivative only to check it"
assert d_sub(5.0, 2.0) == (1.0, -1.0), "d_sub should be (1.0, -1.0): see the worked example"
assert d_sub(-7.0, 0.5) == (1.0, -1.0), "d_sub does not depend on the numbers"
q = d_div(3.0, 2.0)
assert _exact(q[0], 0.5), "d_div(3, 2): nudging a moves a / b at the rate 1 / b"
assert _exact(q[1], -0.75), "d_div(3, 2): the second entry should be -0.75 (mind the sign and the power rule)"
assert _exact(d_div(-1.0, 4.0)[1], 0.0625), "d_div(-1, 4)[1] should be 1/16"
assert _exact(d_tanh(0.0)[0], 1.0), "d_tanh(0) should be 1: tanh is steepest at 0"
assert _exact(d_tanh(0.5)[0], 0.7864477329659274), "d_tanh(0.5) is wrong: simplify the chain rule result"
assert _exact(d_tanh(-1.2)[0], 0.30501999620740905), "d_tanh(-1.2) is wrong: tanh's slope is the same at a and -a"
print("composed_rules checks passed")

# %% [markdown]
# ### Gradient-check all nine rules
#
# Your tools from Task B, applied to your rules from Tasks A and C: for
# every rule and every input, nudge the forward function and compare. Each
# relative error should be below `1e-8` or so. (Try breaking a rule on
# purpose, say drop the `n` from `d_pow`, and run this cell again.)

# %% tags=["heavy"]
checks = [  # (name, rule, its arguments, the forward function, the point to nudge)
    ("d_add", d_add, (1.3, -0.7), lambda a, b: a + b, (1.3, -0.7)),
    ("d_mul", d_mul, (1.3, -0.7), lambda a, b: a * b, (1.3, -0.7)),
    ("d_pow", d_pow, (1.3, 3), lambda a: a ** 3, (1.3,)),
    ("d_exp", d_exp, (-0.4,), math.exp, (-0.4,)),
    ("d_log", d_log, (2.5,), math.log, (2.5,)),
    ("d_relu", d_relu, (0.8,), lambda a: max(0.0, a), (0.8,)),
    ("d_sub", d_sub, (1.3, -0.7), lambda a, b: a - b, (1.3, -0.7)),
    ("d_div", d_div, (1.3, -0.7), lambda a, b: a / b, (1.3, -0.7)),
    ("d_tanh", d_tanh, (0.9,), math.tanh, (0.9,)),
]


def along_input(forward, point, i):
    """forward as a function of its i-th input alone, the other inputs held at point."""
    def f(t):
        moved = list(point)
        moved[i] = t
        return forward(*moved)
    return f


for name, rule, rule_args, forward, point in checks:
    exact = rule(*rule_args)
    for i in range(len(point)):
        estimate = numerical_derivative(along_input(forward, point, i), point[i])
        print(f"{name:7} input {i}:  rule {exact[i]:+.10f}   central difference {estimate:+.10f}"
              f"   relative error {relative_error(exact[i], estimate):.1e}")

# %% [markdown]
# **SA4 (short answer, 3 points).** Write out your derivation of `d_tanh`:
# start from `tanh(a) = (e - 1) / (e + 1)` with `e = exp(2a)`, multiply the
# local derivatives along the paths, add the contributions, and simplify to
# a formula in `tanh(a)` alone. Show the steps, not only the result.

# %% [markdown] tags=["manual:sa4"]
# ### BEGIN SOLUTION
# Let e = exp(2a) and t = (e - 1)/(e + 1). Then de/da = 2·exp(2a) = 2e
# (mul by 2 has local derivative 2, exp has local derivative exp(2a)).
# t = u / v with u = e - 1 and v = e + 1, so du/de = dv/de = 1, and with
# d_div: dt/du = 1/v, dt/dv = -u/v². Adding the two paths from t to e:
# dt/de = 1/v - u/v² = (v - u)/v² = 2/(e + 1)².
# Chain: dt/da = dt/de · de/da = 2/(e + 1)² · 2e = 4e/(e + 1)².
# Simplify: 1 - t² = ((e + 1)² - (e - 1)²)/(e + 1)² = 4e/(e + 1)².
# So d tanh(a)/da = 1 - tanh(a)², which is (1 - t²) with t the output.
# (Equivalently sech²(a) = 1/cosh²(a) = 4/(e^a + e^-a)².)
# ### END SOLUTION

# %% [markdown]
# ## 6. Task D: your rules inside `Value` (10 points)
#
# There is nothing new to write here: this part checks that your rules plug
# into `Value` correctly, because from now on every node relies on them.
# For that each rule must return exactly **one entry per child**, in the
# order of `_children` (pow has one child, so `d_pow` has one entry: there is
# no derivative "for the exponent"), and composed operations must come out
# right when their atomic pieces are chained.
#
# The chain rule on a graph ("multiply along each path, add over the paths")
# fits in a few lines. `derivative_along_paths(root, node)` follows every
# path from `root` down to `node` and adds up the products of the local
# derivatives along them:

# %%
def derivative_along_paths(root, node):
    """d(root)/d(node) by the chain rule: the sum over all paths of the product of local derivatives."""
    if root is node:
        return 1.0
    total = 0.0
    for i, child in enumerate(root._children):
        total += root._local_grads[i] * derivative_along_paths(child, node)
    return total


def tanh_value(v):
    """tanh of a Value, built from atomic operations only."""
    e = (2 * v).exp()
    return (e - 1) / (e + 1)

# %% tags=["heavy"]
a, b = Value(3.0), Value(-2.0)
print("a - b:        d/da =", derivative_along_paths(a - b, a), "  d/db =", derivative_along_paths(a - b, b),
      "  d_sub gives", d_sub(3.0, -2.0))
print("a / b:        d/da =", derivative_along_paths(a / b, a), "  d/db =", derivative_along_paths(a / b, b),
      "  d_div gives", d_div(3.0, -2.0))
t = tanh_value(a)
print("tanh(a):      d/da =", derivative_along_paths(t, a), "  d_tanh gives", d_tanh(3.0),
      f"  ({len(graph_nodes(t))} nodes)")

# %% [markdown]
# The graph of `tanh_value` uses `e` twice, so two paths lead from the root
# down to `a`, exactly the two contributions of your SA4 derivation. Following
# every path is fine for small graphs, but the number of paths can grow
# exponentially (think of A1's `x = x + x` repeated thirty times). A3 computes
# the same sums with one backward pass over `topological_order`.

# %% tags=["checks:rules_in_value"]
a, b = Value(2.0), Value(-3.0)
m = a * b
assert m._local_grads == (-3.0, 2.0), "a * b should record (b, a): one local derivative per child, in order"
assert (a + b)._local_grads == (1.0, 1.0), "a + b should record (1.0, 1.0)"
assert (a * 4)._local_grads == (4.0, 2.0), "a * 4 wraps 4 as a leaf: its local derivatives are (4.0, a)"
nodes = [a + b, a * b, a ** 3, a.exp(), a.log(), b.relu(), a.relu(), a * 4, a + 1]
for node in nodes:
    assert len(node._local_grads) == len(node._children), \
        f"a '{node._op}' node should have one local derivative per child (pow has one child, only a)"
assert math.isclose((a ** 3)._local_grads[0], 12.0), "a ** 3 at a = 2 should record 12.0"
assert math.isclose(a.exp()._local_grads[0], math.exp(2.0)), "a.exp() should record exp(a)"
assert math.isclose(a.log()._local_grads[0], 0.5), "a.log() at a = 2 should record 1/a = 0.5"
assert b.relu()._local_grads == (0.0,) and a.relu()._local_grads == (1.0,), "relu should record 0.0 or 1.0"
assert Value(0.0).relu()._local_grads == (0.0,), "relu at 0.0 should record 0.0"
assert math.isclose(derivative_along_paths(a / b, a), -1.0 / 3.0), \
    "a / b at a = 2, b = -3: the chained local derivatives for a should give 1/b = -1/3"
assert math.isclose(derivative_along_paths(a / b, b), -2.0 / 9.0), \
    "a / b at a = 2, b = -3: the chained local derivatives for b should give -2/9 (check d_mul and d_pow)"
assert math.isclose(derivative_along_paths(7 - a, a), -1.0), "d(7 - a)/da through the graph should be -1"
assert math.isclose(derivative_along_paths(tanh_value(a), a), 0.07065082485316443), \
    "tanh built from atoms at a = 2: the chained local derivatives should give tanh's slope there, 0.0706508..."
print("rules_in_value checks passed")

# %% [markdown]
# **Q3 (auto-graded, 5 points).** Take
#
# ```python
# x = Value(3.0)
# y = x * x
# ```
#
# What does `y._local_grads` hold, and what is dy/dx?
#
# - **a.** `(3.0, 3.0)`, and dy/dx = 6: the two paths from `y` to `x` add up.
# - **b.** `(6.0,)`, and dy/dx = 6: `x * x` is recorded as a square.
# - **c.** `(3.0, 3.0)`, and dy/dx = 3: a node counts once.
# - **d.** `(9.0, 9.0)`, and dy/dx = 18.
#
# Set `ANSWER_Q3` to one letter.

# %% tags=["solution"]
# ANSWER_Q3 = one letter: "a", "b", "c" or "d"
### BEGIN SOLUTION
ANSWER_Q3 = "a"
### END SOLUTION

# %% tags=["checks:q3"]
assert "ANSWER_Q3" in globals(), "set ANSWER_Q3 in the cell above (replace the raise line) and run it"
assert ANSWER_Q3 in ("a", "b", "c", "d"), 'ANSWER_Q3 should be one lower-case letter: "a", "b", "c" or "d"'
print("q3 format checks passed")

# %% [markdown]
# ## 7. Milestone: softplus by the chain rule (7 points)
#
# **softplus**, `log(1 + exp(x))`, is a smooth cousin of relu: close to 0
# for very negative `x`, close to `x` for large `x`, and curved in between.
# Its derivative is a famous function, the **sigmoid**
# `σ(x) = 1 / (1 + exp(-x))`. Built with `Value`, softplus is a chain of
# three nodes, exp → add → log, and the chain rule multiplies their local
# derivatives:
#
# $$\frac{d}{dx}\log(1 + e^x) = \underbrace{\frac{1}{1 + e^x}}_{\text{log}} \cdot \underbrace{1}_{\text{add}}
# \cdot \underbrace{e^x}_{\text{exp}} = \frac{e^x}{1 + e^x} = \sigma(x).$$
#
# The milestone puts everything together: your rules recorded inside
# `Value`, chained along the graph, checked against your central difference
# with your relative error. This is exactly what A3 does for every
# parameter of a network at once, and what you will keep doing to check it.

# %%
def softplus(x):
    """log(1 + exp(x)) on a plain float."""
    return math.log(1 + math.exp(x))


def sigmoid(x):
    """1 / (1 + exp(-x)) on a plain float."""
    return 1 / (1 + math.exp(-x))

# %% tags=["heavy"]
x = Value(0.5)
y = (1 + x.exp()).log()
show(y)

# %% tags=["checks:milestone"]
print("    x    chain rule     sigmoid(x)    central difference   relative error")
for x0 in [-3.0, -0.5, 0.0, 0.5, 2.0]:
    x = Value(x0)
    y = (1 + x.exp()).log()
    assert math.isclose(y.data, softplus(x0)), "the forward value of softplus is wrong"
    chained = derivative_along_paths(y, x)
    numeric = numerical_derivative(softplus, x0)
    error = relative_error(chained, numeric)
    print(f"{x0:5.1f}   {chained:.10f}   {sigmoid(x0):.10f}   {numeric:.10f}         {error:.1e}")
    assert math.isclose(chained, sigmoid(x0), rel_tol=1e-12), \
        "the product of the local derivatives along softplus's chain should be sigmoid(x)"
    assert error < 1e-7, "the chain rule and the central difference should agree to a relative error below 1e-7"
print("milestone checks passed")

# %% [markdown]
# **SA5 (short answer, 3 points).** `numerical_derivative` can estimate the
# derivative of any function without any rules at all. Why then does a GPT
# need exact local rules and the chain rule? Estimate how many forward passes
# a numerical gradient of the 4,192-parameter GPT of A7 would cost *per
# training step*, and give one more reason besides cost.

# %% [markdown] tags=["manual:sa5"]
# ### BEGIN SOLUTION
# A central difference gives the derivative with respect to ONE input per
# two evaluations of the function. For the loss of a GPT with 4,192
# parameters that is 2 × 4,192 = 8,384 forward passes per training step
# (times 1,000 steps), whereas local rules plus the chain rule (A3's
# backward pass) give all 4,192 partial derivatives for the cost of about
# one forward and one backward pass. Other reasons: finite differences are
# only approximate (about 1e-10 to 1e-6 relative error, depending on h and
# on rounding), need a well-chosen h, and are meaningless at kinks such as
# relu's 0; exact rules give the derivative to full float precision. So
# numerical derivatives are used to *check* the rules on small cases
# (gradient checking), never to train.
# ### END SOLUTION

# %% [markdown]
# ## What's next
#
# Every node of your graphs now knows its local derivatives, and you can
# check any derivative numerically. What is missing is an efficient way to
# chain them: following every path, as `derivative_along_paths` does, can
# take exponentially long. In **A3** you will write `backward(root)`: one
# pass over `topological_order` in reverse that fills in `.grad` for every
# node at once. For micrograd's expression from A1 you will get
# `a.grad = 138.8338` and `b.grad = 645.5773`.
