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
# # A1 · Values: atomic operations and expression graphs
#
# This is the first of seven assignments. At the end of the seventh you will
# train a small GPT that invents new names, and you will know what every
# number inside it means, because you will have built the machinery that
# computes them. This assignment builds the foundation: **a number that
# remembers how it was made**.
#
# By the end of this notebook you will have
#
# - a `Value` class: one scalar plus a record of the operation and the
#   inputs that produced it;
# - the six **atomic operations** (add, mul, pow by a constant, exp, log,
#   relu), and every other arithmetic operation composed from them;
# - two ways to walk the resulting **expression graph**: `graph_nodes` (every
#   node once) and `topological_order` (every node after the nodes it was
#   computed from).
#
# ### How this notebook works
#
# - Cells that contain `# YOUR CODE HERE` are yours: replace the
#   `raise NotImplementedError()` line with your code. Leave every other cell
#   as it is.
# - After each task, a **checks** cell runs a few visible checks. Passing
#   them means you are on the right track, not that you are done: when you
#   submit, the grader runs hidden tests on inputs drawn fresh for every
#   submission, including awkward cases (shared sub-expressions, negative
#   numbers, numbers on the left of an operator, ...).
# - Along the way come **tiny checkpoints**: short questions. Three are
#   graded automatically (you set a variable such as `ANSWER_Q1`), seven are
#   short written answers graded by hand.
# - The whole notebook runs in a second or two. Run it top to bottom
#   (*Kernel → Restart & Run All*) before you submit.
#
# | Part | Points |
# |---|---|
# | Task A: atomic operations | 22 |
# | Task B: composed operations | 12 |
# | Task C: `graph_nodes` | 12 |
# | Task D: `topological_order` | 13 |
# | Milestone: micrograd's expression | 5 |
# | Q1–Q3 (auto-graded) | 15 |
# | SA1–SA7 (short answers, graded by hand) | 21 |
# | **Total** | **100** |

# %% [markdown]
# ## 1. A GPT is a stack of learned computations
#
# A GPT reads a sequence of tokens (for us: the letters of a name) and, for
# the next position, outputs a probability for every token in its
# vocabulary. Between the input and that output there is nothing
# mysterious. There are
#
# - **lookups** into tables of numbers (one row of numbers per token),
# - **multiply-adds**, lots of them (every "layer" is mostly weighted sums),
# - a few **non-linear** steps: `relu` in the MLP blocks, `exp` inside the
#   softmax that turns scores into probabilities, `log` in the loss,
#
# repeated layer after layer. That arrangement is the *computation*, and we
# write it. What is *learned* are the numbers in the tables, the
# **parameters** (4,192 of them in the GPT you will train in A7). Nobody types
# them in: training starts from random numbers and nudges every parameter,
# step after step, in the direction that makes the training text a little
# more probable.
#
# Here is that whole story in a few lines of plain Python: a "model" with
# six parameters that scores three possible next tokens, a softmax, and a
# loss that is small when the token that really came next got a high
# probability.

# %%
import math


def scores(w, b, x):
    """A tiny 'model': one score per possible next token (a weighted sum, then relu)."""
    return [max(0.0, w[i] * x + b[i]) for i in range(3)]


def softmax(z):
    """Turn scores into probabilities that add up to 1."""
    exps = [math.exp(zi) for zi in z]
    total = sum(exps)
    return [e / total for e in exps]


def nll(probs, target):
    """Negative log-likelihood: small when the true next token got a high probability."""
    return -math.log(probs[target])


w = [0.5, -1.0, 0.8]   # parameters: learned
b = [0.1, 0.2, -0.3]   # parameters: learned
x, target = 1.5, 2     # data: one input, and the token that really came next

print("loss before the nudge:", round(nll(softmax(scores(w, b, x)), target), 4))
w[2] += 0.1            # nudge one parameter a little
print("loss after the nudge: ", round(nll(softmax(scores(w, b, x)), target), 4))

# %% [markdown]
# The nudge lowered the loss, so it went in a good direction. Training is
# exactly this, done systematically: for **every** parameter, ask "which way,
# and how strongly, does the loss change if I move you a little?" (the
# *gradient*), then move all of them a small step downhill. A GPT is the
# same picture with more parameters and more layers. Answering that question
# for thousands of parameters at once, exactly and cheaply, is what the next
# three assignments build, and it starts with recording **how each number
# was computed**.

# %% [markdown]
# **SA1 (short answer, 3 points).** In the tiny model above, which numbers are
# *learned* and which belong to the fixed *computation* (or are data)? Then
# explain, in two or three sentences, what it means to say that a GPT is "a
# stack of learned computations".

# %% [markdown] tags=["manual:sa1"]
# ### BEGIN SOLUTION
# The learned numbers are the parameters `w` and `b`: training changes them.
# The computation is fixed: multiply each parameter by the input, add the
# bias, apply relu, then softmax (exp, sum, divide) and the loss (-log);
# `x` and `target` are data, not learned. A GPT is the same thing at scale:
# we choose a fixed arrangement of simple computations (embedding lookups,
# attention, MLP blocks, stacked in layers, ending in a softmax over the
# vocabulary), and training adjusts only its parameters so that the actual
# next tokens of the training text become more probable. Nothing else is
# learned; the "intelligence" lives in the values of the parameters.
# ### END SOLUTION

# %% [markdown]
# It is tempting to treat a GPT as one magical black box: text goes in,
# text comes out, and what happens in between is beyond understanding. This
# course takes the opposite view. The box is made of the small, ordinary
# pieces listed above, and each of them can be built, tested and understood
# on its own.
#
# **SA6 (short answer, 3 points).** Why is treating a GPT as one magical
# black box a poor way to *learn* how it works? Give two reasons, each in a
# sentence or two.

# %% [markdown] tags=["manual:sa6"]
# ### BEGIN SOLUTION
# 1. A black box hides the mechanism: if all I can see is text in and text
#    out, I can only describe *what* it does, never *why*, so I cannot
#    predict when it will fail, debug it, or see what a change (more
#    layers, more data, another learning rate) would do.
# 2. It makes the system seem indivisible, as if it only worked as a whole.
#    In fact it is a fixed arrangement of small computations (lookups,
#    weighted sums, relu, exp, log) plus learned numbers; each piece can be
#    built and checked on its own, and understanding the pieces and how they
#    combine is understanding the whole.
# ### END SOLUTION

# %% [markdown]
# ## 2. Why we start from atomic operations
#
# Look again at the code above: every number in it came out of a handful of
# operations. In this course six of them are **atomic**:
#
# | atomic operation | written | local rule you will derive in A2 |
# |---|---|---|
# | add | `a + b` | how the sum moves when `a` or `b` moves |
# | mul | `a * b` | ... the product ... |
# | pow by a constant | `a ** k` (`k` a plain int or float) | ... |
# | exp | `a.exp()` | ... |
# | log (natural) | `a.log()` | ... |
# | relu | `a.relu()` (`a` if `a > 0`, else `0`) | ... |
#
# "Atomic" means: we treat the operation as one indivisible step, and we will
# know its derivative directly. **Everything else is composed** from these
# six:
#
# | you write | composed as |
# |---|---|
# | `-a` | `a * -1` |
# | `a - b` | `a + (-b)` |
# | `a / b` | `a * b ** -1` |
# | `sqrt(a)` | `a ** 0.5` |
# | `sigmoid(a)` | `(1 + (-a).exp()) ** -1` |
# | `tanh(a)` | `((2 * a).exp() - 1) / ((2 * a).exp() + 1)` |
# | softmax, mean, cross-entropy, attention, a whole GPT | more of the same |
#
# Why bother? Because of what comes next. In A2 you will write one *local
# derivative rule* per kind of node; in A3 the chain rule will combine them
# over any graph. If every computation is built from six kinds of node, then
# **six rules are enough to differentiate anything**, including a whole GPT,
# however it was written. Add a seventh kind of node and you owe a seventh
# rule (and a seventh place for bugs to hide).
#
# The composition is not an approximation. Here is `tanh` built only from
# atomic operations, on plain floats for now, next to Python's own:

# %%
def tanh_from_atoms(x):
    """tanh using only mul, exp, add and pow by a constant (on plain floats)."""
    e = math.exp(2 * x)                   # mul, then exp
    return (e + -1) * (e + 1) ** -1       # add, add, pow by -1, mul


for x in [-2.0, -0.5, 0.0, 0.7, 3.0]:
    print(f"x = {x:5.2f}   from atoms: {tanh_from_atoms(x):+.12f}   math.tanh: {math.tanh(x):+.12f}")

# %% [markdown]
# ## 3. Why a slow, transparent artifact
#
# The `Value` you build today holds **one** number. A GPT made of them
# creates tens of thousands of Python objects for every training step; a
# step of the reference GPT of this course takes about a third of a second
# of CPU (A7's 200 training steps take a little over a minute). A tensor library
# such as PyTorch does the same mathematics on whole arrays at once, in
# optimised compiled code, thousands of times faster.
#
# We choose slow on purpose:
#
# - **Nothing is hidden.** Every intermediate number is a Python object you
#   can print; every edge of the computation can be followed by hand; every
#   derivative can be checked against a finite difference (A2). When
#   something is wrong (and while learning, something is always wrong), you
#   can look.
# - **The whole thing is small.** The complete GPT at the end of the course
#   is a couple of hundred lines you can read in one sitting.
# - **The mathematics is identical.** A tensor operation is many scalar
#   operations done at once. What you learn on scalars transfers one-to-one;
#   only the speed changes.

# %% [markdown]
# **SA2 (short answer, 3 points).** The `Value` we build is thousands of times
# slower than a tensor library. Give two different reasons why that is a good
# trade while *learning* how a GPT works, each with one sentence of
# explanation.

# %% [markdown] tags=["manual:sa2"]
# ### BEGIN SOLUTION
# 1. Transparency: every intermediate number and every edge of the graph is
#    an ordinary Python object, so I can print it, count it, and check each
#    step (for example compare a derivative with a finite difference); a fast
#    library hides these steps inside compiled kernels, so bugs and
#    misunderstandings are much harder to see.
# 2. The mathematics is the same: a tensor operation is just many scalar
#    operations at once, so understanding the scalar version transfers
#    directly, while the code stays small enough (a few hundred lines for a
#    whole GPT) to read and understand completely.
#
# (Also acceptable: small models train fast enough anyway; you build every
# piece yourself, so nothing works "by magic".)
# ### END SOLUTION

# %% [markdown]
# ## 4. The road ahead
#
# | | assignment | what you build | what it gives you |
# |---|---|---|---|
# | **A1** | **values** | `Value`, atomic operations, expression graphs | a record of how every number was computed |
# | A2 | derivatives | one local derivative rule per atomic operation | how each node's output moves with each input |
# | A3 | backprop | the chain rule over the graph (reverse mode) | the gradient of a loss for every parameter at once |
# | A4 | learning | SGD and Adam updates | parameters that improve themselves |
# | A5 | representations | tokens, vectors, matrices, embeddings, softmax | a bigram language model |
# | A6 | attention | queries, keys, values, heads, causal masking | tokens that look back at earlier tokens |
# | A7 | GPT | the whole model, its training and sampling | a GPT that invents names |
#
# Each assignment hands you what earlier ones built as reference code, so a
# slip here never costs you points later. But everything later stands on the
# graph you build now.
#
# ### What this course sets out to do, and what it does not
#
# The course is one path from first principles: from **computation**
# (numbers that remember how they were made) through **gradients** (how
# every number moves when another one does) and **learning** (parameters
# that improve themselves) to **representations** (tokens as vectors) and
# finally to **GPT behaviour** (a trained model that generates, and what
# it has learned). Every step is built by you and used by the next.
#
# It is deliberately narrow. It is *not* a survey of AI, nor production
# engineering (GPUs, tensor libraries, serving models at scale), nor prompt
# engineering, nor retrieval or agents built around a model, nor advanced
# interpretability research. All of those rest on the mechanism this course
# builds, and they are easier to learn once you have built it.

# %% [markdown]
# **SA7 (short answer, 3 points).** In your own words: what does this course
# set out to do, and name three things it deliberately does not cover. Why
# does it make sense to leave them out of a first course?

# %% [markdown] tags=["manual:sa7"]
# ### BEGIN SOLUTION
# It builds, from first principles, the whole chain that makes a GPT work:
# scalar computations recorded as a graph, their derivatives, backpropagation,
# learning by gradient steps (SGD, Adam), representations of tokens as
# vectors, attention, and finally a trained GPT whose behaviour we can
# examine. It does not survey AI in general, does not teach production
# engineering (tensor libraries, GPUs, deployment), prompt engineering,
# retrieval or agents, or advanced interpretability. Leaving them out keeps
# the path short enough to build every step yourself; and each of those
# topics uses the mechanism as a given, so they are easier to learn, and to
# judge, once the mechanism is understood.
# ### END SOLUTION

# %% [markdown]
# ## 5. The `Value` node
#
# A `Value` is one node of an expression graph. It is created as
#
# ```python
# Value(data, children=(), local_grads=(), op='')
# ```
#
# and holds five attributes:
#
# | attribute | meaning |
# |---|---|
# | `data` | the number (a float) |
# | `grad` | starts at `0.0`; A3 fills it with a derivative |
# | `_children` | a tuple of the `Value`s this node was computed from, in order |
# | `_local_grads` | one local derivative per child; **stays empty `()` in A1** (A2 fills it) |
# | `_op` | the operation that made it: `'add'`, `'mul'`, `'pow'`, `'exp'`, `'log'`, `'relu'`; `''` for a **leaf** |
#
# A **leaf** is a node made directly from a number, like `Value(2.0)`: it has
# no children and `_op == ''`.
#
# The constructor is given to you in full, and you can already build a graph
# by hand with it. Below, `s` stands for `x + y` and `t` for `s * x`; notice
# that `x` is used twice. The helper `show` prints the graph below a node as
# an indented tree, naming each node (`n0`, `n1`, ...) the first time it
# appears.

# %%
def show(root):
    """Print the graph below root as an indented tree.

    Each node is named (n0, n1, ...) the first time it is printed. A node
    reached again along another edge is printed again under the same name,
    so shared nodes are easy to spot (and the picture of a graph with much
    sharing gets long quickly).
    """
    names = {}

    def line(node, depth):
        name = names.setdefault(node, f"n{len(names)}")
        print(f"{'    ' * depth}{name}: {node._op or 'leaf':<4}  data={node.data:.6g}")
        for kid in node._children:
            line(kid, depth + 1)

    line(root, 0)

# %% [markdown]
# ### Python's special methods
#
# To make `a + b` build a node, `Value` defines **special methods**. Python
# turns operators into method calls:
#
# - `a + b` calls `a.__add__(b)`; likewise `__mul__`, `__pow__`, `__sub__`,
#   `__truediv__`; and `-a` calls `a.__neg__()`.
# - If the left operand does not know how to handle the right one, Python
#   tries the **reflected** method of the right operand. `2 + a` first calls
#   `int.__add__(2, a)`, which gives up, so Python calls `a.__radd__(2)`.
#   Inside a reflected method, **`self` is the right-hand operand** and
#   `other` is the left one: in `2 - a`, Python calls `a.__rsub__(2)`, which
#   must compute `2 - a`, not `a - 2`.
# - `c += x` with no `__iadd__` defined simply means `c = c + x`: a new node,
#   bound to the old name.
#
# Watch it happen with a toy class that announces every call:

# %%
class Loud:
    """A toy class that announces which special method Python calls."""

    def __add__(self, other):
        print(f"    Loud.__add__(self, other={other!r})")
        return "result of __add__"

    def __radd__(self, other):
        print(f"    Loud.__radd__(self, other={other!r})")
        return "result of __radd__"

    def __neg__(self):
        print("    Loud.__neg__(self)")
        return "result of __neg__"

    def __repr__(self):
        return "Loud()"


loud = Loud()
print("loud + 1  gives", repr(loud + 1))
print("1 + loud  gives", repr(1 + loud))
print("-loud     gives", repr(-loud))
n = loud
n += 2
print("n += 2    made n =", repr(n))

# %% [markdown]
# ### Numbers mixed with Values
#
# In `a * 3` the `3` is a plain number. Every child of a node must be a
# `Value`, so the operation first **wraps** a plain number as a leaf:
# `Value(3)`. A Value passed in is used as it is (never copied: the graph
# must point at the very object you gave it).
#
# The exponent of `a ** 3` is different: `pow` means "raise to a constant
# power", so the `3` is part of *which* operation is applied, like a setting.
# It is not wrapped and **not a child**: the pow node has exactly one child,
# `a`.

# %% [markdown]
# ## 6. Tasks A and B: the operations
#
# Everything goes into the `Value` class below. `__init__` and `__repr__` are
# given; you fill in the bodies marked `# YOUR CODE HERE`.
#
# **Task A (22 points): the six atomic operations.** Each returns a **new**
# `Value` holding
#
# - the forward value: the result of the operation on the input numbers
#   (`math.exp` and `math.log` give exp and the natural log);
# - the children: the input Values, in order: `(self, other)` for add and
#   mul, `(self,)` for pow, exp, log and relu;
# - the op name: `'add'`, `'mul'`, `'pow'`, `'exp'`, `'log'` or `'relu'`;
# - `local_grads` left empty: pass `()`.
#
# A plain number `other` in `__add__` and `__mul__` is wrapped as a leaf
# `Value` first. An operation never changes its inputs.
#
# **Task B (12 points): composed operations.** `__neg__`, `__sub__`,
# `__rsub__`, `__radd__`, `__rmul__`, `__truediv__` and `__rtruediv__` are
# built **only from the atomic operations you just wrote**: use `+`, `*`,
# `**` on Values (and numbers). Do not create `Value(...)` nodes of a new
# kind (no `'sub'`, no `'div'`), and do not compute on `.data` directly: a
# result computed from the numbers would be a fresh leaf, cut off from its
# inputs, and no derivative could ever flow back through it. Each one is a
# single short line.

# %% tags=["solution"]
class Value:
    """A scalar in an expression graph: a number plus a record of how it was made."""

    def __init__(self, data, children=(), local_grads=(), op=''):
        self.data = float(data)                 # the number this node holds
        self.grad = 0.0                         # d(output)/d(this node), from A3 on
        self._children = tuple(children)        # the Values this node was computed from
        self._local_grads = tuple(local_grads)  # one local derivative per child, from A2 on
        self._op = op                           # the atomic operation that made it; '' for a leaf

    def __repr__(self):
        return f"Value(data={self.data:.6g}, op={self._op!r})"

    # ---------- Task A: the six atomic operations ----------

    def __add__(self, other):
        """self + other: an 'add' node with children (self, other)."""
        ### BEGIN SOLUTION
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data + other.data, (self, other), (), 'add')
        ### END SOLUTION

    def __mul__(self, other):
        """self * other: a 'mul' node with children (self, other)."""
        ### BEGIN SOLUTION
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data * other.data, (self, other), (), 'mul')
        ### END SOLUTION

    def __pow__(self, exponent):
        """self ** exponent, exponent a plain int or float: a 'pow' node with the one child (self,)."""
        ### BEGIN SOLUTION
        assert isinstance(exponent, (int, float)), "the exponent must be a plain int or float"
        return Value(self.data ** exponent, (self,), (), 'pow')
        ### END SOLUTION

    def exp(self):
        """e ** self: an 'exp' node with the one child (self,)."""
        ### BEGIN SOLUTION
        return Value(math.exp(self.data), (self,), (), 'exp')
        ### END SOLUTION

    def log(self):
        """The natural logarithm of self: a 'log' node with the one child (self,)."""
        ### BEGIN SOLUTION
        return Value(math.log(self.data), (self,), (), 'log')
        ### END SOLUTION

    def relu(self):
        """self if self > 0, else 0: a 'relu' node with the one child (self,)."""
        ### BEGIN SOLUTION
        return Value(self.data if self.data > 0 else 0.0, (self,), (), 'relu')
        ### END SOLUTION

    # ---------- Task B: composed from the atomic operations only ----------

    def __neg__(self):
        """-self"""
        ### BEGIN SOLUTION
        return self * -1
        ### END SOLUTION

    def __radd__(self, other):
        """other + self, when other is a plain number."""
        ### BEGIN SOLUTION
        return self + other
        ### END SOLUTION

    def __sub__(self, other):
        """self - other"""
        ### BEGIN SOLUTION
        return self + (-other)
        ### END SOLUTION

    def __rsub__(self, other):
        """other - self, when other is a plain number."""
        ### BEGIN SOLUTION
        return other + (-self)
        ### END SOLUTION

    def __rmul__(self, other):
        """other * self, when other is a plain number."""
        ### BEGIN SOLUTION
        return self * other
        ### END SOLUTION

    def __truediv__(self, other):
        """self / other"""
        ### BEGIN SOLUTION
        other = other if isinstance(other, Value) else Value(other)
        return self * other ** -1
        ### END SOLUTION

    def __rtruediv__(self, other):
        """other / self, when other is a plain number."""
        ### BEGIN SOLUTION
        return other * self ** -1
        ### END SOLUTION

# %% [markdown]
# ### Check Task A

# %% tags=["checks:atomic_ops"]
a, b = Value(2.0), Value(-3.0)

c = a + b
assert isinstance(c, Value), "a + b should return a new Value"
assert math.isclose(c.data, -1.0), "(a + b).data should be a.data + b.data"
assert c._children == (a, b), "a + b should record its inputs: _children == (a, b), in that order"
assert c._op == 'add', "the node made by a + b should have _op == 'add'"
assert c._local_grads == (), "leave _local_grads empty (pass ()): A2 fills it in"
assert a.data == 2.0 and a._children == (), "a + b must not change a"

m = a * b
assert isinstance(m, Value) and math.isclose(m.data, -6.0), "(a * b).data should be a.data * b.data"
assert m._children == (a, b) and m._op == 'mul', "a * b should be a 'mul' node with _children == (a, b)"
assert (a * a)._children == (a, a), "a * a uses the same Value twice: _children == (a, a)"

k = a + 5
assert isinstance(k._children[1], Value), "a plain number should be wrapped as a Value before it becomes a child"
assert k._children[1].data == 5.0 and k._children[1]._children == () and k._children[1]._op == '', \
    "a wrapped number should be a leaf: Value(5) with no children and _op ''"
assert isinstance((a * 3)._children[1], Value), "a * 3 should wrap 3 as a leaf Value too"

p = a ** 3
assert isinstance(p, Value) and math.isclose(p.data, 8.0), "(a ** 3).data should be a.data ** 3"
assert p._children == (a,), "the exponent is part of the operation, not a child: (a ** 3)._children == (a,)"
assert p._op == 'pow', "a ** 3 should have _op == 'pow'"
assert math.isclose((a ** -1).data, 0.5) and math.isclose((Value(9.0) ** 0.5).data, 3.0), \
    "pow should work for negative and fractional exponents"

e = a.exp()
assert isinstance(e, Value) and math.isclose(e.data, math.exp(2.0)), "a.exp().data should be math.exp(a.data)"
assert e._children == (a,) and e._op == 'exp', "a.exp() should be an 'exp' node with _children == (a,)"

g = a.log()
assert isinstance(g, Value) and math.isclose(g.data, math.log(2.0)), "a.log() should be the natural log of a.data"
assert g._children == (a,) and g._op == 'log', "a.log() should be a 'log' node with _children == (a,)"

r = b.relu()
assert isinstance(r, Value), "relu() should return a Value, not a plain number"
assert r.data == 0.0, "relu() of a negative number should be 0.0"
assert r._children == (b,) and r._op == 'relu', "b.relu() should be a 'relu' node with _children == (b,)"
assert a.relu().data == 2.0 and Value(0.0).relu().data == 0.0, "relu() should keep positive numbers and map 0 to 0"
print("atomic_ops checks passed")

# %% [markdown]
# **SA5 (short answer, 3 points).** In `x * 3` the number `3` is wrapped as a
# leaf `Value` and becomes a child of the mul node. In `x ** 3` the `3` is
# not a child at all. Explain the difference, and why it is the right choice
# for the derivative rules that A2 will attach to each child.

# %% [markdown] tags=["manual:sa5"]
# ### BEGIN SOLUTION
# `pow` here means "raise to a constant power": the exponent is part of
# *which* operation is applied (x ↦ x³ is a different function from x ↦ x²),
# a setting of the node rather than an input that a value flows in from, so
# the node has exactly one input, x. In `x * 3` both operands play the same
# role: either could be a parameter or a computed value, so mul always has
# two children, and a constant that happens to be fixed is simply wrapped as
# a leaf so that every child is a `Value` and graph code never needs a
# special case for numbers. For A2 this means one local derivative per
# child: pow needs only d(x^k)/dx = k·x^(k-1); we never need a derivative
# with respect to the exponent (which would involve log x and fail for
# x ≤ 0). For mul, the derivative with respect to the wrapped constant is
# computed but harmless: a leaf that is not a parameter is never updated.
# ### END SOLUTION

# %% [markdown]
# ### Check Task B
#
# These checks walk the graph of each composed result and make sure it
# contains only atomic kinds of node and still reaches its inputs. They build
# on add, mul and pow, so they first make sure those pass Task A's checks.

# %% tags=["checks:composed_ops"]
def _atomic_ops_ready():
    """Whether add, mul and pow, which Task B builds on, make the right nodes (Task A's checks say more)."""
    try:
        x, y = Value(3.0), Value(-2.0)
        made = [(x + y, 1.0, (x, y), 'add'), (x * y, -6.0, (x, y), 'mul'), (x ** 2, 9.0, (x,), 'pow')]
        wrapped = (x + 1)._children[1]
        return (all(isinstance(node, Value) and node.data == data and node._children == kids and node._op == op
                    for node, data, kids, op in made)
                and isinstance(wrapped, Value) and wrapped._children == () and x.data == 3.0 and y.data == -2.0)
    except Exception:
        return False


def _reachable(root):
    """Every node below root (a small helper for these checks)."""
    seen, stack = set(), [root]
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack.extend(node._children)
    return seen


assert _atomic_ops_ready(), \
    "add, mul or pow does not pass Task A's checks yet: fix Task A first (run its checks cell), Task B is built on them"
a, b = Value(-4.0), Value(2.0)
cases = [
    ("-a", -a, 4.0, (a,)),
    ("a - b", a - b, -6.0, (a, b)),
    ("a - 1", a - 1, -5.0, (a,)),
    ("1 - a", 1 - a, 5.0, (a,)),
    ("1 + a", 1 + a, -3.0, (a,)),
    ("3 * a", 3 * a, -12.0, (a,)),
    ("a / b", a / b, -2.0, (a, b)),
    ("a / 8", a / 8, -0.5, (a,)),
    ("8 / a", 8 / a, -2.0, (a,)),
]
for expr, result, value, inputs in cases:
    assert isinstance(result, Value), f"{expr} should return a Value"
    assert math.isclose(result.data, value), f"{expr} has the wrong value"
    nodes = _reachable(result)
    kinds = {node._op for node in nodes}
    assert kinds <= {'add', 'mul', 'pow', 'exp', 'log', 'relu', ''}, \
        f"{expr} should be built from atomic operations only, found node kinds {kinds}"
    assert all(x in nodes for x in inputs), \
        f"{expr} should stay connected to its inputs: build it from Value operations, not from .data"
assert a.data == -4.0 and b.data == 2.0, "composed operations must not change their inputs"
print("composed_ops checks passed")

# %% [markdown]
# **Q2 (auto-graded, 5 points).** Why are `__neg__`, `__sub__` and
# `__truediv__` composed from the atomic operations instead of getting nodes
# of their own (`'neg'`, `'sub'`, `'div'`)?
#
# - **a.** Composed operations run faster than a single node would.
# - **b.** Every kind of node needs its own derivative rule; with only six
#   kinds, six rules cover every expression, however it was written.
# - **c.** Python does not allow a class to define its own `__sub__` or
#   `__truediv__`.
# - **d.** Composition makes the forward values exactly equal to those of
#   plain float arithmetic.
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
# ## 7. Task C: every node of a graph, once (12 points)
#
# An expression graph is a **directed acyclic graph** (DAG): edges go from a
# node to its children, and following them always ends at leaves. It is not
# always a tree, because one node can be used many times. In the graph you
# built by hand above, `x` is a child of both `s` and `t`, and `show` prints it
# twice:

# %%
x = Value(2.0)
y = Value(3.0)
s = Value(5.0, (x, y), (), 'add')    # s stands for x + y
t = Value(10.0, (s, x), (), 'mul')   # t stands for s * x: x is used twice
show(t)

# %% [markdown]
# `n2` (that is `x`) appears twice in the picture, but it is **one**
# object. Write `graph_nodes(root)`: return a list of every node reachable
# from `root` (including `root` itself), each **exactly once**, in any order.
# For the graph above that is 4 nodes, not 5.
#
# Hints:
#
# - Start at the root and follow `_children` all the way down to the leaves,
#   not just one level.
# - Keep a `set` of the nodes you have already visited, and skip a node you
#   meet again. `Value` does not define `==`, so a set compares nodes by
#   identity: two different nodes holding the same number stay different,
#   which is exactly what we want.
# - A recursive helper function is the shortest solution; a loop with an
#   explicit stack works just as well.

# %% tags=["solution"]
def graph_nodes(root):
    """Every node reachable from root (root included), each exactly once."""
    ### BEGIN SOLUTION
    nodes, visited = [], set()

    def visit(node):
        if node not in visited:
            visited.add(node)
            nodes.append(node)
            for child in node._children:
                visit(child)

    visit(root)
    return nodes
    ### END SOLUTION

# %% tags=["checks:graph_nodes"]
x, y = Value(2.0), Value(3.0)
s = Value(5.0, (x, y), (), 'add')
t = Value(10.0, (s, x), (), 'mul')
nodes = graph_nodes(t)
assert isinstance(nodes, list), "graph_nodes should return a list"
assert len(nodes) == 4, "graph_nodes should list each node once: t, s, x and y"
assert set(nodes) == {t, s, x, y}, "graph_nodes should return exactly the nodes reachable from the root"
assert graph_nodes(x) == [x], "the graph of a leaf is just the leaf itself"

chain = [Value(1.0)]
for _ in range(6):
    chain.append(Value(0.0, (chain[-1],), (), 'exp'))
assert set(graph_nodes(chain[-1])) == set(chain), "follow children all the way down, not just one level"

sq = Value(4.0, (x, x), (), 'mul')
assert len(graph_nodes(sq)) == 2, "x * x has two nodes: x is listed once even though it is used twice"
assert set(graph_nodes(s)) == {s, x, y}, "nodes above the root (like t above s) are not reachable from it"
print("graph_nodes checks passed")

# %% [markdown]
# **Q1 (auto-graded, 5 points).** Consider
#
# ```python
# x = Value(2.0)
# y = x * x + 3 * x
# ```
#
# How many nodes does `graph_nodes(y)` return? Work it out on paper first
# (draw the graph: which nodes does each operation create?), then confirm
# with your code. Set `ANSWER_Q1` to an int.

# %% tags=["solution"]
# ANSWER_Q1 = an int
### BEGIN SOLUTION
ANSWER_Q1 = 5
### END SOLUTION

# %% tags=["checks:q1"]
assert "ANSWER_Q1" in globals(), "set ANSWER_Q1 in the cell above (replace the raise line) and run it"
assert isinstance(ANSWER_Q1, int) and not isinstance(ANSWER_Q1, bool), "ANSWER_Q1 should be an int"
assert ANSWER_Q1 > 0, "a graph has at least one node"
print("q1 format checks passed")

# %% [markdown]
# **SA3 (short answer, 3 points).** Why does `graph_nodes` need to remember
# which nodes it has already visited? Give a small expression where forgetting
# it goes wrong, say what goes wrong, and say what happens on a graph built by
# repeating `x = x + x` thirty times.

# %% [markdown] tags=["manual:sa3"]
# ### BEGIN SOLUTION
# A node can be used by several parents (a shared sub-expression), so a
# traversal reaches it once along every path from the root. In `y = x * x`
# the mul node has children `(x, x)`: without a visited set `x` is listed
# twice, so the node count is wrong, and later (A3) its gradient contribution
# would be handled twice. The same happens in a diamond such as
# `d = (a * b) + a`, where `a` is reached directly and through `a * b`.
# Repeating `x = x + x` thirty times creates only 31 nodes, but the number of
# paths from the root to the first leaf doubles at every step: 2^30, about a
# billion. A traversal without a visited set follows every path, so it lists
# the leaf about a billion times and effectively never finishes; with the set
# it does 31 visits.
# ### END SOLUTION

# %% [markdown]
# ## 8. Task D: a topological order (13 points)
#
# A **topological order** lists every node of the graph once, with **each
# node after all of its children**. The root therefore comes last and leaves
# come early. It is the order in which the values could have been computed:
# when you reach a node, everything it depends on has been computed already.
#
# In A3, backpropagation walks this list **backwards**, from the root to the
# leaves. Walking backwards guarantees that a node is handled only after
# *all* the nodes that use it, so that every contribution to its gradient has
# arrived before it is passed further down.
#
# Write `topological_order(root)`: every node reachable from `root` exactly
# once, each after all of its children, `root` last. A graph usually has
# many valid orders; any of them is accepted.
#
# Hint: it is `graph_nodes` with one change of timing. Visit a node's
# children first, and only **then** append the node itself ("post-order").
# Keep the visited set: shared nodes still appear once.

# %% tags=["solution"]
def topological_order(root):
    """Every node reachable from root once, each after all its children, root last."""
    ### BEGIN SOLUTION
    order, visited = [], set()

    def visit(node):
        if node not in visited:
            visited.add(node)
            for child in node._children:
                visit(child)
            order.append(node)

    visit(root)
    return order
    ### END SOLUTION

# %% tags=["checks:topological_order"]
x, y = Value(2.0), Value(3.0)
s = Value(5.0, (x, y), (), 'add')
t = Value(10.0, (s, x), (), 'mul')
order = topological_order(t)
assert isinstance(order, list), "topological_order should return a list"
assert len(order) == 4 and set(order) == {t, s, x, y}, "every reachable node should appear exactly once"
assert order[-1] is t, "the root should come last"
assert order.index(s) > order.index(x) and order.index(s) > order.index(y), "s should come after its children x and y"
assert topological_order(x) == [x], "the order of a leaf is just the leaf"

chain = [Value(1.0)]
for _ in range(6):
    chain.append(Value(0.0, (chain[-1],), (), 'relu'))
assert topological_order(chain[-1]) == chain, "a chain has only one valid order: bottom to top"
sq = Value(4.0, (x, x), (), 'mul')
assert topological_order(sq) == [x, sq], "x * x: x once, then the product"
print("topological_order checks passed")

# %% [markdown]
# **Q3 (auto-graded, 5 points).** Take
#
# ```python
# a = Value(1.0)
# b = Value(2.0)
# c = a * b
# d = c + a
# ```
#
# Which of these lists is a valid topological order of the graph of `d`?
#
# - **a.** `[d, c, b, a]`
# - **b.** `[a, c, b, d]`
# - **c.** `[b, a, c, d]`
# - **d.** `[a, b, d, c]`
#
# Set `ANSWER_Q3` to one letter.

# %% tags=["solution"]
# ANSWER_Q3 = one letter: "a", "b", "c" or "d"
### BEGIN SOLUTION
ANSWER_Q3 = "c"
### END SOLUTION

# %% tags=["checks:q3"]
assert "ANSWER_Q3" in globals(), "set ANSWER_Q3 in the cell above (replace the raise line) and run it"
assert ANSWER_Q3 in ("a", "b", "c", "d"), 'ANSWER_Q3 should be one lower-case letter: "a", "b", "c" or "d"'
print("q3 format checks passed")

# %% [markdown]
# **SA4 (short answer, 3 points).** Explain why each node must come after all
# of its children in `topological_order`. Describe how A3's backpropagation
# will use the order, and what would go wrong if a node were placed before
# one of its children.

# %% [markdown] tags=["manual:sa4"]
# ### BEGIN SOLUTION
# A node's value is computed from its children, so an order with children
# first is an order in which the forward computation could be replayed: each
# node's inputs are ready when it is reached. Backpropagation walks the order
# in reverse, starting at the root with gradient 1. Each node passes its
# gradient down to its children (times the local derivative), and a node's
# gradient is only complete once *every* parent that uses it has added its
# contribution. In the reversed order every parent comes before its
# children, so this is guaranteed. If a node P were placed before one of its
# children C, then in reverse C would be processed before P: C would pass an
# incomplete gradient further down (missing P's contribution), and the
# gradients of C and everything below it would be wrong.
# ### END SOLUTION

# %% [markdown]
# ## 9. Milestone: micrograd's expression (5 points)
#
# micrograd, the tiny autograd engine this course's `Value` is modelled on,
# shows this expression in its README. It uses almost everything you wrote:
# every atomic operation except exp and log, negation, subtraction, division,
# numbers on both sides, `+=`, and shared sub-expressions. With correct
# operations, `g.data` is **24.7041** (to 4 places).

# %% tags=["checks:milestone"]
a = Value(-4.0)
b = Value(2.0)
c = a + b
d = a * b + b**3
c += c + 1
c += 1 + c + (-a)
d += d * 2 + (b + a).relu()
d += 3 * d + (b - a).relu()
e = c - d
f = e**2
g = f / 2.0
g += 10.0 / f
print(f"g.data = {g.data:.4f}")
assert isinstance(g, Value), "the expression should produce a Value"
assert round(g.data, 4) == 24.7041, "g.data should be 24.7041: check the operations the expression uses"
assert a.data == -4.0 and b.data == 2.0, "building the expression must not change a or b"
print("milestone checks passed")

# %% [markdown]
# ## 10. Look at what you built
#
# Take the milestone expression apart with your own `graph_nodes` and
# `topological_order`: how many nodes, of which kinds, and how deep. Paste
# this into a new cell below the milestone, run it, and delete the cell again
# before you submit (the grader runs every code cell you leave in the
# notebook). Every one of these nodes will carry a gradient in A3.
#
# ```python
# from collections import Counter
#
# nodes = graph_nodes(g)
# order = topological_order(g)
# print(len(nodes), "nodes, by kind:", dict(Counter(node._op or 'leaf' for node in nodes)))
# print("first five in topological order:", order[:5])
# print("last in topological order (the root):", order[-1])
#
# depth = {}
# for node in order:  # children come first, so their depths are known already
#     depth[node] = 1 + max((depth[child] for child in node._children), default=-1)
# print("longest path from a leaf to g:", depth[g], "operations")
# ```
#
# With division written as `self * other ** -1` (a number wrapped first) you
# should see 40 nodes (11 leaves, 15 add, 8 mul, 4 pow, 2 relu) and a longest
# path of 14 operations; other correct ways of composing division or negation
# give slightly different counts.

# %% [markdown]
# ## What's next
#
# You now have a graph that records how every number was computed, and two
# ways to walk it. In **A2** each atomic operation learns its *local
# derivative*, stored in `_local_grads`, one per child. In **A3** the chain
# rule runs over your topological order, backwards, and `grad` fills up: for
# micrograd's expression you will get `a.grad = 138.8338` and
# `b.grad = 645.5773`.
