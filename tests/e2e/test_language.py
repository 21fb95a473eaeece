"""The C language in a live session: statements, side effects LLDB sees afterwards,
`$name` variables, registers, structs by value, C's traps."""
from __future__ import annotations

from lldbrun import AS_CODE, batch, packets_sent, parse_result


def results(exe, commands):
    return [(cmd, out, parse_result(out)) for cmd, out in batch(exe, commands)]


def test_statement_lists_and_side_effects_seen_by_lldb(values_exe):
    got = results(values_exe, [
        "jit-eval int s = 0; for (int i = 0; i < 6; i++) s += primes[i]; s",
        "jit-eval int n = 0; struct node *p = head; while (p) { n++; p = p->next; } n",
        "jit-eval counter = 5", "expression -- counter", "frame variable local",
        "jit-eval local *= 3", "frame variable local", "jit-eval lp.y = 7.25",
        "expression -- lp", "jit-eval fl.b = -2", "expression -- fl.b",
        "jit-eval primes[1]++", "expression -- primes[1]",
        "jit-eval if (counter > 3) { counter = 100; }", "expression -- counter"])
    r = {cmd: res for cmd, _, res in got}
    assert r["jit-eval int s = 0; for (int i = 0; i < 6; i++) s += primes[i]; s"] == ("int", "41")
    assert r["jit-eval int n = 0; struct node *p = head; while (p) { n++; p = p->next; } n"] == \
        ("int", "3")
    assert r["expression -- counter"] == ("int", "100")     # the last of the three
    outs = [out for _, out, _ in got]
    assert "(int) local = 10" in outs[4] and "(int) local = 30" in outs[6]
    assert "y = 7.25" in outs[8]
    assert parse_result(outs[10]) == ("int", "-2")            # a signed bit-field
    assert parse_result(outs[12]) == ("int", "4")
    assert outs[13].strip() == ""                               # no value to print


def test_persistent_variables_and_results(values_exe):
    full = results(values_exe, [
        "jit-eval int $count = 3",                        # declares, prints nothing
        "jit-eval $count += 10",                          # $0 = 13
        "jit-eval struct point *$p = pp",
        "jit-eval $p->y * 2",                             # $1 = 9.0
        "jit-eval $count = $count * 2; $count",           # $2 = 26
        "jit-eval $1 + 1",                                # $3 = 10.0
        "jit-eval $0 = 1",                                # a result is an lvalue too
        "jit-eval $0 + $count",
        "jit-eval int $count = 1"])                       # no redefinition
    got = [res for _, _, res in full]
    assert got[0] is None and got[1] == ("int", "13")
    assert got[3] == ("double", "9") and got[4] == ("int", "26")
    assert got[5] == ("double", "10")
    assert got[6] == ("int", "1") and got[7] == ("int", "27")
    assert got[8] is None and "error: redefinition of '$count'" in full[8][1]


CODE = f"jit-eval {AS_CODE}"


def test_registers(values_exe):
    got = results(values_exe, ["jit-eval $rip", "expression -- $rip", "jit-eval $rsp % 16",
                               "jit-eval $r12 = 77", "register read r12",
                               "jit-eval $r12 + $rbx - $rbx", "jit-eval $nosuchreg",
                               # read by code from the argument block, not interpreted
                               f"{CODE}$rip", f"{CODE}$r12 + $rbx - $rbx"])
    assert got[0][2] == got[1][2] == got[7][2]    # same type and value as LLDB's
    assert got[2][2][0] == "unsigned long"
    assert "0x000000000000004d" in got[4][1]
    assert got[5][2] == got[8][2] == ("unsigned long", "77")
    assert "error: " in got[6][1] and "$nosuchreg" in got[6][1]


def test_structs_by_value_and_c_traps(values_exe):
    got = results(values_exe, [
        "jit-eval mid(origin, points[2])", "expression -- mid(origin, points[2])",
        "jit-eval len2(lp)", "expression -- len2(lp)", "jit-eval local / (param - 5)",
        "jit-eval (-2147483647 - 1) / (param - 6)", "jit-eval 1 << (param + 27)",
        "jit-eval counter + 2147483647", "jit-eval (int)1e10",
        # the CPU's own answers (above, the interpreter's model of them)
        f"{CODE}1 << (param + 27)", f"{CODE}counter + 2147483647",
        f"{CODE}double d = 1e10; (int)d"])
    assert got[0][2] == got[1][2] and got[0][2] is not None
    assert got[2][2] == got[3][2] and got[2][2] is not None
    assert "SIGFPE" in got[4][1]                       # as gcc's code would
    assert "SIGFPE" in got[5][1]                       # INT_MIN / -1 traps on x86 too
    assert got[6][2] == ("int", "1")                   # the count is masked (32 -> 0)
    assert got[7][2] == ("int", str(41 + 2147483647 - 2**32))   # wraps
    assert got[8][2] == ("int", str(-2**31))           # cvttsd2si's integer indefinite
    assert got[9][2] == got[6][2] and got[10][2] == got[7][2] and got[11][2] == got[8][2]


def test_calls_to_functions_without_debug_info(values_exe):
    got = results(values_exe, [
        '(int)printf("%d %s %g\\n", local, "str", 2.5f)'.join(["jit-eval ", ""]),
        "jit-eval (unsigned long)strlen(greeting)", "jit-eval strlen(greeting)",
        "jit-eval (int)getpid() == (int)getpid()"])
    assert "10 str 2.5" in got[0][1] and got[0][2] == ("int", "11")   # variadic, float promoted
    assert got[1][2] == ("unsigned long", "5")
    assert "error: " in got[2][1] and "cast the call" in got[2][1]
    assert got[3][2] == ("int", "1")


def test_variables_living_in_registers_are_written_back(optimized_exe):
    """At -O2 `acc` lives in a register (LLDB's location says so): the code gets a copy,
    and what it writes goes back to the register, so the program carries on with it."""
    got = results(optimized_exe, ["frame variable acc", "jit-eval acc * 2 + n",
                                  "jit-eval acc = 100", "frame variable acc", "continue"])
    acc = int(got[0][1].split("=")[1])
    assert got[1][2] == ("int", str(acc * 2 + (acc // 3)))
    assert got[2][2] == ("int", "100")
    assert "(int) acc = 100" in got[3][1]
    assert "\n101\n" in "\n" + got[4][1]        # work() returned acc + 1


def test_a_variable_in_a_register_is_not_written_for_the_interpreter(optimized_exe,
                                                                     tmp_path):
    """The interpreter reads the copy of `acc` where jit-eval holds it: the only
    memory an interpreted expression writes is its result (LLDB's `$N`); the same
    expression run as code gets the copy written before it runs."""
    expr, first = "acc * 2 + 1", ["frame variable acc", "jit-eval 0"]  # (memory mapped)
    blocks, sent = packets_sent(optimized_exe, first, [f"jit-eval -- {expr}"],
                                tmp_path / "interpreted.log")
    acc = int(blocks[0][1].split("=")[1])
    assert parse_result(blocks[2][1]) == ("int", str(acc * 2 + 1))
    writes = [p for p in sent if p.startswith(("M", "X"))]
    assert len(writes) == 1 and writes[0].split(",")[1].startswith("4:"), sent
    assert not [p for p in sent if p.startswith("vCont")], sent
    blocks, sent = packets_sent(optimized_exe, first, [f"jit-eval {AS_CODE}{expr}"],
                                tmp_path / "code.log")
    assert parse_result(blocks[2][1]) == ("int", str(acc * 2 + 1))
    copy = acc.to_bytes(4, "little").hex()
    assert [p for p in sent if p.startswith("M") and f":{copy}" in p], sent


def test_string_literals_outlive_the_code_cache(values_exe):
    # > cache size; run as code (`--interpret false`): interpreted, they would load no
    # code and the memory of an evicted literal would never be reused
    churn = [f"jit-eval --no-cache --interpret false -- counter + {i}" for i in range(70)]
    got = results(values_exe, ['jit-eval char *$s = "persistent"; $s'] + churn +
                  ["jit-eval $s", 'jit-eval greeting = "changed"'] + churn[:5] +
                  ["jit-eval greeting"])
    assert got[0][2][1].endswith('"persistent"')
    assert got[71][2][1].endswith('"persistent"')     # its memory was not reused
    assert got[-1][2][1].endswith('"changed"')
