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
# # A7 · GPT: the whole model, its training and its behaviour
#
# This is the last of seven assignments. Everything is in place: `Value`
# records how each number was made (A1), knows its local derivatives (A2),
# backpropagation fills every `grad` (A3), Adam turns gradients into better
# parameters (A4), names become tokens, vectors and probabilities (A5), and
# attention lets a position look back at earlier positions (A6). Today you
# put these pieces together into a **GPT**, train it on 30,000 names, and
# look at what it learned.
#
# By the end of this notebook you will have
#
# - `init_params`: every learned table of the model, 4,192 numbers;
# - `mlp`: the per-position block that follows attention;
# - `gpt`: the full forward pass, from one token to 27 logits, with pre-norm
#   blocks and residual connections;
# - `sequence_loss`: how surprised the model is by a whole name;
# - `train`: Adam over the names, one name per step;
# - `sample`: new names, hotter or colder with a temperature;
# - `checkpoint.json`: your trained model, which the grader scores on 1,843
#   names it has never seen.
#
# ### How this notebook works
#
# - Cells that contain `# YOUR CODE HERE` are yours: replace the
#   `raise NotImplementedError()` line with your code. Leave every other cell
#   as it is.
# - After each task a **checks** cell runs a few visible checks. Passing them
#   means you are on the right track, not that you are done: the grader runs
#   hidden tests on inputs drawn fresh for every submission (other sizes,
#   other weights, two layers instead of one, ...).
# - The cells marked **(training cell)** train the model and write
#   `checkpoint.json` next to this notebook. They take a minute or two; the
#   grader never runs them. It tests your functions on tiny models, and it
#   scores the `checkpoint.json` you hand in. **Submit the notebook and
#   `checkpoint.json` together.**
# - Everything else runs in a few seconds. Run the notebook top to bottom
#   (*Kernel → Restart & Run All*) before you submit.
#
# | Part | Points |
# |---|---|
# | Task A: `init_params` | 6 |
# | Task B: `mlp` | 6 |
# | Task C: `gpt` | 16 |
# | Task D: `sequence_loss` | 10 |
# | Task E: `train` | 10 |
# | Task F: `sample` | 7 |
# | Capstone: your trained `checkpoint.json` | 10 |
# | Q1–Q4 (auto-graded) | 20 |
# | SA1–SA5 (short answers, graded by hand) | 15 |
# | **Total** | **100** |

# %% [markdown]
# ## 0. Your toolbox from A1–A6 (provided)
#
# The next four cells are the reference solutions of the earlier
# assignments, so that a slip there never costs you points here. Read them
# once: every line of the GPT you write today calls them.
#
# `Value` is A1's node, its operations recording A2's local derivatives
# (the six rules come with it), as in A3-A6. `backward` is A3's chain
# rule over a topological order; `zero_grad`, `adam_step` and `linear_decay`
# are A4's.

# %%
import json
import math
import os
import random

from provided.backprop import backward, zero_grad
from provided.learning import adam_step, linear_decay
from provided.values import Value

# %% [markdown]
# From A5: tokens, and the vector and matrix operations. A matrix is a list
# of rows, shape `(n_out, n_in)`, and `linear(x, W)[i]` is the weighted sum
# of `x` with row `i`.

# %%
# isort: split
from provided.representations import (  # noqa: F401 (provided for your use)
    build_vocab,
    cross_entropy,
    decode,
    embed,
    encode,
    linear,
    matrix,
    rmsnorm,
    softmax,
    wrap,
)

# %% [markdown]
# From A6: attention, one position at a time. `multi_head_attention` takes
# the vector `x` of the current position and a dictionary `layer` holding
# the four attention matrices under the names `'attn_wq'`, `'attn_wk'`,
# `'attn_wv'`, `'attn_wo'`. It appends this position's key and value to the
# caches `keys` and `values` (lists that grow by one vector per position),
# and then lets every head attend over everything in the caches: the current
# position and all earlier ones, never later ones.

# %%
# isort: split
from provided.attention import attention_head, attention_weights, multi_head_attention  # noqa: F401

# %% [markdown]
# ## 1. The data and the model's size
#
# `names.txt` (next to this notebook) holds 30,013 names, one per line. Their
# characters are the 26 lower-case letters, so with the BOS token the
# vocabulary has 27 tokens.
#
# Before any training, set some names aside: a **validation split** of 1,000
# names (drawn at random, with a fixed seed so that everyone gets the same
# split) that the model never trains on. After training, its loss on these
# names tells you how well it does on names it has not seen, which the loss
# on training names cannot tell you. (The grader keeps its own held-out
# names for the same reason; you never see those.)
#
# A **configuration** fixes the size of the model; the reference GPT of this
# course is small:

# %%
with open("names.txt") as f:
    docs = f.read().split()
chars, bos = build_vocab(docs)
shuffled = list(docs)
random.Random(0).shuffle(shuffled)
val_docs, train_docs = shuffled[:1000], shuffled[1000:]

CONFIG = dict(vocab_size=len(chars) + 1, n_layer=1, n_embd=16, n_head=4, block_size=16)
INIT_STD = 0.08        # the standard deviation of every initial parameter
LEARNING_RATE = 0.01   # Adam's learning rate at step 0; it decays linearly to 0

print(len(docs), "names, e.g.", docs[:5])
print(len(train_docs), "training names and", len(val_docs), "validation names, e.g.", val_docs[:5])
print("vocabulary:", ''.join(chars), "+ BOS =", CONFIG['vocab_size'], "tokens; BOS has id", bos)
print("CONFIG =", CONFIG)
print("'emma' as tokens:", wrap(encode("emma", chars), bos))

# %% [markdown]
# - `vocab_size` 27: the rows of the token table and the number of logits;
# - `n_layer` 1: how many blocks (attention + MLP) are stacked;
# - `n_embd` 16: the width of every vector that flows through the model;
# - `n_head` 4: attention heads per layer, each working on 16 / 4 = 4 numbers;
# - `block_size` 16: the most positions the model can see, so the rows of
#   the position table (the longest name, 15 letters, plus BOS fits).

# %% [markdown]
# ## 2. Task A: the parameters (6 points)
#
# The parameters are a dictionary of matrices (lists of rows of `Value`
# leaves). With `V = vocab_size`, `d = n_embd`, `B = block_size`:
#
# | name | shape | what it is | reference count |
# |---|---|---|---|
# | `wte` | V × d | token embedding: one row per token | 27 × 16 = 432 |
# | `wpe` | B × d | position embedding: one row per position | 16 × 16 = 256 |
# | `lm_head` | V × d | turns the final vector into one logit per token | 27 × 16 = 432 |
# | `layer{i}.attn_wq`, `_wk`, `_wv`, `_wo` | d × d each | attention: query, key, value, output | 4 × 256 = 1,024 |
# | `layer{i}.mlp_fc1` | 4d × d | the MLP widens each vector to 4d = 64 numbers ... | 64 × 16 = 1,024 |
# | `layer{i}.mlp_fc2` | d × 4d | ... and brings it back to d | 16 × 64 = 1,024 |
# | | | **total for one layer** | **4,192** |
#
# The six `layer{i}.` matrices exist once per layer: `layer0.attn_wq`, ...,
# `layer0.mlp_fc2`, then `layer1.attn_wq`, ... when `n_layer` is 2.
#
# Every entry starts as an independent Gaussian draw with mean 0 and standard
# deviation `INIT_STD` (0.08): small, so that at the start every token looks
# about equally likely, and random, so that the units of a layer start out
# different and can learn different things (identical units would get
# identical gradients and stay identical forever).
#
# Write `init_params(config, seed)`. Make one `rng = random.Random(seed)` and
# draw every matrix from it with `matrix(n_out, n_in, INIT_STD, rng)`, in
# this order: `wte`, `wpe`, `lm_head`, then for each layer `attn_wq`,
# `attn_wk`, `attn_wv`, `attn_wo`, `mlp_fc1`, `mlp_fc2`. (Any order gives a
# correct model; this one makes your numbers match the ones quoted below.)

# %% tags=["solution"]
def init_params(config, seed):
    """A dict of every parameter matrix of the GPT described by config, drawn from random.Random(seed)."""
    ### BEGIN SOLUTION
    rng = random.Random(seed)
    d = config['n_embd']
    params = {
        'wte': matrix(config['vocab_size'], d, INIT_STD, rng),
        'wpe': matrix(config['block_size'], d, INIT_STD, rng),
        'lm_head': matrix(config['vocab_size'], d, INIT_STD, rng),
    }
    for i in range(config['n_layer']):
        params[f'layer{i}.attn_wq'] = matrix(d, d, INIT_STD, rng)
        params[f'layer{i}.attn_wk'] = matrix(d, d, INIT_STD, rng)
        params[f'layer{i}.attn_wv'] = matrix(d, d, INIT_STD, rng)
        params[f'layer{i}.attn_wo'] = matrix(d, d, INIT_STD, rng)
        params[f'layer{i}.mlp_fc1'] = matrix(4 * d, d, INIT_STD, rng)
        params[f'layer{i}.mlp_fc2'] = matrix(d, 4 * d, INIT_STD, rng)
    return params
    ### END SOLUTION

# %% [markdown]
# Two helpers you will use below: `parameters` lists every parameter once (the
# flat list Adam works on), and `new_cache` makes the empty per-layer caches
# for one sequence (explained in Task C).

# %%
def parameters(params):
    """Every parameter Value of params, in a fixed order: the flat list Adam updates."""
    return [p for table in params.values() for row in table for p in row]


def new_cache(config):
    """One empty list per layer: the key (or value) cache of a new sequence."""
    return [[] for _ in range(config['n_layer'])]

# %% [markdown]
# ### Check Task A
#
# The tasks build on each other: `gpt` calls your `mlp`, `sequence_loss`
# your `gpt`, `train` your `sequence_loss`. So every checks cell notes in
# `checks_passed` whether it passed, and a check that uses an earlier task
# first asks for that task's check to pass: a failing check then always
# points at the task that has the mistake. (After changing a function, run
# its checks cell again.)

# %%
checks_passed = set()   # the tasks whose checks cell passed the last time it ran

# %% tags=["checks:init_params"]
checks_passed.discard('init_params')
p = init_params(CONFIG, seed=1)
layer_names = ['attn_wq', 'attn_wk', 'attn_wv', 'attn_wo', 'mlp_fc1', 'mlp_fc2']
assert isinstance(p, dict), "init_params should return a dict of matrices"
assert set(p) == {'wte', 'wpe', 'lm_head'} | {f'layer0.{n}' for n in layer_names}, \
    "the reference config should give exactly wte, wpe, lm_head and the six layer0.* matrices"
assert len(p['wte']) == 27 and len(p['wte'][0]) == 16, "wte should be vocab_size x n_embd"
assert len(p['wpe']) == 16 and len(p['wpe'][0]) == 16, "wpe should be block_size x n_embd"
assert len(p['layer0.mlp_fc1']) == 64 and len(p['layer0.mlp_fc1'][0]) == 16, "mlp_fc1 should be 4*n_embd x n_embd"
assert len(p['layer0.mlp_fc2']) == 16 and len(p['layer0.mlp_fc2'][0]) == 64, "mlp_fc2 should be n_embd x 4*n_embd"
flat = parameters(p)
assert len(flat) == 4192, "the reference configuration has 4,192 parameters"
assert all(isinstance(x, Value) and x._children == () for x in flat), "every parameter should be a leaf Value"
assert len({id(x) for x in flat}) == 4192, "every parameter should be its own Value (no shared objects)"
mean = sum(x.data for x in flat) / len(flat)
std = (sum((x.data - mean) ** 2 for x in flat) / len(flat)) ** 0.5
assert abs(mean) < 0.01 and 0.07 < std < 0.09, "parameters should be drawn with mean 0 and standard deviation INIT_STD"
again = parameters(init_params(CONFIG, seed=1))
assert [x.data for x in again] == [x.data for x in flat], "the same seed should give the same parameters"
two = init_params(dict(CONFIG, n_layer=2), seed=1)
assert 'layer1.mlp_fc2' in two and len(parameters(two)) == 4192 + 3072, "each extra layer adds its six matrices"
checks_passed.add('init_params')
print("init_params checks passed")

# %% [markdown]
# ## 3. Task B: the MLP block (6 points)
#
# Attention *moves* information between positions: the vector at the
# current position becomes a mix of the value vectors of earlier positions.
# The **MLP** (multi-layer perceptron) then *processes* what arrived, at
# each position separately: it widens the vector to 4d numbers with
# `mlp_fc1`, applies `relu` to each, and projects back to d numbers with
# `mlp_fc2`:
#
# $$\text{mlp}(x) = W_2\,\text{relu}(W_1 x)$$
#
# Without the relu in the middle the two matrices would collapse into one
# (W₂W₁ is just another d × d matrix), and the block could only compute
# linear functions. The relu lets each of the 64 hidden units switch on for
# some inputs and off for others; that is where most of the model's
# "if this, then that" lives, and half of its parameters.
#
# The blocks receive the matrices of *one* layer under short names (`'attn_wq'`,
# ..., `'mlp_fc1'`, `'mlp_fc2'`), while the parameter dictionary stores them
# under long names (`'layer0.attn_wq'`, ...). `layer_params` bridges the two:

# %%
def layer_params(params, i):
    """The matrices of layer i under the short names the blocks use: 'attn_wq', ..., 'mlp_fc2'."""
    prefix = f'layer{i}.'
    return {name[len(prefix):]: table for name, table in params.items() if name.startswith(prefix)}


print(sorted(layer_params(init_params(CONFIG, seed=0), 0)))

# %% [markdown]
# Write `mlp(x, layer)`: `x` is a list of n_embd Values, `layer` a dict like
# the one above. Use `linear` and `Value.relu`. Two lines are enough.

# %% tags=["solution"]
def mlp(x, layer):
    """The MLP block: linear with layer['mlp_fc1'], relu on every unit, linear with layer['mlp_fc2']."""
    ### BEGIN SOLUTION
    hidden = [unit.relu() for unit in linear(x, layer['mlp_fc1'])]
    return linear(hidden, layer['mlp_fc2'])
    ### END SOLUTION

# %% [markdown]
# ### Check Task B
#
# A hand-sized layer: 2 inputs, 3 hidden units, 2 outputs. With x = (1, 2)
# the hidden units before relu are (1·1 + 1·2, 1·1 − 1·2, 2·1 + 0·2) =
# (3, −1, 2); relu gives (3, 0, 2); the outputs are (3 + 0 + 2, 3 − 0 − 2·2) = (5, −1).

# %% tags=["checks:mlp"]
checks_passed.discard('mlp')


def as_values(rows):
    return [[Value(float(x)) for x in row] for row in rows]


hand_layer = {'mlp_fc1': as_values([[1, 1], [1, -1], [2, 0]]), 'mlp_fc2': as_values([[1, 1, 1], [1, -1, -2]])}
x_in = [Value(1.0), Value(2.0)]
out = mlp(x_in, hand_layer)
assert isinstance(out, list) and len(out) == 2, "mlp should return a list with one Value per row of mlp_fc2"
assert all(isinstance(o, Value) for o in out), "mlp should return Values (build it from linear and relu)"
assert [o.data for o in out] != [4.0, 0.0], "the hidden unit with -1 should be switched off by relu before mlp_fc2"
assert [o.data for o in out] != [5.0, 0.0], "relu goes between the two layers, not after the second one"
assert [o.data for o in out] == [5.0, -1.0], "mlp(x) should be linear(relu(linear(x, mlp_fc1)), mlp_fc2)"
backward(out[0])
assert [xi.grad for xi in x_in] == [3.0, 1.0], \
    "gradients should flow back to the input through both layers (only through the units relu lets pass)"
assert hand_layer['mlp_fc1'][1][0].grad == 0.0, "a unit switched off by relu passes no gradient to its weights"
checks_passed.add('mlp')
print("mlp checks passed")

# %% [markdown]
# ## 4. Task C: the forward pass (16 points)
#
# `gpt(token_id, pos_id, keys, values, params, config)` turns **one** token at
# **one** position into 27 logits, the model's scores for the next token:
#
# ```
# x = wte[token_id] + wpe[pos_id]        what the token is, and where it is
# x = rmsnorm(x)
# for each layer i, with its matrices layer_params(params, i) as `layer`:
#     x = x + multi_head_attention(rmsnorm(x), layer, keys[i], values[i], n_head)
#     x = x + mlp(rmsnorm(x), layer)
# logits = linear(x, lm_head)
# ```
#
# Three ideas are packed into these lines.
#
# **The residual stream.** `x` is never replaced; each block *adds* its
# output to it (`x = x + block(...)`). The vector that reaches `lm_head` is
# the embedding plus the contribution of every block, so a block only has to
# learn a *correction*, and information from the embedding is never lost.
# During training the `+` passes gradients straight through (the local
# derivative of an add is 1), so `wte` and `wpe` get a clean gradient even
# if the blocks are still useless.
#
# **Pre-norm.** Each block reads a normalised copy of the stream,
# `rmsnorm(x)`, so its input always has a sensible scale however the stream
# grows; the stream itself is not normalised. (The original Transformer of
# 2017 normalised *after* adding, `x = norm(x + block(x))`: "post-norm".
# Pre-norm trains more reliably, and GPT-2 and its descendants use it.)
#
# **One position at a time, with a cache.** Attention at position `t`
# needs the keys and values of positions `0 .. t`. Instead of recomputing
# them, `multi_head_attention` appends the current position's key and
# value to `keys[i]` and `values[i]`, the caches of layer `i`. So for one
# sequence you create the caches once (`new_cache(config)`, one list per
# layer), then call `gpt` for positions 0, 1, 2, ... in order with the
# *same* caches. After the call for position `t`, `keys[i]` holds `t + 1`
# vectors. Because the cache only ever holds earlier positions, the model
# can never peek at the future: the causal mask of A6 comes for free.
#
# Write `gpt`. Use `embed`, `rmsnorm`, `layer_params`, `multi_head_attention`
# (with `keys[i]`, `values[i]` and `config['n_head']`), your `mlp` and
# `linear`. Add vectors element by element, for example
# `[a + b for a, b in zip(x, y, strict=True)]`.

# %% tags=["solution"]
def gpt(token_id, pos_id, keys, values, params, config):
    """Logits for the token after token_id at position pos_id; appends to the caches keys[i], values[i]."""
    ### BEGIN SOLUTION
    tok_emb = embed(params['wte'], token_id)
    pos_emb = embed(params['wpe'], pos_id)
    x = rmsnorm([t + p for t, p in zip(tok_emb, pos_emb, strict=True)])
    for i in range(config['n_layer']):
        layer = layer_params(params, i)
        attn_out = multi_head_attention(rmsnorm(x), layer, keys[i], values[i], config['n_head'])
        x = [a + b for a, b in zip(x, attn_out, strict=True)]
        mlp_out = mlp(rmsnorm(x), layer)
        x = [a + b for a, b in zip(x, mlp_out, strict=True)]
    return linear(x, params['lm_head'])
    ### END SOLUTION

# %% [markdown]
# The checks below (and those of the next tasks) use a tiny model whose
# weights are drawn with a large standard deviation, so that every mistake
# changes the numbers visibly. `tiny_params` builds it; it has the same
# names and shapes as your `init_params`.

# %%
TINY = dict(vocab_size=4, n_layer=1, n_embd=4, n_head=2, block_size=6)
TINY_CHARS = ['a', 'b', 'c']


def tiny_params(config, seed, std=0.5):
    """Random parameters for the checks, in the layout of Task A, with a large spread."""
    rng = random.Random(seed)
    width, tokens = config['n_embd'], config['vocab_size']
    layout = [('wte', tokens, width), ('wpe', config['block_size'], width), ('lm_head', tokens, width)]
    for li in range(config['n_layer']):
        layout += [(f'layer{li}.attn_w{c}', width, width) for c in 'qkvo']
        layout += [(f'layer{li}.mlp_fc1', 4 * width, width), (f'layer{li}.mlp_fc2', width, 4 * width)]
    return {name: matrix(rows, cols, std, rng) for name, rows, cols in layout}

# %% [markdown]
# ### Check Task C

# %% tags=["checks:gpt"]
checks_passed.discard('gpt')
tp = tiny_params(TINY, seed=3)
keys, values = new_cache(TINY), new_cache(TINY)
tokens = [3, 0, 2, 2, 1]
logits = [gpt(t, pos, keys, values, tp, TINY) for pos, t in enumerate(tokens)]
assert all(isinstance(row, list) and len(row) == 4 for row in logits), "gpt should return one logit per token"
assert all(isinstance(v, Value) for row in logits for v in row), "the logits should be Values"
assert len(keys[0]) == 5 and len(values[0]) == 5, \
    "after positions 0..4 the caches of layer 0 should hold 5 keys and 5 values: pass keys[i], values[i] on"
assert 'mlp' in checks_passed, "gpt calls your mlp, so its logits need an mlp that passes Check Task B: fix mlp first"
got = [round(v.data, 6) for v in logits[0]]
assert got == [2.407364, -1.688691, 2.262188, 5.942487], \
    "position 0 logits are wrong: check the embeddings, the rmsnorms and the residual additions"
got = [round(v.data, 6) for v in logits[4]]
assert got == [-0.18705, 0.126395, 1.816011, -0.228348], \
    "position 4 logits are wrong: check that attention gets the caches of this sequence"
two = dict(TINY, n_layer=2)
tp2 = tiny_params(two, seed=4)
keys, values = new_cache(two), new_cache(two)
out = [gpt(t, pos, keys, values, tp2, two) for pos, t in enumerate([3, 1, 0])]
assert [len(k) for k in keys] == [3, 3], "with two layers, each layer's cache should grow by one per position"
got = [round(v.data, 6) for v in out[2]]
assert got == [1.617867, 0.784787, 0.61542, -1.78212], \
    "with two layers the logits are wrong: use layer_params(params, i) for layer i"
checks_passed.add('gpt')
print("gpt checks passed")

# %% [markdown]
# **SA1 (short answer, 3 points).** Your `gpt` computes
# `x = x + block(rmsnorm(x))` for both blocks. Explain (a) what the residual
# `x + ...` does for the information that reaches `lm_head` and for the
# gradient that flows back to `wte` and `wpe` during training, and (b) why
# the block reads `rmsnorm(x)` while the stream `x` itself is left
# un-normalised (pre-norm), rather than `x = rmsnorm(x + block(x))`
# (post-norm).

# %% [markdown] tags=["manual:sa1"]
# ### BEGIN SOLUTION
# (a) With the residual, the final vector is the embedding plus the outputs
# of all blocks, so nothing the embeddings carry (which token, which
# position) is lost even if a block computes something useless; each block
# only learns a correction to the stream. In backpropagation an add node has
# local derivative 1 for both inputs, so the gradient of the loss reaches
# `x` before the block unchanged, along a path that skips the block: `wte`
# and `wpe` get a direct, undiminished gradient from the start of training,
# instead of only what survives through randomly initialised attention and
# MLP weights (which can shrink or distort it, more so with many layers).
# (b) Pre-norm normalises only the copy that a block reads, so every block
# sees inputs of a fixed scale, while the stream keeps the plain sum and the
# identity path from output back to embeddings stays a chain of adds. With
# post-norm every block's sum is rescaled, so the gradient on the main path
# passes through every norm (and the embedding's contribution is rescaled at
# every layer); that is harder to train, especially deep, and usually needs
# learning-rate warm-up.
# ### END SOLUTION

# %% [markdown]
# ## 5. Task D: the loss over a name (10 points)
#
# A name becomes a training example by wrapping it in BOS tokens:
# `'emma'` → `[BOS, e, m, m, a, BOS]`. At every position the model reads one
# token and must predict the **next** one:
#
# | position | input token | target (the next token) |
# |---|---|---|
# | 0 | BOS | e |
# | 1 | e | m |
# | 2 | m | m |
# | 3 | m | a |
# | 4 | a | BOS (the name ends) |
#
# A list of `n + 1` tokens gives `n` predictions: the inputs are
# `tokens[pos]` and the targets `tokens[pos + 1]`, for `pos` in `0 .. n-1`. The
# model can only see `block_size` positions, so at most `block_size`
# predictions are made: `n = min(block_size, len(tokens) - 1)`.
#
# The loss of the name is the **mean** of the `n` cross-entropies, so that a
# long name and a short one count on the same scale, and a loss of, say,
# 2.3 means "on average the correct next token got probability e^-2.3 ≈ 0.10".
#
# Write `sequence_loss(params, tokens, config)`: one fresh pair of caches
# (`new_cache`) for the whole name, `gpt` for positions 0 .. n-1 in order,
# `cross_entropy` against the next token, and the mean as a `Value` (so that
# `backward` can run from it).

# %% tags=["solution"]
def sequence_loss(params, tokens, config):
    """The mean next-token cross-entropy over the first min(block_size, len(tokens) - 1) positions."""
    ### BEGIN SOLUTION
    n = min(config['block_size'], len(tokens) - 1)
    keys, values = new_cache(config), new_cache(config)
    losses = []
    for pos in range(n):
        logits = gpt(tokens[pos], pos, keys, values, params, config)
        losses.append(cross_entropy(logits, tokens[pos + 1]))
    return sum(losses) / n
    ### END SOLUTION

# %% [markdown]
# An untrained model should be maximally unsure: with tiny random weights all
# 27 logits are close to 0, every token gets probability about 1/27, and the
# loss is about −log(1/27) = ln 27 ≈ 3.2958. That is the number training
# starts from; anything much higher at step 0 means a bug (or weights that
# are too large).

# %%
untrained = init_params(CONFIG, seed=42)
emma = wrap(encode("emma", chars), bos)
print(f"untrained loss on 'emma': {sequence_loss(untrained, emma, CONFIG).data:.4f}   (ln 27 = {math.log(27):.4f})")

# %% [markdown]
# ### Check Task D

# %% tags=["checks:sequence_loss"]
checks_passed.discard('sequence_loss')
tp = tiny_params(TINY, seed=3)
loss = sequence_loss(tp, [3, 0, 2, 2, 1, 3], TINY)
assert isinstance(loss, Value), "sequence_loss should return a Value (the mean of the cross-entropies)"
assert 'gpt' in checks_passed, \
    "sequence_loss calls your gpt, so its losses need a gpt that passes Check Task C: fix gpt first"
assert round(loss.data, 6) != 12.149842, "the loss should be the mean over the positions, not the sum"
assert round(loss.data, 6) != 1.040165, "the target at position pos is the next token, tokens[pos + 1]"
assert round(loss.data, 6) == 2.429968, "sequence_loss of the tiny model is wrong"
long_tokens = [3, 0, 1, 2, 0, 1, 2, 0, 1, 3]          # 9 predictions, but block_size is 6
assert round(sequence_loss(tp, long_tokens, TINY).data, 6) == 1.946032, \
    "a sequence longer than block_size should give block_size predictions"
assert round(sequence_loss(tp, [3, 0, 2, 2, 1, 3], TINY).data, 6) == 2.429968, \
    "calling sequence_loss again should give the same loss: make fresh caches for every call"
backward(loss)
assert tp['wte'][3][0].grad != 0.0 and tp['lm_head'][2][1].grad != 0.0, \
    "the loss should stay connected to the parameters, so that backward reaches them"
assert 'init_params' in checks_passed, "the last check uses your init_params: make Check Task A pass first"
small = dict(CONFIG, n_embd=8, n_head=2)   # a narrower model is quicker to check, and untrained it scores ln 27 too
fresh = init_params(small, seed=0)
start = sum(sequence_loss(fresh, wrap(encode(n, chars), bos), small).data for n in docs[:4]) / 4
assert abs(start - math.log(27)) < 0.2, "an untrained model (init_params) should score about ln 27 on names"
checks_passed.add('sequence_loss')
print("sequence_loss checks passed")

# %% [markdown]
# **SA2 (short answer, 3 points).** Suppose `sequence_loss` used
# `tokens[pos]` as the target at position `pos` instead of `tokens[pos + 1]`.
# What would the model learn, what would its training loss do, and what
# would it produce when you sample from it? Explain why the shift by one is
# what makes the model a *language model*.

# %% [markdown] tags=["manual:sa2"]
# ### BEGIN SOLUTION
# The model would be asked to output the token it is reading right now. That
# token is its input (it arrives through `wte` and the residual stream), so
# the task is trivial copying: the loss would fall quickly towards 0 and look
# excellent, but the model learns nothing about which letter *follows*
# which. When sampling it would predict the token it was just given: after
# BOS it predicts BOS, so it would end every name at once (empty names), or
# repeat the same letter. The shift by one makes each position predict
# something it cannot see, the next token, from everything before it; a
# model of P(next token | previous tokens) is exactly what a language model
# is, and it is what lets us generate text one token at a time.
# ### END SOLUTION

# %% [markdown]
# ## 6. Task E: training (10 points)
#
# Training repeats four moves, one name per step:
#
# 1. **forward**: the loss of one name (`sequence_loss`);
# 2. **zero the gradients**: `backward` *adds* into `.grad` (A3), so the
#    gradients of the previous step must be cleared first (`zero_grad` on
#    the parameters);
# 3. **backward**: `backward(loss)` fills the `.grad` of every parameter;
# 4. **update**: `adam_step` with the learning rate of this step,
#    `linear_decay(LEARNING_RATE, step, steps)`: 0.01 at step 0, falling
#    linearly towards 0 at the end, so that the last steps only fine-tune.
#
# Write `train(params, docs, steps, config, seed)`, exactly as follows (the
# grader replays it):
#
# - the vocabulary is that of the docs themselves: `build_vocab(docs)` gives
#   their letters (`chars`) and the id of BOS;
# - the order of the names: a copy of `docs` shuffled once with
#   `random.Random(seed).shuffle(...)`; step `s` trains on name number
#   `s % len(docs)` of that order (so a short list is cycled through);
# - each name becomes tokens with `wrap(encode(name, chars), bos)`;
# - Adam's moment lists `m` and `v` start as one `0.0` per parameter
#   (`parameters(params)`) and live across all steps; `adam_step` uses its
#   default betas and eps (0.85, 0.99, 1e-8) and the step number from 0;
# - return the list of the `steps` losses as plain floats (`loss.data`).
#
# `params` is changed in place: after `train`, the same dictionary holds the
# trained model. If `print_every` is a positive number, print the mean loss
# of the last `print_every` steps every `print_every` steps (the training
# cell below uses it to show progress).

# %% tags=["solution"]
def train(params, docs, steps, config, seed, print_every=0):
    """Adam with linear decay, one name per step; returns the `steps` losses as floats.

    The names are a copy of docs shuffled once with random.Random(seed).shuffle;
    step s trains on name s % len(docs) of that copy (the grader replays this order).
    """
    ### BEGIN SOLUTION
    vocab, bos = build_vocab(docs)
    order = list(docs)
    random.Random(seed).shuffle(order)
    flat = parameters(params)
    m, v = [0.0] * len(flat), [0.0] * len(flat)
    losses = []
    for step in range(steps):
        tokens = wrap(encode(order[step % len(order)], vocab), bos)
        loss = sequence_loss(params, tokens, config)
        zero_grad(flat)
        backward(loss)
        adam_step(flat, m, v, step, linear_decay(LEARNING_RATE, step, steps))
        losses.append(loss.data)
        if print_every and (step + 1) % print_every == 0:
            recent = losses[-print_every:]
            print(f"step {step + 1:4d} of {steps}: mean loss of the last {print_every} steps",
                  f"{sum(recent) / len(recent):.4f}")
    return losses
    ### END SOLUTION

# %% [markdown]
# ### Check Task E
#
# On the tiny model: Adam's first step moves every parameter by exactly the
# learning rate (0.01) against the sign of its gradient, or not at all if
# its gradient is 0 (work out why from `adam_step` at step 0: `m_hat` is the
# gradient g and `sqrt(v_hat)` is |g|). Three steps on one name must give our
# losses exactly (the first step alone cannot tell whether the gradients are
# zeroed or the learning rate decays; the third can). Then a short run on
# five tiny names must bring the loss down.

# %% tags=["checks:train"]
tiny_docs = ["abc", "cab", "bca", "ba", "cc"]
tp = tiny_params(TINY, seed=5)
before = [x.data for x in parameters(tp)]
first = train(tp, tiny_docs, 1, TINY, seed=0)
assert isinstance(first, list) and len(first) == 1, "train should return one loss per step"
assert isinstance(first[0], float), "the losses should be plain floats (loss.data), not Values"
assert 'sequence_loss' in checks_passed, \
    "train calls your sequence_loss, so its steps need one that passes Check Task D: fix sequence_loss first"
moves = [abs(x.data - b) for x, b in zip(parameters(tp), before, strict=True)]
assert max(moves) > 0, "train should update the parameters in place"
assert all(abs(step - 0.01) < 1e-5 or step == 0 for step in moves), \
    "Adam's first step should move every parameter by the learning rate 0.01 (or 0 if its gradient is 0)"
assert 0 < sum(step == 0 for step in moves) < len(moves), \
    "parameters the name does not use (e.g. the rows of positions after its end) should not move"
three = train(tiny_params(TINY, seed=5), ["abca"], 3, TINY, seed=0)
assert [round(x, 6) for x in three] == [1.712163, 1.579789, 1.501829], \
    "three steps on one name give other losses: zero the gradients before every backward, keep m and v " \
    "across the steps, and decay the learning rate linearly"
tp = tiny_params(TINY, seed=5)
losses = train(tp, tiny_docs, 40, TINY, seed=0)
assert len(losses) == 40 and all(isinstance(x, float) for x in losses), "train should return 40 float losses"
assert sum(losses[-10:]) / 10 < sum(losses[:10]) / 10 - 0.2, "40 steps on five tiny names should lower the loss clearly"
print("train checks passed")

# %% [markdown]
# **SA3 (short answer, 3 points).** `sequence_loss` takes the *mean* over
# the positions. Explain why, with Adam, using the *sum* instead would
# change training only a little, while with plain SGD (`p.data -= lr *
# p.grad`) it would matter a lot. (Hint: what happens to Adam's
# `m_hat / sqrt(v_hat)` if every gradient is multiplied by the same number?
# And why is the factor not exactly the same at every step?)

# %% [markdown] tags=["manual:sa3"]
# ### BEGIN SOLUTION
# The sum is the mean times n, the number of predictions of the name, so
# every gradient of that step is multiplied by n. Adam divides the running
# mean of the gradient by the square root of the running mean of its
# square: if all gradients were scaled by the same c, m_hat scales by c and
# sqrt(v_hat) by |c|, so the update is (almost, up to eps) unchanged; Adam is
# invariant to the scale of the loss. With SGD the step is lr times the
# gradient, so a summed loss makes steps n times larger (3 to 16 times here:
# a name of 2 to 15 letters gives 3 to 16 predictions),
# as if the learning rate were that much larger, and long names would push
# harder than short ones; the learning rate would have to be retuned and
# training could diverge. With Adam the factor is not exactly constant,
# because n changes from name to name (n = len(name) + 1), so m and v mix
# gradients scaled by different factors: long names get somewhat more
# weight than with the mean, a small change, not a broken training run.
# ### END SOLUTION

# %% [markdown]
# ### Train the GPT (training cell)
#
# Now train the reference model on the training names: 200 steps, one name
# each. A step costs about a third of a second of CPU on our machine
# (0.33 s, measured by `bench/lesson_numbers.py`), so the cell takes a
# little over a minute. The next cells
# write `checkpoint.json` next to this notebook: the configuration, the
# letters and every trained parameter as a plain number. **The grader
# scores that file, so submit it with your notebook.**
#
# Expect a loss near 3.3 at the first steps (ln 27) that falls as training
# goes on. The losses jump around from step to step: each is the loss of a
# single, different name.

# %% tags=["heavy"]
NUM_STEPS = 200
params = init_params(CONFIG, seed=42)
losses = train(params, train_docs, NUM_STEPS, CONFIG, seed=42, print_every=20)
print(f"loss at step 1: {losses[0]:.4f}; mean of the last 50 steps: {sum(losses[-50:]) / 50:.4f}")

# %% [markdown]
# The provided helpers below save the model as JSON and load it back.

# %%
def save_checkpoint(path, params, config, chars):
    """Writes the config, the letters and every parameter (as plain floats) to a JSON file."""
    tables = {name: [[p.data for p in row] for row in table] for name, table in params.items()}
    with open(path, "w") as f:
        json.dump({"config": config, "chars": ''.join(chars), "params": tables}, f)


def load_checkpoint(path):
    """The (params, config, chars) saved by save_checkpoint, with the parameters as fresh Values."""
    with open(path) as f:
        saved = json.load(f)
    tables = {name: [[Value(x) for x in row] for row in rows] for name, rows in saved["params"].items()}
    return tables, saved["config"], list(saved["chars"])

# %% tags=["heavy"]
save_checkpoint("checkpoint.json", params, CONFIG, chars)
print("saved checkpoint.json:", len(parameters(params)), "parameters")

# %% [markdown]
# ### Training loss and validation loss
#
# `mean_loss` is the loss per predicted token over a list of names (every
# letter and every end of name counts once). Compare the model on 100 of the
# names it trained on with the model on 100 validation names it never saw.
# The difference is how much better it does on names it has seen than on
# names in general: the part of its training loss that comes from fitting
# those particular names (*overfitting*) rather than from learning what
# names look like. Only the validation loss says how the model will do on
# new names. (Each evaluation takes several seconds: every name is a full
# forward pass through your `gpt`.)

# %%
def mean_loss(params, names, config):
    """Loss per predicted token of the model over names, each wrapped in BOS tokens."""
    total = count = 0
    for name in names:
        tokens = wrap(encode(name, chars), bos)
        predictions = min(len(tokens) - 1, config['block_size'])
        total += sequence_loss(params, tokens, config).data * predictions
        count += predictions
    return total / count

# %% tags=["heavy"]
seen = list(train_docs)
random.Random(42).shuffle(seen)       # the order train used: step s trained on seen[s]
print(f"loss per token on 100 names it trained on:    {mean_loss(params, seen[:100], CONFIG):.4f}")
print(f"loss per token on 100 validation names:       {mean_loss(params, val_docs[:100], CONFIG):.4f}")

# %% [markdown]
# ## 7. Task F: sampling (7 points)
#
# A trained GPT generates a name one token at a time: start with BOS at
# position 0, get the logits, draw the next token from them, feed it back in
# at the next position, and stop when BOS comes out (the name is complete)
# or after `block_size` positions.
#
# **Temperature.** Before the softmax, divide every logit by a temperature
# `T`: `softmax([logit / T for logit in logits])`.
#
# - `T = 1`: the model's own probabilities;
# - `T < 1`: differences between logits grow, the distribution sharpens
#   towards the most likely token (as `T → 0`, always the argmax);
# - `T > 1`: differences shrink, the distribution flattens towards uniform.
#
# The temperature must act on the logits. Dividing the *probabilities* by T
# changes nothing at all, because a draw only depends on the ratios between
# the weights.
#
# Write `sample(params, config, chars, temperature, rng)`:
#
# - `bos = len(chars)`; fresh caches; the first input is BOS at position 0;
# - for `pos` in `0 .. block_size-1`: logits from `gpt`, probabilities from
#   `softmax` of the logits divided by `temperature`, and the next token drawn
#   with exactly `rng.choices(range(config['vocab_size']), weights=[p.data for p in probs])[0]`
#   (use the `rng` you are given, a `random.Random`, never the global
#   `random`, so that the same rng seed gives the same name);
# - stop at BOS (it is not part of the name); otherwise append `chars[token]`
#   and feed the token in at the next position;
# - return the name as a string.

# %% tags=["solution"]
def sample(params, config, chars, temperature, rng):
    """A new name drawn from the model, one token at a time, at the given temperature.

    Each token is rng.choices(range(vocab_size), weights=[p.data for p in probs])[0], one call
    per position, with probs the softmax of the logits divided by temperature (the grader
    replays these draws); the name ends at BOS or after block_size tokens.
    """
    ### BEGIN SOLUTION
    bos = len(chars)
    keys, values = new_cache(config), new_cache(config)
    token, letters = bos, []
    for pos in range(config['block_size']):
        logits = gpt(token, pos, keys, values, params, config)
        probs = softmax([logit / temperature for logit in logits])
        token = rng.choices(range(config['vocab_size']), weights=[p.data for p in probs])[0]
        if token == bos:
            break
        letters.append(chars[token])
    return ''.join(letters)
    ### END SOLUTION

# %% [markdown]
# ### Check Task F

# %% tags=["checks:sample"]
tp = tiny_params(TINY, seed=31)
name = sample(tp, TINY, TINY_CHARS, 1.0, random.Random(0))
assert isinstance(name, str), "sample should return the name as a string"
assert set(name) <= set(TINY_CHARS) and len(name) <= TINY['block_size'], \
    "a sample holds only letters of chars (no BOS) and at most block_size of them"
assert sample(tp, TINY, TINY_CHARS, 1.0, random.Random(0)) == name, \
    "the same rng seed should give the same sample: draw with the rng you are given"
assert 'gpt' in checks_passed, "sample calls your gpt, so its names need a gpt that passes Check Task C: fix gpt first"
assert name == "ccaac", "at temperature 1 with random.Random(0) the tiny model samples another name"
cold = {sample(tp, TINY, TINY_CHARS, 0.001, random.Random(s)) for s in range(4)}
assert len(cold) == 1, "near temperature 0 every draw should be the most likely token, whatever the rng"
assert cold == {"ccaa"}, "near temperature 0 the sample should follow the largest logit at every step"
print("sample checks passed")

# %% [markdown]
# ## 8. Capstone: your model on names it has never seen (10 points)
#
# A loss on the training names says how well the model fits what it has
# seen. The question that matters is how well it predicts names it has
# **not** seen. The grader keeps 1,843 names that are not in `names.txt`
# and scores your `checkpoint.json` on them: the mean negative
# log-likelihood per predicted token (every letter and every end of name),
# computed with its own forward pass, exactly the model you wrote.
#
# | model | held-out NLL |
# |---|---|
# | untrained (`init_params(CONFIG, seed=42)`) | ≈ 3.37 |
# | **the bar your checkpoint must beat** | **2.60** |
# | this GPT after 200 steps (the training cell above) | ≈ 2.48 |
# | A5's trained bigram table | ≈ 2.47 |
# | count-based bigram model (A5), all 30,013 names | ≈ 2.46 |
# | this GPT after 500 steps | ≈ 2.42 |
#
# After 200 steps the GPT has seen 200 names, less than 1% of the training
# names, and it is not yet as good as a bigram model that counted all of
# them: it can use every earlier letter, not just the last one, but 200
# names are too few to learn even the letter-pair frequencies the count
# model reads off directly. Trained for 500 steps (two and a half times as
# long) it gets below the bigram models. The bar is set for the 200 steps of
# the training cell: it says your model has learned a good deal about names,
# not that it beats the bigram model.
#
# The checkpoint must use the reference configuration (`CONFIG`) and the 26
# letters, be written by `save_checkpoint`, and hold a trained model. The
# checks below read the file from the notebook's folder (the training cells
# write it) and measure your model on 30 of your validation names. Their bar,
# 2.55 on those 30 names, is a little stricter than the grader's 2.60 on its
# held-out names, so that passing it means you are on track for the
# grader's bar.

# %% tags=["checks:capstone"]
assert 'sequence_loss' in checks_passed, \
    "this check measures your model with your sequence_loss: make Checks A-D pass first"
assert os.path.exists("checkpoint.json"), \
    "checkpoint.json is not here yet (the grader gives the capstone 0 without it): run the training cells, " \
    "which write it next to this notebook, and hand it in with the notebook"
trained, saved_config, saved_chars = load_checkpoint("checkpoint.json")
assert saved_config == CONFIG, "checkpoint.json should hold a model with the reference CONFIG"
assert saved_chars == chars, "checkpoint.json should hold the 26 letters of names.txt"
assert {name: (len(t), len(t[0])) for name, t in trained.items()} == \
    {name: (len(t), len(t[0])) for name, t in init_params(CONFIG, seed=0).items()}, \
    "checkpoint.json should hold every matrix of the reference model, with its shape"
validation = mean_loss(trained, val_docs[:30], CONFIG)
print(f"checkpoint.json: loss per token on 30 validation names {validation:.4f} (this check's bar: 2.55)")
assert validation < 2.55, \
    "the model in checkpoint.json is not trained enough: run the training cells (200 steps on train_docs)"
print("capstone checks passed")

# %% [markdown]
# ## 9. What did it learn?
#
# Numbers on a held-out set are one view. The other is to ask the model
# questions and watch it work. The helpers below run your `gpt` and collect
# what it computes. They need a trained model, `params`, so they live in
# training cells too. (After a restart of the kernel there is no need to
# train again: `params, _, _ = load_checkpoint("checkpoint.json")` brings
# your model back.)

# %%
def next_token_probs(params, config, chars, prefix):
    """The model's probability for each next token after BOS + prefix ('.' stands for BOS, the end)."""
    tokens = [len(chars)] + encode(prefix, chars)
    cache_k, cache_v = new_cache(config), new_cache(config)
    for pos, token in enumerate(tokens):
        scores = gpt(token, pos, cache_k, cache_v, params, config)
    probs = [p.data for p in softmax(scores)]
    return dict(zip(list(chars) + ['.'], probs, strict=True))


def attention_maps(params, config, chars, prefix):
    """The attention weights of every layer and head while the model reads BOS + prefix.

    maps[layer][head][pos] is the list of weights position pos gives to positions 0..pos.
    """
    global attention_weights
    original, recorded = attention_weights, []

    def recording(q, keys):
        weights = original(q, keys)
        recorded.append([w.data for w in weights])
        return weights

    attention_weights = recording   # multi_head_attention calls it once per head, layer by layer
    try:
        tokens = [len(chars)] + encode(prefix, chars)
        cache_k, cache_v = new_cache(config), new_cache(config)
        for pos, token in enumerate(tokens):
            gpt(token, pos, cache_k, cache_v, params, config)
    finally:
        attention_weights = original
    per_layer = config['n_layer'] * config['n_head']
    return [[[recorded[pos * per_layer + layer * config['n_head'] + head] for pos in range(len(tokens))]
             for head in range(config['n_head'])] for layer in range(config['n_layer'])]

# %% [markdown]
# ### Which letter comes after "q"?
#
# In English names, "q" is nearly always followed by "u". Here is what the
# training names say, and what your model says after reading BOS, "q":

# %%
after_q = {}
for name in docs:
    for i, ch in enumerate(name):
        if ch == 'q':
            nxt = name[i + 1] if i + 1 < len(name) else '.'
            after_q[nxt] = after_q.get(nxt, 0) + 1
print("in names.txt, after 'q':", sorted(after_q.items(), key=lambda kv: -kv[1])[:5],
      f"({sum(after_q.values())} names with a 'q')")

# %% tags=["heavy"]
probs = next_token_probs(params, CONFIG, chars, "q")
top = sorted(probs.items(), key=lambda kv: -kv[1])[:6]
print("your model, after BOS + 'q':", ', '.join(f"{tok} {p:.3f}" for tok, p in top))

# %% [markdown]
# **Q1 (auto-graded, 5 points).** Which **letter** does *your* trained model
# (the one in your `checkpoint.json`) find most likely right after a name
# starts with "q"? Read it off the cell above (if the end of the name, `.`,
# comes first, give the most likely letter). The grader computes the answer
# from your `checkpoint.json`, so answer for your model, not for English.
# Set `ANSWER_Q1` to one lower-case letter.

# %% tags=["solution"]
# ANSWER_Q1 = one lower-case letter, e.g. "z"
### BEGIN SOLUTION
ANSWER_Q1 = "a"
### END SOLUTION

# %% tags=["checks:q1"]
assert "ANSWER_Q1" in globals(), "set ANSWER_Q1 in the cell above (replace the raise line) and run it"
assert isinstance(ANSWER_Q1, str) and len(ANSWER_Q1) == 1 and ANSWER_Q1 in chars, \
    'ANSWER_Q1 should be one lower-case letter, e.g. "z"'
print("q1 format checks passed")

# %% [markdown]
# **SA4 (short answer, 3 points).** Compare your model's answer with the
# counts from `names.txt`. If they disagree, explain why a model trained for
# 200 steps makes this mistake, using what you know about how it was trained
# (how many names did it see, how many of them had a "q"?) and what it can
# share between letters. If they agree, explain how the model can know it
# from so few examples. What would you expect after 10,000 steps?

# %% [markdown] tags=["manual:sa4"]
# ### BEGIN SOLUTION
# The names say "u" (196 of 260 q's), my model says "a" (then "e", "o"). In
# 200 steps it saw 200 names, and fewer than 1% of names contain a "q", so it
# saw a "q" perhaps once or twice: almost no gradient ever pushed the "u"
# logit up in the context "q". What it did learn, from every name, is the
# general pattern "after a consonant at the start of a name comes a vowel,
# most often a": the embedding of "q" was hardly trained and sits close to
# where it started, so the model answers with what is likely after a
# typical first letter. Parameters are shared between all letters (one MLP,
# one attention, one lm_head), so frequent patterns dominate rare ones until
# the rare ones have been seen often enough. After 10,000 steps (a third of
# the names) it would have seen some 90 names with "q", enough to learn
# "qu" like the bigram counts do.
# ### END SOLUTION

# %% [markdown]
# ### Temperature
#
# Twelve names at each of four temperatures, each from `random.Random(0)`,
# and how many of the 26 letters they use:

# %% tags=["heavy"]
for temperature in (0.2, 0.5, 1.0, 1.5):
    rng = random.Random(0)
    names = [sample(params, CONFIG, chars, temperature, rng) for _ in range(12)]
    print(f"T = {temperature}: {len(set(''.join(names))):2d} letters:", ' '.join(names))

# %% [markdown]
# **Q2 (auto-graded, 5 points).** Which statement describes what the
# temperature does to the samples, and why?
#
# - **a.** Low temperature makes rare letters more likely, because dividing
#   the logits by a small T makes the small logits grow the most.
# - **b.** At low temperature the samples stick to the most likely letters
#   and look alike (the same few syllables again and again); at high
#   temperature they use more letters and unusual combinations, because
#   T < 1 sharpens the softmax and T > 1 flattens it.
# - **c.** The temperature changes the trained parameters, so the model must
#   be trained again for every temperature.
# - **d.** The temperature cannot change the samples, because the softmax
#   always sums to 1.
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
# ### What does an attention head look at?
#
# While the model reads BOS, "e", "m", "m", "a", each head at each position
# spreads weight 1 over the positions up to and including its own. Here is
# how the four heads of layer 0 split their attention at every position
# (rows: the reading position; columns: the position attended to):

# %% tags=["heavy"]
maps = attention_maps(params, CONFIG, chars, "emma")
labels = ['BOS', 'e', 'm', 'm', 'a']
for head, rows in enumerate(maps[0]):
    print(f"head {head}")
    for pos, weights in enumerate(rows):
        print(f"  {labels[pos]:>3} at {pos}:", ' '.join(f"{w:.2f}" for w in weights))

# %% [markdown]
# **Q3 (auto-graded, 5 points).** When your model reads the final "a" of
# "emma" (position 4), which head of layer 0 gives the **most weight to
# position 0, the BOS token**? (BOS is always there, at the start; a head
# can use it as a place to "look when nothing else matters", or to measure
# how far the name has come.) The grader computes it from your
# `checkpoint.json`. Set `ANSWER_Q3` to the head number, an int from 0 to 3.

# %% tags=["solution"]
# ANSWER_Q3 = an int from 0 to 3
### BEGIN SOLUTION
ANSWER_Q3 = 3
### END SOLUTION

# %% tags=["checks:q3"]
assert "ANSWER_Q3" in globals(), "set ANSWER_Q3 in the cell above (replace the raise line) and run it"
assert isinstance(ANSWER_Q3, int) and not isinstance(ANSWER_Q3, bool), "ANSWER_Q3 should be an int"
assert 0 <= ANSWER_Q3 < CONFIG['n_head'], "ANSWER_Q3 should be a head number: 0, 1, 2 or 3"
print("q3 format checks passed")

# %% [markdown]
# ### What do the token embeddings hold?
#
# Training shaped every row of `wte`, the 16 numbers the model starts from
# when it reads a letter. Two letters whose rows point in similar
# directions look alike to the model's first step. The **cosine
# similarity** compares directions: cos(u, v) = u·v / (|u| |v|) is 1 for
# the same direction, 0 for unrelated (orthogonal) ones and −1 for opposite
# ones. `nearest_letters` lists, for one letter, the letters whose rows are
# most similar to its row.

# %%
def cosine(u, v):
    """Cosine similarity of two lists of floats: 1 same direction, 0 orthogonal, -1 opposite."""
    dot = sum(a * b for a, b in zip(u, v, strict=True))
    return dot / (math.sqrt(sum(a * a for a in u)) * math.sqrt(sum(b * b for b in v)))


def wte_rows(params, chars):
    """Each letter's row of the token embedding, as plain floats."""
    return {ch: [p.data for p in params['wte'][i]] for i, ch in enumerate(chars)}


def nearest_letters(params, chars, letter, k=3):
    """The k other letters whose wte rows are most similar (cosine) to the row of letter, with their similarity."""
    rows = wte_rows(params, chars)
    others = [(ch, cosine(rows[letter], rows[ch])) for ch in chars if ch != letter]
    return sorted(others, key=lambda pair: -pair[1])[:k]


def mean_similarity(params, chars, group_a, group_b):
    """Mean cosine similarity of the wte rows over pairs of different letters, one from each group."""
    rows = wte_rows(params, chars)
    sims = [cosine(rows[a], rows[b]) for a in group_a for b in group_b if a != b]
    return sum(sims) / len(sims)

# %% [markdown]
# The nearest neighbours of a few letters in your model, and the mean
# similarity of vowel rows with each other, of vowel rows with consonant
# rows, and of consonant rows with each other. Do the vowels cluster?

# %% tags=["heavy"]
for letter in "aeioubdmnrst":
    print(letter, "->", ', '.join(f"{ch} {sim:.3f}" for ch, sim in nearest_letters(params, chars, letter)))
vowels, consonants = "aeiou", [ch for ch in chars if ch not in "aeiou"]
print(f"vowel with vowel:         {mean_similarity(params, chars, vowels, vowels):.3f}")
print(f"vowel with consonant:     {mean_similarity(params, chars, vowels, consonants):.3f}")
print(f"consonant with consonant: {mean_similarity(params, chars, consonants, consonants):.3f}")

# %% [markdown]
# **Q4 (auto-graded, 5 points).** In *your* model (the one in your
# `checkpoint.json`), which letter's `wte` row is most similar (highest
# cosine similarity) to the row of "a"? Read it off the first line above
# ("a" itself does not count). The grader computes the answer from your
# `checkpoint.json`. Set `ANSWER_Q4` to one lower-case letter.

# %% tags=["solution"]
# ANSWER_Q4 = one lower-case letter other than "a", e.g. "z"
### BEGIN SOLUTION
ANSWER_Q4 = "o"
### END SOLUTION

# %% tags=["checks:q4"]
assert "ANSWER_Q4" in globals(), "set ANSWER_Q4 in the cell above (replace the raise line) and run it"
assert isinstance(ANSWER_Q4, str) and len(ANSWER_Q4) == 1 and ANSWER_Q4 in chars, \
    'ANSWER_Q4 should be one lower-case letter, e.g. "z"'
assert ANSWER_Q4 != "a", 'every row is most similar to itself: give the nearest letter other than "a"'
print("q4 format checks passed")

# %% [markdown]
# **SA5 (short answer, 3 points).** Put your model's numbers side by side: its
# loss at step 1, its training losses at the end, its training and
# validation losses (section 6), and the held-out NLLs of the table in
# section 8 (untrained 3.37, the count bigram 2.46, this GPT after 200 steps
# 2.48). (a) Turn a loss into words: what probability does a model give, on
# average, to the correct next letter at NLL 3.30 (ln 27) and at 2.48? (b) Compare your
# training and validation losses: is your model overfitting? Why does the
# grader score names the model has never seen instead of the training names?
# (c) Name one change that would most likely lower the held-out NLL below
# the bigram model's, and why.

# %% [markdown] tags=["manual:sa5"]
# ### BEGIN SOLUTION
# (a) The NLL is the mean of -log p(correct next token), so e^-NLL is the
# (geometric) mean probability of the right token: e^-3.30 ≈ 0.037 ≈ 1/27
# (pure guessing among 27 tokens), e^-2.48 ≈ 0.084 after 200 steps, more
# than twice as good, about one chance in twelve. (b) My model
# scores 2.34 per token on 100 names it trained on and 2.47 on 100
# validation names: clearly better on names it has seen, although it saw
# each of them only once, because every step pulled the parameters towards
# that step's name. That gap is overfitting in a mild form; it would grow if
# the model saw the same names again and again. The training loss rewards
# fitting the names that were seen, and a big enough model could memorise
# them and still be poor on new names; we want a model of names in general,
# so it must be measured on names it never saw (and never used to choose
# its parameters). My validation loss is such a measurement, and the
# grader's held-out names are the honest, fixed yardstick for everyone.
# (c) Train longer (more steps, so that it sees more of the 29,013 training
# names: 500 steps reach about 2.42, below the bigram's 2.46): it has seen only
# 200 names so far, and rare patterns like "qu" have barely been seen. (Also
# acceptable: a larger model, more layers or a wider n_embd, together with
# more training; or a batch of several names per step for less noisy
# gradients.)
# ### END SOLUTION

# %% [markdown]
# ## What you built
#
# A GPT, from scratch, on top of a `Value` that holds one number: token and
# position embeddings, a pre-norm block of multi-head attention and an MLP
# on a residual stream, a language-model head, a next-token loss, Adam, and
# a sampler with a temperature. The GPTs that write text are this model with
# more of everything (tens of thousands of tokens instead of 27, thousands of
# dimensions instead of 16, dozens of layers instead of one, trillions of
# tokens of training instead of 200 names) and tensor code that does
# millions of your `Value` operations at once. The mathematics is the one
# you just wrote.
