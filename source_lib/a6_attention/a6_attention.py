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
# # A6 · Attention: tokens that look back
#
# In A5 you trained a **bigram** model: it predicts the next letter of a name
# from the current letter alone. Whatever came before is forgotten. After
# `"emm"` and after `"jimm"` it sees the same thing, a single `"m"`, and must
# guess the same way, although `"emma"` is far more likely than `"jimma"`.
#
# This assignment builds the mechanism that lets every position of a
# sequence **look back** at all earlier positions and decide, from the data
# itself, how much of each one to take: **attention**. It is the one new
# ingredient a GPT adds to what you already have; A7 wraps it, with an MLP,
# into the full model.
#
# By the end of this notebook you will have
#
# - `attention_weights(q, keys)`: how much one query attends to each key,
#   a softmax of scaled dot products;
# - `attention_head(q, keys, values)`: the weighted sum of the values, the
#   information a position collects;
# - `multi_head_attention(x, layer, keys, values, n_head)`: projections,
#   several heads side by side and a **KV cache**, one position at a time,
#   exactly as microgpt generates text;
# - `causal_self_attention(xs, layer, n_head)`: the same computation over a
#   whole sequence at once, with a **causal mask**, as it runs in training;
# - the milestone: proof that no position ever peeks at the future.
#
# ### How this notebook works
#
# - Cells that contain `# YOUR CODE HERE` are yours: replace the
#   `raise NotImplementedError()` line with your code. Leave every other cell
#   as it is.
# - After each task a **checks** cell runs a few visible checks. Passing them
#   means you are on the right track, not that you are done: the grader runs
#   hidden tests on layers and sequences drawn fresh for every submission,
#   compares every number with its own reference, and checks your gradients
#   against finite differences.
# - Three **tiny checkpoints** are graded automatically (you set a variable
#   such as `ANSWER_Q1`), five are short written answers graded by hand.
# - The whole notebook runs in a second or two. Run it top to bottom
#   (*Kernel → Restart & Run All*) before you submit.
#
# | Part | Points |
# |---|---|
# | Task A: `attention_weights` | 12 |
# | Task B: `attention_head` | 10 |
# | Task C: `multi_head_attention` (heads, KV cache) | 22 |
# | Task D: `causal_self_attention` (whole sequence, mask) | 16 |
# | Milestone: later tokens never change earlier outputs | 10 |
# | Q1–Q3 (auto-graded) | 15 |
# | SA1–SA5 (short answers, graded by hand) | 15 |
# | **Total** | **100** |

# %% [markdown]
# ## 1. What you built before (provided)
#
# The next cell holds the reference solutions of A1–A5 that this assignment
# uses: the `Value` class with every local derivative, `backward(root)` and
# `zero_grad(nodes)` from A3, and from A5 `matrix` (Gaussian
# initialisation), `linear` (a matrix times a vector), the stable `softmax`
# and `rmsnorm`. They are correct and locked: a slip in an earlier
# assignment never costs you points here. Read `linear` and `softmax` once
# more; you will call them all the time.
#
# Conventions, as in A5: a vector is a `list[Value]`; a matrix is a
# `list[list[Value]]` of shape (n_out, n_in), one row per output;
# `linear(x, W)[i] = sum_j W[i][j] * x[j]`.
#
# Three small helpers for this notebook come last: `vec(1, 2)` makes a
# vector of leaf Values, `data(vector)` reads its numbers back (rounded),
# and `matches(vector, numbers)` compares a vector with plain numbers.

# %%
import math
import random

from provided.backprop import backward, zero_grad  # noqa: F401 (provided for your use)
from provided.representations import linear, matrix, rmsnorm, softmax  # noqa: F401
from provided.values import Value


def vec(*numbers):
    """A vector of leaf Values from plain numbers: vec(1, 2) gives [Value(1.0), Value(2.0)]."""
    return [Value(n) for n in numbers]


def data(vector):
    """The plain numbers of a vector of Values, rounded for printing."""
    return [round(v.data, 4) for v in vector]


def matches(vector, numbers):
    """True when a vector of Values holds these numbers (up to rounding)."""
    return len(vector) == len(numbers) and all(
        math.isclose(v.data, n, rel_tol=1e-9, abs_tol=1e-12) for v, n in zip(vector, numbers, strict=True))

# %% [markdown]
# ## 2. Why look back?
#
# A language model reads a sequence of tokens and, at every position,
# predicts the next one. The bigram model of A5 did it with one table
# lookup: row = current token, out come the next-token scores. Everything
# before the current token is invisible to it, which is why its held-out
# loss stayed near the count model's 2.46, however long you trained.
#
# To do better, position *t* needs a summary of positions 0, 1, ..., *t*.
# Which earlier positions matter depends on the content: after `"jo"` the
# first letter decides a lot; in `"anna"` the second `n` is a hint that the
# name mirrors itself. A fixed rule ("average the last three letters") can't
# adapt to that. Attention lets every position **compute its own weights**
# over the earlier positions from the tokens themselves, and then take a
# weighted average of what those positions offer.
#
# Three roles, each a vector computed from a position's embedding by a
# learned matrix:
#
# | vector | role | analogy |
# |---|---|---|
# | **query** `q` | what this position is looking for | a search request |
# | **key** `k` | what a position can be found by | the label on a drawer |
# | **value** `v` | what a position hands over when it is chosen | the drawer's content |
#
# A query is compared with every key (a dot product: large when they point
# the same way); a softmax turns the comparisons into weights that sum to 1;
# the output is the weighted sum of the values. A soft, differentiable
# dictionary lookup. Because every step is made of `Value` operations,
# backpropagation reaches the matrices that produce `q`, `k` and `v`, and
# training learns *what to look for*.

# %% [markdown]
# **SA1 (short answer, 3 points).** Give a concrete example, with names, of
# information the bigram model of A5 cannot use when it predicts the next
# letter, and explain in two or three sentences how attention can make that
# information available at the position that needs it.

# %% [markdown] tags=["manual:sa1"]
# ### BEGIN SOLUTION
# The bigram model sees only the current letter. After "emm" and after
# "jimm" it sees the same "m" and must predict the same distribution, yet
# "emma" is a common name and "jimma" is not; likewise, whether a name is
# likely to end soon depends on how long it already is, which one letter
# cannot tell. With attention, the position of the last "m" computes a query,
# compares it with the keys of all earlier positions (the "e" at the start,
# the first "m", ...), and takes a weighted sum of their values, so a summary
# of the whole prefix (first letter, earlier letters, length) reaches that
# position and can shape the prediction. The weights are computed from the
# tokens themselves, so the model learns which earlier positions matter.
# ### END SOLUTION

# %% [markdown]
# ## 3. Task A: attention weights (12 points)
#
# One query `q` (a vector of length d) and the keys of the positions it may
# look at, `keys = [k_0, k_1, ..., k_{T-1}]` (each of length d). The
# **score** of key t is the dot product
#
# $$ s_t = \frac{q \cdot k_t}{\sqrt{d}} = \frac{1}{\sqrt d}\sum_{i} q_i\, k_{t,i} $$
#
# and the **attention weights** are the softmax of the scores over t:
# positive, summing to 1, the largest where the key matches the query best.
#
# ### Why divide by √d?
#
# A dot product is a sum of d products. If the entries of `q` and `k` are
# roughly independent with mean 0 and variance 1, each product has variance
# about 1, and the sum of d of them has variance about d: the typical size of
# a score grows like √d. Watch it on plain floats:

# %%
rng = random.Random(0)
for d in [4, 16, 64, 256]:
    dots = []
    for _ in range(500):
        q_demo = [rng.gauss(0, 1) for _ in range(d)]
        k_demo = [rng.gauss(0, 1) for _ in range(d)]
        dots.append(sum(a * b for a, b in zip(q_demo, k_demo, strict=True)))
    spread = math.sqrt(sum(s * s for s in dots) / len(dots))
    print(f"d = {d:3d}: typical |q . k| = {spread:6.2f}   after dividing by sqrt(d): {spread / math.sqrt(d):.2f}")

# %% [markdown]
# Large scores make the softmax **saturate**: one weight close to 1, all
# others close to 0. A saturated softmax hardly changes when its inputs move,
# so its gradients are tiny and the query and key matrices stop learning.
# Dividing by √d keeps the scores at a typical size of about 1 whatever d is:

# %%
def float_softmax(scores):
    """softmax on plain floats, for demonstrations."""
    top = max(scores)
    exps = [math.exp(s - top) for s in scores]
    return [e / sum(exps) for e in exps]


scores_d256 = [16.0, 8.0, -4.0, 0.0]           # scores of the size d = 256 produces
print("unscaled:       ", [round(w, 4) for w in float_softmax(scores_d256)])
print("divided by 16:  ", [round(w, 4) for w in float_softmax([s / 16 for s in scores_d256])])

# %% [markdown]
# Write `attention_weights(q, keys)`: the list of T weights
# `softmax([q·k_t / sqrt(len(q)) for each key])`, as `Value`s.
#
# - `d` is `len(q)`, the length of the query (and of every key), **not** the
#   number of keys.
# - Build the scores from `Value` operations (`*`, `+`, `sum`, dividing or
#   multiplying by a plain number) and call the provided `softmax`: it is
#   stable for large scores, and gradients flow through it. Never compute a
#   score from `.data`: a score built from plain numbers is a new leaf, cut
#   off from `q` and the keys, and no gradient would ever reach the
#   matrices that made them.
# - Two or three lines are enough.

# %% tags=["solution"]
def attention_weights(q, keys):
    """softmax over the keys of q . k_t / sqrt(len(q)): one Value weight per key, summing to 1."""
    ### BEGIN SOLUTION
    scale = 1 / math.sqrt(len(q))
    scores = [sum(q_i * k_i for q_i, k_i in zip(q, key, strict=True)) * scale for key in keys]
    return softmax(scores)
    ### END SOLUTION

# %% tags=["checks:attention_weights"]
q = vec(1.0, 0.0, 2.0, 0.0)
keys = [vec(1.0, 1.0, 0.0, 0.0), vec(0.0, 0.0, 1.0, 0.0), vec(0.0, -1.0, -1.0, 3.0)]
w = attention_weights(q, keys)
assert isinstance(w, list) and len(w) == 3, "attention_weights should return a list with one weight per key"
assert all(isinstance(wi, Value) for wi in w), "the weights should be Values (call softmax on Value scores)"
assert math.isclose(sum(wi.data for wi in w), 1.0), "the weights should sum to 1"
unscaled = float_softmax([1.0, 2.0, -2.0])                 # q . k_t for the three keys
assert not all(math.isclose(wi.data, u) for wi, u in zip(w, unscaled, strict=True)), \
    "the scores should be divided by sqrt(len(q)) before the softmax"
want = float_softmax([1.0 / 2, 2.0 / 2, -2.0 / 2])         # divided by sqrt(4) = 2
assert all(math.isclose(wi.data, wt, rel_tol=1e-9) for wi, wt in zip(w, want, strict=True)), \
    "the weights should be softmax(q . k_t / sqrt(len(q))): d is the length of q, not the number of keys"
assert math.isclose(attention_weights(q, keys[:2])[0].data, float_softmax([0.5, 1.0])[0]), \
    "with two keys the scale is still 1 / sqrt(len(q))"
one = attention_weights(q, keys[:1])
assert len(one) == 1 and math.isclose(one[0].data, 1.0), "a single key gets all the attention: weight 1"
backward(w[1])
assert any(qi.grad != 0.0 for qi in q) and any(ki.grad != 0.0 for ki in keys[1]), \
    "gradients should flow back to q and to the keys: build the scores from Value operations, not from .data"
big = attention_weights(vec(30.0, 30.0, 30.0, 30.0), [vec(30.0, 30.0, 30.0, 30.0), vec(-30.0, 0.0, 0.0, 0.0)])
assert math.isclose(big[0].data, 1.0) and big[1].data < 1e-12, \
    "large scores must not overflow: use the provided (stable) softmax"
print("attention_weights checks passed")

# %% [markdown]
# **Q1 (auto-graded, 5 points).** Take
#
# ```python
# q    = [1, 1, 1, 1]
# keys = [[1, 1, 1, 1], [0, 0, 0, 0], [-1, -1, -1, -1]]
# ```
#
# What is the attention weight of the **first** key? Work it out on paper
# first (scores, scale, softmax), then confirm with your function. Set
# `ANSWER_Q1` to a float rounded to 3 decimal places.

# %% tags=["solution"]
# ANSWER_Q1 = a float, e.g. 0.123
### BEGIN SOLUTION
ANSWER_Q1 = 0.867
### END SOLUTION

# %% tags=["checks:q1"]
assert "ANSWER_Q1" in globals(), "set ANSWER_Q1 in the cell above (replace the raise line) and run it"
assert isinstance(ANSWER_Q1, (int, float)) and not isinstance(ANSWER_Q1, bool), "ANSWER_Q1 should be a number"
assert 0.0 <= ANSWER_Q1 <= 1.0, "an attention weight lies between 0 and 1"
print("q1 format checks passed")

# %% [markdown]
# **SA2 (short answer, 3 points).** Explain why the scores are divided by
# √d before the softmax. What happens to the attention weights, and to
# learning, when d is large and the scores are not scaled? Why √d and not,
# say, d?

# %% [markdown] tags=["manual:sa2"]
# ### BEGIN SOLUTION
# A score is a sum of d products; with entries of mean 0 and variance about
# 1 its variance is about d, so its typical size grows like sqrt(d).
# Unscaled, large-d scores are large and spread far apart, the softmax
# saturates (one weight near 1, the rest near 0), and a saturated softmax has
# almost zero gradient, so the query and key matrices barely learn (and
# attention becomes a hard, brittle choice from the start). Dividing by
# sqrt(d) brings the standard deviation of the scores back to about 1 for
# every d, so the softmax starts in its sensitive range. Dividing by d would
# over-correct: the scores would shrink like 1/sqrt(d), so for large d all
# weights would be nearly equal and attention could hardly prefer any
# position.
# ### END SOLUTION

# %% [markdown]
# ## 4. Task B: one attention head (10 points)
#
# The weights say how much to take from each position; the **values** say
# what is taken. The output of an attention head is the weighted sum of the
# value vectors:
#
# $$ \text{out} = \sum_t w_t\, v_t, \qquad \text{out}_j = \sum_t w_t\, v_{t,j} $$
#
# It has one number per entry of a value vector. (In a GPT the values have
# the same length as the queries and keys, but nothing in the formula
# requires it, and your function should not assume it.)
#
# Here is the "soft dictionary" at work on plain floats: three drawers whose
# keys point in three different directions, and a query that points (mostly)
# at the second one. The output is almost exactly the second value.

# %%
keys_demo = [[4.0, 0.0, 0.0], [0.0, 4.0, 0.0], [0.0, 0.0, 4.0]]
values_demo = [[1.0, 0.0], [0.0, 10.0], [-5.0, -5.0]]
query_demo = [0.0, 3.0, 0.5]
w_demo = float_softmax([sum(a * b for a, b in zip(query_demo, k, strict=True)) / math.sqrt(3) for k in keys_demo])
out_demo = [sum(w * v[j] for w, v in zip(w_demo, values_demo, strict=True)) for j in range(2)]
print("weights:", [round(w, 3) for w in w_demo])
print("output: ", [round(o, 3) for o in out_demo], " (the second value is [0.0, 10.0])")

# %% [markdown]
# Write `attention_head(q, keys, values)`: the weights from your
# `attention_weights(q, keys)`, then the weighted sum of `values` (a list of
# T vectors, one per key), as a list of `Value`s with one entry per entry of
# a value vector.

# %% tags=["solution"]
def attention_head(q, keys, values):
    """The attention-weighted sum of the values: one Value per entry of a value vector."""
    ### BEGIN SOLUTION
    weights = attention_weights(q, keys)
    return [sum(w_t * v_t[j] for w_t, v_t in zip(weights, values, strict=True)) for j in range(len(values[0]))]
    ### END SOLUTION

# %% tags=["checks:attention_head"]
q = vec(1.0, 0.0, 2.0, 0.0)
keys = [vec(1.0, 1.0, 0.0, 0.0), vec(0.0, 0.0, 1.0, 0.0), vec(0.0, -1.0, -1.0, 3.0)]
values = [vec(1.0, 0.0, -1.0), vec(0.0, 2.0, 0.0), vec(3.0, 3.0, 3.0)]   # length 3, not 4
out = attention_head(q, keys, values)
assert isinstance(out, list) and len(out) == 3, \
    "attention_head should return one Value per entry of a value vector (here 3, though q has 4 entries)"
assert all(isinstance(o, Value) for o in out), "attention_head should return a list of Values"
w = [w_t.data for w_t in attention_weights(q, keys)]   # your weights: their own check above judges them
want = [sum(w_t * v_t[j].data for w_t, v_t in zip(w, values, strict=True)) for j in range(3)]
assert all(math.isclose(o.data, t, rel_tol=1e-9) for o, t in zip(out, want, strict=True)), \
    "the output should be the sum over t of weights[t] * values[t], with the weights of attention_weights(q, keys) " \
    "(the values, not the keys)"
single = attention_head(q, keys[:1], values[:1])
assert data(single) == [1.0, 0.0, -1.0], "with a single key the output is that key's value"
same = attention_head(q, [keys[0], keys[0]], [values[0], values[2]])
mean = [(a + b) / 2 for a, b in zip([1.0, 0.0, -1.0], [3.0, 3.0, 3.0], strict=True)]
assert len(same) == 3 and all(math.isclose(o.data, m) for o, m in zip(same, mean, strict=True)), \
    "two identical keys get equal weights, so the output is the mean of their values"
backward(out[0])
assert values[2][0].grad != 0.0, "gradients should reach the values: build the output from Value operations"
assert q[2].grad != 0.0, \
    "gradients should reach the query through the weights: use the Value weights of attention_weights, not their " \
    ".data (if the attention_weights check fails, fix that first)"
print("attention_head checks passed")

# %% [markdown]
# ## 5. Task C: multi-head attention with a KV cache (22 points)
#
# Inside a GPT, attention works on the embeddings of the tokens, vectors `x`
# of length `n_embd`. Four learned matrices of shape (n_embd, n_embd), kept
# in a dict `layer`, do the rest:
#
# ```python
# Wq, Wk, Wv, Wo = layer['attn_wq'], layer['attn_wk'], layer['attn_wv'], layer['attn_wo']
# q = linear(x, Wq)       # what this position is looking for
# k = linear(x, Wk)       # what it can be found by
# v = linear(x, Wv)       # what it hands over
# ...                     # attention, head by head
# out = linear(concatenated_heads, Wo)   # mix the heads back together
# ```
#
# ### Heads
#
# One attention head gives each position **one** set of weights over the
# past. But a position may need several things at once: the previous
# letter, the first letter, how far back the last vowel was. So the vectors
# are split into `n_head` **heads** of `head_dim` entries each
# (`n_embd // n_head`), and every head attends on its own. Head `h` uses the
# **contiguous** slice `[h * head_dim : (h + 1) * head_dim]` of `q`, of
# every key and of every value. With `n_embd = 8` and `n_head = 2`:
#
# ```
# q = [q0 q1 q2 q3 | q4 q5 q6 q7]
#      head 0        head 1
# ```
#
# Each head computes `attention_head` on its slices: its scores are scaled
# by `1/sqrt(head_dim)`, the length of its own slice (your
# `attention_weights` does this by itself, since it uses `len(q)` of the
# slice it receives). The head outputs, each of length `head_dim`, are
# concatenated in order (head 0 first) into one vector of length `n_embd`,
# and `attn_wo` mixes them. Splitting costs no parameters: the four matrices
# have the same shape whatever `n_head` is.
#
# ### The KV cache
#
# When a GPT generates a name, it produces one token at a time: position 0,
# then 1, then 2, ... At position t it needs the keys and values of
# positions 0..t. Those of earlier positions never change (they depend only
# on their own tokens), so microgpt computes them once and keeps them in two
# lists, the **KV cache**: `keys[s]` and `values[s]` are the full k and v
# vectors (length n_embd) of position s.
#
# At every call, for the next position:
#
# 1. project `x` to `q`, `k`, `v`;
# 2. **append** `k` to `keys` and `v` to `values`, *before* attending, so that
#    the position can attend to itself too (at position 0 there is nothing
#    else to attend to);
# 3. for each head, attend with the head's slice of `q` over the head's
#    slices of **every** cached key and value;
# 4. concatenate the heads and project with `attn_wo`.
#
# The caller owns the cache and passes the same two lists at every step:
#
# ```python
# keys, values = [], []
# for x in xs:                       # one position after the other
#     out = multi_head_attention(x, layer, keys, values, n_head)
# # now len(keys) == len(values) == len(xs)
# ```
#
# So the function must change the lists it is given, **in place**:
# `keys.append(k)` grows the caller's list. `keys = keys + [k]` would
# build a new list, bound to a local name, and the caller's cache would stay
# empty.

# %% [markdown]
# Write `multi_head_attention(x, layer, keys, values, n_head)` following the
# four steps. `n_embd` is `len(x)`; you may assume it is a multiple of
# `n_head`. Use your `attention_head`, and `linear` for the projections.

# %% tags=["solution"]
def multi_head_attention(x, layer, keys, values, n_head):
    """Attention for the next position: caches its k and v, attends per head over the cache, projects."""
    ### BEGIN SOLUTION
    n_embd = len(x)
    head_dim = n_embd // n_head
    q = linear(x, layer['attn_wq'])
    k = linear(x, layer['attn_wk'])
    v = linear(x, layer['attn_wv'])
    keys.append(k)          # cache first: the position attends to itself too
    values.append(v)
    heads = []
    for h in range(n_head):
        lo, hi = h * head_dim, (h + 1) * head_dim
        heads.extend(attention_head(q[lo:hi], [k_s[lo:hi] for k_s in keys], [v_s[lo:hi] for v_s in values]))
    return linear(heads, layer['attn_wo'])
    ### END SOLUTION

# %% [markdown]
# The checks below use a small layer whose matrices are easy to follow:
# `attn_wq`, `attn_wk` and `attn_wv` are identities (so q = k = v = x) and
# `attn_wo` is an identity too, except in one test that swaps the two halves.
# Where they compare heads, they accept the right heads or those your
# `attention_head` gives: a slip there is for the checks of Task A or B to
# find, not this one.

# %% tags=["checks:multi_head_attention"]
def identity(n):
    return [[Value(1.0 if i == j else 0.0) for j in range(n)] for i in range(n)]


plain = {'attn_wq': identity(4), 'attn_wk': identity(4), 'attn_wv': identity(4), 'attn_wo': identity(4)}
xs = [vec(1.0, 0.0, 0.0, 2.0), vec(0.0, 1.0, 2.0, 0.0), vec(1.0, 1.0, -1.0, 1.0)]
keys, values = [], []
out0 = multi_head_attention(xs[0], plain, keys, values, 2)
assert isinstance(out0, list) and len(out0) == 4 and all(isinstance(o, Value) for o in out0), \
    "multi_head_attention should return a list of n_embd Values"
assert len(keys) == 1 and len(values) == 1, \
    "each call should append one k to keys and one v to values, in place (keys.append(k), not keys = keys + [k])"
assert data(keys[0]) == [1.0, 0.0, 0.0, 2.0] and data(values[0]) == [1.0, 0.0, 0.0, 2.0], \
    "the cache should hold the projected vectors: keys gets k = linear(x, attn_wk), values gets v"
assert data(out0) == [1.0, 0.0, 0.0, 2.0], \
    "at the first position the cache holds only the position itself, so each head returns its own value"
out1 = multi_head_attention(xs[1], plain, keys, values, 2)
out2 = multi_head_attention(xs[2], plain, keys, values, 2)
assert len(keys) == 3 and len(values) == 3, "after three calls the cache should hold three keys and three values"


def head_by_hand(qh, kh, vh):
    """One head on plain floats: softmax(q . k / sqrt(len(q))), then the weighted sum of the values."""
    w = float_softmax([sum(a * b for a, b in zip(qh, k, strict=True)) / math.sqrt(len(qh)) for k in kh])
    return [sum(wt * v[j] for wt, v in zip(w, vh, strict=True)) for j in range(len(vh[0]))]


def your_head(qh, kh, vh):
    """One head as your attention_head computes it, read back as floats."""
    return [o.data for o in attention_head(vec(*qh), [vec(*k) for k in kh], [vec(*v) for v in vh])]


def third_output(head, n_head):
    """The heads of the third position computed by head, concatenated (q = k = v = x here)."""
    rows = [[1.0, 0.0, 0.0, 2.0], [0.0, 1.0, 2.0, 0.0], [1.0, 1.0, -1.0, 1.0]]
    parts = [slice(h * 4 // n_head, (h + 1) * 4 // n_head) for h in range(n_head)]
    return [o for p in parts for o in head(rows[2][p], [r[p] for r in rows], [r[p] for r in rows])]


def agrees(output, n_head, arrange=lambda heads: heads):
    """output is built from the right heads, or from those your attention_head gives (its own check judges it)."""
    return any(matches(output, arrange(third_output(head, n_head))) for head in (head_by_hand, your_head))


assert agrees(out2, 2), \
    "the third output is wrong: head h uses the contiguous slice [h*head_dim:(h+1)*head_dim] of q, " \
    "of every cached key and of every cached value, and scales by 1/sqrt(head_dim)"
swapped = dict(plain, attn_wo=[[Value(1.0 if j == (i + 2) % 4 else 0.0) for j in range(4)] for i in range(4)])
out_swapped = multi_head_attention(xs[2], swapped, keys[:2], values[:2], 2)
assert agrees(out_swapped, 2, lambda heads: heads[2:] + heads[:2]), \
    "the concatenated heads should be projected with layer['attn_wo']"
one_head = multi_head_attention(xs[2], plain, keys[:2], values[:2], 1)
assert agrees(one_head, 1), \
    "with n_head = 1 there is a single head over the whole vectors, scaled by 1/sqrt(n_embd)"
backward(out2[0])
assert any(w.grad != 0.0 for row in plain['attn_wv'] for w in row), \
    "gradients should reach layer['attn_wv'] through the values: compute q, k and v with linear, never from " \
    ".data (if the attention_head check fails, fix that first)"
assert any(w.grad != 0.0 for row in plain['attn_wq'] for w in row), \
    "gradients should reach layer['attn_wq'] through the scores: compute q with linear, never from .data " \
    "(if the attention_weights or attention_head check fails, fix that first)"
print("multi_head_attention checks passed")

# %% [markdown]
# **Q2 (auto-graded, 5 points).** The cache keeps the keys and the values of
# earlier positions, but not their queries. Why?
#
# - **a.** A query is used only once: at step t, the query of position t is
#   compared with the keys of positions 0..t, and no later step ever needs
#   it again, while every later step needs all earlier keys and values.
# - **b.** Queries are always equal to keys, so storing them would be
#   redundant.
# - **c.** The query of a position depends on future tokens, so it cannot be
#   stored ahead of time.
# - **d.** Storing queries would make attention look at future positions.
#
# Set `ANSWER_Q2` to one letter.

# %% tags=["solution"]
# ANSWER_Q2 = one letter: "a", "b", "c" or "d"
### BEGIN SOLUTION
ANSWER_Q2 = "a"
### END SOLUTION

# %% tags=["checks:q2"]
assert "ANSWER_Q2" in globals(), "set ANSWER_Q2 in the cell above (replace the raise line) and run it"
assert ANSWER_Q2 in ("a", "b", "c", "d"), 'ANSWER_Q2 should be one lower-case letter: "a", "b", "c" or "d"'
print("q2 format checks passed")

# %% [markdown]
# **SA3 (short answer, 3 points).** Splitting `n_embd` into `n_head` heads
# adds no parameters. What do several small heads give the model that one
# head of full width cannot? Give an example of two different things two
# heads might attend to at the same position of a name.

# %% [markdown] tags=["manual:sa3"]
# ### BEGIN SOLUTION
# One head produces one set of weights over the past, so at each position it
# can only form one weighted average: if the position needs two different
# earlier positions it must blur them together. With several heads, each
# slice of q, k and v computes its own scores and its own softmax, so the
# position can attend to several places at once and the results are
# concatenated and mixed by attn_wo. For example, at the third letter of
# "mar..." one head could attend (almost only) to the previous letter "r"
# to capture local spelling, while another attends to the first letter "m"
# or spreads evenly to measure how long the name already is. The parameter
# count is the same because the four n_embd x n_embd matrices are only
# sliced differently.
# ### END SOLUTION

# %% [markdown]
# **SA4 (short answer, 3 points).** What does the KV cache save when a GPT
# generates a sequence of T tokens, compared with recomputing attention from
# scratch at every step? Explain why keeping the cached keys and values is
# *exact* (not an approximation), and roughly how the number of projections
# computed grows with T with and without the cache.

# %% [markdown] tags=["manual:sa4"]
# ### BEGIN SOLUTION
# Without a cache, step t would recompute k and v (and the rest of the
# layer) for all t+1 positions of the prefix, so generating T tokens costs
# 1 + 2 + ... + T, about T^2/2 projections. With the cache, each step
# computes q, k and v for the new position only (T projections in total) and
# reuses the stored keys and values. It is exact because the key and value
# of position s depend only on the input at position s (and, in deeper
# models, on earlier positions), never on tokens that come later, so they
# are the same numbers at every later step; causality is what makes the
# cache correct. (The attention itself still compares the new query with all
# t+1 cached keys, so that part grows with t.)
# ### END SOLUTION

# %% [markdown]
# ## 6. Task D: the whole sequence at once, with a causal mask (16 points)
#
# In **training** nothing is generated: the whole name is known, and the
# model is asked to predict every next letter at once, position 0 predicting
# letter 1, position 1 predicting letter 2, and so on. Feeding the positions
# one at a time through the cache works, but the usual way (and the fast one
# on a GPU) is to compute everything for the whole sequence together:
#
# 1. project every position: `qs[t]`, `ks[t]`, `vs[t]` for t = 0..T-1;
# 2. for each head, every query against every key: a T × T table of scores;
# 3. **mask** the table: position t must not see positions s > t, which
#    lie in its future (the very letters it is asked to predict);
# 4. softmax each row over what is left, weighted sum of the values,
#    concatenate the heads, project with `attn_wo`.
#
# The mask for T = 5 (row = query position t, column = key position s,
# `x` = allowed, `.` = masked):

# %%
T_demo = 5
for t in range(T_demo):
    print(f"t = {t}:  " + " ".join("x" if s <= t else "." for s in range(T_demo)))

# %% [markdown]
# In tensor code the masked scores are set to -∞ before the softmax, so that
# their weights become exactly 0. With our scalar `Value`s it is simpler (and
# cheaper) to leave the masked entries out: row t keeps only the keys and
# values of positions 0..t.
#
# Done right, the result is **equal** to feeding `multi_head_attention` one
# position at a time with an empty cache at the start: at step t the cache
# holds exactly positions 0..t, which is the unmasked part of row t.
#
# Write `causal_self_attention(xs, layer, n_head)`: `xs` is the list of T
# input vectors; return the list of T output vectors (each a list of
# `n_embd` Values), output t depending on `xs[0..t]` only. Compute the
# projections of the whole sequence first, then attend row by row with the
# mask. Your function must not keep anything between calls.

# %% tags=["solution"]
def causal_self_attention(xs, layer, n_head):
    """Attention over a whole sequence at once; position t sees positions 0..t only (the causal mask)."""
    ### BEGIN SOLUTION
    n_embd = len(xs[0])
    head_dim = n_embd // n_head
    qs = [linear(x, layer['attn_wq']) for x in xs]
    ks = [linear(x, layer['attn_wk']) for x in xs]
    vs = [linear(x, layer['attn_wv']) for x in xs]
    outs = []
    for t in range(len(xs)):
        visible = range(t + 1)       # the causal mask: row t keeps positions 0..t
        concat = []
        for h in range(n_head):
            lo, hi = h * head_dim, (h + 1) * head_dim
            head_keys = [ks[s][lo:hi] for s in visible]
            head_values = [vs[s][lo:hi] for s in visible]
            concat.extend(attention_head(qs[t][lo:hi], head_keys, head_values))
        outs.append(linear(concat, layer['attn_wo']))
    return outs
    ### END SOLUTION

# %% tags=["checks:causal_self_attention"]
layer = {name: matrix(4, 4, 0.5, random.Random(seed)) for seed, name in
         enumerate(['attn_wq', 'attn_wk', 'attn_wv', 'attn_wo'])}
xs = [vec(1.0, 0.0, 0.0, 2.0), vec(0.0, 1.0, 2.0, 0.0), vec(1.0, 1.0, -1.0, 1.0), vec(-2.0, 0.5, 0.0, 1.0)]
outs = causal_self_attention(xs, layer, 2)
assert isinstance(outs, list) and len(outs) == 4, "causal_self_attention should return one output per position"
assert all(isinstance(o, list) and len(o) == 4 and all(isinstance(v, Value) for v in o) for o in outs), \
    "each output should be a list of n_embd Values"
keys, values = [], []
one_at_a_time = [multi_head_attention(x, layer, keys, values, 2) for x in xs]   # yours, as generation runs it
right_last = all(abs(o.data - t) < 1e-3 for o, t in zip(outs[3], [-1.3549, -0.2416, -0.7183, 0.5836], strict=True))
assert right_last or matches(outs[3], [c.data for c in one_at_a_time[3]]), \
    "the last output is wrong: it attends over all four positions, head by head (contiguous slices, " \
    "scores scaled by 1/sqrt(head_dim)), and the heads are concatenated and projected with attn_wo"
for t, (whole, cached) in enumerate(zip(outs, one_at_a_time, strict=True)):
    assert matches(whole, [c.data for c in cached]), \
        f"output {t} differs from multi_head_attention fed one position at a time: row t of the mask should " \
        "keep exactly the positions 0..t (if multi_head_attention fails its own checks, fix it first)"
first_alone = causal_self_attention(xs[:1], layer, 2)
assert data(first_alone[0]) == data(outs[0]), "the first output depends on the first position only"
again = causal_self_attention(xs, layer, 2)
assert all(data(a) == data(b) for a, b in zip(again, outs, strict=True)), \
    "calling causal_self_attention twice should give the same outputs: keep nothing between calls"
print("causal_self_attention checks passed")

# %% [markdown]
# **Q3 (auto-graded, 5 points).** A sequence of T = 6 positions goes
# through `causal_self_attention`. In **one** head, how many (query position,
# key position) pairs get a score that is *not* masked? Set `ANSWER_Q3` to
# an int.

# %% tags=["solution"]
# ANSWER_Q3 = an int
### BEGIN SOLUTION
ANSWER_Q3 = 21
### END SOLUTION

# %% tags=["checks:q3"]
assert "ANSWER_Q3" in globals(), "set ANSWER_Q3 in the cell above (replace the raise line) and run it"
assert isinstance(ANSWER_Q3, int) and not isinstance(ANSWER_Q3, bool), "ANSWER_Q3 should be an int"
assert 0 < ANSWER_Q3 <= 36, "there are at most 6 x 6 pairs"
print("q3 format checks passed")

# %% [markdown]
# ## 7. Milestone: later tokens never change earlier outputs (10 points)
#
# The mask is a promise: **output t depends on tokens 0..t and on nothing
# after them**. Here it is put to the test. Change one token at position j
# and run the whole sequence again: every output before j must stay exactly
# the same, while the outputs at j and after it must change (information
# does flow forward, from earlier tokens to later positions).

# %% tags=["checks:milestone"]
rng_m = random.Random(6)
layer = {name: matrix(8, 8, 0.35, rng_m) for name in ['attn_wq', 'attn_wk', 'attn_wv', 'attn_wo']}
tokens = [[rng_m.gauss(0, 1) for _ in range(8)] for _ in range(5)]
before = [data(o) for o in causal_self_attention([vec(*t) for t in tokens], layer, 2)]
for j in range(1, 5):
    changed = [list(t) for t in tokens]
    changed[j] = [rng_m.gauss(0, 1) for _ in range(8)]
    after = [data(o) for o in causal_self_attention([vec(*t) for t in changed], layer, 2)]
    assert after[:j] == before[:j], \
        f"changing token {j} changed an earlier output: position t must only see positions 0..t"
    assert all(after[t] != before[t] for t in range(j, 5)), \
        f"changing token {j} should change the outputs at position {j} and after it: they attend to it"
print("milestone checks passed")

# %% [markdown]
# **SA5 (short answer, 3 points).** Suppose the mask were off by one and
# position t could also see position t + 1. What would happen during
# training (think about what position t is asked to predict), and why would
# the trained model then be useless when it generates names one letter at a
# time?

# %% [markdown] tags=["manual:sa5"]
# ### BEGIN SOLUTION
# Position t is trained to predict token t + 1. If it can attend to position
# t + 1, the answer is in its input: attention learns to copy the next token
# (its key/value) and the training loss drops close to zero without learning
# anything about names. At generation time the next token does not exist yet
# (the model is producing it, one position at a time, with only positions
# 0..t in the cache), so the shortcut the model relied on is gone: its
# predictions are then essentially untrained and the samples are garbage.
# The training loss would look excellent while the model is useless, a
# classic leak of the answer into the input.
# ### END SOLUTION

# %% [markdown]
# ## 8. Look at what you built
#
# Gradients flow backwards through attention exactly as they flow forwards,
# along the same edges, and so they obey the same mask. Paste this into a new
# cell below, run it, and delete the cell again before you submit (the
# grader runs every code cell you leave in the notebook).
#
# ```python
# rng_g = random.Random(1)
# layer = {name: matrix(4, 4, 0.5, rng_g) for name in ['attn_wq', 'attn_wk', 'attn_wv', 'attn_wo']}
# xs = [vec(*[rng_g.gauss(0, 1) for _ in range(4)]) for _ in range(4)]
# leaves = [v for x in xs for v in x] + [p for W in layer.values() for row in W for p in row]
#
# for t in [3, 0]:                                 # the last output, then the first
#     zero_grad(leaves)                            # gradients accumulate: start from zero
#     outs = causal_self_attention(xs, layer, 2)   # a fresh graph, its inner nodes at zero too
#     backward(sum(outs[t]))
#     print(f"output {t}: size of the gradient for each input x_s:",
#           [round(sum(abs(v.grad) for v in x), 4) for x in xs])
# ```
#
# The last output has a non-zero gradient with respect to every input: it
# looked at all of them. The first output's gradient is zero for every input
# except `xs[0]`. (Both the `zero_grad` call and the fresh graph matter:
# gradients accumulate, so a second `backward` through nodes that still hold
# the first one's gradients would add to them.)
#
# ### Attention does not know the order
#
# Attention takes a weighted sum over a **set** of positions: the weight of
# position s depends on the query and on the key of s, never on where s
# stands. So shuffle the tokens before the last one, keep the last one in
# place, and the last output comes out the same (up to the rounding of
# adding the same numbers in another order):

# %%
rng_o = random.Random(2)
layer = {name: matrix(8, 8, 0.35, rng_o) for name in ['attn_wq', 'attn_wk', 'attn_wv', 'attn_wo']}
tokens = [[rng_o.gauss(0, 1) for _ in range(8)] for _ in range(5)]
shuffled = [tokens[2], tokens[0], tokens[3], tokens[1], tokens[4]]   # the earlier four permuted, the last kept
last = [v.data for v in causal_self_attention([vec(*t) for t in tokens], layer, 2)[-1]]
last_shuffled = [v.data for v in causal_self_attention([vec(*t) for t in shuffled], layer, 2)[-1]]
print("last output:                         ", [round(x, 6) for x in last])
print("last output, earlier tokens shuffled:", [round(x, 6) for x in last_shuffled])
print("largest difference:", max(abs(a - b) for a, b in zip(last, last_shuffled, strict=True)))

# %% [markdown]
# For names that is a problem: reading the last "n" of "ann" and of "nan",
# the last position would see the same set {a, n, n} and predict the same
# next letter, although "ann" goes on as in "anna" and "nan" as in "nancy". **A7** fixes it with a second
# embedding table, `wpe`, with one learned vector per *position*: each
# token's vector becomes `wte[token] + wpe[position]`, so the same letter at
# different positions gives different keys and values, and the order of the
# name reaches attention.

# %% [markdown]
# ## What's next
#
# Attention lets every position gather information from its past, and you
# can now run it both ways: one position at a time with a cache (how a GPT
# generates) and the whole sequence with a mask (how it trains). In **A7**
# it becomes one block of a GPT: token and position embeddings, `rmsnorm`
# before attention, a residual connection around it, an MLP block after it,
# and a final projection to the 27 next-token scores. Then you train it on
# names, score it on names it has never seen, and measure how long it has to
# train to beat the bigram model.
