"""Hidden suite of the toy assignment."""

import pytest

pytestmark = pytest.mark.checkpoint("squares")


@pytest.mark.parametrize("x", [0.0, -2.0, 3.5])
def test_square_edges(student, x):
    """square(x) is x * x for fixed cases."""
    assert student.square(x) == pytest.approx(x * x), "square(x) should be x * x"


def test_square_random(student, rng, diagnose):
    """square(x) is x * x for random x."""
    x = float(rng.uniform(1, 10))
    got = student.square(x)
    if got == pytest.approx(2 * x):
        diagnose("doubled")
    assert got == pytest.approx(x * x), "square(x) should be x * x"


@pytest.mark.checkpoint("counting")
def test_bump_counts(student, rng):
    """bump() adds to count and returns the counter itself."""
    counter = student.Counter()
    by = int(rng.integers(2, 9))
    assert counter.bump(by) == counter, "bump should return the counter itself"
    assert counter.count == by, "bump(by) should add by to count"
