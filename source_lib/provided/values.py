"""A1: the Value node, recording A2's local derivatives, and the walks over its graph."""

import math

from .derivatives import d_add, d_exp, d_log, d_mul, d_pow, d_relu


class Value:
    """A scalar in an expression graph: a number plus a record of how it was made."""

    def __init__(self, data, children=(), local_grads=(), op=''):
        self.data = float(data)                 # the number this node holds
        self.grad = 0.0                         # d(root)/d(this node): backward fills it in (A3)
        self._children = tuple(children)        # the Values this node was computed from
        self._local_grads = tuple(local_grads)  # d(this node)/d(child), one per child, same order
        self._op = op                           # 'add', 'mul', 'pow', 'exp', 'log', 'relu'; '' for a leaf

    def __repr__(self):
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g}, op={self._op!r})"

    # ---------- the six atomic operations: each records its local derivatives by a d_* rule ----------

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data + other.data, (self, other), d_add(self.data, other.data), 'add')

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data * other.data, (self, other), d_mul(self.data, other.data), 'mul')

    def __pow__(self, exponent):
        assert isinstance(exponent, (int, float)), "the exponent must be a plain int or float"
        return Value(self.data ** exponent, (self,), d_pow(self.data, exponent), 'pow')

    def exp(self):
        return Value(math.exp(self.data), (self,), d_exp(self.data), 'exp')

    def log(self):
        return Value(math.log(self.data), (self,), d_log(self.data), 'log')

    def relu(self):
        return Value(self.data if self.data > 0 else 0.0, (self,), d_relu(self.data), 'relu')

    # ---------- composed from the atomic operations only (no rules of their own) ----------

    def __neg__(self):
        return self * -1

    def __radd__(self, other):
        return self + other

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return other + (-self)

    def __rmul__(self, other):
        return self * other

    def __truediv__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        return self * other ** -1

    def __rtruediv__(self, other):
        return other * self ** -1


def graph_nodes(root):
    """Every node reachable from root (root included), each exactly once, with an explicit stack."""
    nodes, visited, stack = [], set(), [root]
    while stack:
        node = stack.pop()
        if node not in visited:
            visited.add(node)
            nodes.append(node)
            stack.extend(node._children)
    return nodes


def topological_order(root):
    """Every node reachable from root once, each after all its children, root last.

    An explicit stack instead of recursion (A3, section 5), so a graph of any depth works.
    """
    order, visited, stack = [], set(), [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if children_done:
            order.append(node)
        elif node not in visited:
            visited.add(node)
            stack.append((node, True))
            stack.extend((child, False) for child in node._children)
    return order
