"""A6: scaled dot-product attention, one head and several, one position at a time with a KV cache."""

import math

from .representations import linear, softmax


def attention_weights(q, keys):
    """softmax over the keys of q . k_t / sqrt(len(q)): one Value weight per key, summing to 1."""
    scale = 1 / math.sqrt(len(q))
    scores = [sum(q_i * k_i for q_i, k_i in zip(q, key, strict=True)) * scale for key in keys]
    return softmax(scores)


def attention_head(q, keys, values):
    """The attention-weighted sum of the values: one Value per entry of a value vector."""
    weights = attention_weights(q, keys)
    return [sum(w_t * v_t[j] for w_t, v_t in zip(weights, values, strict=True)) for j in range(len(values[0]))]


def multi_head_attention(x, layer, keys, values, n_head):
    """Attention for the next position: caches its k and v, attends per head over the cache, projects."""
    head_dim = len(x) // n_head
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
