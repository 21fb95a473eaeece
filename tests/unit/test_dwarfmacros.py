"""Reading the `#define`s of a -g3 program from DWARF: which are in scope at a line
(as gdb decides), and the three formats gcc writes (DWARF 5 `.debug_macro`, the GNU
version 4 of it, strict DWARF 4 `.debug_macinfo`)."""
import shutil
import subprocess

import pytest

from lldb_jit.dwarfmacros import _scope, macros_at
from lldb_jit.frontend.macros import Macro


def define(line, text):
    return ("define", line, Macro.parse(text))


# built-ins, then main.c: A at 3, h.h included at 5 (H at its line 2, G at 4 and
# undefined at its line 6), B at 10, A undefined at 20 and redefined at 25.
EVENTS = [
    define(0, "__STDC__ 1"),
    ("start", 0, "/src/main.c"),
    define(3, "A 1"),
    ("start", 5, "/src/h.h"),
    define(2, "H 2"), define(4, "G 3"), ("undef", 6, "G"),
    ("end",),
    define(10, "B 4"),
    ("undef", 20, "A"),
    define(25, "A 5"),
    ("end",),
]


@pytest.mark.parametrize("file,line,visible", [
    ("/src/main.c", 1, {"__STDC__": "1"}),
    ("/src/main.c", 3, {"__STDC__": "1", "A": "1"}),     # defined on the stop line
    ("/src/main.c", 4, {"__STDC__": "1", "A": "1"}),
    ("/src/main.c", 5, {"__STDC__": "1", "A": "1", "H": "2"}),
    ("/src/main.c", 15, {"__STDC__": "1", "A": "1", "H": "2", "B": "4"}),
    ("/src/main.c", 20, {"__STDC__": "1", "H": "2", "B": "4"}),   # #undef on the line
    ("/src/main.c", 30, {"__STDC__": "1", "A": "5", "H": "2", "B": "4"}),
    ("/src/h.h", 1, {"__STDC__": "1", "A": "1"}),         # a stop inside the header
    ("/src/h.h", 5, {"__STDC__": "1", "A": "1", "H": "2", "G": "3"}),
    ("/src/h.h", 9, {"__STDC__": "1", "A": "1", "H": "2"}),
    ("/elsewhere/main.c", 30, {"__STDC__": "1", "A": "5", "H": "2", "B": "4"}),  # by name
    ("/src/other.c", 30, {}),                              # not in the tree: as gdb, none
])
def test_scope_by_position(file, line, visible):
    assert {k: m.body for k, m in _scope(EVENTS, file, line).items()} == visible


SOURCE = """\
#include <limits.h>
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define MODE 1
int f(int x)
{
    return x * MODE;    /* line 6 */
}
#undef MODE
#define MODE 2
int main(void)
{
    return f(INT_MAX) + MODE;   /* line 12 */
}
"""


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    if shutil.which("gcc") is None:
        pytest.skip("gcc is needed to build the debuggees")
    out = tmp_path_factory.mktemp("dwarfmacros")
    src = out / "m.c"
    src.write_text(SOURCE)
    exes = {}
    for name, flags in [("dwarf5", ["-g3"]), ("dwarf4", ["-g3", "-gdwarf-4"]),
                        ("macinfo", ["-g3", "-gdwarf-4", "-gstrict-dwarf"]), ("plain", ["-g"])]:
        exe = out / name
        subprocess.run(["gcc", *flags, "-O0", "-o", str(exe), str(src)], check=True)
        exes[name] = str(exe)
    return str(src), exes


@pytest.mark.parametrize("kind", ["dwarf5", "dwarf4", "macinfo"])
def test_reads_each_format(builds, kind):
    src, exes = builds
    at6 = macros_at(exes[kind], None, src, src, 6)
    at12 = macros_at(exes[kind], None, src, src, 12)
    assert at6["MODE"].body == "1" and at12["MODE"].body == "2"
    assert at6["MAX"].params == ("a", "b")
    assert at6["INT_MAX"].body == "__INT_MAX__"            # from a system header
    assert at6["__INT_MAX__"].body == "0x7fffffff"        # a built-in
    assert "MAX" not in macros_at(exes[kind], None, src, src, 1)


def test_without_g3_there_is_nothing_and_pyelftools_is_not_asked(builds, monkeypatch):
    """A file without macro sections is told apart by its section names alone
    (pyelftools takes milliseconds to find that out); asked again, it is not read."""
    import elftools.elf.elffile
    from lldb_jit import dwarfmacros
    src, exes = builds
    monkeypatch.setattr(dwarfmacros, "_readers", {})
    with open(exes["plain"], "rb") as f:
        assert b"debug_mac" not in dwarfmacros._section_names(f)
    with open(exes["dwarf5"], "rb") as f:
        assert b".debug_macro" in dwarfmacros._section_names(f)

    def no_pyelftools(*args):
        raise AssertionError("pyelftools read a file without macros")
    monkeypatch.setattr(elftools.elf.elffile, "ELFFile", no_pyelftools)
    assert macros_at(exes["plain"], None, src, src, 6) == {}
    real_open, opened = open, []

    def counting_open(path, *args, **kwargs):
        opened.append(str(path))
        return real_open(path, *args, **kwargs)
    monkeypatch.setattr("builtins.open", counting_open)
    assert macros_at(exes["plain"], None, src, src, 6) == {}
    assert str(exes["plain"]) not in opened


def test_a_table_is_made_once_per_line(builds):
    src, exes = builds
    first = macros_at(exes["dwarf5"], None, src, src, 12)
    assert macros_at(exes["dwarf5"], None, src, src, 12) is first


def test_unreadable_files_have_no_macros(tmp_path):
    junk = tmp_path / "junk"
    junk.write_bytes(b"\x7fELF" + b"\0" * 60)
    assert macros_at(str(junk), None, "a.c", "a.c", 1) == {}
    assert macros_at(str(tmp_path / "missing"), None, "a.c", "a.c", 1) == {}
