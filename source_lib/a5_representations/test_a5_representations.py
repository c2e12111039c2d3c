"""Hidden tests for a5_representations: tokens, vectors, matrices, embeddings and a bigram model.

These tests run on the trusted side. `student` calls into the student's
process and every number compared here comes back as plain data; expected
values come from the numpy references below. cross_entropy and bigram_loss
build on other graded functions, so a result is also accepted when it is what
their own code gives with the student's softmax, embed and cross_entropy,
computed here from what those returned: a mistake costs points only where it is.
Each docstring is the feedback line a student reads when the test fails; the
assertion messages speak to the student and never contain expected values or
hidden inputs. The milestone reads the handed-in bigram.json as bytes and
scores it with a trusted numpy forward pass on held-out names that are never
shipped.
"""
import json
import math
import re
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pytest

from autograder.sandbox import StudentRaised
from autograder.suite.questions import test_checkpoint_question  # noqa: F401 (rubric.toml's questions)
from autograder.suite.student_side import (
    as_values,
    describe_values,
    read_data,
    read_grads,
    seeded_random,
    weighted_sum,
)
from autograder.suite.trusted import (
    close,
    close_to_one_of,
    diagnosing,
    held_out_nll,
    is_number,
    log_softmax,
    rmsnorm,
    softmax,
)

vocab = pytest.mark.checkpoint("vocab")
matrices = pytest.mark.checkpoint("matrices")
softmax_checkpoint = pytest.mark.checkpoint("softmax")
ce_checkpoint = pytest.mark.checkpoint("cross_entropy")
rms_checkpoint = pytest.mark.checkpoint("rmsnorm")
bigram_checkpoint = pytest.mark.checkpoint("bigram_loss")
milestone = pytest.mark.checkpoint("milestone")

DATA = Path(__file__).resolve().parent.parent / "data"
TRAINING_NAMES = DATA / "names.txt"
HELD_OUT_NAMES = DATA / "heldout_names.txt"
# Measured on this split (see rubric.toml): the add-one count model scores 2.4597.
HELD_OUT_BAR = 2.50

LETTERS = list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-'. ")


# ------------------------------------------------------------ trusted references (plain floats / numpy)


def ref_cross_entropy(z, target):
    z = np.asarray(z, dtype=float)
    top = z.max()
    return float(top + np.log(np.exp(z - top).sum()) - z[target])


def ref_bigram_loss(table, tokens):
    table = np.asarray(table, dtype=float)
    pairs = list(zip(tokens[:-1], tokens[1:], strict=True))
    return sum(ref_cross_entropy(table[a], b) for a, b in pairs) / len(pairs)


def finite_difference_grad(f, z, h=1e-5):
    """Central differences of a trusted float function f at z."""
    z = np.asarray(z, dtype=float)
    grad = np.zeros_like(z)
    for i in range(len(z)):
        up, down = z.copy(), z.copy()
        up[i] += h
        down[i] -= h
        grad[i] = (f(up) - f(down)) / (2 * h)
    return grad


# ------------------------------------------------------------ talking to the student's process

def make_values(student, numbers):
    return student.define(as_values)([float(x) for x in numbers])


def make_matrix(student, rows):
    return student.define(as_values)([[float(x) for x in row] for row in rows])


def value_data(student, result, what, count, diagnose=None, cut_off=None):
    """The numbers of a list of Values returned by student code; fails unless it is one."""
    assert isinstance(result, (list, tuple)), f"{what} should return a list of Values"
    assert len(result) == count, f"{what} returned a list of the wrong length"
    described = student.define(describe_values)(list(result))
    if not all(kind == "Value" for kind, *_ in described):
        if diagnose and cut_off:
            diagnose(cut_off)
        raise AssertionError(f"{what} should return Values built with Value operations, not plain numbers")
    numbers = [number for _, number, *_ in described]
    assert all(is_number(x) for x in numbers), f"the Values returned by {what} should hold plain numbers in .data"
    return numbers


def scalar_data(student, result, what):
    """The number of a single Value returned by student code."""
    assert not isinstance(result, (list, tuple, dict, str, bool)) and result is not None, \
        f"{what} should return a single Value"
    if is_number(result):
        raise AssertionError(f"{what} should return a Value built with Value operations, not a plain number")
    assert student.type_name(result) == "Value", f"{what} should return a Value"
    number = result.data
    assert is_number(number), f"the Value returned by {what} should hold a plain number in .data"
    return float(number)


def grads_after_backward(student, loss, inputs):
    """Runs the provided backward from loss and reads the gradients of the input Values."""
    student.backward(loss)
    return student.define(read_grads)(inputs)


def random_logits(rng, low=-5.0, high=5.0, min_len=2, max_len=30):
    return [float(v) for v in rng.uniform(low, high, size=int(rng.integers(min_len, max_len + 1)))]


def failed_with(error, *kinds):
    return any(f"{kind}" in str(error) for kind in kinds)


# What Python says when a power is written the other way round, number ** Value: Value has no power with a Value as
# the exponent.
POWER_REVERSED = r"for \*\* or pow\(\): '(int|float)' and 'Value'"


# ------------------------------------------------------------ Task A: tokens

def random_docs(rng):
    """A few random 'documents' over a random alphabet of 5 to 20 characters."""
    size = int(rng.integers(5, 21))
    alphabet = [str(c) for c in rng.choice(LETTERS, size=size, replace=False)]
    count = int(rng.integers(3, 12))
    return ["".join(str(c) for c in rng.choice(alphabet, size=int(rng.integers(1, 9)))) for _ in range(count)]


def some_names(rng, count=200):
    names = TRAINING_NAMES.read_text().split()
    return [names[int(i)] for i in rng.choice(len(names), size=count, replace=False)]


def random_text(rng, chars, low=0, high=12):
    return "".join(chars[int(i)] for i in rng.integers(0, len(chars), size=int(rng.integers(low, high + 1))))


def vocab_result(student, docs):
    result = student.build_vocab(docs)
    assert isinstance(result, tuple) and len(result) == 2, "build_vocab should return a pair: (chars, bos)"
    return result


@vocab
def test_build_vocab_gives_sorted_distinct_characters(student, rng, diagnose):
    """build_vocab returns the sorted list of the distinct characters of all documents."""
    for docs in [random_docs(rng), random_docs(rng), random_docs(rng), some_names(rng)]:
        chars, _ = vocab_result(student, docs)
        assert isinstance(chars, list), "chars should be a list of characters"
        want = sorted(set("".join(docs)))
        if len(chars) > len(set(chars)):
            diagnose("vocab-duplicates")
        elif sorted(chars) == want and chars != want:
            diagnose("vocab-unsorted")
        assert chars == want, "chars should be the sorted list of the distinct characters of all the documents"


@vocab
def test_bos_is_the_id_after_the_last_character(student, rng, diagnose):
    """bos is len(chars): the id right after the last character."""
    for docs in [random_docs(rng), random_docs(rng), some_names(rng, 50)]:
        chars, bos = vocab_result(student, docs)
        assert is_number(bos) and isinstance(bos, int), "bos should be an int"
        want = len(set("".join(docs)))
        if bos != want:
            diagnose("bos-not-last")
        assert bos == want, "bos should be len(chars), the id right after the last character"


@vocab
def test_encode_gives_each_characters_index(student, rng, diagnose):
    """encode gives the index in chars of every character of the text."""
    for _ in range(3):
        chars = sorted(set("".join(random_docs(rng))))
        text = random_text(rng, chars, 1, 12)
        ids = student.encode(text, chars)
        want = [chars.index(c) for c in text]
        if isinstance(ids, list) and ids == [i + 1 for i in want]:
            diagnose("encode-offset")
        assert isinstance(ids, list), "encode should return a list of ints"
        assert ids == want, "encode should give each character's index in chars"
    assert student.encode("", ["a", "b"]) == [], "encode of the empty text should be []"


@vocab
def test_decode_turns_ids_into_the_string(student, rng):
    """decode turns a list of ids back into the string."""
    for _ in range(3):
        chars = sorted(set("".join(random_docs(rng))))
        ids = [int(i) for i in rng.integers(0, len(chars), size=int(rng.integers(1, 12)))]
        text = student.decode(ids, chars)
        assert isinstance(text, str), "decode should return a str"
        assert text == "".join(chars[i] for i in ids), "decode should join chars[i] for every id i"
    assert student.decode([], ["a", "b"]) == "", "decode of no ids should be the empty string"


@vocab
def test_encode_and_decode_round_trip(student, rng):
    """decode(encode(text)) gives the text back, and encode(decode(ids)) the ids, on real names too."""
    names = some_names(rng, 20)
    chars = sorted(set("".join(TRAINING_NAMES.read_text().split())))
    for name in names:
        assert student.decode(student.encode(name, chars), chars) == name, \
            "decode(encode(name, chars), chars) should give the name back"
    other = sorted(set("".join(random_docs(rng))))
    ids = [int(i) for i in rng.integers(0, len(other), size=10)]
    assert student.encode(student.decode(ids, other), other) == ids, \
        "encode(decode(ids, chars), chars) should give the ids back"


@vocab
def test_wrap_puts_bos_on_both_sides(student, rng, diagnose):
    """wrap returns [bos] + ids + [bos], also for an empty list of ids."""
    bos = int(rng.integers(5, 60))
    cases = [[int(i) for i in rng.integers(0, bos, size=int(rng.integers(1, 10)))] for _ in range(3)] + [[]]
    for ids in cases:
        wrapped = student.wrap(list(ids), bos)
        assert isinstance(wrapped, list), "wrap should return a list"
        if wrapped in ([bos] + ids, ids + [bos]):
            diagnose("wrap-one-side")
        assert wrapped == [bos] + ids + [bos], "wrap should put BOS at the start AND at the end"


@vocab
def test_wrap_leaves_its_input_unchanged(student, rng, diagnose):
    """wrap returns a new list and leaves the caller's list of ids as it was."""
    bos = int(rng.integers(5, 60))
    ids = [int(i) for i in rng.integers(0, bos, size=6)]
    held = student.hold(list(ids))
    wrapped = student.wrap(held, bos)
    after = held.copy()
    if after != ids:
        diagnose("wrap-mutates")
    assert after == ids, "wrap should not change the list it is given: return a new list"
    assert wrapped == [bos] + ids + [bos], "wrap should return [bos] + ids + [bos]"


# ------------------------------------------------------------ Task B: matrix, linear, embed

def student_matrix(student, diagnose, n_out, n_in, std, seed):
    rows = student.matrix(n_out, n_in, std, student.define(seeded_random)(int(seed)))
    if (isinstance(rows, list) and all(isinstance(row, list) for row in rows)
            and (len(rows) != n_out or any(len(row) != n_in for row in rows))):
        diagnose("matrix-wrong-shape")
    assert isinstance(rows, list) and len(rows) == n_out, "matrix(n_out, n_in, ...) should be a list of n_out rows"
    assert all(isinstance(row, list) and len(row) == n_in for row in rows), \
        "every row of matrix(n_out, n_in, ...) should be a list of n_in Values"
    return rows


def distinct_sizes(rng, low, high):
    """n_out and n_in, different from each other, so that a matrix built the wrong way round never fits."""
    n_out, n_in = rng.choice(np.arange(low, high), 2, replace=False)
    return int(n_out), int(n_in)


def matrix_info(student, rows):
    return student.define(describe_values)(rows)


@matrices
def test_matrix_has_the_shape_and_holds_leaf_values(student, rng, diagnose):
    """matrix(n_out, n_in, std, rng) is n_out rows of n_in leaf Values."""
    for _ in range(2):
        n_out, n_in = distinct_sizes(rng, 1, 8)
        rows = student_matrix(student, diagnose, n_out, n_in, 0.5, rng.integers(1 << 30))
        info = matrix_info(student, rows)
        assert all(kind == "Value" for row in info for kind, *_ in row), "every entry should be a Value"
        assert all(kids == 0 for row in info for _, _, kids, _ in row), \
            "every entry should be a leaf Value (a parameter), with no children"


@matrices
def test_matrix_entries_are_distinct_values(student, rng, diagnose):
    """Every entry of a matrix is its own Value object: no row or entry is repeated."""
    n_out, n_in = distinct_sizes(rng, 3, 8)
    rows = student_matrix(student, diagnose, n_out, n_in, 1.0, rng.integers(1 << 30))
    ids = {ident for row in matrix_info(student, rows) for *_, ident in row}
    if len(ids) < n_out * n_in:
        diagnose("matrix-shared-values")
    assert len(ids) == n_out * n_in, \
        "every entry should be a new Value: repeating a row (or a Value) makes entries share one object"


@matrices
def test_matrix_is_gaussian_with_the_given_std(student, rng, diagnose):
    """matrix draws its entries from a Gaussian with mean 0 and the given standard deviation."""
    std = float(rng.uniform(0.05, 2.0))
    rows = student_matrix(student, diagnose, 40, 50, std, rng.integers(1 << 30))
    numbers = np.array([[data for _, data, _, _ in row] for row in matrix_info(student, rows)], dtype=float)
    sample_std = float(numbers.std())
    if np.all(numbers == std):
        diagnose("matrix-gauss-arguments-swapped")
    assert abs(float(numbers.mean())) < 5 * std / math.sqrt(numbers.size), \
        "the entries should be drawn around mean 0"
    if abs(sample_std / std - 1) > 0.08:
        diagnose("matrix-wrong-spread")
    assert abs(sample_std / std - 1) <= 0.08, "the entries should have the given standard deviation: rng.gauss(0, std)"
    centred = numbers - numbers.mean()
    kurtosis = float(np.mean(centred ** 4) / np.mean(centred ** 2) ** 2)
    if not 2.5 < kurtosis < 3.6:
        diagnose("matrix-wrong-spread")
    assert 2.5 < kurtosis < 3.6, "the entries should follow a Gaussian (normal) distribution"
    zeros = student_matrix(student, diagnose, 3, 4, 0.0, rng.integers(1 << 30))
    assert all(data == 0.0 for row in matrix_info(student, zeros) for _, data, _, _ in row), \
        "with std 0 every entry should be 0.0"


@matrices
def test_matrix_draws_from_the_rng_it_is_given(student, rng, diagnose):
    """The same seed gives the same matrix and another seed another one: draw from the rng argument."""
    seed = int(rng.integers(1 << 30))

    def numbers(s):
        rows = student_matrix(student, diagnose, 3, 5, 1.0, s)
        return [[data for _, data, _, _ in row] for row in matrix_info(student, rows)]

    first, again, other = numbers(seed), numbers(seed), numbers(seed + 1)
    if first != again:
        diagnose("matrix-ignores-rng")
    assert first == again, "two calls with equal seeds should give the same numbers: draw from the rng you are given"
    assert first != other, "different seeds should give different numbers"


# What linear raises when it zips a row with W (a Value times a row: Value(list)) or takes its rows from x (zip of a
# Value).
LINEAR_ARGUMENTS_MIXED = r"float\(\) argument must be .*, not 'list'|'Value' object is not iterable"


def linear_case(student, rng, n_out, n_in):
    w = rng.normal(size=(n_out, n_in))
    x = rng.normal(size=n_in)
    return w, x, make_matrix(student, w.tolist()), make_values(student, x.tolist())


@matrices
def test_linear_matches_a_matrix_vector_product(student, rng, diagnose):
    """linear(x, W) computes W @ x for W of shape (n_out, n_in), with n_out and n_in different."""
    for _ in range(3):
        n_out = int(rng.integers(2, 7))
        n_in = n_out + int(rng.integers(1, 4)) * (1 if rng.random() < 0.5 else -1)
        n_in = max(1, n_in)
        w, x, W, xs = linear_case(student, rng, n_out, n_in)
        with diagnosing(diagnose, {LINEAR_ARGUMENTS_MIXED: "linear-arguments-mixed"}):
            result = student.linear(xs, W)
        if isinstance(result, (list, tuple)) and len(result) == n_in != n_out:
            diagnose("linear-transposed")
        numbers = value_data(student, result, "linear(x, W)", n_out, diagnose, "linear-cut-off")
        assert close(numbers, w @ x), "linear(x, W)[i] should be the sum over j of W[i][j] * x[j]"


@matrices
def test_linear_square_and_single_output(student, rng, diagnose):
    """linear works for a square W and for a W with a single row (one output)."""
    n = int(rng.integers(3, 7))
    w, x, W, xs = linear_case(student, rng, n, n)
    numbers = value_data(student, student.linear(xs, W), "linear(x, W)", n, diagnose, "linear-cut-off")
    if close(numbers, w.T @ x) and not close(numbers, w @ x):
        diagnose("linear-transposed")
    assert close(numbers, w @ x), "linear(x, W)[i] should use row i of W: the sum over j of W[i][j] * x[j]"
    w, x, W, xs = linear_case(student, rng, 1, int(rng.integers(2, 6)))
    numbers = value_data(student, student.linear(xs, W), "linear(x, W) with one row", 1, diagnose, "linear-cut-off")
    assert close(numbers, w @ x), "a W with one row should give one output: the dot product of the row and x"


@matrices
def test_linear_gradients_reach_x_and_W(student, rng, diagnose):
    """After backward, x.grad is W transposed times the output gradient and W[i][j].grad is out_grad[i] * x[j]."""
    n_out, n_in = int(rng.integers(2, 6)), int(rng.integers(2, 6))
    w, x, W, xs = linear_case(student, rng, n_out, n_in)
    weights = rng.normal(size=n_out)
    out = student.linear(xs, W)
    value_data(student, out, "linear(x, W)", n_out, diagnose, "linear-cut-off")
    loss = student.define(weighted_sum)(out, weights.tolist())
    x_grads = grads_after_backward(student, loss, xs)
    w_grads = student.define(read_grads)(W)
    if not np.any(np.asarray(x_grads)) and not np.any(np.asarray(w_grads)):
        diagnose("linear-cut-off")
    assert close(x_grads, w.T @ weights, rel=1e-7, abs_tol=1e-10), \
        "the gradient should reach x through linear: build it from Value operations on W and x"
    assert close(w_grads, np.outer(weights, x), rel=1e-7, abs_tol=1e-10), \
        "the gradient should reach every weight W[i][j] through linear"


def table_case(student, rng, n_rows, n_cols):
    numbers = rng.normal(size=(n_rows, n_cols))
    return numbers, make_matrix(student, numbers.tolist())


@matrices
def test_embed_returns_the_row_itself(student, rng, diagnose):
    """embed(table, idx) returns the table's row idx: the very Values, not copies, not a column."""
    n_rows = int(rng.integers(3, 7))
    numbers, table = table_case(student, rng, n_rows, n_rows + int(rng.integers(1, 4)))
    for idx in sorted({0, n_rows - 1, int(rng.integers(0, n_rows))}):
        row = student.embed(table, idx)
        assert isinstance(row, (list, tuple)), "embed should return the row: a list of Values"
        row = list(row)
        data = [number for _, number, *_ in student.define(describe_values)(row)]
        if close(data, numbers[:, idx]):
            diagnose("embed-column")
        elif close(data, numbers[idx]) and row != table[idx]:
            diagnose("embed-copies")
        assert close(data, numbers[idx]), "embed(table, idx) should hold the numbers of row idx"
        assert row == table[idx], "embed should return the table's own Values, so that gradients reach the table"


@matrices
def test_embed_gradient_reaches_only_its_row(student, rng, diagnose):
    """A loss built on embed(table, idx) sends gradient into row idx of the table and nowhere else."""
    n_rows, n_cols = int(rng.integers(3, 7)), int(rng.integers(2, 6))
    numbers, table = table_case(student, rng, n_rows, n_cols)
    idx = int(rng.integers(0, n_rows))
    weights = rng.normal(size=n_cols)
    row = student.embed(table, idx)
    assert isinstance(row, (list, tuple)) and len(row) == n_cols, "embed should return a row of the table"
    student.backward(student.define(weighted_sum)(list(row), weights.tolist()))
    grads = np.asarray(student.define(read_grads)(table), dtype=float)
    want = np.zeros((n_rows, n_cols))
    want[idx] = weights
    if not np.any(grads):
        diagnose("embed-copies")
    assert close(grads, want, rel=1e-9, abs_tol=1e-12), "the gradient should reach row idx of the table, and only it"


# ------------------------------------------------------------ Task C: softmax

def call_softmax(student, xs, diagnose, what):
    """softmax of student Values; an overflow or a division by zero becomes a failed check with advice."""
    try:
        return student.softmax(xs)
    except StudentRaised as error:
        if failed_with(error, "OverflowError", "ZeroDivisionError"):
            diagnose("softmax-no-shift")
            raise AssertionError(
                f"softmax failed on {what}: math.exp overflows above about 709 and every exp underflows to 0 "
                "below about -745; subtract the largest logit's .data from every logit before exp") from None
        if failed_with(error, "NameError"):
            diagnose("softmax-undefined-name")
        elif re.search(POWER_REVERSED, str(error)):
            diagnose("softmax-power-reversed")
        raise


def softmax_numbers(student, z, diagnose, what="these logits"):
    xs = make_values(student, z)
    return xs, value_data(student, call_softmax(student, xs, diagnose, what), "softmax", len(z), diagnose,
                          "softmax-cut-off")


@softmax_checkpoint
def test_softmax_matches_the_formula(student, rng, diagnose):
    """softmax(z)_i equals e^z_i / sum_j e^z_j on random logits of random lengths."""
    for _ in range(3):
        z = random_logits(rng)
        _, p = softmax_numbers(student, z, diagnose)
        if not close(p, softmax(z)) and close(p, softmax([-zi for zi in z])):
            diagnose("softmax-shift-reversed")
        assert close(p, softmax(z)), "softmax(z)_i should be e^z_i / sum_j e^z_j"


@softmax_checkpoint
def test_softmax_sums_to_one(student, rng, diagnose):
    """The probabilities are positive and add up to 1, for one logit and for many."""
    for z in ([float(rng.uniform(-3, 3))], random_logits(rng, -20, 20), random_logits(rng, -50, 50)):
        _, p = softmax_numbers(student, z, diagnose)
        assert all(pi >= 0 for pi in p), "probabilities are never negative"
        assert abs(sum(p) - 1.0) < 1e-9, "the probabilities should add up to 1"


@softmax_checkpoint
def test_softmax_unchanged_by_a_large_shift(student, rng, diagnose):
    """Adding 1000 to every logit changes nothing: no overflow, same probabilities, still summing to 1."""
    z = random_logits(rng, -5, 5, 5, 27)
    for shift in (1000.0, float(rng.uniform(1000, 5000))):
        _, p = softmax_numbers(student, [zi + shift for zi in z], diagnose, "large logits")
        assert close(p, softmax(z), rel=1e-7, abs_tol=1e-12), \
            "shifting every logit by the same amount should not change softmax"
        assert abs(sum(p) - 1.0) < 1e-9, "the probabilities should still add up to 1"


@softmax_checkpoint
def test_softmax_survives_very_negative_logits(student, rng, diagnose):
    """Subtracting 1000 from every logit changes nothing either: no division by zero."""
    z = random_logits(rng, -5, 5, 5, 27)
    _, p = softmax_numbers(student, [zi - 1000.0 for zi in z], diagnose, "very negative logits")
    assert close(p, softmax(z), rel=1e-7, abs_tol=1e-12), \
        "shifting every logit by the same amount should not change softmax"


@softmax_checkpoint
def test_softmax_gradient_matches_finite_differences(student, rng, diagnose):
    """The gradient of a weighted sum of softmax outputs reaches every logit and matches finite differences."""
    for _ in range(2):
        z = random_logits(rng, -3, 3, 3, 12)
        weights = rng.normal(size=len(z))
        xs = make_values(student, z)
        probs = call_softmax(student, xs, diagnose, "these logits")
        value_data(student, probs, "softmax", len(z), diagnose, "softmax-cut-off")
        loss = student.define(weighted_sum)(probs, weights.tolist())
        grads = grads_after_backward(student, loss, xs)
        want = finite_difference_grad(lambda v, w=weights: float(w @ softmax(v)), z)
        if not np.any(np.asarray(grads)):
            diagnose("softmax-cut-off")
        assert close(grads, want, rel=1e-5, abs_tol=1e-7), \
            "the gradient through softmax does not match finite differences: build it from Value operations"


@softmax_checkpoint
def test_softmax_leaves_the_logits_unchanged(student, rng, diagnose):
    """softmax does not change the .data of the logits it is given."""
    z = random_logits(rng, -5, 5, 3, 20)
    xs, _ = softmax_numbers(student, z, diagnose)
    after = student.define(read_data)(xs)
    if after != z:
        diagnose("softmax-mutates")
    assert after == z, "softmax should not change the logits: compute the shifted values as new Values"


# ------------------------------------------------------------ Task D: cross_entropy

class YourSoftmax(NamedTuple):
    """What the student's own softmax gives on fresh logits, read back as data: what cross_entropy builds on."""

    loss: float | None  # -log p[target]
    grads: list | None  # the gradient of -log p[target] with respect to the logits
    logits_after: list | None  # the logits' .data once softmax has run
    error: str | None  # what softmax raised instead, when it works on the same logits shifted to a maximum of 0


def your_softmax(student, z, target) -> YourSoftmax:
    """cross_entropy's own-dependency expectation, so that a softmax bug costs points on softmax only.

    The probability of the target and its gradient (the provided backward run
    from it) come back as data; -log and the chain rule are applied here.
    """
    xs = make_values(student, z)
    try:
        probs = student.softmax(xs)
    except StudentRaised as error:
        works_shifted = max(z) != 0 and your_softmax(student, [zi - max(z) for zi in z], target).loss is not None
        return YourSoftmax(None, None, None, what_was_raised(error) if works_shifted else None)
    p = student.define(read_data)(probs) if isinstance(probs, list) and len(probs) == len(z) else None
    if p is None or not is_number(p[target]) or not 0 < p[target] < math.inf:
        return YourSoftmax(None, None, None, None)
    student.backward(probs[target])
    row = student.define(read_grads)(xs)
    return YourSoftmax(-math.log(p[target]), [-g / p[target] for g in row], student.define(read_data)(xs), None)


def what_was_raised(error):
    """The error and the line of student code that raised it, whichever call reached it (None for unwritten code)."""
    _, raised, what = str(error).partition(" raised ")
    return what if raised else None


def diagnose_cross_entropy(z, target, got, diagnose):
    """Records the wrong pattern a cross-entropy value fits, if any."""
    want = ref_cross_entropy(z, target)
    p = softmax(z)
    if close(got, want):
        return
    if close(got, -want):
        diagnose("ce-wrong-sign")
    elif close(got, -p[target]) or close(got, p[target]):
        diagnose("ce-missing-log")
    elif close(got, ref_cross_entropy(softmax(z), target)) or (z[target] > 0 and close(got, -math.log(z[target]))):
        diagnose("ce-on-probabilities")


def cross_entropy_number(student, z, target, diagnose, what="these logits"):
    """cross_entropy on fresh logits z: (the logits, the loss and its number, what the student's softmax gives).

    The loss and its number are None when cross_entropy raised just what that
    softmax raises; its symptoms are diagnosed only where that softmax is sound.
    """
    own = your_softmax(student, z, target)
    xs = make_values(student, z)
    try:
        loss = student.cross_entropy(xs, target)
    except StudentRaised as error:
        if own.error is not None and what_was_raised(error) == own.error:
            return xs, None, None, own
        if failed_with(error, "math domain error"):
            diagnose("ce-on-probabilities")
            raise AssertionError(
                f"cross_entropy failed on {what}: log of a negative number. It receives logits (any real "
                "numbers), not probabilities: apply softmax first, then -log of the target's probability") from None
        if failed_with(error, "OverflowError", "ZeroDivisionError"):
            raise AssertionError(
                f"cross_entropy failed on {what} (overflow or division by zero): build it on a stable softmax "
                "that subtracts the largest logit first") from None
        raise
    got = scalar_data(student, loss, "cross_entropy")
    if close(own.loss, ref_cross_entropy(z, target)):
        diagnose_cross_entropy(z, target, got, diagnose)
    return xs, loss, got, own


@ce_checkpoint
def test_cross_entropy_matches_the_formula(student, rng, diagnose):
    """cross_entropy(z, target) equals -log softmax(z)[target] on random logits and targets."""
    positive = [float(v) for v in rng.uniform(0.1, 1.0, size=int(rng.integers(3, 10)))]
    for z in (positive, random_logits(rng, -4, 4), random_logits(rng, -4, 4)):
        target = int(rng.integers(0, len(z)))
        _, _, got, own = cross_entropy_number(student, z, target, diagnose)
        assert got is None or close_to_one_of(got, [ref_cross_entropy(z, target), own.loss]), \
            "cross_entropy should be -log softmax(logits)[target]"


@ce_checkpoint
def test_cross_entropy_of_uniform_logits_is_ln_v(student, rng, diagnose):
    """Equal logits for V tokens give the loss ln(V), whatever the common value and the target."""
    for size in (2, 7, 27, int(rng.integers(3, 40))):
        z = [float(rng.uniform(-3, 3))] * size
        _, _, got, own = cross_entropy_number(student, z, int(rng.integers(0, size)), diagnose, "equal logits")
        assert got is None or close_to_one_of(got, [math.log(size), own.loss]), \
            "equal logits for V tokens should give the loss ln(V)"


@ce_checkpoint
def test_cross_entropy_with_large_logits(student, rng, diagnose):
    """cross_entropy stays finite and correct when every logit is shifted by +1000."""
    z = random_logits(rng, -5, 5, 3, 27)
    target = int(rng.integers(0, len(z)))
    _, _, got, own = cross_entropy_number(student, [zi + 1000.0 for zi in z], target, diagnose, "large logits")
    assert got is None or close_to_one_of(got, [ref_cross_entropy(z, target), own.loss], rel=1e-7), \
        "shifting every logit by 1000 should not change the loss"


@ce_checkpoint
def test_cross_entropy_gradient_matches_finite_differences(student, rng, diagnose):
    """The gradient of cross_entropy with respect to the logits matches finite differences (softmax - one-hot)."""
    for _ in range(2):
        z = random_logits(rng, -3, 3, 3, 12)
        target = int(rng.integers(0, len(z)))
        xs, loss, _, own = cross_entropy_number(student, z, target, diagnose)
        if loss is None:
            continue
        grads = grads_after_backward(student, loss, xs)
        want = finite_difference_grad(lambda v, t=target: ref_cross_entropy(v, t), z)
        assert close_to_one_of(grads, [want, own.grads], rel=1e-5, abs_tol=1e-7), \
            "the gradient of cross_entropy does not match finite differences (it should be softmax minus one-hot)"


@ce_checkpoint
def test_cross_entropy_is_a_non_negative_value(student, rng, diagnose):
    """cross_entropy returns a single Value that is never negative, and leaves the logits unchanged."""
    z = random_logits(rng, -4, 4, 3, 15)
    xs, _, got, own = cross_entropy_number(student, z, int(rng.integers(0, len(z))), diagnose)
    assert got is None or got >= 0 or close(got, own.loss), "the loss is -log of a probability: it is never negative"
    assert student.define(read_data)(xs) in (z, own.logits_after), "cross_entropy should not change the logits"


# ------------------------------------------------------------ Task E: rmsnorm

def rmsnorm_numbers(student, x, diagnose, eps=None):
    xs = make_values(student, x)
    try:
        result = student.rmsnorm(xs) if eps is None else student.rmsnorm(xs, eps=eps)
    except StudentRaised as error:
        if failed_with(error, "ZeroDivisionError") and mean_square_inverted(student):
            diagnose("rmsnorm-mean-square-inverted")
            raise AssertionError("rmsnorm divided by zero: the mean square is the sum of the squares divided by "
                                 "len(x)") from None
        if failed_with(error, "ZeroDivisionError"):
            diagnose("rmsnorm-no-eps")
            raise AssertionError("rmsnorm divided by zero: add eps inside the square root, "
                                 "(mean(x^2) + eps) ** -0.5") from None
        if re.search(POWER_REVERSED, str(error)):
            diagnose("rmsnorm-power-reversed")
        raise
    return xs, value_data(student, result, "rmsnorm", len(x), diagnose, None)


def inverted_mean_square(x, eps=1e-5):
    """What rmsnorm gives with len(x) / sum of squares in place of the mean square."""
    x = np.asarray(x, dtype=float)
    return x * (1.0 / float(np.mean(x * x)) + eps) ** -0.5


def mean_square_inverted(student):
    """Whether the student's rmsnorm, on a vector it cannot divide by zero on, computes len(x) / sum of squares.

    Asked only once rmsnorm has divided by zero, to tell that mistake from a missing eps.
    """
    probe = [1.0, -2.0, 2.0]
    try:
        got = value_data(student, student.rmsnorm(make_values(student, probe)), "rmsnorm", len(probe))
    except (StudentRaised, AssertionError):
        return False
    return close(got, inverted_mean_square(probe), rel=1e-7)


def diagnose_rmsnorm(x, got, eps, diagnose):
    x = np.asarray(x, dtype=float)
    ms = float(np.mean(x * x))
    if close(got, rmsnorm(x, eps)):
        return
    if close(got, x / (ms + eps), rel=1e-7):
        diagnose("rmsnorm-no-sqrt")
    elif (ms > 0 and close(got, x / math.sqrt(ms), rel=1e-7)) or (eps != 1e-5 and close(got, rmsnorm(x))):
        diagnose("rmsnorm-no-eps")
    elif close(got, (x - x.mean()) / math.sqrt(float(np.var(x)) + eps), rel=1e-7):
        diagnose("rmsnorm-subtracts-mean")
    elif close(got, x / math.sqrt(float(np.sum(x * x)) + eps), rel=1e-7):
        diagnose("rmsnorm-sum-not-mean")
    elif ms > 0 and close(got, inverted_mean_square(x, eps), rel=1e-7):
        diagnose("rmsnorm-mean-square-inverted")


def random_vector(rng, scale_low=0.1, scale_high=10.0, min_len=2, max_len=20):
    scale = float(rng.uniform(scale_low, scale_high))
    return [float(v) for v in rng.normal(0.5, 1.0, size=int(rng.integers(min_len, max_len + 1))) * scale]


@rms_checkpoint
def test_rmsnorm_matches_the_formula(student, rng, diagnose):
    """rmsnorm(x)_i equals x_i / sqrt(mean(x^2) + 1e-5) on random vectors."""
    for x in (random_vector(rng), random_vector(rng), [float(rng.uniform(0.5, 3))]):
        _, got = rmsnorm_numbers(student, x, diagnose)
        diagnose_rmsnorm(x, got, 1e-5, diagnose)
        assert close(got, rmsnorm(x)), "rmsnorm(x)_i should be x_i / sqrt(mean(x^2) + eps)"


@rms_checkpoint
def test_rmsnorm_output_has_mean_square_one(student, rng, diagnose):
    """The output has mean square about 1, whatever the scale and the length of the input."""
    for low, high in ((0.5, 2.0), (5.0, 100.0)):
        x = random_vector(rng, low, high, 3, 30)
        _, got = rmsnorm_numbers(student, x, diagnose)
        diagnose_rmsnorm(x, got, 1e-5, diagnose)
        assert abs(float(np.mean(np.square(got))) - 1.0) < 1e-3, "the output of rmsnorm should have mean square 1"


@rms_checkpoint
def test_rmsnorm_uses_the_eps_it_is_given(student, rng, diagnose):
    """rmsnorm adds eps inside the square root: a given eps, and the default 1e-5 on a tiny vector."""
    for eps in (0.5, float(rng.uniform(1.0, 4.0))):
        x = random_vector(rng, 0.2, 2.0)
        _, got = rmsnorm_numbers(student, x, diagnose, eps=eps)
        diagnose_rmsnorm(x, got, eps, diagnose)
        assert close(got, rmsnorm(x, eps)), \
            "rmsnorm should use the eps it is given, inside the square root: x / sqrt(mean(x^2) + eps)"
    tiny = random_vector(rng, 1e-3, 3e-3)
    _, got = rmsnorm_numbers(student, tiny, diagnose)
    diagnose_rmsnorm(tiny, got, 1e-5, diagnose)
    assert close(got, rmsnorm(tiny)), "for a tiny vector the default eps = 1e-5 matters: add it inside the root"


@rms_checkpoint
def test_rmsnorm_of_zeros_is_zeros(student, rng, diagnose):
    """An all-zero vector gives all zeros, without dividing by zero."""
    size = int(rng.integers(2, 10))
    _, got = rmsnorm_numbers(student, [0.0] * size, diagnose)
    assert close(got, [0.0] * size), "rmsnorm of an all-zero vector should be all zeros"


@rms_checkpoint
def test_rmsnorm_gradient_matches_finite_differences(student, rng, diagnose):
    """The gradient through rmsnorm reaches every input and matches finite differences."""
    x = random_vector(rng, 0.5, 3.0, 3, 10)
    weights = rng.normal(size=len(x))
    xs = make_values(student, x)
    out = student.rmsnorm(xs)
    value_data(student, out, "rmsnorm", len(x))
    grads = grads_after_backward(student, student.define(weighted_sum)(out, weights.tolist()), xs)
    want = finite_difference_grad(lambda v: float(weights @ rmsnorm(v)), x)
    assert close(grads, want, rel=1e-5, abs_tol=1e-7), \
        "the gradient through rmsnorm does not match finite differences: build it from Value operations"
    assert student.define(read_data)(xs) == x, "rmsnorm should not change its input"


# ------------------------------------------------------------ Task F: bigram_loss

def bigram_case(rng, size=None, length=None):
    size = size or int(rng.integers(4, 28))
    table = rng.normal(0.0, 1.5, size=(size, size))
    length = length or int(rng.integers(3, 13))
    tokens = [int(t) for t in rng.integers(0, size, size=length)]
    return table, tokens


class YourParts(NamedTuple):
    """What the student's own embed and cross_entropy give on every pair of a fresh table, read back as data."""

    loss: float | None  # the mean of cross_entropy(embed(table, a), b) over the pairs (a, b)
    grads: np.ndarray | None  # the gradient of that mean with respect to the table
    raised: bool = False


def your_parts(student, table, tokens) -> YourParts:
    """bigram_loss's own-dependency expectation, so that an embed or cross_entropy bug costs points there only.

    Each pair's loss comes back as data and is averaged here; the gradient of
    the mean reaches the table through the provided backward.
    """
    rows = make_matrix(student, np.asarray(table).tolist())
    pairs = list(zip(tokens[:-1], tokens[1:], strict=True))
    try:
        losses = [student.cross_entropy(student.embed(rows, a), b) for a, b in pairs]
    except StudentRaised:
        return YourParts(None, None, raised=True)
    numbers = student.define(read_data)(losses)
    if not all(is_number(x) for x in numbers):
        return YourParts(None, None)
    student.backward(student.define(weighted_sum)(losses, [1.0 / len(pairs)] * len(pairs)))
    return YourParts(float(np.mean(numbers)), np.asarray(student.define(read_grads)(rows), dtype=float))


def bigram_number(student, table, tokens, diagnose):
    """bigram_loss on a fresh table: (the table, its Values, the loss and its number, what your parts give on it).

    Where the student's embed or cross_entropy raise on the table (-log of a
    negative logit), a table of positive numbers is judged instead. Symptoms are
    diagnosed only where those parts are sound.
    """
    own = your_parts(student, table, tokens)
    if own.raised:
        table = np.abs(table) + 0.5
        own = your_parts(student, table, tokens)
    rows = make_matrix(student, np.asarray(table).tolist())
    want = ref_bigram_loss(table, tokens)
    try:
        loss = student.bigram_loss(rows, list(tokens))
    except StudentRaised as error:
        if close(own.loss, want):
            diagnose_bigram_error(error, diagnose)
        raise
    got = scalar_data(student, loss, "bigram_loss")
    pairs = len(tokens) - 1
    if close(own.loss, want) and not close(got, want):
        if pairs > 1 and (close(got, want * pairs) or close(got, want * pairs * pairs)):
            diagnose("bigram-sum-not-mean")
        elif close(got, np.mean([ref_cross_entropy(table[t], t) for t in tokens[:-1]])) or \
                close(got, np.mean([ref_cross_entropy(table[t], t) for t in tokens[1:]])):
            diagnose("bigram-predicts-itself")
        elif pairs > 1 and (close(got, ref_bigram_loss(table, tokens[:-1]))
                            or close(got, ref_bigram_loss(table, tokens[1:]))):
            diagnose("bigram-pairs-off-by-one")
    return table, rows, loss, got, own


def diagnose_bigram_error(error, diagnose):
    """The symptom of what bigram_loss raised where its embed and cross_entropy are sound, if it is a known one."""
    if failed_with(error, "IndexError", "ZeroDivisionError"):  # a pair past the end, or no pair at all
        diagnose("bigram-pairs-off-by-one")
    elif re.search(r"'int' object is not (iterable|subscriptable)", str(error)):  # a token where a row belongs
        diagnose("bigram-arguments-swapped")


@bigram_checkpoint
def test_bigram_loss_averages_your_cross_entropy_over_the_pairs(student, rng, diagnose):
    """bigram_loss is the mean over the pairs (tokens[i], tokens[i + 1]) of your cross_entropy on row tokens[i]."""
    table, tokens = bigram_case(rng, length=int(rng.integers(4, 13)))
    table, _, _, got, own = bigram_number(student, table, tokens, diagnose)
    assert close_to_one_of(got, [ref_bigram_loss(table, tokens), own.loss]), \
        "bigram_loss should be the mean over i of cross_entropy(embed(table, tokens[i]), tokens[i + 1])"


@bigram_checkpoint
def test_bigram_loss_matches_the_mean_cross_entropy(student, rng, diagnose):
    """bigram_loss is the mean over positions of the cross-entropy of tokens[i + 1] given the row of tokens[i]."""
    for _ in range(3):
        table, tokens = bigram_case(rng)
        table, _, _, got, own = bigram_number(student, table, tokens, diagnose)
        assert close_to_one_of(got, [ref_bigram_loss(table, tokens), own.loss]), \
            "bigram_loss should be the mean of cross_entropy(embed(table, tokens[i]), tokens[i + 1])"


@bigram_checkpoint
def test_bigram_loss_of_a_zero_table_is_ln_v(student, rng, diagnose):
    """An all-zero table gives the loss ln(vocab_size) for any sequence of tokens."""
    for size in (27, int(rng.integers(4, 20))):
        tokens = [int(t) for t in rng.integers(0, size, size=int(rng.integers(3, 12)))]
        _, _, _, got, own = bigram_number(student, np.zeros((size, size)), tokens, diagnose)
        assert close_to_one_of(got, [math.log(size), own.loss]), "an all-zero table should give the loss ln(vocab_size)"


@bigram_checkpoint
def test_bigram_loss_of_a_single_pair(student, rng, diagnose):
    """Two tokens make one prediction: the loss is that one cross-entropy."""
    table, tokens = bigram_case(rng, length=2)
    while tokens[0] == tokens[1]:
        tokens = [int(t) for t in rng.integers(0, len(table), size=2)]
    table, _, _, got, own = bigram_number(student, table, tokens, diagnose)
    assert close_to_one_of(got, [ref_bigram_loss(table, tokens), own.loss]), \
        "for two tokens the loss is the cross-entropy of the one pair"


@bigram_checkpoint
def test_bigram_loss_gradient_reaches_the_table(student, rng, diagnose):
    """After backward, each row of the table holds the mean of (softmax - one-hot) over the positions that use it."""
    table, tokens = bigram_case(rng, size=int(rng.integers(4, 10)), length=int(rng.integers(6, 14)))
    table, rows, loss, _, own = bigram_number(student, table, tokens, diagnose)
    student.backward(loss)
    grads = np.asarray(student.define(read_grads)(rows), dtype=float)
    want = np.zeros_like(table)
    pairs = list(zip(tokens[:-1], tokens[1:], strict=True))
    for a, b in pairs:
        g = softmax(table[a])
        g[b] -= 1.0
        want[a] += g / len(pairs)
    assert close_to_one_of(grads, [want, own.grads], rel=1e-7, abs_tol=1e-10), \
        "the gradient of bigram_loss should reach exactly the rows of the tokens it predicts from"


# ------------------------------------------------------------ milestone: the handed-in table on held-out names

def load_bigram_table(submitted_file):
    """The vocabulary and logits of bigram.json, checked on the trusted side."""
    raw = submitted_file("bigram.json", max_mb=1)
    try:
        saved = json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        raise AssertionError("bigram.json is not valid JSON: write it with json.dump, as the training cell does") \
            from None
    assert isinstance(saved, dict) and {"chars", "bos", "logits"} <= set(saved), \
        "bigram.json should hold an object with chars, bos and logits, as the training cell writes it"
    chars, bos, logits = saved["chars"], saved["bos"], saved["logits"]
    assert isinstance(chars, list) and all(isinstance(c, str) and len(c) == 1 for c in chars), \
        "chars in bigram.json should be the list of single characters of your vocabulary"
    assert len(set(chars)) == len(chars), "chars in bigram.json should list every character once"
    assert isinstance(bos, int) and not isinstance(bos, bool) and bos == len(chars), \
        "bos in bigram.json should be len(chars)"
    size = len(chars) + 1
    assert isinstance(logits, list) and len(logits) == size, "logits in bigram.json should have one row per token"
    assert all(isinstance(row, list) and len(row) == size for row in logits), \
        "every row of logits in bigram.json should hold one number per token"
    assert all(is_number(x) for row in logits for x in row), "the logits in bigram.json should be plain numbers"
    table = np.array(logits, dtype=float)
    assert np.all(np.isfinite(table)), "the logits in bigram.json should be finite numbers"
    return chars, bos, table


def table_nll(chars, bos, table):
    """Mean per-token NLL of a bigram table on the held-out names (BOS on both sides)."""
    index = {c: i for i, c in enumerate(chars)}
    names = [[bos] + [index[c] for c in name] + [bos] for name in HELD_OUT_NAMES.read_text().split()]
    return held_out_nll(names, lambda inputs: log_softmax(table)[inputs])


@milestone
def test_bigram_json_holds_a_bigram_table(submitted_file):
    """bigram.json (handed in next to the notebook) holds your vocabulary and a finite table of logits."""
    chars, _, _ = load_bigram_table(submitted_file)
    letters = set("".join(TRAINING_NAMES.read_text().split()))
    assert letters <= set(chars), "the vocabulary in bigram.json should contain every letter of the names"


@milestone
def test_bigram_table_is_close_to_the_count_model_on_held_out_names(submitted_file):
    """The trained table's NLL on held-out names is close to the count-model floor (at most 2.50)."""
    chars, bos, table = load_bigram_table(submitted_file)
    held_out_letters = set("".join(HELD_OUT_NAMES.read_text().split()))
    assert held_out_letters <= set(chars), "the vocabulary in bigram.json should contain every letter of the names"
    nll = table_nll(chars, bos, table)
    assert nll <= HELD_OUT_BAR, \
        "the table in bigram.json is not close enough to the count model on held-out names: train it (longer)"
