"""Hidden tests for a6_attention: attention weights, heads, the KV cache and the causal mask.

These tests run on the trusted side. Layers, queries and sequences are drawn
from the `rng` fixture as float arrays, turned into `Value`s inside the
student's process by small helper lambdas (which only build and read
Values), and every expected number is computed here by a numpy reference.
Gradients are compared with central finite differences of that reference.
A function that calls another graded function (a head its weights, attention
its heads) is also accepted when it gives what its own code gives with the
student's dependency: the dependency's results are read back as data and
the rest is computed here, so a mistake costs points only where it is.
Each docstring is the feedback line a student reads when the test fails;
assertion messages speak to the student and never contain expected values
or hidden inputs.
"""
import math
from contextlib import contextmanager, nullcontext

import numpy as np
import pytest

from autograder.sandbox import StudentError
from autograder.suite.questions import test_checkpoint_question  # noqa: F401 (rubric.toml's questions)
from autograder.suite.student_side import as_values, read_data, read_grads, weighted_sum
from autograder.suite.trusted import attention_step, close, close_to_one_of, diagnosing, is_finite_number, softmax

weights_checkpoint = pytest.mark.checkpoint("attention_weights")
head_checkpoint = pytest.mark.checkpoint("attention_head")
mha_checkpoint = pytest.mark.checkpoint("multi_head_attention")
causal_checkpoint = pytest.mark.checkpoint("causal_self_attention")
milestone = pytest.mark.checkpoint("milestone")

NAMES = ("attn_wq", "attn_wk", "attn_wv", "attn_wo")
RTOL, ATOL = 1e-6, 1e-9          # student floats against the numpy reference
GRAD_RTOL, GRAD_ATOL = 1e-4, 1e-6  # analytic gradients against finite differences
STEP = 1e-6                      # finite-difference step


# ------------------------------------------------------------ trusted reference (numpy)


def ref_weights(q, K, factor=None):
    """softmax(K q * factor); factor defaults to 1 / sqrt(len(q))."""
    factor = 1 / math.sqrt(len(q)) if factor is None else factor
    return softmax(K @ q * factor)


def ref_head(q, K, V):
    return ref_weights(q, K) @ V


SCALES = {"head_dim": lambda n, hd: 1 / math.sqrt(hd), "n_embd": lambda n, hd: 1 / math.sqrt(n),
          "none": lambda n, hd: 1.0, "dim": lambda n, hd: 1 / hd}


def role_sources(X, W):
    """What a query, key or value can be made from, right or by a slip between the similar names q, k, v, x:
    the projections, the input itself, and a projection of another projection (k = linear(q, attn_wk))."""
    Q, K, V = X @ W["attn_wq"].T, X @ W["attn_wk"].T, X @ W["attn_wv"].T
    return {"q": Q, "k": K, "v": V, "x": X, "linear(q, wk)": Q @ W["attn_wk"].T,
            "linear(k, wv)": K @ W["attn_wv"].T, "linear(q, wv)": Q @ W["attn_wv"].T}


MIXED_ROLES = [("k", "k", "v"), ("v", "k", "v"), ("x", "k", "v"),
               ("q", "q", "v"), ("q", "v", "v"), ("q", "x", "v"), ("q", "linear(q, wk)", "v"),
               ("q", "k", "k"), ("q", "k", "q"), ("q", "k", "x"), ("q", "k", "linear(k, wv)"),
               ("q", "k", "linear(q, wv)"), ("q", "v", "k")]  # (query, key, value) made from the wrong vector


def ref_attention(X, W, n_head, scale="head_dim", heads="contiguous", mask="causal", project=True,
                  roles=("q", "k", "v"), cache_k=None, cache_v=None):
    """Outputs (one row per position of X) of attention made with the given, possibly wrong, choices.

    cache_k, cache_v: rows already in the cache before X[0]; they are visible to every position.
    mask: 'causal' positions 0..t; 'future' 0..t+1; 'none' every position; 'past' 0..t-1 (the cache
    appended after attending); 'self' only t (a cache that never grows).
    roles: what the queries, keys and values are made from (see role_sources).
    Returns None when some position would have nothing to attend to.
    """
    T, n = X.shape
    hd = n // n_head
    factor = SCALES[scale](n, hd)
    sources = role_sources(X, W)
    Q, K, V = (sources[role] for role in roles)
    P = 0
    if cache_k is not None:
        P = len(cache_k)
        K, V = np.vstack([cache_k, K]), np.vstack([cache_v, V])
    outs = []
    for t in range(T):
        stop = {"causal": t + 1, "future": min(T, t + 2), "none": T, "past": t, "self": t + 1}[mask]
        rows = [P + t] if mask == "self" else list(range(P + stop))
        if not rows:
            return None
        concat = []
        for h in range(n_head):
            idx = np.arange(h * hd, (h + 1) * hd) if heads == "contiguous" else np.arange(h, n, n_head)
            w = softmax(K[rows][:, idx] @ Q[t, idx] * factor)
            concat.append(w @ V[rows][:, idx])
        c = np.concatenate(concat)
        outs.append(W["attn_wo"] @ c if project else c)
    return np.array(outs)


def ref_cached(X, W, n_head):
    """The trusted one-position-at-a-time computation with a growing KV cache."""
    keys, values = [], []
    return np.array([attention_step(x, W, keys, values, n_head) for x in X])


def mistakes(prefix):
    """(symptom, options of ref_attention) of the known wrong ways to write attention."""
    return [
        (prefix + "sees-the-future", {"mask": "future"}),
        (prefix + "sees-the-future", {"mask": "none"}),
        (prefix + "cache-not-in-place", {"mask": "self"}),
        (prefix + "scale-n-embd", {"scale": "n_embd"}),
        (prefix + "no-scale", {"scale": "none"}),
        (prefix + "scale-head-dim-no-sqrt", {"scale": "dim"}),
        (prefix + "heads-strided", {"heads": "strided"}),
        (prefix + "missing-output-projection", {"project": False}),
        *((prefix + "roles-mixed", {"roles": roles}) for roles in MIXED_ROLES),
    ]


def numeric_gradients(f, arrays):
    """Central differences of the scalar f(*arrays) with respect to every entry of every array."""
    grads = []
    for a in arrays:
        g = np.zeros_like(a)
        for idx in np.ndindex(a.shape):
            old = a[idx]
            a[idx] = old + STEP
            up = f(*arrays)
            a[idx] = old - STEP
            down = f(*arrays)
            a[idx] = old
            g[idx] = (up - down) / (2 * STEP)
        grads.append(g)
    return grads


def random_layer(rng, n):
    """Four (n, n) matrices with entries of std 1/sqrt(n): scores of a typical size of about 1."""
    return {name: rng.normal(0.0, 1.0 / math.sqrt(n), (n, n)) for name in NAMES}


# ------------------------------------------------------------ talking to the student's process

def values_of(student, array):
    """A float array as the student's Values: a list for a vector, a list of lists for a matrix."""
    return student.define(as_values)(np.asarray(array, dtype=float).tolist())


def layer_of(student, W):
    """The layer dict held in the student's process, and its matrices as proxies (for gradients)."""
    mats = student.define(as_values)({name: W[name].tolist() for name in NAMES})
    return student.hold(mats), mats


def backward_of_weighted_sum(student, outputs, coefficients):
    """The provided backward from sum(coefficients * outputs), a root built in the student's process."""
    student.backward(student.define(weighted_sum)(outputs, np.asarray(coefficients, dtype=float).tolist()))


def vector_of(got, length, what, length_message):
    """The numbers read back from a returned vector, after checking its form."""
    assert isinstance(got, list), f"{what} should return a list of Values"
    assert len(got) == length, f"{what} {length_message}"
    assert all(x is not None for x in got), f"{what} should return Value nodes, not plain numbers or other objects"
    assert all(is_finite_number(x) for x in got), f"{what} returned a Value whose data is not a finite number"
    return np.array(got, dtype=float)


def rows_of(got, shape, what, length_message):
    """The numbers read back from a returned list of vectors, after checking its form."""
    assert isinstance(got, list), f"{what} should return a list of outputs, one per position"
    assert len(got) == shape[0], f"{what} should return one output per position"
    return np.array([vector_of(row, shape[1], what, length_message) for row in got])


def diagnose_unique(got, candidates, diagnose):
    """Records the known mistake that reproduces what the student returned, unless several do."""
    matched = {symptom for symptom, alternative in candidates if close(got, alternative, RTOL, ATOL)}
    if len(matched) == 1:
        diagnose(matched.pop())


def diagnose_mistake(got, X, W, n_head, candidates, diagnose, **context):
    """Records the known mistake of attention whose output matches what the student returned."""
    diagnose_unique(got, [(symptom, ref_attention(X, W, n_head, **options, **context))
                          for symptom, options in candidates], diagnose)


def gradients_match(got, want):
    return all(np.shape(g) == np.shape(w) and np.allclose(g, w, rtol=GRAD_RTOL, atol=GRAD_ATOL)
               for g, w in zip(got, want, strict=True))


def grad_array(got, shape, what):
    array = np.array(got, dtype=object)
    assert array.shape == shape and all(is_finite_number(x) for x in array.flat), \
        f"the gradients of {what} could not be read after backward: keep them Values"
    return array.astype(float)


def feed(student, inputs, layer, n_head, keys=None, values=None):
    """Calls multi_head_attention once per input Value vector with the same caches; returns outputs and caches."""
    keys = student.hold([]) if keys is None else keys
    values = student.hold([]) if values is None else values
    return [student.multi_head_attention(x, layer, keys, values, n_head) for x in inputs], keys, values


def run_backward(student, X, W, c, outputs_of, diagnose=None, function=None):
    """outputs_of(inputs, layer) in the student's process, then the provided backward from sum(c * outputs).

    Returns the outputs' numbers and the gradients of the four matrices and of X, as read back. Given diagnose, an
    error the student's `function` raised is diagnosed (own_errors).
    """
    layer, mats = layer_of(student, W)
    inputs = values_of(student, X)
    with own_errors(student, diagnose, function) if diagnose else nullcontext():
        outs = outputs_of(inputs, layer)
    forward = student.define(read_data)(outs)
    backward_of_weighted_sum(student, outs, c)
    return forward, [student.define(read_grads)(mats[name]) for name in NAMES] + [student.define(read_grads)(inputs)]


def checked_gradients(grads, W, X):
    """The gradients run_backward read, each checked to be an array of numbers of its shape."""
    shapes = [W[name].shape for name in NAMES] + [X.shape]
    return [grad_array(g, shape, what) for g, shape, what in zip(grads, shapes, [*NAMES, "the inputs"], strict=True)]


# ------------------------------------------------------------ what the student's own parts give, read as data

def as_array(numbers, shape):
    """Numbers read back from the student's process as a finite array of the given shape, else None."""
    try:
        array = np.array(numbers, dtype=float)
    except (TypeError, ValueError):
        return None
    return array if array.shape == shape and np.all(np.isfinite(array)) else None


def own_call(student, name, arrays, length, coefficients=None):
    """The student's function `name` on the arrays (as Values): its output's numbers and, given coefficients,
    the gradients of sum(coefficients * output) for each input by the provided backward; None where it fails."""
    try:
        inputs = [values_of(student, a) for a in arrays]
        out = getattr(student, name)(*inputs)
        numbers = as_array(student.define(read_data)(out), (length,))
        if numbers is None or coefficients is None:
            return numbers, None
        backward_of_weighted_sum(student, out, coefficients)
        grads = [as_array(student.define(read_grads)(x), np.shape(a)) for x, a in zip(inputs, arrays, strict=True)]
    except StudentError:
        return None, None
    return numbers, None if any(g is None for g in grads) else grads


def own_head(student):
    """A head as the student's attention_head computes it: attend(q, K, V, g) -> (output, gradients of g . output)."""
    def attend(q, K, V, g=None):
        return own_call(student, "attention_head", [q, K, V], V.shape[1], g)
    return attend


def own_weights(student):
    """A head whose weights are the student's attention_weights, summed with the values here."""
    def attend(q, K, V, g=None):
        w, grads = own_call(student, "attention_weights", [q, K], len(K), None if g is None else V @ g)
        if w is None:
            return None, None
        return w @ V, None if grads is None else [*grads, np.outer(w, g)]
    return attend


def attention_with(attend, X, W, n_head, c=None, cache_k=None, cache_v=None):
    """Causal multi-head attention over X computed here, except that every head is attend(q, K, V, g).

    Returns the outputs and, given coefficients c (a row per output), the gradients of sum(c * outputs) for
    the four matrices and X by the chain rule around attend; (None, None) when attend fails.
    """
    T, n = X.shape
    hd, P = n // n_head, 0 if cache_k is None else len(cache_k)
    Q, K, V = (X @ W[name].T for name in NAMES[:3])
    if P:
        K, V = np.vstack([cache_k, K]), np.vstack([cache_v, V])
    concat, dQ, dK, dV = np.zeros((T, n)), np.zeros_like(Q), np.zeros_like(K), np.zeros_like(V)
    for t in range(T):
        g = None if c is None else W["attn_wo"].T @ c[t]
        seen = slice(0, P + t + 1)
        for part in (slice(h * hd, (h + 1) * hd) for h in range(n_head)):
            out, grads = attend(Q[t, part], K[seen, part], V[seen, part], None if g is None else g[part])
            if out is None or (g is not None and grads is None):
                return None, None
            concat[t, part] = out
            if g is not None:
                dQ[t, part] += grads[0]
                dK[seen, part] += grads[1]
                dV[seen, part] += grads[2]
    if c is None:
        return concat @ W["attn_wo"].T, None
    dK, dV = dK[P:], dV[P:]
    dX = dQ @ W["attn_wq"] + dK @ W["attn_wk"] + dV @ W["attn_wv"]
    return concat @ W["attn_wo"].T, [dQ.T @ X, dK.T @ X, dV.T @ X, c.T @ concat, dX]


def own_mha(student, X, W, n_head):
    """The student's multi_head_attention fed X one position at a time with fresh caches, None where it fails."""
    try:
        outs, _, _ = feed(student, values_of(student, X), layer_of(student, W)[0], n_head)
        return as_array(student.define(read_data)(outs), X.shape)
    except StudentError:
        return None


# ------------------------------------------------------------ errors the student's code raised

SLIPS = {  # Python's own wording of an error -> the slip it points to
    r"raised (NameError|UnboundLocalError):": "mixed-up-names",
    r"raised TypeError: ('Value' object is not (iterable|subscriptable)|'int' object is not subscriptable"
    r"|slice indices must be integers|list indices must be integers|can only concatenate list"
    r"|float\(\) argument must be a string or a real number, not 'list')": "mixed-up-names",
    r"raised ValueError: zip\(\) argument \d+ is (shorter|longer) than": "lengths-differ",
    r"raised ValueError: max\(\) (arg is an empty sequence|iterable argument is empty)": "attends-to-nothing",
    r"raised ZeroDivisionError:": "empty-head",
    r"raised IndexError: list index out of range": "index-out-of-range",
}

_probe = np.random.default_rng(6)  # fixed inputs that only tell whether a student's part works
PROBE_Q, PROBE_K, PROBE_V = _probe.normal(size=4), _probe.normal(size=(3, 4)), _probe.normal(size=(3, 4))
PROBE_X, PROBE_W = _probe.normal(size=(3, 4)), random_layer(_probe, 4)


def weights_sound(student):
    got, _ = own_call(student, "attention_weights", [PROBE_Q, PROBE_K], len(PROBE_K))
    return close(got, ref_weights(PROBE_Q, PROBE_K), RTOL, ATOL)


def head_sound(student):
    got, _ = own_call(student, "attention_head", [PROBE_Q, PROBE_K, PROBE_V], PROBE_V.shape[1])
    return close(got, ref_head(PROBE_Q, PROBE_K, PROBE_V), RTOL, ATOL)


def mha_sound(student):
    return close(own_mha(student, PROBE_X, PROBE_W, 2), ref_attention(PROBE_X, PROBE_W, 2), RTOL, ATOL)


CALLS = {  # graded function -> (prefix of its symptoms, the graded parts it may call)
    "multi_head_attention": ("mha:", (weights_sound, head_sound)),
    "causal_self_attention": ("causal:", (weights_sound, head_sound, mha_sound)),
}


@contextmanager
def own_errors(student, diagnose, function):
    """Runs a call of the student's `function`; an error it raised whose Python wording names a slip is recorded
    for `function`, but only when the graded parts it may call are sound (else the error may be theirs)."""
    prefix, parts = CALLS[function]

    def record(symptom):
        if all(sound(student) for sound in parts):
            diagnose(prefix + symptom)

    with diagnosing(record, SLIPS):
        yield


def judge_attention(got, student, X, W, n_head, via_mha=False, **cache):
    """(right, parts sound) of attention outputs: right when they are the trusted ones or those the student's
    own parts give (their head, their weights and, for causal_self_attention, their multi_head_attention);
    the parts are sound when the head and the weights give the trusted outputs, and only then is a wrong output
    diagnosed."""
    want = ref_attention(X, W, n_head, **cache)
    if close(got, want, RTOL, ATOL):
        return True, True
    own = [attention_with(attend, X, W, n_head, **cache)[0] for attend in (own_head(student), own_weights(student))]
    sound = all(o is None or close(o, want, RTOL, ATOL) for o in own)
    if via_mha:
        own.append(own_mha(student, X, W, n_head))
    return close_to_one_of(got, own, RTOL, ATOL), sound


def gradients_right(got, want, student, X, W, n_head, c, via_mha=False):
    """The trusted gradients of sum(c * outputs), or those the student's own parts give: by the chain rule around
    their head and their weights, and (for causal_self_attention) through their multi_head_attention."""
    if gradients_match(got, want):
        return True
    own = [attention_with(attend, X, W, n_head, c)[1] for attend in (own_head(student), own_weights(student))]
    if via_mha:
        try:
            _, read = run_backward(student, X, W, c, lambda inputs, layer: feed(student, inputs, layer, n_head)[0])
            own.append([as_array(g, np.shape(w)) for g, w in zip(read, want, strict=True)])
        except StudentError:
            pass
    return any(g is not None and all(x is not None for x in g) and gradients_match(got, g) for g in own)


# ------------------------------------------------------------ Task A: attention_weights

WEIGHT_LENGTH = "should return one weight per key"


def call_weights(student, q, K):
    got = student.define(read_data)(student.attention_weights(values_of(student, q), values_of(student, K)))
    return vector_of(got, len(K), "attention_weights", WEIGHT_LENGTH)


def weights_candidates(q, K):
    d, T = len(q), len(K)
    self_dot = np.full(T, q @ q)
    return [("weights-no-scale", ref_weights(q, K, 1.0)),
            ("weights-scale-by-d", ref_weights(q, K, 1 / d)),
            ("weights-scale-by-length", ref_weights(q, K, 1 / math.sqrt(T))),
            ("weights-scale-upside-down", ref_weights(q, K, math.sqrt(d))),
            ("weights-self-dot", softmax(np.sum(K * K, axis=1) / math.sqrt(d))),
            ("weights-self-dot", softmax(self_dot / math.sqrt(d)))]


def check_weights(got, q, K, diagnose, message):
    want = ref_weights(q, K)
    if not close(got, want, RTOL, ATOL):
        diagnose_unique(got, weights_candidates(q, K), diagnose)
    assert close(got, want, RTOL, ATOL), message


@weights_checkpoint
def test_weights_sum_to_one(student, rng):
    """The attention weights are positive, one per key, and sum to 1."""
    for d, T in [(4, 3), (6, 5), (8, 2)]:
        w = call_weights(student, rng.normal(size=d), rng.normal(size=(T, d)))
        assert np.all(w >= 0) and np.all(w <= 1), "every attention weight should lie between 0 and 1"
        assert abs(w.sum() - 1) < 1e-9, "the attention weights should sum to 1 (a softmax over the keys)"


@weights_checkpoint
def test_weights_are_the_softmax_of_scaled_dot_products(student, rng, diagnose):
    """The weights are softmax(q . k_t / sqrt(len(q))) over the keys."""
    for d, T in [(4, 5), (8, 3), (5, 4)]:
        q, K = rng.normal(size=d), rng.normal(size=(T, d))
        check_weights(call_weights(student, q, K), q, K, diagnose,
                      "the weights should be the softmax of q . k_t / sqrt(len(q))")


@weights_checkpoint
def test_weights_scale_uses_the_length_of_q(student, rng, diagnose):
    """The scale is 1/sqrt(len(q)), for short and long vectors and for few and many keys."""
    for d, T in [(16, 3), (2, 8), (9, 4)]:
        q, K = rng.normal(size=d), rng.normal(size=(T, d))
        check_weights(call_weights(student, q, K), q, K, diagnose,
                      "the scale should be 1 / sqrt(len(q)): d is the length of the vectors, not the number "
                      "of keys, and the square root matters")


@weights_checkpoint
def test_a_single_key_gets_all_the_attention(student, rng):
    """With a single key the only weight is 1."""
    d = int(rng.integers(3, 9))
    w = call_weights(student, rng.normal(size=d), rng.normal(size=(1, d)))
    assert abs(w[0] - 1) < 1e-12, "with a single key its weight should be exactly 1"


@weights_checkpoint
def test_identical_keys_share_the_attention_equally(student, rng):
    """Identical keys get equal weights, 1/T each."""
    d, T = 5, int(rng.integers(2, 6))
    K = np.tile(rng.normal(size=d), (T, 1))
    w = call_weights(student, rng.normal(size=d), K)
    assert np.allclose(w, 1 / T, rtol=1e-9), "identical keys should get equal weights"


@weights_checkpoint
def test_large_scores_do_not_overflow(student, rng, diagnose):
    """Very large scores give finite weights (a stable softmax)."""
    d = 4
    q = 30.0 + rng.normal(size=d)
    K = np.vstack([30.0 + rng.normal(size=d), rng.normal(size=(2, d)), -30.0 + rng.normal(size=d)])
    with diagnosing(diagnose, {r"raised OverflowError:": "softmax-overflow"}):
        w = call_weights(student, q, K)
    check_weights(w, q, K, diagnose, "with very large scores the weights are still softmax(q . k_t / sqrt(len(q)))")


@weights_checkpoint
def test_weights_pass_gradients_to_q_and_keys(student, rng, diagnose):
    """Gradients flow from the weights back to the query and to every key (checked with finite differences)."""
    d, T = 4, 3
    q, K, c = rng.normal(size=d), rng.normal(size=(T, d)), rng.normal(size=T)
    q_values, K_values = values_of(student, q), values_of(student, K)
    out = student.attention_weights(q_values, K_values)
    forward = vector_of(student.define(read_data)(out), T, "attention_weights", WEIGHT_LENGTH)
    backward_of_weighted_sum(student, out, c)
    got = [grad_array(student.define(read_grads)(q_values), (d,), "q"),
           grad_array(student.define(read_grads)(K_values), (T, d), "the keys")]
    want = numeric_gradients(lambda q_, K_: float(c @ ref_weights(q_, K_)), [q.copy(), K.copy()])
    if close(forward, ref_weights(q, K), RTOL, ATOL) and not gradients_match(got, want):
        diagnose("weights-graph-cut")
    assert gradients_match(got, want), \
        "the gradients of q and of the keys are wrong: build the scores from Value operations, not from .data"


# ------------------------------------------------------------ Task B: attention_head

HEAD_LENGTH = "should return one Value per entry of a value vector"


def call_head(student, q, K, V, diagnose):
    out = student.attention_head(values_of(student, q), values_of(student, K), values_of(student, V))
    got = student.define(read_data)(out)
    if isinstance(got, list) and len(got) == len(q) != V.shape[1]:
        diagnose("head-length-from-q")
    return vector_of(got, V.shape[1], "attention_head", HEAD_LENGTH)


def check_head(student, got, q, K, V, diagnose, message):
    """The weighted sum of the values, with the trusted weights or with the student's own attention_weights."""
    own, _ = own_call(student, "attention_weights", [q, K], len(K))
    weights = [ref_weights(q, K)] + ([] if own is None else [own])
    right = close_to_one_of(got, [w @ V for w in weights], RTOL, ATOL)
    if not right and K.shape == V.shape and close_to_one_of(got, [w @ K for w in weights], RTOL, ATOL):
        diagnose("head-sums-keys")
    assert right, message


@head_checkpoint
def test_head_is_the_weighted_sum_of_the_values(student, rng, diagnose):
    """The head's output is the sum over positions of weight_t * values[t]."""
    for d, T in [(4, 3), (6, 5)]:
        q, K, V = rng.normal(size=d), rng.normal(size=(T, d)), rng.normal(size=(T, d))
        check_head(student, call_head(student, q, K, V, diagnose), q, K, V, diagnose,
                   "the output should be the sum over t of weights[t] * values[t] (the values, not the keys)")


@head_checkpoint
def test_values_may_be_longer_or_shorter_than_the_query(student, rng, diagnose):
    """Values of another length than q give an output of the values' length."""
    for d, T, dv in [(4, 3, 6), (6, 4, 2)]:
        q, K, V = rng.normal(size=d), rng.normal(size=(T, d)), rng.normal(size=(T, dv))
        check_head(student, call_head(student, q, K, V, diagnose), q, K, V, diagnose,
                   "the output should have one entry per entry of a value vector, each a weighted sum")


@head_checkpoint
def test_one_position_hands_over_its_value(student, rng, diagnose):
    """With a single key the output is that position's value."""
    q, K, V = rng.normal(size=5), rng.normal(size=(1, 5)), rng.normal(size=(1, 5))
    check_head(student, call_head(student, q, K, V, diagnose), q, K, V, diagnose,
               "with a single key the output should be exactly its value")


@head_checkpoint
def test_identical_keys_average_the_values(student, rng, diagnose):
    """Identical keys give the plain average of the values."""
    T = int(rng.integers(2, 6))
    q, K, V = rng.normal(size=4), np.tile(rng.normal(size=4), (T, 1)), rng.normal(size=(T, 4))
    check_head(student, call_head(student, q, K, V, diagnose), q, K, V, diagnose,
               "with identical keys the output should be the mean of the values")


@head_checkpoint
def test_head_passes_gradients_to_query_keys_and_values(student, rng, diagnose):
    """Gradients flow from the head's output to the query, the keys and the values (finite differences)."""
    d, T = 4, 3
    q, K, V, c = rng.normal(size=d), rng.normal(size=(T, d)), rng.normal(size=(T, d)), rng.normal(size=d)
    q_values, K_values, V_values = values_of(student, q), values_of(student, K), values_of(student, V)
    out = student.attention_head(q_values, K_values, V_values)
    forward = vector_of(student.define(read_data)(out), d, "attention_head", HEAD_LENGTH)
    backward_of_weighted_sum(student, out, c)
    got = [grad_array(student.define(read_grads)(q_values), (d,), "q"),
           grad_array(student.define(read_grads)(K_values), (T, d), "the keys"),
           grad_array(student.define(read_grads)(V_values), (T, d), "the values")]
    want = numeric_gradients(lambda q_, K_, V_: float(c @ ref_head(q_, K_, V_)), [q.copy(), K.copy(), V.copy()])
    own, own_grads = own_weights(student)(q, K, V, c)   # no gradient to q and K if the student's weights pass none
    right = gradients_match(got, want) or (own_grads is not None and gradients_match(got, own_grads))
    if close_to_one_of(forward, [ref_head(q, K, V), own], RTOL, ATOL) and not right:
        diagnose("head-graph-cut")
    assert right, "the gradients of the query, keys or values are wrong: build the output from Value operations"


# ------------------------------------------------------------ Task C: multi_head_attention

MHA_LENGTH = "should return a vector of n_embd Values"


def mha_outputs(student, X, W, n_head, diagnose):
    layer, _ = layer_of(student, W)
    inputs = values_of(student, X)
    with own_errors(student, diagnose, "multi_head_attention"):
        outs, keys, values = feed(student, inputs, layer, n_head)
    return rows_of(student.define(read_data)(outs), X.shape, "multi_head_attention", MHA_LENGTH), keys, values


def check_mha_sequence(student, rng, diagnose, n, n_head, T, message):
    X, W = rng.normal(size=(T, n)), random_layer(rng, n)
    got, _, _ = mha_outputs(student, X, W, n_head, diagnose)
    right, sound = judge_attention(got, student, X, W, n_head)
    if not right and sound:
        diagnose_mistake(got, X, W, n_head, mistakes("mha:"), diagnose)
    assert right, message


@mha_checkpoint
def test_cache_grows_by_one_key_and_one_value_per_call(student, rng, diagnose):
    """Each call appends one k to keys and one v to values, changing the caller's lists in place."""
    n, T = 4, 3
    X, W = rng.normal(size=(T, n)), random_layer(rng, n)
    layer, _ = layer_of(student, W)
    keys, values = student.hold([]), student.hold([])
    for t, x in enumerate(values_of(student, X)):
        with own_errors(student, diagnose, "multi_head_attention"):
            out = student.multi_head_attention(x, layer, keys, values, 2)
        got_keys, got_values = student.define(read_data)(keys), student.define(read_data)(values)
        if t == 0 and [] in (got_keys, got_values) and isinstance(student.define(read_data)(out), list):
            diagnose("mha:cache-not-in-place")
        assert len(got_keys) == t + 1 and len(got_values) == t + 1, \
            "each call should append exactly one k to keys and one v to values, in place (keys.append(k))"


@mha_checkpoint
def test_cache_holds_the_projected_keys_and_values(student, rng, diagnose):
    """The cache holds k = linear(x, attn_wk) and v = linear(x, attn_wv) of every position, in order."""
    n, T = 6, 3
    X, W = rng.normal(size=(T, n)), random_layer(rng, n)
    _, keys, values = mha_outputs(student, X, W, 2, diagnose)
    entries = "entries should be vectors of n_embd Values"
    cached_k = rows_of(student.define(read_data)(keys), X.shape, "the keys cache", entries)
    cached_v = rows_of(student.define(read_data)(values), X.shape, "the values cache", entries)
    sources = role_sources(X, W)
    if (not close(cached_k, sources["k"], RTOL, ATOL) and close_to_one_of(
            cached_k, [sources[key] for _, key, _ in MIXED_ROLES if key != "k"], RTOL, ATOL)) or \
            (not close(cached_v, sources["v"], RTOL, ATOL) and close_to_one_of(
                cached_v, [sources[value] for _, _, value in MIXED_ROLES if value != "v"], RTOL, ATOL)):
        diagnose("mha:roles-mixed")
    assert close(cached_k, X @ W["attn_wk"].T, RTOL, ATOL), \
        "keys should hold k = linear(x, layer['attn_wk']) of each position"
    assert close(cached_v, X @ W["attn_wv"].T, RTOL, ATOL), \
        "values should hold v = linear(x, layer['attn_wv']) of each position"


@mha_checkpoint
def test_first_position_attends_to_itself(student, rng, diagnose):
    """At the first position (an empty cache) each head returns its own value: out = Wo (Wv x)."""
    n = 8
    X, W = rng.normal(size=(1, n)), random_layer(rng, n)
    got, _, _ = mha_outputs(student, X, W, 2, diagnose)
    assert judge_attention(got, student, X, W, 2)[0], \
        "with an empty cache the position attends only to itself: the output should be linear(v, attn_wo)"


@mha_checkpoint
def test_a_position_attends_to_the_cache_and_to_itself(student, rng, diagnose):
    """With earlier keys and values in the cache, the new position attends to all of them and to itself."""
    n, P = 8, 2
    X, W = rng.normal(size=(1, n)), random_layer(rng, n)
    cache_k, cache_v = rng.normal(size=(P, n)), rng.normal(size=(P, n))
    layer, _ = layer_of(student, W)
    keys, values = student.hold(values_of(student, cache_k)), student.hold(values_of(student, cache_v))
    inputs = values_of(student, X)
    with own_errors(student, diagnose, "multi_head_attention"):
        outs, _, _ = feed(student, inputs, layer, 2, keys, values)
    got = rows_of(student.define(read_data)(outs), X.shape, "multi_head_attention", MHA_LENGTH)
    right, sound = judge_attention(got, student, X, W, 2, cache_k=cache_k, cache_v=cache_v)
    if not right and sound:
        candidates = [("mha:cache-after-attending", {"mask": "past"})] + mistakes("mha:")
        diagnose_mistake(got, X, W, 2, candidates, diagnose, cache_k=cache_k, cache_v=cache_v)
    assert right, \
        "the new position should attend over every cached key and value and its own: append k and v first"


@mha_checkpoint
def test_outputs_of_a_sequence_match_the_reference(student, rng, diagnose):
    """Fed one position at a time, multi_head_attention gives the right output at every position."""
    check_mha_sequence(student, rng, diagnose, 8, 2, 4,
                       "the outputs of a sequence fed one position at a time are wrong")


@mha_checkpoint
def test_each_head_is_scaled_by_its_own_size(student, rng, diagnose):
    """Each head's scores are scaled by 1/sqrt(head_dim), not 1/sqrt(n_embd)."""
    check_mha_sequence(student, rng, diagnose, 6, 2, 3,
                       "each head's scores should be divided by sqrt(head_dim), head_dim = n_embd // n_head")


@mha_checkpoint
def test_heads_use_contiguous_slices(student, rng, diagnose):
    """Head h uses the contiguous slice [h*head_dim:(h+1)*head_dim] of q, keys and values."""
    check_mha_sequence(student, rng, diagnose, 4, 2, 4,
                       "head h should use the contiguous slice [h*head_dim:(h+1)*head_dim] of q, of every key "
                       "and of every value, and the head outputs should be concatenated in order")


@mha_checkpoint
def test_four_heads(student, rng, diagnose):
    """Four heads of two entries each."""
    check_mha_sequence(student, rng, diagnose, 8, 4, 3, "the outputs with four heads are wrong")


@mha_checkpoint
def test_a_single_head_over_the_whole_vector(student, rng, diagnose):
    """With n_head = 1 there is one head over the whole vectors."""
    check_mha_sequence(student, rng, diagnose, 4, 1, 3, "the outputs with a single head are wrong")


@mha_checkpoint
def test_multi_head_attention_gradients(student, rng, diagnose):
    """Gradients reach all four matrices and every input through the cache (finite differences)."""
    n, n_head, T = 4, 2, 3
    X, W, c = rng.normal(size=(T, n)), random_layer(rng, n), rng.normal(size=(T, n))
    forward, grads = run_backward(student, X, W, c, lambda inputs, layer: feed(student, inputs, layer, n_head)[0],
                                  diagnose, "multi_head_attention")
    forward = rows_of(forward, X.shape, "multi_head_attention", MHA_LENGTH)
    got = checked_gradients(grads, W, X)

    def loss(wq, wk, wv, wo, xs):
        return float(np.sum(c * ref_cached(xs, dict(zip(NAMES, (wq, wk, wv, wo), strict=True)), n_head)))

    want = numeric_gradients(loss, [W[name].copy() for name in NAMES] + [X.copy()])
    right = gradients_right(got, want, student, X, W, n_head, c)
    if judge_attention(forward, student, X, W, n_head)[0] and not right:
        diagnose("mha:graph-cut")
    assert right, \
        "the gradients of the weight matrices or of the inputs are wrong: use Value operations throughout"


# ------------------------------------------------------------ Task D: causal_self_attention

CAUSAL_LENGTH = "should return, for every position, a vector of n_embd Values"


def causal_numbers(student, X, layer, n_head, diagnose):
    """What the student's causal_self_attention returned for X, read back as data, its errors diagnosed."""
    inputs = values_of(student, X)
    with own_errors(student, diagnose, "causal_self_attention"):
        outs = student.causal_self_attention(inputs, layer, n_head)
    got = student.define(read_data)(outs)
    if isinstance(got, list) and len(got) < len(X):
        diagnose("causal:outputs-per-position")
    return got


def causal_outputs(student, X, layer, n_head, diagnose):
    return rows_of(causal_numbers(student, X, layer, n_head, diagnose), X.shape,
                   "causal_self_attention", CAUSAL_LENGTH)


def check_causal(student, got, X, W, n_head, diagnose, message, diagnosed=None):
    """got (the outputs of X, or of its first positions) judged by judge_attention; a wrong answer is diagnosed
    from the whole sequence's outputs `diagnosed` (default got)."""
    right, sound = judge_attention(got, student, X[:len(got)], W, n_head, via_mha=True)
    if not right and sound:
        diagnose_mistake(got if diagnosed is None else diagnosed, X, W, n_head, mistakes("causal:"), diagnose)
    assert right, message


@causal_checkpoint
def test_one_output_per_position(student, rng, diagnose):
    """causal_self_attention returns one vector of n_embd Values per position."""
    for n, T in [(4, 3), (6, 5)]:
        layer, _ = layer_of(student, random_layer(rng, n))
        causal_outputs(student, rng.normal(size=(T, n)), layer, 2, diagnose)


@causal_checkpoint
def test_whole_sequence_outputs_match_the_reference(student, rng, diagnose):
    """Every output of a whole sequence is right."""
    n, n_head, T = 8, 2, 5
    X, W = rng.normal(size=(T, n)), random_layer(rng, n)
    layer, _ = layer_of(student, W)
    check_causal(student, causal_outputs(student, X, layer, n_head, diagnose), X, W, n_head, diagnose,
                 "the outputs of the whole sequence are wrong")


@causal_checkpoint
def test_whole_sequence_equals_one_position_at_a_time(student, rng, diagnose):
    """The whole-sequence outputs equal those of a cache fed one position at a time."""
    n, n_head, T = 6, 2, 4
    X, W = rng.normal(size=(T, n)), random_layer(rng, n)
    layer, _ = layer_of(student, W)
    check_causal(student, causal_outputs(student, X, layer, n_head, diagnose), X, W, n_head, diagnose,
                 "the whole-sequence outputs differ from attention fed one position at a time with a cache")


@causal_checkpoint
def test_the_first_output_sees_only_the_first_token(student, rng, diagnose):
    """Output 0 attends only to position 0: it is Wo (Wv x_0)."""
    n, n_head, T = 6, 2, 4
    X, W = rng.normal(size=(T, n)), random_layer(rng, n)
    layer, _ = layer_of(student, W)
    got = causal_outputs(student, X, layer, n_head, diagnose)
    check_causal(student, got[:1], X, W, n_head, diagnose,
                 "the first position should attend only to itself: the mask must hide every later position",
                 diagnosed=got)


@causal_checkpoint
def test_a_single_position(student, rng, diagnose):
    """A sequence of one position gives Wo (Wv x)."""
    n = 4
    X, W = rng.normal(size=(1, n)), random_layer(rng, n)
    layer, _ = layer_of(student, W)
    got = causal_outputs(student, X, layer, 2, diagnose)
    assert judge_attention(got, student, X, W, 2, via_mha=True)[0], "a single position should attend only to itself"


@causal_checkpoint
def test_nothing_is_kept_between_calls(student, rng, diagnose):
    """Two different sequences in a row, then the first again: each call stands on its own."""
    n, n_head = 4, 2
    W = random_layer(rng, n)
    layer, _ = layer_of(student, W)
    A, B = rng.normal(size=(3, n)), rng.normal(size=(4, n))
    read = [causal_numbers(student, X, layer, n_head, diagnose) for X in (A, B, A)]
    if repr(read[0]) != repr(read[2]):  # nan == nan here: a nan output is no sign of kept state
        diagnose("causal:keeps-state")
    results = [(rows_of(got, X.shape, "causal_self_attention", CAUSAL_LENGTH), X)
               for got, X in zip(read, (A, B, A), strict=True)]
    right = [judge_attention(got, student, X, W, n_head, via_mha=True)[0] for got, X in results]
    assert all(right), \
        "each call should work on its own sequence only: create fresh lists inside the function at every call"


@causal_checkpoint
def test_causal_self_attention_gradients(student, rng, diagnose):
    """Gradients reach all four matrices and every input of the sequence (finite differences)."""
    n, n_head, T = 4, 2, 3
    X, W, c = rng.normal(size=(T, n)), random_layer(rng, n), rng.normal(size=(T, n))
    forward, grads = run_backward(student, X, W, c,
                                  lambda inputs, layer: student.causal_self_attention(inputs, layer, n_head),
                                  diagnose, "causal_self_attention")
    forward = rows_of(forward, X.shape, "causal_self_attention", CAUSAL_LENGTH)
    got = checked_gradients(grads, W, X)

    def loss(wq, wk, wv, wo, xs):
        return float(np.sum(c * ref_attention(xs, dict(zip(NAMES, (wq, wk, wv, wo), strict=True)), n_head)))

    want = numeric_gradients(loss, [W[name].copy() for name in NAMES] + [X.copy()])
    right = gradients_right(got, want, student, X, W, n_head, c, via_mha=True)
    if judge_attention(forward, student, X, W, n_head, via_mha=True)[0] and not right:
        diagnose("causal:graph-cut")
    assert right, \
        "the gradients of the weight matrices or of the inputs are wrong: use Value operations throughout"


# ------------------------------------------------------------ milestone

def check_later_tokens(student, rng, diagnose, n, n_head, T):
    X, W = rng.normal(size=(T, n)), random_layer(rng, n)
    layer, _ = layer_of(student, W)
    before = causal_outputs(student, X, layer, n_head, diagnose)
    for j in range(1, T):
        changed = X.copy()
        changed[j] = rng.normal(size=n)
        after = causal_outputs(student, changed, layer, n_head, diagnose)
        earlier_kept = np.allclose(after[:j], before[:j], rtol=1e-12, atol=1e-12)
        if not earlier_kept:
            diagnose("milestone:sees-the-future")
        assert earlier_kept, "changing a later token changed an earlier output: output t must depend on 0..t only"
        moved = np.abs(after[j:] - before[j:]).max(axis=1) > 1e-9
        assert moved.all(), \
            "changing a token should change the outputs at its own position and after it: they attend to it"


@milestone
def test_milestone_later_tokens_never_change_earlier_outputs(student, rng, diagnose):
    """Changing any later token leaves every earlier output unchanged and changes the later ones."""
    check_later_tokens(student, rng, diagnose, 8, 2, 5)


@milestone
def test_milestone_holds_for_another_layer_size(student, rng, diagnose):
    """The same holds for a smaller layer and a different sequence length."""
    check_later_tokens(student, rng, diagnose, 4, 2, 4)
