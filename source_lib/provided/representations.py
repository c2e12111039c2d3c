"""A5: tokens, matrices, embeddings, the stable softmax, cross-entropy and RMSNorm."""

from .values import Value


def build_vocab(docs):
    """The sorted unique characters of docs, and the id of the BOS token (one past the last)."""
    chars = sorted(set(''.join(docs)))
    return chars, len(chars)


def encode(text, chars):
    """The token id of each character of text."""
    return [chars.index(ch) for ch in text]


def decode(ids, chars):
    """The text of a list of token ids."""
    return ''.join(chars[i] for i in ids)


def wrap(ids, bos):
    """A name between two BOS tokens: BOS starts it, and the BOS after it means 'the name ends'."""
    return [bos] + list(ids) + [bos]


def matrix(n_out, n_in, std, rng):
    """An (n_out, n_in) matrix of fresh leaf Values drawn from a Gaussian with mean 0; rng is a random.Random."""
    return [[Value(rng.gauss(0.0, std)) for _ in range(n_in)] for _ in range(n_out)]


def linear(x, W):
    """W times x: one weighted sum of x per row of W."""
    return [sum(w_ij * x_j for w_ij, x_j in zip(row, x, strict=True)) for row in W]


def embed(table, idx):
    """Row idx of an embedding table: the vector of token (or position) idx."""
    return table[idx]


def softmax(logits):
    """Probabilities from scores; subtracting the largest .data first keeps exp from overflowing."""
    top = max(v.data for v in logits)
    exps = [(v - top).exp() for v in logits]
    inv_total = sum(exps) ** -1             # one division node, shared by every probability
    return [e * inv_total for e in exps]


def cross_entropy(logits, target):
    """-log of the probability the logits give to the target token."""
    return -softmax(logits)[target].log()


def rmsnorm(x, eps=1e-5):
    """x divided by its root mean square, so that the vector has an RMS of about 1."""
    mean_square = sum(xi * xi for xi in x) / len(x)
    scale = (mean_square + eps) ** -0.5
    return [xi * scale for xi in x]
