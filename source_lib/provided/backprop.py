"""A3: backpropagation, the chain rule over the graph in reverse topological order."""

from .values import topological_order


def backward(root):
    """Adds d(root)/d(node) into node.grad for every node below root: root.grad = 1, then the chain rule."""
    root.grad = 1.0
    for node in reversed(topological_order(root)):
        for child, local_grad in zip(node._children, node._local_grads, strict=True):
            child.grad += local_grad * node.grad


def zero_grad(nodes):
    """Sets grad = 0.0 on every node given."""
    for node in nodes:
        node.grad = 0.0
