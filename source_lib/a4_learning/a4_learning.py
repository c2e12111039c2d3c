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
# # A4 · Learning: losses, gradient descent and Adam
#
# In A1 you gave every number a memory of how it was made; in A2 each atomic
# operation learned its local derivative; in A3 the chain rule, run
# backwards over the graph, filled in `grad` for every node at once. So far
# the gradients have only been *looked at*. This assignment puts them to
# work: **parameters that improve themselves**.
#
# By the end of this notebook you will have
#
# - a **loss**: one number that says how wrong a model's predictions are
#   (`mse_loss`);
# - **gradient descent**: the update that moves every parameter a small
#   step downhill (`sgd_step`);
# - a complete **training loop** that fits a line (`fit_line`);
# - **Adam**, the optimiser that trains the GPT in A7, with its bias
#   correction (`adam_step`);
# - a **learning-rate schedule** (`linear_decay`);
# - and, as the milestone, a small neural network that learns a problem no
#   straight line can solve.
#
# ### How this notebook works
#
# - Cells that contain `# YOUR CODE HERE` are yours: replace the
#   `raise NotImplementedError()` line with your code. Leave every other cell
#   as it is.
# - After each task, a **checks** cell runs a few visible checks. Passing
#   them means you are on the right track, not that you are done: when you
#   submit, the grader runs hidden tests on inputs drawn fresh for every
#   submission and compares your updates, step by step, with a reference.
# - Along the way come **tiny checkpoints**: short questions. Three are
#   graded automatically (you set a variable such as `ANSWER_Q1`), five are
#   short written answers graded by hand.
# - A few cells are marked *(not run by the grader)*: demonstrations and a
#   longer training run. They use your functions, so run them once your
#   functions pass their checks.
# - Apart from those, the whole notebook runs in a few seconds. Run it top to
#   bottom (*Kernel → Restart & Run All*) before you submit.
#
# | Part | Points |
# |---|---|
# | Task A: `mse_loss` | 10 |
# | Task B: `sgd_step` | 10 |
# | Task C: `fit_line` | 14 |
# | Task D: `adam_step` | 20 |
# | Task E: `linear_decay` | 6 |
# | Milestone: a network learns XOR | 10 |
# | Q1–Q3 (auto-graded) | 15 |
# | SA1–SA5 (short answers, graded by hand) | 15 |
# | **Total** | **100** |

# %% [markdown]
# ## 1. What A1–A3 built (provided)
#
# The cell below is the reference solution of A1–A3, given to you complete:
#
# - `Value`: a number, its children, and, since A2, one **local derivative**
#   per child, recorded when the node is made;
# - `topological_order(root)`: every node below `root`, each after its
#   children (A1);
# - `backward(root)`: sets `root.grad = 1.0` and walks the topological order
#   backwards, **adding** `local_grad * node.grad` into each child's `grad`
#   (A3);
# - `zero_grad(nodes)`: sets `grad = 0.0` on every node given (A3).
#
# Read it once; you will call `backward` and `zero_grad` in this assignment,
# and every task builds on them.

# %%
import math
import random
from itertools import pairwise

from provided.backprop import backward, zero_grad
from provided.values import Value

# %% [markdown]
# A quick reminder of what `grad` means. Take a "model" with two parameters,
# `w` and `b`, that predicts `w * x + b`, and measure how far its prediction
# is from a target with `(prediction - target) ** 2`:

# %%
w, b = Value(1.0), Value(0.5)
x, target = 2.0, 7.0
err = (w * x + b - target) ** 2
backward(err)
print(f"err = {err.data}   d err/dw = {w.grad}   d err/db = {b.grad}")

# %% [markdown]
# `w.grad = -18` says: *if `w` grew by a tiny amount `h`, `err` would change by
# about `-18 h`*. The error goes **down** when `w` goes **up**, and steeply. That
# single number, for every parameter, is all that learning needs.
#
# One more thing to remember from A3: `backward` **adds** into `grad`, it never
# overwrites. Run it a second time on the same graph and the parameters'
# gradients double:

# %%
backward(err)
print("after a second backward:", w.grad, b.grad)
zero_grad([w, b])
print("after zero_grad:        ", w.grad, b.grad)

# %% [markdown]
# This accumulation is deliberate (a node used twice must collect both
# contributions), and it is why every training loop below calls `zero_grad`.

# %% [markdown]
# ## 2. A loss: one number that says how wrong we are
#
# A model makes **predictions**; the data says what they should have been,
# the **targets**. Learning needs a single number that is small when the
# predictions are good and large when they are bad: the **loss**. One
# number, because `backward` starts from one root: the gradient of a single
# loss with respect to every parameter tells each parameter which way to go.
#
# For predictions that are numbers, the classic choice is the **mean squared
# error**:
#
# $$\text{MSE} = \frac{1}{n} \sum_{i=1}^{n} (p_i - t_i)^2$$
#
# - **squared**: an error counts the same whether it is too high or too
#   low, large errors count much more than small ones, and the derivative,
#   $2(p_i - t_i)/n$, is proportional to the error itself: far from the
#   target, a strong pull; close to it, a gentle one;
# - **mean**, not sum: the loss (and its gradient) does not grow with the
#   number of examples, so a learning rate that works for 10 examples also
#   works for 1,000.
#
# The GPT of A7 predicts probabilities rather than numbers, and its loss is
# the cross-entropy you will meet in A5, but it plays exactly the same role:
# one number, averaged over the positions of a name, differentiated by
# `backward`.
#
# **Task A (10 points).** Write `mse_loss(preds, targets)`: `preds` is a list
# of `Value`s, `targets` a list of plain numbers of the same length. Return
# the mean squared error as **one `Value`**, built with `Value` operations
# (`-`, `**`, `+`, `/`) so that `backward` can reach every prediction. Do not
# compute it from `.data`: a loss cut off from the predictions has no
# gradient to give.

# %% tags=["solution"]
def mse_loss(preds, targets):
    """The mean of (pred - target) ** 2 over all pairs, as one Value connected to every pred."""
    ### BEGIN SOLUTION
    assert len(preds) == len(targets), "preds and targets must have the same length"
    squared_errors = [(p - t) ** 2 for p, t in zip(preds, targets, strict=True)]
    return sum(squared_errors) / len(squared_errors)
    ### END SOLUTION

# %% [markdown]
# ### Check Task A

# %% tags=["checks:mse_loss"]
preds = [Value(1.0), Value(2.0), Value(-1.0)]
loss = mse_loss(preds, [0.0, 2.0, 1.0])
assert isinstance(loss, Value), "mse_loss should return a Value (one node), not a float or a list"
assert math.isclose(loss.data, 5 / 3), "mse_loss should be the MEAN of the squared errors: (1 + 0 + 4) / 3"
backward(loss)
assert [p.grad for p in preds] != [0.0, 0.0, 0.0], \
    "backward(loss) gave the predictions no gradient: build the loss with Value operations, not from .data"
for p, want in zip(preds, [2 / 3, 0.0, -4 / 3], strict=True):
    assert math.isclose(p.grad, want, abs_tol=1e-12), "d loss / d pred should be 2 * (pred - target) / n"
assert [p.data for p in preds] == [1.0, 2.0, -1.0], "mse_loss must not change the predictions"
assert math.isclose(mse_loss([Value(3.0)], [1.0]).data, 4.0), "one pair: the loss is (pred - target) ** 2"
print("mse_loss checks passed")

# %% [markdown]
# **SA1 (short answer, 3 points).** `mse_loss` returns the *mean* of the
# squared errors, as *one* `Value`. Explain (a) why training needs the loss to
# be a single number rather than one error per example, and (b) what would
# change in training if the loss were the *sum* instead of the mean, for
# example when you go from 10 to 1,000 examples.

# %% [markdown] tags=["manual:sa1"]
# ### BEGIN SOLUTION
# (a) Backpropagation starts at one root node with gradient 1 and gives every
# parameter d(root)/d(parameter): "which way should this parameter move to make
# *this number* smaller". With one error per example there would be many such
# directions, possibly conflicting, and no single update; the loss combines
# them into one objective so that every parameter gets one gradient that
# balances all examples.
# (b) With the sum, the loss and every gradient grow in proportion to the
# number of examples: going from 10 to 1,000 examples would make the gradients
# about 100 times larger, so a learning rate that worked before would now take
# steps 100 times too big and diverge, and the learning rate would have to be
# retuned whenever the data set (or batch) size changes. The mean keeps the
# scale of the loss and of the gradients independent of n, so lr means the
# same thing for any amount of data.
# ### END SOLUTION

# %% [markdown]
# ## 3. Gradient descent: a step downhill
#
# `p.grad` is the slope of the loss in the direction of `p`: if it is
# positive, increasing `p` increases the loss, so we should *decrease* `p`;
# if it is negative, we should increase `p`. Both cases are one line:
#
# ```python
# p.data -= lr * p.grad        # lr: the learning rate, a small positive number
# ```
#
# The **learning rate** `lr` sets the size of the step. Here is gradient
# descent by hand, on plain floats, for the loss $L(w) = (w - 3)^2$, whose
# gradient is $2(w - 3)$ and whose minimum is at $w = 3$:

# %%
for lr in (0.1, 0.45, 1.05):
    w_float = 0.0
    trace = []
    for _ in range(6):
        w_float -= lr * 2 * (w_float - 3)
        trace.append(f"{w_float:7.3f}")
    print(f"lr = {lr:<5}  w after each step:", " ".join(trace))

# %% [markdown]
# With `lr = 0.1` each step removes 20% of the remaining distance: steady,
# but slow. With `lr = 0.45` the steps are bigger and `w` arrives almost at
# once. With `lr = 1.05` each step **overshoots** the minimum by more than it
# started with: `w` jumps from side to side and runs away. Choosing the
# learning rate is the first knob of every training run, the GPT's included.
#
# **Task B (10 points).** Write `sgd_step(params, lr)`: for every `Value` in
# `params`, move its `data` by `-lr * grad`. Update the parameters **in
# place**: the model holds these very `Value` objects, so change their
# `.data`; creating new `Value`s (or rebinding the loop variable) would leave
# the model's parameters untouched. `sgd_step` returns nothing and leaves
# `grad` as it is.

# %% tags=["solution"]
def sgd_step(params, lr):
    """One step of gradient descent, in place: p.data -= lr * p.grad for every parameter."""
    ### BEGIN SOLUTION
    for param in params:
        param.data -= lr * param.grad
    ### END SOLUTION

# %% [markdown]
# ### Check Task B

# %% tags=["checks:sgd_step"]
a, b, c = Value(1.0), Value(-2.0), Value(0.25)
a.grad, b.grad, c.grad = 0.5, -1.0, 0.0
params = [a, b, c]
sgd_step(params, 0.1)
assert params[0] is a and params[1] is b and params[2] is c, \
    "sgd_step must update the Values in place, not put new ones in the list"
assert math.isclose(a.data, 0.95), "a positive gradient should DEcrease the parameter: 1.0 - 0.1 * 0.5"
assert math.isclose(b.data, -1.9), "a negative gradient should INcrease the parameter: -2.0 - 0.1 * (-1.0)"
assert c.data == 0.25, "a parameter whose gradient is 0 should not move"
sgd_step([a], 0.5)
assert math.isclose(a.data, 0.7), "use the lr you are given: 0.95 - 0.5 * 0.5"
print("sgd_step checks passed")

# %% [markdown]
# **Q1 (auto-graded, 5 points).** Take the loss $L(w) = w^2$, start at
# $w = 1$ and run plain gradient descent (`w -= lr * 2 * w`). For which
# learning rate does `w` **flip its sign at every step while moving further and
# further away** from the minimum at 0?
#
# - **a.** `lr = 0.1`
# - **b.** `lr = 0.5`
# - **c.** `lr = 0.9`
# - **d.** `lr = 1.1`
#
# Hint: one step multiplies `w` by the same number every time. Which number?
# Set `ANSWER_Q1` to one letter.

# %% tags=["solution"]
# ANSWER_Q1 = one letter: "a", "b", "c" or "d"
### BEGIN SOLUTION
ANSWER_Q1 = "d"
### END SOLUTION

# %% tags=["checks:q1"]
assert "ANSWER_Q1" in globals(), "set ANSWER_Q1 in the cell above (replace the raise line) and run it"
assert ANSWER_Q1 in ("a", "b", "c", "d"), 'ANSWER_Q1 should be one lower-case letter: "a", "b", "c" or "d"'
print("q1 format checks passed")

# %% [markdown]
# **SA2 (short answer, 3 points).** Explain why `sgd_step` *subtracts*
# `lr * grad` (what does the sign of `p.grad` tell you?), and describe what
# goes wrong when the learning rate is much too small and when it is much too
# large. Use the runs with `lr = 0.1`, `0.45` and `1.05` above as evidence.

# %% [markdown] tags=["manual:sa2"]
# ### BEGIN SOLUTION
# p.grad is d(loss)/d(p): positive means the loss rises when p grows, negative
# means it falls. To lower the loss we move p against the gradient, so we
# subtract lr * grad: a positive gradient makes p smaller, a negative one
# makes it larger, and the step is largest where the loss is steepest (close
# to the minimum the gradient, and so the step, shrinks). The gradient only
# describes the loss *locally*, so the step must be small. Too small a
# learning rate wastes time: with lr = 0.1 each step removes only 20% of the
# remaining distance to the minimum, so many steps are needed. Too large a
# learning rate overshoots: with lr = 1.05 each step jumps past the minimum to
# a point further away than where it started (|1 - 2 lr| > 1), so w
# oscillates from side to side with growing size and the loss diverges. A
# good learning rate (0.45 here) gets close quickly without overshooting much.
# ### END SOLUTION

# %% [markdown]
# ## 4. The training loop
#
# Everything comes together in a loop that every neural network, the GPT of
# A7 included, runs thousands of times:
#
# 1. **forward**: compute the predictions from the current parameters;
# 2. **loss**: compare them with the targets;
# 3. **zero the gradients** of the parameters: `backward` adds, so without
#    this the gradients of all earlier steps would pile up;
# 4. **backward**: fill in `grad` for every parameter;
# 5. **update**: move every parameter a small step against its gradient.
#
# The graph is built anew in every step (step 1 creates fresh nodes), but the
# parameters are the same `Value` objects throughout: that is what lets them
# learn.
#
# **Task C (14 points).** Write `fit_line(xs, ys, steps, lr)`, which fits
# `y = w * x + b` to the points by gradient descent:
#
# - start from `w = Value(0.0)` and `b = Value(0.0)`;
# - then, `steps` times: predictions `w * x + b` for **all** the `xs`, the
#   loss `mse_loss(predictions, ys)`, zero the gradients of `w` and `b`,
#   `backward`, append `loss.data` to a list `losses` (the loss *before* this
#   step's update), and `sgd_step([w, b], lr)`;
# - return `(w.data, b.data, losses)`: two floats and a list of `steps`
#   floats.

# %% tags=["solution"]
def fit_line(xs, ys, steps, lr):
    """Fits y = w * x + b by gradient descent from w = b = 0; returns (w, b, losses) as floats."""
    ### BEGIN SOLUTION
    w, b = Value(0.0), Value(0.0)
    losses = []
    for _ in range(steps):
        preds = [w * x + b for x in xs]
        loss = mse_loss(preds, ys)
        zero_grad([w, b])
        backward(loss)
        losses.append(loss.data)
        sgd_step([w, b], lr)
    return w.data, b.data, losses
    ### END SOLUTION

# %% [markdown]
# ### Check Task C

# %% tags=["checks:fit_line"]
# fit_line calls your mse_loss and sgd_step: first make sure they do their part
probe = [Value(1.0), Value(3.0)]
probe_loss = mse_loss(probe, [2.0, 2.0])
assert isinstance(probe_loss, Value) and math.isclose(probe_loss.data, 1.0), \
    "mse_loss is not right yet: make the check of Task A pass first, then run this check again"
backward(probe_loss)
sgd_step(probe, 0.5)
assert all(math.isclose(p.data, want) for p, want in zip(probe, [1.5, 2.5], strict=True)), \
    "mse_loss's gradients or sgd_step are not right yet: make the checks of Tasks A and B pass first"

xs = [-1.0, 0.0, 1.0, 2.0]
ys = [2 * x + 1 for x in xs]          # the line y = 2x + 1, without noise
fitted_w, fitted_b, line_losses = fit_line(xs, ys, 200, 0.1)
assert isinstance(line_losses, list) and len(line_losses) == 200, "fit_line should return one loss per step"
assert all(isinstance(v, float) for v in [fitted_w, fitted_b, *line_losses]), \
    "fit_line should return plain floats: w.data, b.data and loss.data, not Values"
assert math.isclose(line_losses[0], sum(y * y for y in ys) / len(ys)), \
    "the first loss should be the loss at w = b = 0, recorded before the first update"
assert all(later <= earlier for earlier, later in pairwise(line_losses)), \
    "with this small learning rate the loss should never go up"
assert abs(fitted_w - 2.0) < 1e-3 and abs(fitted_b - 1.0) < 1e-3, "after 200 steps w should be near 2 and b near 1"

# two steps by hand, on plain floats: gradients of the mean squared error
hand_w = hand_b = 0.0
hand_losses = []
for _ in range(2):
    errors = [hand_w * x + hand_b - y for x, y in zip(xs, ys, strict=True)]
    hand_losses.append(sum(e * e for e in errors) / len(xs))
    grad_w = sum(2 * e * x for e, x in zip(errors, xs, strict=True)) / len(xs)
    grad_b = sum(2 * e for e in errors) / len(xs)
    hand_w, hand_b = hand_w - 0.1 * grad_w, hand_b - 0.1 * grad_b
two_w, two_b, two_losses = fit_line(xs, ys, 2, 0.1)
assert math.isclose(two_losses[1], hand_losses[1]), \
    "the second loss is off: are the gradients zeroed before every backward?"
assert math.isclose(two_w, hand_w) and math.isclose(two_b, hand_b), "after two steps w and b are off"
print("fit_line checks passed")

# %% [markdown]
# **Q2 (auto-graded, 5 points).** Suppose `fit_line` never called `zero_grad`.
# What would happen?
#
# - **a.** Nothing: `backward` overwrites `grad` with the new gradient each
#   time.
# - **b.** Each `backward` adds the new gradient to the old ones, so every
#   update uses the sum of all gradients so far: the steps keep growing, the
#   parameters overshoot and the loss stops falling steadily.
# - **c.** The second call to `backward` raises an error because the
#   parameters already have a gradient.
# - **d.** The gradients of `w` and `b` stay at zero after the first step, so
#   the line stops moving.
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
# ## 5. Adam: a step size for every parameter
#
# Plain gradient descent has two weaknesses that matter for a GPT.
#
# - **One learning rate for very different parameters.** The step is
#   `lr * grad`, so a parameter with large gradients takes large steps and
#   one with tiny gradients barely moves. In a GPT, gradients of different
#   parameters differ by orders of magnitude; a learning rate safe for the
#   steepest one is far too small for the rest.
# - **Noisy gradients.** The GPT of A7 trains on one name per step. Each
#   step's gradient is computed from one example, so it points roughly, not
#   exactly, downhill, and it changes from step to step.
#
# **Adam** (Kingma and Ba, 2015) keeps two running averages per parameter,
# in lists `m` and `v` that live as long as the training run:
#
# ```text
# m[i] = beta1 * m[i] + (1 - beta1) * g          # the mean of recent gradients   ("momentum")
# v[i] = beta2 * v[i] + (1 - beta2) * g ** 2     # the mean of recent squared gradients
# ```
#
# and then steps by
#
# $$p \mathrel{-}= \text{lr} \cdot \frac{\hat m}{\sqrt{\hat v} + \varepsilon}$$
#
# - `m` averages away the noise: with `beta1 = 0.85` it mostly remembers the
#   last 1 / (1 - 0.85) ≈ 7 gradients, so a direction that keeps coming back
#   builds up and random wiggles cancel out.
# - `v` measures the typical *size* of the gradient (over the last
#   1 / (1 - 0.99) = 100 steps, with `beta2 = 0.99`). Dividing by its square
#   root makes the step **independent of the gradient's scale**: a parameter
#   whose gradients are always around 0.001 moves as fast as one whose
#   gradients are around 100. A steady gradient moves a parameter by `lr`
#   per step, whatever the units. A step can be larger when the gradient
#   suddenly grows, because `m` (short memory) follows the jump faster than
#   `v` (long memory): up to about 1.5 `lr` with these betas, since
#   (1 − 0.85) / √(1 − 0.99) = 1.5. The cell after the next one measures
#   both cases.
# - `eps = 1e-8` only prevents a division by zero when a gradient has been 0
#   so far. It is added **after** the square root.
#
# ### Bias correction
#
# `m` and `v` start at 0. After the first step, `m = (1 - beta1) * g = 0.15 g`:
# a gradient average that is far too small, only because it was averaged
# with the zeros it started from. The fix is exact: after `t` updates, the
# weights given to real gradients add up to `1 - beta1 ** t`, so divide by
# that:
#
# ```text
# m_hat = m[i] / (1 - beta1 ** t)       v_hat = v[i] / (1 - beta2 ** t)       with t = step + 1
# ```
#
# `step` counts from 0, so the first update uses `t = 1` (and `1 - beta1 ** 0`
# would be a division by zero). Watch the correction at work, on plain floats,
# with a gradient that is always exactly 1:

# %%
beta1_demo, beta2_demo = 0.85, 0.99
m_demo = v_demo = 0.0
print("step   m (raw)   m_hat    v (raw)   v_hat")
for step in range(6):
    m_demo = beta1_demo * m_demo + (1 - beta1_demo) * 1.0
    v_demo = beta2_demo * v_demo + (1 - beta2_demo) * 1.0 ** 2
    m_hat_demo = m_demo / (1 - beta1_demo ** (step + 1))
    v_hat_demo = v_demo / (1 - beta2_demo ** (step + 1))
    print(f"{step:4d}   {m_demo:7.4f}   {m_hat_demo:6.4f}   {v_demo:7.4f}   {v_hat_demo:6.4f}")

# %% [markdown]
# How far does one step move a parameter, in units of `lr`? Here is the
# step size `m_hat / (sqrt(v_hat) + eps)` along 500 steps of a steady
# gradient, and along 500 steps of a tiny gradient (0.001) followed by a
# sudden gradient of 1:


# %%
def largest_step(gradients, beta1=0.85, beta2=0.99, eps=1e-8):
    """The largest |m_hat / (sqrt(v_hat) + eps)| along a run of gradients: Adam's step in units of lr."""
    m_run = v_run = largest = 0.0
    for step, g in enumerate(gradients):
        m_run = beta1 * m_run + (1 - beta1) * g
        v_run = beta2 * v_run + (1 - beta2) * g * g
        m_hat_run, v_hat_run = m_run / (1 - beta1 ** (step + 1)), v_run / (1 - beta2 ** (step + 1))
        largest = max(largest, abs(m_hat_run) / (math.sqrt(v_hat_run) + eps))
    return largest


print(f"steady gradient 1.0:           largest step {largest_step([1.0] * 500):.3f} lr")
print(f"0.001 for 500 steps, then 1.0: largest step {largest_step([0.001] * 500 + [1.0]):.3f} lr")

# %% [markdown]
# The raw `v` starts at 0.01 for a gradient of size 1: without correction, the
# first steps would divide by `sqrt(0.01) = 0.1` instead of 1 and be far too
# large. The corrected `m_hat` and `v_hat` are exactly 1 from the first step on.
#
# **Task D (20 points).** Write
# `adam_step(params, m, v, step, lr, beta1=0.85, beta2=0.99, eps=1e-8)`: one
# Adam update of every parameter, with bias correction.
#
# - `m` and `v` are lists of floats, one per parameter (all `0.0` before the
#   first step). Update them **in place** (`m[i] = ...`): the caller keeps
#   the same lists from step to step, so a new list made inside the function
#   would be lost.
# - `step` counts from 0: the first call has `step = 0`.
# - `lr` is the learning rate to use for this step (already decayed, if the
#   caller uses a schedule).
# - Update each parameter's `data` in place, as in `sgd_step`. Use the
#   `beta1`, `beta2` and `eps` you are given (the defaults are the reference
#   GPT's).

# %% tags=["solution"]
def adam_step(params, m, v, step, lr, beta1=0.85, beta2=0.99, eps=1e-8):
    """One Adam update with bias correction; m and v (lists of floats) are updated in place."""
    ### BEGIN SOLUTION
    for i, param in enumerate(params):
        m[i] = beta1 * m[i] + (1 - beta1) * param.grad
        v[i] = beta2 * v[i] + (1 - beta2) * param.grad ** 2
        m_hat = m[i] / (1 - beta1 ** (step + 1))
        v_hat = v[i] / (1 - beta2 ** (step + 1))
        param.data -= lr * m_hat / (v_hat ** 0.5 + eps)
    ### END SOLUTION

# %% [markdown]
# ### Check Task D

# %% tags=["checks:adam_step"]
params = [Value(1.0), Value(-1.0), Value(0.0), Value(2.0)]
for param, g in zip(params, [2.0, -0.001, 0.0, 1e-5], strict=True):
    param.grad = g
m, v = [0.0] * 4, [0.0] * 4
adam_step(params, m, v, 0, 0.01)
assert all(isinstance(x, float) for x in m + v), "m and v should be lists of plain floats, updated in place"
assert math.isclose(m[0], 0.15 * 2.0) and math.isclose(v[0], 0.01 * 2.0 ** 2), \
    "m and v were not updated in place: m[i] = beta1 * m[i] + (1 - beta1) * g, v likewise with g ** 2"
assert math.isclose(params[0].data, 0.99, abs_tol=1e-6), \
    "the first step should move a parameter by about lr against its gradient (bias-corrected)"
assert params[2].data == 0.0, "a parameter whose gradient is 0 should not move"
assert not 1.99 + 1e-4 < params[3].data < 2.0, \
    "with a tiny gradient (1e-5) the step is far smaller than lr: eps belongs AFTER the square root, " \
    "sqrt(v_hat) + eps, not inside it"
assert 1.99 < params[3].data < 1.9901, "with a tiny gradient the step is still about lr: sqrt(v_hat) + eps"
assert math.isclose(params[1].data, -0.99, abs_tol=1e-6), \
    "the first step moves a parameter by about lr whatever the size of its gradient"

# a second step, compared with the formulas written out on plain floats
grads_two = [0.5, 0.02, -3.0, 1e-5]
expected = []
for i, (param, g) in enumerate(zip(params, grads_two, strict=True)):
    m_i = 0.85 * m[i] + 0.15 * g
    v_i = 0.99 * v[i] + 0.01 * g * g
    m_hat, v_hat = m_i / (1 - 0.85 ** 2), v_i / (1 - 0.99 ** 2)
    expected.append(param.data - 0.005 * m_hat / (math.sqrt(v_hat) + 1e-8))
    param.grad = g
adam_step(params, m, v, 1, 0.005)
for param, want in zip(params, expected, strict=True):
    assert math.isclose(param.data, want, rel_tol=1e-9, abs_tol=1e-12), \
        "the second step (step=1) is off: check the bias correction 1 - beta ** (step + 1)"
print("adam_step checks passed")

# %% [markdown]
# **Q3 (auto-graded, 5 points).** A parameter holds `0.5` and its gradient is
# `-0.003`. It has never been updated (`m` and `v` are 0). What is its `data`
# after one `adam_step` with `step=0`, `lr=0.01` and the default `beta1`,
# `beta2` and `eps`? Work it out on paper first (what are `m_hat` and
# `v_hat`?), then confirm with your code. Set `ANSWER_Q3` to a float,
# rounded to 4 decimal places.

# %% tags=["solution"]
# ANSWER_Q3 = a float, e.g. 0.1234
### BEGIN SOLUTION
ANSWER_Q3 = 0.51
### END SOLUTION

# %% tags=["checks:q3"]
assert "ANSWER_Q3" in globals(), "set ANSWER_Q3 in the cell above (replace the raise line) and run it"
assert isinstance(ANSWER_Q3, (int, float)) and not isinstance(ANSWER_Q3, bool), "ANSWER_Q3 should be a number"
assert 0.0 < ANSWER_Q3 < 1.0, "the parameter starts at 0.5 and one Adam step moves it by about lr"
print("q3 format checks passed")

# %% [markdown]
# **SA3 (short answer, 3 points).** What do Adam's `m` and `v` keep track of?
# Explain why dividing by `sqrt(v_hat)` makes the size of a step roughly
# independent of how large a parameter's gradients are, and why that matters
# in a GPT, whose parameters have gradients of very different sizes.

# %% [markdown] tags=["manual:sa3"]
# ### BEGIN SOLUTION
# m is an exponential moving average of the parameter's recent gradients (its
# direction, with noise averaged out: momentum); v is an exponential moving
# average of the squared gradients, i.e. their typical magnitude. If all
# gradients of a parameter are multiplied by a factor c, m_hat scales by c and
# sqrt(v_hat) also scales by |c|, so the ratio m_hat / sqrt(v_hat), and hence
# the step, stays the same: its size is about lr for a steady gradient (up
# to about 1.5 lr right after a sudden jump) and depends on how *consistent*
# the gradient's sign is, not on its scale. In a GPT, gradients
# of embeddings, attention weights and output weights can differ by orders of
# magnitude; with SGD a single lr would be too large for some (divergence) and
# too small for others (no progress). Adam gives every parameter its own
# effective step size, so one learning rate (0.01 for our GPT) works for all
# of them.
# ### END SOLUTION

# %% [markdown]
# **SA4 (short answer, 3 points).** What would go wrong in the first steps of
# training without bias correction? Compute the size of the very first update
# (in units of `lr`) without it, with the default betas, and explain why the
# correction matters for `v` much longer than for `m`.

# %% [markdown] tags=["manual:sa4"]
# ### BEGIN SOLUTION
# m and v start at 0, so early on they are averages dominated by those zeros:
# too small. Without correction the first update is
# lr * (1 - beta1) g / sqrt((1 - beta2) g^2) = lr * 0.15 / 0.1 = 1.5 lr (in the
# direction against g), i.e. 1.5 times too large, and because v stays too
# small relative to m during the first steps the early steps stay too large
# (a gradient that changes sign is also distorted). The bias correction
# divides by 1 - beta^t, exactly the total weight given to real gradients,
# which makes the first step exactly about lr. The correction factor
# 1 - beta^t approaches 1 after a few multiples of 1 / (1 - beta) steps: for
# m (beta1 = 0.85) it is 0.8 after 10 steps and negligible after ~30, but for
# v (beta2 = 0.99) it is only 0.1 after 10 steps and 0.63 after 100, so
# without correction v would be badly underestimated (and the steps too
# large) for hundreds of steps, a large part of a 1,000-step GPT run.
# ### END SOLUTION

# %% [markdown]
# ### SGD and Adam side by side *(not run by the grader)*
#
# Fit a line whose inputs are large: `x` between 0 and 100, `y = 0.03 x + 2`.
# The gradient for `w` is about 100 times larger than the one for `b` (it is
# multiplied by `x`). Gradient descent must use a learning rate small enough
# for `w`, and then `b` crawls; Adam gives each its own step size. Run this
# cell once `sgd_step`, `mse_loss` and `adam_step` pass their checks.

# %% tags=["heavy"]
demo_rng = random.Random(4)
big_xs = [demo_rng.uniform(0, 100) for _ in range(20)]
big_ys = [0.03 * x + 2 for x in big_xs]


def train_line(update, steps=300):
    """Fits the line with the given update(params, step); returns the final (w, b, loss)."""
    w_line, b_line = Value(0.0), Value(0.0)
    for step in range(steps):
        loss = mse_loss([w_line * x + b_line for x in big_xs], big_ys)
        zero_grad([w_line, b_line])
        backward(loss)
        update([w_line, b_line], step)
    return w_line.data, b_line.data, loss.data


adam_state = ([0.0, 0.0], [0.0, 0.0])
for name, update in [("SGD,  lr 0.0002", lambda ps, step: sgd_step(ps, 0.0002)),
                     ("Adam, lr 0.05  ", lambda ps, step: adam_step(ps, *adam_state, step, 0.05))]:
    w_end, b_end, loss_end = train_line(update)
    print(f"{name}: w = {w_end:.4f}  b = {b_end:.4f}  loss = {loss_end:.5f}   (target: w = 0.03, b = 2)")

# %% [markdown]
# After 300 steps SGD is still far off: `b` has hardly left 0, and `w`, to
# make up for it, is too steep. A larger learning rate would help `b` but make
# `w` diverge. Adam moves both at their own pace and finds the line.

# %% [markdown]
# ## 6. A learning-rate schedule: linear decay
#
# Early in training the parameters are far from good values: big steps make
# fast progress. Late in training, big steps become a problem: with noisy
# gradients (one name per step) a constant learning rate keeps the parameters
# jumping around near a good point instead of settling into it. The
# reference GPT therefore **decays** its learning rate linearly, from the full
# `lr` at the first step towards 0 at the end of the run:
#
# $$\text{lr}_\text{step} = \text{lr} \cdot \left(1 - \frac{\text{step}}{\text{num\_steps}}\right),
# \qquad \text{step} = 0, 1, \dots, \text{num\_steps} - 1$$
#
# Step 0 uses the full `lr`; the last step, `num_steps - 1`, uses
# `lr / num_steps`, small but not zero (a step with learning rate 0 would be
# wasted).
#
# **Task E (6 points).** Write `linear_decay(lr, step, num_steps)` and return
# that learning rate as a plain float.

# %% tags=["solution"]
def linear_decay(lr, step, num_steps):
    """The learning rate for this step: lr * (1 - step / num_steps), with step counted from 0."""
    ### BEGIN SOLUTION
    return lr * (1 - step / num_steps)
    ### END SOLUTION

# %% [markdown]
# ### Check Task E

# %% tags=["checks:linear_decay"]
assert isinstance(linear_decay(0.01, 0, 100), float), "linear_decay should return a plain float"
assert linear_decay(0.01, 0, 100) == 0.01, "the first step (step 0) uses the full learning rate"
assert math.isclose(linear_decay(0.01, 50, 100), 0.005), "half-way through, the learning rate is halved"
assert math.isclose(linear_decay(0.01, 99, 100), 0.0001), "the last step (step 99 of 100) uses lr / num_steps"
assert math.isclose(linear_decay(0.5, 3, 4), 0.125), "linear_decay(0.5, 3, 4) = 0.5 * (1 - 3/4)"
print("linear_decay checks passed")

# %% [markdown]
# **SA5 (short answer, 3 points).** Why does the reference GPT decay its
# learning rate instead of keeping it constant? Describe what a constant
# learning rate does near the end of a run in which every step sees a single
# name, and what the decay changes. Why not simply use the small final
# learning rate from the start?

# %% [markdown] tags=["manual:sa5"]
# ### BEGIN SOLUTION
# Each step's gradient comes from one name, so it is noisy: it points downhill
# only on average. With a constant learning rate the parameters keep taking
# steps of the same size in these noisy directions, so near the end they
# bounce around a good region of the loss instead of settling in it, and the
# final parameters (and the loss) depend on the last few names seen. Decaying
# the learning rate shrinks the steps as training proceeds: the noise is
# averaged out over many small steps and the parameters settle close to a
# low-loss point (lower final and held-out loss). A small learning rate from
# the start would make very slow progress early on, when the parameters are
# far from good values and large steps are both safe and useful; with a fixed
# budget of steps training would end far from the minimum. Linear decay gets
# both: big steps early, small steps late.
# ### END SOLUTION

# %% [markdown]
# ## 7. Milestone: a network learns XOR (10 points)
#
# Time to train something that needs more than a straight line. The data:
# points in four clusters around (1, 1), (-1, -1), (1, -1) and (-1, 1); the
# label is **+1** where x and y have the same sign and **-1** where they
# differ. This is the XOR pattern. No straight line can separate it: any line
# puts at least one cluster on the wrong side, so a linear model is stuck at
# about 75% accuracy.
#
# The cell below provides the data, a small **MLP** (multi-layer
# perceptron: a layer of `HIDDEN` relu units, then a weighted sum of them) and
# a training function, `train_mlp`, that uses **your** `mse_loss`,
# `adam_step` and `linear_decay`. All the model's parameters live in one
# flat list of `Value`s.
#
# One detail worth noticing is in `init_mlp`: the hidden units' weight
# vectors start pointing in directions spread evenly around the circle. If
# they all started alike, they would all receive the same gradient and stay
# alike forever (each unit would learn the same thing); different starting
# points "break the symmetry". Random initialisation does the same job, with
# a little more luck involved.

# %%
HIDDEN = 8  # hidden relu units


def make_xor_data(n, seed, spread=0.3):
    """n points, in turn from the clusters at (1, 1), (-1, -1), (1, -1), (-1, 1); label +1 if x * y > 0."""
    rng = random.Random(seed)
    corners = [(1, 1), (-1, -1), (1, -1), (-1, 1)]
    points, labels = [], []
    for i in range(n):
        cx, cy = corners[i % 4]
        points.append((cx + rng.gauss(0, spread), cy + rng.gauss(0, spread)))
        labels.append(float(cx * cy))
    return points, labels


def init_mlp(seed, hidden=HIDDEN):
    """The parameters of a 2 -> hidden -> 1 MLP as one flat list of Values.

    Layout: hidden rows of 2 input weights, then hidden biases, then hidden
    output weights, then the output bias.
    """
    rng = random.Random(seed)
    weights_in = []
    for j in range(hidden):
        angle = 2 * math.pi * (j + rng.random()) / hidden  # directions spread around the circle
        weights_in += [math.cos(angle), math.sin(angle)]
    weights_out = [rng.gauss(0, 0.1) for _ in range(hidden)]  # small: the untrained network says about 0
    return [Value(x) for x in weights_in + [0.0] * hidden + weights_out + [0.0]]


def mlp(params, point):
    """The network's score for one point (a pair of numbers): positive means label +1."""
    hidden = (len(params) - 1) // 4
    weights_in, biases = params[:2 * hidden], params[2 * hidden:3 * hidden]
    weights_out, bias_out = params[3 * hidden:4 * hidden], params[4 * hidden]
    score = bias_out
    for j in range(hidden):
        unit = (weights_in[2 * j] * point[0] + weights_in[2 * j + 1] * point[1] + biases[j]).relu()
        score = score + weights_out[j] * unit
    return score


def train_mlp(points, labels, steps=40, lr=0.05, seed=0, hidden=HIDDEN):
    """Trains a fresh MLP with your mse_loss, adam_step and linear_decay.

    Returns (the trained parameters as plain floats, the loss of every step).
    """
    params = init_mlp(seed, hidden)
    m, v = [0.0] * len(params), [0.0] * len(params)
    losses = []
    for step in range(steps):
        loss = mse_loss([mlp(params, point) for point in points], labels)
        zero_grad(params)
        backward(loss)
        adam_step(params, m, v, step, linear_decay(lr, step, steps))
        losses.append(loss.data)
    return [p.data for p in params], losses


def accuracy(trained, points, labels):
    """The fraction of points whose score has the sign of their label (trained: plain floats)."""
    params = [Value(x) for x in trained]
    right = 0
    for point, label in zip(points, labels, strict=True):
        right += (mlp(params, point).data > 0) == (label > 0)
    return right / len(points)

# %% [markdown]
# The checks below train the network on 40 points (a fraction of a second) and
# measure its accuracy on 400 **new** points it has never seen: a model that
# only memorised its training points would fail here. The grader runs the
# same training loop itself, on its own freshly drawn points and starting
# weights, calling your `mse_loss`, `adam_step` and `linear_decay`, and
# measures the accuracy with its own copy of the network's arithmetic: what
# counts is that your functions really train the network.

# %% tags=["checks:milestone"]
train_points, train_labels = make_xor_data(40, seed=1)
trained, mlp_losses = train_mlp(train_points, train_labels, steps=40, lr=0.05, seed=0)
test_points, test_labels = make_xor_data(400, seed=2)
test_accuracy = accuracy(trained, test_points, test_labels)
print(f"loss: {mlp_losses[0]:.4f} at the start, {mlp_losses[-1]:.4f} at the end;"
      f" accuracy on new points: {test_accuracy:.1%}")
uses = " (train_mlp uses your mse_loss, adam_step and linear_decay: make the checks of Tasks A, D and E pass first)"
assert len(mlp_losses) == 40 and mlp_losses[-1] < mlp_losses[0] / 2, \
    "the training loss should fall to well below half of where it started" + uses
assert test_accuracy >= 0.95, "the trained network should classify at least 95% of new points correctly" + uses
print("milestone checks passed")

# %% [markdown]
# ### Look at what it learned *(not run by the grader)*
#
# A longer run on wider clusters that overlap a little (more points, more
# hidden units, more steps: a few seconds), then a picture of the plane. Each
# character is one spot of the square from (-2, -2) to (2, 2): `+` where the
# network says +1, `.` where it says -1.
# Notice the shape: the relu units cut the plane with straight lines, and the
# output combines them into a region no single line could make.

# %% tags=["heavy"]
big_points, big_labels = make_xor_data(120, seed=3, spread=0.4)
big_trained, big_losses = train_mlp(big_points, big_labels, steps=80, lr=0.05, seed=1, hidden=12)
fresh_points, fresh_labels = make_xor_data(1000, seed=4, spread=0.4)
print(f"final loss {big_losses[-1]:.4f}, accuracy on 1000 new points: "
      f"{accuracy(big_trained, fresh_points, fresh_labels):.1%}")
picture_params = [Value(x) for x in big_trained]
for row in range(12):
    y_spot = 2 - 4 * (row + 0.5) / 12
    print("".join("+" if mlp(picture_params, (-2 + 4 * (col + 0.5) / 36, y_spot)).data > 0 else "."
                  for col in range(36)))

# %% [markdown]
# ## What's next
#
# You now have every piece of a training run: a loss, gradients from
# `backward`, an optimiser with a schedule, and a loop that ties them
# together. A GPT is trained with exactly this loop and exactly this Adam;
# what changes is the model and the loss. In **A5** the inputs become
# **tokens**: letters turned into vectors by embedding tables, mixed by
# matrices, and turned into probabilities by a softmax, with the
# cross-entropy loss in place of the squared error. The first model you will
# train with your `adam_step` there is a bigram language model of names.
