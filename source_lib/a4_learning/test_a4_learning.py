"""Hidden tests for a4_learning: losses, gradient descent, Adam and a training loop.

These tests run on the trusted side. `student` calls into the student's
process and every number compared here comes back as plain data. Expected
values come from the plain-float reference code in this module (SGD, Adam,
the line fit, the MLP's forward pass), never from the student's code;
fit_line may also agree with its own loop replayed from here with the
student's mse_loss and sgd_step, whose mistakes cost points only on their own
checkpoints. Each docstring is the feedback line a student reads when the
test fails; the assertion messages speak to the student and never contain
expected values or hidden inputs.
"""
import math
import re
from itertools import pairwise

import numpy as np
import pytest

from autograder.sandbox import StudentRaised
from autograder.suite.questions import test_checkpoint_question  # noqa: F401 (rubric.toml's questions)
from autograder.suite.student_side import (
    as_values,
    line_predictions,
    read_data,
    read_grads,
    set_grads,
    squared_distance,
)
from autograder.suite.trusted import Dual, close, diagnose_only_fit, is_number, is_value, patterns_that_fit, signed

mse = pytest.mark.checkpoint("mse_loss")
sgd = pytest.mark.checkpoint("sgd_step")
fit = pytest.mark.checkpoint("fit_line")
adam = pytest.mark.checkpoint("adam_step")
decay = pytest.mark.checkpoint("linear_decay")
milestone = pytest.mark.checkpoint("milestone")

BETA1, BETA2, EPS = 0.85, 0.99, 1e-8  # the reference GPT's Adam constants
HIDDEN = 8  # hidden units of the milestone's MLP


# ------------------------------------------------------------ Task A: mse_loss

def mse_case(rng, n):
    preds = [round(float(rng.uniform(-3, 3)), 4) for _ in range(n)]
    targets = [round(float(rng.uniform(-3, 3)), 4) for _ in range(n)]
    return preds, targets


def mean_squared(preds, targets):
    return sum((p - t) ** 2 for p, t in zip(preds, targets, strict=True)) / len(preds)


def diagnose_mse_value(diagnose, got, preds, targets):
    """Records which wrong version of the mean squared error the loss's value matches, if any."""
    want = mean_squared(preds, targets)
    if close(got, want):
        return
    if len(preds) > 1 and close(got, want * len(preds)):
        diagnose("mse-sum-not-mean")
    elif got == 0:
        diagnose("mse-error-is-zero")
    elif want != 0 and close(got, 1 / want):
        diagnose("mse-upside-down")


def check_mse_number(student, loss, preds, targets, diagnose):
    if is_number(loss):
        diagnose_mse_value(diagnose, loss, preds, targets)
    assert is_value(student, loss), "mse_loss should return one Value node, not a float or a list"
    got = loss.data
    want = mean_squared(preds, targets)
    diagnose_mse_value(diagnose, got, preds, targets)
    assert close(got, want), "mse_loss has the wrong value: it should be the mean of (pred - target) ** 2"


@mse
def test_mse_is_the_mean_of_the_squared_errors(student, rng, diagnose):
    """mse_loss(preds, targets).data is the mean of (pred - target) ** 2, for several lengths."""
    cases = [([1.0, 2.0, -1.0], [0.0, 2.0, 1.0])]
    cases += [mse_case(rng, n) for n in (2, int(rng.integers(4, 9)), int(rng.integers(10, 16)))]
    for preds, targets in cases:
        loss = student.mse_loss(student.define(as_values)(preds), targets)
        check_mse_number(student, loss, preds, targets, diagnose)


@mse
def test_mse_of_one_pair_is_its_squared_error(student, rng, diagnose):
    """With a single prediction the loss is (pred - target) ** 2, also for integer targets."""
    for target in (int(rng.integers(-3, 4)), float(rng.uniform(-2, 2))):
        pred = signed(rng, 0.5, 3.0)
        loss = student.mse_loss(student.define(as_values)([pred]), [target])
        check_mse_number(student, loss, [pred], [target], diagnose)


@mse
def test_mse_gradients_reach_every_prediction(student, rng, diagnose):
    """backward(mse_loss(...)) gives each prediction the gradient 2 * (pred - target) / n."""
    preds, targets = mse_case(rng, int(rng.integers(3, 8)))
    pred_values = student.define(as_values)(preds)
    loss = student.mse_loss(pred_values, targets)
    assert is_value(student, loss), "mse_loss should return one Value node, not a float or a list"
    student.backward(loss)
    grads = student.define(read_grads)(pred_values)
    n = len(preds)
    want = [2 * (p - t) / n for p, t in zip(preds, targets, strict=True)]
    if all(g == 0 for g in grads if is_number(g)) and close(loss.data, mean_squared(preds, targets)):
        diagnose("mse-detached")
    elif close(grads, [w * n for w in want], rel=1e-7):
        diagnose("mse-sum-not-mean")
    assert close(grads, want, rel=1e-7), \
        "after backward(loss) the predictions' gradients are wrong: build the loss from the predictions " \
        "with Value operations, and divide by the number of pairs"


@mse
def test_mse_gradients_reach_the_parameters_of_a_model(student, rng, diagnose):
    """For predictions w * x + b, backward(mse_loss(...)) gives w and b the gradients of the mean squared error."""
    w0, b0 = signed(rng, 0.2, 2.0), signed(rng, 0.2, 2.0)
    xs = [round(float(x), 3) for x in rng.uniform(-2, 2, int(rng.integers(4, 9)))]
    ys = [round(float(y), 3) for y in rng.uniform(-3, 3, len(xs))]
    w, b = student.define(as_values)([w0, b0])
    preds = student.define(line_predictions)(w, b, xs)
    loss = student.mse_loss(preds, ys)
    assert is_value(student, loss), "mse_loss should return one Value node, not a float or a list"
    student.backward(loss)
    errors = [w0 * x + b0 - y for x, y in zip(xs, ys, strict=True)]
    want_w = sum(2 * e * x for e, x in zip(errors, xs, strict=True)) / len(xs)
    want_b = sum(2 * e for e in errors) / len(xs)
    got_w, got_b = student.define(read_grads)([w, b])
    if got_w == 0 and got_b == 0 and close(loss.data, sum(e * e for e in errors) / len(xs)):
        diagnose("mse-detached")
    assert close(got_w, want_w, rel=1e-7, abs_tol=1e-9) and close(got_b, want_b, rel=1e-7, abs_tol=1e-9), \
        "the gradients of a model's parameters through mse_loss are wrong"


@mse
def test_mse_leaves_the_predictions_unchanged(student, rng):
    """mse_loss reads the predictions without changing their data or their gradients."""
    preds, targets = mse_case(rng, 4)
    pred_values = student.define(as_values)(preds)
    student.mse_loss(pred_values, targets)
    assert student.define(read_data)(pred_values) == preds, "mse_loss must not change the predictions' data"
    assert student.define(read_grads)(pred_values) == [0.0] * 4, \
        "mse_loss must not touch the predictions' gradients"


# ------------------------------------------------------------ Task B: sgd_step

def sgd_reference(data, grads, lr):
    return [p - lr * g for p, g in zip(data, grads, strict=True)]


def random_params(rng, n):
    return [signed(rng, 0.1, 3.0) for _ in range(n)]


def random_grads(rng, n):
    return [signed(rng, 0.01, 2.0) for _ in range(n)]


def check_sgd(student, params, start, grads, lr, diagnose):
    """Compares the parameters after one sgd_step with the trusted reference."""
    got = student.define(read_data)(params)
    if close(got, sgd_reference(start, grads, -lr)):
        diagnose("sgd-sign-flipped")
    elif close(got, [lr * g for g in grads]):
        diagnose("sgd-overwrites")
    elif got == start:
        diagnose("sgd-not-in-place")
    assert close(got, sgd_reference(start, grads, lr)), \
        "after sgd_step each parameter should be p.data - lr * p.grad (changed in place)"


@sgd
def test_sgd_one_step_matches_the_reference(student, rng, diagnose):
    """One sgd_step moves every parameter by -lr * grad."""
    n = int(rng.integers(3, 8))
    start, grads, lr = random_params(rng, n), random_grads(rng, n), float(rng.uniform(0.01, 0.5))
    params = student.define(as_values)(start)
    student.define(set_grads)(params, grads)
    student.sgd_step(params, lr)
    check_sgd(student, params, start, grads, lr, diagnose)


@sgd
def test_sgd_updates_the_same_value_objects(student, rng, diagnose):
    """sgd_step changes the Values in the list it is given and keeps those very objects in it."""
    start, grads = random_params(rng, 4), random_grads(rng, 4)
    params = student.define(as_values)(start)
    student.define(set_grads)(params, grads)
    held = student.hold(params)  # the list itself lives in the student's process
    student.sgd_step(held, 0.1)
    after = held.copy()
    if after != params:
        diagnose("sgd-not-in-place")
    assert after == params, "sgd_step should change the parameters' .data, not put new Values in the list"
    check_sgd(student, params, start, grads, 0.1, diagnose)


@sgd
def test_sgd_several_steps_match_the_reference(student, rng, diagnose):
    """Five sgd_steps in a row, with new gradients and learning rates, follow the reference step by step."""
    data = random_params(rng, 5)
    params = student.define(as_values)(data)
    for _ in range(5):
        grads, lr = random_grads(rng, 5), float(rng.uniform(0.01, 0.3))
        student.define(set_grads)(params, grads)
        student.sgd_step(params, lr)
        check_sgd(student, params, data, grads, lr, diagnose)
        data = sgd_reference(data, grads, lr)


@sgd
def test_sgd_zero_gradient_or_zero_lr_changes_nothing(student, rng):
    """A parameter with gradient 0 does not move, and lr = 0 moves nothing."""
    start = random_params(rng, 3)
    params = student.define(as_values)(start)
    student.define(set_grads)(params, [0.0, 0.0, 0.0])
    student.sgd_step(params, 0.5)
    assert student.define(read_data)(params) == start, "a parameter whose gradient is 0 should not move"
    student.define(set_grads)(params, random_grads(rng, 3))
    student.sgd_step(params, 0.0)
    assert student.define(read_data)(params) == start, "with lr = 0 no parameter should move"


@sgd
def test_sgd_lowers_a_loss(student, rng):
    """Twenty steps of zero_grad, backward and sgd_step on a quadratic loss lower it at every step."""
    targets = [signed(rng, 0.5, 2.0) for _ in range(3)]
    params = student.define(as_values)([0.0, 0.0, 0.0])
    quadratic = student.define(squared_distance)
    losses = []
    for _ in range(20):
        student.zero_grad(params)
        loss = quadratic(params, targets)
        student.backward(loss)
        losses.append(loss.data)
        student.sgd_step(params, 0.1)
    assert all(is_number(x) for x in losses) and all(b < a for a, b in pairwise(losses)), \
        "gradient descent with a small learning rate should lower this loss at every step"


# ------------------------------------------------------------ Task C: fit_line

def line(w, b, x):
    return w * x + b


def fit_line_reference(xs, ys, steps, lr, zeroed=(0, 1), updated=(0, 1), predict=line):
    """Plain-float gradient descent on the mean squared error of y = w x + b, from w = b = 0.

    The gradients are exact, by forward mode. Other arguments are the known
    mistakes, for diagnosis: `zeroed` lists the parameters (0 for w, 1 for b)
    whose gradient is zeroed before each backward (backward adds into the
    others), `updated` the parameters sgd_step is given, `predict` the model.
    """
    params, grads, losses = [0.0, 0.0], [0.0, 0.0], []
    for _ in range(steps):
        for i in range(2):
            seeded = [Dual(p, 1.0 if j == i else 0.0) for j, p in enumerate(params)]
            loss = sum(((predict(*seeded, x) - y) ** 2 for x, y in zip(xs, ys, strict=True)), Dual(0.0)) / len(xs)
            grads[i] = loss.der + (0.0 if i in zeroed else grads[i])
        losses.append(loss.val)
        for i in updated:
            params[i] -= lr * grads[i]
    return params[0], params[1], losses


FIT_SLIPS = [  # (symptom, what fit_line did instead: fit_line_reference's arguments)
    ("fit-grads-not-zeroed", {"zeroed": ()}),
    *(("fit-zeroes-one-parameter", {"zeroed": (i,)}) for i in (0, 1)),
    *(("fit-updates-one-parameter", {"updated": (i, i)}) for i in (0, 1)),
    *(("fit-model-mixed-up", {"predict": predict}) for predict in (
        lambda w, b, x: b * x + b, lambda w, b, x: x * x + b, lambda w, b, x: w * b + b,
        lambda w, b, x: w * w + b, lambda w, b, x: w * x + w, lambda w, b, x: w * x + x)),
    ("fit-data-mixed-up", {"inputs": "ys"}),
    ("fit-data-mixed-up", {"targets": "xs"}),
]


def fit_slip_run(xs, ys, steps, lr, inputs="xs", targets="ys", **slip):
    """The run of fit_line with one slip; None when it overflows (diverges beyond floats)."""
    data = {"xs": xs, "ys": ys}
    try:
        return fit_line_reference(data[inputs], data[targets], steps, lr, **slip)
    except OverflowError:
        return None


def replay_fit_line(student, xs, ys, steps, lr):
    """What a right fit_line returns with the student's own mse_loss and sgd_step: its loop, run from here.

    Predictions by the provided Value operations, the provided zero_grad and
    backward; w, b and each loss read back as data. A step that raises ends the
    run in nan, with (that step, the error) fourth; else None comes fourth.
    """
    w, b = student.define(as_values)([0.0, 0.0])
    losses = []
    try:
        for _ in range(steps):
            loss = student.mse_loss(student.define(line_predictions)(w, b, xs), ys)
            student.zero_grad([w, b])
            student.backward(loss)
            loss_data = loss.data
            student.sgd_step([w, b], lr)
            losses.append(loss_data)
    except (StudentRaised, AttributeError) as error:
        return math.nan, math.nan, losses + [math.nan] * (steps - len(losses)), (len(losses), fit_error(error))
    return (*student.define(read_data)([w, b]), losses, None)


def fit_error(error):
    """What a call raised, without the call's name ("" when unknown): one error in one notebook line reads the same."""
    found = re.search(r" (raised|reached code) .*", str(error))
    return found.group(0) if found else ""


def fit_error_of(function, *args):
    """What function(*args) raised, as fit_error() reads it ("" when it returned)."""
    try:
        function(*args)
    except StudentRaised as error:
        return fit_error(error)
    return ""


def fit_agrees(got, want):
    """Numbers within 1e-6 of each other; runs that diverge agree by nan and inf in the same places."""
    try:
        got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    except (TypeError, ValueError):
        return False
    return got.shape == want.shape and bool(np.allclose(got, want, rtol=1e-6, atol=1e-9, equal_nan=True))


def same_fit(got, run):
    """Whether fit_line's (w, b, losses) is the run given."""
    return fit_agrees(got[2], run[2]) and fit_agrees(got[:2], run[:2])


def fit_line_runs(student, got, xs, ys, steps, lr):
    """The trusted run and, when got is not it, the replay: mistakes of mse_loss or sgd_step cost points there only."""
    want = fit_line_reference(xs, ys, steps, lr)
    return [want] if same_fit(got, want) else [want, replay_fit_line(student, xs, ys, steps, lr)]


def line_data(rng, n, evenly=False):
    """Noisy points around a random line; evenly: xs spread over [-2, 2] (a well-conditioned fit)."""
    if evenly:
        xs = [round(float(x), 4) for x in np.linspace(-2, 2, n) + rng.uniform(-0.1, 0.1, n)]
    else:
        xs = [round(float(x), 4) for x in rng.uniform(-2, 2, n)]
    slope, intercept = signed(rng, 0.5, 3.0), signed(rng, 0.5, 3.0)
    ys = [round(slope * x + intercept + float(rng.normal(0, 0.3)), 4) for x in xs]
    return xs, ys


def run_fit_line(student, xs, ys, steps, lr):
    """Calls fit_line and returns (w, b, losses) as plain data (Values are read out).

    A fit_line that raises what its loop replayed with the student's own
    functions raises, at the same step, diverged alike: its run ends in nan too.
    """
    try:
        result = student.fit_line(xs, ys, steps, lr)
    except StudentRaised as error:
        step, failure = replay_fit_line(student, xs, ys, steps, lr)[3] or (0, "")
        alike = step and failure and failure == fit_error(error)
        if not (alike and fit_error_of(student.fit_line, xs, ys, step + 1, lr) == failure):
            raise
        return math.nan, math.nan, run_fit_line(student, xs, ys, step, lr)[2] + [math.nan] * (steps - step)
    assert isinstance(result, (tuple, list)) and len(result) == 3, "fit_line should return (w, b, losses)"
    w, b, losses = result
    w = w.data if is_value(student, w) else w
    b = b.data if is_value(student, b) else b
    assert is_number(w) and is_number(b), "fit_line should return w and b as floats (w.data, b.data)"
    assert isinstance(losses, list) and all(is_number(x) for x in losses), \
        "fit_line should return the losses as a list of floats (loss.data)"
    return w, b, losses


def loss_and_update_sound(student):
    """True when mse_loss gives the mean and its gradients and sgd_step updates in place.

    fit_line symptoms are only diagnosed when this holds, so that a broken loss
    or update is not reported as a mistake in the training loop.
    """
    try:
        params = student.define(as_values)([1.0, 3.0])
        student.backward(student.mse_loss(params, [2.0, 2.0]))
        student.sgd_step(params, 0.5)
        return close(student.define(read_data)(params), [1.5, 2.5])
    except Exception:
        return False


def diagnose_losses_count(diagnose, got, xs, ys, steps, lr):
    """Records why fit_line returned other than one loss per step: losses kept from earlier calls, or a loop
    that does not run steps times or does not append."""
    losses = got[2]
    if len(losses) > steps and fit_agrees(losses[-steps:], fit_line_reference(xs, ys, steps, lr)[2]):
        diagnose("fit-losses-kept")
    elif len(losses) in (0, steps - 1, steps + 1):
        diagnose("fit-losses-per-step")


def diagnose_fit(student, diagnose, got, xs, ys, steps, lr):
    """Names the mistake in fit_line's loop that gives exactly this run, if mse_loss and sgd_step are sound."""
    w, b, losses = got
    right = fit_line_reference(xs, ys, steps, lr)
    if len(losses) != steps:
        diagnose_losses_count(diagnose, got, xs, ys, steps, lr)
        return
    if same_fit(got, right):
        return
    fits = patterns_that_fit(got, right, [(symptom, fit_slip_run(xs, ys, steps, lr, **slip))
                                          for symptom, slip in FIT_SLIPS], same_fit)
    if steps > 1 and w == 0 and b == 0 and len(set(losses)) == 1:
        fits.add("fit-parameters-never-move")
    if fit_agrees(losses, right[2]) and any(fit_agrees(got[:2], pair) for pair in
                                            [(right[1], right[1]), (right[0], right[0]), (right[1], right[0])]):
        fits.add("fit-returns-mixed-up")
    if len(fits) == 1 and loss_and_update_sound(student):
        diagnose(fits.pop())


def check_fit_line(student, diagnose, xs, ys, steps, lr, zeroing=""):
    """Runs fit_line and compares its losses, then w and b, with the trusted run or the replay."""
    got = run_fit_line(student, xs, ys, steps, lr)
    diagnose_fit(student, diagnose, got, xs, ys, steps, lr)
    runs = [run for run in fit_line_runs(student, got, xs, ys, steps, lr) if fit_agrees(got[2], run[2])]
    assert runs, f"the losses of fit_line differ from gradient descent on the mean squared error{zeroing}"
    assert any(fit_agrees(got[:2], run[:2]) for run in runs), \
        f"after the fit, w and b differ from gradient descent on the mean squared error{zeroing}"


@fit
def test_fit_line_returns_w_b_and_one_loss_per_step(student, rng, diagnose):
    """fit_line returns (w, b, losses): two floats and one float per step."""
    xs, ys = line_data(rng, 6)
    steps = int(rng.integers(3, 12))
    try:
        got = run_fit_line(student, xs, ys, steps, 0.05)
    except StudentRaised as error:
        if re.search(r"AttributeError: '(float|int)' object has no attribute '(grad|data)'", str(error)) \
                and loss_and_update_sound(student):  # else the number may be a loss from a broken mse_loss
            diagnose("fit-number-as-parameter")
        raise
    losses = got[2]
    if len(losses) != steps:
        diagnose_losses_count(diagnose, got, xs, ys, steps, 0.05)
    assert len(losses) == steps, "fit_line should record exactly one loss per step"


@fit
def test_fit_line_first_loss_is_at_w_and_b_zero(student, rng):
    """The first recorded loss is the loss at w = b = 0, before any update."""
    xs, ys = line_data(rng, 8)
    got = run_fit_line(student, xs, ys, 3, 0.05)
    assert got[2] and any(fit_agrees(got[2][0], run[2][0]) for run in fit_line_runs(student, got, xs, ys, 3, 0.05)), \
        "the first loss should be mse_loss at w = b = 0, recorded before the first update"


@fit
def test_fit_line_matches_the_reference_run(student, rng, diagnose):
    """A short fit follows the reference gradient descent: every loss and the final w and b."""
    xs, ys = line_data(rng, int(rng.integers(6, 13)))
    check_fit_line(student, diagnose, xs, ys, int(rng.integers(8, 16)), float(rng.uniform(0.02, 0.1)))


@fit
def test_fit_line_zeroes_the_gradients_between_steps(student, rng, diagnose):
    """The second and third steps use only their own gradients: zero_grad before every backward."""
    xs, ys = line_data(rng, 8)
    lr = float(rng.uniform(0.03, 0.1))
    for steps in (2, 3):
        check_fit_line(student, diagnose, xs, ys, steps, lr, ": are the gradients zeroed before each backward?")


@fit
def test_fit_line_loss_falls_on_a_fixed_problem(student, diagnose):
    """On a fixed data set (fixed seed) the loss falls at every step, to a small fraction of where it started."""
    xs, ys = line_data(np.random.default_rng(2024), 10)
    got = run_fit_line(student, xs, ys, 60, 0.1)
    losses = got[2]
    diagnose_fit(student, diagnose, got, xs, ys, 60, 0.1)
    falls = len(losses) == 60 and all(b <= a for a, b in pairwise(losses)) and losses[-1] < losses[0] / 10
    assert falls or same_fit(got, replay_fit_line(student, xs, ys, 60, 0.1)), \
        "with a small learning rate the loss of fit_line should never go up, and fall far below where it started"


@fit
def test_fit_line_finds_the_least_squares_line(student, rng, diagnose):
    """A long enough fit ends at the best line through the points (the least-squares solution)."""
    xs, ys = line_data(rng, 12, evenly=True)
    got = run_fit_line(student, xs, ys, 120, 0.15)
    diagnose_fit(student, diagnose, got, xs, ys, 120, 0.15)
    best_w, best_b = np.polyfit(xs, ys, 1)
    found = abs(got[0] - best_w) < 1e-4 and abs(got[1] - best_b) < 1e-4
    assert found or same_fit(got, replay_fit_line(student, xs, ys, 120, 0.15)), \
        "after a long fit, w and b should be the best line through the points"


# ------------------------------------------------------------ Task D: adam_step

def adam_reference(data, grads, m, v, step, lr, beta1=BETA1, beta2=BETA2, eps=EPS, flavour="right"):
    """One Adam step on plain floats; other flavours are the known mistakes, for diagnosis."""
    data, m, v = list(data), list(m), list(v)
    beta_m, beta_v = (beta2, beta1) if flavour == "betas-swapped" else (beta1, beta2)
    t = step if flavour == "step-off-by-one" else step + 1
    for i, g in enumerate(grads):
        m[i] = beta_m * m[i] + (1 - beta_m) * g
        v[i] = beta_v * v[i] + (1 - beta_v) * g * g
        if flavour == "no-bias-correction":
            m_hat, v_hat = m[i], v[i]
        else:
            m_hat, v_hat = m[i] / (1 - beta_m ** t), v[i] / (1 - beta_v ** t)
        if flavour == "eps-inside-sqrt":
            data[i] -= lr * m_hat / math.sqrt(v_hat + eps)
        else:
            data[i] -= lr * m_hat / (math.sqrt(v_hat) + eps)
    return data, m, v


FLAVOURS = [  # (reference flavour, symptom)
    ("no-bias-correction", "adam-no-bias-correction"),
    ("eps-inside-sqrt", "adam-eps-inside-sqrt"),
    ("step-off-by-one", "adam-step-off-by-one"),
]


# One parameter's Adam step line by line, as the notebook writes it (the v line sees the new m, as in the code).
ADAM_LINES = {
    "m": lambda m, v, g, b1, b2: b1 * m + (1 - b1) * g,
    "v": lambda m, v, g, b1, b2: b2 * v + (1 - b2) * g ** 2,
    "m_hat": lambda m, v, t, b1, b2: m / (1 - b1 ** t),
    "v_hat": lambda m, v, t, b1, b2: v / (1 - b2 ** t),
    "p": lambda p, m_hat, v_hat, lr, eps: p - lr * m_hat / (v_hat ** 0.5 + eps),
}

ADAM_SLIPS = [  # (symptom, the one line written wrongly)
    *(("adam-moments-mixed-up", {line: slip}) for line, slip in [
        ("m", lambda m, v, g, b1, b2: b2 * m + (1 - b1) * g),
        ("m", lambda m, v, g, b1, b2: b1 * m + (1 - b2) * g),
        ("m", lambda m, v, g, b1, b2: b1 * v + (1 - b1) * g),
        ("v", lambda m, v, g, b1, b2: b1 * v + (1 - b2) * g ** 2),
        ("v", lambda m, v, g, b1, b2: b2 * v + (1 - b1) * g ** 2),
        ("v", lambda m, v, g, b1, b2: b2 * m + (1 - b2) * g ** 2),
        ("m_hat", lambda m, v, t, b1, b2: v / (1 - b1 ** t)),
        ("m_hat", lambda m, v, t, b1, b2: m / (1 - b2 ** t)),
        ("v_hat", lambda m, v, t, b1, b2: m / (1 - b2 ** t)),
        ("v_hat", lambda m, v, t, b1, b2: v / (1 - b1 ** t)),
        ("p", lambda p, m_hat, v_hat, lr, eps: p - lr * v_hat / (v_hat ** 0.5 + eps)),
        ("p", lambda p, m_hat, v_hat, lr, eps: p - lr * m_hat / (m_hat ** 0.5 + eps)),
    ]),
    *(("adam-sign-flipped", {line: slip}) for line, slip in [
        ("m", lambda m, v, g, b1, b2: b1 * m + (b1 - 1) * g),
        ("v", lambda m, v, g, b1, b2: b2 * v + (b2 - 1) * g ** 2),
        ("m_hat", lambda m, v, t, b1, b2: m / (b1 ** t - 1)),
        ("v_hat", lambda m, v, t, b1, b2: v / (b2 ** t - 1)),
    ]),
    *(("adam-upside-down", {line: slip}) for line, slip in [
        ("m_hat", lambda m, v, t, b1, b2: (1 - b1 ** t) / m),
        ("v_hat", lambda m, v, t, b1, b2: (1 - b2 ** t) / v),
        ("p", lambda p, m_hat, v_hat, lr, eps: p - (v_hat ** 0.5 + eps) / (lr * m_hat)),
    ]),
    *(("adam-power-swapped", {line: slip}) for line, slip in [
        ("v", lambda m, v, g, b1, b2: b2 * v + (1 - b2) * 2 ** g),
        ("m_hat", lambda m, v, t, b1, b2: m / (1 - t ** b1)),
        ("v_hat", lambda m, v, t, b1, b2: v / (1 - t ** b2)),
        ("p", lambda p, m_hat, v_hat, lr, eps: p - lr * m_hat / (0.5 ** v_hat + eps)),
    ]),
    *(("adam-moments-mixed-up", {"moments": slip}) for slip in [  # one moment's line writes into the other
        lambda m, v, g, b1, b2: (m, b2 * (b1 * m + (1 - b1) * g) + (1 - b2) * g ** 2),
        lambda m, v, g, b1, b2: (b2 * v + (1 - b2) * g ** 2, v),
    ]),
    ("adam-update-overwrites", {"p": lambda p, m_hat, v_hat, lr, eps: lr * m_hat / (v_hat ** 0.5 + eps)}),
]


def right_moments(m, v, g, b1, b2, line=ADAM_LINES):
    m = line["m"](m, v, g, b1, b2)
    return m, line["v"](m, v, g, b1, b2)


def adam_slipped(data, grads, m, v, step, lr, slip, beta1=BETA1, beta2=BETA2, eps=EPS):
    """One Adam step with one line written as `slip` says: (data, m, v), or None where it fails.

    A parameter can come out complex (the square root of a negative v_hat), as it does in the student's process.
    """
    line = {**ADAM_LINES, **slip}
    moments = slip.get("moments", lambda *args: right_moments(*args, line=line))
    found = [], [], []
    try:
        for p, g, m_old, v_old in zip(data, grads, m, v, strict=True):
            m_new, v_new = moments(m_old, v_old, g, beta1, beta2)
            m_hat = line["m_hat"](m_new, v_new, step + 1, beta1, beta2)
            v_hat = line["v_hat"](m_new, v_new, step + 1, beta1, beta2)
            for column, value in zip(found, (line["p"](p, m_hat, v_hat, lr, eps), m_new, v_new), strict=True):
                column.append(value)
    except (ArithmeticError, ValueError):
        return None
    return found if all(is_number(x) for column in found[1:] for x in column) else None


def same_step(got, run):
    """Whether adam_step's (data, m, v) is this run: close numbers, and no number where the run is not real
    (a run with no real parameter at all says too little to name a slip)."""
    return any(is_number(x) for x in run[0]) and all(
        isinstance(g, list) and len(g) == len(r) and
        all(close(a, b) if is_number(b) else not is_number(a) for a, b in zip(g, r, strict=True))
        for g, r in zip(got, run, strict=True))


def diagnose_adam_slip(diagnose, got, right, start, grads, m0, v0, step, lr, **constants):
    """Records the symptom of the slip that gives exactly what adam_step gave; none when slips of two kinds do."""
    diagnose_only_fit(diagnose, patterns_that_fit(
        got, right, [(symptom, adam_slipped(start, grads, m0, v0, step, lr, slip, **constants))
                     for symptom, slip in ADAM_SLIPS], same_step))


INDEX_SLIPS = ("object is not subscriptable", "object does not support item assignment",
               "list indices must be integers")


def call_adam(student, diagnose, *args, **kwargs):
    """Calls adam_step; indexing a number or indexing by a list, or a missing m_hat or v_hat, names a mix-up."""
    try:
        student.adam_step(*args, **kwargs)
    except StudentRaised as error:
        text = str(error)
        if ("TypeError" in text and any(slip in text for slip in INDEX_SLIPS)) or "name 'i' is not defined" in text:
            diagnose("adam-index-mixed-up")
        elif ("UnboundLocalError" in text or "NameError" in text) and ("'m_hat'" in text or "'v_hat'" in text):
            diagnose("adam-moments-mixed-up")
        raise


def check_adam(student, diagnose, params, moments, start, grads, m0, v0, step, lr, **constants):
    """Compares data, m and v after one adam_step with the trusted reference and names a known mistake."""
    got_data = student.define(read_data)(params)
    got_m, got_v = moments[0].copy(), moments[1].copy()
    want_data, want_m, want_v = adam_reference(start, grads, m0, v0, step, lr, **constants)
    moved = any(g != 0 for g in grads)
    if not close(got_m, want_m) or not close(got_v, want_v):
        swapped = adam_reference(start, grads, m0, v0, step, lr, flavour="betas-swapped", **constants)
        if close(got_m, swapped[1]) and close(got_v, swapped[2]):
            diagnose("adam-betas-swapped")
        if moved and got_m == list(m0) and got_v == list(v0):
            diagnose("adam-moments-not-in-place")
    if not close(got_data, want_data):  # the parameters themselves are off: which known mistake?
        if moved and got_data == list(start):
            diagnose("adam-params-not-in-place")
        for flavour, symptom in FLAVOURS:
            if flavour == "step-off-by-one" and step == 0:
                continue
            if close(got_data, adam_reference(start, grads, m0, v0, step, lr, flavour=flavour,
                                                  **constants)[0]):
                diagnose(symptom)
        if constants and close(got_data, adam_reference(start, grads, m0, v0, step, lr)[0]):
            diagnose("adam-ignores-arguments")
    if step > 0 and not (close(got_m, want_m) and close(got_v, want_v) and close(got_data, want_data)):
        # at step 0 m_hat is grad and v_hat grad ** 2 exactly, and too many slips agree there
        diagnose_adam_slip(diagnose, (got_data, got_m, got_v), (want_data, want_m, want_v), start, grads, m0, v0,
                           step, lr, **constants)
    assert close(got_m, want_m), \
        "after adam_step, m should hold beta1 * m + (1 - beta1) * grad for every parameter (changed in place)"
    assert close(got_v, want_v), \
        "after adam_step, v should hold beta2 * v + (1 - beta2) * grad ** 2 for every parameter (changed in place)"
    assert close(got_data, want_data), \
        "after adam_step the parameters are off: p.data -= lr * m_hat / (sqrt(v_hat) + eps), " \
        "with m_hat = m / (1 - beta1 ** (step + 1)) and v_hat = v / (1 - beta2 ** (step + 1))"


def adam_setup(student, start, grads, m0=None, v0=None):
    params = student.define(as_values)(start)
    student.define(set_grads)(params, grads)
    n = len(start)
    m0 = list(m0) if m0 is not None else [0.0] * n
    v0 = list(v0) if v0 is not None else [0.0] * n
    return params, (student.hold(list(m0)), student.hold(list(v0))), m0, v0


@adam
def test_adam_first_step_matches_the_reference(student, rng, diagnose):
    """The first adam_step (step 0, m and v at zero) gives the reference parameters, m and v."""
    n = int(rng.integers(4, 9))
    start, grads, lr = random_params(rng, n), random_grads(rng, n), float(rng.uniform(0.005, 0.05))
    grads[0] = 0.0  # a parameter without gradient
    params, moments, m0, v0 = adam_setup(student, start, grads)
    call_adam(student, diagnose, params, moments[0], moments[1], 0, lr)
    check_adam(student, diagnose, params, moments, start, grads, m0, v0, 0, lr)


@adam
def test_adam_first_step_moves_each_parameter_by_about_lr(student, rng, diagnose):
    """Thanks to bias correction the first step moves every parameter by about lr, against its gradient."""
    grads = [signed(rng, 0.5, 5.0), signed(rng, 0.01, 0.1), signed(rng, 50.0, 500.0)]
    start = random_params(rng, 3)
    lr = float(rng.uniform(0.005, 0.05))
    params, moments, _, _ = adam_setup(student, start, grads)
    call_adam(student, diagnose, params, moments[0], moments[1], 0, lr)
    got = student.define(read_data)(params)
    assert all(is_number(x) for x in got), "after adam_step every parameter's data should be a float"
    moves = [(after - before) / lr for before, after in zip(start, got, strict=True)]
    if all(math.isclose(abs(move), 1.5, rel_tol=1e-3) for move in moves):
        diagnose("adam-no-bias-correction")
    directions = [-math.copysign(1.0, g) for g in grads]
    assert all(math.isclose(move, d, rel_tol=1e-3) for move, d in zip(moves, directions, strict=True)), \
        "the first Adam step should move each parameter by about lr against its gradient, however large " \
        "or small the gradient is: check the bias correction"


@adam
def test_adam_later_step_uses_the_bias_correction_of_that_step(student, rng, diagnose):
    """A step in the middle of training (step > 0, moments already filled) matches the reference."""
    n = 5
    step = int(rng.integers(1, 25))
    start, grads = random_params(rng, n), random_grads(rng, n)
    m0 = [signed(rng, 0.01, 1.0) for _ in range(n)]
    v0 = [float(rng.uniform(0.01, 1.0)) for _ in range(n)]
    lr = float(rng.uniform(0.005, 0.05))
    params, moments, m0, v0 = adam_setup(student, start, grads, m0, v0)
    call_adam(student, diagnose, params, moments[0], moments[1], step, lr)
    check_adam(student, diagnose, params, moments, start, grads, m0, v0, step, lr)


@adam
def test_adam_several_steps_match_the_reference(student, rng, diagnose):
    """Six adam_steps in a row, with new gradients and a decaying lr, follow the reference step by step."""
    n = 4
    data = random_params(rng, n)
    params = student.define(as_values)(data)
    m_now, v_now = [0.0] * n, [0.0] * n
    moments = (student.hold(list(m_now)), student.hold(list(v_now)))
    for step in range(6):
        grads = random_grads(rng, n)
        lr = 0.02 * (1 - step / 6)
        student.define(set_grads)(params, grads)
        call_adam(student, diagnose, params, moments[0], moments[1], step, lr)
        check_adam(student, diagnose, params, moments, data, grads, m_now, v_now, step, lr)
        data, m_now, v_now = adam_reference(data, grads, m_now, v_now, step, lr)


@adam
def test_adam_updates_m_and_v_in_place(student, rng, diagnose):
    """adam_step writes the new moments into the lists m and v it is given."""
    n = 3
    grads = random_grads(rng, n)
    params, moments, m0, v0 = adam_setup(student, random_params(rng, n), grads)
    call_adam(student, diagnose, params, moments[0], moments[1], 0, 0.01)
    got_m, got_v = moments[0].copy(), moments[1].copy()
    if got_m == m0 and got_v == v0:
        diagnose("adam-moments-not-in-place")
    assert got_m != m0 and got_v != v0, \
        "adam_step should update the lists m and v it is given, in place (m[i] = ...), not make new ones"
    assert len(got_m) == n and len(got_v) == n, "m and v should keep one number per parameter"


@adam
def test_adam_updates_the_same_value_objects(student, rng, diagnose):
    """adam_step changes the Values in the list it is given and keeps those very objects in it."""
    start, grads = random_params(rng, 4), random_grads(rng, 4)
    params, moments, _, _ = adam_setup(student, start, grads)
    held = student.hold(params)
    call_adam(student, diagnose, held, moments[0], moments[1], 0, 0.01)
    after = held.copy()
    got = student.define(read_data)(params)
    if after != params or got == start:
        diagnose("adam-params-not-in-place")
    assert after == params, "adam_step should change the parameters' .data, not put new Values in the list"
    assert got != start, "adam_step should change the .data of the parameters it is given"


@adam
def test_adam_tiny_gradients_still_take_full_steps(student, rng, diagnose):
    """Parameters with tiny gradients (1e-6 to 1e-4) step as in the reference: eps is added after the square root."""
    n = 4
    start = random_params(rng, n)
    grads = [signed(rng, 1e-6, 1e-4) for _ in range(n)]
    params, moments, m0, v0 = adam_setup(student, start, grads)
    call_adam(student, diagnose, params, moments[0], moments[1], 0, 0.01)
    check_adam(student, diagnose, params, moments, start, grads, m0, v0, 0, 0.01)


@adam
def test_adam_uses_the_given_betas_and_eps(student, rng, diagnose):
    """Other beta1, beta2 and eps, passed by name, are the ones adam_step uses."""
    n = 4
    constants = {"beta1": 0.9, "beta2": 0.999, "eps": 1e-3}
    start, grads = random_params(rng, n), [signed(rng, 1e-3, 0.05) for _ in range(n)]
    m0 = [signed(rng, 0.001, 0.05) for _ in range(n)]
    v0 = [float(rng.uniform(1e-5, 1e-3)) for _ in range(n)]
    step = int(rng.integers(1, 10))
    params, moments, m0, v0 = adam_setup(student, start, grads, m0, v0)
    call_adam(student, diagnose, params, moments[0], moments[1], step, 0.01, **constants)
    check_adam(student, diagnose, params, moments, start, grads, m0, v0, step, 0.01, **constants)


@adam
def test_adam_lowers_a_loss(student, rng, diagnose):
    """Thirty Adam steps on a quadratic loss bring it far below where it started."""
    targets = [signed(rng, 0.5, 2.0) for _ in range(3)]
    params = student.define(as_values)([0.0, 0.0, 0.0])
    moments = (student.hold([0.0] * 3), student.hold([0.0] * 3))
    quadratic = student.define(squared_distance)
    losses = []
    for step in range(30):
        student.zero_grad(params)
        loss = quadratic(params, targets)
        student.backward(loss)
        losses.append(loss.data)
        call_adam(student, diagnose, params, moments[0], moments[1], step, 0.1)
    assert all(is_number(x) for x in losses) and losses[-1] < losses[0] / 20, \
        "Adam with lr = 0.1 should bring this quadratic loss far below where it started within 30 steps"


# ------------------------------------------------------------ Task E: linear_decay

def decay_cases(rng):
    cases = [(0.01, 0, 1000), (0.01, 999, 1000), (0.5, 3, 4)]
    for _ in range(4):
        num_steps = int(rng.integers(5, 2000))
        cases.append((float(rng.uniform(0.001, 0.1)), int(rng.integers(0, num_steps)), num_steps))
    return cases


def check_decay(student, lr, step, num_steps, diagnose):
    got = student.linear_decay(lr, step, num_steps)
    assert is_number(got), "linear_decay should return a plain number (a float)"
    want = lr * (1 - step / num_steps)
    if not close(got, want):
        if close(got, lr * (1 - (step + 1) / num_steps)):
            diagnose("decay-off-by-one")
        elif close(got, lr * step / num_steps):
            diagnose("decay-reversed")
        elif close(got, -want):
            diagnose("decay-sign")
        elif step > 0 and close(got, lr * (1 - num_steps / step)):
            diagnose("decay-fraction-upside-down")
    assert close(got, want), "linear_decay should be lr * (1 - step / num_steps), with step counted from 0"


@decay
def test_linear_decay_values(student, rng, diagnose):
    """linear_decay(lr, step, num_steps) is lr * (1 - step / num_steps) across a run."""
    for lr, step, num_steps in decay_cases(rng):
        check_decay(student, lr, step, num_steps, diagnose)


@decay
def test_linear_decay_first_step_uses_the_full_rate(student, rng, diagnose):
    """Step 0 uses the full learning rate."""
    lr, num_steps = float(rng.uniform(0.001, 0.1)), int(rng.integers(2, 500))
    check_decay(student, lr, 0, num_steps, diagnose)


@decay
def test_linear_decay_last_step_is_small_but_not_zero(student, rng, diagnose):
    """The last step, num_steps - 1, uses lr / num_steps."""
    lr, num_steps = float(rng.uniform(0.001, 0.1)), int(rng.integers(2, 500))
    check_decay(student, lr, num_steps - 1, num_steps, diagnose)


@decay
def test_linear_decay_falls_steadily(student, rng, diagnose):
    """Across a whole run the rate falls by the same amount at every step."""
    lr, num_steps = float(rng.uniform(0.001, 0.1)), int(rng.integers(5, 12))
    rates = [student.linear_decay(lr, step, num_steps) for step in range(num_steps)]
    assert all(is_number(r) for r in rates), "linear_decay should return a plain number (a float)"
    drops = [a - b for a, b in pairwise(rates)]
    if all(d < 0 for d in drops) and all(r >= 0 for r in rates):
        diagnose("decay-reversed")
    assert all(math.isclose(d, lr / num_steps, rel_tol=1e-6) for d in drops), \
        "the learning rate should fall by lr / num_steps at every step"


# ------------------------------------------------------------ milestone: an MLP learns XOR

def xor_points(rng, n, spread=0.3):
    """Trusted data: points around the four corners in turn; label +1 where x * y > 0."""
    corners = np.array([(1, 1), (-1, -1), (1, -1), (-1, 1)], dtype=float)[np.arange(n) % 4]
    points = corners + rng.normal(0.0, spread, (n, 2))
    return points, corners[:, 0] * corners[:, 1]


def mlp_scores(flat, points, hidden=HIDDEN):
    """The trusted forward pass of the notebook's MLP on plain numbers."""
    f = np.asarray(flat, dtype=float)
    weights_in = f[:2 * hidden].reshape(hidden, 2)
    biases, weights_out, bias_out = f[2 * hidden:3 * hidden], f[3 * hidden:4 * hidden], f[4 * hidden]
    return np.maximum(0.0, points @ weights_in.T + biases) @ weights_out + bias_out


def initial_mlp(rng, hidden=HIDDEN):
    """Starting weights like the notebook's init_mlp: input directions spread around the circle."""
    weights_in = []
    for j in range(hidden):
        angle = 2 * math.pi * (j + float(rng.random())) / hidden
        weights_in += [math.cos(angle), math.sin(angle)]
    weights_out = [float(x) for x in rng.normal(0.0, 0.1, hidden)]
    return weights_in + [0.0] * hidden + weights_out + [0.0]


def train_with_student_code(student, rng, steps=40, lr=0.05):
    """Runs the notebook's training loop from this side, on trusted points and starting weights.

    Only the student's mse_loss, adam_step and linear_decay (and the provided
    mlp, zero_grad and backward) run in the student's process; the loop, the
    data and the starting weights are the grader's, so replacing the provided
    train_mlp changes nothing. Returns (points, labels, starting weights, trained weights).
    """
    points, labels = xor_points(rng, 40)
    start = initial_mlp(rng)
    params = student.define(as_values)(start)
    n = len(start)
    m, v = student.hold([0.0] * n), student.hold([0.0] * n)
    loss_of = student.evaluate("lambda params, points, labels: mse_loss([mlp(params, p) for p in points], labels)")
    point_lists, label_list = [[float(x), float(y)] for x, y in points], [float(t) for t in labels]
    for step in range(steps):
        loss = loss_of(params, point_lists, label_list)
        assert is_value(student, loss), "mse_loss should return one Value node"
        student.zero_grad(params)
        student.backward(loss)
        rate = student.linear_decay(lr, step, steps)
        assert is_number(rate), "linear_decay should return a plain number (a float)"
        student.adam_step(params, m, v, step, rate)
    trained = student.define(read_data)(params)
    assert all(is_number(x) and math.isfinite(x) for x in trained), \
        "training produced parameters that are not finite numbers (NaN or infinity)"
    return points, labels, start, trained


@milestone
def test_milestone_network_separates_new_points(student, rng):
    """The MLP trained with your functions classifies at least 95% of 400 new XOR points correctly."""
    _, _, _, trained = train_with_student_code(student, rng)
    fresh_points, fresh_labels = xor_points(rng, 400)
    accuracy = float(np.mean(np.sign(mlp_scores(trained, fresh_points)) == fresh_labels))
    assert accuracy >= 0.95, "the trained network classifies too few new points correctly"


@milestone
def test_milestone_training_lowers_the_loss(student, rng):
    """Training brings the network's loss on its training points far below the loss before training."""
    points, labels, start, trained = train_with_student_code(student, rng)
    before = float(np.mean((mlp_scores(start, points) - labels) ** 2))
    after = float(np.mean((mlp_scores(trained, points) - labels) ** 2))
    assert after < before / 2 and after < 0.5, "training did not lower the network's loss enough"
