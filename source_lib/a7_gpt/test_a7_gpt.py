"""Hidden tests for a7_gpt: a GPT, its training and its behaviour.

These tests run on the trusted side. `student` calls into the student's
process; every number compared here comes back as plain data, and every
expected value is computed in this module by a trusted numpy reference of
the model (microgpt's forward pass, position by position). A function that
calls another graded one (gpt calls mlp, sequence_loss gpt, train
sequence_loss, sample gpt) also passes with what a correct one computes here
from its own dependency's results, so a mistake costs points only where it
is. Trusted weights travel into the sandbox as plain floats and become
Values there. Each
docstring is the feedback line a student reads when the test fails; the
assertion messages speak to the student and never contain expected values
or hidden inputs.

The capstone and Q1/Q3 read the handed-in checkpoint.json on the trusted
side and score it with the same numpy reference; the held-out names are
read here and never enter the sandbox.
"""
import json
import math
import random
from pathlib import Path

import numpy as np
import pytest

from autograder.sandbox import StudentError
from autograder.suite.questions import test_checkpoint_question  # noqa: F401 (rubric.toml's questions)
from autograder.suite.student_side import (
    as_values,
    cache_lengths,
    leaf_census,
    matrix_data,
    matrix_row_lengths,
    read_data,
    read_grads,
    seeded_random,
    weighted_sum,
)
from autograder.suite.trusted import (
    attention_step,
    check_answer,
    close,
    diagnose_only_fit,
    diagnosing,
    held_out_nll,
    is_value,
    log_softmax,
    patterns_that_fit,
    rmsnorm,
    softmax,
)

init_checkpoint = pytest.mark.checkpoint("init_params")
mlp_checkpoint = pytest.mark.checkpoint("mlp")
gpt_checkpoint = pytest.mark.checkpoint("gpt")
loss_checkpoint = pytest.mark.checkpoint("sequence_loss")
train_checkpoint = pytest.mark.checkpoint("train")
sample_checkpoint = pytest.mark.checkpoint("sample")
capstone = pytest.mark.checkpoint("capstone")

REFERENCE = {"vocab_size": 27, "n_layer": 1, "n_embd": 16, "n_head": 4, "block_size": 16}
LETTERS = "abcdefghijklmnopqrstuvwxyz"
HELD_OUT = Path(__file__).resolve().parent.parent / "data" / "heldout_names.txt"
# The bar for the held-out NLL per token, set from measurements (see rubric.toml):
# untrained about 3.30, the solution's 200 steps about 2.47, a count bigram 2.48.
BAR = 2.60
LR, BETA1, BETA2, EPS = 0.01, 0.85, 0.99, 1e-8
INIT_STD = 0.08
RTOL, ATOL = 1e-6, 1e-8  # the student's floats against the numpy reference
LAYER_TABLES = ("attn_wq", "attn_wk", "attn_wv", "attn_wo", "mlp_fc1", "mlp_fc2")
SAMPLE_NAMES = ["emma", "olivia", "ava", "mia", "liam", "noah", "zoe", "max", "ivy", "leo", "kai", "eva"]
# Q1, Q3 and Q4 are read off the student's own checkpoint. The answers it singles out are those within
# half a printed digit of the best (3 decimals for Q1's probabilities and Q4's similarities, 2 for Q3's
# attention weights); where more than two options are that close, the checkpoint singles nothing out and
# no answer earns points, so a model where everything ties (an untrained or all-zero one) earns nothing.
Q1_TOLERANCE, Q3_TOLERANCE, Q4_TOLERANCE = 0.0005, 0.005, 0.0005


# ------------------------------------------------------------ trusted reference (numpy, plain floats)

def shapes(config):
    """name -> (rows, columns) of every parameter matrix of a config."""
    v, d, b = config["vocab_size"], config["n_embd"], config["block_size"]
    out = {"wte": (v, d), "wpe": (b, d), "lm_head": (v, d)}
    for i in range(config["n_layer"]):
        for name in LAYER_TABLES[:4]:
            out[f"layer{i}.{name}"] = (d, d)
        out[f"layer{i}.mlp_fc1"] = (4 * d, d)
        out[f"layer{i}.mlp_fc2"] = (d, 4 * d)
    return out


def random_weights(rng, config, std=0.4, extra_positions=0):
    weights = {name: rng.normal(0.0, std, size) for name, size in shapes(config).items()}
    if extra_positions:
        more = rng.normal(0.0, std, (extra_positions, config["n_embd"]))
        weights["wpe"] = np.vstack([weights["wpe"], more])
    return weights


def ref_mlp(x, fc1, fc2, bug=None):
    """fc2 · relu(fc1 · x) for a row (or rows) x, or a known wrong variant."""
    hidden = x @ fc1.T
    if bug != "mlp-no-relu":
        hidden = np.maximum(hidden, 0.0)
    out = hidden @ fc2.T
    if bug == "mlp-relu-output":
        out = np.maximum(out, 0.0)
    return out


class ReferenceMlp:
    """The MLP block of each layer (named by its prefix) on a row or rows of inputs, and its backward pass."""

    def __init__(self, weights):
        self.weights = weights

    def forward(self, prefix, rows):
        return ref_mlp(rows, self.weights[prefix + "mlp_fc1"], self.weights[prefix + "mlp_fc2"])

    def backward(self, prefix, rows, d_out):
        """(gradient of the rows, of mlp_fc1, of mlp_fc2), given the gradient of the outputs."""
        fc1, fc2 = self.weights[prefix + "mlp_fc1"], self.weights[prefix + "mlp_fc2"]
        pre = rows @ fc1.T
        d_pre = (d_out @ fc2) * (pre > 0)
        return d_pre @ fc1, d_pre.T @ rows, d_out.T @ np.maximum(pre, 0.0)


def layer_weights(weights, prefix):
    """The attention matrices of one layer under the names attention_step reads."""
    return {name: weights[prefix + name] for name in LAYER_TABLES[:4]}


def empty_ref_cache(config):
    """A keys (or values) cache of the reference forward pass: one empty list per layer."""
    return [[] for _ in range(config["n_layer"])]


def ref_logits(weights, config, tokens, bug=None, mlp=None, caches=None):
    """The logits at every position of tokens, fed one position at a time; `bug` makes a known wrong variant,
    `mlp` (like ReferenceMlp) computes the MLP blocks, `caches` (keys, values: one empty list per layer) are filled."""
    mlp = mlp or ReferenceMlp(weights)
    layers = config["n_layer"]
    keys, values = caches or (empty_ref_cache(config), empty_ref_cache(config))
    rows = []
    for pos, token in enumerate(tokens):
        x = weights["wte"][token] + (0.0 if bug == "no-position" else weights["wpe"][pos])
        x = rmsnorm(x)
        for i in range(0 if bug == "no-blocks" else layers):
            prefix = "layer0." if bug == "same-layer" else f"layer{i}."
            if bug == "cache-not-used":
                keys[i], values[i] = [], []
            if bug == "post-norm":
                x = rmsnorm(x + attention_step(x, layer_weights(weights, prefix), keys[i], values[i], config["n_head"]))
                x = rmsnorm(x + mlp.forward(prefix, x))
                continue
            attended = attention_step(rmsnorm(x), layer_weights(weights, prefix), keys[i], values[i], config["n_head"])
            if bug != "no-attention":
                x = attended if bug in ("no-residual", "no-attention-residual") else x + attended
            processed = mlp.forward(prefix, rmsnorm(x))
            if bug != "no-mlp":
                x = processed if bug in ("no-residual", "no-mlp-residual") else x + processed
        rows.append(weights["lm_head"] @ x)
    return np.array(rows)


def ref_loss(weights, config, tokens, bug=None):
    """Mean next-token cross-entropy over min(block_size, len(tokens) - 1) positions (or a known wrong variant)."""
    n = len(tokens) - 1 if bug == "block-size-ignored" else min(config["block_size"], len(tokens) - 1)
    forward_bug = "cache-not-used" if bug == "loss-cache-reset" else None
    logp = log_softmax(ref_logits(weights, config, tokens[:n], forward_bug))
    shift = 0 if bug == "targets-not-shifted" else 1
    losses = [-logp[pos, tokens[pos + shift]] for pos in range(n)]
    return float(np.sum(losses) if bug == "loss-summed" else np.mean(losses))


def rms_rows(x):
    """Every row (last axis) of x divided by its root mean square, and the scale used."""
    scale = 1.0 / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + 1e-5)
    return x * scale, scale


def rms_rows_back(x, scale, grad):
    """The gradient reaching x through rms_rows, given the gradient of its output."""
    return scale * grad - x * scale ** 3 * np.sum(grad * x, axis=-1, keepdims=True) / x.shape[-1]


def batch_logits(weights, config, tokens):
    """Logits of a batch of equally long sequences (shape B x n), all positions at once with a causal mask."""
    tokens = np.asarray(tokens)
    n, n_head = tokens.shape[1], config["n_head"]
    x, _ = rms_rows(weights["wte"][tokens] + weights["wpe"][:n])
    future = np.triu(np.ones((n, n), dtype=bool), 1)
    for i in range(config["n_layer"]):
        p = f"layer{i}."
        xn, _ = rms_rows(x)
        q, k, v = xn @ weights[p + "attn_wq"].T, xn @ weights[p + "attn_wk"].T, xn @ weights[p + "attn_wv"].T
        head_dim = x.shape[-1] // n_head
        heads = []
        for h in range(n_head):
            part = slice(h * head_dim, (h + 1) * head_dim)
            scores = np.where(future, -np.inf, q[..., part] @ np.swapaxes(k[..., part], -1, -2) / math.sqrt(head_dim))
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            heads.append((scores / scores.sum(axis=-1, keepdims=True)) @ v[..., part])
        x = x + np.concatenate(heads, axis=-1) @ weights[p + "attn_wo"].T
        xn, _ = rms_rows(x)
        x = x + np.maximum(xn @ weights[p + "mlp_fc1"].T, 0.0) @ weights[p + "mlp_fc2"].T
    return x @ weights["lm_head"].T


def seq_grad(weights, config, tokens, upstream, mlp=None):
    """(logits, exact gradients of every parameter) by backpropagation through the whole sequence, for a
    loss whose gradient with respect to the logits is upstream(logits); `mlp` as in ref_logits."""
    mlp = mlp or ReferenceMlp(weights)
    n, n_head = len(tokens), config["n_head"]
    head_dim = config["n_embd"] // n_head
    future = np.triu(np.ones((n, n), dtype=bool), 1)
    embedded = weights["wte"][tokens] + weights["wpe"][:n]
    x, scale0 = rms_rows(embedded)
    saved = []
    for i in range(config["n_layer"]):
        p = f"layer{i}."
        xn, scale1 = rms_rows(x)
        q, k, v = xn @ weights[p + "attn_wq"].T, xn @ weights[p + "attn_wk"].T, xn @ weights[p + "attn_wv"].T
        attention, heads = [], []
        for h in range(n_head):
            part = slice(h * head_dim, (h + 1) * head_dim)
            scores = np.where(future, -np.inf, q[:, part] @ k[:, part].T / math.sqrt(head_dim))
            scores = np.exp(scores - scores.max(axis=1, keepdims=True))
            attention.append(scores / scores.sum(axis=1, keepdims=True))
            heads.append(attention[-1] @ v[:, part])
        mixed = np.concatenate(heads, axis=1)
        middle = x + mixed @ weights[p + "attn_wo"].T
        xn2, scale2 = rms_rows(middle)
        saved.append((x, xn, scale1, q, k, v, attention, mixed, middle, xn2, scale2))
        x = middle + mlp.forward(p, xn2)
    logits = x @ weights["lm_head"].T
    d_logits = upstream(logits)
    grads = {name: np.zeros_like(table) for name, table in weights.items()}
    grads["lm_head"] = d_logits.T @ x
    dx = d_logits @ weights["lm_head"]
    for i in reversed(range(config["n_layer"])):
        p = f"layer{i}."
        start, xn, scale1, q, k, v, attention, mixed, middle, xn2, scale2 = saved[i]
        d_xn2, grads[p + "mlp_fc1"], grads[p + "mlp_fc2"] = mlp.backward(p, xn2, dx)
        d_middle = dx + rms_rows_back(middle, scale2, d_xn2)
        grads[p + "attn_wo"] = d_middle.T @ mixed
        d_mixed = d_middle @ weights[p + "attn_wo"]
        dq, dk, dv = np.zeros_like(q), np.zeros_like(k), np.zeros_like(v)
        for h in range(n_head):
            part, a = slice(h * head_dim, (h + 1) * head_dim), attention[h]
            dv[:, part] = a.T @ d_mixed[:, part]
            da = d_mixed[:, part] @ v[:, part].T
            d_scores = a * (da - np.sum(da * a, axis=1, keepdims=True)) / math.sqrt(head_dim)
            dq[:, part] = d_scores @ k[:, part]
            dk[:, part] = d_scores.T @ q[:, part]
        grads[p + "attn_wq"], grads[p + "attn_wk"], grads[p + "attn_wv"] = dq.T @ xn, dk.T @ xn, dv.T @ xn
        d_xn = dq @ weights[p + "attn_wq"] + dk @ weights[p + "attn_wk"] + dv @ weights[p + "attn_wv"]
        dx = d_middle + rms_rows_back(start, scale1, d_xn)
    d_embedded = rms_rows_back(embedded, scale0, dx)
    np.add.at(grads["wte"], tokens, d_embedded)
    grads["wpe"][:n] = d_embedded
    return logits, grads


def loss_grad(weights, config, tokens):
    """(mean next-token loss, its exact gradients) over min(block_size, len(tokens) - 1) positions."""
    n = min(config["block_size"], len(tokens) - 1)
    targets = np.array(tokens[1:n + 1])
    found = {}

    def upstream(logits):
        probs = np.exp(log_softmax(logits))
        found["loss"] = float(-np.log(probs[np.arange(n), targets]).mean())
        probs[np.arange(n), targets] -= 1.0
        return probs / n

    _, grads = seq_grad(weights, config, list(tokens[:n]), upstream)
    return found["loss"], grads


def ref_train(weights, config, docs, steps, seed, bug=None, step_loss=None):
    """Trusted replay of train: (losses, weights after), or a known wrong variant. Each step's (loss, gradients)
    come from step_loss(weights, tokens), the reference loss_grad unless given; Adam runs here."""
    step_loss = step_loss or (lambda now, tokens: loss_grad(now, config, tokens))
    weights = {k: v.copy() for k, v in weights.items()}
    chars = sorted(set("".join(docs)))
    bos = len(chars)
    order = list(docs)
    if bug != "docs-not-shuffled":
        random.Random(seed).shuffle(order)
    m = {k: np.zeros_like(v) for k, v in weights.items()}
    v2 = {k: np.zeros_like(v) for k, v in weights.items()}
    total = {k: np.zeros_like(v) for k, v in weights.items()}
    losses = []
    for step in range(steps):
        tokens = [bos] + [chars.index(c) for c in order[step % len(order)]] + [bos]
        loss, grads = step_loss(weights, tokens)
        losses.append(loss)
        if bug == "grads-accumulate":
            total = {k: total[k] + grads[k] for k in grads}
            grads = total
        lr = LR if bug == "no-lr-decay" else LR * (1 - step / steps)
        for k in weights:
            m[k] = BETA1 * m[k] + (1 - BETA1) * grads[k]
            v2[k] = BETA2 * v2[k] + (1 - BETA2) * grads[k] ** 2
            m_hat = m[k] / (1 - BETA1 ** (step + 1))
            v_hat = v2[k] / (1 - BETA2 ** (step + 1))
            weights[k] = weights[k] - lr * m_hat / (np.sqrt(v_hat) + EPS)
    return losses, weights


def ref_sample(weights, config, chars, temperature, seed, bug=None):
    """Trusted replay of sample with random.Random(seed), or a known wrong variant."""
    forward_bug = "cache-not-used" if bug == "sample-cache-reset" else None
    tokens = []

    def next_logits(token, pos):
        tokens.append(token)
        return ref_logits(weights, config, tokens, forward_bug)[-1]

    return draw_name(next_logits, config, chars, temperature, seed, bug)


def draw_name(next_logits, config, chars, temperature, seed, bug=None):
    """The draws sample's docstring states, with random.Random(seed), on the logits next_logits(token, pos) gives."""
    rng = random.Random(seed)
    bos = len(chars)
    token, letters = bos, []
    for pos in range(config["block_size"]):
        logits = next_logits(token, pos)
        if bug == "temperature-after-softmax":
            scaled = logits
        elif bug == "temperature-inverted":
            scaled = logits * temperature
        else:
            scaled = logits / temperature
        token = rng.choices(range(config["vocab_size"]), weights=softmax(scaled).tolist())[0]
        if token == bos:
            break
        letters.append(chars[token])
    return "".join(letters)


def greedy_margin(weights, config):
    """The greedy name and the smallest gap between the top two logits along the way."""
    bos = config["vocab_size"] - 1
    tokens, margin = [bos], np.inf
    for _ in range(config["block_size"]):
        logits = ref_logits(weights, config, tokens)[-1]
        top = np.sort(logits)
        margin = min(margin, top[-1] - top[-2])
        token = int(np.argmax(logits))
        if token == bos:
            break
        tokens.append(token)
    return len(tokens) - 1, margin


# ------------------------------------------------------------ the student's side: their objects, one call each

def tables_of(student, weights):
    """Named matrices of the student's Values in one dict held in their process (params, or a layer)."""
    box = student.hold({})
    student.define(as_values)({name: np.asarray(table, dtype=float).tolist() for name, table in weights.items()}, box)
    return box


def empty_cache(student, config):
    """A keys (or values) cache of the student's process: one empty list per layer."""
    return student.hold([[] for _ in range(config["n_layer"])])


def numbers_of(student, result, what, length):
    """The .data of a list of Values returned by the student's `what`, checked for shape."""
    assert isinstance(result, (list, tuple)), f"{what} should return a list of Values"
    assert len(result) == length, f"{what} returned a list of the wrong length"
    data = student.define(read_data)(list(result))
    assert all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in data), \
        f"{what} should return a list of Values (each with a number in .data)"
    return np.array(data, dtype=float)


def read_tables(student, box, reader=read_data):
    """The numbers (or, with read_grads, the gradients) of every matrix in a dict of the student's process."""
    return {name: np.array(rows, dtype=float) for name, rows in student.define(reader)(box).items()}


# ------------------------------------------------------------ with the student's own dependency
# A function that calls another graded function is also judged against what a correct one gives with the
# student's own dependency, computed here from what that dependency returns as data: a mistake in the
# dependency then costs points on the dependency's own checkpoint only. Nothing of a graded function is sent.

def own_expectation(compute):
    """compute(), or None when the student's dependency gives nothing a correct function could use."""
    try:
        return compute()
    except (AssertionError, TypeError, ValueError, StudentError):
        return None


def unrecorded(symptom):
    """A diagnose for helpers called where no symptom is wanted: it records nothing."""


def when_sound(diagnose, sound):
    """diagnose, recording a symptom only when sound() holds (asked once, when first needed): the graded functions
    the one under test calls work, so an error it raised comes from its own code. Without a diagnose (a call made
    only for its result) nothing is recorded and sound() is never asked."""
    if diagnose is None:
        return unrecorded
    verdict = []

    def record(symptom):
        if not verdict:
            verdict.append(bool(own_expectation(sound)))
        if verdict[0]:
            diagnose(symptom)
    return record


# What Python says when a function uses a name that has no value there, or a value of another kind where it needs
# a list, a dict, an int or a Value (a name mixed up with a similar one, or arguments passed in the wrong order).
# Only these wordings: other errors of the same types come from mistakes of other kinds (a Value handed to
# rng.choices, a list divided by a number, backward called on a float, the square root of a negative number).
UNDEFINED_NAME = r"raised (NameError|UnboundLocalError)"
WRONG_KIND = (
    r"raised TypeError: ('\w+' object is not (iterable|subscriptable)|list indices must be integers or slices"
    r"|float\(\) argument must be a string or a real number, not '(list|dict|tuple|NoneType)')"
    r"|raised AttributeError: '\w+' object has no attribute '(items|grad)'"
    r"|raised KeyError: (\d+|'(wte|wpe|lm_head|attn_w[qkvo]|mlp_fc[12]|n_embd|n_head|n_layer|block_size|vocab_size)')"
)
PAST_THE_END = r"raised IndexError"


def close_or_own(got, want, own, rel=RTOL, abs_tol=ATOL):
    """got is close to the trusted want or, computed only then, to what own() gives with the student's dependency."""
    return close(got, want, rel, abs_tol) or close(got, own_expectation(own), rel, abs_tol)


class OwnMlp:
    """The student's own mlp, called in their process on the rows the trusted forward pass gives it and
    differentiated with the provided backward: plugged into ref_logits or seq_grad in place of ReferenceMlp."""

    def __init__(self, student, weights):
        self.student, self.weights, self.layers = student, weights, {}

    def layer(self, prefix):
        return tables_of(self.student, {name: self.weights[prefix + name] for name in LAYER_TABLES})

    def run(self, layer, rows):
        xs = self.student.define(as_values)(np.atleast_2d(rows).tolist())
        return xs, [self.student.mlp(x, layer) for x in xs]

    def forward(self, prefix, rows):
        if prefix not in self.layers:
            self.layers[prefix] = self.layer(prefix)
        _, outs = self.run(self.layers[prefix], rows)
        width = np.shape(rows)[-1]
        return np.array([numbers_of(self.student, out, "mlp", width) for out in outs]).reshape(np.shape(rows))

    def backward(self, prefix, rows, d_out):
        layer = self.layer(prefix)  # fresh leaves, their grads at 0
        xs, outs = self.run(layer, rows)
        self.student.backward(self.student.define(weighted_sum)(outs, d_out.tolist()))
        grads = read_tables(self.student, layer, read_grads)
        return np.array(self.student.define(read_grads)(xs), dtype=float), grads["mlp_fc1"], grads["mlp_fc2"]


def own_loss_grad(student, weights, config, tokens, gradients=True):
    """(loss, gradients or None) a correct sequence_loss gives with the student's own gpt: their logits for the name
    (one pair of fresh caches), and the cross-entropy's gradient sent back through them with the provided backward."""
    n = min(config["block_size"], len(tokens) - 1)
    params = tables_of(student, weights)
    keys, values = empty_cache(student, config), empty_cache(student, config)
    outs = [student.gpt(token, pos, keys, values, params, config) for pos, token in enumerate(tokens[:n])]
    logp = log_softmax([numbers_of(student, out, "gpt", config["vocab_size"]) for out in outs])
    targets = (np.arange(n), np.array(tokens[1:n + 1]))
    loss = -float(np.mean(logp[targets]))
    if not gradients:
        return loss, None
    d_logits = np.exp(logp)
    d_logits[targets] -= 1.0
    student.backward(student.define(weighted_sum)(outs, (d_logits / n).tolist()))
    return loss, read_tables(student, params, read_grads)


def own_step_loss(student, config):
    """A training step's (loss, gradients) from the student's own sequence_loss through the provided backward,
    the parameters sent as plain data: for ref_train to replay train with it."""
    def step_loss(weights, tokens):
        params = tables_of(student, weights)
        loss = student.sequence_loss(params, list(tokens), config)
        student.backward(loss)
        return float(loss.data), read_tables(student, params, read_grads)
    return step_loss


def own_sample(student, params, config, temperature, seed):
    """The name a correct sample draws with the student's own gpt (one pair of caches for the whole name)."""
    keys, values = empty_cache(student, config), empty_cache(student, config)

    def next_logits(token, pos):
        return numbers_of(student, student.gpt(token, pos, keys, values, params, config), "gpt", config["vocab_size"])

    return draw_name(next_logits, config, CHARS, temperature, seed)


def tiny_config(rng, layers=1):
    return {"vocab_size": int(rng.integers(4, 7)), "n_layer": layers, "n_embd": int(rng.choice([4, 6])),
            "n_head": 2, "block_size": int(rng.integers(6, 9))}


def random_tokens(rng, config, length):
    bos = config["vocab_size"] - 1
    return [bos] + [int(t) for t in rng.integers(0, bos, length - 1)]


# ------------------------------------------------------------ Task A: init_params

SMALL = {"vocab_size": 4, "n_layer": 1, "n_embd": 4, "n_head": 2, "block_size": 3}


# matrix(n_out, n_in, std, rng) given its arguments in another order: a float where a size or the rng goes
MATRIX_ARGUMENTS = r"'float' object cannot be interpreted as an integer|'float' object has no attribute 'gauss'"


def call_init_directly(student, diagnose=None):
    """One direct call of init_params on a small config, so that an error is reported under its name."""
    errors = {UNDEFINED_NAME: "init-names-mixed-up", MATRIX_ARGUMENTS: "init-names-mixed-up"}
    with diagnosing(diagnose or unrecorded, errors):
        student.init_params(dict(SMALL), 0)


def init_summary(student, config, seed, diagnose=None):
    """Calls init_params in the student's process and brings back only the row lengths of every matrix."""
    call_init_directly(student, diagnose)
    summary = student.define(matrix_row_lengths)(student.init_params, config, seed)
    assert isinstance(summary, dict), "init_params should return a dict of matrices (lists of rows)"
    assert all(isinstance(rows, list) for rows in summary.values()), \
        "every entry of the dict should be a matrix: a list of rows, each a list of Values"
    return summary


def expected_names(config):
    return set(shapes(config))


def check_names(summary, config, diagnose):
    if set(summary) != expected_names(config):
        diagnose("init-wrong-names")
    assert set(summary) == expected_names(config), \
        "init_params should name its matrices wte, wpe, lm_head and layer{i}.attn_wq ... layer{i}.mlp_fc2 " \
        "for every layer i"


def diagnose_shapes(diagnose, got, config):
    """Records the known shape mistakes (config has fewer positions than tokens, so they are told apart), or, for
    a wrong shape neither explains, that a matrix has the wrong shape."""
    d = config["n_embd"]
    known = False
    if got.get("layer0.mlp_fc1") == (d, 4 * d) or got.get("layer0.mlp_fc2") == (4 * d, d):
        diagnose("init-mlp-shapes")
        known = True
    if got.get("wpe") == (config["vocab_size"], d):
        diagnose("init-wpe-rows")
        known = True
    if not known and set(got) == set(shapes(config)) and got != shapes(config):
        diagnose("init-wrong-shape")


def shape_of(rows):
    widths = set(rows)
    return (len(rows), widths.pop() if len(widths) == 1 else None)


@init_checkpoint
def test_init_params_names_every_matrix(student, rng, diagnose):
    """init_params makes wte, wpe, lm_head and the six layer{i}. matrices of every layer, and nothing else."""
    for layers in (1, 3):
        config = dict(tiny_config(rng), n_layer=layers)
        check_names(init_summary(student, config, int(rng.integers(1000)), diagnose), config, diagnose)


@init_checkpoint
def test_init_params_gives_every_matrix_its_shape(student, rng, diagnose):
    """Every matrix has the shape (n_out, n_in) of the table in Task A, for a config of another size."""
    config = {"vocab_size": int(rng.integers(6, 10)), "n_layer": 2, "n_embd": int(rng.choice([4, 6, 8])),
              "n_head": 2, "block_size": int(rng.integers(3, 6))}  # never as many positions as tokens
    summary = init_summary(student, config, int(rng.integers(1000)))
    check_names(summary, config, diagnose)
    diagnose_shapes(diagnose, {name: shape_of(rows) for name, rows in summary.items()}, config)
    got = {name: shape_of(rows) for name, rows in summary.items()}
    for name, want in shapes(config).items():
        assert got[name] == want, f"{name} does not have the right shape (rows = outputs, columns = inputs)"


@init_checkpoint
def test_reference_config_has_4192_parameters(student, diagnose):
    """The reference configuration (1 layer, n_embd 16, 4 heads, block 16, vocab 27) has 4,192 parameters."""
    summary = init_summary(student, REFERENCE, 42)
    check_names(summary, REFERENCE, diagnose)
    got = {name: shape_of(rows) for name, rows in summary.items()}
    diagnose_shapes(diagnose, got, REFERENCE)
    assert sum(sum(rows) for rows in summary.values()) == 4192, \
        "the reference configuration should have 4,192 parameters in all"
    assert got == shapes(REFERENCE), "every matrix of the reference configuration should have its shape"


@init_checkpoint
def test_init_params_entries_are_distinct_leaf_values(student, rng):
    """Every entry is its own leaf Value holding a float: no plain numbers, no shared objects, no graph."""
    config = tiny_config(rng, layers=2)
    call_init_directly(student)
    census = student.define(leaf_census)(student.init_params, config, int(rng.integers(1000)))
    total, values, leaves, distinct = census
    assert total == values, "every entry of every matrix should be a Value (use matrix(...) from A5)"
    assert leaves == total, "every parameter should be a leaf Value holding a float"
    assert distinct == total, "every parameter should be its own Value: no object may appear twice"


def init_numbers(student, config, seed):
    call_init_directly(student)
    numbers = student.define(matrix_data)(student.init_params, config, seed)
    return {name: np.array(rows, dtype=float) for name, rows in numbers.items()}


@init_checkpoint
def test_init_params_draws_small_gaussian_numbers(student, rng, diagnose):
    """The parameters are drawn with mean 0 and standard deviation INIT_STD: an untrained model scores about ln 27."""
    config = {"vocab_size": 27, "n_layer": 1, "n_embd": 8, "n_head": 2, "block_size": 8}
    weights = init_numbers(student, config, int(rng.integers(1000)))
    assert set(weights) == expected_names(config), "init_params should name its matrices as in Task A"
    flat = np.concatenate([table.ravel() for table in weights.values()])
    spread = float(flat.std())
    if spread > 0.2 or spread < 0.03:
        diagnose("init-scale")
    assert abs(float(flat.mean())) < 0.02 and 0.06 < spread < 0.10, \
        "the parameters should be drawn with mean 0 and standard deviation INIT_STD (0.08)"
    losses = [ref_loss(weights, config, [26] + [LETTERS.index(c) for c in name[:6]] + [26])
              for name in rng.choice(SAMPLE_NAMES, 6, replace=False)]
    assert abs(np.mean(losses) - math.log(27)) < 0.3, "an untrained model from init_params should score about ln 27"


@init_checkpoint
def test_init_params_is_reproducible(student, rng):
    """The same seed gives the same parameters, another seed other parameters."""
    config = tiny_config(rng)
    seed = int(rng.integers(1000))
    first, again, other = (init_numbers(student, config, s) for s in (seed, seed, seed + 1))
    assert set(first) == set(again) == set(other), "init_params should always make the same matrices"
    assert all(np.array_equal(first[k], again[k]) for k in first), \
        "init_params with the same seed should give the same numbers: draw them all from random.Random(seed)"
    assert not all(np.array_equal(first[k], other[k]) for k in first), \
        "init_params with another seed should give other numbers"


# ------------------------------------------------------------ Task B: mlp

def mlp_case(rng, width, hidden):
    x = rng.normal(0.0, 1.0, width)
    fc1, fc2 = rng.normal(0.0, 0.7, (hidden, width)), rng.normal(0.0, 0.7, (width, hidden))
    return x, fc1, fc2


def run_mlp(student, x, fc1, fc2):
    layer = tables_of(student, {"mlp_fc1": fc1, "mlp_fc2": fc2, "attn_wq": np.eye(len(x))})
    xs = student.define(as_values)(x.tolist())
    out = student.mlp(xs, layer)
    return numbers_of(student, out, "mlp", fc2.shape[0]), out, xs, layer


def check_mlp(diagnose, got, x, fc1, fc2):
    if not close(got, ref_mlp(x, fc1, fc2), RTOL, ATOL):
        for bug in ("mlp-no-relu", "mlp-relu-output"):
            if close(got, ref_mlp(x, fc1, fc2, bug), RTOL, ATOL):
                diagnose(bug)
    assert close(got, ref_mlp(x, fc1, fc2), RTOL, ATOL), \
        "mlp(x, layer) should be linear(relu(linear(x, mlp_fc1)), mlp_fc2)"


def mlp_is_sound(student):
    """True when the student's mlp gives the reference numbers on one layer: then an error gpt raises is its own."""
    x, fc1, fc2 = mlp_case(np.random.default_rng(0), 3, 12)
    return close(run_mlp(student, x, fc1, fc2)[0], ref_mlp(x, fc1, fc2), RTOL, ATOL)


@mlp_checkpoint
def test_mlp_matches_the_reference(student, rng, diagnose):
    """mlp gives fc2 · relu(fc1 · x) for random layers of several sizes."""
    for width, hidden in ((4, 16), (3, 5), (6, 24)):
        x, fc1, fc2 = mlp_case(rng, width, hidden)
        got, _, _, _ = run_mlp(student, x, fc1, fc2)
        check_mlp(diagnose, got, x, fc1, fc2)


@mlp_checkpoint
def test_mlp_returns_one_value_per_output(student, rng):
    """mlp returns a list of Values, one per row of mlp_fc2."""
    x, fc1, fc2 = mlp_case(rng, 5, 20)
    _, out, _, _ = run_mlp(student, x, fc1, fc2)
    assert all(is_value(student, o) for o in out), "mlp should return Values, built with linear and relu"


@mlp_checkpoint
def test_mlp_switches_off_negative_hidden_units(student, rng, diagnose):
    """Hidden units with a negative input contribute nothing, and the output may be negative."""
    width = 4
    x = np.abs(rng.normal(0.0, 1.0, width)) + 0.2
    fc1 = np.vstack([np.abs(rng.normal(0, 1, (3, width))), -np.abs(rng.normal(0, 1, (3, width)))])
    fc2 = np.hstack([-np.abs(rng.normal(0, 1, (width, 3))), np.abs(rng.normal(0, 1, (width, 3)))])
    got, _, _, _ = run_mlp(student, x, fc1, fc2)
    check_mlp(diagnose, got, x, fc1, fc2)


@mlp_checkpoint
def test_mlp_gradients_reach_the_input_and_the_weights(student, rng, diagnose):
    """Backpropagating from the sum of mlp's outputs gives the right gradients for x, mlp_fc1 and mlp_fc2."""
    x, fc1, fc2 = mlp_case(rng, 4, 16)
    got, out, xs, layer = run_mlp(student, x, fc1, fc2)
    check_mlp(diagnose, got, x, fc1, fc2)
    student.backward(student.define(weighted_sum)(out, [1.0] * len(out)))
    pre = fc1 @ x
    d_hidden = fc2.T @ np.ones(len(x))
    d_pre = d_hidden * (pre > 0)
    x_grad = student.define(read_grads)(xs)
    grads = read_tables(student, layer, read_grads)
    assert close(x_grad, fc1.T @ d_pre, RTOL, ATOL), "the gradient should flow back to the input x through both layers"
    assert close(grads["mlp_fc1"], np.outer(d_pre, x), RTOL, ATOL), "the gradient of mlp_fc1 is wrong"
    assert close(grads["mlp_fc2"], np.outer(np.ones(len(x)), np.maximum(pre, 0)), RTOL, ATOL), \
        "the gradient of mlp_fc2 is wrong"


# ------------------------------------------------------------ Task C: gpt

GPT_BUGS = {
    "no-residual": "no-residual", "no-attention-residual": "no-residual", "no-mlp-residual": "no-residual",
    "no-attention": "block-skipped", "no-mlp": "block-skipped", "no-blocks": "block-skipped",
    "post-norm": "post-norm", "no-position": "no-position", "same-layer": "same-layer",
    "cache-not-used": "cache-not-used",
}


def run_gpt(student, weights, config, tokens, diagnose=None):
    params = tables_of(student, weights)
    keys, values = empty_cache(student, config), empty_cache(student, config)
    errors = {pattern: "gpt-names-mixed-up" for pattern in (UNDEFINED_NAME, WRONG_KIND, PAST_THE_END)}
    with diagnosing(when_sound(diagnose, lambda: mlp_is_sound(student)), errors):
        rows = [numbers_of(student, student.gpt(token, pos, keys, values, params, config), "gpt",
                           config["vocab_size"]) for pos, token in enumerate(tokens)]
    return np.array(rows), keys, values, params


def check_forward(student, diagnose, got, weights, config, tokens, message):
    """got is the reference logits, or those a correct gpt gives with the student's own mlp."""
    right = ref_logits(weights, config, tokens)
    good = close_or_own(got, right, lambda: ref_logits(weights, config, tokens, mlp=OwnMlp(student, weights)))
    if not good:
        patterns = ((symptom, ref_logits(weights, config, tokens, bug)) for bug, symptom in GPT_BUGS.items())
        diagnose_only_fit(diagnose, patterns_that_fit(got, right, patterns, lambda a, b: close(a, b, RTOL, ATOL)))
    assert good, message


@gpt_checkpoint
def test_gpt_returns_one_logit_value_per_token(student, rng):
    """gpt returns a list of vocab_size Values: one logit per possible next token."""
    config = tiny_config(rng)
    params = tables_of(student, random_weights(rng, config))
    keys, values = empty_cache(student, config), empty_cache(student, config)
    out = student.gpt(config["vocab_size"] - 1, 0, keys, values, params, config)
    numbers_of(student, out, "gpt", config["vocab_size"])
    assert all(is_value(student, o) for o in out), "the logits should be Values, so that the loss can backpropagate"


@gpt_checkpoint
def test_gpt_first_position_matches_the_reference(student, rng, diagnose):
    """At position 0 (BOS, and one other token) the logits match the reference forward pass."""
    config = tiny_config(rng)
    weights = random_weights(rng, config)
    for token in (config["vocab_size"] - 1, int(rng.integers(0, config["vocab_size"] - 1))):
        got, _, _, _ = run_gpt(student, weights, config, [token], diagnose)
        check_forward(student, diagnose, got, weights, config, [token],
                      "the logits at position 0 are wrong: embeddings, rmsnorm, the two pre-norm blocks with "
                      "residuals, lm_head")


@gpt_checkpoint
def test_gpt_reads_a_sequence_through_its_caches(student, rng, diagnose):
    """Fed a sequence one position at a time with shared caches, gpt gives the reference logits at every position."""
    config = tiny_config(rng)
    weights = random_weights(rng, config)
    tokens = random_tokens(rng, config, config["block_size"])
    got, _, _, _ = run_gpt(student, weights, config, tokens, diagnose)
    check_forward(student, diagnose, got, weights, config, tokens,
                  "the logits are wrong at some position of a sequence")


@gpt_checkpoint
def test_gpt_with_two_layers(student, rng, diagnose):
    """With two layers, each layer uses its own matrices and caches."""
    config = tiny_config(rng, layers=2)
    weights = random_weights(rng, config)
    tokens = random_tokens(rng, config, 5)
    got, _, _, _ = run_gpt(student, weights, config, tokens, diagnose)
    check_forward(student, diagnose, got, weights, config, tokens, "with two layers the logits are wrong")


@gpt_checkpoint
def test_gpt_in_the_reference_configuration(student, rng, diagnose):
    """The reference configuration (27 tokens, n_embd 16, 4 heads) gives the reference logits."""
    weights = random_weights(rng, REFERENCE, std=0.25)
    tokens = [26] + [LETTERS.index(c) for c in str(rng.choice(SAMPLE_NAMES))]
    got, _, _, _ = run_gpt(student, weights, REFERENCE, tokens, diagnose)
    check_forward(student, diagnose, got, weights, REFERENCE, tokens,
                  "the logits of the reference configuration are wrong")


@gpt_checkpoint
def test_gpt_appends_one_key_and_value_per_layer_and_position(student, rng, diagnose):
    """After the call for position t, keys[i] of every layer holds the t + 1 keys so far and values[i] the values."""
    config = tiny_config(rng, layers=2)
    weights = random_weights(rng, config)
    params = tables_of(student, weights)
    keys, values = empty_cache(student, config), empty_cache(student, config)
    lengths = student.define(cache_lengths)
    tokens = random_tokens(rng, config, 4)
    for pos, token in enumerate(tokens):
        student.gpt(token, pos, keys, values, params, config)
        got_keys, got_values = lengths(keys), lengths(values)
        if pos > 0 and all(len(layer) == 0 for layer in got_keys):
            diagnose("cache-not-used")
        assert [len(layer) for layer in got_keys] == [pos + 1] * 2 and [len(v) for v in got_values] == [pos + 1] * 2, \
            "after position t, keys[i] and values[i] should hold t + 1 vectors: pass each layer's caches on"
        assert all(n == config["n_embd"] for layer in got_keys + got_values for n in layer), \
            "every cached key and value should have n_embd numbers"
    # layer 0's keys and values come before any mlp, so only gpt's own code decides them
    ref_keys, ref_values = empty_ref_cache(config), empty_ref_cache(config)
    ref_logits(weights, config, tokens, caches=(ref_keys, ref_values))
    got_keys, got_values = (layers[0] for layers in student.define(read_data)([keys, values]))
    assert close(np.array(got_keys, dtype=float), np.array(ref_keys[0]), RTOL, ATOL) and \
        close(np.array(got_values, dtype=float), np.array(ref_values[0]), RTOL, ATOL), \
        "keys[i] should hold the keys and values[i] the values: pass keys[i], values[i] to attention in that order"


@gpt_checkpoint
def test_gpt_logits_backpropagate_to_every_parameter(student, rng):
    """Backpropagating from one logit of the last position gives the right gradient for every parameter."""
    config = tiny_config(rng)
    weights = random_weights(rng, config)
    tokens = random_tokens(rng, config, 3)
    target = int(rng.integers(config["vocab_size"]))
    got, _, _, params = run_gpt_last(student, weights, config, tokens, target)

    def upstream(logits):
        d_logits = np.zeros_like(logits)
        d_logits[-1, target] = 1.0
        return d_logits

    wrong = wrong_gradient(read_tables(student, params, read_grads), seq_grad(weights, config, tokens, upstream)[1],
                           lambda: seq_grad(weights, config, tokens, upstream, OwnMlp(student, weights))[1])
    assert not wrong, \
        f"the gradient of {wrong} is wrong: build the logits from Value operations only, never from .data"


def wrong_gradient(grads, want, own):
    """The first parameter whose gradient is neither the trusted one nor, computed only then, the one own()
    gives with the student's dependency (None: all right)."""
    def first_wrong(expected):
        return next((name for name in expected if not close(grads[name], expected[name], rel=1e-4, abs_tol=1e-7)),
                    None)

    wrong = first_wrong(want)
    own_grads = own_expectation(own) if wrong else None
    return wrong if own_grads is None else first_wrong(own_grads)


def run_gpt_last(student, weights, config, tokens, target):
    params = tables_of(student, weights)
    keys, values = empty_cache(student, config), empty_cache(student, config)
    out = None
    for pos, token in enumerate(tokens):
        out = student.gpt(token, pos, keys, values, params, config)
    numbers_of(student, out, "gpt", config["vocab_size"])
    student.backward(out[target])
    return out, keys, values, params


# ------------------------------------------------------------ Task D: sequence_loss

LOSS_BUGS = ("targets-not-shifted", "loss-summed", "block-size-ignored", "loss-cache-reset")


def run_loss(student, weights, config, tokens):
    params = tables_of(student, weights)
    loss = student.sequence_loss(params, tokens, config)
    assert is_value(student, loss), "sequence_loss should return a Value (the mean of the cross-entropies)"
    value = loss.data
    assert isinstance(value, (int, float)), "the Value returned by sequence_loss should hold a number"
    return float(value), loss, params


def forward_is_sound(student, weights, config):
    """True when the student's gpt gives the reference logits for these weights, so that a wrong result of a
    function built on it is that function's own mistake (only then is a symptom recorded)."""
    tokens = [config["vocab_size"] - 1, 0, 1, 0]
    try:
        got, _, _, _ = run_gpt(student, weights, config, tokens)
    except Exception:  # a failing gpt: whatever it raised, the forward pass is not sound
        return False
    return close(got, ref_logits(weights, config, tokens), RTOL, ATOL)


def check_loss(student, diagnose, got, weights, config, tokens, message):
    """got is the reference loss, or the one a correct sequence_loss gives with the student's own gpt."""
    right = ref_loss(weights, config, tokens)
    good = close_or_own(got, right, lambda: own_loss_grad(student, weights, config, tokens, gradients=False)[0])
    if not good and forward_is_sound(student, weights, config):
        def wrong_loss(bug):
            try:
                return ref_loss(weights, config, tokens, bug)
            except IndexError:  # a variant that would read past the position table
                return None
        patterns = ((bug, wrong_loss(bug)) for bug in LOSS_BUGS)
        diagnose_only_fit(diagnose, patterns_that_fit(got, right, patterns, lambda a, b: close(a, b, RTOL, ATOL)))
    assert good, message


@loss_checkpoint
def test_loss_of_a_name_matches_the_reference(student, rng, diagnose):
    """sequence_loss of a wrapped name matches the reference mean next-token cross-entropy."""
    config = tiny_config(rng)
    weights = random_weights(rng, config)
    tokens = random_tokens(rng, config, 5) + [config["vocab_size"] - 1]
    got, _, _ = run_loss(student, weights, config, tokens)
    check_loss(student, diagnose, got, weights, config, tokens, "sequence_loss of a short name is wrong")


@loss_checkpoint
def test_loss_targets_are_the_next_tokens(student, rng, diagnose):
    """The target at position pos is tokens[pos + 1], also for a name with repeated letters."""
    config = tiny_config(rng)
    weights = random_weights(rng, config, std=0.6)
    bos = config["vocab_size"] - 1
    tokens = [bos, 0, 1, 1, 2, 0, bos]
    got, _, _ = run_loss(student, weights, config, tokens)
    check_loss(student, diagnose, got, weights, config, tokens,
               "the loss should compare the logits at pos with tokens[pos + 1]")


@loss_checkpoint
def test_loss_is_the_mean_over_positions(student, rng, diagnose):
    """The loss is the mean over the predictions, for a short and a long name."""
    config = tiny_config(rng)
    weights = random_weights(rng, config)
    for length in (2, config["block_size"] - 1):
        tokens = random_tokens(rng, config, length) + [config["vocab_size"] - 1]
        got, _, _ = run_loss(student, weights, config, tokens)
        check_loss(student, diagnose, got, weights, config, tokens,
                   "sequence_loss should be the mean over the positions")


@loss_checkpoint
def test_loss_stops_at_block_size(student, rng, diagnose):
    """A sequence longer than block_size + 1 gives exactly block_size predictions."""
    config = dict(tiny_config(rng), block_size=int(rng.integers(3, 6)))
    weights = random_weights(rng, config, extra_positions=6)  # rows a wrong loss could reach; the model has fewer
    tokens = random_tokens(rng, config, config["block_size"] + 4) + [config["vocab_size"] - 1]
    got, _, _ = run_loss(student, weights, config, tokens)
    check_loss(student, diagnose, got, weights, config, tokens,
               "the loss should use min(block_size, len(tokens) - 1) positions")


@loss_checkpoint
def test_untrained_reference_model_scores_about_ln_27(student, rng, diagnose):
    """An untrained reference model (weights with standard deviation 0.08) scores the reference loss, about ln 27."""
    weights = random_weights(rng, REFERENCE, std=INIT_STD)
    name = str(rng.choice(SAMPLE_NAMES))
    tokens = [26] + [LETTERS.index(c) for c in name] + [26]
    got, _, _ = run_loss(student, weights, REFERENCE, tokens)
    check_loss(student, diagnose, got, weights, REFERENCE, tokens,
               "the loss of an untrained reference model is wrong")


@loss_checkpoint
def test_loss_backpropagates_to_every_parameter(student, rng):
    """backward from the loss gives the right gradient for every parameter."""
    config = tiny_config(rng)
    weights = random_weights(rng, config)
    tokens = random_tokens(rng, config, 4) + [config["vocab_size"] - 1]
    _, loss, params = run_loss(student, weights, config, tokens)
    student.backward(loss)
    wrong = wrong_gradient(read_tables(student, params, read_grads), loss_grad(weights, config, tokens)[1],
                           lambda: own_loss_grad(student, weights, config, tokens)[1])
    assert not wrong, f"the gradient of {wrong} is wrong: build the loss from Value operations only, never from .data"


@loss_checkpoint
def test_loss_is_the_same_when_called_again(student, rng):
    """Calling sequence_loss twice on the same name gives the same loss: every call starts with fresh caches."""
    config = tiny_config(rng)
    weights = random_weights(rng, config)
    tokens = random_tokens(rng, config, 4) + [config["vocab_size"] - 1]
    params = tables_of(student, weights)
    first = student.sequence_loss(params, tokens, config)
    second = student.sequence_loss(params, tokens, config)
    assert is_value(student, first) and is_value(student, second), "sequence_loss should return a Value"
    assert close(second.data, first.data, rel=1e-12, abs_tol=1e-12), \
        "a second call gave another loss: make new caches inside sequence_loss for every call"


# ------------------------------------------------------------ Task E: train

TRAIN_BUGS = ("grads-accumulate", "no-lr-decay", "docs-not-shuffled")
TRAIN_DOCS = ["abc", "cab", "bca", "ba", "cc", "acab", "bb"]


def train_config(rng):
    return {"vocab_size": 4, "n_layer": 1, "n_embd": 4, "n_head": 2, "block_size": int(rng.integers(5, 7))}


# encode(chars, text) for encode(text, chars): a whole string looked up among the letters
ENCODE_ARGUMENTS = r"raised ValueError: substring not found"


def loss_is_sound(student, weights, config):
    """True when the student's gpt and sequence_loss give the reference loss: then an error train raises is its own."""
    tokens = [config["vocab_size"] - 1, 0, 1, 2, config["vocab_size"] - 1]
    return forward_is_sound(student, weights, config) and \
        close(run_loss(student, weights, config, tokens)[0], ref_loss(weights, config, tokens), RTOL, ATOL)


def run_train(student, weights, config, docs, steps, seed, diagnose):
    params = tables_of(student, weights)
    errors = {pattern: "train-names-mixed-up" for pattern in (UNDEFINED_NAME, WRONG_KIND, ENCODE_ARGUMENTS)}
    with diagnosing(when_sound(diagnose, lambda: loss_is_sound(student, weights, config)),
                    errors):
        losses = student.train(params, docs, steps, config, seed)
    assert isinstance(losses, list), "train should return a list of losses"
    if len(losses) != steps and diagnose:
        diagnose("train-loss-count")
    assert len(losses) == steps, "train should return one loss per step"
    assert all(isinstance(x, float) for x in losses), "the losses should be plain floats (loss.data), not Values"
    return np.array(losses), read_tables(student, params)


def same_run(got, reference):
    """Whether the (losses, tables) of the student's train are those of a reference run (None: no run)."""
    losses, tables = reference or (None, {})
    return close(got[0], losses, rel=1e-7, abs_tol=ATOL) and all(
        close(got[1][k], tables[k], rel=1e-5, abs_tol=1e-7) for k in tables)


def own_run(student, weights, config, docs, steps, seed):
    """train replayed here with the student's own sequence_loss, or None."""
    step_loss = own_step_loss(student, config)
    return own_expectation(lambda: ref_train(weights, config, docs, steps, seed, step_loss=step_loss))


def unmoved(tables, weights):
    return all(np.array_equal(tables[k], weights[k]) for k in weights)


def check_train(student, diagnose, got, weights, config, docs, steps, seed, message):
    """got is the trusted run, or train replayed here with the student's own sequence_loss."""
    good = same_run(got, ref_train(weights, config, docs, steps, seed))
    own = None if good else own_run(student, weights, config, docs, steps, seed)
    good = good or same_run(got, own)
    if not good and forward_is_sound(student, weights, config):
        for bug in TRAIN_BUGS:
            if same_run(got, ref_train(weights, config, docs, steps, seed, bug)):
                diagnose(bug)
                break
        # nothing moved, where a correct train with the student's own sequence_loss moves the parameters
        if unmoved(got[1], weights) and own is not None and not unmoved(own[1], weights):
            diagnose("train-no-update")
    assert good, message


@train_checkpoint
def test_train_returns_one_float_per_step(student, rng, diagnose):
    """train returns a list with the loss of every step, as plain floats."""
    config = train_config(rng)
    losses, _ = run_train(student, random_weights(rng, config), config, TRAIN_DOCS, 3, int(rng.integers(100)), diagnose)
    assert np.all(np.isfinite(losses)) and np.all(losses > 0), "every loss should be a positive number"


@train_checkpoint
def test_train_starts_with_the_first_shuffled_name(student, rng, diagnose):
    """The first loss is the untrained model's on the first name of a shuffled copy of docs; docs stays as it was."""
    config = train_config(rng)
    weights = random_weights(rng, config)
    docs = [str(d) for d in rng.permutation(TRAIN_DOCS)]
    seed = int(rng.integers(100))
    while True:  # a seed whose shuffle moves another name to the front
        order = list(docs)
        random.Random(seed).shuffle(order)
        if order[0] != docs[0]:
            break
        seed += 1
    held = student.hold(list(docs))  # the caller's list lives in the student's process
    losses, _ = run_train(student, weights, config, held, 1, seed, diagnose)
    first = [3] + ["abc".index(c) for c in order[0]] + [3]
    good = close_or_own(losses[0], ref_loss(weights, config, first),
                        lambda: own_step_loss(student, config)(weights, first)[0])
    unshuffled = [3] + ["abc".index(c) for c in docs[0]] + [3]
    if not good and close(losses[0], ref_loss(weights, config, unshuffled), RTOL, ATOL):
        diagnose("docs-not-shuffled")
    assert good, \
        "the first loss should be the loss of the name random.Random(seed).shuffle puts first"
    assert held.copy() == docs, "train should shuffle a copy of docs and leave the caller's list as it was"


@train_checkpoint
def test_adam_first_step_moves_each_parameter_by_the_learning_rate(student, rng, diagnose):
    """After one step every parameter has moved by Adam's first step: 0.01 against its gradient, or not at all."""
    config = train_config(rng)
    weights = random_weights(rng, config)
    doc = str(rng.choice(TRAIN_DOCS[:5]))
    got = run_train(student, weights, config, ["abc", doc] if doc != "abc" else [doc], 1, 0, diagnose)
    check_train(student, diagnose, got, weights, config, ["abc", doc] if doc != "abc" else [doc], 1, 0,
                "after one step the parameters are not where Adam's first step puts them")


@train_checkpoint
def test_train_follows_adam_with_linear_decay(student, rng, diagnose):
    """Three steps on one name follow Adam with zeroed gradients and a linearly decaying learning rate."""
    config = train_config(rng)
    weights = random_weights(rng, config)
    docs = [str(rng.choice(["abca", "cabb", "bcac"]))]
    seed = int(rng.integers(100))
    got = run_train(student, weights, config, docs, 3, seed, diagnose)
    check_train(student, diagnose, got, weights, config, docs, 3, seed,
                "three steps on one name do not follow Adam (zero the gradients, linear decay, m and v kept)")


@train_checkpoint
def test_train_cycles_through_the_shuffled_docs(student, rng, diagnose):
    """Five steps on three names: one name per step from the shuffled copy, starting again after the last."""
    config = train_config(rng)
    weights = random_weights(rng, config)
    docs = [str(d) for d in rng.choice(TRAIN_DOCS, 3, replace=False)]
    if set("".join(docs)) != set("abc"):
        docs[0] = "abc"
    seed = int(rng.integers(100))
    got = run_train(student, weights, config, docs, 5, seed, diagnose)
    check_train(student, diagnose, got, weights, config, docs, 5, seed,
                "the losses do not follow the shuffled names, one per step, cycling through them")


@train_checkpoint
def test_training_lowers_the_loss(student, rng, diagnose):
    """Twenty steps on five short names bring the loss clearly down."""
    config = train_config(rng)
    weights, seed = random_weights(rng, config), int(rng.integers(100))
    got = run_train(student, weights, config, TRAIN_DOCS[:5], 20, seed, diagnose)
    # The first and the last five steps see the same five names: without learning they score the same. A correct
    # train lowers their mean by 0.13 or more (measured on 1,000 draws of these inputs); with a broken
    # sequence_loss it may not, so the run of a correct train with the student's own one passes too.
    assert got[0][-5:].mean() < got[0][:5].mean() - 0.1 or \
        same_run(got, own_run(student, weights, config, TRAIN_DOCS[:5], 20, seed)), \
        "twenty steps of training should lower the loss clearly"


# ------------------------------------------------------------ Task F: sample

SAMPLE_BUGS = ("temperature-after-softmax", "temperature-inverted", "sample-cache-reset")
CHARS = ["a", "b", "c", "d"]


def sample_model(rng, min_letters=3):
    """A tiny model with 4 letters whose greedy name has at least min_letters letters and clear top logits,
    and differs from the greedy name of a sampler that forgets its cache (so near temperature 0 that mistake
    shows, whatever the seed)."""
    config = {"vocab_size": 5, "n_layer": 1, "n_embd": 4, "n_head": 2, "block_size": int(rng.integers(6, 9))}
    for _ in range(200):
        weights = random_weights(rng, config, std=0.5)
        letters, margin = greedy_margin(weights, config)
        forgetful = ref_sample(weights, config, CHARS, 0.001, 0, "sample-cache-reset")
        if letters >= min_letters and margin > 0.05 and forgetful != ref_sample(weights, config, CHARS, 0.001, 0):
            return weights, config
    return weights, config


def telling_seed(rng, weights, config, temperature):
    """An rng seed whose sample at this temperature differs from the sample of every known wrong variant
    that could differ at all (at temperature 1 the temperature mistakes change nothing), and those samples
    from each other, so that a name a mistake gives names that mistake alone."""
    bugs = ("sample-cache-reset",) if temperature == 1.0 else SAMPLE_BUGS
    telling = None  # failing that, a seed where each mistake at least differs from the right name
    for _ in range(60):
        seed = int(rng.integers(10**6))
        want, *wrongs = [ref_sample(weights, config, CHARS, temperature, seed, bug) for bug in (None, *bugs)]
        if len({want, *wrongs}) == 1 + len(wrongs):
            return seed
        if telling is None and want not in wrongs:
            telling = seed
    return seed if telling is None else telling


# rng.choices given a population of another length than the weights (one weight per token of the vocabulary)
POPULATION_MISMATCH = r"raised ValueError: The number of weights does not match the population"


def run_sample(student, params, config, temperature, seed, diagnose=None, weights=None):
    """The name the student's sample draws; with diagnose (and the trusted weights behind params), an error it raised
    is recorded when their gpt works."""
    rng = student.define(seeded_random)(int(seed))
    errors = {pattern: "sample-names-mixed-up" for pattern in (UNDEFINED_NAME, WRONG_KIND, PAST_THE_END,
                                                               POPULATION_MISMATCH)}
    with diagnosing(when_sound(diagnose, lambda: forward_is_sound(student, weights, config)),
                    errors):
        name = student.sample(params, config, list(CHARS), temperature, rng)
    assert isinstance(name, str), "sample should return the name as a string"
    return name


def check_sample(student, diagnose, got, params, weights, config, temperature, seed, message):
    """got is the reference name, or the one a correct sample draws with the student's own gpt."""
    right = ref_sample(weights, config, CHARS, temperature, seed)
    good = got == right or got == own_expectation(lambda: own_sample(student, params, config, temperature, seed))
    if not good and forward_is_sound(student, weights, config):
        patterns = ((bug, ref_sample(weights, config, CHARS, temperature, seed, bug)) for bug in SAMPLE_BUGS)
        diagnose_only_fit(diagnose, patterns_that_fit(got, right, patterns, lambda a, b: a == b))
    assert good, message


@sample_checkpoint
def test_sample_returns_a_name_made_of_letters(student, rng, diagnose):
    """sample returns a string of letters from chars (never BOS), at most block_size long."""
    weights, config = sample_model(rng)
    params = tables_of(student, weights)
    for seed in rng.integers(0, 1000, 3).tolist():
        name = run_sample(student, params, config, 1.0, seed, diagnose, weights)
        assert set(name) <= set(CHARS), "a sample should hold only letters of chars (BOS ends it, it is not a letter)"
        assert len(name) <= config["block_size"], "a sample should have at most block_size letters"


@sample_checkpoint
def test_sample_near_zero_temperature_is_greedy(student, rng, diagnose):
    """Near temperature 0 every draw is the most likely token, whatever the rng."""
    for _ in range(2):
        weights, config = sample_model(rng)
        params = tables_of(student, weights)
        seed = telling_seed(rng, weights, config, 0.001)
        got = run_sample(student, params, config, 0.001, seed)
        check_sample(student, diagnose, got, params, weights, config, 0.001, seed,
                     "near temperature 0 the sample should follow the largest logit at every step")


@sample_checkpoint
def test_sample_at_temperature_one_draws_with_the_given_rng(student, rng, diagnose):
    """At temperature 1 the draws are rng.choices over the model's probabilities, with the rng given."""
    weights, config = sample_model(rng)
    params = tables_of(student, weights)
    for _ in range(3):
        seed = telling_seed(rng, weights, config, 1.0)
        got = run_sample(student, params, config, 1.0, seed)
        check_sample(student, diagnose, got, params, weights, config, 1.0, seed,
                     "at temperature 1 the sample differs: draw with rng.choices(range(vocab_size), weights=...)[0]")


@sample_checkpoint
def test_sample_divides_the_logits_by_the_temperature(student, rng, diagnose):
    """At temperatures 0.4 and 2.5 the draws use softmax(logits / temperature)."""
    weights, config = sample_model(rng)
    params = tables_of(student, weights)
    for temperature in (0.4, 2.5):
        seed = telling_seed(rng, weights, config, temperature)
        got = run_sample(student, params, config, temperature, seed)
        check_sample(student, diagnose, got, params, weights, config, temperature, seed,
                     "the samples at other temperatures differ: divide the logits by the temperature before softmax")


@sample_checkpoint
def test_sample_is_repeatable_with_the_same_rng_seed(student, rng):
    """Two samples with rngs of the same seed are the same name: only the rng given is used."""
    weights, config = sample_model(rng)
    params = tables_of(student, weights)
    seed = int(rng.integers(1000))
    names = [run_sample(student, params, config, 1.5, seed) for _ in range(3)]
    assert names[0] == names[1] == names[2], \
        "the same rng seed should give the same name: draw with the rng argument, never the global random"


# ------------------------------------------------------------ capstone: the handed-in checkpoint

def checkpoint_problem(saved):
    """The first thing wrong with a loaded checkpoint.json, or None."""
    if not isinstance(saved, dict) or set(saved) != {"config", "chars", "params"}:
        return "checkpoint.json should hold exactly config, chars and params (write it with save_checkpoint)"
    config = saved["config"]
    if not isinstance(config, dict) or config != REFERENCE or not all(type(v) is int for v in config.values()):
        return "checkpoint.json should hold a model with the reference CONFIG"
    if saved["chars"] != LETTERS:
        return "checkpoint.json should hold the 26 letters of names.txt as chars"
    tables = saved["params"]
    if not isinstance(tables, dict) or set(tables) != set(shapes(REFERENCE)):
        return "checkpoint.json should hold every parameter matrix of the reference model, under its name"
    for name, (rows, cols) in shapes(REFERENCE).items():
        table = tables[name]
        if not (isinstance(table, list) and len(table) == rows
                and all(isinstance(row, list) and len(row) == cols for row in table)):
            return f"{name} in checkpoint.json does not have the shape of the reference model"
        if not all(type(x) in (int, float) and math.isfinite(x) and abs(x) < 1e3 for row in table for x in row):
            return f"{name} in checkpoint.json should hold plain finite numbers"
    return None


def load_submitted_checkpoint(submitted_file):
    raw = submitted_file("checkpoint.json")
    try:
        saved = json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        raise AssertionError("checkpoint.json is not valid JSON: write it with save_checkpoint") from None
    problem = checkpoint_problem(saved)
    assert problem is None, problem
    return {name: np.array(rows, dtype=float) for name, rows in saved["params"].items()}


def checkpoint_nll(weights):
    """Mean NLL per predicted token over the held-out names (at most block_size predictions each)."""
    names = [([26] + [LETTERS.index(c) for c in name] + [26])[:REFERENCE["block_size"] + 1]
             for name in HELD_OUT.read_text().split()]
    return held_out_nll(names, lambda inputs: log_softmax(batch_logits(weights, REFERENCE, inputs)))


@capstone
def test_checkpoint_is_a_well_formed_reference_model(submitted_file):
    """checkpoint.json holds the reference CONFIG, the 26 letters and every matrix with its shape."""
    weights = load_submitted_checkpoint(submitted_file)
    assert sum(table.size for table in weights.values()) == 4192, "the checkpoint should hold 4,192 parameters"


@capstone
def test_checkpoint_beats_the_bar_on_held_out_names(submitted_file, measure):
    """The trained model in checkpoint.json predicts names it has never seen: held-out NLL per token below 2.60."""
    weights = load_submitted_checkpoint(submitted_file)
    nll = checkpoint_nll(weights)
    measure("held_out_nll", nll)
    assert nll < BAR, f"your checkpoint's held-out NLL per token is {nll:.2f}, not below the bar of {BAR:.2f}: " \
                      "train the reference model (the training cells) and hand in the checkpoint.json they write"


# ------------------------------------------------------------ checkpoint questions

def checkpoint_for_question(submitted_file, question):
    try:
        return load_submitted_checkpoint(submitted_file)
    except AssertionError as error:
        raise AssertionError(f"{question} is graded against your checkpoint.json: {error}") from None


def singled_out(scores: dict, tolerance: float) -> set:
    """The options within tolerance of the best; none when more than two are (the model ties them)."""
    best = max(scores.values())
    near = {option for option, score in scores.items() if score >= best - tolerance}
    return near if len(near) <= 2 else set()


@pytest.mark.checkpoint("q1")
def test_q1_letter_after_q(student, submitted_file):
    """Q1: the letter your model finds most likely after a name starts with 'q'."""
    answer = check_answer(student, "ANSWER_Q1")
    assert isinstance(answer, str) and answer.strip().lower() in LETTERS and len(answer.strip()) == 1, \
        'ANSWER_Q1 should be one lower-case letter, e.g. "z"'
    weights = checkpoint_for_question(submitted_file, "Q1")
    probs = softmax(ref_logits(weights, REFERENCE, [26, LETTERS.index("q")])[-1])[:26]
    best = singled_out(dict(zip(LETTERS, probs, strict=True)), Q1_TOLERANCE)
    if answer.strip().lower() not in best:  # as read with the student's own gpt: a gpt mistake costs gpt's points
        own = own_expectation(lambda: singled_out(
            {c: float(p) for c, p in student.next_token_probs(tables_of(student, weights), REFERENCE,
                                                               list(LETTERS), "q").items() if c in LETTERS},
            Q1_TOLERANCE))
        best |= own or set()
    assert best, \
        "your checkpoint.json ranks no letter after 'q' clearly first (several tie), so no answer " \
        "can be read off it: train the model and hand in the checkpoint.json its training cell writes"
    assert answer.strip().lower() in best, \
        "ANSWER_Q1 is not the letter your checkpoint ranks first after 'q': read it off next_token_probs"


def bos_weights(weights):
    """The weight each head of layer 0 gives to position 0 while reading the final 'a' of 'emma'."""
    tokens = [26] + [LETTERS.index(c) for c in "emma"]
    keys = []
    for pos, token in enumerate(tokens):
        x = rmsnorm(rmsnorm(weights["wte"][token] + weights["wpe"][pos]))
        keys.append(weights["layer0.attn_wk"] @ x)
        q = weights["layer0.attn_wq"] @ x
    k = np.array(keys)
    head_dim = REFERENCE["n_embd"] // REFERENCE["n_head"]
    return [softmax(k[:, h * head_dim:(h + 1) * head_dim] @ q[h * head_dim:(h + 1) * head_dim]
                    / math.sqrt(head_dim))[0] for h in range(REFERENCE["n_head"])]


@pytest.mark.checkpoint("q3")
def test_q3_head_that_looks_at_bos(student, submitted_file):
    """Q3: the head of your model that gives the most weight to BOS when it reads the final 'a' of 'emma'."""
    answer = check_answer(student, "ANSWER_Q3")
    assert isinstance(answer, int) and not isinstance(answer, bool), "ANSWER_Q3 should be an int from 0 to 3"
    weights = checkpoint_for_question(submitted_file, "Q3")
    best = singled_out(dict(enumerate(bos_weights(weights))), Q3_TOLERANCE)
    if answer not in best:  # as read with the student's own gpt, through the release's attention_maps
        own = own_expectation(lambda: singled_out(
            {h: float(row[4][0]) for h, row in enumerate(
                student.attention_maps(tables_of(student, weights), REFERENCE, list(LETTERS), "emma")[0])},
            Q3_TOLERANCE))
        best |= own or set()
    assert best, \
        "in your checkpoint.json no head gives BOS clearly the most weight (several tie), so no answer " \
        "can be read off it: train the model and hand in the checkpoint.json its training cell writes"
    assert answer in best, \
        "ANSWER_Q3 is not the head of your checkpoint that looks at BOS most: read the first column of row 4"


def similarities_to_a(weights):
    """Cosine similarity of the wte row of 'a' with the row of every other letter."""
    rows = weights["wte"][:26]
    unit = rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
    return {LETTERS[i]: float(unit[i] @ unit[0]) for i in range(1, 26)}


@pytest.mark.checkpoint("q4")
def test_q4_letter_nearest_to_a(student, submitted_file, diagnose):
    """Q4: the letter whose wte row in your model is most similar (cosine) to the row of 'a'."""
    answer = check_answer(student, "ANSWER_Q4")
    assert isinstance(answer, str) and answer.strip().lower() in LETTERS and len(answer.strip()) == 1, \
        'ANSWER_Q4 should be one lower-case letter, e.g. "z"'
    if answer.strip().lower() == "a":
        diagnose("q4-self-similarity")
    weights = checkpoint_for_question(submitted_file, "Q4")
    nearest = singled_out(similarities_to_a(weights), Q4_TOLERANCE)
    assert nearest, "Q4 is graded against your checkpoint.json, and in it several letters are " \
                              "equally near to 'a': hand in the checkpoint of a trained model"
    assert answer.strip().lower() in nearest, \
        "ANSWER_Q4 is not the letter your checkpoint puts nearest to 'a': read it off nearest_letters"
