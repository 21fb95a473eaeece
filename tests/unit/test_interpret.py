"""The IR interpreter (lldb_jit/interpret.py) against the same IR compiled and run
with MCJIT: for every expression of irgen's tables, either it gives the machine's
result, or it declines, and then exactly for the reasons it must (a call, data of the
module's own, long double, a write to the debuggee's memory, a trap)."""
import ctypes
import gc
import math
import re
import weakref

import pytest
from llvmlite import ir

from lldb_jit.frontend import analyze
from lldb_jit.frontend.ctype import strip_typedefs
from lldb_jit.interpret import Bail, Plan, Unsupported
from lldb_jit.irgen import ENTRY, gen_module, release

from conftest import HOST, World, decode
from test_irgen import BY_HAND, CROSS_CHECKED

TRIPLES = [HOST, "aarch64-unknown-linux-gnu", "riscv64-unknown-linux-gnu"]
CALLS = ("add2", "fp(", "(*fp)", "scale", "strlen", "snprintf")


class WorldMemory:
    """The world's storage, read only: anything else is memory the code could not load."""

    def __init__(self, world: World):
        self.ranges = [(ctypes.addressof(b), ctypes.sizeof(b)) for b in world.keep
                       if isinstance(b, ctypes.Array)]
        self.reads = 0

    def read(self, address: int, size: int) -> bytes:
        for start, length in self.ranges:
            if start <= address and address + size <= start + length:
                self.reads += 1
                return ctypes.string_at(address, size)
        raise Bail("unreadable")


def snapshot(world: World) -> bytes:
    return b"".join(ctypes.string_at(a, n) for a, n in WorldMemory(world).ranges)


def interpret(src: str, world: World, triple: str = HOST, copies: dict | None = None):
    """`copies`: frame objects given as the session gives a value kept in a register,
    name -> (address, bytes), the address nowhere in the world's memory."""
    copies = copies or {}
    program = analyze(src, world.provider)
    plan = Plan(gen_module(program, triple), ENTRY, little=True)
    names = {s.link_name: world.addr[s.name] for s in program.externals
             if s.name in world.addr}
    addresses = [names[n] for n in plan.externals]
    slots = b"".join((copies[s.name][0] if s.name in copies else world.addr[s.name])
                     .to_bytes(8, "little") for s in program.frame_refs)
    ty = program.result_type
    size = strip_typedefs(ty).size if ty is not None else 0
    result = ctypes.create_string_buffer(max(size, 1))
    data = plan.run(addresses, slots, ctypes.addressof(result), size, WorldMemory(world),
                    tuple(copies.values()))
    return (decode(data, ty) if ty is not None else None), program


def same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    return a == b


@pytest.mark.parametrize("triple", TRIPLES)
@pytest.mark.parametrize("src", CROSS_CHECKED + [e for e, _ in BY_HAND])
def test_interpreter_agrees_with_the_machine(src, triple, runner):
    if any(k in src for k in ("persist", "$0 =")):
        pytest.skip("new persistent variables are never interpreted")
    long_double = "long double" in src or re.search(r"\d\.?\d*L\b", src) is not None
    if long_double and triple != HOST:    # fp128 arithmetic would call libgcc's routines
        with pytest.raises(Unsupported):
            interpret(src, World(), triple)
        return
    world = World()
    before = snapshot(world)
    expected, _ = runner.run(src, world, hardware=triple)
    wrote = snapshot(world) != before
    try:
        value, _ = interpret(src, World(), triple)
    except Unsupported as e:
        declined = any(k in src for k in CALLS) or '"' in src or long_double
        assert declined, (src, str(e))
        return
    except Bail as e:
        assignment = re.search(r"[^=!<>]=[^=]|\+\+|--", src) is not None
        assert wrote or "division" in str(e) or "store" in str(e) and assignment, (src, str(e))
        return
    assert not wrote, src          # the interpreter cannot have done the code's writes
    assert same(value, expected), (src, value, expected)


def test_reads_go_through_the_memory_and_externals_are_looked_up(world):
    value, program = interpret("arr[2] + st.g + ps->a", world)
    assert value == 3 + 99 + 10


def test_copies_are_read_from_the_session_and_stores_to_them_left_to_the_machine(world):
    """A variable kept in a register reaches the code as a copy that the session
    writes to the debuggee only if code runs: the interpreter reads the copy's bytes,
    leaves a store to it to the machine (which the session writes back), and an
    access running off it too."""
    copy = {"x": (0x5000_0000, (41).to_bytes(4, "little")),
            "s": (0x5000_0010, (-2).to_bytes(2, "little", signed=True))}
    assert interpret("x + s * 3 + arr[1]", world, copies=copy)[0] == 41 - 6 + 2
    for src in ["x = 5", "x++", "*(short *)&x = 1"]:
        with pytest.raises(Bail) as e:
            interpret(src, world, copies=copy)
        assert "store" in str(e.value) and not e.value.again, src
    for src in ["*(long *)&x", "((short *)&x)[2]", "*((char *)&s - 1)"]:
        with pytest.raises(Bail, match="beyond|unreadable"):
            interpret(src, world, copies=copy)


def test_division_by_zero_is_left_to_the_machine(world):
    with pytest.raises(Bail):
        interpret("int z = 0; x / z", world)
    assert interpret("int z = 0; x / z", world, "aarch64-unknown-linux-gnu")[0] == 0


def test_unreadable_memory_is_left_to_the_machine(world):
    with pytest.raises(Bail):
        interpret("*(int *)16", world)


def test_an_address_of_the_expressions_own_object_never_escapes(world):
    for src in ["int a = 1; &a", "int a = 1; (long)&a", "int a; int *p = &a; p"]:
        with pytest.raises(Bail) as e:
            interpret(src, world)
        assert not e.value.again


def test_long_loops_are_left_to_the_machine(world):
    with pytest.raises(Bail) as e:
        interpret("long n = 0; for (long i = 0; i < 1000000; i++) n += i; n", world)
    assert not e.value.again
    assert interpret("long n = 0; for (long i = 0; i < 100; i++) n += i; n", world)[0] == 4950


def test_a_loops_plan_and_module_are_freed_without_the_garbage_collector(world):
    """A plan's blocks name one another by index, and `release` breaks the module's
    cycles: dropping either frees it at once, with no garbage-collector pass."""
    src = "int s = 0; for (int i = 0; i < 5; i++) { if (i == 3) continue; s += i; } s"
    gc.collect()
    gc.disable()
    try:
        module = gen_module(analyze(src, world.provider), HOST)
        plan = Plan(module, ENTRY, little=True)
        loop_block = weakref.ref(plan.blocks[2])
        instruction = weakref.ref(module.functions[0].blocks[2].instructions[0])
        del plan
        assert loop_block() is None
        release(module)
        del module
        assert instruction() is None
    finally:
        gc.enable()


@pytest.mark.parametrize("src", ["*(volatile int *)&x", "volatile int v = 1; v",
                                 "*(volatile int *)&x = 3"])
def test_volatile_accesses_are_left_to_the_machine(src, world):
    """A volatile load or store is the machine's own, never the interpreter's read."""
    with pytest.raises(Unsupported, match="volatile"):
        Plan(gen_module(analyze(src, world.provider), HOST), ENTRY, little=True)


def test_unreachable_is_left_to_the_machine():
    """irgen never emits `unreachable`; a plan made of IR that does is refused."""
    module = ir.Module()
    ptr = ir.PointerType()
    func = ir.Function(module, ir.FunctionType(ir.VoidType(), [ptr, ptr]), ENTRY)
    ir.IRBuilder(func.append_basic_block("entry")).unreachable()
    with pytest.raises(Unsupported, match="unreachable"):
        Plan(module, ENTRY, little=True)
