"""irgen names values through QuickNameScope, its one-call copy of llvmlite's NameScope:
the names, hence the IR text, must be llvmlite's own."""
import pytest
from llvmlite.ir._utils import DuplicatedNameError, NameScope

from lldb_jit.irgen import QuickNameScope

# unnamed values (""), a name taken again, a name that looks like a deduplicated one
NAMES = ["", "", "x", "x", "x.1", "x", "", ".1", "tmp", "tmp.1", "tmp", "", "x.1"]


def test_names_are_llvmlites():
    ours, llvmlites = QuickNameScope(), NameScope()
    assert [ours.register(n, deduplicate=True) for n in NAMES] == \
        [llvmlites.register(n, deduplicate=True) for n in NAMES]


def test_a_global_name_taken_twice_is_an_error():
    scope = QuickNameScope()
    assert scope.register("f") == "f"
    with pytest.raises(DuplicatedNameError):
        scope.register("f")
