"""The nbgrader side: the course folder's configuration, the step that
replaces nbgrader's in-kernel execution, and whole-class autograding that
fills `autograded/` and the gradebook through nbgrader's own API.
"""
