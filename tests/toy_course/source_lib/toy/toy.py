# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Toy assignment
# A tiny course used by the engine's own tests.

# %% tags=["solution"]
def square(x):
    ### BEGIN SOLUTION
    return x * x
    ### END SOLUTION


class Counter:
    def __init__(self):
        self.count = 0

    def bump(self, by=1):
        ### BEGIN SOLUTION
        self.count += by
        return self
        ### END SOLUTION

# %% tags=["checks:squares"]
assert square(3) == 9, "square(3) should be 9"
print("square checks passed")
print(f"mean square of 1, 2, 3: {sum(square(x) for x in (1, 2, 3)) / 3:.4f}")

# %% tags=["checks:counting"]
assert Counter().bump().count == 1, "bump() should add one"
print("counter checks passed")

# %% [markdown]
# What does squaring do to a negative number?

# %% [markdown] tags=["manual:why"]
# ### BEGIN SOLUTION
# It makes it positive.
# ### END SOLUTION
