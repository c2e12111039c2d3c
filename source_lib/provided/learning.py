"""A4: the optimiser, Adam with bias correction and a linearly decaying learning rate."""


def adam_step(params, m, v, step, lr, beta1=0.85, beta2=0.99, eps=1e-8):
    """One Adam update of every parameter; step counts from 0, m and v are lists of floats updated in place."""
    for i, p in enumerate(params):
        m[i] = beta1 * m[i] + (1 - beta1) * p.grad
        v[i] = beta2 * v[i] + (1 - beta2) * p.grad ** 2
        m_hat = m[i] / (1 - beta1 ** (step + 1))
        v_hat = v[i] / (1 - beta2 ** (step + 1))
        p.data -= lr * m_hat / (v_hat ** 0.5 + eps)


def linear_decay(lr, step, num_steps):
    """The learning rate at `step`, falling linearly from lr to 0 over num_steps."""
    return lr * (1 - step / num_steps)
