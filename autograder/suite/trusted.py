"""What hidden suites share on the trusted side: comparisons, inputs and reference computations.

Everything here runs in the grader's process on plain data; nothing here is
ever sent to the student's process.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager

import numpy as np

from ..sandbox import Student, StudentRaised


def is_number(x) -> bool:
    """A real int or float (a bool, a proxy or a string is not)."""
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def is_finite_number(x) -> bool:
    """A real int or float that is neither infinite nor NaN."""
    return is_number(x) and math.isfinite(x)


def close(actual, expected, rel: float = 1e-9, abs_tol: float = 1e-12) -> bool:
    """Whether actual is plain numbers shaped like the trusted expected value, each within tolerance of it.

    expected is a number, nested lists or an array; rel is relative, abs_tol absolute.
    """
    if expected is None:
        return False
    if np.ndim(expected) == 0:
        return is_number(actual) and math.isclose(actual, float(expected), rel_tol=rel, abs_tol=abs_tol)
    try:
        got = np.asarray(actual, dtype=float)
    except (TypeError, ValueError):
        return False
    return (got.shape == np.shape(expected) and bool(np.all(np.isfinite(got)))
            and bool(np.allclose(got, expected, rtol=rel, atol=abs_tol)))


def close_to_one_of(actual, expectations: Sequence, rel: float = 1e-9, abs_tol: float = 1e-12) -> bool:
    """Whether actual is close to one of the expectations (None entries never match).

    A function that calls another graded function of its assignment is judged
    against the trusted answer and against the answer its own code gives with
    the student's dependency, computed here from what that dependency returned
    as plain data: a mistake in the dependency then costs points only on the
    dependency's checkpoint.
    """
    return any(close(actual, expected, rel, abs_tol) for expected in expectations if expected is not None)


@contextmanager
def diagnosing(diagnose: Callable[[str], None], errors: Mapping[str, str]) -> Iterator[None]:
    """Runs the block; when the student's code raised an error that a pattern in `errors` matches, records that
    pattern's symptom and lets the error fail the test as before."""
    try:
        yield
    except StudentRaised as error:
        for pattern, symptom in errors.items():
            if re.search(pattern, str(error)):
                diagnose(symptom)
        raise


def patterns_that_fit(got, right, patterns: Iterable[tuple[str, object]], same: Callable[[object, object], bool]
                      ) -> set[str]:
    """The symptoms of the wrong patterns whose result (None: the pattern cannot apply) is exactly what the
    student's code gave; a pattern that also gives the right result names no mistake."""
    return {symptom for symptom, result in patterns
            if result is not None and same(got, result) and not same(right, result)}


def diagnose_only_fit(diagnose: Callable[[str], None], fits: set[str]) -> None:
    """Records the symptom when exactly one explanation fits; when two do, naming either could be wrong."""
    if len(fits) == 1:
        diagnose(next(iter(fits)))


def is_value(student: Student, x) -> bool:
    """True when x is a Value node living in the student's process."""
    if x is None or isinstance(x, (bool, int, float, str, list, tuple, dict)):
        return False
    return student.type_name(x) == "Value"


def signed(rng: np.random.Generator, low: float, high: float) -> float:
    """A random float with magnitude in [low, high] and a random sign."""
    magnitude = float(rng.uniform(low, high))
    return magnitude if rng.random() < 0.5 else -magnitude


def distinct_pair(rng: np.random.Generator) -> tuple[float, float]:
    """Two random floats with magnitudes in [0.5, 3], at least 0.5 apart (so a swap of the two is visible)."""
    while True:
        x, y = signed(rng, 0.5, 3.0), signed(rng, 0.5, 3.0)
        if abs(x - y) >= 0.5:
            return x, y


class Dual:
    """A float carrying one derivative (forward mode): the exact reference for the gradient of an expression."""

    __slots__ = ("val", "der")

    def __init__(self, val, der=0.0):
        self.val, self.der = float(val), float(der)

    @staticmethod
    def lift(x) -> Dual:
        return x if isinstance(x, Dual) else Dual(x)

    def __add__(self, other):
        other = Dual.lift(other)
        return Dual(self.val + other.val, self.der + other.der)

    __radd__ = __add__

    def __mul__(self, other):
        other = Dual.lift(other)
        return Dual(self.val * other.val, self.der * other.val + self.val * other.der)

    __rmul__ = __mul__

    def __neg__(self):
        return Dual(-self.val, -self.der)

    def __sub__(self, other):
        return self + (-Dual.lift(other))

    def __rsub__(self, other):
        return Dual.lift(other) - self

    def __truediv__(self, other):
        other = Dual.lift(other)
        return Dual(self.val / other.val, (self.der * other.val - self.val * other.der) / other.val ** 2)

    def __rtruediv__(self, other):
        return Dual.lift(other) / self

    def __pow__(self, k):
        return Dual(self.val ** k, k * self.val ** (k - 1) * self.der)

    def exp(self):
        e = math.exp(self.val)
        return Dual(e, e * self.der)

    def log(self):
        return Dual(math.log(self.val), self.der / self.val)

    def relu(self):
        return Dual(self.val, self.der) if self.val > 0 else Dual(0.0, 0.0)


def trusted_function(source: str) -> Callable:
    """An expression's lambda (a suite's own source text), built here without builtins."""
    return eval(source, {"__builtins__": {}})  # noqa: S307 - sources are written by the suites


def exact_gradient(source: str, xs: Sequence[float]) -> list[float]:
    """d f / d x_i of the expression `source` at the floats xs, for every i, by forward-mode dual numbers."""
    fn = trusted_function(source)
    return [fn(*[Dual(x, 1.0 if j == i else 0.0) for j, x in enumerate(xs)]).der for i in range(len(xs))]


def softmax(z, axis: int = -1) -> np.ndarray:
    """Probabilities from scores along an axis, computed stably."""
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(z, axis: int = -1) -> np.ndarray:
    z = np.asarray(z, dtype=float)
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def rmsnorm(x, eps: float = 1e-5) -> np.ndarray:
    """x divided by its root mean square (over the last axis)."""
    x = np.asarray(x, dtype=float)
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps)


def attention_step(x, layer, keys: list, values: list, n_head: int) -> np.ndarray:
    """Reference multi-head attention for one position, as a KV cache computes it.

    Appends the position's key and value to the caches, attends per head over
    everything cached (scaled dot products, softmax) and projects with attn_wo.
    """
    q = layer["attn_wq"] @ x
    keys.append(layer["attn_wk"] @ x)
    values.append(layer["attn_wv"] @ x)
    K, V = np.array(keys), np.array(values)
    head_dim = len(x) // n_head
    heads = [softmax(K[:, part] @ q[part] / math.sqrt(head_dim)) @ V[:, part]
             for part in (slice(h * head_dim, (h + 1) * head_dim) for h in range(n_head))]
    return layer["attn_wo"] @ np.concatenate(heads)


def held_out_nll(sequences: Sequence[Sequence[int]], log_probs: Callable[[np.ndarray], np.ndarray]) -> float:
    """Mean negative log-likelihood per predicted token of token sequences (held-out names).

    `log_probs(inputs)` maps a (batch, positions) array of tokens to (batch,
    positions, vocabulary) log-probabilities of the next token; sequences are
    batched by length.
    """
    by_length: dict[int, list] = {}
    for tokens in sequences:
        by_length.setdefault(len(tokens), []).append(list(tokens))
    total, count = 0.0, 0
    for group in by_length.values():
        batch = np.array(group)
        logp = log_probs(batch[:, :-1])
        total -= float(np.take_along_axis(logp, batch[:, 1:, None], axis=-1).sum())
        count += batch[:, 1:].size
    return total / count


def check_answer(student: Student, name: str):
    """The value a checkpoint question's cell set, or a failed test telling the student to set it."""
    assert student.has(name), f"{name} is not set: replace the raise line in its cell with {name} = <your answer>"
    return getattr(student, name)

