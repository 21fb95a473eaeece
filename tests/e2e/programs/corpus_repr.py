# The corpus's CPython script: `repr(items)` stops in builtin_repr with `obj` the list.
class Point:
    __slots__ = ("x", "y")

    def __init__(self, x, y):
        self.x, self.y = x, y

    def __repr__(self):             # Python code the expressions run through tp_repr
        return f"Point({self.x}, {self.y})"


class Name(str):                    # a str subclass: a non-compact PyUnicodeObject
    pass


items = [1, 2.5, "abc", None, (7, 8), {"k": 99}, Point(3, 4), 2**70, b"raw", -5, Name("xyz")]
repr(items)
