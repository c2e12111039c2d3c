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
# # A3 · Backprop: the chain rule on a graph
#
# In A1 every number learned to remember how it was made; in A2 every atomic
# operation learned its *local* derivative, stored in `_local_grads`, one per
# child. This assignment joins the two: **backpropagation**, the chain rule
# run over a whole expression graph in one sweep, from the output back to the
# inputs. After it, one call fills in `grad` on every node: how much the
# output moves when that node moves a little. That is the number A4 uses to
# train, and the number that trains the GPT of A7.
#
# By the end of this notebook you will have
#
# - `backward(root)`: the gradient of `root` with respect to **every** node
#   below it, by **reverse-mode accumulation** over a **topological order**
#   that you build yourself, without recursion, so that graphs thousands of
#   operations deep work too;
# - `zero_grad(nodes)`: the reset a training loop needs, because gradients
#   **accumulate**;
# - `grad_of(f, xs)`: the gradient of any function of Values at any point,
#   checked against finite differences.
#
# ### How this notebook works
#
# - Cells that contain `# YOUR CODE HERE` are yours: replace the
#   `raise NotImplementedError()` line with your code. Leave every other cell
#   as it is.
# - After each task, a **checks** cell runs a few visible checks. Passing
#   them means you are on the right track, not that you are done: the grader
#   runs hidden tests on inputs drawn fresh for every submission, including
#   awkward cases (nodes used several times, random graphs, very deep
#   graphs, calling `backward` twice, ...).
# - Along the way come **tiny checkpoints**: three questions graded
#   automatically (you set a variable such as `ANSWER_Q1`) and five short
#   written answers graded by hand.
# - The whole notebook runs in a second or two. Run it top to bottom
#   (*Kernel → Restart & Run All*) before you submit.
#
# | Part | Points |
# |---|---|
# | Task A: `backward`, the chain rule along the graph | 15 |
# | Task A: shared nodes and accumulation | 15 |
# | Task A: reverse topological order | 12 |
# | Task A: deep graphs | 6 |
# | Task B: `zero_grad` | 7 |
# | Task C: `grad_of` | 10 |
# | Milestone: micrograd's gradients | 5 |
# | Q1–Q3 (auto-graded) | 15 |
# | SA1–SA5 (short answers, graded by hand) | 15 |
# | **Total** | **100** |

# %% [markdown]
# ## 1. What you start from
#
# The cell below is the reference code from A1 and A2, complete and correct,
# so that this assignment is graded on backpropagation alone. Read it once:
#
# - the six local derivative rules of A2 (`d_add`, ..., `d_relu`), each
#   returning one partial derivative per input at the given numbers;
# - the `Value` class of A1, whose atomic operations now call those rules and
#   store the result in `_local_grads`, **one number per child, in the same
#   order as `_children`**, at the moment the node is created (the forward
#   pass);
# - `graph_nodes(root)` from A1: every node below `root`, once. It is
#   written with an explicit stack instead of recursion; section 5 explains
#   why that matters.
#
# `grad` starts at `0.0` on every node and nothing in this cell changes it.
# Filling it in is your job.

# %%
import math
import sys

from provided.values import Value, graph_nodes

# %% [markdown]
# Each node already knows how it moves with each of its children. For
# `c = a * b`, the derivative of `c` with respect to `a` is `b`, and with
# respect to `b` it is `a`:

# %%
a, b = Value(2.0), Value(-3.0)
c = a * b
print("c =", c)
print("children:   ", c._children)
print("local grads:", c._local_grads, " (dc/da = b.data, dc/db = a.data)")

# %% [markdown]
# Those are *local* facts: one edge of the graph at a time. What we want is
# *global*: how does the **final output** move when a node deep inside the
# graph moves? The rest of this notebook turns local into global.
#
# To check our answers we use a slow but honest tool from A2: the **central
# difference**. Nudge one input up and down by a tiny `h`, run the forward
# pass twice, and divide the change in the output by `2h`. It needs two
# forward passes per input and is only approximately right, but it is never
# *structurally* wrong, which makes it the perfect referee.

# %%
def numerical_gradient(f, xs, h=1e-6):
    """Central differences of f(*values) at the floats xs: forward passes only, for checking."""
    grads = []
    for i in range(len(xs)):
        up = [Value(x + h if j == i else x) for j, x in enumerate(xs)]
        down = [Value(x - h if j == i else x) for j, x in enumerate(xs)]
        grads.append((f(*up).data - f(*down).data) / (2 * h))
    return grads


print(numerical_gradient(lambda a, b: a * b, [2.0, -3.0]))   # about [-3.0, 2.0]

# %% [markdown]
# ## 2. One path: the chain rule
#
# Take `y = exp(a * b)`. Name the middle node `m = a * b`. The graph is a
# single path from `y` down to `a`: `y → m → a`. The chain rule says that
# small changes *multiply* along a path:
#
# $$\frac{\partial y}{\partial a} = \frac{\partial y}{\partial m}\cdot\frac{\partial m}{\partial a} = e^{m}\cdot b .$$
#
# If `a` moves by a tiny ε, `m` moves by `b·ε`, and then `y` moves by
# `e^m · (b·ε)`. Each factor is a local gradient the nodes already store, so
# the whole derivative is a product of numbers we can read off the graph:

# %%
a, b = Value(0.5), Value(-1.2)
m = a * b
y = m.exp()
dy_dm = y._local_grads[0]        # the exp node's only child is m
dm_da = m._local_grads[0]        # the mul node's first child is a
print("product of local grads along y -> m -> a:", dy_dm * dm_da)
print("finite differences:                      ", numerical_gradient(lambda a, b: (a * b).exp(), [0.5, -1.2])[0])

# %% [markdown]
# ## 3. Many paths: add them up
#
# Real graphs are not single paths: a node can be used many times. Take
#
# ```python
# p = x * y
# q = x * z
# f = p * q          # f = x² y z
# ```
#
# Now `x` influences `f` along **two** paths, `f → p → x` and `f → q → x`.
# Nudging `x` nudges both `p` and `q`, and their effects on `f` add up. This
# is the **multivariable chain rule**:
#
# > The derivative of the output with respect to a node is the **sum over
# > every path** from the output down to that node of the **product of the
# > local derivatives** along the path.
#
# The function below is that sentence, written literally as a recursion over
# paths. Check it against the algebra: `∂f/∂x = 2xyz`.

# %%
def grad_by_paths(node, target):
    """d(node)/d(target): the sum over every path from node down to target of the product of local grads."""
    if node is target:
        return 1.0
    return sum(local * grad_by_paths(child, target)
               for child, local in zip(node._children, node._local_grads, strict=True))


x, y, z = Value(2.0), Value(3.0), Value(-1.0)
p, q = x * y, x * z
f = p * q
print("path f -> p -> x:", q.data * y.data)
print("path f -> q -> x:", p.data * z.data)
print("sum over paths:  ", grad_by_paths(f, x), "   2xyz =", 2 * x.data * y.data * z.data)
print("d f / d y, d z:  ", grad_by_paths(f, y), grad_by_paths(f, z))

# %% [markdown]
# Correct, but look at the cost. The number of paths can grow
# **exponentially** with the size of the graph. Repeating `v = v + v` builds
# a graph with one new node per step, but every step doubles the number of
# paths down to the first leaf:

# %%
def count_paths(node, target):
    """How many paths lead from node down to target, counted one by one (as grad_by_paths walks them)."""
    if node is target:
        return 1
    return sum(count_paths(child, target) for child in node._children)


for steps in (8, 10, 12, 14):
    leaf = Value(1.0)
    v = leaf
    for _ in range(steps):
        v = v + v
    print(f"{steps:2d} steps: {len(graph_nodes(v)):2d} nodes, {count_paths(v, leaf):6d} paths, "
          f"gradient by paths {grad_by_paths(v, leaf):6.0f}")

# %% [markdown]
# Every step adds one node and doubles the number of paths, and with it the
# work of `grad_by_paths` (time it if you like: every two more steps take
# about four times as long). A GPT's graph has tens of
# thousands of nodes and astronomically many paths; summing them one by one
# is out of the question. Section 4 computes exactly the same sums with
# **one visit per node**.

# %% [markdown]
# **SA1 (short answer, 3 points).** For `f = (x * y) * (x * z)`, list the
# paths from `f` down to `x` and the product of local derivatives along each.
# Explain why `x.grad` is the *sum* of these products, and why computing
# gradients path by path is hopeless for the graph built by repeating
# `v = v + v` thirty times.

# %% [markdown] tags=["manual:sa1"]
# ### BEGIN SOLUTION
# There are two paths: f → p → x with product (∂f/∂p)(∂p/∂x) = q·y = xz·y,
# and f → q → x with product (∂f/∂q)(∂q/∂x) = p·z = xy·z. Moving x by a tiny
# ε moves p by y·ε and q by z·ε at the same time, and f responds to both
# changes; to first order the effects add, so ∂f/∂x = xyz + xyz = 2xyz
# (which matches differentiating f = x²yz directly). Each path is one way
# the change can travel, and the chain rule multiplies along a path and
# sums over paths. Repeating v = v + v thirty times creates only 31 nodes,
# but each step doubles the number of paths to the first leaf: 2^30, about
# a billion paths (the gradient itself is 2^30). Enumerating them does a
# billion multiplications for a 31-node graph; reverse mode gets the same
# number with one visit per node, because shared partial sums are computed
# once and reused.
# ### END SOLUTION

# %% [markdown]
# **Q1 (auto-graded, 5 points).** Consider
#
# ```python
# x = Value(2.0)
# v = x
# for _ in range(5):
#     v = v + v + v
# ```
#
# What is the derivative of `v` with respect to `x` (the value `x.grad`
# will have after `backward(v)`)? Work it out by counting paths (how many
# paths does one step add, from the new `v` down to the old one?), then
# confirm with `grad_by_paths`. Set `ANSWER_Q1` to a number.

# %% tags=["solution"]
# ANSWER_Q1 = a number
### BEGIN SOLUTION
ANSWER_Q1 = 243
### END SOLUTION

# %% tags=["checks:q1"]
assert "ANSWER_Q1" in globals(), "set ANSWER_Q1 in the cell above (replace the raise line) and run it"
assert isinstance(ANSWER_Q1, (int, float)) and not isinstance(ANSWER_Q1, bool), "ANSWER_Q1 should be a number"
print("q1 format checks passed")

# %% [markdown]
# ## 4. Reverse mode: one sweep from the output down
#
# Group the paths differently. Every path from the output `root` down to a
# node `n` ends with one last edge, from some **user** `u` of `n` (a node
# that has `n` as a child) down to `n`. So the sum over all paths is
#
# $$\frac{\partial\,\text{root}}{\partial n} \;=\; \sum_{\text{users } u \text{ of } n}
#   \frac{\partial\,\text{root}}{\partial u}\cdot\frac{\partial u}{\partial n}.$$
#
# In words: **a node's gradient is the sum, over the nodes that use it, of
# the user's gradient times the local gradient of that edge.** Once every
# user of `n` has its final gradient, `n`'s gradient is a handful of
# multiply-adds. Backpropagation organises the whole computation around
# this:
#
# 1. **Seed** the output: `root.grad = 1.0`, since d(root)/d(root) = 1.
# 2. Visit the nodes so that **every node comes after all of its users**.
# 3. When you visit a node, its `grad` is complete. **Push** it down each
#    edge: add `local_grad * node.grad` into that child's `grad`. A child
#    used by several nodes receives several contributions, and they must
#    **add up**: that is the sum over users.
#
# "Every node after all of its users" is exactly a **topological order
# walked backwards** (in a topological order every node comes after its
# children, so reversed, every node comes after its parents). Here is the
# sweep on `f = (x * y) * (x * z)` with `x = 2`, `y = 3`, `z = -1`, so
# `p = 6`, `q = -2`, `f = -12`. One topological order is
# `x, y, p, z, q, f`; reversed:
#
# | step | node | its grad (complete) | pushes down (local grad × grad) |
# |---|---|---|---|
# | 1 | `f = p*q` | 1 (the seed) | `p.grad += q·1 = -2`, `q.grad += p·1 = 6` |
# | 2 | `q = x*z` | 6 | `x.grad += z·6 = -6`, `z.grad += x·6 = 12` |
# | 3 | `z` (leaf) | 12 | nothing: no children |
# | 4 | `p = x*y` | -2 | `x.grad += y·(-2) = -6`, so `x.grad = -12`; `y.grad += x·(-2) = -4` |
# | 5 | `y` (leaf) | -4 | nothing |
# | 6 | `x` (leaf) | -12 | nothing |
#
# `x.grad = -12 = 2xyz`, `y.grad = -4 = x²z`, `z.grad = 12 = x²y`: the same
# numbers as the path sums, and every node was visited **once**. `x`
# received one contribution from `q` and one from `p`, and only the
# **sum** is right. The cost is one multiply-add per edge: about the cost of
# the forward pass itself, however many paths there are.
#
# This is **reverse-mode** differentiation: one sweep gives the derivative
# of one output with respect to *every* node at once. A training loss is one
# output and a GPT has thousands of parameters, which is exactly the case
# where reverse mode wins.

# %% [markdown]
# ## 5. A topological order without recursion
#
# In A1 you wrote `topological_order` recursively, probably much like this
# (shown for reading; it is not defined in this notebook):
#
# ```python
# def topological_order(root):
#     order, seen = [], set()
#
#     def visit(node):
#         if node not in seen:
#             seen.add(node)
#             for kid in node._children:
#                 visit(kid)
#             order.append(node)
#
#     visit(root)
#     return order
# ```
#
# It is correct, and on small graphs it is all you need. But every nested
# call to `visit` is a frame on Python's call stack, and Python refuses to
# go deeper than its **recursion limit** (about 1,000 frames by default): it
# raises `RecursionError` instead. Graphs that deep are normal. Adding up
# 5,000 numbers with `sum()` builds a chain of 5,000 add nodes, one on top
# of the other, and a loss averaged over a data set of 5,000 examples is
# exactly that. So is a long sequence processed one step at a time.

# %%
def depth_below(node):
    """Length of the longest path from node down to a leaf, computed recursively."""
    return 1 + max((depth_below(child) for child in node._children), default=-1)


small = sum(Value(float(i)) for i in range(50))
print("depth of a sum of 50 Values:", depth_below(small))
total = sum(Value(float(i)) for i in range(5000))   # the shape of a mean loss over 5,000 examples
try:
    depth_below(total)
except RecursionError as error:
    print("a sum of 5,000 Values:", type(error).__name__, "-", error)
print("Python's recursion limit here:", sys.getrecursionlimit())

# %% [markdown]
# Raising the limit (`sys.setrecursionlimit`) only moves the wall, and
# past a point the interpreter itself can crash. The robust fix is to keep
# the "to do" list yourself: an **explicit stack** (a Python list you
# `append` to and `pop` from) replaces the call stack, and a list can grow to
# millions of entries. `graph_nodes` above does this for a pre-order walk.
#
# A post-order walk (children first) needs one extra idea, because a node
# must be appended only *after* all of its children are finished. Two
# standard ways:
#
# - **Push a node twice.** Put pairs `(node, children_done)` on the stack.
#   Popping `(node, False)` for a node not yet visited: mark it visited, push
#   `(node, True)` back, then push its children with `False`. Because the
#   stack is last-in-first-out, all of the children are finished before
#   `(node, True)` comes back up, and that is when the node joins the order.
# - **Kahn's algorithm.** Count, for every node, its **incoming edges**:
#   how many times it appears in the `_children` of the nodes of the graph
#   (`graph_nodes` gives you every node). A node used twice by the same
#   parent, as `a` in `a * a`, has two incoming edges from that one parent,
#   so count edges, not parents. Start a list of "ready" nodes with just the
#   root. Repeatedly take a ready node, put it in the order, and decrease the
#   count of each entry of its `_children` (once per edge); a child whose
#   count reaches zero has all of its users in the order, so it becomes
#   ready. This produces the *reversed* topological
#   order directly, which is precisely the order backward needs.
#
# Either way, keep the **visited set** (or the counts): a node used twice
# must still be processed once.

# %% [markdown]
# ## 6. Task A: `backward` (48 points)
#
# Write `backward(root)`:
#
# 1. Build an order of every node reachable from `root` in which **each node
#    comes after all of its children** (a topological order), each node
#    **once**, **without recursion** (see section 5). Write it inside
#    `backward`, or as a helper function of your own in the same cell.
# 2. Set `root.grad = 1.0`.
# 3. Walk the order **backwards** (root first). For each node, for each
#    pair `(child, local_grad)` of `zip(node._children, node._local_grads)`,
#    **add** `local_grad * node.grad` into `child.grad`.
#
# Rules that the tests check:
#
# - **Accumulate, never overwrite**: use `+=` into `child.grad`. A child used
#   twice (even twice by the same node, as in `a * a`) must receive both
#   contributions.
# - `backward` does **not** reset anything: it does not set the other nodes'
#   grads to zero first (clearing is `zero_grad`'s job, Task B). Calling it
#   twice without `zero_grad` in between therefore **doubles** the gradients
#   of the root's children (the root itself is set to `1.0` again).
# - Nodes that are not below `root` are not touched.
# - It must work on graphs **5,000 operations deep**.
#
# `backward` returns nothing; the results are the `grad` attributes.

# %% tags=["solution"]
def backward(root):
    """Fill .grad of every node below root with d(root)/d(node), by reverse-mode accumulation."""
    ### BEGIN SOLUTION
    # 1. A topological order (children before parents) by an iterative post-order
    #    depth-first search: an explicit stack instead of recursion, so depth is no problem.
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if children_done:
            order.append(node)              # every child of node is already in the order
        elif node not in visited:
            visited.add(node)
            stack.append((node, True))      # come back to node once its children are done
            for child in node._children:
                stack.append((child, False))
    # 2. Seed the output, then walk the order backwards: a node is reached only after
    #    every node that uses it has added its share, so its grad is complete.
    root.grad = 1.0
    for node in reversed(order):
        for child, local_grad in zip(node._children, node._local_grads, strict=True):
            child.grad += local_grad * node.grad
    ### END SOLUTION

# %% [markdown]
# ### Check Task A: the chain rule along the graph
#
# Single operations first (each child's gradient is just its local
# gradient), then a chain where local gradients must be multiplied.

# %% tags=["checks:backward_basics"]
a, b = Value(2.0), Value(-3.0)
c = a * b
backward(c)
assert c.grad == 1.0, "backward should start by setting root.grad = 1.0: d(root)/d(root) is 1"
assert math.isclose(a.grad, -3.0) and math.isclose(b.grad, 2.0), \
    "for c = a * b, a.grad should be b.data and b.grad should be a.data: pair each child with its own local grad"

leaf = Value(7.0)
backward(leaf)
assert leaf.grad == 1.0, "backward of a lone leaf should just set its grad to 1.0"

for name, make, x0, want in [
    ("x + 5", lambda x: x + 5, 1.5, 1.0),
    ("x ** 3", lambda x: x ** 3, 1.5, 3 * 1.5 ** 2),
    ("x.exp()", lambda x: x.exp(), 1.5, math.exp(1.5)),
    ("x.log()", lambda x: x.log(), 1.5, 1 / 1.5),
    ("x.relu() at x < 0", lambda x: x.relu(), -1.5, 0.0),
]:
    x = Value(x0)
    backward(make(x))
    assert math.isclose(x.grad, want, abs_tol=1e-12), f"wrong gradient for {name}"

x = Value(0.5)
y = (x * 3 + 1).exp()           # y = exp(3x + 1), so dy/dx = 3 exp(3x + 1)
backward(y)
assert math.isclose(x.grad, 3 * math.exp(2.5)), \
    "chain rule: a child receives local_grad * node.grad, not the local grad alone, and nodes are visited root first"

x = Value(0.5)
y = ((x * 2).exp() + 1).log() * 4     # nothing shared: a chain with side leaves
want = numerical_gradient(lambda x: ((x * 2).exp() + 1).log() * 4, [0.5])[0]
backward(y)
assert math.isclose(x.grad, want, rel_tol=1e-6), "the gradient of a longer chain disagrees with finite differences"

a, b, c = Value(1.0), Value(2.0), Value(3.0)
d = a * b
e = d + c
backward(d)
assert e.grad == 0.0 and c.grad == 0.0, "backward(d) must not touch nodes that are not below d"
print("backward_basics checks passed")

# %% [markdown]
# ### Shared nodes: contributions add up
#
# In `a * a` the mul node has the same child twice, `_children == (a, a)`,
# with local grads `(a, a)`. Walking the pairs, `a` receives `a · 1` **twice**:
# `d(a²)/da = 2a`. With `=` instead of `+=` the second contribution would
# replace the first and you would get `a`: half the answer. In
# `(x * y) * (x * z)` the sharing is one level down (the table in section 4),
# and in a big graph it can be anywhere, including inner nodes: a node
# computed once and used by several later nodes (every parameter of a
# network is such a node).
#
# Because `backward` only ever adds, calling it **twice** on the same graph
# without `zero_grad` adds every contribution again. For `c = a * b` the
# gradients of `a` and `b` simply double; the checks test that. Deeper down
# they grow even faster: on the second call the inner nodes still hold their
# gradients from the first call, and they push those down again (on a chain
# `out → n1 → n2 → n3` with local gradients 1, the second call leaves
# `n1, n2, n3` at `2, 3, 4`). Neither is the gradient of anything useful,
# which is why Task B's `zero_grad` exists.

# %% tags=["checks:accumulate"]
a = Value(3.0)
backward(a * a)
assert a.grad == 6.0, "a * a uses a twice: both contributions must add up (+=), giving 2 * a"

a = Value(3.0)
backward(a + a)
assert a.grad == 2.0, "a + a uses a twice: a.grad should be 2"

x, y, z = Value(2.0), Value(3.0), Value(-1.0)
f = (x * y) * (x * z)
backward(f)
assert (x.grad, y.grad, z.grad) == (-12.0, -4.0, 12.0), \
    "(x*y)*(x*z): x reaches f along two paths, so x.grad must collect both contributions (see the table above)"

a, b = Value(0.5), Value(-1.5)
c = a + b                          # an inner node, used twice below
d = c * c + c.exp()
backward(d)
dc = 2 * c.data + math.exp(c.data)
assert math.isclose(a.grad, dc) and math.isclose(b.grad, dc), \
    "c is used twice: it must collect both contributions and pass its grad down once, not once per use"

a, b = Value(1.5), Value(-2.0)
c = a * b
backward(c)
backward(c)
assert c.grad == 1.0, "backward sets root.grad = 1.0 (it does not add 1 to the old value)"
assert a.grad == -4.0 and b.grad == 3.0, \
    "calling backward(a * b) twice without zero_grad should double a.grad and b.grad: never reset or overwrite grads"
print("accumulate checks passed")

# %% [markdown]
# **SA2 (short answer, 3 points).** `backward` adds into `child.grad` (`+=`)
# instead of assigning it (`=`). Using `a * a` or `(x * y) * (x * z)`,
# explain what goes wrong with `=`, and why the sum is the mathematically
# right answer.

# %% [markdown] tags=["manual:sa2"]
# ### BEGIN SOLUTION
# A node can receive gradient along several edges: in `a * a` the mul node
# lists `a` twice, and in `(x*y)*(x*z)` the leaf `x` has two users, `p` and
# `q`. Each edge delivers one term of the chain rule (one group of paths).
# With `=`, the contribution that arrives last replaces the earlier ones:
# `a * a` gives `a.grad = a` instead of `2a`, and `x` gets only `z·q.grad`
# (= xyz) instead of `2xyz`, a value that also depends on the order the
# edges happen to be visited. The sum is right because of the multivariable
# chain rule: when `a` moves by ε, every place where it is used moves, and
# to first order the effects on the output add up, so d(root)/d(a) is the
# sum over its uses of (user's gradient × local gradient).
# ### END SOLUTION

# %% [markdown]
# ### Order matters
#
# Why *reverse topological* order, and not some other order that also
# starts at the root? Take
#
# ```python
# c = a * b
# out = c + c.exp().exp()
# ```
#
# `c` has two users: `out` (one step above it) and the inner `exp` (three
# steps above it, through the other `exp`). A **breadth-first** walk from
# `out` meets `c` at distance 1 and processes it before the inner `exp` has
# pushed its share into `c.grad`: `c` passes an incomplete gradient to `a`
# and `b`, and the late contribution never reaches them. Walking the
# topological order **forwards** (leaves first) is worse: every node is
# processed before any of its users, so almost nothing reaches the leaves.
# Only "each node after *all* of its users" is right in every graph.

# %% tags=["checks:backward_order"]
a, b = Value(0.5), Value(-0.4)
c = a * b
out = c + c.exp().exp()
backward(out)
dc = 1 + math.exp(math.exp(c.data)) * math.exp(c.data)
assert math.isclose(a.grad, dc * b.data) and math.isclose(b.grad, dc * a.data), \
    "c must collect the gradient of both of its users before passing it on: walk a topological order backwards"

chain = [Value(0.3)]
for i in range(300):
    chain.append(chain[-1] * 1.001 if i % 2 else chain[-1] + 0.25)
backward(chain[-1])
assert math.isclose(chain[0].grad, 1.001 ** 150), "a chain of 300 operations: the grad must reach the bottom leaf"


def mixed(a, b, c):
    u = a * b + c
    v = u.exp() * a - (b * c).relu()
    return (v * v + 1).log() + u / (c * c + 1)


xs = [0.7, -1.3, 0.4]
inputs = [Value(x) for x in xs]
backward(mixed(*inputs))
for node, want in zip(inputs, numerical_gradient(mixed, xs), strict=True):
    assert math.isclose(node.grad, want, rel_tol=1e-5, abs_tol=1e-8), \
        "a graph with many shared nodes disagrees with finite differences"
print("backward_order checks passed")

# %% [markdown]
# **Q2 (auto-graded, 5 points).** For
#
# ```python
# c = a * b
# d = c.exp()
# e = c + d
# ```
#
# in which order may `backward(e)` process the nodes (each processed node
# pushes its gradient to its children)?
#
# - **a.** `e, c, d, a, b`
# - **b.** `e, d, c, b, a`
# - **c.** `a, b, c, d, e`
# - **d.** `e, c, a, b, d`
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
# ### Deep graphs
#
# The last checks build graphs 5,000 operations deep: a sum of 5,000 Values
# (the shape of a mean loss over a data set) and a chain of 5,000
# multiplications. A recursive order fails here with `RecursionError`.

# %% tags=["checks:deep_graphs"]
parts = [Value(float(i % 7)) for i in range(5000)]
total = sum(parts)                  # 5,000 add nodes, each on top of the previous one
try:
    backward(total)
except RecursionError:
    raise AssertionError("backward hit Python's recursion limit on a graph 5,000 nodes deep: build the order "
                         "with your own stack (or Kahn's algorithm), without recursion, as section 5 shows") from None
assert all(part.grad == 1.0 for part in parts), "every term of a sum of 5,000 Values should get gradient 1"

x = Value(1.0)
v = x
for _ in range(5000):
    v = v * 1.0001
try:
    backward(v)
except RecursionError:
    raise AssertionError("backward hit Python's recursion limit on a chain of 5,000 multiplications: "
                         "build the order without recursion, as section 5 shows") from None
assert math.isclose(x.grad, 1.0001 ** 5000, rel_tol=1e-9), "a chain of 5,000 multiplications: wrong gradient"
print("deep_graphs checks passed")

# %% [markdown]
# **SA3 (short answer, 3 points).** Where do very deep expression graphs come
# from when training a model (give one concrete example)? Why does a
# recursive topological sort fail on them in Python, and how does your
# `backward` avoid the problem?

# %% [markdown] tags=["manual:sa3"]
# ### BEGIN SOLUTION
# Any long sum or long sequential computation builds a deep graph: a loss
# averaged over N examples with `sum()` is a chain of N add nodes, each on
# top of the previous one, and a model that processes a sequence step by
# step (or many layers) stacks operations the same way. A recursive
# traversal uses one Python call frame per level of the graph, and CPython
# stops at its recursion limit (about 1,000 frames by default) with a
# RecursionError; raising the limit only moves the wall and risks crashing
# the interpreter's own stack. My `backward` keeps its own explicit stack, a
# list of (node, children_done) pairs: popping (node, False) marks the node
# visited and pushes (node, True) and then its children, so the node is
# appended after all of them. A list can hold millions of entries, so the
# depth of the graph no longer matters. (Kahn's algorithm, counting incoming
# edges per node, is an equally good answer.)
# ### END SOLUTION

# %% [markdown]
# ## 7. Task B: `zero_grad` (7 points)
#
# `backward` accumulates: it adds into whatever is already in `grad`. That
# is what makes shared nodes come out right, and it is also why you must
# **clear the gradients** before each new backward pass when you train. A
# training step in A4 will look like this:
#
# ```python
# for step in range(num_steps):
#     loss = compute_loss(params)          # forward: a new graph
#     zero_grad(params)                    # forget last step's gradients
#     backward(loss)                       # fresh gradients
#     for p in params:
#         p.data -= learning_rate * p.grad # a step downhill
# ```
#
# Forget `zero_grad` and each step uses the sum of all gradients so far:
# step 100 pushes the parameters with the gradients of steps 1 to 100
# added together, pointing more and more in an old direction.
#
# In that loop every step builds a new graph, so only the parameters carry
# old gradients. When you run `backward` again on the *same* graph, the inner
# nodes carry old gradients too, and they would be pushed down again (see
# "Shared nodes" above): clear them all with `zero_grad(graph_nodes(root))`.
#
# Write `zero_grad(nodes)`: set `grad = 0.0` on **every** node in the list
# `nodes`, whatever it holds (parameters, inner nodes, a whole graph). It
# changes nothing else and returns nothing.

# %% tags=["solution"]
def zero_grad(nodes):
    """Set grad = 0.0 on every node in the list nodes."""
    ### BEGIN SOLUTION
    for node in nodes:
        node.grad = 0.0
    ### END SOLUTION

# %% tags=["checks:zero_grad"]
a, b = Value(2.0), Value(5.0)
c = a * b + a
nodes = graph_nodes(c)
for node in nodes:
    node.grad = 7.0                   # old gradients, as an earlier backward leaves them
zero_grad(nodes)
assert all(node.grad == 0.0 for node in nodes), "zero_grad should set grad = 0.0 on every node in the list"
assert a.data == 2.0 and b.data == 5.0 and c.data == 12.0, "zero_grad must not change any data"

# This part runs your backward (if it raises, make the checks of Task A pass first)
# and compares it only with itself: it checks zero_grad, not backward.
backward(c)
first = [node.grad for node in nodes]
backward(c)                           # the grads are stale now
zero_grad(nodes)
backward(c)
assert [node.grad for node in nodes] == first, \
    "after zero_grad on every node, backward should give the same gradients as a first call"

params = [Value(1.0), Value(2.0), Value(3.0)]
for p in params:
    p.grad = 0.5
zero_grad(params)
assert [p.grad for p in params] == [0.0, 0.0, 0.0], "zero_grad(params) should clear each parameter given"
zero_grad([])
print("zero_grad checks passed")

# %% [markdown]
# **Q3 (auto-graded, 5 points).** In this training step, `zero_grad(params)`
# is missing. Where may it go?
#
# ```python
# for step in range(num_steps):
#     loss = compute_loss(params)
#     # (1)
#     backward(loss)
#     # (2)
#     for p in params:
#         p.data -= learning_rate * p.grad
#     # (3)
# ```
#
# - **a.** Only at (2).
# - **b.** At (1) or at (3).
# - **c.** At (2) or at (3).
# - **d.** Nowhere: `backward` sets `root.grad = 1.0`, which restarts the
#   gradients.
#
# Set `ANSWER_Q3` to one letter.

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
# **SA4 (short answer, 3 points).** Gradients accumulate: `backward` never
# clears them. Explain why a training loop must zero the gradients before
# every backward pass and what happens to training if it forgets. Then give
# one situation where adding up the gradients of several backward calls is
# exactly what you want.

# %% [markdown] tags=["manual:sa4"]
# ### BEGIN SOLUTION
# Each training step needs the gradient of *this* step's loss at the current
# parameters. Since backward adds into `grad`, gradients left from earlier
# steps would be added in: step t would use the sum of the gradients of
# steps 1..t, computed at old parameter values. The update then follows a
# stale, ever-growing direction: steps get larger and larger, keep pushing
# where earlier losses pointed, and training oscillates or diverges instead
# of settling. Zeroing before each backward pass (or right after each
# update) makes every step use exactly the current gradient.
# Accumulating is useful when one update should use several losses: for
# example gradient accumulation over a mini-batch, where each example's loss
# is backpropagated separately (to save memory) and the summed gradient
# equals the gradient of the summed loss; or several losses/parts of a
# model that share parameters. The same rule is what makes a shared node's
# contributions add up inside one graph.
# ### END SOLUTION

# %% [markdown]
# ## 8. Task C: `grad_of` (10 points)
#
# `backward` works on a graph someone has already built. `grad_of` packages
# the whole thing as "the gradient of this function at this point", the
# exact counterpart of `numerical_gradient` from section 1:
#
# ```python
# grad_of(lambda a, b: a * b + a.exp(), [1.0, 2.0])   # [2 + e, 1.0]
# ```
#
# Write `grad_of(f, xs)`:
#
# 1. wrap each float of `xs` in a **new leaf** `Value`, keeping them in a
#    list;
# 2. call `f` with them as separate arguments: `f(*leaves)` builds the graph
#    and returns its output node;
# 3. run `backward` on the output;
# 4. return the list of the leaves' gradients: **plain floats, one per
#    input, in the order of `xs`** (an input that `f` does not use gets
#    `0.0`).
#
# Because the leaves are new on every call, two calls never disturb each
# other.

# %% tags=["solution"]
def grad_of(f, xs):
    """The gradient of f(*values) at the floats xs: a list with one float per x, in order."""
    ### BEGIN SOLUTION
    leaves = [Value(x) for x in xs]
    out = f(*leaves)
    backward(out)
    return [leaf.grad for leaf in leaves]
    ### END SOLUTION

# %% tags=["checks:grad_of"]
def wiggle(a, b, c):
    return (a * b).exp() / (c * c + 1) + (a - c).relu() * b.log()


xs = [0.3, 1.7, -0.8]
by_differences = numerical_gradient(wiggle, xs)

# grad_of calls your backward, so first: does backward get these very functions right?
# If this part raises or fails, make the checks of Task A pass first.
a, b, lone, x = Value(2.0), Value(3.0), Value(1.0), Value(2.0)
backward(a * b)
backward(lone)
backward(x * x * x)
inputs = [Value(v) for v in xs]
backward(wiggle(*inputs))
assert (a.grad, b.grad, lone.grad, x.grad) == (3.0, 2.0, 1.0, 12.0) and all(
    math.isclose(node.grad, want, rel_tol=1e-5, abs_tol=1e-8)
    for node, want in zip(inputs, by_differences, strict=True)), \
    "your backward gives wrong gradients for the functions checked below: make the checks of Task A pass first"

g = grad_of(lambda a, b: a * b, [2.0, 3.0])
assert isinstance(g, list) and len(g) == 2, "grad_of should return a list with one gradient per input"
assert all(isinstance(v, float) for v in g), "grad_of should return plain floats (the leaves' .grad), not Values"
assert g == [3.0, 2.0], "for a * b at (2, 3) the gradient is [b, a] = [3.0, 2.0], in the order of xs"

assert grad_of(lambda a, b: a, [1.0, 2.0]) == [1.0, 0.0], "an input that f does not use has gradient 0.0"
assert grad_of(lambda x: x * x * x, [2.0]) == [12.0], "x * x * x at 2: the gradient is 3 x^2 = 12"
for got, want in zip(grad_of(wiggle, xs), by_differences, strict=True):
    assert math.isclose(got, want, rel_tol=1e-5, abs_tol=1e-8), "grad_of disagrees with finite differences"
assert grad_of(wiggle, xs) == grad_of(wiggle, xs), "two calls of grad_of should give the same gradients"
print("grad_of checks passed")

# %% [markdown]
# **SA5 (short answer, 3 points).** The GPT of A7 has 4,192 parameters and
# one scalar loss. Compare getting all 4,192 partial derivatives with
# `numerical_gradient` and with one call of `backward`: roughly how many
# forward passes does each cost, and which result is more accurate? Why is
# *reverse* mode the right direction for a training loss?

# %% [markdown] tags=["manual:sa5"]
# ### BEGIN SOLUTION
# Central differences need two forward passes per parameter: 2 × 4,192 =
# 8,384 forward passes for one gradient, and each derivative is only
# approximate (truncation error from the finite h, round-off error from
# subtracting nearly equal numbers, and wrong answers near kinks such as
# relu at 0). Backward needs the one forward pass that builds the graph plus
# one backward sweep that costs about as much again (one multiply-add per
# edge), so roughly the cost of two forward passes, and its result is exact
# up to floating-point rounding. Reverse mode gives the derivative of one
# output with respect to all inputs in one sweep; a training loss is exactly
# one output depending on many parameters, so one sweep answers everything.
# (Forward mode would need one sweep per parameter, like finite
# differences.) Finite differences remain useful as an independent check of
# a backward implementation.
# ### END SOLUTION

# %% [markdown]
# ## 9. Milestone: micrograd's gradients (5 points)
#
# micrograd's README builds the expression you met in A1's milestone and
# then calls `backward`. With a correct backward, `a.grad` is **138.8338**
# and `b.grad` is **645.5773** (to 4 places). The graph has shared nodes
# everywhere (`c` and `d` are reused by the `+=` lines), relu nodes on both
# sides of zero, division and powers, so every rule of this assignment is at
# work.

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
backward(g)
print(f"g.data = {g.data:.4f}, a.grad = {a.grad:.4f}, b.grad = {b.grad:.4f}")
assert round(g.data, 4) == 24.7041, "g.data should be 24.7041: the provided forward pass was changed?"
assert round(a.grad, 4) == 138.8338, "a.grad should be 138.8338"
assert round(b.grad, 4) == 645.5773, "b.grad should be 645.5773"
print("milestone checks passed")

# %% [markdown]
# ## 10. Look at what you built
#
# Two experiments to try in a scratch cell (delete it again before you
# submit: the grader runs every code cell you leave in the notebook).
#
# **Every node gets a gradient.** After `backward(g)` above, print the
# gradient of each node in the milestone graph. Nodes with a big `|grad|`
# are where a nudge would change `g` the most; the relu that received a
# negative input passes `0` to everything below it.
#
# ```python
# for node in graph_nodes(g):
#     print(f"{node._op or 'leaf':5s} data={node.data:10.4f}   grad={node.grad:10.4f}")
# ```
#
# **Backprop versus finite differences, at scale.** Time both on a function
# of many inputs:
#
# ```python
# import random
# import time
# xs = [random.uniform(-1, 1) for _ in range(300)]
# f = lambda *v: sum((vi * vj).relu() for vi, vj in zip(v, v[1:])) / len(v)
# start = time.perf_counter(); g1 = grad_of(f, xs); t1 = time.perf_counter() - start
# start = time.perf_counter(); g2 = numerical_gradient(f, xs); t2 = time.perf_counter() - start
# print(f"backprop {t1*1000:.1f} ms, finite differences {t2*1000:.1f} ms")
# print("largest difference:", max(abs(u - v) for u, v in zip(g1, g2)))
# ```
#
# The speed-up grows with the number of inputs: that is SA5 in numbers.

# %% [markdown]
# ## What's next
#
# You can now differentiate anything built from the six atomic operations,
# exactly and in one sweep. In **A4** the gradients go to work: `sgd_step`
# and `adam_step` move every parameter a little downhill, `zero_grad` runs
# before every backward pass, and a small network of Values learns to
# separate two classes of points. The GPT of A7 trains with the very same
# `backward` you just wrote.
