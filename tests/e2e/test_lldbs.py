"""The same session under every LLDB installed here (tests/e2e/lldbs.py): the wheel's
23.1, and Debian's lldb-16, lldb-19, lldb-22 when installed (`make test-lldbs`
installs them). Expressions, calls, a crash, a timeout, `$N`, formats, errors and
completion give the same answers in each; so do breakpoint command lists, where an
LLDB library without its symbol table refuses (plainly) to run code."""
from __future__ import annotations

import re
import subprocess

import pytest
from lldbs import batch, installed, plugin_dir
from lldbrun import HERE, build, parse_result

LLDBS = installed()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return plugin_dir(tmp_path_factory.mktemp("site"))


@pytest.fixture(scope="module")
def trouble(tmp_path_factory):
    return build(HERE / "programs" / "trouble.c", tmp_path_factory.mktemp("trouble"),
                 "-pthread")


@pytest.fixture(scope="module")
def hits(tmp_path_factory):
    return build(HERE / "programs" / "hits.c", tmp_path_factory.mktemp("hits"))


STOP = ['breakpoint set -p "break here" -f trouble.c', "run"]

# (jit-eval arguments, expected (type, value)), in order: `$0` is the first result
CORE = [
    ("local * 2 + data[3]", ("int", "14")),
    ("$0 + 1", ("int", "15")),
    ("(char)65", ("char", "'A'")),
    ("data[7] / 2.0", ("double", "4")),
    ("sizeof(data) / sizeof data[0]", ("unsigned long", "8")),
    ("&data[5] - &data[1]", ("long", "4")),
    ("sum_data()", ("int", "36")),                            # calls
    ("divide(data[7], local - 3)", ("int", "4")),
    ("-f x -- 255", ("int", "0x000000ff")),
    ("data[2] ? 'y' : 'n'", ("int", "121")),                # C: an int
]


@pytest.mark.parametrize("lldb", LLDBS, ids=[x.name for x in LLDBS])
def test_core_session(lldb, site, trouble):
    commands = [f"jit-eval {e}" for e, _ in CORE] + [
        "jit-eval crash_via(nowhere)", "jit-eval local + 1",
        "jit-eval -t 1 -- spin()", "jit-eval sum_data() + local",
        "jit-eval nosuch + 1", "jit-complete su", "continue"]
    out = batch(lldb, site, trouble, commands, setup=STOP)
    got = [parse_result(o) for _, o in out[:len(CORE)]]
    assert got == [want for _, want in CORE], out
    crash, after_crash, timeout, after_timeout, error, complete, cont = \
        [o for _, o in out[len(CORE):]]
    assert "SIGSEGV" in crash and "in deep_crash at trouble.c:16" in crash
    assert parse_result(after_crash) == ("int", "6")          # the debuggee is intact
    assert "timed out after 1 s and was interrupted" in timeout
    assert parse_result(after_timeout) == ("int", "41")
    assert error.splitlines() == ["nosuch + 1", "^~~~~~",
                                  "error: use of undeclared identifier 'nosuch'"]
    assert "sum_data" in complete.split()
    assert "sum 36" in cont and "exited with status = 0" in cont


@pytest.mark.parametrize("lldb", LLDBS, ids=[x.name for x in LLDBS])
def test_breakpoint_command_lists(lldb, site, hits):
    """jit-eval in breakpoint command lists at three hits, after a first evaluation at
    the prompt: what needs no code run works in every LLDB; a call works where LLDB's
    library names what stophandling.py needs, and elsewhere (Debian's stripped
    liblldb) is refused with a clear error, never a hang."""
    setup = ["breakpoint set -n main"]
    for bp, command in ((2, "jit-eval add(local, 100)"), (3, "jit-eval local + 1")):
        setup += ['breakpoint set -p "hit here" -f hits.c',
                  f"breakpoint modify --auto-continue true {bp}",
                  f'breakpoint command add -o "{command}" {bp}']
    out = dict(batch(lldb, site, hits, ["run", "jit-eval add(counter, 1)", "continue",
                                        "process status"], setup=setup, timeout=60))
    assert parse_result(out["jit-eval add(counter, 1)"]) == ("int", "42")
    text = out["continue"]
    values = sorted(int(v) for v in re.findall(r"^\(int\) \$\d+ = (\d+)$", text, re.M))
    if lldb.symtab:
        assert values == [11, 21, 31, 110, 120, 130], text
    else:
        assert values == [11, 21, 31], text
        assert text.count("cannot run code from inside LLDB's handling of a stop") >= 3
    assert "done 63 41" in text
    assert "exited with status = 0" in out["process status"]


@pytest.mark.parametrize("lldb", LLDBS, ids=[x.name for x in LLDBS])
def test_without_llvmlite_a_clear_error(lldb, tmp_path, trouble):
    """A system LLDB whose Python has no llvmlite: the plugin loads and jit-eval says
    what is missing and how to install it, not a traceback."""
    if lldb.name == "wheel":
        pytest.skip("the wheel's LLDB runs in the venv, which has llvmlite")
    if subprocess.run(["/usr/bin/python3", "-c", "import llvmlite"]).returncode == 0:
        pytest.skip("the system Python has llvmlite")
    site = tmp_path / "site-packages"
    site.mkdir()
    (site / "lldb_jit").symlink_to(HERE.parent.parent / "lldb_jit")
    out = dict(batch(lldb, site, trouble, ["jit-eval 1 + 2"], setup=STOP))
    text = out["jit-eval 1 + 2"]
    assert text.startswith("error: llvmlite and pyelftools cannot be imported by this "
                           "LLDB's Python"), text
    assert "pip install llvmlite pyelftools" in text
