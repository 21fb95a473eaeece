"""`$N` results and `$name` variables shared with LLDB's `expression`: one numbering, so
a name never means two things in a session, and each reads the other's, across stops
and runs of the process. `expression` is the oracle."""
from __future__ import annotations

import re

from lldbrun import batch, parse_result

NAME = re.compile(r"^\(.*?\) (\$\w+) = ", re.M)


def run(exe, commands):
    """(command, output, (type, value) or None, printed `$` name or None) per command."""
    rows = []
    for cmd, out in batch(exe, commands):
        name = NAME.search(out)
        rows.append((cmd, out, parse_result(out), name and name.group(1)))
    return rows


def test_one_numbering_for_both(values_exe):
    got = run(values_exe, ["expression counter", "expression origin", "expression head",
                           "expression 1 + 2", "jit-eval counter + 1", "expression 7",
                           "jit-eval origin", "jit-eval head", "expression -- counter * 2"])
    assert [name for *_, name in got] == [f"${i}" for i in range(9)]
    assert got[4][2] == ("int", "42") and got[8][2] == ("int", "82")


def test_each_reads_the_others_results(values_exe):
    got = run(values_exe, [
        "expression counter", "expression origin", "expression head",    # $0 $1 $2
        "expression 1 + 2",                                               # $3
        "jit-eval $2 + 1",                                                # $4: a pointer
        "jit-eval $3 + $0",                                               # $5 = 44
        "jit-eval $1.y * 2", "jit-eval $2->next->value",                  # $6 $7
        "expression -- $5 * 2",                                           # $8 = 88
        "jit-eval origin", "expression -- $9.y + $9.x",                   # $9 $10
        "jit-eval &origin", "expression -- $11->y",                       # $11 $12
        "jit-eval head", "expression -- $13->next->next->value",          # $13 $14
        "expression -- (long)$4 - (long)$2",                              # $15 = 16
        'jit-eval "abc"', "expression -- $16[1]",                        # $16 $17
        # the same reads by code run in the debuggee (above, they were interpreted)
        "jit-eval --interpret false -- $3 + $0",                          # $18 = 44
        "jit-eval --interpret false -- $1.y * 2",                         # $19
        "jit-eval --interpret false -- $2->next->value",                  # $20
        "jit-eval --interpret false -- $5 * 2"])                          # $21 = 88
    values = [res for _, _, res, _ in got]
    assert values[18:] == [values[5], values[6], values[7], values[8]]
    assert values[5] == ("int", "44")
    assert values[6] == ("double", "9")
    assert values[7] == ("int", "20")
    assert values[8] == ("int", "88")
    assert values[10] == ("double", "7.5")
    assert values[12] == ("double", "4.5")
    assert values[14] == ("int", "30")
    assert values[15] == ("long", "16")
    assert values[17] == ("char", "'b'")
    assert [name for *_, name in got][4:] == [f"${i}" for i in range(4, 22)]


def test_assignments_are_seen_by_both(values_exe):
    got = run(values_exe, [
        "jit-eval counter + 1",          # $0 = 42, in the debuggee: LLDB refers to it there
        "jit-eval $0 = 100",             # $1
        "expression $0",                 # LLDB prints a variable under its own name
        "expression $0 = 5", "jit-eval $0",                               # $2 $3
        "expression counter",            # $4: LLDB's own, a constant in LLDB's memory
        "jit-eval $4 + 1",
        "jit-eval $4 = 9", "expression $4", "jit-eval $4"])
    assert got[2][2] == ("int", "100")
    assert got[4][2] == ("int", "5")
    assert got[6][2] == ("int", "42")
    out = got[7][1]
    assert "error: '$4' is a persistent variable of LLDB's `expression`" in out
    assert "Traceback" not in out and got[7][2] is None
    assert got[8][2] == ("int", "41") and got[9][2] == ("int", "41")   # unchanged


def test_named_variables(values_exe):
    got = run(values_exe, [
        "expression int $e = 5", "jit-eval $e + 1",
        "jit-eval int $e = 3;",                                # LLDB's name: taken
        "expression struct point $pt = origin", "jit-eval $pt.x + $pt.y",
        "jit-eval int $j = 7;", "jit-eval $j * 2",
        "expression $j",          # LLDB cannot see it (README: no SB call names one)
        "expression int $j = 3", "jit-eval $j",      # now LLDB's: one meaning again
        "jit-eval $e"])
    assert got[1][2] == ("int", "6")
    assert "error: redefinition of '$e'" in got[2][1]
    assert got[4][2] == ("double", "7.5")
    assert got[6][2] == ("int", "14")
    assert "undeclared identifier '$j'" in got[7][1]
    assert got[9][2] == ("int", "3")
    assert got[10][2] == ("int", "5")
    assert [name for *_, name in got if name] == ["$0", "$1", "$2", "$3", "$4"]


def test_results_survive_stops_and_a_new_run(values_exe):
    got = run(values_exe, [
        "breakpoint set -n sum_list",
        "expression counter", "jit-eval counter + 1", "jit-eval origin",    # $0 $1 $2
        "expression 9", "jit-eval &origin",                                 # $3 $4
        "continue",                                  # a new stop: same process
        "jit-eval $0 + $1 + $3", "expression -- $0 + $1 + $3",              # $5 $6
        "jit-eval $2.y", "jit-eval $4->x",                                  # $7 $8
        "process kill", "run",                       # a new process of the same target
        "jit-eval $0 + $1 + $3",                                            # $9
        "expression -- $0 + $1 + $3",                                       # $10
        "expression -- $2.y", "jit-eval $2.y",                              # $11 $12
        "jit-eval $4->x", "jit-eval counter * 2",                           # $13 $14
        "expression $1", "expression $14"])
    r = {cmd: res for cmd, _, res, _ in got[:11]}
    assert r["jit-eval $0 + $1 + $3"] == r["expression -- $0 + $1 + $3"] == ("int", "92")
    assert r["jit-eval $2.y"] == ("double", "4.5") and r["jit-eval $4->x"] == ("int", "3")
    after = [res for _, _, res, _ in got[13:]]
    assert after[0] == after[1] == ("int", "92")
    assert after[2] == after[3] == ("double", "4.5")
    assert after[4] == ("int", "3")
    assert after[5] == ("int", "82")
    assert after[6] == ("int", "42") and after[7] == ("int", "82")
    assert [name for *_, name in got[13:]][:6] == [f"${i}" for i in range(9, 15)]


def test_a_result_whose_old_address_is_taken_gets_new_memory(values_exe):
    take = ("script a = lldb.target.FindExpressionVariableForLanguage('$0', "
            "lldb.eLanguageTypeC).GetLoadAddress() & ~4095; lldb.debugger.HandleCommand("
            "'expression -- (long)mmap((void *)%d, 4096, 3, 0x100022, -1, 0) == %d' % (a, a))")
    got = run(values_exe, ["jit-eval counter + 1", "jit-eval origin", "process kill", "run",
                           take,                  # the program maps the page first
                           "jit-eval $0 + 1", "jit-eval $1.y", "jit-eval $0 = 7",
                           "jit-eval $0 * 2"])
    assert "(bool) $2 = true" in got[4][1]
    assert [res for _, _, res, _ in got[5:]] == [("int", "43"), ("double", "4.5"),
                                                  ("int", "7"), ("int", "14")]


def test_expression_results_of_every_kind(values_exe):
    got = run(values_exe, [
        "expression true", "jit-eval $0 + 1",                       # $0 $1
        "expression (char)65", "jit-eval $2",                       # $2 $3
        "expression 1.5f", "jit-eval $4 * 2",                       # $4 $5
        "expression larr", "jit-eval $6[1] + sizeof $6",            # $6 $7
        "expression -- points", "jit-eval $8[2].y",                 # $8 $9
        "expression favourite", "jit-eval $10 == BLUE",             # $10 $11
        "expression int &$r = counter", "jit-eval $r",              # a C++ reference: counter
        "jit-eval $r = 12", "expression counter"])
    values = [res for _, _, res, _ in got]
    assert values[1] == ("int", "2")
    assert values[3] == ("char", "'A'")
    assert values[5] == ("float", "3")
    assert values[7] == ("unsigned long", "24")
    assert values[9] == ("double", "3.5")
    assert values[11] == ("int", "1")
    assert values[13] == ("int", "41")
    assert values[14] == ("int", "12") and values[15] == ("int", "12")
