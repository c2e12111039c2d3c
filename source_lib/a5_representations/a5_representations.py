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
# # A5 · Representations: tokens, vectors, matrices and a bigram model
#
# Four assignments gave you numbers that remember how they were made (A1),
# know their local derivatives (A2), pass gradients back through any graph
# (A3) and improve themselves with SGD and Adam (A4). All of that worked on
# scalars. A language model works on **text**, and it thinks in **vectors**.
# This assignment builds the bridge, and at its end you will train your
# first language model: a **bigram model** that has learned, from 30,000
# names, which letter tends to follow which.
#
# By the end of this notebook you will have
#
# - a **vocabulary**: characters turned into integer token ids and back,
#   with a special `BOS` token that marks where a name begins and ends;
# - **vectors and matrices of Values**: a Gaussian `matrix` of parameters,
#   the **projection** `linear(x, W)` and the **embedding lookup**
#   `embed(table, idx)`;
# - a numerically **stable softmax**, the **cross-entropy** loss and
#   **RMSNorm**, three pieces that sit inside every GPT;
# - a **bigram language model**, trained with your own pieces and the
#   course's `Value` + Adam, that comes close to the best any bigram model
#   can do on names it has never seen.
#
# ### How this notebook works
#
# - Cells that contain `# YOUR CODE HERE` are yours: replace the
#   `raise NotImplementedError()` line with your code. Leave every other cell
#   as it is.
# - After each task, a **checks** cell runs a few visible checks. Passing
#   them means you are on the right track, not that you are done: when you
#   submit, the grader runs hidden tests on inputs drawn fresh for every
#   submission (other vocabularies, other sizes, very large logits, all-zero
#   vectors, gradients compared with finite differences, ...).
# - Along the way come **tiny checkpoints**: three auto-graded questions
#   (you set a variable such as `ANSWER_Q1`) and five short written answers
#   graded by hand.
# - The file `names.txt` (30,013 names, one per line) must sit next to this
#   notebook. Everything except the training cell runs in a few seconds; the
#   training cell (marked **heavy**) takes about half a minute and writes
#   `bigram.json`. **Hand in `bigram.json` together with the notebook**: the
#   grader does not train, it scores the file you hand in.
#
# | Part | Points |
# |---|---|
# | Task A: tokens (`build_vocab`, `encode`, `decode`, `wrap`) | 10 |
# | Task B: matrices (`matrix`, `linear`, `embed`) | 12 |
# | Task C: `softmax` | 12 |
# | Task D: `cross_entropy` | 10 |
# | Task E: `rmsnorm` | 8 |
# | Task F: `bigram_loss` | 8 |
# | Milestone: a trained bigram model, scored on held-out names | 10 |
# | Q1–Q3 (auto-graded) | 15 |
# | SA1–SA5 (short answers, graded by hand) | 15 |
# | **Total** | **100** |

# %% [markdown]
# ## 1. What you built so far (provided)
#
# The next cell is the machinery of A1–A4, complete and correct, so that
# this assignment is graded on its own parts only. Read it once: you will
# use every piece.
#
# - `Value(data, children=(), local_grads=(), op='')`: the six atomic
#   operations record their children and, as in A2, one local derivative per
#   child; neg, sub and div are composed from them (A1).
# - `topological_order(root)` and `backward(root)`: the chain rule over the
#   graph, accumulating into `.grad` (A3). `zero_grad(nodes)` resets `.grad`.
# - `adam_step(params, m, v, step, lr)` and `linear_decay(lr, step,
#   num_steps)`: the optimiser of A4.

# %%
import json
import math
import os
import random

from provided.backprop import backward, zero_grad
from provided.learning import adam_step, linear_decay
from provided.values import Value

# %% [markdown]
# ## 2. Text becomes integers
#
# A neural network computes with numbers, so the first step of every
# language model is to turn text into a sequence of integers, **token
# ids**. Big models use tokens that are pieces of words; we use the
# simplest possible choice, one token per **character**. Our data set is a
# list of 30,013 first names:

# %%
with open("names.txt") as f:
    docs = [line.strip() for line in f if line.strip()]
print(len(docs), "names, for example:", docs[:8])
print("the longest:", max(docs, key=len))

# %% [markdown]
# The **vocabulary** is the list of distinct characters, sorted, so that
# everybody who builds it from the same data gets the same list. A
# character's token id is its position in that list.
#
# A language model predicts the **next** token from the ones before it. But
# what comes before the first letter of a name, and how does the model say
# that a name is finished? We add one special token, **BOS** ("beginning of
# sequence"), that never appears in the text. It gets the id right after the
# last character, `bos = len(chars)`, so the vocabulary has `len(chars) + 1`
# tokens in all. Every name is **wrapped** in BOS on both sides:
#
# ```
#  text:        e    m    m    a
#  ids:    26   4   12   12    0   26      (bos = 26)
#          BOS                     BOS
# ```
#
# Reading the wrapped ids left to right gives the training examples of a
# next-token model: *after BOS comes `e`* (how names start), *after `e`
# comes `m`*, ..., and *after `a` comes BOS* (where names end). Without
# the first BOS the model could never learn how names begin; without the
# last one it could never learn to stop.
#
# ### Task A (10 points): the vocabulary
#
# - `build_vocab(docs)` returns `(chars, bos)`: `chars` is the **sorted
#   list** of the distinct characters in all the documents, and
#   `bos = len(chars)`.
# - `encode(text, chars)` returns the list of token ids of the characters of
#   `text` (each character's index in `chars`).
# - `decode(ids, chars)` is the inverse: a list of ids back to a string.
# - `wrap(ids, bos)` returns a **new** list `[bos] + ids + [bos]` and leaves
#   `ids` unchanged.
#
# Hint: `sorted(set(...))`, `list.index`, `"".join(...)`. Each is one or two
# lines.

# %% tags=["solution"]
def build_vocab(docs):
    """The sorted list of distinct characters in docs, and the id of the BOS token (len(chars))."""
    ### BEGIN SOLUTION
    chars = sorted(set("".join(docs)))
    return chars, len(chars)
    ### END SOLUTION


def encode(text, chars):
    """The token ids of the characters of text."""
    ### BEGIN SOLUTION
    return [chars.index(ch) for ch in text]
    ### END SOLUTION


def decode(ids, chars):
    """The string whose token ids are ids."""
    ### BEGIN SOLUTION
    return "".join(chars[i] for i in ids)
    ### END SOLUTION


def wrap(ids, bos):
    """A new list: BOS, then ids, then BOS again."""
    ### BEGIN SOLUTION
    return [bos] + list(ids) + [bos]
    ### END SOLUTION

# %% [markdown]
# With your functions, the course's vocabulary:

# %%
chars, bos = build_vocab(docs)
vocab_size = len(chars) + 1
print("chars:", "".join(chars), "  bos:", bos, "  vocab_size:", vocab_size)
print("emma ->", wrap(encode("emma", chars), bos))

# %% tags=["checks:vocab"]
v_chars, v_bos = build_vocab(["cab", "bad", "a"])
assert v_chars == ["a", "b", "c", "d"], "build_vocab should return the sorted list of distinct characters"
assert v_bos == 4, "bos should be len(chars): the id right after the last character"
assert build_vocab(["zz", "yx"]) == (["x", "y", "z"], 3), "build_vocab should sort the characters"
assert encode("dab", v_chars) == [3, 0, 1], "encode should give each character's index in chars"
assert encode("", v_chars) == [], "the empty text has no tokens"
assert decode([3, 0, 1], v_chars) == "dab", "decode should turn ids back into the string"
assert isinstance(decode([2], v_chars), str), "decode should return a str"
ids = [2, 0]
assert wrap(ids, v_bos) == [4, 2, 0, 4], "wrap should put BOS at the start AND at the end"
assert ids == [2, 0], "wrap should return a new list and leave ids unchanged"
assert wrap([], v_bos) == [4, 4], "an empty name is still wrapped: BOS, then BOS again"
for name in ["emma", "zoe", "xavier"]:
    assert decode(encode(name, chars), chars) == name, "decode(encode(name)) should give the name back"
print("vocab checks passed")

# %% [markdown]
# **Q1 (auto-graded, 5 points).** A bigram model learns from every pair
# (token, next token) inside a wrapped name. How many such pairs, that is
# how many next-token predictions, does the single name `"isabella"` give?
# Set `ANSWER_Q1` to an int.

# %% tags=["solution"]
# ANSWER_Q1 = an int
### BEGIN SOLUTION
ANSWER_Q1 = 9
### END SOLUTION

# %% tags=["checks:q1"]
assert "ANSWER_Q1" in globals(), "set ANSWER_Q1 in the cell above (replace the raise line) and run it"
assert isinstance(ANSWER_Q1, int) and not isinstance(ANSWER_Q1, bool), "ANSWER_Q1 should be an int"
assert ANSWER_Q1 > 0, "a name gives at least one prediction"
print("q1 format checks passed")

# %% [markdown]
# **SA1 (short answer, 3 points).** Why do we put the BOS token on **both**
# sides of every name? Say what the model can learn from the BOS at the
# start, what it can learn from the BOS at the end, and what would go wrong
# when we later *generate* names if either one were missing.

# %% [markdown] tags=["manual:sa1"]
# ### BEGIN SOLUTION
# The pair (BOS, first letter) teaches the model how names begin: after
# BOS it learns the distribution of first letters, and generation starts by
# feeding BOS and sampling from exactly that distribution. The pair (last
# letter, BOS) teaches it how names end: after each letter it learns how
# likely the name is to stop there. When generating, we stop as soon as the
# model samples BOS. Without the leading BOS there is no context for the
# first letter, so the model never learns first letters (and there is no
# natural way to start sampling). Without the trailing BOS the model never
# sees a name end, gives BOS probability about zero, and generation would
# never stop (or only at an arbitrary length cut-off). One shared token for
# both jobs keeps the vocabulary small: "end of one name" and "start of the
# next" are the same boundary.
# ### END SOLUTION

# %% [markdown]
# ## 3. Vectors and matrices of Values
#
# From here on, a **vector** is a Python list of `Value`s and a **matrix**
# is a list of rows, each row a list of `Value`s. A matrix `W` has the
# shape **(n_out, n_in)**: `len(W) == n_out` rows, each of length `n_in`.
# Every entry is a separate leaf `Value`, a parameter that training will
# adjust.
#
# **Initialisation.** Parameters start as small random numbers drawn from a
# Gaussian (normal) distribution with mean 0 and a chosen standard
# deviation `std`. Random, because if all entries started equal, all rows
# would receive identical gradients and stay identical forever; small,
# because large weights make the first outputs huge and the first gradients
# wild. We pass the random-number generator `rng` (a `random.Random`) in
# explicitly, so that a fixed seed reproduces the same parameters.
#
# **Projection.** The workhorse of every layer is the matrix-vector product
# `linear(x, W)`: output `i` is the weighted sum of the inputs with the
# weights of row `i`,
#
# $$\text{linear}(x, W)_i = \sum_j W_{ij}\, x_j, \qquad i = 0, \dots, n_\text{out}-1.$$
#
# So `W` of shape (n_out, n_in) maps a vector of length n_in to one of
# length n_out: one output per row. (There is no bias term: the GPT of A7
# does without.)
#
# **Embedding.** A token id is just a label: the number 12 (`m`) is not
# "bigger" than 4 (`e`) in any useful sense. So a model never computes with
# ids directly. Instead it keeps a **table** with one learned row per token
# and looks up the row of the token: `embed(table, idx)` is simply
# `table[idx]`, the very `Value`s of that row (not copies), so that
# gradients flow back into the table.
#
# ### Task B (12 points): `matrix`, `linear`, `embed`
#
# - `matrix(n_out, n_in, std, rng)`: a new list of `n_out` rows, each a list
#   of `n_in` **distinct** leaf `Value`s, each drawn with
#   `rng.gauss(0, std)` (use the `rng` you are given, not the `random`
#   module).
# - `linear(x, W)`: the list of `n_out` Values above, built with `Value`
#   operations (so that it stays in the graph).
# - `embed(table, idx)`: the row `idx` of `table`.

# %% tags=["solution"]
def matrix(n_out, n_in, std, rng):
    """An (n_out, n_in) matrix of new leaf Values drawn from a Gaussian with mean 0 and the given std."""
    ### BEGIN SOLUTION
    return [[Value(rng.gauss(0, std)) for _ in range(n_in)] for _ in range(n_out)]
    ### END SOLUTION


def linear(x, W):
    """W @ x: output i is the sum over j of W[i][j] * x[j]."""
    ### BEGIN SOLUTION
    return [sum(w_ij * x_j for w_ij, x_j in zip(row, x, strict=True)) for row in W]
    ### END SOLUTION


def embed(table, idx):
    """The row idx of table: the very Values, so gradients reach the table."""
    ### BEGIN SOLUTION
    return table[idx]
    ### END SOLUTION

# %% tags=["checks:matrices"]
W = matrix(3, 4, 0.5, random.Random(1))
assert isinstance(W, list) and len(W) == 3, "matrix(3, 4, ...) should have 3 rows"
assert all(isinstance(row, list) and len(row) == 4 for row in W), "each row of matrix(3, 4, ...) should hold 4 Values"
assert all(isinstance(w, Value) and w._children == () for row in W for w in row), "each entry should be a leaf Value"
assert len({id(w) for row in W for w in row}) == 12, "every entry should be its own Value: do not repeat rows"
assert [w.data for w in W[0]] == [w.data for w in matrix(3, 4, 0.5, random.Random(1))[0]], \
    "the same seed should give the same matrix: draw from the rng you are given"
assert all(w.data == 0.0 for row in matrix(2, 2, 0.0, random.Random(1)) for w in row), "std 0 gives all zeros"

W = [[Value(1.0), Value(2.0), Value(3.0)], [Value(-1.0), Value(0.0), Value(0.5)]]
x = [Value(2.0), Value(-1.0), Value(4.0)]
y = linear(x, W)
assert isinstance(y, list) and len(y) == 2, "linear(x, W) with W of shape (2, 3) should return 2 Values"
assert all(isinstance(v, Value) for v in y), "linear should return Values (build it with Value operations)"
assert [v.data for v in y] == [12.0, 0.0], \
    "output i of linear(x, W) should be the sum over j of W(i, j) * x(j): one output per row of W"
backward(y[0])
assert [xj.grad for xj in x] == [1.0, 2.0, 3.0], "the gradient of linear(x, W)[0] with respect to x is row 0 of W"

table = [[Value(0.1), Value(0.2)], [Value(0.3), Value(0.4)], [Value(0.5), Value(0.6)]]
row = embed(table, 2)
assert [v.data for v in row] == [0.5, 0.6], "embed(table, idx) should be the row idx"
assert all(a is b for a, b in zip(row, table[2], strict=True)), "embed should return the table's own Values, not copies"
print("matrices checks passed")

# %% [markdown]
# ### An embedding is a projection of a one-hot vector
#
# The **one-hot** vector of token `idx` is all zeros except a 1 at
# position `idx`. Feed it to `linear` and every weighted sum picks out
# exactly one weight. The next cell shows that looking up a row gives the
# same numbers as a projection of a one-hot vector, with a cleverly chosen
# matrix. Which one? That is Q3 below. (Run it after Task B.)

# %%
def one_hot(idx, n):
    """A list of n Values: 1.0 at position idx, 0.0 elsewhere."""
    return [Value(1.0 if j == idx else 0.0) for j in range(n)]


demo_table = matrix(5, 3, 1.0, random.Random(0))               # 5 tokens, 3 numbers each
demo_T = [list(column) for column in zip(*demo_table, strict=True)]  # its transpose: shape (3, 5)
print("embed(table, 2):          ", [round(v.data, 4) for v in embed(demo_table, 2)])
print("linear(one_hot(2, 5), T): ", [round(v.data, 4) for v in linear(one_hot(2, 5), demo_T)])

# %% [markdown]
# **Q3 (auto-graded, 5 points).** `table` has shape (vocab_size, n_embd):
# one row of `n_embd` numbers per token. Which expression gives the same
# numbers as `embed(table, idx)`?
#
# - **a.** `linear(one_hot(idx, vocab_size), table)`
# - **b.** `linear(one_hot(idx, vocab_size), T)` where `T` is the transpose
#   of `table`, of shape (n_embd, vocab_size)
# - **c.** `softmax(table[idx])`
# - **d.** `[row[idx] for row in table]`
#
# Set `ANSWER_Q3` to one letter. (Real models never build the one-hot
# vector: the lookup gives the same result without the multiply-adds by
# zero.)

# %% tags=["solution"]
# ANSWER_Q3 = one letter: "a", "b", "c" or "d"
### BEGIN SOLUTION
ANSWER_Q3 = "b"
### END SOLUTION

# %% tags=["checks:q3"]
assert "ANSWER_Q3" in globals(), "set ANSWER_Q3 in the cell above (replace the raise line) and run it"
assert ANSWER_Q3 in ("a", "b", "c", "d"), 'ANSWER_Q3 should be one lower-case letter: "a", "b", "c" or "d"'
print("q3 format checks passed")

# %% [markdown]
# ## 4. From scores to probabilities: softmax
#
# The last layer of a language model produces one real number per token of
# the vocabulary, a **logit**: a score, any real number, larger meaning
# "more likely next". **Softmax** turns the logits into a probability
# distribution: positive numbers that add up to 1,
#
# $$\text{softmax}(z)_i = \frac{e^{z_i}}{\sum_j e^{z_j}}.$$
#
# Written exactly like that it breaks. `math.exp` overflows a little above
# 709, and logits can get large; below about -745, every `exp` underflows to
# 0 and the sum is 0:

# %%
def naive_softmax(z):
    exps = [math.exp(zi) for zi in z]
    total = sum(exps)
    return [e / total for e in exps]


print(naive_softmax([1.0, 2.0, 3.0]))
for z in ([1000.0, 1001.0, 1002.0], [-1000.0, -999.0, -998.0]):
    try:
        print(naive_softmax(z))
    except (OverflowError, ZeroDivisionError) as error:
        print(f"naive_softmax({z}) fails: {type(error).__name__}: {error}")

# %% [markdown]
# The fix is one line of algebra. For any constant $c$,
#
# $$\frac{e^{z_i - c}}{\sum_j e^{z_j - c}} = \frac{e^{-c}\, e^{z_i}}{e^{-c} \sum_j e^{z_j}} = \text{softmax}(z)_i ,$$
#
# so we may subtract whatever we like. Subtract the **largest** logit: the
# largest exponent becomes $e^0 = 1$ (no overflow) and the sum is at least 1
# (no division by zero). The three lists above all have the same softmax.
#
# The shift is a plain number: subtract `max(v.data for v in logits)`, a
# float. It is a constant in the graph, and since softmax does not change
# when a constant is subtracted, the gradients with respect to the logits
# are exactly those of the unshifted formula.
#
# ### Task C (12 points): `softmax(logits)`
#
# Return a list of Values, one probability per logit, built from `Value`
# operations (`-`, `.exp()`, `+` or `sum`, `/` or `** -1`), **stable**: shift
# by the largest `.data` first. Do not change the logits themselves.

# %% tags=["solution"]
def softmax(logits):
    """Probabilities e^(z_i - max) / sum_j e^(z_j - max), as a list of Values."""
    ### BEGIN SOLUTION
    top = max(v.data for v in logits)
    exps = [(v - top).exp() for v in logits]
    inv_total = sum(exps) ** -1
    return [e * inv_total for e in exps]
    ### END SOLUTION

# %% tags=["checks:softmax"]
z = [Value(1.0), Value(2.0), Value(3.0)]
p = softmax(z)
assert isinstance(p, list) and len(p) == 3, "softmax should return one Value per logit"
assert all(isinstance(pi, Value) for pi in p), "softmax should return Values, built with Value operations"
want = [math.exp(k) / (math.exp(1) + math.exp(2) + math.exp(3)) for k in (1, 2, 3)]
assert all(math.isclose(pi.data, w) for pi, w in zip(p, want, strict=True)), \
    "softmax(z)_i should be e^z_i / sum_j e^z_j"
assert math.isclose(sum(pi.data for pi in p), 1.0), "the probabilities should add up to 1"
assert [v.data for v in z] == [1.0, 2.0, 3.0], "softmax should not change the logits"
try:
    big = softmax([Value(1000.0), Value(1001.0), Value(1002.0)])
except OverflowError:
    raise AssertionError("softmax overflowed on large logits: subtract the largest logit's .data before exp") from None
assert len(big) == 3 and all(math.isclose(a.data, w) for a, w in zip(big, want, strict=True)), \
    "shifting every logit by 1000 should not change softmax"
try:
    small = softmax([Value(-1000.0), Value(-999.0), Value(-998.0)])
except ZeroDivisionError:
    raise AssertionError("every exp underflowed to 0 on very negative logits: subtract the largest logit first") \
        from None
assert len(small) == 3 and all(math.isclose(a.data, w) for a, w in zip(small, want, strict=True)), \
    "shifting every logit by -1000 should not change softmax"
backward(p[2])
assert abs(z[2].grad - want[2] * (1 - want[2])) < 1e-9, \
    "softmax should stay in the graph: its gradient reaches the logits"
print("softmax checks passed")

# %% [markdown]
# **Q2 (auto-graded, 5 points).** Why does a stable softmax subtract the
# largest logit before calling `exp`?
#
# - **a.** It makes the distribution sharper, so the model is more
#   confident.
# - **b.** Softmax is unchanged when the same constant is subtracted from
#   every logit, and after this shift the largest exponent is $e^0 = 1$, so
#   `exp` cannot overflow and the sum cannot underflow to 0.
# - **c.** It sets the gradient of the largest logit to zero, which keeps
#   training stable.
# - **d.** Without it, softmax could return negative probabilities.
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
# ## 5. How wrong was the prediction? Cross-entropy
#
# Training needs one number that says how good a prediction was. The model
# gave the token that really came next, `target`, the probability
# $p = \text{softmax}(z)_\text{target}$. The **cross-entropy** loss (also
# called the negative log-likelihood, NLL) is
#
# $$\text{loss} = -\log p = -\log \text{softmax}(z)_\text{target}.$$
#
# - $p = 1$ (certain and right) gives loss 0; $p \to 0$ (certain and wrong)
#   gives a loss that grows without bound. The loss punishes confident
#   mistakes hard.
# - A model that knows nothing gives every one of $V$ tokens $p = 1/V$,
#   so its loss is $\ln V$: for our 27 tokens, $\ln 27 \approx 3.2958$. That
#   is the number every untrained model starts from.
# - Averaged over many predictions, $e^{\text{loss}}$ is the **perplexity**:
#   the model is as unsure as if it chose uniformly among that many tokens.
# - The gradient is beautifully simple: $\partial\,\text{loss}/\partial z_i =
#   \text{softmax}(z)_i - [i = \text{target}]$. Every logit is pushed down
#   by its probability, and the target's logit is pulled up by 1.
#
# Note what `cross_entropy` receives: the **logits**, raw scores, not
# probabilities. It applies softmax itself, exactly once.
#
# ### Task D (10 points): `cross_entropy(logits, target)`
#
# Return a single `Value`: `-log softmax(logits)[target]`, built from your
# `softmax` and Value operations.

# %% tags=["solution"]
def cross_entropy(logits, target):
    """-log softmax(logits)[target], a Value."""
    ### BEGIN SOLUTION
    return -softmax(logits)[target].log()
    ### END SOLUTION

# %% tags=["checks:cross_entropy"]
try:  # cross_entropy builds on your softmax, so softmax must pass its own check first
    probe = [Value(1000.0), Value(997.0)]
    first = softmax(probe)[0]
    backward(first)
    softmax_ok = math.isclose(first.data, 1 / (1 + math.exp(-3.0))) and probe[0].grad > 0 and probe[0].data == 1000.0
except Exception:
    softmax_ok = False
assert softmax_ok, "softmax does not pass its check yet: fix the softmax check first (cross_entropy builds on it)"
for n in (2, 5, 27):
    uniform = cross_entropy([Value(0.3) for _ in range(n)], 1)
    assert isinstance(uniform, Value), "cross_entropy should return a single Value"
    assert math.isclose(uniform.data, math.log(n)), "equal logits for n tokens should give loss ln(n)"
z = [Value(2.0), Value(-1.0), Value(0.5)]
loss = cross_entropy(z, 0)
want = -(2.0 - math.log(math.exp(2.0) + math.exp(-1.0) + math.exp(0.5)))
assert math.isclose(loss.data, want), "cross_entropy should be minus the log of the softmax probability of the target"
assert loss.data > 0, "the loss is -log of a probability: never negative"
backward(loss)
probs = [math.exp(k) / (math.exp(2.0) + math.exp(-1.0) + math.exp(0.5)) for k in (2.0, -1.0, 0.5)]
assert all(abs(zi.grad - (pi - (i == 0))) < 1e-9 for i, (zi, pi) in enumerate(zip(z, probs, strict=True))), \
    "the gradient of cross_entropy should be softmax(logits) minus 1 at the target"
assert math.isclose(cross_entropy([Value(1000.0), Value(997.0)], 0).data, math.log(1 + math.exp(-3.0))), \
    "cross_entropy should work for large logits too"
print("cross_entropy checks passed")

# %% [markdown]
# **SA2 (short answer, 3 points).** A model gives the correct next token
# probability 0.5 at one position and 0.01 at another. Compute the
# cross-entropy at both positions. Then explain why we train on $-\log p$
# rather than, say, $1 - p$, and what a loss of $\ln 27 \approx 3.30$ means
# for our 27-token vocabulary.

# %% [markdown] tags=["manual:sa2"]
# ### BEGIN SOLUTION
# -ln 0.5 = 0.693 and -ln 0.01 = 4.605. With 1 - p the two mistakes would
# cost 0.5 and 0.99, barely different; -log p punishes the confident mistake
# about seven times harder and without bound as p -> 0, so the model is
# pushed strongly to never give the true token a tiny probability. Also,
# -log of a product of probabilities is the sum of the -logs, so the mean
# loss over a text is (minus) the log-likelihood of the whole text per
# token: minimising it is maximum likelihood. Its gradient with respect to
# the logits is simply softmax - one_hot, which does not vanish when the
# model is confidently wrong (with 1 - p through a softmax it would).
# A loss of ln 27 is what a model gets that gives every token probability
# 1/27: it has learned nothing, as unsure as a uniform guess among all 27
# tokens (perplexity 27). It is the starting point of every untrained model.
# ### END SOLUTION

# %% [markdown]
# ## 6. Keeping vectors at a steady scale: RMSNorm
#
# Inside a deep network a vector passes through layer after layer. If each
# layer made it a bit larger (or smaller), after many layers the numbers
# would explode (or vanish), and so would the gradients. **RMSNorm**
# rescales a vector so that its root mean square is 1:
#
# $$\text{ms} = \frac{1}{n}\sum_i x_i^2, \qquad \text{rmsnorm}(x)_i = \frac{x_i}{\sqrt{\text{ms} + \varepsilon}}.$$
#
# The direction of the vector is kept; only its length changes. The small
# $\varepsilon$ (default `1e-5`) keeps the division safe when $x$ is all
# zeros (or nearly). It belongs **inside** the square root. The GPT of A7
# normalises with RMSNorm before every attention and MLP block.

# %% [markdown]
# ### Task E (8 points): `rmsnorm(x, eps=1e-5)`
#
# Return the list of Values above, built with Value operations (`**` takes
# care of the square root: $1/\sqrt{a} = a^{-0.5}$). Use the `eps` you are
# given.

# %% tags=["solution"]
def rmsnorm(x, eps=1e-5):
    """x_i / sqrt(mean of the squares of x + eps), as a list of Values."""
    ### BEGIN SOLUTION
    mean_square = sum(xi * xi for xi in x) / len(x)
    scale = (mean_square + eps) ** -0.5
    return [xi * scale for xi in x]
    ### END SOLUTION

# %% tags=["checks:rmsnorm"]
x = [Value(3.0), Value(-4.0), Value(0.0), Value(1.0)]
y = rmsnorm(x)
assert isinstance(y, list) and len(y) == 4, "rmsnorm should return one Value per input"
assert all(isinstance(v, Value) for v in y), "rmsnorm should return Values, built with Value operations"
ms = (9 + 16 + 0 + 1) / 4
assert all(math.isclose(v.data, xi / math.sqrt(ms + 1e-5)) for v, xi in zip(y, (3.0, -4.0, 0.0, 1.0), strict=True)), \
    "rmsnorm(x)_i should be x_i / sqrt(mean(x^2) + eps)"
assert math.isclose(sum(v.data ** 2 for v in y) / 4, 1.0, rel_tol=1e-5), "the output should have mean square 1"
assert math.isclose(rmsnorm([Value(2.0)], eps=5.0)[0].data, 2.0 / 3.0), "rmsnorm should use the eps it is given"
try:
    zeros = rmsnorm([Value(0.0), Value(0.0)])
except ZeroDivisionError:
    raise AssertionError("rmsnorm of an all-zero vector divided by zero: add eps inside the square root") from None
assert [v.data for v in zeros] == [0.0, 0.0], "rmsnorm of zeros is zeros"
backward(y[0])
assert x[0].grad != 0.0 and x[1].grad != 0.0, "rmsnorm should stay in the graph: every input affects every output"
print("rmsnorm checks passed")

# %% [markdown]
# **SA3 (short answer, 3 points).** What does RMSNorm do to a vector's
# length and to its direction? What would go wrong without the `eps`, and
# why does a deep network (such as the GPT of A7) normalise the vector
# before every block?

# %% [markdown] tags=["manual:sa3"]
# ### BEGIN SOLUTION
# RMSNorm divides every component by the same positive number, the root
# mean square of the vector, so the direction is unchanged and the length
# becomes sqrt(n) (mean square 1), whatever it was before: rmsnorm(c x) =
# rmsnorm(x) for any c > 0. Without eps, an all-zero vector gives 0 / 0
# (a division by zero) and a nearly-zero vector is blown up to full size,
# amplifying noise, with huge gradients (the derivative of 1/sqrt(ms) grows
# without bound as ms -> 0). In a deep network each block adds to the
# vector, so its scale can drift from layer to layer; normalising the input
# of every block keeps the numbers each block sees in a fixed range, so
# activations and gradients neither explode nor vanish, the same learning
# rate suits every layer, and training is much more stable.
# ### END SOLUTION

# %% [markdown]
# ## 7. A bigram language model
#
# Now the pieces come together. The simplest language model that learns
# anything predicts the next token from the **current token only**. It
# needs one row of `vocab_size` logits per token: a `vocab_size` ×
# `vocab_size` table of parameters (729 of them). To predict what follows
# token `a`, look up its row and use it as the logits:
#
# ```python
# logits = embed(table, a)        # vocab_size scores for the next token
# loss = cross_entropy(logits, b) # b is the token that really came next
# ```
#
# That is the whole model: an embedding whose row *is* the output. (A GPT
# embeds the token into a short vector, transforms it with attention and
# MLP blocks, and projects back to `vocab_size` logits with `linear`. The
# bigram model is that with all the middle taken out.)
#
# ### Task F (8 points): `bigram_loss(table, tokens)`
#
# `tokens` is a wrapped name (a list of ids, BOS at both ends). Return the
# **mean** cross-entropy of the bigram model over all positions: for each
# `i` from 0 to `len(tokens) - 2`, the loss of predicting `tokens[i + 1]`
# from the row of `tokens[i]`. The mean (not the sum) keeps the loss of
# long and short names on the same scale. Use `embed` and `cross_entropy`.

# %% tags=["solution"]
def bigram_loss(table, tokens):
    """Mean cross-entropy of predicting tokens[i + 1] from the row of tokens[i] of table."""
    ### BEGIN SOLUTION
    losses = [cross_entropy(embed(table, tokens[i]), tokens[i + 1]) for i in range(len(tokens) - 1)]
    return sum(losses) * (1.0 / len(losses))
    ### END SOLUTION

# %% tags=["checks:bigram_loss"]
try:  # bigram_loss builds on embed and cross_entropy, so they must pass their own checks first
    probe = [[Value(0.0), Value(0.0)], [Value(1.0), Value(-1.0)]]
    row = embed(probe, 1)
    step = cross_entropy(row, 0)
    backward(step)
    parts_ok = (all(a is b for a, b in zip(row, probe[1], strict=True))
                and math.isclose(step.data, math.log(1 + math.exp(-2.0)))
                and math.isclose(probe[1][0].grad, -1 / (1 + math.exp(2.0))))
except Exception:
    parts_ok = False
assert parts_ok, \
    "embed or cross_entropy does not pass its check yet: fix the matrices and cross_entropy checks first"
t = [[Value(0.0), Value(1.0), Value(2.0)], [Value(1.0), Value(1.0), Value(-1.0)], [Value(0.5), Value(0.0), Value(0.0)]]
loss = bigram_loss(t, [2, 0, 1, 2])
assert isinstance(loss, Value), "bigram_loss should return a single Value"
rows = [[0.0, 1.0, 2.0], [1.0, 1.0, -1.0], [0.5, 0.0, 0.0]]
pairs = [(2, 0), (0, 1), (1, 2)]
want = sum(math.log(sum(math.exp(r) for r in rows[a])) - rows[a][b] for a, b in pairs) / 3
assert math.isclose(loss.data, want), \
    "bigram_loss should be the MEAN of the cross-entropies of the neighbouring pairs of tokens"
zero = [[Value(0.0) for _ in range(27)] for _ in range(27)]  # 27 tokens; below, "emma" wrapped in BOS (26)
assert math.isclose(bigram_loss(zero, [26, 4, 12, 12, 0, 26]).data, math.log(27)), \
    "an all-zero table gives every token the same probability: loss ln(vocab_size)"
backward(loss)
assert t[0][1].grad != 0.0 and t[2][0].grad != 0.0, \
    "bigram_loss should stay in the graph: its gradient reaches the table"
print("bigram_loss checks passed")

# %% [markdown]
# ### A validation split
#
# A language model is meant for names it has not seen. So before counting
# or training anything, set 1,000 names aside, drawn at random with a fixed
# seed so that everyone gets the same split: the **validation split**.
# Counting and training use only the other 29,013 names, the **training
# split**; the loss on the validation names then shows how a model does on
# names it never learned from.

# %%
shuffled = docs[:]
random.Random(0).shuffle(shuffled)
val_docs, train_docs = shuffled[:1000], shuffled[1000:]
print(len(train_docs), "training names,", len(val_docs), "validation names, for example:", val_docs[:5])

# %% [markdown]
# ### The floor: counting
#
# For the bigram model, the best table can be written down without any
# training. Count, in the training names, how often each token `b` follows
# each token `a`; the probability of `b` after `a` is its share of row `a`.
# The logarithms of these probabilities are a perfectly good table of
# logits (softmax of log-probabilities gives the probabilities back). We add
# 1 to every count ("add-one smoothing") so that a pair never seen in
# training gets a small probability instead of 0, which would give an
# infinite loss on a new name containing it.
#
# `table_nll` measures any table of plain floats: the mean per-token
# cross-entropy over a list of names, BOS on both sides.

# %%
def table_nll(logits, names, chars, bos):
    """Mean per-token cross-entropy of a bigram table of plain floats over names (BOS on both sides)."""
    log_probs = []
    for row in logits:
        top = max(row)
        log_total = top + math.log(sum(math.exp(r - top) for r in row))
        log_probs.append([r - log_total for r in row])
    index = {ch: i for i, ch in enumerate(chars)}
    total, count = 0.0, 0
    for name in names:
        ids = [bos] + [index[ch] for ch in name] + [bos]
        for a, b in zip(ids[:-1], ids[1:], strict=True):
            total -= log_probs[a][b]
            count += 1
    return total / count


def count_table(names, chars, bos, smoothing=1.0):
    """Log-probabilities of the next token from counts (plus smoothing): the count model."""
    size = len(chars) + 1
    counts = [[smoothing] * size for _ in range(size)]
    for name in names:
        ids = wrap(encode(name, chars), bos)
        for a, b in zip(ids[:-1], ids[1:], strict=True):
            counts[a][b] += 1
    return [[math.log(c / sum(row)) for c in row] for row in counts]


count_logits = count_table(train_docs, chars, bos)
count_nll = table_nll(count_logits, train_docs, chars, bos)
print(f"uniform model:  {math.log(vocab_size):.4f}")
print(f"count model:    {count_nll:.4f} on the training split, "
      f"{table_nll(count_logits, val_docs, chars, bos):.4f} on the validation split")

# %% [markdown]
# On the 1,843 **held-out** names the grader keeps (names that are not in
# `names.txt`), the count model of all 30,013 names scores **2.4597**, about
# 2.46 (counted on the training split only: 2.4599). That is the floor for
# any bigram model: no table of 729 numbers does meaningfully better on new
# names.
#
# ## 8. Milestone: train the bigram model (10 points)
#
# The cell below trains the table with your pieces and the course's
# machinery: start from a small random `matrix`, and at every step take a
# batch of 32 names, compute the mean of their `bigram_loss`, backpropagate,
# and let Adam update all 729 parameters. 250 steps see 8,000 names,
# about a quarter of the data. It is a **heavy** cell (about half a minute; the
# grader never runs it). At the end it writes the trained table to
# `bigram.json`:
#
# ```
# {"chars": [...your chars...], "bos": 26, "logits": [[27 floats], ... 27 rows]}
# ```
#
# **Hand in `bigram.json` with your notebook.** The grader scores it on the
# held-out names; you earn the milestone with a held-out NLL of **2.50 or
# less** (the count model's 2.4597 plus 0.04).

# %% tags=["heavy"]
rng = random.Random(42)
table = matrix(vocab_size, vocab_size, 0.01, rng)
params = [p for row in table for p in row]
m, v = [0.0] * len(params), [0.0] * len(params)
order = train_docs[:]
rng.shuffle(order)

num_steps, batch_size, lr = 250, 32, 0.1
for step in range(num_steps):
    batch = [order[(step * batch_size + i) % len(order)] for i in range(batch_size)]
    loss = sum(bigram_loss(table, wrap(encode(name, chars), bos)) for name in batch) * (1.0 / batch_size)
    zero_grad(params)
    backward(loss)
    adam_step(params, m, v, step, linear_decay(lr, step, num_steps))
    if step % 50 == 0 or step == num_steps - 1:
        print(f"step {step:3d}  loss {loss.data:.4f}")

trained_logits = [[p.data for p in row] for row in table]
print(f"trained model:  {table_nll(trained_logits, train_docs, chars, bos):.4f} on the training split, "
      f"{table_nll(trained_logits, val_docs, chars, bos):.4f} on the validation split")
with open("bigram.json", "w") as f:
    json.dump({"chars": chars, "bos": bos, "logits": trained_logits}, f)

# %% [markdown]
# The model can now **generate**. Start from BOS, sample the next token
# from the softmax of the current row, feed it back, and stop when BOS
# comes out again. The names are plausible letter by letter, but the model
# remembers only one letter, so they rarely look like real names.

# %% tags=["heavy"]
sample_rng = random.Random(7)


def sample_name(logits, rng, max_len=20):
    """A name drawn from a bigram table of plain floats."""
    token, out = bos, []
    for _ in range(max_len):
        row = logits[token]
        top = max(row)
        weights = [math.exp(r - top) for r in row]
        token = rng.choices(range(len(row)), weights=weights)[0]
        if token == bos:
            break
        out.append(token)
    return decode(out, chars)


print([sample_name(trained_logits, sample_rng) for _ in range(12)])

# %% [markdown]
# Compare the two numbers the training cell printed last: the trained
# table's loss on the training split and on the validation split. A model
# that had memorised its training names would do clearly better on them than
# on the validation names; a table of 729 numbers learned from 29,013 names
# cannot memorise them, so the two stay close.
#
# The checks below test your loss on an untrained table and then score
# `bigram.json`, the file the training cell wrote, on your validation names.
# Their bar, 2.48, is a little stricter than the grader's 2.50 on its own
# held-out names, so that passing it means you are on track for the
# grader's bar.

# %% tags=["checks:milestone"]
try:  # the milestone puts your parts together: their checks must pass first
    untrained = matrix(vocab_size, vocab_size, 0.0, random.Random(0))
    start = bigram_loss(untrained, wrap(encode("olivia", chars), bos)).data
except Exception:
    start = None
assert start is not None and math.isclose(start, math.log(vocab_size)), \
    "an untrained (all-zero) table should give loss ln(vocab_size): fix the checks of vocab and bigram_loss first"
assert os.path.exists("bigram.json"), \
    "bigram.json is not here yet (the grader gives the milestone 0 without it): run the training cell above, " \
    "which writes it next to this notebook, and hand it in with the notebook"
with open("bigram.json") as f:
    saved = json.load(f)
assert isinstance(saved, dict) and {"chars", "bos", "logits"} <= set(saved), \
    "bigram.json should hold chars, bos and logits: run the training cell again"
assert saved["chars"] == chars and saved["bos"] == bos, "bigram.json was written with another vocabulary"
logits = saved["logits"]
assert len(logits) == vocab_size and all(len(row) == vocab_size for row in logits), \
    "bigram.json should hold a vocab_size x vocab_size table of logits"
assert all(math.isfinite(x) for row in logits for x in row), "the logits in bigram.json should be finite numbers"
val_nll = table_nll(logits, val_docs, chars, bos)
print(f"bigram.json: NLL {val_nll:.4f} on the validation split (this check's bar: 2.48)")
assert val_nll < 2.48, \
    "the table in bigram.json is not trained enough yet: run the whole training cell (all its steps)"
print("milestone checks passed")

# %% [markdown]
# **SA4 (short answer, 3 points).** On the training split your trained
# table gets close to the count model but does not beat it, however long you
# train. Explain why the
# count model is the floor for a bigram model on the training names, and
# what a model must be able to do to get a lower loss.

# %% [markdown] tags=["manual:sa4"]
# ### BEGIN SOLUTION
# A bigram model's prediction depends only on the current token, so all it
# can do is choose, for each token a, one distribution over the next token.
# The loss on the training names is a sum over rows: for row a it is the
# cross-entropy between the observed next-token frequencies after a and the
# model's distribution, and that is minimised exactly when the model's
# distribution equals the observed frequencies, i.e. the counts divided by
# the row total. So the (unsmoothed) count model is the exact optimum; the
# trained table can only approach it (and Adam with few steps stops a bit
# short, which on new names can even help a little, like smoothing). To do
# better a model must use more context than one token: e.g. two or three
# previous letters (a trigram, with many more parameters), or, as in a GPT,
# attention over the whole prefix, combining information from earlier
# positions in learned vectors. That is A6 and A7.
# ### END SOLUTION

# %% [markdown]
# **SA5 (short answer, 3 points).** The grader measures your model on
# held-out names that you never saw, not on `names.txt`. Why? Use the
# count model *without* smoothing as an example of what could go wrong on
# new names, and say how the smoothing (or a trained table with finite
# logits) avoids it.

# %% [markdown] tags=["manual:sa5"]
# ### BEGIN SOLUTION
# The goal is a model of names in general, not of the 30,013 names it was
# trained on: the loss on the training names rewards memorising them, so it
# overestimates how good the model is (and a big enough model could drive it
# towards zero while getting worse on anything new). Held-out names measure
# generalisation honestly. The unsmoothed count model gives probability 0 to
# every pair that never occurred in training; a single held-out name
# containing such a pair (a rare letter combination) gets probability 0 and
# loss -log 0 = infinity, so the average over all held-out names is
# infinite, although the model is fine on the training names. Add-one
# smoothing gives every pair a small non-zero probability, and a trained
# table has finite logits, so softmax never outputs exactly 0: unseen pairs
# cost a large but finite loss, and the held-out NLL stays close to the
# training NLL.
# ### END SOLUTION

# %% [markdown]
# ## What's next
#
# The bigram model sees one token. In **A6** each position looks back at all
# the earlier ones: **attention** turns the vectors of earlier tokens into
# keys and values with `linear`, weighs them with your `softmax`, and mixes
# them into a new vector. In **A7** `embed`, `rmsnorm`, `linear`, attention
# and an MLP stack into a GPT, trained with `cross_entropy` exactly like the
# bigram model. Because it sees more than one letter, it can get below the
# bigram floor on held-out names, once it has trained on enough of them:
# A7 measures how long that takes.
