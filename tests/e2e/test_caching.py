"""What jit-eval keeps between evaluations (an expression analyzed at a stop, its code,
where a frame's locals are) never gives a stale answer: the same text at a later stop
reads the new values, a library loaded on the way is found, `$` names made or changed
by `expression` in between are seen as they are now, and a re-run process starts
afresh. (Registers the user writes between evaluations: test_session.py.)"""
from __future__ import annotations


import pytest

from lldbrun import (HERE, MODE_IDS, MODES, batch, build, build_library, packets_sent,
                     parse_result)


@pytest.fixture(scope="module")
def stops_exe(tmp_path_factory):
    out = tmp_path_factory.mktemp("stops")
    build_library(HERE / "programs" / "stops_extra.c", out)
    return build(HERE / "programs" / "stops.c", out, "-ldl")


def results(blocks) -> list:
    return [parse_result(out) if command.startswith("jit-eval") else None
            for command, out in blocks]


# interpreted, and run as code: its code, argument block and call words kept from one
# stop to the next (an interpretation uses none of them)
BOTH_WAYS = pytest.mark.parametrize("mode", MODES, ids=MODE_IDS)


@BOTH_WAYS
def test_same_expression_at_later_stops_reads_new_values(stops_exe, mode):
    """step(i) stops with local = 10 * i and counter = i + 1; each expression is
    evaluated twice at each stop (the second time from what the first left)."""
    exprs = ["local + counter", "mixed * 2", "counter * scale", "&local == &local"]
    commands = []
    for _ in range(3):
        commands += [f"jit-eval {mode}{e}" for e in exprs for _ in range(2)] + ["continue"]
    got = results(batch(stops_exe, commands))
    per_stop = len(exprs) * 2 + 1
    for i in range(3):
        stop = got[i * per_stop:(i + 1) * per_stop - 1]
        assert stop[0] == stop[1] == ("int", str(10 * i + i + 1)), (i, stop)
        assert stop[2] == stop[3] == ("double", f"{3.0 * i:g}"), (i, stop)
        assert stop[4] == stop[5] == ("double", f"{1.5 * (i + 1):g}"), (i, stop)
        assert stop[6] == stop[7] == ("int", "1"), (i, stop)


def test_library_loaded_between_stops_and_by_an_evaluation(stops_exe):
    commands = ["jit-eval extra_twice(3)", "jit-eval counter + 1",
                "continue",                     # the program loads the library after this
                "continue",
                "jit-eval extra_twice(3) + extra_value", "jit-eval counter + 1",
                "jit-eval extra_twice(3) + extra_value"]
    blocks = batch(stops_exe, commands)
    got = results(blocks)
    assert "error:" in blocks[0][1] and "extra_twice" in blocks[0][1]
    assert got[1] == ("int", "2") and got[5] == ("int", "4")
    assert got[4] == got[6] == ("int", "1240")


def test_library_loaded_by_an_evaluation_at_the_same_stop(stops_exe):
    commands = ["jit-eval counter + 1", "jit-eval extra_value",
                'jit-eval (long)dlopen("./libstops_extra.so", 2) != 0',
                "jit-eval extra_value + counter", "jit-eval counter + 1",
                "jit-eval extra_value + counter"]
    blocks = batch(stops_exe, commands)
    got = results(blocks)
    assert got[0] == got[4] == ("int", "2")
    assert "error:" in blocks[1][1]
    assert got[2] == ("int", "1")
    assert got[3] == got[5] == ("int", "1235")


def test_type_of_a_library_loaded_at_the_same_stop(stops_exe):
    """A type name not found before the library that defines it was loaded (by an
    evaluation, at the same stop) is found after."""
    commands = ["jit-eval sizeof(extra_count_t)",
                'jit-eval (long)dlopen("./libstops_extra.so", 2) != 0',
                "jit-eval sizeof(extra_count_t)", "jit-eval (extra_count_t)70000"]
    blocks = batch(stops_exe, commands)
    assert "use of undeclared identifier 'extra_count_t'" in blocks[0][1], blocks[0][1]
    got = results(blocks)
    assert got[1] == ("int", "1")
    assert got[2] == ("unsigned long", "2")
    assert got[3] == ("extra_count_t", "4464")      # 70000 mod 2^16


def test_dollar_names_made_and_changed_in_between(stops_exe):
    commands = ["expression int $v = 5", "jit-eval $v + 1", "expression $v = 7",
                "jit-eval $v + 1",
                "jit-eval int $w = 3", "jit-eval $w * 2", "jit-eval $w = 10", "jit-eval $w * 2",
                "jit-eval int $w = 4",              # declared already: an error, every time
                "expression int $w = 50", "jit-eval $w * 2",   # LLDB's own $w now
                "jit-eval local + counter"]
    blocks = batch(stops_exe, commands)
    got = results(blocks)
    assert got[1] == ("int", "6") and got[3] == ("int", "8")
    assert got[5] == ("int", "6") and got[7] == ("int", "20")
    assert "error:" in blocks[8][1]
    assert got[10] == ("int", "100")
    assert got[11] == ("int", "1")


def test_names_are_asked_of_lldb_once_per_stop(stops_exe, tmp_path):
    """A name found at a stop is not looked up again there, whatever expression uses
    it, even with --no-cache (which analyzes each text anew); at the next stop it is."""
    helper = tmp_path / "asking.py"
    helper.write_text(
        "import lldb, lldb_jit\n"
        "asked = []\n"
        "def counting(name):\n"
        "    real = getattr(lldb.SBFrame, name)\n"
        "    def wrapped(self, *args):\n"
        "        asked.append(args[0])\n"
        "        return real(self, *args)\n"
        "    setattr(lldb.SBFrame, name, wrapped)\n"
        "for name in ('FindVariable', 'FindValue'):\n"
        "    counting(name)\n"
        "def ask(frame, text):\n"
        "    del asked[:]\n"
        "    value = lldb_jit.evaluate(frame, text, cache=False)\n"
        "    print('asked', value.GetValueAsSigned(), sorted(set(asked)))\n")
    ask = "script asking.ask(lldb.frame, '{}')"
    commands = [f"command script import {helper}", ask.format("local + counter"),
                ask.format("local + counter"), ask.format("counter * 100 + local"),
                "continue", ask.format("local + counter")]
    out = [o for _, o in batch(stops_exe, commands)]
    assert "asked 1 ['counter', 'local']" in out[1]       # local = 0, counter = 1
    assert "asked 1 []" in out[2]
    assert "asked 100 []" in out[3]
    assert "asked 12 ['counter', 'local']" in out[5]     # the next stop: 10 and 2


@BOTH_WAYS
def test_rerun_process_starts_afresh(stops_exe, mode):
    commands = [f"jit-eval {mode}local + counter", f"jit-eval {mode}mixed + counter",
                "continue", f"jit-eval {mode}local + counter", "process kill", "run",
                f"jit-eval {mode}local + counter", f"jit-eval {mode}mixed + counter",
                "continue", f"jit-eval {mode}local + counter"]
    got = results(batch(stops_exe, commands))
    assert got[0] == got[6] == ("int", "1")
    assert got[1] == got[7] == ("double", "1")
    assert got[3] == got[9] == ("int", "12")


CORRUPT = ("script import lldb_jit.session as s, lldb_jit.targets as t; "
           "x = [v for v in s._sessions.values() if v.process.GetProcessID() == "
           "lldb.process.GetProcessID()][0]; m = x.trampoline.mailbox + t.mailbox_words(x.abi); "
           "lldb.process.WriteMemory(m + {offset}, b'\\x5a' * 8, lldb.SBError())")


@pytest.mark.parametrize("field", ["CHECK", "NEXT", "ENTRY", "BLOCK"])
def test_call_words_overwritten_in_the_debuggee_are_refused(stops_exe, field):
    """The trampoline finds an expression's call words (entry point, argument block,
    where the result goes) in its mailbox and a repeated expression does not write
    them again: a stray write there (here the debugger's) makes it refuse them and
    run nothing; they are written again and the result is right."""
    from lldb_jit import targets
    offset = {"CHECK": targets.CHECK, "NEXT": targets.NEXT, "ENTRY": targets.ENTRY,
              "BLOCK": targets.ENTRY + 8 * targets.CHECKED_WORDS}[field]
    run = "jit-eval --interpret false -- local + counter"   # through the trampoline
    commands = [run, run, CORRUPT.format(offset=offset), run, run,
                "register read rip rsp rbp rax"]
    blocks = batch(stops_exe, commands)
    got = results(blocks)
    assert got[0] == got[1] == got[3] == got[4] == ("int", "1"), blocks


def test_a_repeated_call_writes_nothing(stops_exe, tmp_path):
    """The same code run again at the same stop: its call words are in the mailbox
    already (the trampoline moved the result's address on), its argument block too,
    so no memory write at all, only the PC and the resume."""
    run = "jit-eval --interpret false -- local + counter"
    blocks, sent = packets_sent(stops_exe, [run], [run], tmp_path / "packets.log")
    assert results(blocks) == [("int", "1")] * 2, blocks
    assert any(p.startswith("vCont") for p in sent), sent       # it ran
    assert not [p for p in sent if p.startswith(("M", "X", "G"))], sent



def test_objects_are_kept_across_sessions(values_exe, tmp_path, monkeypatch):
    """Compiled objects are kept on disk by IR: a new debugger session evaluating the same
    expression reuses the object (writes none) and gets the same answer; a damaged file
    is compiled anew."""
    monkeypatch.setenv("LLDB_JIT_CACHE", str(tmp_path))
    commands = ["jit-eval add(counter, 1) * 3", "jit-eval int s = 0; "
                "for (int i = 0; i < 4; i++) s += primes[i]; s + sub(counter, 1)"]

    def objects():
        return sorted(p for p in (tmp_path / "objects").rglob("*.o"))

    first = [parse_result(out) for _, out in batch(values_exe, commands)]
    kept = objects()
    assert first == [("int", "126"), ("int", "57")] and len(kept) == 2   # both call
    stamps = [p.stat().st_mtime_ns for p in kept]
    again = [parse_result(out) for _, out in batch(values_exe, commands)]
    assert again == first
    assert objects() == kept and [p.stat().st_mtime_ns for p in kept] == stamps
    for p in kept:
        p.write_bytes(b"garbage")
    assert [parse_result(out) for _, out in batch(values_exe, commands)] == first
    assert all(p.read_bytes().startswith(b"\x7fELF") for p in objects())
