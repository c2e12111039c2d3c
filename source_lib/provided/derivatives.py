"""A2: the local derivative rules, one partial derivative per input, at plain floats."""

import math


def d_add(a, b):
    """Partial derivatives of a + b with respect to a and b."""
    return (1.0, 1.0)


def d_mul(a, b):
    """Partial derivatives of a * b with respect to a and b."""
    return (b, a)


def d_pow(a, n):
    """Partial derivative of a ** n with respect to a (n is a constant)."""
    return (n * a ** (n - 1),)


def d_exp(a):
    """Partial derivative of e ** a with respect to a."""
    return (math.exp(a),)


def d_log(a):
    """Partial derivative of the natural log of a with respect to a."""
    return (1.0 / a,)


def d_relu(a):
    """Partial derivative of relu(a) with respect to a (0.0 at a == 0)."""
    return (1.0 if a > 0 else 0.0,)
