"""Thread-local variables of the selected thread (tests/e2e/programs/tls.c): the
executable's own (`_Thread_local`, `__thread`: an int, an array, a struct, a static,
one in .tbss, a pointer) and glibc's `errno` (libc.so.6's TLS, found through the
thread's DTV), read and written, with `&`, in statements and loops, in each of three
threads. Locally LLDB's `expression` is the oracle; through the stubs, where LLDB
gets them wrong, the values the program set are.

Where LLDB is wrong (LLDB 23): under GNU gdbserver its `expression tls_counter` fails
("no TLS data currently exists for this thread") and it knows no `errno`; on the static
AArch64 program under qemu-aarch64 it knows none of the variables (gcc 12 gives
AArch64 thread-local variables no DW_AT_location, and LLDB drops such variables) and
`expression &tls_counter` prints a null `void **`."""
from __future__ import annotations

import re
import shutil

import pytest

from lldbrun import (AS_CODE, HERE, STUBS, batch, build, build_library, cross_build,
                     parse_result, stub)

# What each thread set (thread 1 is main, 2 and 3 the workers with id 1 and 2).
VALUES = {
    1: {"tls_counter": "7", "tls_array[1]": "2", "tls_pair.a": "1", "tls_pair.tag": '"abc"',
        "tls_hidden": "3", "tls_zero": "0", "errno": "2"},
    2: {"tls_counter": "100", "tls_array[1]": "10", "tls_pair.a": "-1",
        "tls_pair.tag": '"bbc"', "tls_hidden": "31", "tls_zero": "1", "errno": "9"},
    3: {"tls_counter": "200", "tls_array[1]": "20", "tls_pair.a": "-2",
        "tls_pair.tag": '"cbc"', "tls_hidden": "32", "tls_zero": "2", "errno": "34"},
}
# Also compared with LLDB's `expression` in a local session.
SAME_AS_LLDB = [*VALUES[1], "tls_array", "tls_pair", "&tls_counter", "&tls_pair.b",
                "&tls_array[3]", "&errno", "tls_ptr", "tls_hidden + tls_zero * 100"]
# The program's own view of the thread's storage, and statements: each gives 1 (or the
# value after it) whatever the thread.
CHECKS = [
    ("bump(0) == tls_counter", "1"),                           # its code reads the same int
    ("long s = 0; for (int i = 0; i < 4; i++) s += tls_array[i]; s - tls_array[1]", "8"),
    ("int *p = &tls_zero; *p += 40; tls_zero - *p", "0"),
    ("tls_pair.b * 2", "5"),
]


def thread_commands(thread: int, oracle: bool) -> list[str]:
    commands = [f"thread select {thread}"]
    for expr in [*VALUES[thread], *[e for e, _ in CHECKS], "tls_ptr == &tls_counter"]:
        commands.append(f"jit-eval {expr}")
    if oracle:
        for expr in SAME_AS_LLDB:
            commands += [f"jit-eval {expr}", f"expression -- {expr}"]
        # the same addresses from the code run in the thread (interpreted, no code runs)
        commands += [f"jit-eval {AS_CODE}{expr}" for expr in ("&tls_counter", "&errno")]
    return commands


WRITES = [   # per thread: each write is seen by LLDB, by the program's code, by the next read
    "thread select 3", "jit-eval errno = 0", "jit-eval tls_counter = 555",
    "expression -- errno", "expression -- tls_counter", "jit-eval bump(1)",
    "thread select 1", "jit-eval errno", "jit-eval tls_counter", "jit-eval tls_in_main",
    "expression -- tls_in_main",
]


@pytest.fixture(scope="module")
def tls_exe(tmp_path_factory):
    return build(HERE / "programs" / "tls.c", tmp_path_factory.mktemp("tls"), "-pthread")


@pytest.fixture(scope="module")
def qemu_tls_exe(tmp_path_factory):
    """tls.c built for qemu-`cpu`, by cpu, built at the first need."""
    built = {}

    def exe(cpu: str):
        if cpu not in built:
            built[cpu] = cross_build(HERE / "programs" / "tls.c",
                                     tmp_path_factory.mktemp(f"tls-{cpu}"), cpu, "-pthread")
        return built[cpu]
    return exe


@pytest.fixture(scope="module")
def local(tls_exe):
    commands = [c for t in VALUES for c in thread_commands(t, oracle=True)] + WRITES
    return batch(tls_exe, commands)


def results(blocks, thread: int | None) -> dict[str, str]:
    """`jit-eval` expression -> printed value (the first time), for the commands run in
    `thread` (None: in the thread that stopped, without `thread select`)."""
    found, current = {}, None
    for command, out in blocks:
        if command.startswith("thread select"):
            current = int(command.split()[-1])
        elif current == thread and command.startswith("jit-eval "):
            assert "internal error" not in out and "Traceback" not in out, (command, out)
            result = parse_result(out)
            found.setdefault(command[len("jit-eval "):], result[1] if result else out)
    return found


def check_thread(blocks, thread: int, where: str, selected: bool = True,
                 without: tuple[str, ...] = ()) -> None:
    got = results(blocks, thread if selected else None)
    for expr, value in [*VALUES[thread].items(), *CHECKS]:
        if expr not in without:
            assert got[expr] == value, (where, thread, expr, got[expr])
    # the program's own pointer to its own tls_counter (workers set it; main did not)
    assert got["tls_ptr == &tls_counter"] == ("0" if thread == 1 else "1"), (where, thread)


@pytest.mark.parametrize("thread", list(VALUES))
def test_each_thread_sees_its_own_values(local, thread):
    check_thread(local, thread, "local")


@pytest.mark.parametrize("thread", list(VALUES))
def test_same_as_lldb_expression(local, thread):
    outputs = [out for command, out in local]
    commands = [command for command, _ in local]
    start = commands.index(f"thread select {thread}")
    for expr in SAME_AS_LLDB:
        i = commands.index(f"expression -- {expr}", start) - 1
        ours, theirs = parse_result(outputs[i]), parse_result(outputs[i + 1])
        assert theirs is not None, (expr, outputs[i + 1])
        assert ours is not None and ours[0] == theirs[0], (expr, outputs[i], outputs[i + 1])
        assert re.sub(r"\$\d+", "", ours[1]) == re.sub(r"\$\d+", "", theirs[1]), (thread, expr)


def test_the_same_code_serves_every_thread(local):
    """One expression, compiled once (the code cache is on) and run in each thread
    (`--interpret false`): each thread's address, the one the interpreter gives."""
    got = {t: results(local, t) for t in VALUES}
    addresses = {t: got[t][f"{AS_CODE}&tls_counter"] for t in VALUES}
    assert len(set(addresses.values())) == 3, addresses
    assert len({got[t][f"{AS_CODE}&errno"] for t in VALUES}) == 3
    for t in VALUES:
        for expr in ("&tls_counter", "&errno"):
            assert got[t][f"{AS_CODE}{expr}"] == got[t][expr], (t, expr)


def test_writes_are_per_thread(local):
    out = dict(local[-len(WRITES):])
    assert parse_result(out["expression -- errno"])[1] == "0"
    assert parse_result(out["expression -- tls_counter"])[1] == "555"
    assert parse_result(out["jit-eval bump(1)"])[1] == "556"
    assert parse_result(out["jit-eval errno"])[1] == "2"            # main's errno unchanged
    assert parse_result(out["jit-eval tls_counter"])[1] == "7"
    assert parse_result(out["jit-eval tls_in_main"]) == parse_result(
        out["expression -- tls_in_main"]) == ("int", "11")       # a static in main's frame


@pytest.mark.parametrize("kind", STUBS)
def test_through_every_stub(kind, tls_exe, qemu_tls_exe):
    """lldb-server and GNU gdbserver: every thread, as locally. qemu-user runs every
    thread when one is resumed (qemu-user cannot hold threads), so an evaluation runs in
    the thread that stopped: main at "break here", then worker 2 at "break in worker"."""
    if kind == "gdbserver" and shutil.which("gdbserver") is None:
        pytest.fail("gdbserver is missing: `make system-deps` installs it")
    if not kind.startswith("qemu-"):
        commands = [c for t in VALUES for c in thread_commands(t, oracle=False)]
        with stub(kind, tls_exe) as (connect, _):
            blocks = batch(tls_exe, commands + ["thread select 1", "jit-eval tls_in_main"],
                           connect=connect, source="tls.c")
        for thread in VALUES:
            check_thread(blocks, thread, kind)
        # a static in main's frame: LLDB's own address (lldb-server) or a clear error
        out = blocks[-1][1]
        assert parse_result(out) == ("int", "11") or \
            ("error: 'tls_in_main' is not available here" in out), (kind, out)
        return
    exe = qemu_tls_exe(kind[len("qemu-"):])
    stops = (("break here", 1), ("break in worker", 3))
    if kind == "qemu-riscv64":
        # LLDB 23 itself crashes continuing to the worker's stop: its RISC-V unwinder
        # dies on the lr/sc in the functions the other threads wait in (README)
        stops = stops[:1]
    for stop_at, thread in stops:
        commands = thread_commands(thread, oracle=False)[1:]      # no `thread select`
        with stub(kind, exe) as (connect, _):
            blocks = batch(exe, commands + ["jit-eval (int)errno"],
                           connect=connect, source="tls.c", stop_at=stop_at)
        check_thread(blocks, thread, f"{kind} {stop_at}", selected=False, without=("errno",))
        # static glibc has no debug info: errno's type is unknown, as gdb says, until a
        # cast gives it
        out = dict(blocks)
        assert "error: 'errno' has unknown type; cast it" in out["jit-eval errno"]
        assert parse_result(out["jit-eval (int)errno"]) == ("int", VALUES[thread]["errno"])


@pytest.fixture(scope="module")
def dlopen_exe(tmp_path_factory):
    out = tmp_path_factory.mktemp("tls-dlopen")
    build_library(HERE / "programs" / "tls_lib.c", out)
    return build(HERE / "programs" / "tls_dlopen.c", out, "-pthread")


def test_a_dlopened_library_block_allocated_in_one_thread_only(dlopen_exe):
    """A library loaded by dlopen has no static TLS: its block is in the DTV of a
    thread that used it (main), and in no other (the worker): a clear error there,
    where LLDB's `expression` says "read memory from 0x0 failed"."""
    commands = ["jit-eval lib_tls", "expression -- lib_tls", "jit-eval &lib_tls == mine",
                "jit-eval lib_pair[1] - lib_pair[0]", "jit-eval lib_tls = 9",
                "expression -- lib_tls", "thread select 2", "jit-eval lib_tls",
                "jit-eval sizeof lib_tls"]
    out = [text for _, text in batch(dlopen_exe, commands)]
    assert parse_result(out[0]) == parse_result(out[1]) == ("int", "6"), out[:2]
    assert parse_result(out[2]) == ("int", "1")           # where the library's code put it
    assert parse_result(out[3]) == ("double", "1")
    assert parse_result(out[5]) == ("int", "9")
    assert out[7].endswith("error: the thread-local storage of libtls_lib.so is not "
                           "allocated in this thread (the thread has not used it yet)"), out[7]
    assert parse_result(out[8]) == ("unsigned long", "4")
