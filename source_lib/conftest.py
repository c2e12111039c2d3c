"""Lets an instructor run a hidden suite with plain pytest:

    pytest source_lib/a1_values/test_a1_values.py --submission NOTEBOOK [--course DIR | --seed N]
"""

pytest_plugins = ["autograder.suite.plugin"]
